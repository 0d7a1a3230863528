"""Drug-administration CPT codes (963xx/964xx/965xx) from the documented times of one visit.

Follows DOMAIN.md §1: a 15-minute-or-shorter IV "infusion" is a push; one initial service per
access, picked by the facility hierarchy (or, in the office, the administration flagged
``primary``); everything else on the access becomes a sequential, concurrent, additional-hour
or subsequent-push add-on. Every threshold and code comes from ``CodingRules``.

An access is an IV site, an intra-arterial site (96420/96422/96423, the same shape as IV with
``ia_`` roles), or the visit's subcutaneous infusion (96369 first hour with pump set-up and
sites, 96370 per further hour by the IV "more than 30 minutes" rule over the time any SC pump
ran, 96371 for each further pump set up at a new site, capped per visit). The best-ranked
access bills its initial code plain; every other access's initial carries the separate-site
modifier (CMS: one initial per encounter per distinct access).

Stand-alone services never take an initial slot: SC/IM injections and on-body injectors (no
add-on lists 96372/96401/96402 as a primary, so letting one win would leave the IV add-ons
without a valid primary), prolonged chemo pump starts (96416/96425: a pump infusion without a
stop time, or one documented longer than 8 hours), pump refills (96521/96522), and the port
flush (96523), which is billed only when no other administration happened that day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from workqueue.domain.coding.findings import make_finding
from workqueue.domain.coding.model import (
    IA_ROUTES,
    INFUSION_ROUTES,
    TIMED_ROUTES,
    AdminCode,
    Administration,
    CodingRules,
    Device,
    DrugCatalog,
    Family,
    Finding,
    Route,
    Service,
    Setting,
)

INFUSION = "infusion"
PUSH = "push"
SC_INFUSION = "sc_infusion"
SC_ACCESS = ("sc", 0)  # one SC infusion access per visit: its pumps and sites are 96371s
_REFILL_ROLES = {Device.PORTABLE_PUMP: "pump_refill_portable",
                 Device.IMPLANTABLE_PUMP: "pump_refill_implantable"}


@dataclass(frozen=True, slots=True)
class CodedService:
    """One admin code attributed to one administration, before lines are merged."""

    code: AdminCode
    units: int
    administration: str
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _IvService:
    """One timed service on an access; ``prefix`` picks the access's roles ("" IV, "ia_")."""

    adm: Administration
    mode: str
    minutes: int
    start: datetime
    end: datetime
    rank: int
    prefix: str = ""

    @property
    def access(self) -> tuple[str, int]:
        if self.mode == SC_INFUSION:
            return SC_ACCESS
        return ("ia" if self.prefix else "iv", self.adm.site)


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


def _union_minutes(intervals: list[tuple[datetime, datetime]]) -> int:
    total, end = 0, None
    for start, stop in sorted(intervals):
        if end is not None and start < end:
            start = end
        if stop > start:
            total += _minutes(start, stop)
        end = stop if end is None else max(end, stop)
    return total


def _role_words(role: str) -> str:
    return role.replace("ia_", "intra-arterial ").replace("sc_", "SC ").replace("_", " ")


def _code_for(
    rules: CodingRules, family: Family, role: str, adm_id: str, findings: list[Finding]
) -> AdminCode | None:
    """The code for a service that should bill, or None after saying the table lacks it."""
    code = rules.code_for(family, role)
    if code is None:
        findings.append(make_finding(
            rules, "no_admin_code", adm_id,
            f"the admin code table has no code for {_role_words(role)} ({family}); "
            "code this service by hand",
        ))
    return code


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


def _stop_checked(adm: Administration, rules: CodingRules, findings: list[Finding]) -> bool:
    """False (after a finding) when the documented stop comes before the start."""
    if adm.stop is None:
        return True
    if adm.stop < adm.start:
        findings.append(make_finding(
            rules, "stop_before_start", adm.id,
            f"stop {adm.stop:%Y-%m-%d %H:%M} is before start {adm.start:%Y-%m-%d %H:%M}",
        ))
        return False
    return True


def _iv_services(
    administrations: list[Administration], rules: CodingRules, findings: list[Finding]
) -> list[_IvService]:
    """Timed IV and intra-arterial services that can carry a code; records the time findings
    on the way."""
    services = []
    for adm in administrations:
        prefix = "ia_" if adm.route in IA_ROUTES else ""
        timed = adm.route in INFUSION_ROUTES or adm.kind is Family.HYDRATION
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
        elif adm.route not in INFUSION_ROUTES or minutes <= rules.push_max_minutes:
            # A push is a technique (clinician at the bedside), so a documented push stays a
            # push however long the record says it took; a short infusion becomes one.
            mode = PUSH
        else:
            mode = INFUSION
        rank = _rank(adm.kind, prefix + mode, rules)
        services.append(_IvService(adm, mode, minutes, adm.start, stop, rank, prefix))
    return services


def _is_sc_infusion(adm: Administration, rules: CodingRules) -> bool:
    """An SC administration that ran longer than an injection, in a family with SC infusion
    codes (chemo has none: a long SC chemo stays 96401/96402)."""
    return (
        adm.route is Route.SC and adm.stop is not None and adm.stop >= adm.start
        and _minutes(adm.start, adm.stop) > rules.sc_injection_max_minutes
        and rules.code_for(adm.kind, "sc_infusion_initial") is not None
    )


def _sc_service(adm: Administration, rules: CodingRules) -> _IvService:
    assert adm.stop is not None
    return _IvService(adm, SC_INFUSION, _minutes(adm.start, adm.stop), adm.start, adm.stop,
                      _rank(adm.kind, SC_INFUSION, rules))


def _pump_start(
    adm: Administration, rules: CodingRules, findings: list[Finding]
) -> CodedService | None:
    """The prolonged pump start code (96416 IV, 96425 IA) when this infusion is one.

    A pump sent home has no stop time at the visit, so none is needed; a documented stop of
    8 hours or less makes it an ordinary timed infusion (CPT's prolonged codes need more).
    Families without a pump start code (therapeutic) are coded by their minutes.
    """
    if adm.device is None or adm.route not in INFUSION_ROUTES:
        return None
    role = "ia_pump_start" if adm.route in IA_ROUTES else "pump_start"
    code = rules.code_for(adm.kind, role)
    if code is None:
        return None
    if adm.stop is not None and adm.stop >= adm.start:
        minutes = _minutes(adm.start, adm.stop)
        if minutes <= rules.prolonged_infusion_min_minutes:
            findings.append(make_finding(
                rules, "pump_infusion_not_prolonged", adm.id,
                f"the pump infusion ran {minutes} min; {code.code} needs more than "
                f"{rules.prolonged_infusion_min_minutes} min, so it is coded by its minutes",
            ))
            return None
    elif adm.stop is not None:
        return None  # stop before start: the timed path reports it
    return CodedService(code, 1, adm.id)


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
    findings: list[Finding], modifiers: tuple[str, ...] = (),
) -> list[CodedService]:
    family, adm_id, prefix = service.adm.kind, service.adm.id, service.prefix
    first = _code_for(rules, family, prefix + first_role, adm_id, findings)
    if first is None:
        return []
    coded = [CodedService(first, 1, adm_id, modifiers)]
    extra = additional_hour_units(minutes, rules)
    if extra:
        hour_code = _code_for(rules, family, prefix + "additional_hour", adm_id, findings)
        if hour_code is not None:
            coded.append(CodedService(hour_code, extra, adm_id))
    return coded


def _allowed(code: AdminCode | None, setting: Setting) -> bool:
    return code is not None and code.setting in ("any", setting)


def _code_sc_access(
    services: list[_IvService], initial: _IvService, modifiers: tuple[str, ...],
    rules: CodingRules, findings: list[Finding],
) -> list[CodedService]:
    """96369 once, 96370 by the minutes any SC pump ran, 96371 per further pump site."""
    adm_id, family = initial.adm.id, initial.adm.kind
    first = _code_for(rules, family, "sc_infusion_initial", adm_id, findings)
    if first is None:
        return []
    coded = [CodedService(first, 1, adm_id, modifiers)]
    minutes = _union_minutes([(s.start, s.end) for s in services])
    extra = additional_hour_units(minutes, rules)
    if extra:
        hour_code = _code_for(rules, family, "sc_additional_hour", adm_id, findings)
        if hour_code is not None:
            coded.append(CodedService(hour_code, extra, adm_id))
    first_of_site: dict[int, _IvService] = {}
    for service in sorted(services, key=lambda s: (s.start, s.adm.id)):
        first_of_site.setdefault(service.adm.site, service)
    further = [s for s in first_of_site.values() if s.adm.site != initial.adm.site]
    for service in further[: rules.sc_extra_setup_max_units_per_visit]:
        code = _code_for(rules, service.adm.kind, "sc_extra_setup", service.adm.id, findings)
        if code is not None:
            coded.append(CodedService(code, 1, service.adm.id))
    return coded


def _code_site(
    services: list[_IvService], initial: _IvService, modifiers: tuple[str, ...],
    setting: Setting, rules: CodingRules, findings: list[Finding],
) -> tuple[list[CodedService], list[CodedService]]:
    """Codes for one IV or intra-arterial access site; returns (codes, concurrent candidates).
    """
    coded: list[CodedService] = []
    concurrent: list[CodedService] = []
    covered: list[tuple[datetime, datetime]] = []
    last_push_of: dict[str, datetime] = {}
    prefix = initial.prefix
    if initial.mode == INFUSION:
        coded += _code_infusion_hours(
            initial, "infusion_initial", initial.minutes, rules, findings, modifiers
        )
        covered.append((initial.start, initial.end))
    else:
        code = _code_for(rules, initial.adm.kind, prefix + "push_initial", initial.adm.id,
                         findings)
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
        family, adm_id = service.adm.kind, service.adm.id
        if service.mode == PUSH:
            drug = service.adm.drug
            same_code = rules.code_for(family, prefix + "push_same_drug")
            if drug and drug in last_push_of and same_code is not None:
                gap = _minutes(last_push_of[drug], service.start)
                if gap > rules.same_drug_push_min_gap_minutes and _allowed(same_code, setting):
                    coded.append(CodedService(same_code, 1, adm_id))
            else:
                code = _code_for(rules, family, prefix + "push_additional", adm_id, findings)
                if code is not None:
                    coded.append(CodedService(code, 1, adm_id))
            if drug:
                last_push_of[drug] = service.start
            continue
        overlap = _overlap_minutes(service.start, service.end, covered)
        covered.append((service.start, service.end))
        if overlap and family is not Family.HYDRATION:
            code = _code_for(rules, family, prefix + "concurrent_infusion", adm_id, findings)
            if code is not None:
                concurrent.append(CodedService(code, 1, adm_id))
        remaining = service.minutes - overlap
        if family is Family.HYDRATION:
            if remaining >= rules.hydration_min_minutes:
                coded += _code_infusion_hours(service, "sequential_infusion", remaining, rules,
                                              findings)
        elif remaining > rules.push_max_minutes:
            coded += _code_infusion_hours(service, "sequential_infusion", remaining, rules,
                                          findings)
    return coded, concurrent


def _code_injection(
    adm: Administration, catalog: DrugCatalog, rules: CodingRules, findings: list[Finding]
) -> CodedService | None:
    if adm.route is Route.ON_BODY:
        role = "on_body"
    elif adm.kind is Family.HYDRATION:
        return None
    else:
        entry = catalog.get(adm.drug or "")
        hormonal = adm.kind is Family.CHEMO and entry is not None and entry.hormonal
        role = "injection_hormonal" if hormonal else "injection"
    code = _code_for(rules, adm.kind, role, adm.id, findings)
    return None if code is None else CodedService(code, 1, adm.id)


def _code_refill(
    adm: Administration, rules: CodingRules, findings: list[Finding]
) -> CodedService | None:
    if adm.device is None:
        findings.append(make_finding(
            rules, "no_admin_code", adm.id,
            "a pump refill is coded by the pump: record whether it is portable or implantable",
        ))
        return None
    code = _code_for(rules, adm.kind, _REFILL_ROLES[adm.device], adm.id, findings)
    return None if code is None else CodedService(code, 1, adm.id)


def _code_flushes(
    flushes: list[Administration], others: list[Administration], rules: CodingRules,
    findings: list[Finding],
) -> list[CodedService]:
    """96523 once a day for a port flush, only on a day with no other administration.

    Any other administration that day counts, billable or not: the flush of the access it
    used is part of it (DOMAIN.md §1.1, "included: flush at the end").
    """
    busy_days = {adm.start.date() for adm in others}
    billed_days = set()
    coded = []
    for adm in flushes:
        day = adm.start.date()
        if adm.access is None or adm.access not in rules.flush_billable_access:
            access = f"a {str(adm.access).replace('_', ' ')}" if adm.access else "the access"
            findings.append(make_finding(
                rules, "flush_not_billable", adm.id,
                f"flushing {access} is not billed on its own; only a flush of an implanted "
                "port is (record the access if it was a port)",
            ))
        elif day in busy_days:
            findings.append(make_finding(
                rules, "flush_bundled", adm.id,
                f"the port flush on {day:%Y-%m-%d} is included in the other services that "
                "day; it is billed only when it is the only one",
            ))
        elif day not in billed_days:
            code = _code_for(rules, adm.kind, "port_flush", adm.id, findings)
            if code is not None:
                billed_days.add(day)
                coded.append(CodedService(code, 1, adm.id))
    return coded


def code_administrations(
    administrations: tuple[Administration, ...], setting: Setting, catalog: DrugCatalog,
    rules: CodingRules, findings: list[Finding],
) -> list[CodedService]:
    """Admin codes for a visit's administrations (given in canonical order).

    Appends time and initial-service findings to ``findings``.
    """
    timed: list[Administration] = []
    sc_infusions: list[_IvService] = []
    flushes: list[Administration] = []
    others: list[Administration] = []
    standalone: list[CodedService | None] = []
    for adm in administrations:
        if adm.service is Service.FLUSH:
            flushes.append(adm)
            continue
        others.append(adm)
        if adm.service is Service.PUMP_REFILL:
            standalone.append(_code_refill(adm, rules, findings))
        elif adm.route in TIMED_ROUTES:
            pump = _pump_start(adm, rules, findings) if adm.device is not None else None
            if pump is None:
                timed.append(adm)
            else:
                standalone.append(pump)
        elif not _stop_checked(adm, rules, findings):
            continue
        elif adm.route is Route.SC and adm.stop is not None and _is_sc_infusion(adm, rules):
            sc_infusions.append(_sc_service(adm, rules))
        else:
            standalone.append(_code_injection(adm, catalog, rules, findings))
    by_access: dict[tuple[str, int], list[_IvService]] = defaultdict(list)
    for service in _iv_services(timed, rules, findings):
        by_access[service.access].append(service)
    for services in by_access.values():
        _check_overlapping_pushes(services, rules, findings)
    if sc_infusions:
        by_access[SC_ACCESS] = sc_infusions
    initials = {
        key: _pick_initial(services, setting, rules, findings)
        for key, services in by_access.items()
    }
    # The best-ranked access bills the plain initial code; every other access's initial needs
    # the separate-site modifier (CMS: one initial per encounter per distinct access). In the
    # office the one flagged as the reason for the visit goes first.
    office = setting is Setting.OFFICE
    order = sorted(initials, key=lambda key: (
        not (office and initials[key].adm.primary), initials[key].rank, initials[key].start,
        key)) if len(initials) > 1 else list(initials)

    coded: list[CodedService] = []
    concurrent: list[CodedService] = []
    for position, key in enumerate(order):
        modifiers = (rules.separate_site_modifier,) if position else ()
        if key == SC_ACCESS:
            coded += _code_sc_access(by_access[key], initials[key], modifiers, rules, findings)
            continue
        site_coded, site_concurrent = _code_site(
            by_access[key], initials[key], modifiers, setting, rules, findings
        )
        coded += site_coded
        concurrent += site_concurrent
    coded += concurrent[: rules.concurrent_max_units_per_visit]
    coded += [service for service in standalone if service is not None]
    if flushes:
        coded += _code_flushes(flushes, others, rules, findings)
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
