"""835 remittance interpretation: segments in, plain dataclasses per payment and claim out.

`iter_remittance` streams events (`PaymentStarted`, `ClaimPayment`, `PaymentFinished`,
`ParseIssue`) so an importer can post claim by claim with flat memory;
`parse_remittance` collects them into one `Remittance` for reports and tests.

Error policy, from the point of view of someone posting the money:

* the envelope is wrong (counts, control numbers, truncation, garbage bytes) → the
  reader's `X12Error`; the file is not read at all;
* a transaction's BPR/TRN is missing or unreadable → that transaction is skipped and
  reported (no trace number, no idempotent posting), the others go on;
* a claim with an unreadable amount, a missing required element or a broken CAS →
  that claim is dropped and reported, the others go on; its money cannot be trusted;
* a bad date, an unexpected segment, a 4010-only code, a balancing violation → reported,
  the claim is kept as the payer sent it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import BinaryIO, TextIO

from workqueue.domain.denial_rules import (
    NEVER_DENIED_STATUSES,
    Denial,
    decide_claim_denial,
    decide_line_denial,
)
from workqueue.domain.import_limits import DEFAULT_LIMITS, ImportLimits
from workqueue.domain.reason_codes import ReasonCatalog, load_reason_codes
from workqueue.x12.elements import Malformed, amount, date_element
from workqueue.x12.reader import Loops, Segment, read_segments
from workqueue.x12.transactions import Interpreter, ParseIssue

ZERO = Decimal("0")
_CAS_GROUPS = frozenset({"CO", "PR", "OA", "PI"})
_LEGACY_CAS_GROUPS = frozenset({"CR"})  # 4010 only; accepted and flagged
_CLAIM_STATUSES = frozenset({"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"})
# Segments the 835 may carry that this product does not use: skipped without a word.
_HEADER_SKIPPED = frozenset({"CUR", "REF", "PER", "N2", "N3", "N4", "RDM", "DTM"})
_CLAIM_SKIPPED = frozenset({"REF", "PER", "QTY", "NM1", "TS3", "TS2"})
_LINE_SKIPPED = frozenset({"QTY"})
# What the interpreter holds while reading: a claim (and an LX header) until the next CLP, LX,
# PLB or SE; the payment's own segments (header, PLB) until SE. Each is held to the limit of
# segments per claim (domain/import_limits.py).
LOOPS = Loops({"CLP": "claim", "LX": "claim group"}, frozenset({"PLB"}))


@dataclass(slots=True)
class Party:
    """Payer (N1*PR) or payee (N1*PE): name and identifier."""

    name: str = ""
    id_qualifier: str = ""
    id: str = ""


@dataclass(slots=True)
class Adjustment:
    """One CAS triplet. Positive amounts reduce payment; negative ones add to it."""

    level: str  # "claim" | "line"
    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None
    procedure: str | None
    segment: int
    is_known_reason: bool


@dataclass(slots=True)
class Remark:
    """A remark code (RARC) from MOA/MIA (claim) or LQ*HE (line); LQ*RX is NCPDP."""

    code: str
    level: str  # "claim" | "line"
    qualifier: str  # "HE", "RX", "MOA", "MIA"
    is_known: bool


@dataclass(slots=True)
class ServiceLine:
    """Loop 2110: one SVC with its dates, adjustments, remarks and amounts."""

    segment: int
    procedure_qualifier: str
    procedure: str
    modifiers: list[str]
    charge: Decimal
    paid: Decimal
    revenue_code: str = ""
    units_paid: Decimal | None = None
    original_procedure: str = ""
    original_units: Decimal | None = None
    service_from: date | None = None
    service_to: date | None = None
    control_number: str = ""  # REF*6R, the 837 line item control number
    allowed: Decimal | None = None  # AMT*B6
    amounts: dict[str, Decimal] = field(default_factory=dict)
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[Remark] = field(default_factory=list)
    denial: Denial | None = None


@dataclass(slots=True)
class ClaimPayment:
    """Loop 2100: one CLP with patient, adjustments, lines and the denial decision.

    ``denial`` is set when the whole claim is denied; denied lines carry their own.
    ``transaction`` is the 0-based index of the payment (ST/SE) it belongs to.
    """

    segment: int
    transaction: int
    claim_id: str
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    filing_indicator: str = ""
    payer_claim_number: str = ""
    facility_code: str = ""
    frequency: str = ""
    patient_last: str = ""
    patient_first: str = ""
    patient_middle: str = ""
    patient_id: str = ""
    insured_id: str = ""
    statement_from: date | None = None
    statement_to: date | None = None
    received_on: date | None = None
    amounts: dict[str, Decimal] = field(default_factory=dict)
    adjustments: list[Adjustment] = field(default_factory=list)
    lines: list[ServiceLine] = field(default_factory=list)
    remarks: list[Remark] = field(default_factory=list)
    denial: Denial | None = None
    follows_reversal: bool = False  # a corrected claim right after its CLP02=22 reversal

    @property
    def is_reversal(self) -> bool:
        return self.status == "22"

    @property
    def patient_name(self) -> str:
        if self.patient_first:
            return f"{self.patient_last}, {self.patient_first}"
        return self.patient_last

    @property
    def all_adjustments(self) -> list[Adjustment]:
        """Claim-level then line-level adjustments, in file order."""
        return self.adjustments + [a for line in self.lines for a in line.adjustments]

    @property
    def all_remarks(self) -> list[str]:
        """Claim-level then line-level remark codes, each once, in file order."""
        seen: dict[str, None] = {}
        for remark in self.remarks:
            seen.setdefault(remark.code)
        for line in self.lines:
            for remark in line.remarks:
                seen.setdefault(remark.code)
        return list(seen)

    @property
    def denials(self) -> list[Denial]:
        """The claim's denial if denied whole, else the denials of its lines."""
        if self.denial is not None:
            return [self.denial]
        return [line.denial for line in self.lines if line.denial is not None]


@dataclass(slots=True)
class ProviderAdjustment:
    """One PLB reason/amount pair. Positive = money taken back from the provider."""

    segment: int
    provider_id: str
    fiscal_period: date | None
    reason: str
    reference: str
    amount: Decimal


@dataclass(slots=True)
class Payment:
    """One 835 transaction: the check or EFT (BPR/TRN), payer, payee and PLB.

    ``claims`` is filled by `parse_remittance` only; streaming consumers get claims as
    separate events and ``claim_count``/``claims_paid`` as running totals.
    """

    segment: int
    transaction: int
    control_number: str
    handling: str = ""
    amount: Decimal = ZERO
    credit_debit: str = ""
    method: str = ""
    payment_date: date | None = None
    trace_number: str = ""
    trace_originator: str = ""
    production_date: date | None = None
    payer: Party = field(default_factory=Party)
    payee: Party = field(default_factory=Party)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    claim_count: int = 0
    claims_paid: Decimal = ZERO
    claims: list[ClaimPayment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PaymentStarted:
    payment: Payment


@dataclass(frozen=True, slots=True)
class PaymentFinished:
    payment: Payment


RemittanceEvent = PaymentStarted | ClaimPayment | PaymentFinished | ParseIssue


@dataclass(slots=True)
class Remittance:
    """A whole 835 file read: payments in file order, each with its claims, and errors."""

    transactions: int = 0
    payments: list[Payment] = field(default_factory=list)
    errors: list[ParseIssue] = field(default_factory=list)


def parse_remittance(stream: BinaryIO | TextIO | Iterable[bytes] | Iterable[str],
                     catalog: ReasonCatalog | None = None,
                     limits: ImportLimits = DEFAULT_LIMITS) -> Remittance:
    """Read a whole 835 file into a `Remittance` (claims kept in memory: for tests and small
    files; imports and reports stream `iter_remittance`).

    :raise X12Error: when the file cannot be read as X12 at all, or goes over ``limits``.
    """
    result = Remittance()
    current: Payment | None = None
    for event in iter_remittance(stream, catalog, limits):
        if isinstance(event, ClaimPayment):
            assert current is not None
            current.claims.append(event)
        elif isinstance(event, PaymentStarted):
            current = event.payment
            result.payments.append(current)
        elif isinstance(event, ParseIssue):
            result.errors.append(event)
        elif isinstance(event, PaymentFinished):
            result.transactions += 1
            current = None
        else:  # pragma: no cover - the union above is closed
            raise TypeError(event)
    return result


def iter_remittance(stream: BinaryIO | TextIO | Iterable[bytes] | Iterable[str],
                    catalog: ReasonCatalog | None = None,
                    limits: ImportLimits = DEFAULT_LIMITS) -> Iterator[RemittanceEvent]:
    """Stream the events of an 835 file in file order.

    Every transaction yields `PaymentStarted` before its claims and `PaymentFinished`
    after them (also for skipped transactions, without claims, so counts stay honest —
    a skipped one has no `PaymentStarted`). `ParseIssue` events come where found.

    :raise X12Error: when the file cannot be read as X12 at all, or goes over ``limits``
        (what one claim holds is then bounded whatever the file holds).
    """
    interpreter = _Interpreter(catalog if catalog is not None else load_reason_codes())
    for segment in read_segments(stream, limits=limits, loops=LOOPS):
        yield from interpreter.feed(segment)


class _Interpreter(Interpreter):
    """State machine over the segments of one file; one instance per file (the dispatch,
    `feed`, is `Interpreter`'s)."""

    def __init__(self, catalog: ReasonCatalog) -> None:
        self.catalog = catalog
        self.transaction_index = -1
        self.payment: Payment | None = None
        self.in_transaction = False
        self.skipping = False  # the current transaction is unusable (or not an 835)
        self.started = False  # PaymentStarted was emitted for the current transaction
        self.incomplete = False  # something was dropped: the check total cannot balance
        self.claim: ClaimPayment | None = None
        self.claim_broken = False
        self.line: ServiceLine | None = None
        self.last_reversal_id: str | None = None
        self.after_plb = False

    # -- problems -------------------------------------------------------------------------

    def _malformed(self, segment: Segment, message: str) -> Iterator[RemittanceEvent]:
        if self.claim is not None:
            if not self.claim_broken:
                self.claim_broken = True
                yield self._issue(segment, f"claim {self.claim.claim_id}: {message}; claim "
                                  "not posted")
            return
        if not self.started:
            self.skipping = True
            yield ParseIssue(segment.position, f"transaction {self._control()}: {message}; "
                             "transaction skipped")
            return
        self.incomplete = True
        yield ParseIssue(segment.position, f"{message}; segment ignored")

    def _issue(self, segment: Segment, message: str) -> ParseIssue:
        claim_id = self.claim.claim_id if self.claim is not None else None
        return ParseIssue(segment.position, message, claim_id)

    def _control(self) -> str:
        return repr(self.payment.control_number) if self.payment else "?"

    # -- transaction ----------------------------------------------------------------------

    def _start_transaction(self, segment: Segment) -> Iterator[RemittanceEvent]:
        self.transaction_index += 1
        self.in_transaction = True
        self.started = self.incomplete = self.after_plb = False
        self.claim = self.line = None
        self.last_reversal_id = None
        self.payment = Payment(segment=segment.position, transaction=self.transaction_index,
                               control_number=segment[2])
        self.skipping = segment[1] != "835"
        if self.skipping:
            yield ParseIssue(segment.position, f"transaction {segment[2]!r} is a "
                             f"{segment[1]!r}, not an 835; skipped")

    def _ensure_started(self, segment: Segment) -> Iterator[RemittanceEvent]:
        """Close the header the first time a claim, PLB or SE shows up."""
        if self.started or self.skipping:
            return
        payment = self.payment
        assert payment is not None
        missing = [name for name, value in (("BPR", payment.handling),
                                            ("TRN", payment.trace_number)) if not value]
        if missing:
            self.skipping = True
            yield ParseIssue(segment.position, f"transaction {payment.control_number!r}: "
                             f"no {' or '.join(missing)} before the first claim; "
                             "transaction skipped")
            return
        self.started = True
        yield PaymentStarted(payment)

    def _finish_transaction(self, segment: Segment) -> Iterator[RemittanceEvent]:
        yield from self._close_claim()
        yield from self._ensure_started(segment)
        payment = self.payment
        assert payment is not None
        self.in_transaction = False
        if not self.started:
            if not self.skipping:  # pragma: no cover - _ensure_started sets one of them
                raise AssertionError("transaction neither started nor skipped")
            yield PaymentFinished(payment)
            return
        if not self.incomplete:
            plb_total = sum((a.amount for a in payment.provider_adjustments), ZERO)
            expected = payment.claims_paid - plb_total
            if payment.amount != expected:
                yield ParseIssue(segment.position, f"transaction {payment.control_number!r} "
                                 f"(trace {payment.trace_number}) does not balance: BPR02 "
                                 f"{payment.amount} but claims paid {payment.claims_paid} "
                                 f"minus provider adjustments {plb_total} = {expected}")
        yield PaymentFinished(payment)

    # -- header ---------------------------------------------------------------------------

    def _bpr(self, segment: Segment) -> Iterator[RemittanceEvent]:
        if self._misplaced(segment):
            yield self._issue(segment, "BPR after the first claim; ignored")
            return
        payment = self.payment
        assert payment is not None
        if not segment[1]:
            raise Malformed("BPR01 (handling code) is empty")
        payment.amount = amount(segment, 2, required=True)  # type: ignore[assignment]
        payment.handling = segment[1]
        payment.credit_debit = segment[3]
        payment.method = segment[4]
        if segment[16]:
            try:
                payment.payment_date = date_element(segment, 16)
            except Malformed as problem:
                yield ParseIssue(segment.position, f"{problem}; payment date left empty")

    def _trn(self, segment: Segment) -> Iterator[RemittanceEvent]:
        if self._misplaced(segment):
            yield self._issue(segment, "TRN after the first claim; ignored")
            return
        if not segment[2]:
            raise Malformed("TRN02 (check or EFT trace number) is empty")
        payment = self.payment
        assert payment is not None
        payment.trace_number = segment[2]
        payment.trace_originator = segment[3]

    def _n1(self, segment: Segment) -> Iterator[RemittanceEvent]:
        if self._misplaced(segment):
            yield self._issue(segment, f"N1*{segment[1]} after the first claim; ignored")
            return
        payment = self.payment
        assert payment is not None
        party = Party(name=segment[2], id_qualifier=segment[3], id=segment[4])
        if segment[1] == "PR":
            payment.payer = party
        elif segment[1] == "PE":
            payment.payee = party

    def _dtm(self, segment: Segment) -> Iterator[RemittanceEvent]:
        qualifier = segment[1]
        try:
            value = date_element(segment, 2)
        except Malformed as problem:
            yield self._issue(segment, f"{problem}; date left empty")
            return
        if self.line is not None:
            if qualifier in ("472", "150"):
                self.line.service_from = value
                if qualifier == "472":
                    self.line.service_to = value
            elif qualifier == "151":
                self.line.service_to = value
        elif self.claim is not None:
            if qualifier == "232":
                self.claim.statement_from = value
            elif qualifier == "233":
                self.claim.statement_to = value
            elif qualifier == "050":
                self.claim.received_on = value
        elif qualifier == "405" and self.payment is not None:
            self.payment.production_date = value

    def _misplaced(self, segment: Segment) -> bool:
        return self.started or self.claim is not None

    # -- claims ---------------------------------------------------------------------------

    def _lx(self, segment: Segment) -> Iterator[RemittanceEvent]:
        yield from self._close_claim()
        yield from self._ensure_started(segment)

    def _clp(self, segment: Segment) -> Iterator[RemittanceEvent]:
        yield from self._close_claim()
        yield from self._ensure_started(segment)
        if self.skipping:
            return
        if self.after_plb:
            yield ParseIssue(segment.position, f"CLP {segment[1]!r} after PLB; read anyway")
        claim_id = segment[1]
        # Open the claim before validating so a problem is reported against it.
        self.claim = claim = ClaimPayment(segment=segment.position,
                                          transaction=self.transaction_index,
                                          claim_id=claim_id, status=segment[2],
                                          charge=ZERO, paid=ZERO, patient_responsibility=None)
        self.claim_broken = False
        if not claim_id:
            raise Malformed("CLP01 (patient control number) is empty")
        if segment[2] not in _CLAIM_STATUSES:
            raise Malformed(f"CLP02 status {segment[2][:10]!r} is not a 5010 claim status")
        claim.charge = amount(segment, 3, required=True)  # type: ignore[assignment]
        claim.paid = amount(segment, 4, required=True)  # type: ignore[assignment]
        claim.patient_responsibility = amount(segment, 5)
        claim.filing_indicator = segment[6]
        claim.payer_claim_number = segment[7]
        claim.facility_code = segment[8]
        claim.frequency = segment[9]

    def _cas(self, segment: Segment) -> Iterator[RemittanceEvent]:
        if self.claim is None:
            yield self._issue(segment, "CAS outside a claim; ignored")
            return
        group = segment[1]
        if group in _LEGACY_CAS_GROUPS:
            yield self._issue(segment, f"claim {self.claim.claim_id}: CAS group {group} is a "
                              "4010 code, not valid in 5010; kept as sent")
        elif group not in _CAS_GROUPS:
            raise Malformed(f"CAS01 group {group[:10]!r} is not CO, PR, OA or PI")
        line = self.line
        level = "line" if line is not None else "claim"
        target = line.adjustments if line is not None else self.claim.adjustments
        procedure = line.procedure if line is not None else None
        found = 0
        for start in range(2, 20, 3):
            reason = segment[start]
            if not reason and not segment[start + 1]:
                continue
            if not reason:
                raise Malformed(f"CAS{start:02d} reason code is empty but an amount follows")
            value = amount(segment, start + 1, required=True)
            quantity = amount(segment, start + 2)
            target.append(Adjustment(level=level, group=group, reason=reason,
                                     amount=value,  # type: ignore[arg-type]
                                     quantity=quantity, procedure=procedure,
                                     segment=segment.position,
                                     is_known_reason=self.catalog.carc(reason) is not None))
            found += 1
        if len(segment) > 20:
            raise Malformed("CAS has more than six reason/amount/quantity triplets")
        if not found:
            raise Malformed("CAS has no reason/amount triplet")

    def _nm1(self, segment: Segment) -> Iterator[RemittanceEvent]:
        claim = self.claim
        if claim is None:
            yield self._issue(segment, f"NM1*{segment[1]} outside a claim; ignored")
            return
        if self.line is not None:
            yield self._issue(segment, f"claim {claim.claim_id}: NM1*{segment[1]} among "
                              "service lines; ignored")
            return
        if segment[1] == "QC":
            claim.patient_last, claim.patient_first = segment[3], segment[4]
            claim.patient_middle, claim.patient_id = segment[5], segment[9]
        elif segment[1] == "IL":
            claim.insured_id = segment[9]

    def _moa_mia(self, segment: Segment) -> Iterator[RemittanceEvent]:
        claim = self.claim
        if claim is None or self.line is not None:
            yield self._issue(segment, f"{segment.id} outside a claim's header; ignored")
            return
        # Remark-code positions: MOA03-07; MIA05 and MIA20-23.
        positions = range(3, 8) if segment.id == "MOA" else (5, 20, 21, 22, 23)
        for index in positions:
            code = segment[index]
            if code:
                claim.remarks.append(Remark(code=code, level="claim", qualifier=segment.id,
                                            is_known=self.catalog.rarc(code) is not None))
        yield from ()  # a generator like the other handlers

    def _amt(self, segment: Segment) -> Iterator[RemittanceEvent]:
        if self.claim is None:
            yield self._issue(segment, "AMT outside a claim; ignored")
            return
        value = amount(segment, 2, required=True)
        assert value is not None
        if self.line is not None:
            self.line.amounts[segment[1]] = value
            if segment[1] == "B6":
                self.line.allowed = value
        else:
            self.claim.amounts[segment[1]] = value

    def _svc(self, segment: Segment) -> Iterator[RemittanceEvent]:
        claim = self.claim
        if claim is None:
            yield self._issue(segment, "SVC outside a claim; ignored")
            return
        yield from self._close_line()
        parts = segment.components(1)
        if len(parts) < 2 or not parts[1]:
            raise Malformed(f"SVC01 {segment[1][:40]!r} has no qualifier:code")
        charge = amount(segment, 2, required=True)
        paid = amount(segment, 3, required=True)
        line = ServiceLine(segment=segment.position, procedure_qualifier=parts[0],
                           procedure=parts[1], modifiers=[m for m in parts[2:6] if m],
                           charge=charge, paid=paid,  # type: ignore[arg-type]
                           revenue_code=segment[4],
                           units_paid=amount(segment, 5))
        original = segment.components(6)
        if len(original) >= 2:
            line.original_procedure = original[1]
        line.original_units = amount(segment, 7)
        self.line = line
        claim.lines.append(line)

    def _lq(self, segment: Segment) -> Iterator[RemittanceEvent]:
        if self.line is None:
            yield self._issue(segment, "LQ outside a service line; ignored")
            return
        if segment[2]:
            self.line.remarks.append(Remark(code=segment[2], level="line",
                                            qualifier=segment[1],
                                            is_known=self.catalog.rarc(segment[2]) is not None))

    def _ref(self, segment: Segment) -> Iterator[RemittanceEvent]:
        if self.line is not None:
            if segment[1] == "6R":
                self.line.control_number = segment[2]
            return
        yield from self._other(segment)

    def _plb(self, segment: Segment) -> Iterator[RemittanceEvent]:
        yield from self._close_claim()
        yield from self._ensure_started(segment)
        if self.skipping:
            return
        self.after_plb = True
        payment = self.payment
        assert payment is not None
        fiscal_period = None
        if segment[2]:
            try:
                fiscal_period = date_element(segment, 2)
            except Malformed as problem:
                yield ParseIssue(segment.position, f"{problem}; fiscal period left empty")
        found: list[ProviderAdjustment] = []
        for start in range(3, 15, 2):
            if not segment[start] and not segment[start + 1]:
                continue
            parts = segment.components(start)
            if not parts or not parts[0]:
                raise Malformed(f"PLB{start:02d} has no adjustment reason code")
            found.append(ProviderAdjustment(segment=segment.position, provider_id=segment[1],
                                            fiscal_period=fiscal_period, reason=parts[0],
                                            reference=parts[1] if len(parts) > 1 else "",
                                            amount=amount(segment, start + 1, required=True)))  # type: ignore[arg-type]
        if not found:
            raise Malformed("PLB has no reason/amount pair")
        payment.provider_adjustments.extend(found)

    def _other(self, segment: Segment) -> Iterator[RemittanceEvent]:
        segment_id = segment.id
        if self.line is not None:
            skipped = segment_id in _LINE_SKIPPED
        elif self.claim is not None:
            skipped = segment_id in _CLAIM_SKIPPED
        else:
            skipped = segment_id in _HEADER_SKIPPED and not self.started
        if not skipped:
            where = "a service line" if self.line else "a claim" if self.claim else \
                "the payment header" if not self.started else "the transaction"
            yield self._issue(segment, f"unexpected {segment_id} segment in {where}; ignored")

    # -- closing --------------------------------------------------------------------------

    def _close_line(self) -> Iterator[RemittanceEvent]:
        line = self.line
        if line is None:
            return
        self.line = None
        claim = self.claim
        assert claim is not None
        adjusted = sum((a.amount for a in line.adjustments), ZERO)
        if line.charge - adjusted != line.paid:
            yield ParseIssue(line.segment, f"claim {claim.claim_id}: line {line.procedure} does "
                             f"not balance: charge {line.charge} - adjustments {adjusted} = "
                             f"{line.charge - adjusted}, but paid {line.paid}", claim.claim_id)
        remarks = [r.code for r in line.remarks] + [r.code for r in claim.remarks]
        if claim.status not in NEVER_DENIED_STATUSES:
            line.denial = decide_line_denial(line.paid, line.adjustments, remarks, self.catalog)

    def _close_claim(self) -> Iterator[RemittanceEvent]:
        claim = self.claim
        if claim is None:
            return
        if not self.claim_broken:
            yield from self._close_line()
        self.line = None
        self.claim = None
        payment = self.payment
        assert payment is not None
        if self.claim_broken:
            self.incomplete = True
            return
        adjusted = sum((a.amount for a in claim.all_adjustments), ZERO)
        if claim.charge - adjusted != claim.paid:
            yield ParseIssue(claim.segment, f"claim {claim.claim_id} does not balance: charge "
                             f"{claim.charge} - claim and line adjustments {adjusted} = "
                             f"{claim.charge - adjusted}, but paid {claim.paid}", claim.claim_id)
        claim.denial = decide_claim_denial(claim.status, claim.charge, claim.paid,
                                           claim.all_adjustments, claim.all_remarks,
                                           self.catalog)
        if claim.is_reversal:
            self.last_reversal_id = claim.claim_id
        else:
            claim.follows_reversal = self.last_reversal_id == claim.claim_id
            self.last_reversal_id = None
        payment.claim_count += 1
        payment.claims_paid += claim.paid
        yield claim

    _handlers = {
        "BPR": _bpr,
        "TRN": _trn,
        "N1": _n1,
        "DTM": _dtm,
        "LX": _lx,
        "CLP": _clp,
        "CAS": _cas,
        "NM1": _nm1,
        "MOA": _moa_mia,
        "MIA": _moa_mia,
        "AMT": _amt,
        "SVC": _svc,
        "LQ": _lq,
        "REF": _ref,
        "PLB": _plb,
    }
