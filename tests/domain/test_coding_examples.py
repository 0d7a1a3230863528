"""The worked examples of DOMAIN.md §1.5, each coded end to end through the pure domain module."""

from typing import Any

import pytest

from workqueue.domain.coding import code_visit, load_default_tables, parse_visit, result_to_dict

CATALOG, RULES = load_default_tables()
DAY = "2026-11-02"


def _adm(adm_id: str, kind: str, route: str, start: str, stop: str | None = None,
         **fields: Any) -> dict[str, Any]:
    return {
        "id": adm_id, "kind": kind, "route": route,
        "start": f"{DAY}T{start}", "stop": f"{DAY}T{stop}" if stop else None, **fields,
    }


def _code(setting: str, *administrations: dict[str, Any]) -> dict[str, Any]:
    visit = parse_visit({"setting": setting, "administrations": list(administrations)})
    return result_to_dict(code_visit(visit, CATALOG, RULES))


def _lines(result: dict[str, Any]) -> list[tuple[str, int, tuple[str, ...]]]:
    return [(line["code"], line["units"], tuple(line["modifiers"])) for line in result["lines"]]


def _finding_codes(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(f["code"], f["administration"]) for f in result["findings"]]


IRON = _adm("iron", "therapeutic", "iv_infusion", "10:00", "11:45",
            drug="J1756", dose=300, dose_unit="mg", discarded=0)


@pytest.mark.parametrize("setting", ["office", "facility"])
def test_example_a_iron_with_30_minute_hydration_bills_no_hydration(setting: str) -> None:
    hydration = _adm("fluids", "hydration", "iv_infusion", "09:30", "10:00")
    result = _code(setting, hydration, IRON)
    assert _lines(result) == [("96365", 1, ()), ("96366", 1, ()), ("J1756", 300, ("JZ",))]
    assert _finding_codes(result) == [("hydration_too_short", "fluids")]


@pytest.mark.parametrize("setting", ["office", "facility"])
def test_example_a_variant_35_minute_hydration_adds_sequential_96361(setting: str) -> None:
    hydration = _adm("fluids", "hydration", "iv_infusion", "09:25", "10:00")
    result = _code(setting, hydration, IRON)
    assert _lines(result) == [
        ("96365", 1, ()), ("96361", 1, ()), ("96366", 1, ()), ("J1756", 300, ("JZ",)),
    ]
    assert result["findings"] == []


def test_example_b_rituximab_outranks_earlier_pushes_in_facility() -> None:
    result = _code(
        "facility",
        _adm("benadryl", "therapeutic", "iv_push", "08:50", drug="J1200", dose=50,
             dose_unit="mg"),
        _adm("decadron", "therapeutic", "iv_push", "08:55", drug="J1100", dose=10,
             dose_unit="mg"),
        _adm("rituximab", "chemo", "iv_infusion", "09:30", "13:45", drug="J9312",
             dose=712.5, dose_unit="mg", discarded=87.5),
    )
    assert _lines(result) == [
        ("96413", 1, ()), ("96375", 2, ()), ("96415", 3, ()),
        ("J1100", 10, ()), ("J1200", 1, ()), ("J9312", 72, ()), ("J9312", 8, ("JW",)),
    ]
    assert result["findings"] == []


def test_example_c_hydration_only_100_minutes() -> None:
    result = _code("facility", _adm("fluids", "hydration", "iv_infusion", "09:00", "10:40"))
    assert _lines(result) == [("96360", 1, ()), ("96361", 1, ())]
    assert result["findings"] == []


def test_example_d_concurrent_antiemetic_and_hydration_beside_chemo() -> None:
    result = _code(
        "facility",
        _adm("chemo", "chemo", "iv_infusion", "09:00", "11:00", drug="J9035", dose=400,
             dose_unit="mg", discarded=0),
        _adm("antiemetic", "therapeutic", "iv_infusion", "09:15", "09:45", drug="J1453",
             dose=150, dose_unit="mg", discarded=0),
        _adm("saline", "hydration", "iv_infusion", "09:00", "11:00"),
    )
    assert _lines(result) == [
        ("96413", 1, ()), ("96368", 1, ()), ("96415", 1, ()),
        ("J1453", 150, ("JZ",)), ("J9035", 40, ("JZ",)),
    ]
    assert result["findings"] == []


def test_example_e_same_drug_push_after_45_minutes_in_facility() -> None:
    result = _code(
        "facility",
        _adm("zofran1", "therapeutic", "iv_push", "09:00", drug="J2405", dose=4, dose_unit="mg"),
        _adm("zofran2", "therapeutic", "iv_push", "09:45", drug="J2405", dose=4, dose_unit="mg"),
    )
    assert _lines(result) == [("96374", 1, ()), ("96376", 1, ()), ("J2405", 8, ())]


def test_example_e_same_drug_push_in_office_is_not_separately_reportable() -> None:
    result = _code(
        "office",
        _adm("zofran1", "therapeutic", "iv_push", "09:00", drug="J2405", dose=4, dose_unit="mg"),
        _adm("zofran2", "therapeutic", "iv_push", "09:45", drug="J2405", dose=4, dose_unit="mg"),
    )
    assert _lines(result) == [("96374", 1, ()), ("J2405", 8, ())]


@pytest.mark.parametrize(
    ("kind", "admin_lines"),
    [
        ("therapeutic", [("96365", 1, ()), ("96366", 1, ())]),
        ("chemo", [("96413", 1, ()), ("96415", 1, ())]),  # payer treats infliximab as complex
    ],
)
def test_example_f_infliximab_two_hours_in_office(
    kind: str, admin_lines: list[tuple[str, int, tuple[str, ...]]]
) -> None:
    result = _code(
        "office",
        _adm("remicade", kind, "iv_infusion", "10:00", "12:00", drug="J1745", dose=415,
             dose_unit="mg", discarded=85),
    )
    assert _lines(result) == [*admin_lines, ("J1745", 42, ()), ("J1745", 8, ("JW",))]
    assert result["findings"] == []


def test_example_g_pegfilgrastim_on_body_injector() -> None:
    result = _code(
        "office",
        _adm("onpro", "therapeutic", "on_body", "15:00", drug="J2506", dose=6, dose_unit="mg",
             discarded=0),
    )
    assert _lines(result) == [("96377", 1, ()), ("J2506", 12, ("JZ",))]


def test_example_g_denosumab_subcutaneous_injection() -> None:
    result = _code(
        "office",
        _adm("prolia", "therapeutic", "sc", "11:00", drug="J0897", dose=60, dose_unit="mg",
             discarded=0),
    )
    assert _lines(result) == [("96372", 1, ()), ("J0897", 60, ("JZ",))]
    assert result["findings"] == []


# --- round two: the rest of the drug-administration family ---------------------------------


@pytest.mark.parametrize("setting", ["office", "facility"])
def test_example_h_subcutaneous_immune_globulin_55_minutes_is_an_infusion(setting: str) -> None:
    result = _code(
        setting,
        _adm("scig", "therapeutic", "sc", "09:00", "09:55", drug="J1559", dose=10,
             dose_unit="g", discarded=0),
    )
    assert _lines(result) == [("96369", 1, ()), ("J1559", 100, ("JZ",))]
    assert result["findings"] == []


def test_example_i_folfox_day_one_with_a_pump_sent_home_in_facility() -> None:
    result = _code(
        "facility",
        _adm("oxaliplatin", "chemo", "iv_infusion", "09:00", "11:00", drug="J9263", dose=160,
             dose_unit="mg", discarded=0),
        _adm("leucovorin", "therapeutic", "iv_infusion", "09:00", "11:00", drug="J0640",
             dose=400, dose_unit="mg", discarded=0),
        _adm("bolus", "chemo", "iv_push", "11:05", drug="J9190", dose=800, dose_unit="mg",
             discarded=0),
        _adm("pump", "chemo", "iv_infusion", "11:15", drug="J9190", dose=4800, dose_unit="mg",
             discarded=0, device="portable_pump", access="port"),
    )
    assert _lines(result) == [
        ("96413", 1, ()), ("96368", 1, ()), ("96411", 1, ()), ("96415", 1, ()),
        ("96416", 1, ()),
        ("J0640", 8, ("JZ",)), ("J9190", 12, ("JZ",)), ("J9263", 320, ("JZ",)),
    ]
    assert result["findings"] == []


def test_example_j_pump_disconnect_day_bills_the_port_flush_alone() -> None:
    result = _code(
        "office",
        _adm("disconnect", "therapeutic", "iv_push", "11:00", service="flush", access="port",
             drug="J1642", dose=500, dose_unit="units"),
    )
    assert _lines(result) == [("96523", 1, ()), ("J1642", 50, ())]
    assert result["findings"] == []


def test_example_k_hepatic_artery_pump_refill_with_floxuridine() -> None:
    result = _code(
        "office",
        _adm("refill", "chemo", "ia_infusion", "10:00", service="pump_refill",
             device="implantable_pump", access="port", drug="J9200", dose=500, dose_unit="mg",
             discarded=0),
    )
    assert _lines(result) == [("96522", 1, ()), ("J9200", 1, ("JZ",))]
    assert result["findings"] == []
