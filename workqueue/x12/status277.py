"""277 claim-status interpretation (005010X212): segments in, one plain `ClaimStatusResult`
per claim (loop 2200D under a subscriber, 2200E under a dependent) out.

What is read (DOMAIN.md §4.4, §9.3): the payer (2100A NM1*PR), the member (NM1*IL / NM1*QC),
and per claim its TRN trace, each STC (STC01 composite category:status:entity, STC02
effective date, STC04 charge, STC05 payment, STC06 adjudication date, STC08/09 check date
and number, STC10/11 further statuses), REF*1K payer claim number, REF*EJ patient account
number (our claim number) and DTP*472 service dates. Service-line loops (2220D/E) are read
past: the claim-level status is what the AR item needs.

Error policy:

* the envelope is wrong → the reader's `X12Error`; the file is not read at all;
* a transaction without a readable BHT date → skipped and reported;
* a claim whose STC01 has no 5010 category, or whose amounts cannot be read, or that has no
  STC at all → that claim is dropped and reported; the others go on;
* a bad date, an unexpected segment → reported; the claim is kept as the payer sent it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO, TextIO

from workqueue.domain.claim_status import status_category
from workqueue.x12.elements import Malformed, amount, created_at, date_element, date_period
from workqueue.x12.reader import Segment, read_segments
from workqueue.x12.remit835 import ParseIssue

_LEVELS = {"20": "payer", "21": "receiver", "19": "provider", "22": "subscriber",
           "23": "dependent"}
_SKIPPED = frozenset({"PER", "N3", "N4", "DMG", "QTY", "AMT", "PRV"})


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """One STC01 (or STC10/STC11) composite with the STC's dates and amounts."""

    segment: int
    category: str
    code: str
    entity: str
    effective_on: date | None
    action: str = ""
    charge: Decimal | None = None
    paid: Decimal | None = None
    adjudicated_on: date | None = None
    check_date: date | None = None
    check_number: str = ""

    @property
    def label(self) -> str:
        return ":".join(part for part in (self.category, self.code, self.entity) if part)


@dataclass(slots=True)
class ClaimStatusResult:
    """What the payer said about one claim. ``segment`` is the position of its TRN."""

    segment: int
    transaction: int
    responded_at: datetime
    trace_number: str
    payer_name: str = ""
    payer_id: str = ""
    member_id: str = ""
    patient_last: str = ""
    patient_first: str = ""
    patient_account: str = ""  # REF*EJ: our claim number
    payer_claim_number: str = ""  # REF*1K
    bill_type: str = ""
    service_from: date | None = None
    service_to: date | None = None
    statuses: list[StatusInfo] = field(default_factory=list)

    @property
    def status(self) -> StatusInfo:
        """The claim's status: the first STC01 (the guides put the current one first)."""
        return self.statuses[0]


@dataclass(slots=True)
class ClaimStatusFile:
    transactions: int = 0
    results: list[ClaimStatusResult] = field(default_factory=list)
    errors: list[ParseIssue] = field(default_factory=list)


Event = ClaimStatusResult | ParseIssue


def parse_claim_statuses(stream: BinaryIO | TextIO | Iterable[bytes] | Iterable[str]
                         ) -> ClaimStatusFile:
    """Read a whole 277 file into memory.

    :raise X12Error: when the file cannot be read as X12 at all.
    """
    out = ClaimStatusFile()
    interpreter = _Interpreter()
    for segment in read_segments(stream):
        for event in interpreter.feed(segment):
            if isinstance(event, ClaimStatusResult):
                out.results.append(event)
            else:
                out.errors.append(event)
    out.transactions = interpreter.transactions
    return out


def iter_claim_statuses(stream: BinaryIO | TextIO | Iterable[bytes] | Iterable[str]
                        ) -> Iterator[Event]:
    """Stream the claims and problems of a 277 file in file order.

    :raise X12Error: when the file cannot be read as X12 at all.
    """
    interpreter = _Interpreter()
    for segment in read_segments(stream):
        yield from interpreter.feed(segment)


class _Interpreter:
    def __init__(self) -> None:
        self.transactions = 0
        self.in_transaction = False
        self.skipping = False
        self.control = ""
        self.responded_at: datetime | None = None
        self.level = ""
        self.payer_name = self.payer_id = ""
        self.member_id = self.last = self.first = ""
        self.claim: ClaimStatusResult | None = None
        self.broken = False
        self.in_line = False

    def feed(self, segment: Segment) -> Iterator[Event]:
        segment_id = segment.id
        if segment_id == "ST":
            yield from self._start(segment)
            return
        if not self.in_transaction:
            return
        if segment_id == "SE":
            yield from self._close_claim()
            self.in_transaction = False
            self.transactions += 1
            return
        if self.skipping:
            return
        handler = self._handlers.get(segment_id)
        try:
            if handler is not None:
                yield from handler(self, segment)
            elif segment_id not in _SKIPPED:
                yield ParseIssue(segment.position, f"unexpected {segment_id} segment; ignored")
        except Malformed as problem:
            yield from self._malformed(segment, str(problem))

    def _malformed(self, segment: Segment, message: str) -> Iterator[Event]:
        claim = self.claim
        if claim is not None:
            if not self.broken:
                self.broken = True
                yield ParseIssue(segment.position, f"{_who(claim)}: {message}; status not "
                                 "applied", claim.patient_account or None)
            return
        yield ParseIssue(segment.position, f"{message}; segment ignored")

    def _start(self, segment: Segment) -> Iterator[Event]:
        self.in_transaction = True
        self.control = segment[2]
        self.responded_at = None
        self.level = ""
        self.payer_name = self.payer_id = ""
        self.member_id = self.last = self.first = ""
        self.claim = None
        self.broken = self.in_line = False
        self.skipping = segment[1] != "277"
        if self.skipping:
            yield ParseIssue(segment.position, f"transaction {segment[2]!r} is a "
                             f"{segment[1]!r}, not a 277; skipped")

    def _bht(self, segment: Segment) -> Iterator[Event]:
        try:
            self.responded_at = created_at(segment)
        except Malformed as problem:
            self.skipping = True
            yield ParseIssue(segment.position, f"transaction {self.control!r}: {problem}; "
                             "the response cannot be dated, transaction skipped")

    def _hl(self, segment: Segment) -> Iterator[Event]:
        yield from self._close_claim()
        level = _LEVELS.get(segment[3])
        if level is None:
            raise Malformed(f"HL03 {segment[3][:10]!r} is not a 277 level (20, 21, 19, 22, 23)")
        if self.responded_at is None:
            self.skipping = True
            yield ParseIssue(segment.position, f"transaction {self.control!r}: no BHT before "
                             "the first HL; transaction skipped")
            return
        self.level = level
        if level == "subscriber":
            self.member_id = self.last = self.first = ""

    def _nm1(self, segment: Segment) -> Iterator[Event]:
        entity = segment[1]
        if self.level == "payer" and entity == "PR":
            self.payer_name, self.payer_id = segment[3], segment[9]
        elif self.level in ("subscriber", "dependent") and entity in ("IL", "QC"):
            yield from self._close_claim()
            if entity == "IL":
                self.member_id = segment[9].strip()
            self.last, self.first = segment[3], segment[4]

    def _trn(self, segment: Segment) -> Iterator[Event]:
        yield from self._close_claim()
        if self.level not in ("subscriber", "dependent"):
            return  # 2200A-C TRNs (batch traces) are not claims
        assert self.responded_at is not None
        self.claim = ClaimStatusResult(
            segment=segment.position, transaction=self.transactions,
            responded_at=self.responded_at, trace_number=segment[2],
            payer_name=self.payer_name, payer_id=self.payer_id, member_id=self.member_id,
            patient_last=self.last, patient_first=self.first)
        self.broken = self.in_line = False

    def _stc(self, segment: Segment) -> Iterator[Event]:
        claim = self.claim
        if claim is None:
            if self.level in ("subscriber", "dependent"):
                yield ParseIssue(segment.position, "STC before the claim's TRN; ignored")
            return  # information-source or provider-level status: not about one claim
        if self.in_line:
            return
        effective = None
        if segment[2]:
            try:
                effective = date_element(segment, 2)
            except Malformed as problem:
                yield ParseIssue(segment.position, f"{_who(claim)}: {problem}; date left "
                                 "empty", claim.patient_account or None)
        charge, paid = amount(segment, 4), amount(segment, 5)
        dates = {}
        for index in (6, 8):
            try:
                dates[index] = date_element(segment, index) if segment[index] else None
            except Malformed as problem:
                dates[index] = None
                yield ParseIssue(segment.position, f"{_who(claim)}: {problem}; date left "
                                 "empty", claim.patient_account or None)
        adjudicated, check_date = dates[6], dates[8]
        for index in (1, 10, 11):
            parts = segment.components(index)
            if index != 1 and not parts:
                continue
            category = parts[0].strip().upper() if parts else ""
            if status_category(category) is None:
                raise Malformed(f"STC{index:02d}-1 {category[:10]!r} is not a claim status "
                                "category code")
            claim.statuses.append(StatusInfo(
                segment=segment.position, category=category,
                code=parts[1] if len(parts) > 1 else "",
                entity=parts[2] if len(parts) > 2 else "", effective_on=effective,
                action=segment[3], charge=charge, paid=paid, adjudicated_on=adjudicated,
                check_date=check_date, check_number=segment[9]))

    def _ref(self, segment: Segment) -> Iterator[Event]:
        claim = self.claim
        if claim is None or self.in_line:
            return
        if segment[1] == "1K":
            claim.payer_claim_number = segment[2].strip()
        elif segment[1] == "EJ":
            claim.patient_account = segment[2].strip()
        elif segment[1] == "BLT":
            claim.bill_type = segment[2].strip()
        yield from ()

    def _dtp(self, segment: Segment) -> Iterator[Event]:
        claim = self.claim
        if claim is None or self.in_line or segment[1] != "472":
            return
        try:
            claim.service_from, claim.service_to = date_period(segment, 2, 3)
        except Malformed as problem:
            yield ParseIssue(segment.position, f"{_who(claim)}: {problem}; service date left "
                             "empty", claim.patient_account or None)

    def _svc(self, segment: Segment) -> Iterator[Event]:
        if self.claim is None:
            yield ParseIssue(segment.position, "SVC outside a claim; ignored")
            return
        self.in_line = True

    def _close_claim(self) -> Iterator[Event]:
        claim, self.claim = self.claim, None
        if claim is None or self.broken:
            return
        if not claim.statuses:
            yield ParseIssue(claim.segment, f"{_who(claim)}: no STC claim status; nothing to "
                             "apply", claim.patient_account or None)
            return
        yield claim

    _handlers = {
        "BHT": _bht,
        "HL": _hl,
        "NM1": _nm1,
        "TRN": _trn,
        "STC": _stc,
        "REF": _ref,
        "DTP": _dtp,
        "SVC": _svc,
    }


def _who(claim: ClaimStatusResult) -> str:
    return f"claim at segment {claim.segment}" + (
        f" ({claim.patient_account})" if claim.patient_account else "")
