"""What the X12 interpreters share: the reported problem (`ParseIssue`), the dispatch of a
file's segments over its ST…SE transactions (`Interpreter`: the 835, 271 and 277), and for
the 271 and 277 responses the transaction, BHT and HL handling, the file result and the
parse/iter pair (`ResponseInterpreter`, `ResponseFile`, `read_responses`, `iter_responses`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, ClassVar, Generic, TextIO, TypeVar

from workqueue.domain.import_limits import DEFAULT_LIMITS, ImportLimits
from workqueue.x12.elements import Malformed, created_at
from workqueue.x12.reader import Loops, Segment, read_segments

Source = BinaryIO | TextIO | Iterable[bytes] | Iterable[str]
R = TypeVar("R")  # what a response interpreter yields per row: a member (271), a claim (277)
F = TypeVar("F", bound="ResponseFile")


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """A reported problem: segment position in the file, message, claim if any."""

    segment: int
    message: str
    claim_id: str | None = None


class Interpreter:
    """State machine over the segments of one file; one instance per file.

    `feed` is the whole dispatch: segments outside ST…SE are the envelope (the reader checked
    it), ST and SE open and close a transaction, a skipped transaction is read past, and every
    other segment goes to its handler in ``_handlers`` (or to `_other`). A `Malformed` raised
    by a handler goes to `_malformed`, which decides what it spoils. It runs once per segment
    of the file: keep it free of anything a subclass could do in its handlers.
    """

    _handlers: ClassVar[dict[str, Callable[[Any, Segment], Iterator[Any]]]] = {}
    in_transaction: bool
    skipping: bool  # the current transaction is unusable (or of another kind)

    def feed(self, segment: Segment) -> Iterator[Any]:
        segment_id = segment.id
        if segment_id == "ST":
            yield from self._start_transaction(segment)
            return
        if not self.in_transaction:
            return  # envelope segments (ISA, GS, GE, IEA): the reader checked them
        if segment_id == "SE":
            yield from self._finish_transaction(segment)
            return
        if self.skipping:
            return
        handler = self._handlers.get(segment_id)
        try:
            if handler is None:
                yield from self._other(segment)
            else:
                yield from handler(self, segment)
        except Malformed as problem:
            yield from self._malformed(segment, str(problem))

    def _start_transaction(self, segment: Segment) -> Iterator[Any]:
        raise NotImplementedError

    def _finish_transaction(self, segment: Segment) -> Iterator[Any]:
        raise NotImplementedError

    def _other(self, segment: Segment) -> Iterator[Any]:
        raise NotImplementedError

    def _malformed(self, segment: Segment, message: str) -> Iterator[Any]:
        raise NotImplementedError


@dataclass(slots=True)
class ResponseFile(Generic[R]):
    """A whole 271/277 file read: its rows in file order, and problems with their positions."""

    transactions: int = 0
    results: list[R] = field(default_factory=list)
    errors: list[ParseIssue] = field(default_factory=list)


def read_responses(stream: Source, interpreter: ResponseInterpreter[R], out: F,
                   limits: ImportLimits = DEFAULT_LIMITS) -> F:
    """Read a whole 271/277 file into ``out``: rows to ``results``, problems to ``errors``
    (for tests and small files; imports stream `iter_responses`).

    :raise X12Error: when the file cannot be read as X12 at all, or goes over ``limits``.
    """
    for segment in read_segments(stream, limits=limits, loops=interpreter.loops):
        for event in interpreter.feed(segment):
            if isinstance(event, ParseIssue):
                out.errors.append(event)
            else:
                out.results.append(event)
    out.transactions = interpreter.transactions
    return out


def iter_responses(stream: Source, interpreter: ResponseInterpreter[R],
                   limits: ImportLimits = DEFAULT_LIMITS) -> Iterator[R | ParseIssue]:
    """Stream the rows and problems of a 271/277 file in file order, one row held at a time.

    :raise X12Error: when the file cannot be read as X12 at all, or goes over ``limits``.
    """
    for segment in read_segments(stream, limits=limits, loops=interpreter.loops):
        yield from interpreter.feed(segment)


class ResponseInterpreter(Interpreter, Generic[R]):
    """What the 271 and 277 interpreters do alike.

    Per transaction: ST01 must be ``kind`` (else the transaction is skipped and reported),
    BHT04/05 dates every row in it (unreadable, or no BHT before the first HL: skipped and
    reported), HL03 must be one of ``levels``. ``row`` is the open member or claim: a
    `Malformed` while it is open drops it (``broken``) with one problem naming it; outside a
    row it spoils only its segment. A subclass says what opens a row on each level
    (`_enter_level`), what closes it and whether it is complete (`_close_row`), and how a row
    is named in problems (`_who`, `_key`).
    """

    kind: ClassVar[str]  # ST01
    loops: ClassVar[Loops]  # what opens the row (or another HL level): held to the limit
    levels: ClassVar[dict[str, str]]  # HL03 code → level name
    skipped: ClassVar[frozenset[str]]  # segments read past without a word
    not_applied: ClassVar[str]  # what a broken row's problem ends with

    def __init__(self) -> None:
        self.transactions = 0
        self.in_transaction = False
        self.skipping = False
        self.control = ""
        self.responded_at: datetime | None = None
        self.level = ""
        self.payer_name = self.payer_id = ""
        self.row: R | None = None
        self.broken = False
        self._reset()

    def _reset(self) -> None:
        """A new transaction: forget the subclass's state of the last one."""

    def _enter_level(self, segment: Segment, level: str) -> None:
        """An HL of ``level``, the previous row closed and the response dated."""

    def _close_row(self) -> Iterator[R | ParseIssue]:
        raise NotImplementedError

    def _who(self, row: R) -> str:
        raise NotImplementedError

    def _key(self, row: R) -> str:
        raise NotImplementedError

    def _issue(self, position: int, row: R, message: str) -> ParseIssue:
        """A problem about ``row``, named in the message and by its key."""
        return ParseIssue(position, f"{self._who(row)}: {message}", self._key(row) or None)

    def _start_transaction(self, segment: Segment) -> Iterator[ParseIssue]:
        self.in_transaction = True
        self.control = segment[2]
        self.responded_at = None
        self.level = ""
        self.payer_name = self.payer_id = ""
        self.row = None
        self.broken = False
        self._reset()
        self.skipping = segment[1] != self.kind
        if self.skipping:
            yield ParseIssue(segment.position, f"transaction {segment[2]!r} is a "
                             f"{segment[1]!r}, not a {self.kind}; skipped")

    def _finish_transaction(self, segment: Segment) -> Iterator[R | ParseIssue]:
        yield from self._close_row()
        self.in_transaction = False
        self.transactions += 1

    def _other(self, segment: Segment) -> Iterator[ParseIssue]:
        if segment.id not in self.skipped:
            yield ParseIssue(segment.position, f"unexpected {segment.id} segment; ignored")

    def _malformed(self, segment: Segment, message: str) -> Iterator[ParseIssue]:
        row = self.row
        if row is not None:
            if not self.broken:
                self.broken = True
                yield self._issue(segment.position, row, f"{message}; {self.not_applied}")
            return
        yield ParseIssue(segment.position, f"{message}; segment ignored")

    def _bht(self, segment: Segment) -> Iterator[ParseIssue]:
        try:
            self.responded_at = created_at(segment)
        except Malformed as problem:
            self.skipping = True
            yield ParseIssue(segment.position, f"transaction {self.control!r}: {problem}; "
                             "the response cannot be dated, transaction skipped")

    def _hl(self, segment: Segment) -> Iterator[R | ParseIssue]:
        yield from self._close_row()
        level = self.levels.get(segment[3])
        if level is None:
            raise Malformed(f"HL03 {segment[3][:10]!r} is not a {self.kind} level "
                            f"({', '.join(self.levels)})")
        if self.responded_at is None:
            self.skipping = True
            yield ParseIssue(segment.position, f"transaction {self.control!r}: no BHT before "
                             "the first HL; transaction skipped")
            return
        self.level = level
        self._enter_level(segment, level)

    _handlers = {
        "BHT": _bht,
        "HL": _hl,
    }
