"""Rule-by-rule table for the infusion coding check: every rule, every finding, boundary minutes.

Each case is one visit; expected lines are written ``code[xUNITS][-MODIFIER]`` so the table
reads like a claim.
"""

from typing import Any

import pytest

from workqueue.domain.coding import (
    InvalidVisit,
    code_visit,
    load_default_tables,
    parse_visit,
    result_to_dict,
)
from workqueue.domain.coding.administration import additional_hour_units

CATALOG, RULES = load_default_tables()
DAY = "2026-11-02"


def _time(value: str | None) -> str | None:
    if value is None:
        return None
    return value if "T" in value else f"{DAY}T{value}"


def _adm(adm_id: str, kind: str, route: str, start: str, stop: str | None = None,
         **fields: Any) -> dict[str, Any]:
    return {"id": adm_id, "kind": kind, "route": route, "start": _time(start),
            "stop": _time(stop), **fields}


def _tpd(adm_id: str, start: str, stop: str | None, **fields: Any) -> dict[str, Any]:
    return _adm(adm_id, "therapeutic", "iv_infusion", start, stop, **fields)


def _chemo(adm_id: str, start: str, stop: str | None, **fields: Any) -> dict[str, Any]:
    return _adm(adm_id, "chemo", "iv_infusion", start, stop, **fields)


def _fluids(adm_id: str, start: str, stop: str | None, **fields: Any) -> dict[str, Any]:
    return _adm(adm_id, "hydration", "iv_infusion", start, stop, **fields)


def _push(adm_id: str, start: str, drug: str | None = None, kind: str = "therapeutic",
          **fields: Any) -> dict[str, Any]:
    return _adm(adm_id, kind, "iv_push", start, fields.pop("stop", None), drug=drug, **fields)


def _render(line: dict[str, Any]) -> str:
    text = line["code"] + (f"x{line['units']}" if line["units"] != 1 else "")
    return text + "".join(f"-{modifier}" for modifier in line["modifiers"])


def _sc(adm_id: str, start: str, stop: str | None = None, **fields: Any) -> dict[str, Any]:
    return _adm(adm_id, "therapeutic", "sc", start, stop, **HIZENTRA, **fields)


def _flush(adm_id: str, start: str, access: str | None = "port", **fields: Any) -> dict[str, Any]:
    return _adm(adm_id, "therapeutic", "iv_push", start, service="flush", access=access, **fields)


def _admin_only(result: dict[str, Any]) -> list[str]:
    return [_render(line) for line in result["lines"] if line["code"][0].isdigit()]


# Drug fields that keep the drug side quiet, for cases about admin codes only.
ONDANSETRON = {"drug": "J2405", "dose": 8, "dose_unit": "mg"}
IRON = {"drug": "J1756", "dose": 200, "dose_unit": "mg", "discarded": 0}
HIZENTRA = {"drug": "J1559", "dose": 10, "dose_unit": "g", "discarded": 0}
FLUOROURACIL = {"drug": "J9190", "dose": 2400, "dose_unit": "mg", "discarded": 100}

ADMIN_CASES: list[tuple[str, str, list[dict[str, Any]], list[str], list[str]]] = [
    # id, setting, administrations, expected admin lines, expected finding codes
    ("tpd-15-min-is-push", "facility", [_tpd("a", "10:00", "10:15", **IRON)], ["96374"], []),
    ("tpd-16-min-is-infusion", "facility", [_tpd("a", "10:00", "10:16", **IRON)], ["96365"], []),
    ("chemo-15-min-is-push", "facility", [_chemo("a", "10:00", "10:15")], ["96409"],
     ["unknown_drug"]),
    ("chemo-16-min-is-infusion", "office", [_chemo("a", "10:00", "10:16")], ["96413"],
     ["unknown_drug"]),
    ("hydration-30-not-billable", "facility", [_fluids("h", "09:00", "09:30")], [],
     ["hydration_too_short"]),
    ("hydration-31-billable", "facility", [_fluids("h", "09:00", "09:31")], ["96360"], []),
    ("hydration-90-one-unit", "facility", [_fluids("h", "09:00", "10:30")], ["96360"], []),
    ("hydration-91-adds-hour", "facility", [_fluids("h", "09:00", "10:31")],
     ["96360", "96361"], []),
    ("hydration-150-one-extra", "office", [_fluids("h", "09:00", "11:30")],
     ["96360", "96361"], []),
    ("hydration-151-two-extra", "office", [_fluids("h", "09:00", "11:31")],
     ["96360", "96361x2"], []),
    ("tpd-90-no-extra-hour", "facility", [_tpd("a", "09:00", "10:30", **IRON)], ["96365"], []),
    ("tpd-91-one-extra-hour", "facility", [_tpd("a", "09:00", "10:31", **IRON)],
     ["96365", "96366"], []),
    ("tpd-150-one-extra-hour", "facility", [_tpd("a", "09:00", "11:30", **IRON)],
     ["96365", "96366"], []),
    ("tpd-151-two-extra-hours", "facility", [_tpd("a", "09:00", "11:31", **IRON)],
     ["96365", "96366x2"], []),
    ("chemo-211-three-extra-hours", "facility", [_chemo("c", "09:00", "12:31", **IRON)],
     ["96413", "96415x3"], []),
    ("crossing-midnight-counts-minutes", "facility",
     [_tpd("a", "2026-11-02T23:30", "2026-11-03T00:30", **IRON)], ["96365"], []),
    ("sequential-new-drug-touching-is-not-concurrent", "facility",
     [_tpd("a", "09:00", "10:00", **IRON), _tpd("b", "10:00", "10:30", **ONDANSETRON)],
     ["96365", "96367"], []),
    ("sequential-16-min", "facility",
     [_tpd("a", "09:00", "10:00", **IRON), _tpd("b", "10:00", "10:16", **ONDANSETRON)],
     ["96365", "96367"], []),
    ("sequential-15-min-becomes-push", "facility",
     [_tpd("a", "09:00", "10:00", **IRON), _tpd("b", "10:00", "10:15", **ONDANSETRON)],
     ["96365", "96375"], []),
    ("sequential-91-min-adds-96366", "facility",
     [_tpd("a", "09:00", "10:00", **IRON), _tpd("b", "10:00", "11:31", **ONDANSETRON)],
     ["96365", "96366", "96367"], []),
    ("sequential-chemo-96417", "facility",
     [_chemo("c1", "09:00", "10:00", **IRON), _chemo("c2", "10:05", "11:00", **IRON)],
     ["96413", "96417"], []),
    ("tpd-after-chemo-96367", "facility",
     [_chemo("c", "09:00", "10:00", **IRON), _tpd("t", "10:05", "11:00", **IRON)],
     ["96413", "96367"], []),
    ("hydration-after-push-is-96361", "facility",
     [_push("p", "09:00", **ONDANSETRON), _fluids("h", "09:05", "10:05")],
     ["96374", "96361"], []),
    ("office-hydration-primary-push-lacks-valid-primary", "office",
     [_push("p", "09:00", **ONDANSETRON), _fluids("h", "09:05", "10:05", primary=True)],
     ["96360", "96375"], ["add_on_without_primary"]),
    ("concurrent-same-site-96368", "facility",
     [_tpd("a", "09:00", "11:00", **IRON), _tpd("b", "09:30", "10:00", **ONDANSETRON)],
     ["96365", "96366", "96368"], []),
    ("overlap-on-other-site-is-second-initial-59", "facility",
     [_tpd("a", "09:00", "11:00", **IRON), _tpd("b", "09:30", "10:00", site=2, **ONDANSETRON)],
     ["96365", "96365-59", "96366"], []),
    ("concurrent-billed-once-per-visit", "facility",
     [_chemo("c", "09:00", "11:00", **IRON), _tpd("a", "09:10", "09:50", **ONDANSETRON),
      _tpd("b", "09:20", "10:00", **ONDANSETRON)],
     ["96413", "96368", "96415"], []),
    ("concurrent-hydration-not-billable", "facility",
     [_tpd("a", "09:00", "11:00", **IRON), _fluids("h", "09:10", "10:50")],
     ["96365", "96366"], []),
    ("hydration-partly-outside-counts-45-min", "facility",
     [_tpd("a", "09:00", "10:00", **IRON), _fluids("h", "09:30", "10:45")],
     ["96365", "96361"], []),
    ("hydration-partly-outside-only-30-min", "facility",
     [_tpd("a", "09:00", "10:00", **IRON), _fluids("h", "09:30", "10:30")],
     ["96365"], []),
    ("partly-concurrent-drug-gets-both", "facility",
     [_tpd("a", "09:00", "10:00", **IRON), _tpd("b", "09:30", "10:30", **ONDANSETRON)],
     ["96365", "96367", "96368"], []),
    ("two-different-pushes", "facility",
     [_push("p1", "09:00", **ONDANSETRON), _push("p2", "09:10", drug="J1100", dose=10,
                                                  dose_unit="mg")],
     ["96374", "96375"], []),
    ("same-drug-push-30-min-not-billable", "facility",
     [_push("p1", "09:00", **ONDANSETRON), _push("p2", "09:30", **ONDANSETRON)],
     ["96374"], []),
    ("same-drug-push-31-min-facility-96376", "facility",
     [_push("p1", "09:00", **ONDANSETRON), _push("p2", "09:31", **ONDANSETRON)],
     ["96374", "96376"], []),
    ("chemo-pushes-96409-96411", "facility",
     [_push("c1", "09:00", kind="chemo", **IRON), _push("c2", "09:20", kind="chemo", **IRON)],
     ["96409", "96411"], []),
    ("chemo-push-after-chemo-infusion", "office",
     [_chemo("c", "09:00", "10:00", **IRON), _push("p", "10:10", kind="chemo", **IRON)],
     ["96413", "96411"], []),
    ("push-during-tpd-infusion", "office",
     [_tpd("a", "09:00", "10:00", **IRON), _push("p", "09:30", **ONDANSETRON)],
     ["96365", "96375"], []),
    ("pushes-at-same-moment-overlap", "facility",
     [_push("p1", "09:00", **ONDANSETRON), _push("p2", "09:00", drug="J1100", dose=4,
                                                  dose_unit="mg")],
     ["96374", "96375"], ["overlapping_pushes"]),
    ("pushes-overlapping-by-stop-time", "facility",
     [_push("p1", "09:00", stop=f"{DAY}T09:10", **ONDANSETRON),
      _push("p2", "09:05", stop=f"{DAY}T09:08", drug="J1100", dose=4, dose_unit="mg")],
     ["96374", "96375"], ["overlapping_pushes"]),
    ("pushes-on-separate-sites-do-not-overlap", "facility",
     [_push("p1", "09:00", **ONDANSETRON),
      _push("p2", "09:00", site=2, drug="J1100", dose=4, dose_unit="mg")],
     ["96374", "96374-59"], []),
    ("two-im-injections", "office",
     [_adm("i1", "therapeutic", "im", "09:00", **ONDANSETRON),
      _adm("i2", "therapeutic", "im", "09:05", drug="J1100", dose=4, dose_unit="mg")],
     ["96372x2"], []),
    ("chemo-sc-non-hormonal-96401", "office",
     [_adm("s", "chemo", "sc", "09:00", drug="J9312", dose=1400, dose_unit="mg",
           discarded=0)], ["96401"], []),
    ("chemo-im-hormonal-96402", "office",
     [_adm("s", "chemo", "im", "09:00", drug="J9217", dose=22.5, dose_unit="mg",
           discarded=0)], ["96402"], []),
    ("injection-never-takes-iv-initial", "facility",
     [_adm("s", "chemo", "sc", "08:00", drug="J9217", dose=7.5, dose_unit="mg", discarded=0),
      _fluids("h", "09:00", "10:00")],
     ["96360", "96402"], []),
    ("facility-chemo-outranks-earlier-push", "facility",
     [_push("p", "09:00", **ONDANSETRON), _chemo("c", "10:00", "11:00", **IRON)],
     ["96413", "96375"], []),
    ("office-primary-flag-picks-initial", "office",
     [_push("p", "09:00", primary=True, **ONDANSETRON), _tpd("a", "10:00", "11:00", **IRON)],
     ["96374", "96367"], []),
    ("facility-ignores-primary-flag", "facility",
     [_push("p", "09:00", primary=True, **ONDANSETRON), _tpd("a", "10:00", "11:00", **IRON)],
     ["96365", "96375"], []),
    ("office-primary-on-lower-family-leaves-add-on-unsupported", "office",
     [_tpd("a", "09:00", "10:00", primary=True, **IRON),
      _push("c", "10:10", kind="chemo", **IRON)],
     ["96365", "96411"], ["add_on_without_primary"]),
    ("two-primaries-one-site", "office",
     [_tpd("a", "09:00", "10:00", primary=True, **IRON),
      _tpd("b", "10:00", "11:00", primary=True, **ONDANSETRON)],
     ["96365", "96367"], ["second_initial_without_separate_site"]),
    ("two-primaries-two-sites-are-fine", "office",
     [_tpd("a", "09:00", "10:00", primary=True, **IRON),
      _tpd("b", "10:00", "11:00", primary=True, site=2, **ONDANSETRON)],
     ["96365", "96365-59"], []),
    ("missing-stop-time-on-infusion", "facility", [_tpd("a", "09:00", None, **IRON)], [],
     ["missing_stop_time"]),
    ("missing-stop-time-on-hydration", "facility", [_fluids("h", "09:00", None)], [],
     ["missing_stop_time"]),
    ("documented-push-stays-push-however-long", "facility",
     [_push("p", "09:00", stop=f"{DAY}T09:40", **ONDANSETRON)], ["96374"], []),
    ("push-needs-no-stop-time", "facility", [_push("p", "09:00", **ONDANSETRON)],
     ["96374"], []),
    ("stop-before-start", "facility", [_tpd("a", "10:00", "09:00", **IRON)], [],
     ["stop_before_start"]),
    # Subcutaneous infusion (96369-96371): longer than an injection, with a stop time.
    ("sc-without-stop-is-injection", "office", [_sc("s", "09:00")], ["96372"], []),
    ("sc-15-min-is-injection", "office", [_sc("s", "09:00", "09:15")], ["96372"], []),
    ("sc-16-min-is-infusion", "office", [_sc("s", "09:00", "09:16")], ["96369"], []),
    ("sc-90-min-first-hour-only", "office", [_sc("s", "09:00", "10:30")], ["96369"], []),
    ("sc-91-min-adds-96370", "office", [_sc("s", "09:00", "10:31")], ["96369", "96370"], []),
    ("sc-150-min-one-extra-hour", "office", [_sc("s", "09:00", "11:30")],
     ["96369", "96370"], []),
    ("sc-151-min-two-extra-hours", "office", [_sc("s", "09:00", "11:31")],
     ["96369", "96370x2"], []),
    ("sc-second-pump-at-new-site-96371", "office",
     [_sc("s1", "09:00", "10:00"), _sc("s2", "09:05", "10:00", site=2)], ["96369", "96371"], []),
    ("sc-further-pumps-capped-at-one-96371", "office",
     [_sc("s1", "09:00", "10:00"), _sc("s2", "09:05", "10:00", site=2),
      _sc("s3", "09:10", "10:00", site=3)], ["96369", "96371"], []),
    ("sc-pumps-on-one-site-are-one-set-up", "office",
     [_sc("s1", "09:00", "10:00"), _sc("s2", "10:00", "10:40")], ["96369", "96370"], []),
    ("sc-hours-count-time-any-pump-ran", "office",
     [_sc("s1", "09:00", "10:00"), _sc("s2", "09:30", "10:31", site=2)],
     ["96369", "96370", "96371"], []),
    ("sc-chemo-however-long-stays-96401", "office",
     [_adm("s", "chemo", "sc", "09:00", "10:00", drug="J9144", dose=1800, dose_unit="mg",
           discarded=0)], ["96401"], []),
    ("im-however-long-stays-96372", "office",
     [_adm("i", "therapeutic", "im", "09:00", "09:40", **ONDANSETRON)], ["96372"], []),
    ("sc-stop-before-start", "office", [_sc("s", "10:00", "09:00")], [],
     ["stop_before_start"]),
    ("facility-iv-infusion-outranks-sc-infusion", "facility",
     [_sc("s", "09:00", "10:00"), _tpd("a", "09:30", "10:30", **IRON)],
     ["96365", "96369-59"], []),
    ("facility-sc-infusion-outranks-iv-push", "facility",
     [_sc("s", "09:00", "10:00"), _push("p", "08:50", **ONDANSETRON)],
     ["96369", "96374-59"], []),
    ("office-reason-for-visit-sc-goes-first", "office",
     [_sc("s", "09:00", "10:00", primary=True), _tpd("a", "09:30", "10:30", **IRON)],
     ["96365-59", "96369"], []),
    # Intra-arterial chemotherapy (96420-96425) and therapeutic intra-arterial (96373).
    ("ia-push-96420", "facility", [_adm("c", "chemo", "ia_push", "09:00", **FLUOROURACIL)],
     ["96420"], []),
    ("ia-15-min-infusion-is-push", "facility",
     [_adm("c", "chemo", "ia_infusion", "09:00", "09:15", **FLUOROURACIL)], ["96420"], []),
    ("ia-16-min-is-infusion", "facility",
     [_adm("c", "chemo", "ia_infusion", "09:00", "09:16", **FLUOROURACIL)], ["96422"], []),
    ("ia-90-min-first-hour-only", "facility",
     [_adm("c", "chemo", "ia_infusion", "09:00", "10:30", **FLUOROURACIL)], ["96422"], []),
    ("ia-91-min-adds-96423", "facility",
     [_adm("c", "chemo", "ia_infusion", "09:00", "10:31", **FLUOROURACIL)],
     ["96422", "96423"], []),
    ("ia-infusion-needs-stop", "facility",
     [_adm("c", "chemo", "ia_infusion", "09:00", **FLUOROURACIL)], [], ["missing_stop_time"]),
    ("iv-chemo-outranks-ia-chemo", "facility",
     [_adm("c", "chemo", "ia_infusion", "09:00", "10:00", **FLUOROURACIL),
      _chemo("v", "09:00", "10:00", **FLUOROURACIL)], ["96413", "96422-59"], []),
    ("ia-therapeutic-injection-96373", "office",
     [_adm("t", "therapeutic", "ia_push", "09:00", **ONDANSETRON)], ["96373"], []),
    ("ia-therapeutic-infusion-has-no-code", "office",
     [_adm("t", "therapeutic", "ia_infusion", "09:00", "10:00", **ONDANSETRON)], [],
     ["no_admin_code"]),
    ("second-ia-push-has-no-add-on-code", "facility",
     [_adm("c1", "chemo", "ia_push", "09:00", **FLUOROURACIL),
      _adm("c2", "chemo", "ia_push", "09:20", drug="J9263", dose=150, dose_unit="mg",
           discarded=0)], ["96420"], ["no_admin_code"]),
    # Prolonged chemo started on a pump (96416 IV, 96425 intra-arterial).
    ("pump-sent-home-96416", "facility",
     [_chemo("p", "11:00", None, device="portable_pump", **FLUOROURACIL)], ["96416"], []),
    ("implantable-pump-start-96416", "office",
     [_chemo("p", "11:00", None, device="implantable_pump", **FLUOROURACIL)], ["96416"], []),
    ("pump-over-8-hours-96416", "facility",
     [_chemo("p", "2026-11-02T11:00", "2026-11-02T19:01", device="portable_pump",
             **FLUOROURACIL)], ["96416"], []),
    ("pump-of-8-hours-is-timed", "facility",
     [_chemo("p", "2026-11-02T11:00", "2026-11-02T19:00", device="portable_pump",
             **FLUOROURACIL)], ["96413", "96415x7"], ["pump_infusion_not_prolonged"]),
    ("ia-pump-start-96425", "facility",
     [_adm("p", "chemo", "ia_infusion", "11:00", device="portable_pump", **FLUOROURACIL)],
     ["96425"], []),
    ("pump-start-takes-no-initial-slot", "facility",
     [_push("b", "10:50", kind="chemo", **FLUOROURACIL),
      _chemo("p", "11:00", None, device="portable_pump", **FLUOROURACIL)],
     ["96409", "96416"], []),
    ("therapeutic-on-pump-is-timed", "office",
     [_tpd("t", "09:00", None, device="portable_pump", **IRON)], [], ["missing_stop_time"]),
    # Pump refill and maintenance (96521 portable, 96522 implantable).
    ("portable-pump-refill-96521", "office",
     [_adm("r", "chemo", "iv_infusion", "09:00", service="pump_refill",
           device="portable_pump")], ["96521"], []),
    ("implantable-pump-refill-96522", "office",
     [_adm("r", "chemo", "ia_infusion", "09:00", service="pump_refill",
           device="implantable_pump", drug="J9200", dose=500, dose_unit="mg", discarded=0)],
     ["96522"], []),
    # Port flush (96523): only when it is the only service that day.
    ("port-flush-alone-96523", "office", [_flush("f", "09:00")], ["96523"], []),
    ("port-flush-with-infusion-same-day-is-included", "facility",
     [_flush("f", "12:00"), _tpd("a", "09:00", "10:00", **IRON)], ["96365"],
     ["flush_bundled"]),
    ("port-flush-with-injection-same-day-is-included", "office",
     [_flush("f", "09:00"), _sc("s", "09:10")], ["96372"], ["flush_bundled"]),
    ("port-flush-with-pump-refill-same-day-is-included", "office",
     [_flush("f", "09:00"), _adm("r", "chemo", "iv_infusion", "09:10", service="pump_refill",
                                 device="portable_pump")], ["96521"], ["flush_bundled"]),
    ("port-flush-the-next-day-is-billable", "facility",
     [_tpd("a", "2026-11-02T22:00", "2026-11-02T23:00", **IRON),
      _flush("f", "2026-11-03T09:00")], ["96365", "96523"], []),
    ("two-port-flushes-one-day-bill-once", "office",
     [_flush("f1", "09:00"), _flush("f2", "15:00")], ["96523"], []),
    ("picc-flush-is-not-billable", "office", [_flush("f", "09:00", access="picc")], [],
     ["flush_not_billable"]),
    ("flush-without-access-is-not-billable", "office", [_flush("f", "09:00", access=None)], [],
     ["flush_not_billable"]),
]


@pytest.mark.parametrize(
    ("setting", "administrations", "expected_lines", "expected_findings"),
    [pytest.param(*case[1:], id=case[0]) for case in ADMIN_CASES],
)
def test_admin_codes_and_findings(
    setting: str, administrations: list[dict[str, Any]], expected_lines: list[str],
    expected_findings: list[str],
) -> None:
    visit = parse_visit({"setting": setting, "administrations": administrations})
    result = result_to_dict(code_visit(visit, CATALOG, RULES))
    assert _admin_only(result) == expected_lines
    assert sorted(f["code"] for f in result["findings"]) == sorted(expected_findings)


DRUG_CASES: list[tuple[str, dict[str, Any], dict[str, Any] | None, list[str], list[str]]] = [
    # id, drug fields, authorization, expected drug lines, expected finding codes
    ("units-round-up", {"drug": "J9355", "dose": 141, "dose_unit": "mg", "discarded": 0},
     None, ["J9355x15-JZ"], []),
    ("less-than-one-unit-bills-one", {"drug": "J1200", "dose": 25, "dose_unit": "mg"}, None,
     ["J1200"], []),
    ("grams-convert-to-mg", {"drug": "J1569", "dose": 35, "dose_unit": "g", "discarded": 0},
     None, ["J1569x70-JZ"], []),
    ("mcg-drug-from-mg-dose", {"drug": "J2469", "dose": 0.25, "dose_unit": "mg",
                                "discarded": 0}, None, ["J2469x10-JZ"], []),
    ("discard-under-one-unit-is-jz", {"drug": "J9312", "dose": 712, "dose_unit": "mg",
                                      "discarded": 3}, None, ["J9312x72-JZ"], []),
    ("jw-is-opened-minus-given", {"drug": "J9312", "dose": 712.5, "dose_unit": "mg",
                                  "discarded": 87.5}, None, ["J9312x72", "J9312x8-JW"], []),
    ("multi-dose-vial-needs-no-waste", {"drug": "J2405", "dose": 8, "dose_unit": "mg"}, None,
     ["J2405x8"], []),
    ("multi-dose-vial-ignores-discard", {"drug": "J2405", "dose": 8, "dose_unit": "mg",
                                         "discarded": 32}, None, ["J2405x8"], []),
    ("waste-not-documented", {"drug": "J1745", "dose": 400, "dose_unit": "mg"}, None,
     ["J1745x40"], ["waste_not_documented"]),
    ("unknown-drug-code", {"drug": "J0000", "dose": 10, "dose_unit": "mg"}, None, [],
     ["unknown_drug"]),
    ("lowercase-code-is-known", {"drug": "j1756", "dose": 200, "dose_unit": "mg",
                                 "discarded": 0}, None, ["J1756x200-JZ"], []),
    ("therapeutic-without-drug-code", {"drug": None}, None, [], ["unknown_drug"]),
    ("dose-missing", {"drug": "J1756", "dose": None, "discarded": 0}, None, [],
     ["dose_missing"]),
    ("dose-zero", {"drug": "J1756", "dose": 0, "dose_unit": "mg", "discarded": 0}, None, [],
     ["dose_missing"]),
    ("dose-unit-mismatch", {"drug": "J1756", "dose": 10, "dose_unit": "ml", "discarded": 0},
     None, [], ["dose_unit_mismatch"]),
    ("auth-exceeded-counts-waste", {"drug": "J1745", "dose": 415, "dose_unit": "mg",
                                    "discarded": 85}, {"code": "J1745", "units_remaining": 45},
     ["J1745x42", "J1745x8-JW"], ["units_exceed_authorization"]),
    ("auth-exactly-enough", {"drug": "J1745", "dose": 415, "dose_unit": "mg",
                             "discarded": 85}, {"code": "J1745", "units_remaining": 50},
     ["J1745x42", "J1745x8-JW"], []),
    ("auth-for-other-drug-ignored", {"drug": "J1745", "dose": 415, "dose_unit": "mg",
                                     "discarded": 0}, {"code": "J1756", "units_remaining": 0},
     ["J1745x42-JZ"], []),
]


@pytest.mark.parametrize(
    ("drug_fields", "authorization", "expected_lines", "expected_findings"),
    [pytest.param(*case[1:], id=case[0]) for case in DRUG_CASES],
)
def test_drug_lines_and_findings(
    drug_fields: dict[str, Any], authorization: dict[str, Any] | None,
    expected_lines: list[str], expected_findings: list[str],
) -> None:
    raw = {
        "setting": "office", "authorization": authorization,
        "administrations": [_tpd("a", "09:00", "10:00", **drug_fields)],
    }
    result = result_to_dict(code_visit(parse_visit(raw), CATALOG, RULES))
    drug_lines = [_render(line) for line in result["lines"] if not line["code"][0].isdigit()]
    assert drug_lines == expected_lines
    assert sorted(f["code"] for f in result["findings"]) == sorted(expected_findings)


def test_same_drug_given_twice_is_one_merged_line() -> None:
    raw = {"setting": "facility", "administrations": [
        _push("p1", "09:00", **ONDANSETRON), _push("p2", "10:00", **ONDANSETRON)]}
    result = result_to_dict(code_visit(parse_visit(raw), CATALOG, RULES))
    assert [_render(line) for line in result["lines"]] == ["96374", "96376", "J2405x16"]


@pytest.mark.parametrize(
    ("minutes", "units"), [(60, 0), (90, 0), (91, 1), (150, 1), (151, 2), (210, 2), (211, 3)]
)
def test_additional_hour_units_follow_the_30_minute_rule(minutes: int, units: int) -> None:
    assert additional_hour_units(minutes, RULES) == units


def test_findings_carry_configured_severity_and_plain_message() -> None:
    raw = {"setting": "office", "administrations": [
        _tpd("a", "09:00", None, **IRON), _push("p1", "09:00", **ONDANSETRON),
        _push("p2", "09:00", drug="J1100", dose=4, dose_unit="mg")]}
    result = result_to_dict(code_visit(parse_visit(raw), CATALOG, RULES))
    by_code = {f["code"]: f for f in result["findings"]}
    assert by_code["missing_stop_time"]["severity"] == "error"
    assert by_code["missing_stop_time"]["administration"] == "a"
    assert by_code["overlapping_pushes"]["severity"] == "warning"
    assert "p1" in by_code["overlapping_pushes"]["message"]


def test_thresholds_come_from_rules_data() -> None:
    stricter = RULES.__class__(**{
        **{name: getattr(RULES, name) for name in RULES.__slots__}, "push_max_minutes": 20,
    })
    visit = parse_visit({"setting": "facility",
                         "administrations": [_tpd("a", "10:00", "10:18", **IRON)]})
    assert _admin_only(result_to_dict(code_visit(visit, CATALOG, RULES))) == ["96365"]
    assert _admin_only(result_to_dict(code_visit(visit, CATALOG, stricter))) == ["96374"]


def test_duplicate_administration_ids_are_rejected() -> None:
    raw = {"setting": "office", "administrations": [
        _push("p", "09:00", **ONDANSETRON), _push("p", "09:30", **ONDANSETRON)]}
    with pytest.raises(InvalidVisit, match='"p" is used twice'):
        parse_visit(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"administrations": []}, '"setting" is required'),
        ({"setting": "home", "administrations": []}, '"setting" must be one of'),
        ({"setting": "office"}, '"administrations" is required'),
        ({"setting": "office", "administrations": [{"id": "a", "kind": "chemo",
                                                    "route": "iv_push"}]},
         'administrations[0] (id "a"): "start" is required'),
        ({"setting": "office", "administrations": [_tpd("a", "09:00", "10:00", dose="5")]},
         '"dose" must be a number'),
        ({"setting": "office", "administrations": [_tpd("a", "09:00", "10:00", dose=5)]},
         '"dose_unit" is required when "dose" is given'),
        ({"setting": "office", "administrations": [_tpd("a", "9am", "10:00")]},
         '"start" must be a local time'),
        ({"setting": "office", "administrations": [_tpd("a", "09:00", "2026-11-02")]},
         '"stop" must be a local time'),
        ({"setting": "office", "administrations": [_tpd("a", "2026-11-02T09:00+01:00", None)]},
         '"start" must be a local time'),
        ({"setting": "office", "administrations": [_fluids("h", "09:00", "10:00") | {
            "route": "iv_push"}]}, 'hydration must have "route" "iv_infusion"'),
        ({"setting": "office", "authorization": {"code": "J1745"}, "administrations": []},
         '"units_remaining" must be an integer'),
        ({"setting": "office", "administrations": [_adm("r", "chemo", "iv_infusion", "09:00",
                                                        service="pump_refill")]},
         'a pump refill needs "device"'),
        ({"setting": "office", "administrations": [_push("p", "09:00",
                                                         device="portable_pump")]},
         '"device" goes with "route" "iv_infusion" or "ia_infusion"'),
        ({"setting": "office", "administrations": [_tpd("a", "09:00", "10:00",
                                                        service="refill")]},
         '"service" must be one of "administration", "pump_refill", "flush"'),
        ({"setting": "office", "administrations": [_flush("f", "09:00", access="vein")]},
         '"access" must be one of'),
        ({"setting": "office", "administrations": [_tpd("a", "09:00", "10:00", ndc=2759701)]},
         '"ndc" must be a non-empty string'),
        ({"setting": "office", "payer_type": "medicaide", "administrations": []},
         '"payer_type" must be one of'),
        ({"setting": "office", "ndc_required": "yes", "administrations": []},
         '"ndc_required" must be true, false or null'),
    ],
)
def test_invalid_input_names_the_field(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidVisit) as caught:
        parse_visit(raw)
    assert any(message in error for error in caught.value.errors), caught.value.errors
