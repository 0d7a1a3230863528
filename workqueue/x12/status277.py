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

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from workqueue.domain.claim_status import status_category
from workqueue.domain.import_limits import DEFAULT_LIMITS, ImportLimits
from workqueue.x12.elements import Malformed, amount, date_element, date_period
from workqueue.x12.reader import Loops, Segment
from workqueue.x12.transactions import (
    ParseIssue,
    ResponseFile,
    ResponseInterpreter,
    Source,
    iter_responses,
    read_responses,
)

# Every HL level and every claim (from its TRN) is held to the per-claim limit.
LOOPS = Loops({"HL": "HL loop", "TRN": "claim"})


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
class ClaimStatusFile(ResponseFile[ClaimStatusResult]):
    """A whole 277 file read: claims in file order, and problems with their positions."""


Event = ClaimStatusResult | ParseIssue


def parse_claim_statuses(stream: Source, limits: ImportLimits = DEFAULT_LIMITS
                         ) -> ClaimStatusFile:
    """Read a whole 277 file into memory: every claim with its statuses, and the problems
    found on the way.

    :raise X12Error: when the file cannot be read as X12 at all, or goes over ``limits``.
    """
    return read_responses(stream, _Interpreter(), ClaimStatusFile(), limits)


def iter_claim_statuses(stream: Source, limits: ImportLimits = DEFAULT_LIMITS
                        ) -> Iterator[Event]:
    """Stream the claims and problems of a 277 file in file order, one claim held at a time.

    :raise X12Error: when the file cannot be read as X12 at all, or goes over ``limits``.
    """
    return iter_responses(stream, _Interpreter(), limits)


class _Interpreter(ResponseInterpreter[ClaimStatusResult]):
    """State machine over one file's segments; ``row`` is the open claim (from its TRN)."""

    kind = "277"
    loops = LOOPS
    levels = {"20": "payer", "21": "receiver", "19": "provider", "22": "subscriber",
              "23": "dependent"}
    skipped = frozenset({"PER", "N3", "N4", "DMG", "QTY", "AMT", "PRV"})
    not_applied = "status not applied"

    def _reset(self) -> None:
        self.member_id = self.last = self.first = ""
        self.in_line = False

    def _who(self, claim: ClaimStatusResult) -> str:
        return f"claim at segment {claim.segment}" + (
            f" ({claim.patient_account})" if claim.patient_account else "")

    def _key(self, claim: ClaimStatusResult) -> str:
        return claim.patient_account

    def _enter_level(self, segment: Segment, level: str) -> None:
        if level == "subscriber":
            self.member_id = self.last = self.first = ""

    def _nm1(self, segment: Segment) -> Iterator[Event]:
        entity = segment[1]
        if self.level == "payer" and entity == "PR":
            self.payer_name, self.payer_id = segment[3], segment[9]
        elif self.level in ("subscriber", "dependent") and entity in ("IL", "QC"):
            yield from self._close_row()
            if entity == "IL":
                self.member_id = segment[9].strip()
            self.last, self.first = segment[3], segment[4]

    def _trn(self, segment: Segment) -> Iterator[Event]:
        yield from self._close_row()
        if self.level not in ("subscriber", "dependent"):
            return  # 2200A-C TRNs (batch traces) are not claims
        assert self.responded_at is not None
        self.row = ClaimStatusResult(
            segment=segment.position, transaction=self.transactions,
            responded_at=self.responded_at, trace_number=segment[2],
            payer_name=self.payer_name, payer_id=self.payer_id, member_id=self.member_id,
            patient_last=self.last, patient_first=self.first)
        self.broken = self.in_line = False

    def _stc(self, segment: Segment) -> Iterator[Event]:
        claim = self.row
        if claim is None:
            if self.level in ("subscriber", "dependent"):
                yield ParseIssue(segment.position, "STC before the claim's TRN; ignored")
            return  # information-source or provider-level status: not about one claim
        if self.in_line:
            return
        effective = yield from self._optional_date(segment, 2, claim)
        charge, paid = amount(segment, 4), amount(segment, 5)
        adjudicated = yield from self._optional_date(segment, 6, claim)
        check_date = yield from self._optional_date(segment, 8, claim)
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

    def _optional_date(self, segment: Segment, index: int, claim: ClaimStatusResult
                       ) -> Generator[ParseIssue, None, date | None]:
        """An STC date; one that cannot be read is reported and left empty (the status
        stays)."""
        if not segment[index]:
            return None
        try:
            return date_element(segment, index)
        except Malformed as problem:
            yield self._issue(segment.position, claim, f"{problem}; date left empty")
            return None

    def _ref(self, segment: Segment) -> Iterator[Event]:
        claim = self.row
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
        claim = self.row
        if claim is None or self.in_line or segment[1] != "472":
            return
        try:
            claim.service_from, claim.service_to = date_period(segment, 2, 3)
        except Malformed as problem:
            yield self._issue(segment.position, claim, f"{problem}; service date left empty")

    def _svc(self, segment: Segment) -> Iterator[Event]:
        if self.row is None:
            yield ParseIssue(segment.position, "SVC outside a claim; ignored")
            return
        self.in_line = True

    def _close_row(self) -> Iterator[Event]:
        claim, self.row = self.row, None
        if claim is None or self.broken:
            return
        if not claim.statuses:
            yield self._issue(claim.segment, claim, "no STC claim status; nothing to apply")
            return
        yield claim

    _handlers = ResponseInterpreter._handlers | {
        "NM1": _nm1,
        "TRN": _trn,
        "STC": _stc,
        "REF": _ref,
        "DTP": _dtp,
        "SVC": _svc,
    }
