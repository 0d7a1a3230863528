"""271 eligibility-response interpretation (005010X279A1): segments in, one plain
`EligibilityResult` per subscriber (loop 2000C) or dependent (2000D) out.

What is read (DOMAIN.md §8.1): the payer (2100A NM1*PR), the member (NM1*IL member ID and
name; a dependent's NM1*03 name under the subscriber's member ID), DMG birth date, the
eligibility/plan dates (DTP 346/347/356/357/291/307), each benefit (EB with its service
types, time period, amount, percent, quantity, authorization and network indicators and
MSG text) and AAA rejections with their reason codes.

Error policy, from the point of view of someone updating a coverage:

* the envelope is wrong → the reader's `X12Error`; the file is not read at all;
* a transaction without a readable BHT date → skipped and reported (nothing in it can be
  dated, so nothing in it may overwrite a verification);
* a member without NM1*IL member ID, or with an EB01 that is not a 5010 code, or an EB
  amount/percent that cannot be read → that member is dropped and reported (its benefits
  cannot be trusted); the others go on;
* a bad date, an unexpected segment → reported; the member is kept as the payer sent it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from workqueue.domain.import_limits import DEFAULT_LIMITS, ImportLimits
from workqueue.x12.elements import Malformed, amount, date_element, date_period, percent
from workqueue.x12.reader import Loops, Segment
from workqueue.x12.transactions import (
    ParseIssue,
    ResponseFile,
    ResponseInterpreter,
    Source,
    iter_responses,
    read_responses,
)

# EB01 benefit information codes (DOMAIN.md §8.1).
ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})
INACTIVE_CODES = frozenset({"6", "7", "8"})
BENEFIT_CODES = ACTIVE_CODES | INACTIVE_CODES | frozenset({
    "A", "B", "C", "CB", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "MC", "N", "O", "P",
    "Q", "R", "S", "T", "U", "V", "W", "X", "Y"})
# AAA03 reject reasons a person can act on, in plain words.
REJECT_REASONS = {
    "15": "required application data missing",
    "41": "authorization/access restrictions",
    "42": "unable to respond at current time",
    "43": "invalid/missing provider identification",
    "45": "invalid/missing provider specialty",
    "47": "invalid/missing provider state",
    "48": "invalid/missing referring provider identification number",
    "49": "provider is not primary care physician",
    "51": "provider not on file",
    "52": "service dates not within provider plan enrollment",
    "56": "inappropriate date",
    "57": "invalid/missing date(s) of service",
    "58": "invalid/missing date of birth",
    "60": "date of birth follows date(s) of service",
    "61": "date of death precedes date(s) of service",
    "62": "date of service not within allowable inquiry period",
    "63": "date of service in future",
    "64": "invalid/missing patient ID",
    "65": "invalid/missing patient name",
    "66": "invalid/missing patient gender code",
    "67": "patient not found",
    "68": "duplicate patient ID number",
    "71": "patient birth date does not match that for the patient on the database",
    "72": "invalid/missing subscriber/insured ID",
    "73": "invalid/missing subscriber/insured name",
    "74": "invalid/missing subscriber/insured gender code",
    "75": "subscriber/insured not found",
    "76": "duplicate subscriber/insured ID number",
    "78": "subscriber/insured not in group/plan identified",
}
_DATE_QUALIFIERS = {"346": "plan_begin", "347": "plan_end", "356": "eligibility_begin",
                    "357": "eligibility_end", "291": "plan", "307": "eligibility"}
# Segments a 271 may carry that this product does not use: skipped without a word.
_SKIPPED = frozenset({"TRN", "REF", "N3", "N4", "PER", "PRV", "INS", "HI", "MPI", "HSD",
                      "III", "LS", "LE", "N1", "N2", "DTM"})

# Every HL (payer, provider, subscriber, dependent) opens a loop held to the per-claim limit.
LOOPS = Loops({"HL": "HL loop"})


@dataclass(slots=True)
class Benefit:
    """One EB segment (loop 2110C/D) with its MSG lines."""

    segment: int
    code: str  # EB01
    coverage_level: str = ""  # EB02: IND, FAM, EMP ...
    service_types: list[str] = field(default_factory=list)  # EB03, repeatable
    insurance_type: str = ""  # EB04
    plan_name: str = ""  # EB05
    time_period: str = ""  # EB06: 29 remaining, 23 calendar year ...
    amount: Decimal | None = None  # EB07
    percent: Decimal | None = None  # EB08, a fraction
    quantity_qualifier: str = ""  # EB09
    quantity: Decimal | None = None  # EB10
    authorization_required: str = ""  # EB11: Y, N, U
    in_network: str = ""  # EB12: Y, N, U, W
    messages: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Rejection:
    """One AAA: the payer could not answer (AAA03 reason, AAA04 follow-up action)."""

    segment: int
    level: str  # payer | provider | subscriber | dependent
    reason: str
    action: str
    is_valid_request: bool

    @property
    def reason_words(self) -> str:
        return REJECT_REASONS.get(self.reason, f"reason code {self.reason or '(none)'}")


@dataclass(slots=True)
class EligibilityResult:
    """What the payer said about one member: loop 2000C, or 2000D for a dependent.

    ``segment`` is the position of the member's HL; ``transaction`` the 0-based ST/SE
    index; ``responded_at`` the response's BHT04/BHT05 time.
    """

    segment: int
    transaction: int
    responded_at: datetime
    payer_name: str = ""
    payer_id: str = ""
    member_id: str = ""
    is_dependent: bool = False
    last_name: str = ""
    first_name: str = ""
    birth_date: date | None = None
    gender: str = ""
    dates: dict[str, tuple[date, date]] = field(default_factory=dict)
    benefits: list[Benefit] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``active``, ``inactive``, ``rejected`` (AAA, no answer) or ``unknown``."""
        codes = {b.code for b in self.benefits}
        if codes & ACTIVE_CODES:
            return "active"
        if codes & INACTIVE_CODES:
            return "inactive"
        if self.rejections:
            return "rejected"
        return "unknown"

    @property
    def status_code(self) -> str:
        """The EB01 that decided :attr:`status` (``""`` when none did)."""
        for codes in (ACTIVE_CODES, INACTIVE_CODES):
            for benefit in self.benefits:
                if benefit.code in codes:
                    return benefit.code
        return ""

    @property
    def effective(self) -> tuple[date | None, date | None]:
        """Coverage dates: eligibility dates first, then plan dates (begin, end)."""
        begin = end = None
        for whole, first, last in (("eligibility", "eligibility_begin", "eligibility_end"),
                                   ("plan", "plan_begin", "plan_end")):
            if begin is None:
                begin = (self.dates.get(first) or self.dates.get(whole) or (None, None))[0]
            if end is None:
                if last in self.dates:
                    end = self.dates[last][0]
                elif whole in self.dates and self.dates[whole][1] != self.dates[whole][0]:
                    end = self.dates[whole][1]
        return begin, end


@dataclass(slots=True)
class EligibilityFile(ResponseFile[EligibilityResult]):
    """A whole 271 file read: members in file order, and problems with their positions."""


Event = EligibilityResult | ParseIssue


def parse_eligibility(stream: Source, limits: ImportLimits = DEFAULT_LIMITS
                      ) -> EligibilityFile:
    """Read a whole 271 file into memory: every member the payer answered for, and the
    problems found on the way.

    :raise X12Error: when the file cannot be read as X12 at all, or goes over ``limits``.
    """
    return read_responses(stream, _Interpreter(), EligibilityFile(), limits)


def iter_eligibility(stream: Source, limits: ImportLimits = DEFAULT_LIMITS) -> Iterator[Event]:
    """Stream the members and problems of a 271 file in file order, one member in memory
    at a time.

    :raise X12Error: when the file cannot be read as X12 at all, or goes over ``limits``.
    """
    return iter_responses(stream, _Interpreter(), limits)


class _Interpreter(ResponseInterpreter[EligibilityResult]):
    """State machine over one file's segments; ``row`` is the open subscriber or dependent."""

    kind = "271"
    loops = LOOPS
    levels = {"20": "payer", "21": "provider", "22": "subscriber", "23": "dependent"}
    skipped = _SKIPPED
    not_applied = "member not applied"

    def _reset(self) -> None:
        self.payer_rejections: list[Rejection] = []
        self.subscriber_member_id = ""
        self.has_children = False
        self.benefit: Benefit | None = None

    def _who(self, member: EligibilityResult) -> str:
        # By position, never by member ID: problems are stored, shown and printed.
        return f"{'dependent' if member.is_dependent else 'subscriber'} at segment " \
            f"{member.segment}"

    def _key(self, member: EligibilityResult) -> str:
        return member.member_id

    # -- hierarchy -------------------------------------------------------------------------

    def _enter_level(self, segment: Segment, level: str) -> None:
        if level == "payer":
            self.payer_rejections = []  # a payer's AAAs are its own, not the next payer's
        if level in ("subscriber", "dependent"):
            assert self.responded_at is not None
            self.row = EligibilityResult(
                segment=segment.position, transaction=self.transactions,
                responded_at=self.responded_at, payer_name=self.payer_name,
                payer_id=self.payer_id, is_dependent=level == "dependent",
                member_id=self.subscriber_member_id if level == "dependent" else "",
                rejections=list(self.payer_rejections))
            self.broken = False
            self.has_children = segment[4] == "1"

    def _nm1(self, segment: Segment) -> Iterator[Event]:
        entity = segment[1]
        member = self.row
        if self.level == "payer" and entity == "PR":
            self.payer_name, self.payer_id = segment[3], segment[9]
        elif member is not None and self.benefit is None and entity in ("IL", "03"):
            member.last_name, member.first_name = segment[3], segment[4]
            if entity == "IL":
                if not segment[9].strip():
                    raise Malformed("NM1*IL has no member ID (NM109)")
                member.member_id = segment[9].strip()
                self.subscriber_member_id = member.member_id
        # Other NM1s (provider, benefit-related entities inside LS/LE) are not used.
        yield from ()

    def _dmg(self, segment: Segment) -> Iterator[Event]:
        member = self.row
        if member is None:
            yield ParseIssue(segment.position, "DMG outside a member; ignored")
            return
        member.gender = segment[3]
        if segment[2]:
            if segment[1] != "D8":
                yield ParseIssue(segment.position, f"DMG01 {segment[1][:10]!r} is not D8; "
                                 "birth date left empty")
                return
            try:
                member.birth_date = date_element(segment, 2)
            except Malformed as problem:
                yield ParseIssue(segment.position, f"{problem}; birth date left empty")

    def _dtp(self, segment: Segment) -> Iterator[Event]:
        member = self.row
        if member is None or self.benefit is not None:
            return  # provider dates, or a benefit's own dates: not used
        name = _DATE_QUALIFIERS.get(segment[1])
        if name is None:
            return
        try:
            member.dates[name] = date_period(segment, 2, 3)
        except Malformed as problem:
            yield self._issue(segment.position, member, f"{problem}; date left empty")

    def _aaa(self, segment: Segment) -> Iterator[Event]:
        rejection = Rejection(segment=segment.position, level=self.level or "payer",
                              reason=segment[3], action=segment[4],
                              is_valid_request=segment[1] == "Y")
        if self.row is not None:
            self.row.rejections.append(rejection)
        elif self.level in ("", "payer"):
            self.payer_rejections.append(rejection)
        yield from ()

    def _eb(self, segment: Segment) -> Iterator[Event]:
        member = self.row
        if member is None:
            yield ParseIssue(segment.position, "EB outside a member; ignored")
            return
        code = segment[1]
        if code not in BENEFIT_CODES:
            raise Malformed(f"EB01 {code[:10]!r} is not a 5010 benefit code")
        repetition = segment.delimiters.repetition
        types = segment[3].split(repetition) if repetition and segment[3] else (
            [segment[3]] if segment[3] else [])
        quantity = amount(segment, 10)
        benefit = Benefit(segment=segment.position, code=code, coverage_level=segment[2],
                          service_types=[t for t in types if t], insurance_type=segment[4],
                          plan_name=segment[5], time_period=segment[6],
                          amount=amount(segment, 7), percent=percent(segment, 8),
                          quantity_qualifier=segment[9], quantity=quantity,
                          authorization_required=segment[11], in_network=segment[12])
        member.benefits.append(benefit)
        self.benefit = benefit

    def _msg(self, segment: Segment) -> Iterator[Event]:
        if self.benefit is not None and segment[1]:
            self.benefit.messages.append(segment[1][:264])
        yield from ()

    def _close_row(self) -> Iterator[Event]:
        member, self.row, self.benefit = self.row, None, None
        if member is None or self.broken:
            return
        if not member.member_id:
            yield self._issue(member.segment, member, "no NM1*IL member ID; member not applied")
            return
        if not member.benefits and not member.rejections:
            if not self.has_children:  # else the answers are on its dependents (HL04 = 1)
                yield self._issue(member.segment, member, "no EB benefit or AAA rejection; "
                                  "nothing to apply")
            return
        yield member

    _handlers = ResponseInterpreter._handlers | {
        "NM1": _nm1,
        "DMG": _dmg,
        "DTP": _dtp,
        "AAA": _aaa,
        "EB": _eb,
        "MSG": _msg,
    }
