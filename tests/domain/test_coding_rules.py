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


def _admin_only(result: dict[str, Any]) -> list[str]:
    return [_render(line) for line in result["lines"] if line["code"][0].isdigit()]


# Drug fields that keep the drug side quiet, for cases about admin codes only.
ONDANSETRON = {"drug": "J2405", "dose": 8, "dose_unit": "mg"}
IRON = {"drug": "J1756", "dose": 200, "dose_unit": "mg", "discarded": 0}

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
    ("unknown-drug-code", {"drug": "J9999", "dose": 10, "dose_unit": "mg"}, None, [],
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
    ],
)
def test_invalid_input_names_the_field(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidVisit) as caught:
        parse_visit(raw)
    assert any(message in error for error in caught.value.errors), caught.value.errors
