"""Property tests for the infusion coding check: unit bounds from minutes, order independence.

The generated visits cover every route (IV, SC, IM, on-body, intra-arterial), pump starts and
refills, port flushes (some crossing midnight), NDCs good and bad, unclassified codes and
payers that do or do not require NDCs.
"""

import math
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from workqueue.domain.coding import (
    Access,
    Administration,
    Device,
    Family,
    Route,
    Service,
    Setting,
    Visit,
    code_visit,
    load_default_tables,
)
from workqueue.domain.coding.administration import additional_hour_units
from workqueue.domain.coding.tables import NDC_UNITS

CATALOG, RULES = load_default_tables()
OPENING = datetime(2026, 11, 2, 8, 0)
HOURLY_CODES = {"96360", "96361", "96365", "96366", "96367", "96413", "96415", "96417",
                "96422", "96423"}
SC_CODES = {"96369", "96370"}
INITIAL_CODES = {"96360", "96365", "96369", "96373", "96374", "96409", "96413", "96420",
                 "96422"}
DRUGS = [None, "J9999", "J3490", "J1756", "J1745", "J9312", "J2405", "J1100", "J2506",
         "J1569", "J9217", "J1559", "J9190", "J2350"]
NDCS = [None, None, "50242-150-01", "0002-7597-01", "0002759701", "12345", "60575-4112-1"]
TIMED_ROUTES = {Route.IV_INFUSION, Route.IA_INFUSION}


@st.composite
def administrations(draw: st.DrawFn, adm_id: str) -> Administration:
    kind = draw(st.sampled_from(list(Family)))
    routes = [Route.IV_INFUSION] if kind is Family.HYDRATION else list(Route)
    route = draw(st.sampled_from(routes))
    # Up to 20 hours in: some visits cross midnight, so flushes land on two dates.
    start = OPENING + timedelta(minutes=draw(st.integers(0, 1200)))
    length = draw(st.one_of(st.none(), st.integers(-20, 600)))
    dose = draw(st.one_of(st.none(), st.integers(0, 2000).map(Decimal)))
    service = draw(st.sampled_from([Service.ADMINISTRATION] * 4 + list(Service)))
    device = draw(st.one_of(st.none(), st.sampled_from(list(Device))))
    if service is Service.PUMP_REFILL and device is None:
        device = Device.PORTABLE_PUMP  # the contract requires it
    return Administration(
        id=adm_id, kind=kind, route=route, start=start,
        stop=None if length is None else start + timedelta(minutes=length),
        drug=draw(st.sampled_from(DRUGS)), dose=dose,
        dose_unit=draw(st.sampled_from(["mg", "g", "ml"])) if dose is not None else None,
        discarded=draw(st.one_of(st.none(), st.integers(0, 300).map(Decimal))),
        site=draw(st.integers(1, 3)), primary=draw(st.booleans()),
        ndc=draw(st.sampled_from(NDCS)),
        drug_name=draw(st.sampled_from([None, "iron sucrose", "famotidine"])),
        service=service, device=device,
        access=draw(st.one_of(st.none(), st.sampled_from(list(Access)))),
    )


@st.composite
def visits(draw: st.DrawFn) -> Visit:
    count = draw(st.integers(0, 7))
    return Visit(
        setting=draw(st.sampled_from(list(Setting))),
        administrations=tuple(draw(administrations(f"a{index}")) for index in range(count)),
        payer_type=draw(st.sampled_from([None, "medicaid", "commercial"])),
        ndc_required=draw(st.sampled_from([None, True, False])),
    )


def _minutes(adm: Administration) -> int | None:
    if adm.stop is None or adm.stop < adm.start:
        return None
    return int((adm.stop - adm.start).total_seconds() // 60)


def _hourly_units_allowed(adm: Administration) -> int:
    """What the documented minutes of one IV or intra-arterial infusion can support in hourly
    codes."""
    minutes = _minutes(adm)
    if adm.service is not Service.ADMINISTRATION or adm.route not in TIMED_ROUTES:
        return 0
    if minutes is None or minutes <= RULES.push_max_minutes:
        return 0
    return 1 + additional_hour_units(minutes, RULES)


def _sc_infusions(visit: Visit) -> list[Administration]:
    return [adm for adm in visit.administrations
            if adm.service is Service.ADMINISTRATION and adm.route is Route.SC
            and (_minutes(adm) or 0) > RULES.sc_injection_max_minutes]


def _sc_units_allowed(visit: Visit) -> int:
    """96369 once plus 96370 for the minutes any SC pump ran (the union, not the sum)."""
    sc = _sc_infusions(visit)
    if not sc:
        return 0
    covered: set[datetime] = set()
    for adm in sc:
        assert adm.stop is not None
        covered |= {adm.start + timedelta(minutes=m) for m in range(_minutes(adm) or 0)}
    return 1 + additional_hour_units(len(covered), RULES)


@settings(max_examples=300, deadline=None)
@given(visits())
def test_hourly_units_never_exceed_what_the_minutes_allow(visit: Visit) -> None:
    result = code_visit(visit, CATALOG, RULES)
    billed = sum(line.units for line in result.lines if line.code in HOURLY_CODES)
    assert billed <= sum(_hourly_units_allowed(adm) for adm in visit.administrations)
    sc_billed = sum(line.units for line in result.lines if line.code in SC_CODES)
    assert sc_billed <= _sc_units_allowed(visit)


@settings(max_examples=300, deadline=None)
@given(visits())
def test_total_admin_units_never_exceed_one_per_service_plus_hours(visit: Visit) -> None:
    result = code_visit(visit, CATALOG, RULES)
    admin_units = sum(line.units for line in result.lines if line.code[0].isdigit())
    sc = _sc_infusions(visit)
    allowed = sum(max(1, _hourly_units_allowed(adm)) for adm in visit.administrations
                  if adm not in sc)
    allowed += _sc_units_allowed(visit) + RULES.sc_extra_setup_max_units_per_visit
    # The concurrent code is the one unit not tied to an administration's own minutes.
    assert admin_units <= allowed + RULES.concurrent_max_units_per_visit
    concurrent = sum(line.units for line in result.lines if line.code == "96368")
    assert concurrent <= RULES.concurrent_max_units_per_visit
    extra_setups = sum(line.units for line in result.lines if line.code == "96371")
    assert extra_setups <= RULES.sc_extra_setup_max_units_per_visit


@settings(max_examples=300, deadline=None)
@given(visits())
def test_one_unmodified_initial_service_per_visit(visit: Visit) -> None:
    result = code_visit(visit, CATALOG, RULES)
    plain = [line for line in result.lines if line.code in INITIAL_CODES and not line.modifiers]
    assert sum(line.units for line in plain) <= 1


@settings(max_examples=300, deadline=None)
@given(visits())
def test_port_flush_is_billed_only_on_a_day_with_nothing_else(visit: Visit) -> None:
    result = code_visit(visit, CATALOG, RULES)
    flush_days = {adm.start.date() for adm in visit.administrations
                  if adm.service is Service.FLUSH and adm.access is Access.PORT}
    busy_days = {adm.start.date() for adm in visit.administrations
                 if adm.service is not Service.FLUSH}
    billed = sum(line.units for line in result.lines if line.code == "96523")
    assert billed <= len(flush_days - busy_days)


@settings(max_examples=300, deadline=None)
@given(visits())
def test_ndc_lines_carry_11_digits_and_a_positive_quantity(visit: Visit) -> None:
    result = code_visit(visit, CATALOG, RULES)
    for line in result.lines:
        if line.code[0].isdigit():
            assert (line.ndc, line.ndc_quantity, line.ndc_unit, line.narrative) == (
                None, None, None, None)
            continue
        if line.ndc is not None:
            assert len(line.ndc) == 11 and line.ndc.isdigit()
        if line.ndc_unit is not None:
            assert line.ndc_unit in NDC_UNITS
            assert line.ndc_quantity is not None and line.ndc_quantity > 0


@settings(max_examples=300, deadline=None)
@given(visits())
def test_drug_units_never_exceed_the_amount_opened(visit: Visit) -> None:
    result = code_visit(visit, CATALOG, RULES)
    for code in {line.code for line in result.lines if not line.code[0].isdigit()}:
        entry = CATALOG[code]
        billed = sum(line.units for line in result.lines if line.code == code)
        if code in RULES.unclassified_drug_codes:  # one unit per administration
            assert billed <= sum(1 for adm in visit.administrations if adm.drug == code)
            continue
        opened = 0
        for adm in visit.administrations:
            if adm.drug != code or not adm.dose:
                continue
            factor = RULES.dose_units[adm.dose_unit or ""][1] / RULES.dose_units[entry.unit][1]
            waste = adm.discarded if entry.single_dose and adm.discarded else 0
            opened += max(1, math.ceil((adm.dose + waste) * factor / entry.unit_size))
        assert 0 < billed <= opened


@settings(max_examples=300, deadline=None)
@given(visits(), st.randoms(use_true_random=False))
def test_reordering_administrations_never_changes_the_output(visit: Visit, rnd) -> None:
    shuffled = list(visit.administrations)
    rnd.shuffle(shuffled)
    reordered = replace(visit, administrations=tuple(shuffled))
    assert code_visit(reordered, CATALOG, RULES) == code_visit(visit, CATALOG, RULES)
