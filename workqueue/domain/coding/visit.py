"""Code one infusion visit: the entry point that ties admin codes, drug lines and findings.

Output is deterministic: administrations are put in a canonical order first and lines and
findings are sorted, so the order of the input never shows in the result.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal

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
    # Ids are unique, so the fields after it only matter if that check is ever relaxed.
    return (adm.start, adm.stop or datetime.max, adm.site, adm.id)


def _admin_lines(coded: list[CodedService]) -> list[Line]:
    units: Counter[tuple[str, tuple[str, ...]]] = Counter()
    order: dict[str, int] = {}
    for service in coded:
        units[(service.code.code, service.modifiers)] += service.units
        order[service.code.code] = _KIND_ORDER.get(service.code.kind, 3)
    keys = sorted(units, key=lambda key: (order[key[0]], key))
    return [Line(code, units[(code, mods)], mods) for code, mods in keys]


def _drug_lines(services: list[DrugService]) -> list[Line]:
    """One line per code, modifiers, NDC and narrative; units and NDC quantities add up (a
    quantity that is unknown for one part is unknown for the line)."""
    units: dict[tuple, int] = {}
    quantities: dict[tuple, Decimal | None] = {}
    for service in services:
        key = (service.code, service.modifiers, service.ndc or "", service.ndc_unit or "",
               service.narrative or "")
        units[key] = units.get(key, 0) + service.units
        before = quantities.get(key, Decimal(0))
        quantity = service.ndc_quantity
        quantities[key] = None if before is None or quantity is None else before + quantity
    lines = []
    for key in sorted(units):
        code, modifiers, ndc, ndc_unit, narrative = key
        quantity = quantities[key] if ndc_unit else None
        lines.append(Line(code, units[key], modifiers, ndc or None, quantity, ndc_unit or None,
                          narrative or None))
    return lines


def ndc_required(visit: Visit, rules: CodingRules) -> bool:
    """The payer's own flag when given; otherwise whether its type requires NDCs."""
    if visit.ndc_required is not None:
        return visit.ndc_required
    return visit.payer_type in rules.ndc_required_payer_types


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
    drugs = code_drugs(administrations, catalog, rules, findings,
                       ndc_required=ndc_required(visit, rules))
    if visit.authorization is not None:
        check_authorization(
            drugs, visit.authorization.code, visit.authorization.units_remaining, rules,
            findings,
        )
    lines = tuple(_admin_lines(coded) + _drug_lines(drugs))
    return CodingResult(lines=lines, findings=sort_findings(findings))
