"""Streaming X12 5010 reader: delimiters from each ISA, segments out, envelopes checked.

The reader knows nothing about transaction sets; it turns a byte or text stream into
`Segment` objects and guarantees that what it yields sits in a well-formed
ISA/GS/ST ... SE/GE/IEA envelope with matching control numbers and counts. Anything
else raises `X12Error` — the only exception this module lets out — naming the
segment's position in the file (1-based, counting every segment of every interchange).

Memory stays flat: the stream is read in chunks and only the unfinished tail of the
last chunk is kept between reads. What an interpreter holds while it reads one loop is
bounded too: given `ImportLimits` and the interpreter's `Loops`, the reader refuses a file
with too many segments, or a claim/member (or a transaction outside them) with too many,
before the interpreter sees the segment that would go over.

Messages name segment ids, positions and limits, never element values of segments that
carry a person's name, identifiers or address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from workqueue.domain.import_limits import (
    SEGMENTS_PER_CLAIM_SETTING,
    SEGMENTS_SETTING,
    ImportLimits,
)

CHUNK_SIZE = 1 << 16

# ISA is fixed length in the standard (106 characters with its terminator), but files
# from small payers sometimes pad an element wrongly; we locate ISA16 by counting
# element separators instead of trusting offsets, and look no further than this.
_ISA_MAX_LENGTH = 200
_ISA_ELEMENT_COUNT = 16
# Far beyond any real segment; keeps memory flat on a file whose terminator never comes.
_MAX_SEGMENT_LENGTH = 1 << 20
_SEGMENT_ID = re.compile(r"[A-Z0-9]{2,3}")
_CONTROL_NUMBER = re.compile(r"[0-9]{1,9}")
# Whitespace we tolerate around segments: line breaks between segments, and a stray
# byte-order mark (as text, or as UTF-8 bytes read as Latin-1) or spaces before an ISA.
_BETWEEN_SEGMENTS = "\r\n"
_LEADING_JUNK = "\r\n \t\ufeff\xef\xbb\xbf\x00"


class X12Error(Exception):
    """A file that cannot be read as X12: bad envelope, delimiters, counts or bytes.

    ``segment`` is the 1-based position of the offending segment in the file (0 when
    the problem is before the first segment, e.g. an empty file).
    """

    def __init__(self, segment: int, message: str) -> None:
        super().__init__(f"segment {segment}: {message}")
        self.segment = segment
        self.message = message


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four separators of one interchange, read from its ISA."""

    element: str
    component: str
    segment: str
    repetition: str | None = None


class Segment:
    """One segment: its id is ``elements[0]``; elements are numbered as in the guides.

    Missing trailing elements read as ``""`` so callers can ask for ``CLP07`` without
    first checking the length of a segment that stopped at ``CLP05``.
    """

    __slots__ = ("position", "elements", "delimiters")

    def __init__(self, position: int, elements: list[str], delimiters: Delimiters) -> None:
        self.position = position
        self.elements = elements
        self.delimiters = delimiters

    @property
    def id(self) -> str:
        return self.elements[0]

    def __getitem__(self, index: int) -> str:
        elements = self.elements
        return elements[index] if index < len(elements) else ""

    def __len__(self) -> int:
        return len(self.elements)

    def components(self, index: int) -> list[str]:
        """Split a composite element (e.g. ``SVC01`` ``HC:J1745:JW``) into its parts."""
        value = self[index]
        return value.split(self.delimiters.component) if value else []

    def __repr__(self) -> str:
        # Id and size only: a repr ends up in logs and tracebacks, and elements hold PHI.
        return f"Segment({self.position}, {self.id!r}, {len(self.elements)} elements)"


@dataclass(frozen=True, slots=True)
class Loops:
    """The loops an interpreter holds in memory while it reads them (for the per-claim limit).

    ``openers`` maps a segment id that starts one to what it is called in a message
    (``{"CLP": "claim"}``); a segment in ``closers`` ends the open loop and counts with the
    transaction's own segments (the 835's PLB). Envelope segments count toward neither.
    """

    openers: Mapping[str, str] = field(default_factory=dict)
    closers: frozenset[str] = frozenset()


def read_segments(stream: BinaryIO | TextIO | Iterable[bytes] | Iterable[str],
                  chunk_size: int = CHUNK_SIZE, *, limits: ImportLimits | None = None,
                  loops: Loops | None = None) -> Iterator[Segment]:
    """Yield every segment of an X12 file, checking envelopes (and ``limits``) as it goes.

    ``stream`` is a binary or text file object (anything with ``read``) or an iterable
    of chunks. Bytes are decoded as Latin-1 so that no byte sequence can fail to decode;
    X12's character sets are ASCII subsets, so nothing valid is changed by that.

    :raise X12Error: on anything that is not a well-formed 5010 envelope, or that goes over
        ``limits`` (segments per file; per loop of ``loops`` and per transaction outside them).
    """
    segments = _tokenize(_chunks(stream, chunk_size))
    if limits is not None:
        segments = _within(segments, limits, loops or Loops())
    return _check_envelopes(segments)


def _chunks(stream: BinaryIO | TextIO | Iterable[bytes] | Iterable[str],
            chunk_size: int) -> Iterator[str]:
    read = getattr(stream, "read", None)
    source: Iterable[bytes | str] = iter(lambda: read(chunk_size), None) if read else stream
    try:
        for chunk in source:
            if not chunk:
                return
            if isinstance(chunk, bytes | bytearray):
                yield chunk.decode("latin-1")
            elif isinstance(chunk, str):
                yield chunk
            else:
                raise X12Error(0, f"stream gave {type(chunk).__name__}, not bytes or text")
    except UnicodeDecodeError as exc:
        # A text stream opened with a strict encoding: the bytes are not text at all.
        raise X12Error(0, f"file is not text in the stream's encoding ({exc.reason})") from None
    except OSError as exc:
        raise X12Error(0, f"file could not be read ({exc.strerror or exc})") from None


def _what(text: str) -> str:
    """What a file holds where a segment should be, named without its content."""
    head = re.match(r"([A-Z0-9]{2,3})[^A-Za-z0-9]", text)
    return f"segment {head.group(1)}" if head else "text that is not X12"


def _parse_isa(buffer: str, position: int) -> tuple[list[str], Delimiters, int]:
    """Read delimiters and elements of the ISA at the start of ``buffer``.

    Returns the ISA elements, the delimiters and the length consumed (terminator
    included).
    """
    if not buffer.startswith("ISA"):
        raise X12Error(position, f"expected an ISA interchange header, found {_what(buffer)}")
    if len(buffer) < 4:
        raise X12Error(position, "file ends inside the ISA header")
    element = buffer[3]
    index = 3
    for _ in range(_ISA_ELEMENT_COUNT - 1):
        index = buffer.find(element, index + 1, _ISA_MAX_LENGTH)
        if index < 0:
            raise X12Error(position, "ISA header is truncated or does not have 16 elements")
    # After the 16th separator: ISA16 (one character), then the segment terminator.
    if len(buffer) < index + 3:
        raise X12Error(position, "file ends inside the ISA header")
    component = buffer[index + 1]
    terminator = buffer[index + 2]
    elements = buffer[:index + 1].split(element)
    elements[-1] = component
    repetition_field = elements[11]
    # In 5010 ISA11 is the repetition separator; 4010 files carry the standards id "U".
    repetition = repetition_field if len(repetition_field) == 1 and not (
        repetition_field.isalnum()) else None
    separators = [element, component, terminator] + ([repetition] if repetition else [])
    if len(set(separators)) != len(separators):
        raise X12Error(position, "ISA delimiters are not all different "
                       f"(element {element!r}, component {component!r}, "
                       f"segment {terminator!r}, repetition {repetition!r})")
    if any(ch.isalnum() or ch == " " for ch in separators):
        raise X12Error(position, f"ISA delimiters must not be letters, digits or spaces "
                       f"(element {element!r}, component {component!r}, "
                       f"segment {terminator!r})")
    delimiters = Delimiters(element=element, component=component, segment=terminator,
                            repetition=repetition)
    return elements, delimiters, index + 3


def _tokenize(chunks: Iterator[str]) -> Iterator[Segment]:
    """Split chunks into segments; each interchange brings its own delimiters."""
    buffer = ""
    position = 0
    at_eof = False

    def fill(minimum: int) -> None:
        nonlocal buffer, at_eof
        while len(buffer) < minimum and not at_eof:
            chunk = next(chunks, None)
            if chunk is None:
                at_eof = True
            else:
                buffer += chunk

    while True:
        # Between interchanges: expect an ISA (or the end of the file).
        fill(_ISA_MAX_LENGTH)
        buffer = buffer.lstrip(_LEADING_JUNK)
        fill(_ISA_MAX_LENGTH)
        if not buffer:
            if position == 0:
                raise X12Error(0, "file is empty: no ISA interchange header")
            return
        position += 1
        elements, delimiters, consumed = _parse_isa(buffer, position)
        yield Segment(position, elements, delimiters)
        buffer = buffer[consumed:]
        terminator = delimiters.segment
        separator = delimiters.element
        last_id = "ISA"
        in_interchange = True
        while in_interchange:
            pieces = buffer.split(terminator)
            buffer = pieces.pop()
            for index, piece in enumerate(pieces):
                piece = piece.strip(_BETWEEN_SEGMENTS)
                if not piece:
                    continue
                position += 1
                fields = piece.split(separator)
                segment_id = fields[0]
                if not _SEGMENT_ID.fullmatch(segment_id):
                    # Not the text itself: a terminator inside a name would show the name.
                    raise X12Error(position, f"the segment after {last_id} does "
                                   "not start with a segment id (two or three capital letters "
                                   "or digits); the file is damaged or its delimiters are "
                                   "wrong")
                last_id = segment_id
                yield Segment(position, fields, delimiters)
                if segment_id == "IEA":
                    # The next interchange may use other delimiters: re-read from here.
                    buffer = terminator.join(pieces[index + 1:] + [buffer])
                    in_interchange = False
                    break
            else:
                if at_eof:
                    tail = buffer.strip(_LEADING_JUNK)
                    if tail:
                        # Its id only: the rest may be a patient's name (NM1*QC*1*...).
                        tail_id = tail.split(separator, 1)[0]
                        what = f"an unfinished {tail_id} segment" if _SEGMENT_ID.fullmatch(
                            tail_id) else "an unfinished segment"
                        raise X12Error(position + 1, f"file ends inside {what} (no "
                                       f"{terminator!r} terminator); truncated file?")
                    raise X12Error(position, "file ends before the interchange's IEA trailer; "
                                   "truncated file?")
                if len(buffer) > _MAX_SEGMENT_LENGTH:
                    raise X12Error(position + 1, f"no {terminator!r} segment terminator in "
                                   f"{_MAX_SEGMENT_LENGTH:,} characters; wrong delimiters "
                                   "or not an X12 file")
                chunk = next(chunks, None)
                if chunk is None:
                    at_eof = True
                else:
                    buffer += chunk


_ENVELOPE = frozenset({"ISA", "IEA", "GS", "GE", "TA1"})


def _within(segments: Iterator[Segment], limits: ImportLimits, loops: Loops
            ) -> Iterator[Segment]:
    """Refuse a file, a loop or a transaction's own segments that go over ``limits``."""
    most, per_loop = limits.max_segments, limits.max_segments_per_claim
    openers, closers = loops.openers, loops.closers
    loop_start = transaction_start = 0  # positions; 0: none open
    loop_id = ""
    in_loop = outside = 0
    for segment in segments:
        position = segment.position
        if position > most:
            raise X12Error(position, f"the file has more than {most:,} segments, the most one "
                           f"import may read (setting {SEGMENTS_SETTING}); split the file")
        segment_id = segment.elements[0]
        if segment_id in openers:
            loop_start, loop_id, in_loop = position, segment_id, 1
        elif segment_id in _ENVELOPE:
            pass
        elif segment_id == "ST":
            transaction_start, outside, loop_start = position, 1, 0
        elif segment_id == "SE":
            loop_start = 0
        elif loop_start and segment_id not in closers:
            in_loop += 1
            if in_loop > per_loop:
                raise X12Error(position, f"the {openers[loop_id]} that begins at segment "
                               f"{loop_start:,} ({loop_id}) has more than {per_loop:,} "
                               "segments, the most one claim or member may have (setting "
                               f"{SEGMENTS_PER_CLAIM_SETTING})")
        else:
            loop_start = 0
            outside += 1
            if outside > per_loop:
                raise X12Error(position, "the transaction that begins at segment "
                               f"{transaction_start:,} (ST) has more than {per_loop:,} "
                               "segments outside its claims or members, the most it may have "
                               f"(setting {SEGMENTS_PER_CLAIM_SETTING})")
        yield segment


def _count(segment: Segment, index: int, name: str) -> int:
    value = segment[index]
    if not value.isdigit() or not value.isascii():
        raise X12Error(segment.position, f"{name} {value!r} is not a count")
    return int(value)


def _control(segment: Segment, index: int, name: str) -> str:
    value = segment[index].strip()
    if not _CONTROL_NUMBER.fullmatch(value):
        raise X12Error(segment.position, f"{name} {value!r} is not a control number")
    return value.lstrip("0") or "0"


def _check_envelopes(segments: Iterator[Segment]) -> Iterator[Segment]:
    """Enforce nesting, control numbers and counts of ISA/GS/ST and their trailers."""
    isa: Segment | None = None
    gs: Segment | None = None
    st: Segment | None = None
    group_count = transaction_count = segment_count = 0
    last_position = 0
    for segment in segments:
        last_position = segment.position
        segment_id = segment.id
        if st is not None:
            segment_count += 1
            if segment_id == "SE":
                if _count(segment, 1, "SE01") != segment_count:
                    raise X12Error(segment.position, f"SE01 says {segment[1]} segments but "
                                   f"transaction {st[2]} has {segment_count} (ST to SE)")
                if segment[2].strip() != st[2].strip():
                    raise X12Error(segment.position, f"SE02 {segment[2]!r} does not match "
                                   f"ST02 {st[2]!r} at segment {st.position}")
                st = None
            elif segment_id in ("ST", "GS", "GE", "ISA", "IEA"):
                raise X12Error(segment.position, f"{segment_id} inside transaction {st[2]!r} "
                               f"(started at segment {st.position}): missing SE")
            yield segment
            continue
        if segment_id == "ISA":
            if isa is not None:
                raise X12Error(segment.position, "ISA inside an interchange: missing IEA")
            if segment[12] not in ("00501", "00401"):
                raise X12Error(segment.position, f"ISA12 version {segment[12]!r} is not "
                               "00501 (5010)")
            _control(segment, 13, "ISA13")
            isa, group_count = segment, 0
        elif segment_id == "IEA":
            if isa is None:
                raise X12Error(segment.position, "IEA without ISA")
            if gs is not None:
                raise X12Error(segment.position, f"IEA inside group {gs[6]!r}: missing GE")
            if _count(segment, 1, "IEA01") != group_count:
                raise X12Error(segment.position, f"IEA01 says {segment[1]} groups but the "
                               f"interchange has {group_count}")
            if _control(segment, 2, "IEA02") != _control(isa, 13, "ISA13"):
                raise X12Error(segment.position, f"IEA02 {segment[2]!r} does not match "
                               f"ISA13 {isa[13]!r}")
            isa = None
        elif segment_id == "GS":
            if isa is None:
                raise X12Error(segment.position, "GS outside an interchange")
            if gs is not None:
                raise X12Error(segment.position, "GS inside a group: missing GE")
            _control(segment, 6, "GS06")
            gs, transaction_count = segment, 0
            group_count += 1
        elif segment_id == "GE":
            if gs is None:
                raise X12Error(segment.position, "GE without GS")
            if _count(segment, 1, "GE01") != transaction_count:
                raise X12Error(segment.position, f"GE01 says {segment[1]} transactions but "
                               f"group {gs[6]!r} has {transaction_count}")
            if _control(segment, 2, "GE02") != _control(gs, 6, "GS06"):
                raise X12Error(segment.position, f"GE02 {segment[2]!r} does not match "
                               f"GS06 {gs[6]!r}")
            gs = None
        elif segment_id == "ST":
            if gs is None:
                raise X12Error(segment.position, "ST outside a functional group")
            if not segment[2].strip():
                raise X12Error(segment.position, "ST02 control number is empty")
            st, segment_count = segment, 1
            transaction_count += 1
        elif segment_id == "TA1" and isa is not None and gs is None:
            pass  # interchange acknowledgment: legal between ISA and the first GS
        else:
            where = "a group" if gs is not None else "an interchange" if isa else "any envelope"
            raise X12Error(segment.position, f"{segment_id} segment outside a transaction set "
                           f"(inside {where})")
        yield segment
    if st is not None or gs is not None or isa is not None:
        open_ = "transaction (missing SE)" if st else "group (missing GE)" if gs else \
            "interchange (missing IEA)"
        raise X12Error(last_position, f"file ends inside a {open_}; truncated file?")
