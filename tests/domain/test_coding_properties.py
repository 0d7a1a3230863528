"""Property tests for the infusion coding check: unit bounds from minutes, order independence."""

import math
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from workqueue.domain.coding import (
    Administration,
    Family,
    Route,
    Setting,
    Visit,
    code_visit,
    load_default_tables,
)
from workqueue.domain.coding.administration import additional_hour_units

CATALOG, RULES = load_default_tables()
OPENING = datetime(2026, 11, 2, 8, 0)
HOURLY_CODES = {"96360", "96361", "96365", "96366", "96367", "96413", "96415", "96417"}
DRUGS = [None, "J9999", "J1756", "J1745", "J9312", "J2405", "J1100", "J2506", "J1569", "J9217"]


@st.composite
def administrations(draw: st.DrawFn, adm_id: str) -> Administration:
    kind = draw(st.sampled_from(list(Family)))
    routes = [Route.IV_INFUSION] if kind is Family.HYDRATION else list(Route)
    route = draw(st.sampled_from(routes))
    start = OPENING + timedelta(minutes=draw(st.integers(0, 480)))
    length = draw(st.one_of(st.none(), st.integers(-20, 400)))
    dose = draw(st.one_of(st.none(), st.integers(0, 2000).map(Decimal)))
    return Administration(
        id=adm_id, kind=kind, route=route, start=start,
        stop=None if length is None else start + timedelta(minutes=length),
        drug=draw(st.sampled_from(DRUGS)), dose=dose,
        dose_unit=draw(st.sampled_from(["mg", "g", "ml"])) if dose is not None else None,
        discarded=draw(st.one_of(st.none(), st.integers(0, 300).map(Decimal))),
        site=draw(st.integers(1, 2)), primary=draw(st.booleans()),
    )


@st.composite
def visits(draw: st.DrawFn) -> Visit:
    count = draw(st.integers(0, 7))
    return Visit(
        setting=draw(st.sampled_from(list(Setting))),
        administrations=tuple(draw(administrations(f"a{index}")) for index in range(count)),
    )


def _minutes(adm: Administration) -> int | None:
    if adm.stop is None or adm.stop < adm.start:
        return None
    return int((adm.stop - adm.start).total_seconds() // 60)


def _hourly_units_allowed(adm: Administration) -> int:
    """What the documented minutes of one administration can support in hourly codes."""
    minutes = _minutes(adm)
    if adm.route is not Route.IV_INFUSION or minutes is None:
        return 0
    if minutes <= RULES.push_max_minutes:
        return 0
    return 1 + additional_hour_units(minutes, RULES)


@settings(max_examples=300, deadline=None)
@given(visits())
def test_hourly_units_never_exceed_what_the_minutes_allow(visit: Visit) -> None:
    result = code_visit(visit, CATALOG, RULES)
    billed = sum(line.units for line in result.lines if line.code in HOURLY_CODES)
    assert billed <= sum(_hourly_units_allowed(adm) for adm in visit.administrations)


@settings(max_examples=300, deadline=None)
@given(visits())
def test_total_admin_units_never_exceed_one_per_service_plus_hours(visit: Visit) -> None:
    result = code_visit(visit, CATALOG, RULES)
    admin_units = sum(line.units for line in result.lines if line.code[0].isdigit())
    allowed = sum(max(1, _hourly_units_allowed(adm)) for adm in visit.administrations)
    # The concurrent code is the one unit not tied to an administration's own minutes.
    assert admin_units <= allowed + RULES.concurrent_max_units_per_visit
    concurrent = sum(line.units for line in result.lines if line.code == "96368")
    assert concurrent <= RULES.concurrent_max_units_per_visit


@settings(max_examples=300, deadline=None)
@given(visits())
def test_one_unmodified_initial_service_per_visit(visit: Visit) -> None:
    result = code_visit(visit, CATALOG, RULES)
    initials = {"96360", "96365", "96374", "96409", "96413"}
    plain = [line for line in result.lines if line.code in initials and not line.modifiers]
    assert sum(line.units for line in plain) <= 1


@settings(max_examples=300, deadline=None)
@given(visits())
def test_drug_units_never_exceed_the_amount_opened(visit: Visit) -> None:
    result = code_visit(visit, CATALOG, RULES)
    for code in {line.code for line in result.lines if not line.code[0].isdigit()}:
        entry = CATALOG[code]
        billed = sum(line.units for line in result.lines if line.code == code)
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
    reordered = Visit(visit.setting, tuple(shuffled), visit.authorization)
    assert code_visit(reordered, CATALOG, RULES) == code_visit(visit, CATALOG, RULES)
