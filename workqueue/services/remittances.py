"""835 remittance import: match claims, post payments and adjustments, open denial items,
take back reversed postings, close AR follow-ups — once per payer and trace number.

What an import does, claim by claim (the file is streamed; memory stays flat):

* **Payment** (BPR/TRN): the payer is matched by N1*PR identifier to ``Payer.edi_payer_id``,
  else by name; unmatched payers are recorded by name. A payment whose payer and trace
  number were imported before (this file again, or another file) changes nothing and is
  reported as "already imported on <date>". Each payment is posted in its own savepoint:
  all of it or none of it.
* **Claim** (CLP): matched by patient control number (CLP01) to ``Claim.claim_number``; an
  unmatched claim is recorded for review, never dropped. A claim of ours remitted by a payer
  it was not billed to (or by a payer not on file) is held for review and not posted; a
  posted claim whose charge or patient differs from ours is flagged for review (rule in
  ``domain/remittance_matching.py``; both count as problems of the run). A matched claim
  gets the paid amount, contractual adjustments (CO/OA/PI that are not denials), patient
  responsibility (CLP05, else the PR adjustments), the payer's claim number, line payments
  (SVC matched to claim lines by REF*6R or procedure code) and a new status and balance.
  The denied amount stays in the balance: it is money at stake, not written off.
* **Denials** (rule in ``domain/denial_rules.py``): every denied claim, or every denied
  line of a claim that was otherwise paid, gets a ``Denial`` row and a denial work item with
  its category, amount at stake and appeal level-1 deadline from the payer's rules
  (``denied_on`` = the payment date), routed by auto-assignment.
* **Reversal** (CLP02 = 22): the earlier posting of that claim is taken back exactly (it is
  on file), the claim is marked reversed, and open denial items from that posting get a
  note; the corrected claim that usually follows posts anew.
* **Paid in full**: open AR follow-up items of the claim are resolved as paid and closed.
* A claim that cannot be posted is reported (with its segment) and skipped; the others go
  on. Unknown CARC/RARC codes are kept in the catalog as flagged rows.
* **Bounded** (``domain/import_limits.py``): the first pass refuses a file over the segment
  limits; claims are posted in batches of at most BATCH_CLAIMS claims and about one claim's
  worth of segments; the result keeps the first ``report_rows`` payments, claims and
  problems (every problem goes to the run's ``import_lines``, every claim has its row).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, BinaryIO

from sqlalchemy import String, cast, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from workqueue.domain.denial_rules import is_denial_adjustment
from workqueue.domain.errors import DomainError, NotFound
from workqueue.domain.import_limits import DEFAULT_LIMITS, ImportLimits
from workqueue.domain.reason_codes import ReasonCatalog
from workqueue.domain.remittance_matching import flag_reasons, hold_reason
from workqueue.domain.status import WorkItemKind, WorkItemStatus
from workqueue.models import (
    AuditEvent,
    Claim,
    ClaimLine,
    ClaimStatus,
    Coverage,
    Denial,
    ImportRun,
    ImportRunStatus,
    Patient,
    Payer,
    ProviderAdjustment,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceClaimResult,
    WorkItem,
)
from workqueue.services import audit
from workqueue.services.assignment import Routing, load_routing
from workqueue.services.audit import Actor
from workqueue.services.imports import (
    ReportLines,
    check_envelope,
    get_import_run,
    match_payer,
    stream_position,
)
from workqueue.services.reason_codes import load_catalog, record_unknown_codes
from workqueue.services.work_items import (
    NewWorkItem,
    add_note,
    create_work_item,
    transition_work_item,
)
from workqueue.x12 import remit835 as x12
from workqueue.x12.report import claim_weight

ZERO = Decimal("0")
R = RemittanceClaimResult
_POSTED_COLUMNS = ("paid_amount", "adjustment_amount", "patient_responsibility", "balance",
                   "status", "payer_claim_number")
BATCH_CLAIMS = 500  # claims posted together (one savepoint, a few statements per step)
_AR_OPEN_TO_PAID = (WorkItemStatus.NEW, WorkItemStatus.IN_PROGRESS, WorkItemStatus.WAITING_PAYER)

Progress = Callable[[int], None]


@dataclass
class ClaimOutcome:
    """What the import did with one CLP (for the CLI report; the page reads the rows)."""

    claim_id: str
    result: str
    claim: int | None = None
    denial_items: list[int] = field(default_factory=list)
    closed_items: list[int] = field(default_factory=list)
    unknown_codes: list[str] = field(default_factory=list)
    message: str | None = None
    review: str | None = None  # why a person must look: held (not posted) or flagged


@dataclass
class PaymentOutcome:
    payer: str
    trace_number: str
    amount: Decimal
    status: str  # posted | duplicate | error
    message: str = ""
    remittance_id: int | None = None
    claims: list[ClaimOutcome] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"payer": self.payer, "trace_number": self.trace_number,
                "amount": f"{self.amount:.2f}", "status": self.status,
                "message": self.message, "remittance_id": self.remittance_id}


@dataclass
class ImportResult:
    """Outcome of one file: counts of everything, and the first ``report_rows`` payments
    and problems (with segment positions).

    ``remittance`` (the parsed claims, for the JSON report) and per-claim outcomes are kept
    only when asked for (``collect=True``), and then for the first ``report_rows`` claims and
    about one claim's worth of adjustments; a job keeps counts and the first lines only.
    """

    sha256: str
    remittance: x12.Remittance | None
    run_id: int | None = None
    payments: list[PaymentOutcome] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))

    @property
    def already_imported(self) -> bool:
        payments = self.counts["payments"]
        return payments > 0 and self.counts["payments_duplicate"] == payments


COUNT_KEYS = ("payments", "payments_posted", "payments_duplicate", "payments_failed", "claims",
              "posted", "unmatched", "reversals", "held", "flagged", "claim_errors",
              "denied_claims", "denial_items", "ar_items_closed", "provider_adjustments",
              "unknown_codes", "problems")


# -- entry points ----------------------------------------------------------------------------

def import_remittance(session: Session, stream: BinaryIO, actor: Actor, now: datetime, *,
                      progress: Progress | None = None, run: ImportRun | None = None,
                      collect: bool = True, limits: ImportLimits = DEFAULT_LIMITS
                      ) -> ImportResult:
    """Read an 835 from ``stream`` and post it (see the module docstring for what that means).

    ``stream`` must be seekable: the envelope and ``limits`` are checked (and the file
    hashed) in a first pass so that a file broken, or too big, at its end posts nothing.
    ``progress(percent)`` is called after each payment is posted — the caller may commit
    there (each payment is whole and idempotent). ``run`` receives counts, the first payment
    lines and errors, and every problem in its ``import_lines``. Flushes; the caller commits.

    :raise X12Error: the file cannot be read as X12 at all, or goes over ``limits`` (nothing
        was changed).
    """
    digest, size = check_envelope(stream, "835", limits)
    if run is not None:
        run.sha256, run.size_bytes = digest, size
    catalog = load_catalog(session)
    importer = _Importer(session, catalog, actor, now, digest, run, collect, limits)
    for event in x12.iter_remittance(stream, catalog, limits):
        importer.handle(event)
        if progress is not None and isinstance(event, x12.PaymentFinished) and size:
            progress(min(99, int(100 * stream_position(stream) / size)))
    result = importer.finish()
    if run is not None:
        result.run_id = run.id
        _record_run(run, result, now)
    if progress is not None:
        progress(100)
    return result


# -- the page's report -----------------------------------------------------------------------

@dataclass
class ImportReport:
    run: ImportRun
    remittances: list[Remittance]
    denied: list[RemittanceClaim]
    review: list[RemittanceClaim]
    unmatched: list[RemittanceClaim]
    reversals: list[RemittanceClaim]
    claim_errors: list[RemittanceClaim]
    posted: list[RemittanceClaim]
    posted_total: int
    unknown_codes: list[str]


def import_report(session: Session, run_id: int, actor: Actor, now: datetime,
                  limit: int = 500) -> ImportReport:
    """What one import did, claim by claim (denied, unmatched, reversed, errors first).

    Audited: unmatched claims show patient names from the file.
    """
    run = get_import_run(session, run_id)
    remittances = list(session.scalars(select(Remittance).where(
        Remittance.import_run_id == run_id).order_by(Remittance.id)))
    ids = [r.id for r in remittances]

    def claims(*conditions, cap: int = limit) -> list[RemittanceClaim]:
        if not ids:
            return []
        return list(session.scalars(select(RemittanceClaim).where(
            RemittanceClaim.remittance_id.in_(ids), *conditions)
            .options(selectinload(RemittanceClaim.claim))
            .order_by(RemittanceClaim.id).limit(cap)))

    posted = claims(RemittanceClaim.result == R.POSTED, RemittanceClaim.is_denied.is_(False),
                    cap=100)
    codes = sorted({code for row in claims(cast(RemittanceClaim.unknown_codes, String) != "[]")
                    for code in row.unknown_codes}) if ids else []
    audit.record(session, actor, "view", "import_run", run.id, now=now)
    return ImportReport(
        run=run, remittances=remittances,
        # Denied and matched: these opened denial items. Denied but unknown or held claims are
        # listed under "unmatched" or "for review" only: no denial item was opened for them.
        denied=claims(RemittanceClaim.is_denied.is_(True),
                      RemittanceClaim.result.not_in([R.UNMATCHED, R.REVIEW])),
        review=claims(RemittanceClaim.review_reason.is_not(None)),
        unmatched=claims(RemittanceClaim.result == R.UNMATCHED),
        reversals=claims(RemittanceClaim.result == R.REVERSAL),
        claim_errors=claims(RemittanceClaim.result == R.ERROR),
        posted=posted, posted_total=int(run.counts.get("posted", 0)), unknown_codes=codes)


CLAIM_COLUMNS = ["Segment", "Trace (TRN02)", "Patient control number (CLP01)", "Patient",
                 "Claim status (CLP02)", "Charge", "Paid", "Patient responsibility", "Result",
                 "Denied", "Category", "Denied amount", "Denial items", "Details"]


def claim_rows(session: Session, run: ImportRun, actor: Actor, now: datetime
               ) -> Iterator[list[Any]]:
    """Every claim of an 835 run in file order, as CSV rows read a thousand at a time (the
    download of the full list; the page shows the first ones). Audited as an export: rows
    name patients from the file.

    :raise NotFound: ``run`` is not an 835.
    """
    if run.kind != "835":
        raise NotFound(f"Import {run.id} is a {run.kind}: download its rows instead.")
    audit.record(session, actor, "export", "import_run", run.id, now=now, context="claims csv")
    rows = session.execute(select(
        RemittanceClaim.segment, Remittance.trace_number,
        RemittanceClaim.patient_control_number, RemittanceClaim.patient_name,
        RemittanceClaim.status_code, RemittanceClaim.charge, RemittanceClaim.paid,
        RemittanceClaim.patient_responsibility, RemittanceClaim.result,
        RemittanceClaim.is_denied, RemittanceClaim.category, RemittanceClaim.denied_amount,
        RemittanceClaim.denial_item_ids, RemittanceClaim.message)
        .join(Remittance, Remittance.id == RemittanceClaim.remittance_id)
        .where(Remittance.import_run_id == run.id)
        .order_by(Remittance.id, RemittanceClaim.id).execution_options(yield_per=1000))
    return ([*row[:8], str(row.result), "yes" if row.is_denied else "no",
             (row.category or "").replace("_", " "), row.denied_amount,
             " ".join(f"#{i}" for i in row.denial_item_ids or []), row.message or ""]
            for row in rows)


# -- the importer ----------------------------------------------------------------------------

@dataclass
class _Step:
    """One claim of a batch between reading the claims and writing the rows."""

    event: x12.ClaimPayment
    outcome: ClaimOutcome
    row: RemittanceClaim
    claim: Claim | None
    matched: list[tuple[x12.ServiceLine, ClaimLine | None]]
    earlier: RemittanceClaim | None = None  # the posting a reversal took back
    denials: list[tuple[ClaimLine | None, Any, Denial]] = field(default_factory=list)
    close_ar: bool = False


class _Importer:
    """State of one file's import: the open payment's savepoint, caches, counts."""

    def __init__(self, session: Session, catalog: ReasonCatalog, actor: Actor, now: datetime,
                 digest: str, run: ImportRun | None, collect: bool,
                 limits: ImportLimits = DEFAULT_LIMITS) -> None:
        self.session = session
        self.catalog = catalog
        self.actor = actor
        self.system = Actor(actor.user_id, None, actor.channel)  # acts on any item
        self.now = now
        self.digest = digest
        self.run = run
        self.result = ImportResult(digest, x12.Remittance() if collect else None)
        self.collect = collect
        self.limits = limits
        self.lines = ReportLines(session, run, limits.report_rows)
        self.result.errors = self.lines.problems
        self.kept_claims = self.kept_weight = 0  # what the result holds for the report
        self.payment_kept = False
        self.pending_weight = 0  # segments-ish held by the batch waiting to be posted
        self.payment: x12.Payment | None = None
        self.remitter: Payer | None = None  # the open payment's payer, when on file
        self.outcome: PaymentOutcome | None = None
        self.remittance: Remittance | None = None
        self.savepoint = None
        self.payers: dict[tuple[str, str], Payer | None] = {}
        self.seen_unknown: set[tuple[str, str]] = set()
        self.unknown_codes_capped = False
        self.pending: list[tuple[x12.ClaimPayment, ClaimOutcome]] = []
        self.routing: Routing | None = None  # per payment: the caller may commit after one

    # events

    def handle(self, event: x12.RemittanceEvent) -> None:
        if isinstance(event, x12.ClaimPayment):
            self._claim(event)
        elif isinstance(event, x12.PaymentStarted):
            self._start_payment(event.payment)
        elif isinstance(event, x12.PaymentFinished):
            self._finish_payment(event.payment)
        elif isinstance(event, x12.ParseIssue):
            self._post_pending()  # problems stay in file order
            self._problem(event.segment, event.message)
        if self.savepoint is None and self.lines.waiting >= self.lines.BATCH:
            self.lines.write()  # between payments: a rollback cannot take them back

    def finish(self) -> ImportResult:
        if self.savepoint is not None:  # pragma: no cover - every ST has its SE (reader)
            self.savepoint.rollback()
        self.lines.write()
        return self.result

    def _problem(self, segment: int, message: str) -> None:
        self.result.counts["problems"] += 1
        self.lines.problem(segment, message)  # the report's errors are its first problems

    # payments

    def _start_payment(self, payment: x12.Payment) -> None:
        counts = self.result.counts
        counts["payments"] += 1
        self.payment = payment
        # The report keeps the first payments (the run's page shows them); counts keep all.
        self.payment_kept = len(self.result.payments) < self.limits.report_rows
        if self.result.remittance is not None and self.payment_kept:
            self.result.remittance.payments.append(payment)
        payer = match_payer(self.session, payment.payer.id, payment.payer.name, self.payers)
        self.remitter = payer
        keys = _payer_keys(payer, payment.payer)
        outcome = PaymentOutcome(payment.payer.name, payment.trace_number, payment.amount,
                                 "posted")
        self.outcome = outcome
        if self.payment_kept:
            self.result.payments.append(outcome)
        earlier = self._earlier(keys, payment.trace_number)
        if earlier is None:
            self.savepoint = self.session.begin_nested()
            remittance = Remittance(
                import_run_id=self.run.id if self.run is not None else None,
                payer_id=payer.id if payer else None, payer_key=keys[0],
                payer_name=_clip(payment.payer.name, 120),
                payer_identifier=_clip(payment.payer.id, 80),
                trace_number=_clip(payment.trace_number, 50), amount=payment.amount,
                credit_debit=_clip(payment.credit_debit, 1), method=_clip(payment.method, 3),
                payment_date=payment.payment_date, source_sha256=self.digest,
                segment=payment.segment, imported_at=self.now)
            self.session.add(remittance)
            try:
                self.session.flush()
            except IntegrityError:  # another import posted it a moment ago
                self.savepoint.rollback()
                self.savepoint = None
                earlier = self._earlier(keys, payment.trace_number)
            else:
                self.remittance = remittance
                outcome.remittance_id = remittance.id
                return
        outcome.status = "duplicate"
        outcome.remittance_id = earlier.id if earlier else None
        when = earlier.imported_at.strftime("%Y-%m-%d %H:%M UTC") if earlier else "just now"
        same_run = earlier is not None and self.run is not None and \
            earlier.import_run_id == self.run.id
        outcome.message = (f"payment {payment.trace_number} was posted earlier in this import "
                           "(before a restart); not posted again") if same_run else (
            f"payment {payment.trace_number} from {payment.payer.name or 'this payer'} was "
            f"already imported on {when}; nothing changed")
        counts["payments_duplicate"] += 1

    def _earlier(self, keys: list[str], trace: str) -> Remittance | None:
        return self.session.scalar(select(Remittance).where(
            Remittance.payer_key.in_(keys), Remittance.trace_number == _clip(trace, 50))
            .order_by(Remittance.id).limit(1))

    def _finish_payment(self, payment: x12.Payment) -> None:
        self._post_pending()
        self.routing = None
        remittance, outcome = self.remittance, self.outcome
        self.remittance = self.payment = self.outcome = None
        if remittance is None or outcome is None:
            return  # a duplicate, or a transaction the parser skipped (reported there)
        try:
            for plb in payment.provider_adjustments:
                self.session.add(ProviderAdjustment(
                    remittance_id=remittance.id, provider_identifier=_clip(plb.provider_id, 50),
                    fiscal_period=plb.fiscal_period, reason=_clip(plb.reason, 2),
                    reference=_clip(plb.reference, 50), amount=plb.amount))
            remittance.claim_count = payment.claim_count
            audit.record(self.session, self.actor, "import", "remittance", remittance.id,
                         now=self.now, context=f"835 trace {_clip(payment.trace_number, 50)}, "
                         f"{payment.claim_count} claims")
            self.session.flush()
            self.savepoint.commit()
        except SQLAlchemyError as error:
            self.savepoint.rollback()
            self.seen_unknown.clear()  # the codes recorded in it were rolled back too
            self._payment_failed(outcome, payment, error)
        else:
            self.result.counts["payments_posted"] += 1
            self.result.counts["provider_adjustments"] += len(payment.provider_adjustments)
        self.savepoint = None

    def _payment_failed(self, outcome: PaymentOutcome, payment: x12.Payment,
                        error: Exception) -> None:
        outcome.status = "error"
        outcome.remittance_id = None
        outcome.message = (f"payment {payment.trace_number} was not posted: the database "
                           f"refused it ({error.__class__.__name__}); nothing of it was saved")
        self.result.counts["payments_failed"] += 1
        self._problem(payment.segment, outcome.message)

    # claims

    def _claim(self, event: x12.ClaimPayment) -> None:
        outcome = self.outcome
        self.result.counts["claims"] += 1
        if outcome is None:
            return
        claim_outcome = ClaimOutcome(event.claim_id, "skipped")
        weight = claim_weight(event)
        if self._keeps(weight):
            self.result.remittance.payments[-1].claims.append(event)
            outcome.claims.append(claim_outcome)
        if self.remittance is None:
            claim_outcome.message = "payment already imported"
            return
        # Unknown codes are kept even when the claim itself cannot be posted.
        claim_outcome.unknown_codes = self._unknown_codes(event)
        self.pending.append((event, claim_outcome))
        self.pending_weight += weight
        # A batch is BATCH_CLAIMS claims, or fewer when they are big: what it holds stays
        # about one claim's worth of segments at most (the per-claim limit).
        if len(self.pending) >= BATCH_CLAIMS or \
                self.pending_weight >= self.limits.max_segments_per_claim:
            self._post_pending()

    def _keeps(self, weight: int) -> bool:
        """Whether the report keeps this claim: the first ``report_rows`` claims of the kept
        payments, and no more than about one claim's worth of segments in all."""
        if not self.collect or not self.payment_kept:
            return False
        if self.kept_claims >= self.limits.report_rows or \
                self.kept_weight + weight > self.limits.max_segments_per_claim:
            return False
        self.kept_claims += 1
        self.kept_weight += weight
        return True

    def _post_pending(self) -> None:
        """Post the claims read so far, as a batch in one savepoint; if any claim of the batch
        fails, the batch is rolled back and posted again claim by claim, so that the bad one
        is reported and the others go on."""
        batch, self.pending, self.pending_weight = self.pending, [], 0
        if not batch:
            return
        try:
            with self.session.begin_nested():
                self._post_batch(batch)
        except (SQLAlchemyError, DomainError, ArithmeticError):
            self.routing = None  # its cursor and counts were rolled back with the batch
            for event, outcome in batch:
                outcome.result, outcome.claim, outcome.message = "skipped", None, None
                outcome.denial_items, outcome.closed_items = [], []
                self._post_one(event, outcome)
            return
        for event, outcome in batch:
            self._count(event, outcome)

    def _post_one(self, event: x12.ClaimPayment, outcome: ClaimOutcome) -> None:
        try:
            with self.session.begin_nested():
                self._post_claim(event, outcome)
        except (SQLAlchemyError, DomainError, ArithmeticError) as error:
            message = (f"claim {event.claim_id}: not posted "
                       f"({getattr(error, 'message', None) or error.__class__.__name__})")
            outcome.result, outcome.message = R.ERROR.value, message
            outcome.denial_items, outcome.closed_items = [], []
            self.result.counts["claim_errors"] += 1
            self._problem(event.segment, message)
            self._record_error_row(event, message)
            return
        self._count(event, outcome)

    def _count(self, event: x12.ClaimPayment, outcome: ClaimOutcome) -> None:
        counts = self.result.counts
        counts[{R.POSTED: "posted", R.UNMATCHED: "unmatched", R.REVERSAL: "reversals",
                R.REVIEW: "held"}[R(outcome.result)]] += 1
        if outcome.review and outcome.result == R.REVIEW:
            self._problem(event.segment, f"claim {_clip(event.claim_id, 38)}: not posted, "
                          f"held for review: {outcome.review}")
        elif outcome.review:
            counts["flagged"] += 1
            self._problem(event.segment, f"claim {_clip(event.claim_id, 38)}: posted, flagged "
                          f"for review: {outcome.review}")
        if event.denials:
            counts["denied_claims"] += 1
        counts["denial_items"] += len(outcome.denial_items)
        counts["ar_items_closed"] += len(outcome.closed_items)
        counts["unknown_codes"] += len(outcome.unknown_codes)

    def _record_error_row(self, event: x12.ClaimPayment, message: str) -> None:
        try:
            with self.session.begin_nested():
                self.session.add(self._row(event, None, R.ERROR, message=message))
        except SQLAlchemyError:
            pass  # the problem is in the run's error list already

    def _row(self, event: x12.ClaimPayment, claim: Claim | None, result: R,
             message: str | None = None) -> RemittanceClaim:
        denials = event.denials
        return RemittanceClaim(
            remittance_id=self.remittance.id, claim_id=claim.id if claim else None,
            patient_control_number=_clip(event.claim_id, 38), status_code=event.status[:2],
            charge=event.charge, paid=event.paid,
            patient_responsibility=event.patient_responsibility or ZERO,
            payer_claim_number=_clip(event.payer_claim_number, 50),
            patient_name=_clip(event.patient_name, 120), is_denied=bool(denials),
            category=max(denials, key=lambda d: d.amount).category if denials else None,
            denied_amount=sum((d.amount for d in denials), ZERO), result=result,
            segment=event.segment, message=message, line_postings=[], denial_item_ids=[],
            unknown_codes=[])

    def _post_batch(self, batch: list[tuple[x12.ClaimPayment, ClaimOutcome]]) -> None:
        """The batch path: what :meth:`_post_claim` does for one claim, for many claims with a
        few statements each step (claims and lines, earlier postings, linked records and AR
        items each read with one query; rows and CAS inserted many at a time), in file order
        wherever order matters (postings, reversals, routing, AR closing)."""
        session = self.session
        claims = self._claims_by_number({event.claim_id for event, _ in batch})
        crossover = self._crossover_payers(claims.values())
        reversed_ids = {claims[e.claim_id].id for e, _ in batch
                        if e.is_reversal and e.claim_id in claims}
        postings = self._posted_rows(reversed_ids)
        steps = []
        for event, outcome in batch:
            claim = claims.get(event.claim_id)
            held = self._hold_reason(claim, event, crossover) if claim is not None else None
            if held is not None:  # recorded against the claim, which it leaves untouched
                steps.append(_Step(event, outcome, self._held_row(event, claim, outcome, held),
                                   None, []))
                continue
            matched = _match_lines(claim, event) if claim is not None else []
            row = self._row(event, claim, R.UNMATCHED)
            row.unknown_codes = outcome.unknown_codes
            step = _Step(event, outcome, row, claim, matched)
            steps.append(step)
            if claim is None:
                row.message = "no claim with this patient control number; recorded for review"
                outcome.result, outcome.message = R.UNMATCHED.value, row.message
                continue
            outcome.claim = claim.id
            if event.is_reversal:
                stack = postings[claim.id]
                step.earlier = stack.pop() if stack else None
                self._reverse(claim, event, row, step.earlier)
            else:
                self._post(claim, event, row, matched)
                if claim.id in postings:
                    postings[claim.id].append(row)
                step.denials = self._denials(claim, event, matched)
                step.close_ar = claim.status == ClaimStatus.PAID
            outcome.result, outcome.message = row.result.value, row.message
            outcome.review = row.review_reason
        for claim in claims.values():
            # The same columns on every claim, so that their UPDATEs go as one executemany.
            for name in _POSTED_COLUMNS:
                flag_modified(claim, name)
        session.flush()  # claims, lines, earlier postings taken back, denials
        linked = self._load_linked([s.claim for s in steps if s.denials])
        ar_items = self._open_ar_items({s.claim.id for s in steps if s.close_ar})
        for step in steps:
            if step.earlier is not None:
                for item_id in step.earlier.denial_item_ids:
                    self._note_reversal(item_id)
            if step.denials:
                step.row.denial_item_ids = step.outcome.denial_items = self._open_items(
                    step.claim, step.denials, self._routing())
            if step.close_ar:
                step.outcome.closed_items = self._close_ar_items(
                    step.claim, ar_items.pop(step.claim.id, []))
        if self.routing is not None:
            self.routing.save()
        # The rows never join the session: one multi-row INSERT each for claims rows (ids
        # back in order), CAS rows and audit events. render_nulls: every row has the same
        # columns, so all of them go in one statement.
        ids = session.scalars(
            insert(RemittanceClaim).returning(RemittanceClaim.id, sort_by_parameter_order=True)
            .execution_options(render_nulls=True), [_values(step.row) for step in steps]).all()
        adjustments = [a for step, row_id in zip(steps, ids, strict=True)
                       for a in _adjustment_values(row_id, step.event, step.matched)]
        if adjustments:
            session.execute(insert(RemittanceAdjustment).execution_options(render_nulls=True),
                            adjustments)
        events = [_values(self._audit_claim(step.claim, step.row, expunge=True))
                  for step in steps if step.claim is not None]
        if events:
            session.execute(insert(AuditEvent).execution_options(render_nulls=True), events)
        del linked

    def _posted_rows(self, claim_ids: set[int]) -> dict[int, list[RemittanceClaim]]:
        """This payer's postings of these claims not yet taken back, oldest first (what a
        reversal takes back is the last of them: a payer reverses its own payments only)."""
        out: dict[int, list[RemittanceClaim]] = {claim_id: [] for claim_id in claim_ids}
        if claim_ids:
            for row in self.session.scalars(self._postings().where(
                    RemittanceClaim.claim_id.in_(claim_ids)).order_by(RemittanceClaim.id)):
                out[row.claim_id].append(row)
        return out

    def _postings(self):
        """Postings of the open payment's payer not yet taken back (a select to narrow)."""
        return (select(RemittanceClaim).join(Remittance)
                .where(Remittance.payer_id == self.remitter.id,
                       RemittanceClaim.result == R.POSTED,
                       RemittanceClaim.is_reversed.is_(False)))

    def _claims_by_number(self, numbers: set[str]) -> dict[str, Claim]:
        """Our claims with these patient control numbers, with what matching them reads."""
        return {c.claim_number: c for c in self.session.scalars(
            select(Claim).where(Claim.claim_number.in_(numbers))
            .options(selectinload(Claim.lines), selectinload(Claim.patient),
                     selectinload(Claim.payer)))}

    def _crossover_payers(self, claims: Iterable[Claim]) -> dict[int, set[int]]:
        """The payers of each patient's secondary and tertiary coverages: those that may
        remit a crossover of the claim."""
        out: dict[int, set[int]] = {}
        patient_ids = {claim.patient_id for claim in claims}
        if patient_ids:
            for patient_id, payer_id in self.session.execute(
                    select(Coverage.patient_id, Coverage.payer_id).where(
                        Coverage.patient_id.in_(patient_ids), Coverage.rank > 1)):
                out.setdefault(patient_id, set()).add(payer_id)
        return out

    def _hold_reason(self, claim: Claim, event: x12.ClaimPayment,
                     crossover: dict[int, set[int]]) -> str | None:
        party, remitter = self.payment.payer, self.remitter
        name = remitter.name if remitter is not None else (party.name.strip()
                                                          or party.id.strip())
        return hold_reason(event.status, name, remitter.id if remitter is not None else None,
                           claim.payer.name, claim.payer_id,
                           crossover.get(claim.patient_id, set()))

    def _held_row(self, event: x12.ClaimPayment, claim: Claim, outcome: ClaimOutcome,
                  reason: str) -> RemittanceClaim:
        """The row of a claim held for review: linked to our claim, nothing posted on it."""
        row = self._row(event, claim, R.REVIEW, message="not posted")
        row.review_reason = _clip(reason, 300)
        row.unknown_codes = outcome.unknown_codes
        outcome.claim, outcome.result = claim.id, R.REVIEW.value
        outcome.message, outcome.review = row.message, row.review_reason
        return row

    def _load_linked(self, claims: list[Claim]) -> list[Any]:
        """Read the records a denial item links to, so that opening items finds them loaded;
        the caller holds the returned list while it opens them."""
        if not claims:
            return []
        session = self.session
        loaded: list[Any] = list(session.scalars(select(Patient).where(
            Patient.id.in_({c.patient_id for c in claims if c.patient_id is not None}))))
        coverage_ids = {c.coverage_id for c in claims if c.coverage_id is not None}
        if coverage_ids:
            loaded += session.scalars(select(Coverage).where(Coverage.id.in_(coverage_ids)))
        payer_ids = {c.payer_id for c in claims if c.payer_id is not None}
        if payer_ids:
            loaded += session.scalars(select(Payer).where(Payer.id.in_(payer_ids))
                                      .options(selectinload(Payer.appeal_levels)))
        return loaded

    def _open_ar_items(self, claim_ids: set[int]) -> dict[int, list[WorkItem]]:
        out: dict[int, list[WorkItem]] = {}
        if claim_ids:
            for item in self.session.scalars(select(WorkItem).where(
                    WorkItem.claim_id.in_(claim_ids), WorkItem.kind == WorkItemKind.AR_FOLLOWUP,
                    WorkItem.is_open).order_by(WorkItem.id)):
                out.setdefault(item.claim_id, []).append(item)
        return out

    def _routing(self) -> Routing:
        if self.routing is None:
            self.routing = load_routing(self.session)
        return self.routing

    def _audit_claim(self, claim: Claim, row: RemittanceClaim, *,
                     expunge: bool = False) -> AuditEvent:
        """The claim's audit event; ``expunge``: for the caller to insert with others."""
        event = audit.record(self.session, self.actor, "update", "claim", claim.id,
                             now=self.now, patient_id=claim.patient_id,
                             context=f"835 {row.result.value}, remittance {self.remittance.id}")
        if expunge:
            self.session.expunge(event)
        return event

    def _post_claim(self, event: x12.ClaimPayment, outcome: ClaimOutcome) -> None:
        """One claim on its own (the path for a batch that failed somewhere)."""
        session = self.session
        claim = self._claims_by_number({event.claim_id}).get(event.claim_id)
        held = None if claim is None else self._hold_reason(
            claim, event, self._crossover_payers([claim]))
        if held is not None:
            row = self._held_row(event, claim, outcome, held)
            row.adjustments = _adjustments(event, [])
            session.add(row)
            session.flush()
            return
        matched = _match_lines(claim, event) if claim is not None else []
        row = self._row(event, claim, R.UNMATCHED)
        row.adjustments = _adjustments(event, matched)
        row.unknown_codes = outcome.unknown_codes
        session.add(row)
        if claim is None:
            row.message = "no claim with this patient control number; recorded for review"
            outcome.result, outcome.message = R.UNMATCHED.value, row.message
            session.flush()
            return
        outcome.claim = claim.id
        if event.is_reversal:
            earlier = session.scalar(
                self._postings().where(RemittanceClaim.claim_id == claim.id,
                                       RemittanceClaim.id != row.id)
                .order_by(RemittanceClaim.id.desc()).limit(1))
            self._reverse(claim, event, row, earlier)
            if earlier is not None:
                for item_id in earlier.denial_item_ids:
                    self._note_reversal(item_id)
        else:
            self._post(claim, event, row, matched)
        outcome.result = row.result.value
        outcome.message = row.message
        outcome.review = row.review_reason
        session.flush()
        if not event.is_reversal:
            denials = self._denials(claim, event, matched)
            session.flush()
            row.denial_item_ids = outcome.denial_items = self._open_items(claim, denials)
            if claim.status == ClaimStatus.PAID:
                outcome.closed_items = self._close_ar_items(claim)
        self._audit_claim(claim, row)

    def _post(self, claim: Claim, event: x12.ClaimPayment, row: RemittanceClaim,
              matched: list[tuple[x12.ServiceLine, ClaimLine | None]]) -> None:
        contractual = sum((a.amount for a in event.all_adjustments
                           if a.group != "PR" and not is_denial_adjustment(a, self.catalog)),
                          ZERO)
        responsibility = event.patient_responsibility
        if responsibility is None:
            responsibility = sum((a.amount for a in event.all_adjustments if a.group == "PR"),
                                 ZERO)
        postings = []
        for svc, line in matched:
            if line is not None:
                line.paid += svc.paid
                postings.append({"line_id": line.id, "paid": f"{svc.paid:.2f}"})
        unplaced = sum(1 for _, line in matched if line is None)
        self._apply(claim, event.paid, contractual, responsibility)
        if event.payer_claim_number:
            claim.payer_claim_number = _clip(event.payer_claim_number, 50)
        claim.status = _settled_status(claim, denied=event.denial is not None)
        row.result = R.POSTED
        row.posted_paid, row.posted_adjustment = event.paid, contractual
        row.posted_patient_responsibility = responsibility
        row.line_postings = postings
        if event.follows_reversal:
            row.message = "corrected claim, posted after the reversal before it"
        if unplaced:
            row.message = _join(row.message, f"{unplaced} service line(s) matched no claim line; "
                                "their payment is on the claim only")
        patient = claim.patient
        reasons = flag_reasons(event.status, event.charge, claim.billed_amount,
                               event.patient_last, event.patient_first, patient.last_name,
                               patient.first_name)
        row.review_reason = _clip("; ".join(reasons), 300) or None

    def _reverse(self, claim: Claim, event: x12.ClaimPayment, row: RemittanceClaim,
                 earlier: RemittanceClaim | None) -> None:
        """Take back ``earlier`` (the claim's last posting not yet reversed) — the caller
        notes its denial items."""
        row.result = R.REVERSAL
        if earlier is not None:
            paid, adjustment = earlier.posted_paid, earlier.posted_adjustment
            responsibility = earlier.posted_patient_responsibility
            lines = {line.id: line for line in claim.lines}
            for posting in earlier.line_postings:
                line = lines.get(posting["line_id"])
                if line is not None:
                    line.paid -= Decimal(posting["paid"])
            earlier.is_reversed = True
            row.message = f"took back the posting of remittance {earlier.remittance_id}"
        elif claim.paid_amount >= -event.paid > ZERO:
            # Posted outside this import (by hand, or before it existed): take back what the
            # payer says it reverses, since that money is on the claim.
            paid = -event.paid
            adjustment = -sum((a.amount for a in event.all_adjustments
                               if a.group != "PR" and not is_denial_adjustment(a, self.catalog)),
                              ZERO)
            responsibility = -(event.patient_responsibility or ZERO)
            row.message = "original posting not on file; the reversal's amounts were applied"
        else:
            paid = adjustment = responsibility = ZERO
            row.message = "nothing posted on this claim to take back; recorded only"
        self._apply(claim, -paid, -adjustment, -responsibility)
        row.posted_paid, row.posted_adjustment = -paid, -adjustment
        row.posted_patient_responsibility = -responsibility
        claim.status = ClaimStatus.REVERSED

    @staticmethod
    def _apply(claim: Claim, paid: Decimal, adjustment: Decimal,
               responsibility: Decimal) -> None:
        claim.paid_amount = (claim.paid_amount or ZERO) + paid
        claim.adjustment_amount = (claim.adjustment_amount or ZERO) + adjustment
        claim.patient_responsibility = (claim.patient_responsibility or ZERO) + responsibility
        # The denied amount stays in the balance: it is at stake until appealed or written off.
        claim.balance = (claim.billed_amount - claim.paid_amount - claim.adjustment_amount
                         - claim.patient_responsibility)

    def _note_reversal(self, item_id: int) -> None:
        item = self.session.get(WorkItem, item_id)
        if item is not None and item.is_open:
            add_note(self.session, item, "The payer reversed the remittance this denial came "
                     f"from (trace {_clip(self.payment.trace_number, 50)}); check the corrected "
                     "claim before working it.", self.system, self.now)

    def _denials(self, claim: Claim, event: x12.ClaimPayment,
                 matched: list[tuple[x12.ServiceLine, ClaimLine | None]]
                 ) -> list[tuple[ClaimLine | None, Any, Denial]]:
        """A ``Denial`` row (added, not flushed) for the denied claim or each denied line."""
        payment = self.payment
        denied_on = payment.payment_date or self.now.date()
        claim_remarks = [r.code for r in event.remarks]
        found: list[tuple[ClaimLine | None, Any, list[x12.Adjustment], list[str]]] = []
        if event.denial is not None:
            found.append((None, event.denial, event.all_adjustments, event.all_remarks))
        else:
            lines = dict((id(svc), line) for svc, line in matched)
            for svc in event.lines:
                if svc.denial is not None:
                    remarks = [r.code for r in svc.remarks] + claim_remarks
                    found.append((lines.get(id(svc)), svc.denial, svc.adjustments, remarks))
        out = []
        for line, decided, adjustments, remarks in found:
            denial_adjustments = [a for a in adjustments if is_denial_adjustment(a,
                                                                                 self.catalog)]
            reasons = [decided.reason] + [a.reason for a in denial_adjustments
                                          if a.reason != decided.reason]
            group = next((a.group for a in denial_adjustments if a.reason == decided.reason),
                         "CO")
            known = self.catalog.carc(decided.reason)
            denial = Denial(claim_id=claim.id, claim_line_id=line.id if line else None,
                            denied_on=denied_on, group_code=group[:2],
                            carc_codes=_codes(reasons), rarc_codes=_codes(remarks),
                            category=decided.category,
                            is_preventable=bool(known and known.usually_preventable),
                            amount=decided.amount, appeal_level=1, created_at=self.now)
            self.session.add(denial)
            out.append((line, decided, denial))
        return out

    def _open_items(self, claim: Claim, denials: list[tuple[ClaimLine | None, Any, Denial]],
                    routing: Routing | None = None) -> list[int]:
        """A denial work item for each (flushed) denial, routed by auto-assignment."""
        item_ids = []
        for line, decided, denial in denials:
            where = f" line {line.line_number} ({line.procedure_code})" if line else ""
            item = create_work_item(self.session, NewWorkItem(
                kind=WorkItemKind.DENIAL,
                title=f"Denial on claim {claim.claim_number}{where}: "
                      f"{decided.category.replace('_', ' ')}",
                patient_id=claim.patient_id, coverage_id=claim.coverage_id,
                payer_id=claim.payer_id, claim_id=claim.id, denial_id=denial.id,
                category=decided.category, amount=max(decided.amount, ZERO),
                service_date=line.service_date if line else claim.service_from,
                denied_on=denial.denied_on), self.system, self.now, auto_assign=True,
                routing=routing)
            item_ids.append(item.id)
        return item_ids

    def _close_ar_items(self, claim: Claim, items: list[WorkItem] | None = None) -> list[int]:
        """Resolve as paid and close the claim's open AR follow-ups (``items``: read already)."""
        if items is None:
            items = list(self.session.scalars(select(WorkItem).where(
                WorkItem.claim_id == claim.id, WorkItem.kind == WorkItemKind.AR_FOLLOWUP,
                WorkItem.is_open).order_by(WorkItem.id)))
        note = (f"Paid in full on remittance trace {_clip(self.payment.trace_number, 50)} "
                "(835 import).")
        closed = []
        for item in items:
            if item.status in _AR_OPEN_TO_PAID:
                transition_work_item(self.session, item, WorkItemStatus.RESOLVED_PAID,
                                     self.system, self.now, note=note)
            if item.status == WorkItemStatus.RESOLVED_PAID:
                transition_work_item(self.session, item, WorkItemStatus.CLOSED, self.system,
                                     self.now, note=note)
                closed.append(item.id)
                if self.routing is not None:
                    self.routing.item_closed(item)
        return closed

    def _unknown_codes(self, event: x12.ClaimPayment) -> list[str]:
        codes = [("carc", a.reason) for a in event.all_adjustments if not a.is_known_reason]
        codes += [("rarc", r.code) for r in event.remarks + [r for line in event.lines
                                                               for r in line.remarks]
                  if not r.is_known and r.qualifier != "RX"]
        labels = list(dict.fromkeys(f"{kind.upper()} {code}" for kind, code in codes))
        new = {(kind, code.strip().upper()) for kind, code in codes} - self.seen_unknown
        room = self.limits.report_rows - len(self.seen_unknown)
        if len(new) > room:
            # A file of made-up codes must not grow the catalog (or this set) without end.
            if not self.unknown_codes_capped:
                self.unknown_codes_capped = True
                self._problem(event.segment, f"more than {self.limits.report_rows:,} "
                              "different unknown reason codes in this file: the codes from "
                              "here on are listed on their claims but not added to the "
                              "catalog")
            new = set(sorted(new)[:max(room, 0)])
        if new:
            record_unknown_codes(self.session, new, self.now)
            self.seen_unknown |= new
        return labels


# -- helpers ---------------------------------------------------------------------------------

def _payer_keys(payer: Payer | None, party: x12.Party) -> list[str]:
    """The key stored first, then every other key the same payer may have been stored under."""
    keys = []
    if payer is not None:
        keys.append(f"payer-{payer.id}")
    if party.id.strip():
        keys.append(_clip(f"id-{party.id.strip()}", 130))
    keys.append(_clip(f"name-{party.name.strip().upper()}", 130))
    return keys


def _match_lines(claim: Claim, event: x12.ClaimPayment
                 ) -> list[tuple[x12.ServiceLine, ClaimLine | None]]:
    """Pair each SVC with a claim line: REF*6R "<claim>-<n>" first, then procedure code."""
    free = list(claim.lines)
    by_number = {line.line_number: line for line in free}
    pairs: list[tuple[x12.ServiceLine, ClaimLine | None]] = []
    for svc in event.lines:
        line = None
        prefix, _, number = svc.control_number.rpartition("-")
        if prefix == claim.claim_number and number.isdigit():
            line = by_number.get(int(number))
            if line not in free:
                line = None
        if line is None:
            codes = {svc.procedure, svc.original_procedure} - {""}
            line = next((c for c in free if c.procedure_code in codes), None)
        if line is not None:
            free.remove(line)
        pairs.append((svc, line))
    return pairs


def _values(row: Any) -> dict[str, Any]:
    """A transient row's column values for a multi-row INSERT: column defaults filled in
    (the ORM would have), the id left to the database."""
    values = {}
    for attr in row.__mapper__.column_attrs:
        column, value = attr.columns[0], getattr(row, attr.key)
        if column.primary_key:
            continue
        if value is None and column.default is not None:
            value = column.default.arg(None) if column.default.is_callable \
                else column.default.arg
        values[attr.key] = value
    return values


def _adjustment_values(row_id: int | None, event: x12.ClaimPayment,
                       matched: list[tuple[x12.ServiceLine, ClaimLine | None]]
                       ) -> list[dict[str, Any]]:
    """The CAS rows of one claim, as values for one multi-row insert."""
    line_ids = {id(svc): line.id for svc, line in matched if line is not None}
    return [{"remittance_claim_id": row_id, "level": a.level,
             "procedure": _clip(a.procedure, 48) if a.procedure else None,
             "claim_line_id": line_ids.get(id(_line_of(event, a))), "group_code": a.group[:2],
             "reason": _clip(a.reason, 10), "amount": a.amount, "quantity": a.quantity,
             "is_known_reason": a.is_known_reason} for a in event.all_adjustments]


def _adjustments(event: x12.ClaimPayment,
                 matched: list[tuple[x12.ServiceLine, ClaimLine | None]]
                 ) -> list[RemittanceAdjustment]:
    """The CAS rows of one claim, as ORM rows (the one-by-one path)."""
    return [RemittanceAdjustment(**{k: v for k, v in values.items()
                                    if k != "remittance_claim_id"})
            for values in _adjustment_values(None, event, matched)]


def _line_of(event: x12.ClaimPayment, adjustment: x12.Adjustment) -> x12.ServiceLine | None:
    if adjustment.level != "line":
        return None
    return next((svc for svc in event.lines if any(a is adjustment for a in svc.adjustments)),
                None)


def _settled_status(claim: Claim, *, denied: bool) -> ClaimStatus:
    if denied:
        return ClaimStatus.DENIED
    if claim.balance <= ZERO:
        return ClaimStatus.PAID
    if claim.paid_amount > ZERO:
        return ClaimStatus.PARTIALLY_PAID
    return claim.status


def _codes(codes: list[str]) -> str:
    out = ""
    for code in dict.fromkeys(c.strip().upper() for c in codes if c.strip()):
        candidate = f"{out},{code}" if out else code
        if len(candidate) > 60:
            break
        out = candidate
    return out


def _clip(value: str | None, length: int) -> str:
    return (value or "")[:length]


def _join(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second


def _record_run(run: ImportRun, result: ImportResult, now: datetime) -> None:
    run.counts = dict(result.counts)
    run.payments = [p.as_dict() for p in result.payments]
    run.errors = list(result.errors)
    run.status = ImportRunStatus.DONE
    run.progress = 100
    run.finished_at = now
    if result.already_imported:
        run.message = "Already imported: every payment in this file was posted before."
