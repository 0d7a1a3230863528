"""Drug-administration CPT codes (963xx/964xx) from the documented times of one visit.

Follows DOMAIN.md §1: a 15-minute-or-shorter IV "infusion" is a push; one initial service per
vascular access site, picked by the facility hierarchy (or, in the office, the administration
flagged ``primary``); everything else on the site becomes a sequential, concurrent,
additional-hour or subsequent-push add-on. Every threshold and code comes from ``CodingRules``.

SC/IM injections and on-body injectors are stand-alone codes billed once each: they never take
the IV initial slot. CPT's facility list does rank injections between pushes and hydration, but
no add-on code lists 96372/96401/96402 as an allowed primary, so letting an injection win would
always leave the IV add-ons without a valid primary.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from workqueue.domain.coding.findings import make_finding
from workqueue.domain.coding.model import (
    IV_ROUTES,
    AdminCode,
    Administration,
    CodingRules,
    DrugCatalog,
    Family,
    Finding,
    Route,
    Setting,
)

INFUSION = "infusion"
PUSH = "push"


@dataclass(frozen=True, slots=True)
class CodedService:
    """One admin code attributed to one administration, before lines are merged."""

    code: AdminCode
    units: int
    administration: str
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _IvService:
    adm: Administration
    mode: str
    minutes: int
    start: datetime
    end: datetime
    rank: int


def additional_hour_units(minutes: int, rules: CodingRules) -> int:
    """Units of an 'each additional hour' code for an infusion lasting ``minutes``.

    Each unit needs more than the threshold (30 min) past the last full hour:
    90 -> 0, 91 -> 1, 150 -> 1, 151 -> 2 (DOMAIN.md §1.4).
    """
    extra = minutes - rules.first_hour_minutes
    if extra <= rules.additional_hour_threshold_minutes:
        return 0
    hours, rest = divmod(extra, 60)
    return hours + (1 if rest > rules.additional_hour_threshold_minutes else 0)


def _minutes(start: datetime, stop: datetime) -> int:
    return int((stop - start).total_seconds() // 60)


def _rank(family: Family, mode: str, rules: CodingRules) -> int:
    try:
        return rules.facility_hierarchy.index((family, mode))
    except ValueError:
        return len(rules.facility_hierarchy)


def _overlap_minutes(
    start: datetime, end: datetime, covered: list[tuple[datetime, datetime]]
) -> int:
    """Minutes of [start, end) already covered by the union of ``covered`` intervals."""
    total = 0
    cursor = start
    for c_start, c_end in sorted(covered):
        lo = max(c_start, cursor)
        hi = min(c_end, end)
        if hi > lo:
            total += _minutes(lo, hi)
            cursor = hi
    return total


def _iv_services(
    administrations: tuple[Administration, ...], rules: CodingRules, findings: list[Finding]
) -> list[_IvService]:
    """Timed IV services that can carry a code; records the time findings on the way."""
    services = []
    for adm in administrations:
        if adm.route not in IV_ROUTES:
            continue
        timed = adm.route is Route.IV_INFUSION or adm.kind is Family.HYDRATION
        if adm.stop is None:
            if timed:
                findings.append(make_finding(
                    rules, "missing_stop_time", adm.id,
                    f"{adm.route} started {adm.start:%H:%M} has no stop time; "
                    "time-based codes cannot be supported",
                ))
                continue
            stop = adm.start
        else:
            stop = adm.stop
        if stop < adm.start:
            findings.append(make_finding(
                rules, "stop_before_start", adm.id,
                f"stop {stop:%Y-%m-%d %H:%M} is before start {adm.start:%Y-%m-%d %H:%M}",
            ))
            continue
        minutes = _minutes(adm.start, stop)
        if adm.kind is Family.HYDRATION:
            if minutes < rules.hydration_min_minutes:
                findings.append(make_finding(
                    rules, "hydration_too_short", adm.id,
                    f"hydration ran {minutes} min; at least {rules.hydration_min_minutes} "
                    "min are needed before it can be billed",
                ))
                continue
            mode = INFUSION
        elif adm.route is Route.IV_PUSH or minutes <= rules.push_max_minutes:
            # A push is a technique (clinician at the bedside), so a documented push stays a
            # push however long the record says it took; a short infusion becomes one.
            mode = PUSH
        else:
            mode = INFUSION
        services.append(
            _IvService(adm, mode, minutes, adm.start, stop, _rank(adm.kind, mode, rules))
        )
    return services


def _check_overlapping_pushes(
    services: list[_IvService], rules: CodingRules, findings: list[Finding]
) -> None:
    """A push means the clinician stays with the patient, so two at once on a site is suspect."""
    pushes = sorted(
        (s for s in services if s.mode == PUSH), key=lambda s: (s.start, s.end, s.adm.id)
    )
    for index, later in enumerate(pushes):
        for earlier in pushes[:index]:
            same_moment = earlier.start == later.start
            if same_moment or (later.start < earlier.end and earlier.start < later.end):
                findings.append(make_finding(
                    rules, "overlapping_pushes", later.adm.id,
                    f"push overlaps push {earlier.adm.id} on site {later.adm.site}; "
                    "document start and stop of each push",
                ))
                break


def _pick_initial(
    services: list[_IvService], setting: Setting, rules: CodingRules, findings: list[Finding]
) -> _IvService:
    flagged = [s for s in services if s.adm.primary]
    pool = flagged if setting is Setting.OFFICE and flagged else services
    initial = min(pool, key=lambda s: (s.rank, s.start, s.adm.id))
    for other in flagged:
        if other is not initial and len(flagged) > 1:
            findings.append(make_finding(
                rules, "second_initial_without_separate_site", other.adm.id,
                f"marked primary, but {initial.adm.id} already holds the initial service on "
                f"site {other.adm.site}; a second initial needs a separate access site",
            ))
    return initial


def _code_infusion_hours(
    service: _IvService, first_role: str, minutes: int, rules: CodingRules,
    modifiers: tuple[str, ...] = (),
) -> list[CodedService]:
    family = service.adm.kind
    coded = []
    first = rules.code_for(family, first_role)
    if first is not None:
        coded.append(CodedService(first, 1, service.adm.id, modifiers))
    extra = additional_hour_units(minutes, rules)
    hour_code = rules.code_for(family, "additional_hour")
    if extra and hour_code is not None:
        coded.append(CodedService(hour_code, extra, service.adm.id))
    return coded


def _allowed(code: AdminCode | None, setting: Setting) -> bool:
    return code is not None and code.setting in ("any", setting)


def _code_site(
    services: list[_IvService], initial: _IvService, modifiers: tuple[str, ...],
    setting: Setting, rules: CodingRules,
) -> tuple[list[CodedService], list[CodedService]]:
    """Codes for one access site; returns (codes, concurrent candidates)."""
    coded: list[CodedService] = []
    concurrent: list[CodedService] = []
    covered: list[tuple[datetime, datetime]] = []
    last_push_of: dict[str, datetime] = {}
    if initial.mode == INFUSION:
        coded += _code_infusion_hours(
            initial, "infusion_initial", initial.minutes, rules, modifiers
        )
        covered.append((initial.start, initial.end))
    else:
        code = rules.code_for(initial.adm.kind, "push_initial")
        if code is not None:
            coded.append(CodedService(code, 1, initial.adm.id, modifiers))
        if initial.adm.drug:
            last_push_of[initial.adm.drug] = initial.start
    # Higher-ranked services claim overlapping time first, so hydration running beside a drug
    # infusion is the one that turns concurrent (and unbillable), never the drug.
    others = sorted(
        (s for s in services if s is not initial), key=lambda s: (s.rank, s.start, s.adm.id)
    )
    for service in others:
        family = service.adm.kind
        if service.mode == PUSH:
            drug = service.adm.drug
            same_code = rules.code_for(family, "push_same_drug")
            if drug and drug in last_push_of and same_code is not None:
                gap = _minutes(last_push_of[drug], service.start)
                if gap > rules.same_drug_push_min_gap_minutes and _allowed(same_code, setting):
                    coded.append(CodedService(same_code, 1, service.adm.id))
            else:
                code = rules.code_for(family, "push_additional")
                if code is not None:
                    coded.append(CodedService(code, 1, service.adm.id))
            if drug:
                last_push_of[drug] = service.start
            continue
        overlap = _overlap_minutes(service.start, service.end, covered)
        covered.append((service.start, service.end))
        if overlap and family is not Family.HYDRATION:
            code = rules.code_for(family, "concurrent_infusion")
            if code is not None:
                concurrent.append(CodedService(code, 1, service.adm.id))
        remaining = service.minutes - overlap
        if family is Family.HYDRATION:
            if remaining >= rules.hydration_min_minutes:
                coded += _code_infusion_hours(service, "sequential_infusion", remaining, rules)
        elif remaining > rules.push_max_minutes:
            coded += _code_infusion_hours(service, "sequential_infusion", remaining, rules)
    return coded, concurrent


def _code_injections(
    administrations: tuple[Administration, ...], catalog: DrugCatalog, rules: CodingRules
) -> list[CodedService]:
    coded = []
    for adm in administrations:
        if adm.route is Route.ON_BODY:
            role = "on_body"
        elif adm.route in (Route.SC, Route.IM) and adm.kind is not Family.HYDRATION:
            entry = catalog.get(adm.drug or "")
            hormonal = adm.kind is Family.CHEMO and entry is not None and entry.hormonal
            role = "injection_hormonal" if hormonal else "injection"
        else:
            continue
        code = rules.code_for(adm.kind, role)
        if code is not None:
            coded.append(CodedService(code, 1, adm.id))
    return coded


def code_administrations(
    administrations: tuple[Administration, ...], setting: Setting, catalog: DrugCatalog,
    rules: CodingRules, findings: list[Finding],
) -> list[CodedService]:
    """Admin codes for a visit's administrations (given in canonical order).

    Appends time and initial-service findings to ``findings``.
    """
    by_site: dict[int, list[_IvService]] = defaultdict(list)
    for service in _iv_services(administrations, rules, findings):
        by_site[service.adm.site].append(service)
    for services in by_site.values():
        _check_overlapping_pushes(services, rules, findings)
    initials = {
        site: _pick_initial(services, setting, rules, findings)
        for site, services in by_site.items()
    }
    # The best-ranked site bills the plain initial code; every other site's initial needs the
    # separate-site modifier (CMS: one initial per encounter per distinct vascular access).
    site_order = sorted(initials, key=lambda s: (initials[s].rank, initials[s].start, s))
    coded: list[CodedService] = []
    concurrent: list[CodedService] = []
    for position, site in enumerate(site_order):
        modifiers = (rules.separate_site_modifier,) if position else ()
        site_coded, site_concurrent = _code_site(
            by_site[site], initials[site], modifiers, setting, rules
        )
        coded += site_coded
        concurrent += site_concurrent
    coded += concurrent[: rules.concurrent_max_units_per_visit]
    coded += _code_injections(administrations, catalog, rules)
    return coded


def check_add_on_primaries(
    coded: list[CodedService], rules: CodingRules, findings: list[Finding]
) -> None:
    """Flag add-on codes whose required primary code is not on the visit (CARC B15)."""
    present = {service.code.code for service in coded}
    for service in coded:
        code = service.code
        if code.kind == "add_on" and code.primaries and not code.primaries & present:
            findings.append(make_finding(
                rules, "add_on_without_primary", service.administration,
                f"add-on {code.code} needs one of {', '.join(sorted(code.primaries))} "
                "on the same claim",
            ))
