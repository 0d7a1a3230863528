"""The envelope reader: delimiters, line breaks, chunking, several interchanges, and every
envelope error it must name by segment position."""

from __future__ import annotations

import io

import pytest

from tests.x12.edi_samples import envelope, payment
from workqueue.x12.reader import X12Error, read_segments

CLAIM = ["CLP*PCN1*1*100*80**12*ICN1*11*1", "NM1*QC*1*SAMPLE*ALEX****MI*ZZ1",
         "CAS*CO*45*20"]
BODY = payment(CLAIM, amount="80")


def _ids(text: str | bytes, **options: int) -> list[str]:
    stream = io.BytesIO(text.encode("latin-1")) if isinstance(text, str) else io.BytesIO(text)
    return [segment.id for segment in read_segments(stream, **options)]


def _error(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        list(read_segments(io.StringIO(text)))
    return caught.value


def test_reads_segments_with_standard_delimiters() -> None:
    segments = list(read_segments(io.StringIO(envelope([BODY]))))
    assert [s.id for s in segments][:4] == ["ISA", "GS", "ST", "BPR"]
    assert [s.id for s in segments][-3:] == ["SE", "GE", "IEA"]
    assert [s.position for s in segments] == list(range(1, len(segments) + 1))
    isa = segments[0]
    assert isa.delimiters.element == "*" and isa.delimiters.component == ":"
    assert isa.delimiters.segment == "~" and isa.delimiters.repetition == "^"
    assert isa[16] == ":" and isa[13] == "000000001"


@pytest.mark.parametrize(("element", "component", "segment", "repetition"), [
    ("|", ">", "~", "^"),
    ("^", "\\", "|", "{"),
    ("!", "@", "\n", "#"),
    ("\x1d", "\x1f", "\x1c", "\x1e"),
])
def test_delimiters_come_from_the_isa(element: str, component: str, segment: str,
                                      repetition: str) -> None:
    text = envelope([payment(["CLP*PCN1*1*100*80**12*ICN1", "SVC*HC:96413:JW*100*80",
                              "CAS*CO*45*20"], amount="80")],
                    element=element, component=component, segment=segment,
                    repetition=repetition, line_break="")
    segments = list(read_segments(io.StringIO(text)))
    svc = next(s for s in segments if s.id == "SVC")
    assert svc.components(1) == ["HC", "96413", "JW"]
    assert segments[0].delimiters.repetition == repetition


@pytest.mark.parametrize("line_break", ["", "\n", "\r\n", "\r"])
def test_line_breaks_between_segments_do_not_matter(line_break: str) -> None:
    reference = _ids(envelope([BODY], line_break=""))
    assert _ids(envelope([BODY], line_break=line_break)) == reference


@pytest.mark.parametrize("chunk_size", [1, 7, 105, 106, 107, 4096])
def test_chunk_boundaries_do_not_matter(chunk_size: int) -> None:
    text = envelope([BODY, BODY], line_break="\r\n") + envelope([BODY], control=2)
    assert _ids(text, chunk_size=chunk_size) == _ids(text)


def test_several_interchanges_each_with_its_own_delimiters() -> None:
    text = envelope([BODY]) + "\r\n" + envelope([BODY, BODY], control=2, element="|",
                                                component=">", segment="!")
    segments = list(read_segments(io.StringIO(text)))
    assert [s.id for s in segments].count("ISA") == 2
    assert [s.id for s in segments].count("ST") == 3
    last_clp = [s for s in segments if s.id == "CLP"][-1]
    assert last_clp.delimiters.element == "|" and last_clp[1] == "PCN1"


def test_text_bytes_and_chunk_iterables_are_all_accepted() -> None:
    text = envelope([BODY])
    assert _ids(text) == [s.id for s in read_segments(io.StringIO(text))]
    assert _ids(text) == [s.id for s in read_segments([text[:50], text[50:]])]
    assert _ids(text) == [s.id for s in read_segments([text.encode()])]


def test_missing_trailing_elements_read_as_empty() -> None:
    clp = next(s for s in read_segments(io.StringIO(envelope([BODY]))) if s.id == "CLP")
    assert clp[5] == "" and clp[40] == "" and clp.components(40) == []


def test_leading_byte_order_mark_and_blank_lines_are_tolerated() -> None:
    assert _ids("\ufeff\r\n".encode() + envelope([BODY]).encode())[0] == "ISA"
    assert [s.id for s in read_segments(io.StringIO("\ufeff" + envelope([BODY])))][0] == "ISA"


def test_4010_isa_without_repetition_separator_is_read() -> None:
    text = envelope([BODY]).replace("*^*00501*", "*U*00401*", 1)
    isa = next(iter(read_segments(io.StringIO(text))))
    assert isa.delimiters.repetition is None


GOOD = envelope([BODY])


def _replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(("text", "segment", "fragment"), [
    ("", 0, "empty"),
    ("   \r\n", 0, "empty"),
    (GOOD[GOOD.index("GS*"):], 1, "expected an ISA"),
    ("GARBAGE" * 30, 1, "expected an ISA"),
    (GOOD[:60], 1, "ISA header is truncated"),
    (GOOD[:105], 1, "ends inside the ISA"),
    (GOOD[:-30], 12, "truncated"),
    (GOOD[:GOOD.index("GE*")], 12, "truncated"),
    (GOOD.rstrip("\n~"), 14, "no '~' terminator"),
    (_replace("SE*10*0001", "SE*9*0001"), 12, "SE01 says 9 segments but transaction 0001 has 10"),
    (_replace("SE*10*0001", "SE*10*0002"), 12, "SE02 '0002' does not match ST02"),
    (_replace("SE*10*0001", "SE*ten*0001"), 12, "SE01 'ten' is not a count"),
    (_replace("GE*1*1", "GE*2*1"), 13, "GE01 says 2 transactions but group '1' has 1"),
    (_replace("GE*1*1", "GE*1*7"), 13, "GE02 '7' does not match GS06"),
    (_replace("IEA*1*000000001", "IEA*3*000000001"), 14, "IEA01 says 3 groups"),
    (_replace("IEA*1*000000001", "IEA*1*000000002"), 14, "IEA02 '000000002' does not match"),
    (_replace("*00501*", "*00601*"), 1, "ISA12 version '00601'"),
    (_replace("*000000001*0*T*:~", "*0000000X1*0*T*:~"), 1, "ISA13"),
    (_replace("*T*:~", "*T*~~"), 1, "not all different"),
    (_replace("*T*:~", "*T*A~"), 1, "must not be letters"),
    (_replace("SE*10*0001~\n", ""), 12, "GE inside transaction"),
    (_replace("GE*1*1~\n", ""), 13, "IEA inside group"),
    (_replace("ST*835*0001*005010X221A1~\n", ""), 3, "BPR segment outside a transaction"),
    (_replace("GS*HP", "XX*HP"), 2, "XX segment outside a transaction set"),
    (_replace("CLP*", "C\x00P*"), 9, "the segment after N1 does not start with a segment id"),
    (_replace("CLP*", "clp*"), 9, "does not start with a segment id"),
    (GOOD + "GS*HP*X~", 15, "expected an ISA interchange header, found segment GS"),
    (GOOD + "IEA*1*000000001~", 15, "expected an ISA"),
    (GOOD + GOOD[:GOOD.index("GS*")] + "ST*835*1~", 16,
     "ST outside a functional group"),
])
def test_malformed_envelopes_raise_x12error_naming_the_segment(text: str, segment: int,
                                                               fragment: str) -> None:
    error = _error(text)
    assert fragment in error.message
    assert error.segment == segment
    assert str(error).startswith(f"segment {segment}: ")


def test_undecodable_text_stream_is_an_x12error() -> None:
    stream = io.TextIOWrapper(io.BytesIO(b"ISA*\xff\xfe" + b"\x80" * 300), encoding="utf-8")
    with pytest.raises(X12Error, match="not text"):
        list(read_segments(stream))


def test_nested_interchange_is_rejected() -> None:
    isa = GOOD[:GOOD.index("GS*")]
    text = isa + GOOD[GOOD.index("GS*"):GOOD.index("GE*")] + "GE*1*1~" + GOOD
    error = _error(text)
    assert "ISA inside an interchange" in error.message


def test_a_file_without_segment_terminators_fails_without_reading_it_all() -> None:
    head = envelope([BODY])[:106]
    served = 0

    def chunks():  # an endless stream: the reader must give up on its own
        nonlocal served
        yield head
        while True:
            served += 1
            yield "X" * 65_536

    with pytest.raises(X12Error, match="no '~' segment terminator"):
        list(read_segments(chunks()))
    assert served < 40
