"""Re-coding open infusion visits after a drug-catalog change, so stored coding flags stay true.

``InfusionVisit.has_coding_errors`` is what the worklist's "coding errors only" filter and the
work-item rows read (work items store no flag of their own: they reach it through their
visit). Coding a visit refreshes it; a catalog edit changes the answer for every visit that
uses the edited code, so :func:`request_recode` asks for a background job (``jobs.recoding``)
and :func:`recode_open_visits` re-codes those visits in batches. Progress and the last result
are kept per code in a ``SweepRun`` row (the operations page lists them; the catalog page
shows the running ones). Functions flush; the edge commits (or ``checkpoint`` does, per batch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import exists, func, not_, or_, select
from sqlalchemy.orm import Session, selectinload

from workqueue.domain.coding import InvalidVisit
from workqueue.domain.errors import NotFound, ValidationFailed
from workqueue.domain.identifiers import is_valid_hcpcs
from workqueue.models import (
    Administration,
    AuditEvent,
    Authorization,
    Claim,
    ClaimStatus,
    Coverage,
    DrugCatalogEntry,
    InfusionVisit,
    Patient,
    SweepRun,
    VisitStatus,
    WorkItem,
)
from workqueue.services import audit
from workqueue.services.audit import Actor
from workqueue.services.catalog import coding_rules, default_tables, load_drug_catalog
from workqueue.services.coding import code_stored_visit
from workqueue.services.outbox import record_sweep_run

ALL_CODES = "all"  # the job argument for "every open visit" (no HCPCS code looks like it)
BATCH_SIZE = 200
SWEEP_PREFIX = "recode-visits-"


def _code_condition(code: str | None):
    if code is None:
        return InfusionVisit.id.isnot(None)
    # Stored codes are upper-cased when typed, but the coding check strips and upper-cases
    # again, so match the way it reads them.
    return exists().where(Administration.visit_id == InfusionVisit.id,
                          func.upper(func.trim(Administration.drug_code)) == code)


def open_visit_conditions() -> list:
    """A visit is open while its coding still matters: not cancelled, and still scheduled, or
    no claim for it has gone out (none, or drafts only), or a work item about it is open."""
    claim_out = exists().where(Claim.visit_id == InfusionVisit.id,
                               Claim.status != ClaimStatus.DRAFT)
    open_item = exists().where(WorkItem.visit_id == InfusionVisit.id, WorkItem.is_open)
    return [
        InfusionVisit.status != VisitStatus.CANCELLED,
        or_(InfusionVisit.status == VisitStatus.SCHEDULED, not_(claim_out), open_item),
    ]


def affected_visits_count(session: Session, code: str | None) -> int:
    """Open visits that use ``code`` (every open visit when ``code`` is None)."""
    return session.scalar(select(func.count()).select_from(InfusionVisit).where(
        *open_visit_conditions(), _code_condition(code))) or 0


def require_known_code(session: Session, code: str) -> str:
    """``code`` normalized, when re-coding it means something: it is in the catalog (active or
    not, or in the seed file while the table is empty) or an administration uses it.

    :raise ValidationFailed: not shaped like a HCPCS Level II code.
    :raise NotFound: neither in the catalog nor used by any visit.
    """
    hcpcs = code.strip().upper()
    if not is_valid_hcpcs(hcpcs):
        raise ValidationFailed(f"{code!r} is not a HCPCS Level II code (a letter A-V then "
                               "four digits, e.g. J9312).", {"code": "bad shape"})
    in_table = session.scalar(select(exists().where(DrugCatalogEntry.hcpcs == hcpcs)))
    table_empty = not session.scalar(select(exists().select_from(DrugCatalogEntry)))
    in_seed = table_empty and hcpcs in default_tables()[0]
    used = session.scalar(select(exists().where(
        func.upper(func.trim(Administration.drug_code)) == hcpcs)))
    if not (in_table or in_seed or used):
        raise NotFound(f"{hcpcs} is not in the drug catalog and no visit uses it.")
    return hcpcs


@dataclass
class RecodeResult:
    """What one re-coding run did (counts only: it goes into job results and audit context)."""

    code: str  # a HCPCS code, or ``ALL_CODES``
    visits: int = 0  # open visits that use the code when the run started
    recoded: int = 0
    flags_set: int = 0  # visits that now have coding errors and did not before
    flags_cleared: int = 0
    not_codable: int = 0  # stored records the check cannot code at all (flagged)

    @property
    def flags_changed(self) -> int:
        return self.flags_set + self.flags_cleared

    def as_dict(self) -> dict:
        return asdict(self) | {"flags_changed": self.flags_changed}


def sweep_name(code: str | None) -> str:
    return SWEEP_PREFIX + (code or ALL_CODES)


def _record_progress(session: Session, result: RecodeResult, state: str, started: datetime,
                     now: datetime) -> None:
    record_sweep_run(session, SWEEP_PREFIX + result.code, started, now,
                     {"state": state, **result.as_dict()}, finished_run=state == "done")


def request_recode(session: Session, codes: list[str | None], change_event_id: int,
                   now: datetime) -> int:
    """Ask for the open visits using each of ``codes`` (None: every open visit) to be
    re-coded in the background once the caller commits; returns how many visits that is.

    ``change_event_id`` is the audit event of the catalog change: the job's id names it (so
    a second edit while a re-code runs gets a job of its own) and the job audits as the user
    who made the change.
    """
    from workqueue.jobs import defer
    from workqueue.jobs.recoding import recode_visits

    total = 0
    for code in dict.fromkeys(codes):  # a rename to itself is one code
        count = affected_visits_count(session, code)
        total += count
        _record_progress(session, RecodeResult(code or ALL_CODES, visits=count), "queued",
                         now, now)
        defer(session, recode_visits, code or ALL_CODES, change_event_id)
    return total


def actor_of_change(session: Session, change_event_id: int) -> Actor:
    """Who made the catalog change, acting through a job (the system if unknown)."""
    event = session.get(AuditEvent, change_event_id) if change_event_id else None
    if event is None:
        return Actor.system("job")
    return Actor(event.user_id, event.role, "job")


def _batch_ids(session: Session, code: str | None, after: int, size: int) -> list[int]:
    # Lock the batch's visits (PostgreSQL) before reading the catalog: a re-code started for an
    # older edit waits here for a newer one's batch and then reads the newer catalog, so the
    # last writer of a flag always coded it with the latest catalog. SQLite transactions are
    # serialized anyway (BEGIN IMMEDIATE).
    return list(session.scalars(
        select(InfusionVisit.id)
        .where(InfusionVisit.id > after, *open_visit_conditions(), _code_condition(code))
        .order_by(InfusionVisit.id).limit(size).with_for_update()
    ))


def recode_open_visits(
    session: Session, code: str | None, actor: Actor, now: datetime, *,
    batch_size: int = BATCH_SIZE, checkpoint: Callable[[], None] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> RecodeResult:
    """Code again every open visit that uses ``code`` (None: every open visit) with the
    current catalog, and store each visit's ``has_coding_errors``.

    Idempotent: a second run finds the flags already true and changes nothing. Audited like
    coding elsewhere: no event per visit whose flag stays as it was; one ``update`` event per
    visit whose flag changed (with its patient), and one ``recode`` event for the run.
    ``checkpoint`` is called after each batch (the edge commits there, so progress shows and
    a crash keeps the batches done).
    """
    clock = clock or (lambda: now)
    result = RecodeResult(code or ALL_CODES, visits=affected_visits_count(session, code))
    _record_progress(session, result, "running", now, clock())
    if checkpoint:
        checkpoint()
    rules = coding_rules()
    context = f"drug catalog change: {code}" if code else "re-code of all open visits"
    last_id = 0
    while True:
        # Objects from an earlier batch may linger in the session; read this batch fresh.
        session.flush()
        session.expire_all()
        ids = _batch_ids(session, code, last_id, batch_size)
        if not ids:
            break
        last_id = ids[-1]
        catalog = load_drug_catalog(session)
        visits = session.scalars(
            select(InfusionVisit).where(InfusionVisit.id.in_(ids)).order_by(InfusionVisit.id)
            .options(selectinload(InfusionVisit.administrations),
                     selectinload(InfusionVisit.authorization).selectinload(
                         Authorization.coverage).selectinload(Coverage.payer),
                     # the payer decides whether drug lines need NDCs
                     selectinload(InfusionVisit.patient).selectinload(
                         Patient.coverages).selectinload(Coverage.payer))
        ).all()
        for visit in visits:
            before = visit.has_coding_errors
            try:
                code_stored_visit(session, visit, catalog, rules)
            except InvalidVisit:
                result.not_codable += 1  # the flag is set: it needs fixing before billing
            result.recoded += 1
            if visit.has_coding_errors == before:
                continue
            if visit.has_coding_errors:
                result.flags_set += 1
            else:
                result.flags_cleared += 1
            audit.record(session, actor, "update", "infusion_visit", visit.id, now=now,
                         patient_id=visit.patient_id,
                         context=("coding errors found" if visit.has_coding_errors
                                  else "coding errors cleared") + f" after {context}")
        _record_progress(session, result, "running", now, clock())
        if checkpoint:
            checkpoint()
    audit.record(session, actor, "recode", "infusion_visit_list", None, now=now,
                 context=f"{code or ALL_CODES}: {result.recoded} open visits re-coded, "
                         f"{result.flags_set} flagged, {result.flags_cleared} cleared")
    _record_progress(session, result, "done", now, clock())
    return result


def mark_recode_failed(session: Session, code: str | None, error: str, now: datetime) -> None:
    """Every retry failed: the catalog and operations pages say so (counts and error class)."""
    row = session.get(SweepRun, sweep_name(code))
    if row is None:
        return
    last = dict(row.last_result or {})
    row.last_result = last | {"state": "failed", "error": error[:200]}
    row.last_finished_at = now
    session.flush()


def recent_recodes(session: Session, limit: int = 5) -> list[SweepRun]:
    """The latest re-coding runs, newest first, for the catalog page."""
    return list(session.scalars(
        select(SweepRun).where(SweepRun.name.startswith(SWEEP_PREFIX))
        .order_by(SweepRun.last_started_at.desc(), SweepRun.name).limit(limit)))


def is_working(run: SweepRun) -> bool:
    return (run.last_result or {}).get("state") in ("queued", "running")

