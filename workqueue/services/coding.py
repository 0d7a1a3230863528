"""Run the infusion coding check on stored visits, and what the visit and work-item pages show.

The drug catalog comes from the database (``services.catalog.load_drug_catalog``; the seed CSV
only while the table is empty), the rules from ``workqueue/data``. Coding a visit records
``has_coding_errors`` on it so worklists can flag it cheaply. Flushes only; the edge commits.

Once a visit has a claim, the check also holds the claim to the record: every billed line the
recomputed lines do not bear out (another code, other units or modifiers, a line the record does
not support, a recomputed line not billed) is a ``billed_lines_differ`` finding, so no page
says "Ready to bill" over a claim that bills something else.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workqueue.domain.coding import (
    CodingResult,
    CodingRules,
    DrugCatalog,
    Finding,
    InvalidVisit,
    Line,
    Severity,
    code_visit,
    parse_visit,
)
from workqueue.domain.coding.findings import make_finding
from workqueue.domain.status import WorkItemKind
from workqueue.models import (
    AuthLedgerEntry,
    Claim,
    ClaimLine,
    DenialCategory,
    InfusionVisit,
    Payer,
    WorkItem,
)
from workqueue.services.catalog import coding_rules, load_drug_catalog


def _local(value: datetime | None) -> str | None:
    # Stored times are UTC; durations and overlaps are all the rules use, so UTC wall-clock
    # minutes code exactly like local ones (a DST change mid-visit would be the only gap).
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _posted_units(session: Session, visit: InfusionVisit) -> int:
    """Units this visit already drew from its auth: added back so it is not counted twice."""
    if visit.authorization_id is None or visit.id is None:
        return 0
    return session.scalar(
        select(func.coalesce(func.sum(AuthLedgerEntry.units), 0)).where(
            AuthLedgerEntry.authorization_id == visit.authorization_id,
            AuthLedgerEntry.visit_id == visit.id,
            AuthLedgerEntry.code == visit.authorization.drug_code,
        )
    ) or 0


def visit_payer(visit: InfusionVisit) -> Payer | None:
    """The payer the visit's claim goes to: the patient's primary coverage in effect that day,
    else the coverage the authorization was given under."""
    day = visit.scheduled_date
    for coverage in sorted(visit.patient.coverages, key=lambda c: c.id):
        starts, ends = coverage.effective_from, coverage.effective_to
        if coverage.rank == 1 and (starts is None or starts <= day) and (
                ends is None or day <= ends):
            return coverage.payer
    if visit.authorization is not None:
        return visit.authorization.coverage.payer
    return None


def _optional(value) -> str | None:
    return None if value is None else str(value)


def _visit_payload(session: Session, visit: InfusionVisit) -> dict:
    auth = visit.authorization
    authorization = None
    if auth is not None and auth.units_remaining is not None:
        authorization = {"code": auth.drug_code,
                         "units_remaining": auth.units_remaining + _posted_units(session, visit)}
    payer = visit_payer(visit)
    return {
        "setting": str(visit.setting),
        "authorization": authorization,
        "payer_type": _optional(payer.payer_type) if payer else None,
        "ndc_required": payer.requires_ndc if payer else None,
        "administrations": [
            {
                "id": adm.label, "kind": adm.kind, "route": adm.route, "drug": adm.drug_code,
                "dose": float(adm.dose) if adm.dose is not None else None,
                "dose_unit": adm.dose_unit,
                "discarded": float(adm.discarded) if adm.discarded is not None else None,
                "start": _local(adm.start_at), "stop": _local(adm.stop_at),
                "site": adm.site, "primary": adm.is_primary,
                "service": _optional(adm.service), "device": _optional(adm.device),
                "access": _optional(adm.access), "ndc": adm.ndc, "drug_name": adm.drug_name,
            }
            for adm in visit.administrations
        ],
    }


def code_stored_visit(
    session: Session, visit: InfusionVisit, catalog: DrugCatalog | None = None,
    rules: CodingRules | None = None,
) -> CodingResult:
    """Code a loaded visit with the database catalog and set ``has_coding_errors``.

    A visit that cannot be coded at all is flagged too (it needs fixing before billing).

    :raise InvalidVisit: a stored administration cannot be coded (e.g. no start time).
    """
    catalog = catalog if catalog is not None else load_drug_catalog(session)
    rules = rules or coding_rules()
    try:
        result = code_visit(parse_visit(_visit_payload(session, visit)), catalog, rules)
    except InvalidVisit:
        visit.has_coding_errors = True
        session.flush()
        raise
    billed = _claim_findings(session, visit, result.lines, rules)
    if billed:
        result = replace(result, findings=result.findings + billed)
    visit.has_coding_errors = any(f.severity is Severity.ERROR for f in result.findings)
    session.flush()
    return result


def code_infusion_visit(
    session: Session, visit_id: int, catalog: DrugCatalog | None = None,
    rules: CodingRules | None = None,
) -> CodingResult:
    """Code the stored visit ``visit_id`` (see :func:`code_stored_visit`).

    :raise LookupError: no visit with that id.
    :raise InvalidVisit: a stored administration cannot be coded (e.g. no start time).
    """
    visit = session.get(InfusionVisit, visit_id)
    if visit is None:
        raise LookupError(f"infusion visit {visit_id} not found")
    return code_stored_visit(session, visit, catalog, rules)


BILLED_LINES_DIFFER = "billed_lines_differ"


def _claim_findings(session: Session, visit: InfusionVisit, lines: tuple[Line, ...],
                    rules: CodingRules) -> tuple[Finding, ...]:
    """A ``billed_lines_differ`` finding for each difference between the lines of the visit's
    claims and the lines its record codes to (one query; none when nothing is billed yet)."""
    if visit.id is None:
        return ()
    claims: dict[str, list[ClaimLine]] = {}
    for line, number in session.execute(
            select(ClaimLine, Claim.claim_number).join(Claim)
            .where(Claim.visit_id == visit.id).order_by(Claim.id, ClaimLine.line_number)):
        claims.setdefault(number, []).append(line)
    return tuple(
        make_finding(rules, BILLED_LINES_DIFFER, None, _difference(number, row))
        for number, claim_lines in claims.items()
        for row in compare_lines(lines, _billed_lines(claim_lines, None)) if row.differences)


def _described(line: Line | BilledLine) -> str:
    units = int(line.units) if line.units == int(line.units) else line.units
    return f"{line.code} × {units}" + (f" ({', '.join(line.modifiers)})"
                                       if line.modifiers else "")


def _difference(claim_number: str, row: CompareRow) -> str:
    billed, recomputed = row.billed, row.recomputed
    if billed is None:
        return (f"The infusion record supports {_described(recomputed)}, which claim "
                f"{claim_number} does not bill.")
    where = f"Claim {claim_number} line {billed.line_number} bills {_described(billed)}"
    if recomputed is None:
        return f"{where}, which the infusion record does not support."
    return f"{where}; the infusion record supports {_described(recomputed)}."


# --- what the pages show -------------------------------------------------------------------


@dataclass(frozen=True)
class CodingPanel:
    """Context of ``templates/visits/_coding_panel.html`` (pass it as ``coding``).

    ``lines``/``findings`` are the coding result; ``problems`` says why the visit could not be
    coded at all (then both are empty).
    """

    visit_id: int
    lines: tuple[Line, ...] = ()
    findings: tuple[Finding, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def has_errors(self) -> bool:
        return bool(self.problems) or any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def claim_differs(self) -> bool:
        """A claim of this visit bills lines the record does not bear out."""
        return any(f.code == BILLED_LINES_DIFFER for f in self.findings)


def coding_panel(session: Session, visit: InfusionVisit) -> CodingPanel:
    """Code ``visit`` for display; never raises for bad stored data (it becomes ``problems``)."""
    try:
        result = code_stored_visit(session, visit)
    except InvalidVisit as invalid:
        return CodingPanel(visit.id, problems=tuple(invalid.errors))
    return CodingPanel(visit.id, result.lines, result.findings)


@dataclass(frozen=True)
class BilledLine:
    line_number: int
    code: str
    units: Decimal
    modifiers: tuple[str, ...]
    is_denied: bool


@dataclass(frozen=True)
class CompareRow:
    """One recomputed line beside the claim line it was matched to (either may be None).

    ``differences`` is a subset of {"code", "units", "modifiers"}; "code" means the line has
    no counterpart on the other side at all.
    """

    recomputed: Line | None
    billed: BilledLine | None
    differences: frozenset[str]


@dataclass(frozen=True)
class CodingCompare:
    """Context of ``templates/visits/_coding_compare.html`` (pass it as ``compare``)."""

    claim_id: int
    visit_id: int | None
    rows: tuple[CompareRow, ...]
    findings: tuple[Finding, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def has_differences(self) -> bool:
        return any(row.differences for row in self.rows)


def _billed_lines(lines: list[ClaimLine], denied_line_id: int | None) -> list[BilledLine]:
    return [
        BilledLine(
            line.line_number, line.procedure_code.strip().upper(), Decimal(line.units),
            tuple(sorted(m.strip().upper() for m in (line.modifiers or "").split(",")
                         if m.strip())),
            denied_line_id is None or line.id == denied_line_id,
        )
        for line in lines
    ]


def _differences(line: Line, billed: BilledLine) -> frozenset[str]:
    found = set()
    if Decimal(line.units) != billed.units:
        found.add("units")
    if tuple(sorted(line.modifiers)) != billed.modifiers:
        found.add("modifiers")
    return frozenset(found)


def compare_lines(recomputed: tuple[Line, ...], billed: list[BilledLine]) -> list[CompareRow]:
    """Pair recomputed lines with billed ones: same code and modifiers first, then same code.

    Rows come in claim-line order, recomputed lines with no billed counterpart last.
    """
    left = list(recomputed)
    pairs: dict[int, Line] = {}
    passes = (
        lambda line, b: line.code == b.code and tuple(sorted(line.modifiers)) == b.modifiers,
        lambda line, b: line.code == b.code,
    )
    for same in passes:
        for index, b in enumerate(billed):
            if index in pairs:
                continue
            match = next((line for line in left if same(line, b)), None)
            if match is not None:
                pairs[index] = match
                left.remove(match)
    rows = [
        CompareRow(pairs[i], b, _differences(pairs[i], b)) if i in pairs
        else CompareRow(None, b, frozenset({"code"}))
        for i, b in enumerate(billed)
    ]
    rows += [CompareRow(line, None, frozenset({"code"})) for line in left]
    return rows


def coding_compare(session: Session, claim: Claim, denied_line_id: int | None) -> CodingCompare:
    """The claim's billed lines beside the lines its infusion visit codes to today."""
    billed = _billed_lines(claim.lines, denied_line_id)
    visit = session.get(InfusionVisit, claim.visit_id) if claim.visit_id else None
    if visit is None:
        rows = tuple(CompareRow(None, b, frozenset()) for b in billed)
        return CodingCompare(claim.id, None, rows, problems=(
            "No infusion visit is linked to this claim, so its lines cannot be recomputed.",))
    panel = coding_panel(session, visit)
    rows = tuple(compare_lines(panel.lines, billed))
    # This claim's differences are the table itself; its findings would say them twice.
    shown = {_difference(claim.claim_number, row) for row in rows if row.differences}
    findings = tuple(f for f in panel.findings
                     if f.code != BILLED_LINES_DIFFER or f.message not in shown)
    return CodingCompare(claim.id, visit.id, rows, findings, panel.problems)


@dataclass(frozen=True)
class ItemCoding:
    """What a work-item page includes: ``panel`` (visit items) or ``compare`` (coding denials)."""

    panel: CodingPanel | None = None
    compare: CodingCompare | None = None


def coding_view_for_item(session: Session, item: WorkItem) -> ItemCoding | None:
    """The coding partials' context for a work item, or None when they do not apply.

    Denial items whose category is ``coding`` get the compare of the claim's lines against the
    recomputed ones; any other item about an infusion visit (directly or through its claim)
    gets the visit's panel. The caller audits the item read; this adds no audit event.
    """
    denial = item.denial
    category = item.category or (denial.category if denial is not None else None)
    claim = item.claim or (denial.claim if denial is not None else None)
    if item.kind == WorkItemKind.DENIAL and category == DenialCategory.CODING and claim:
        return ItemCoding(compare=coding_compare(
            session, claim, denial.claim_line_id if denial is not None else None))
    if item.visit is not None:
        return ItemCoding(panel=coding_panel(session, item.visit))
    return None
