"""Code one infusion visit: the entry point that ties admin codes, drug lines and findings.

Output is deterministic: administrations are put in a canonical order first and lines and
findings are sorted, so the order of the input never shows in the result.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from workqueue.domain.coding.administration import (
    CodedService,
    check_add_on_primaries,
    code_administrations,
)
from workqueue.domain.coding.drugs import DrugService, check_authorization, code_drugs
from workqueue.domain.coding.findings import sort_findings
from workqueue.domain.coding.model import (
    Administration,
    CodingResult,
    CodingRules,
    DrugCatalog,
    Finding,
    InvalidVisit,
    Line,
    Visit,
)

_KIND_ORDER = {"initial": 0, "add_on": 1, "standalone": 2}


def _canonical_key(adm: Administration) -> tuple:
    return (
        adm.start, adm.stop or datetime.max, adm.site, adm.id, adm.kind, adm.route,
        adm.drug or "", adm.dose or 0, adm.dose_unit or "", adm.discarded or 0, adm.primary,
    )


def _admin_lines(coded: list[CodedService]) -> list[Line]:
    units: Counter[tuple[str, tuple[str, ...]]] = Counter()
    order: dict[str, int] = {}
    for service in coded:
        units[(service.code.code, service.modifiers)] += service.units
        order[service.code.code] = _KIND_ORDER.get(service.code.kind, 3)
    keys = sorted(units, key=lambda key: (order[key[0]], key))
    return [Line(code, units[(code, mods)], mods) for code, mods in keys]


def _drug_lines(services: list[DrugService]) -> list[Line]:
    units: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for service in services:
        units[(service.code, service.modifiers)] += service.units
    return [Line(code, units[(code, mods)], mods) for code, mods in sorted(units)]


def code_visit(visit: Visit, catalog: DrugCatalog, rules: CodingRules) -> CodingResult:
    """Billable admin and drug lines for one visit, plus the findings that would deny it.

    :raise InvalidVisit: two administrations share an id (findings could not name them).
    """
    ids = Counter(adm.id for adm in visit.administrations)
    duplicates = sorted(adm_id for adm_id, count in ids.items() if count > 1)
    if duplicates:
        raise InvalidVisit([f"administration id {adm_id!r} is used more than once"
                            for adm_id in duplicates])
    administrations = tuple(sorted(visit.administrations, key=_canonical_key))
    findings: list[Finding] = []
    coded = code_administrations(administrations, visit.setting, catalog, rules, findings)
    check_add_on_primaries(coded, rules, findings)
    drugs = code_drugs(administrations, catalog, rules, findings)
    if visit.authorization is not None:
        check_authorization(
            drugs, visit.authorization.code, visit.authorization.units_remaining, rules,
            findings,
        )
    lines = tuple(_admin_lines(coded) + _drug_lines(drugs))
    return CodingResult(lines=lines, findings=sort_findings(findings))
