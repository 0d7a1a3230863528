"""Property tests: damaged bytes never raise anything but X12Error, and any legal set of
delimiters reads back the same totals."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workqueue.x12.reader import X12Error
from workqueue.x12.remit835 import parse_remittance
from workqueue.x12.report import build_report
from workqueue.x12.synthetic import SyntheticFormat, build_835

SAMPLE = build_835(claims=8, transactions=2, interchanges=2, plb=True).encode("latin-1")

_damage = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, len(SAMPLE)), st.binary(min_size=1,
                                                                          max_size=8)),
    st.tuples(st.just("delete"), st.integers(0, len(SAMPLE) - 1), st.integers(1, 40)),
    st.tuples(st.just("truncate"), st.integers(0, len(SAMPLE)), st.just(0)),
)


def _apply(data: bytes, damages: list[tuple]) -> bytes:
    for kind, where, what in damages:
        where = min(where, len(data))
        if kind == "flip":
            data = data[:where] + bytes([what]) + data[where + 1:]
        elif kind == "insert":
            data = data[:where] + what + data[where:]
        elif kind == "delete":
            data = data[:where] + data[where + what:]
        else:
            data = data[:where]
    return data


def _read_everything(data: bytes, chunk_size: int = 4096) -> None:
    try:
        remittance = parse_remittance(_Chunked(data, chunk_size))
    except X12Error as error:
        assert isinstance(error.segment, int) and error.message
        return
    build_report(remittance)  # the report must also cope with whatever was accepted


class _Chunked(io.BytesIO):
    def __init__(self, data: bytes, chunk_size: int) -> None:
        super().__init__(data)
        self._size = chunk_size

    def read(self, size: int | None = -1) -> bytes:
        return super().read(self._size)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_damage, min_size=1, max_size=6), st.sampled_from([1, 3, 64, 4096]))
def test_random_byte_damage_raises_only_x12error(damages: list[tuple], chunk: int) -> None:
    _read_everything(_apply(SAMPLE, damages), chunk)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_x12error(data: bytes) -> None:
    _read_everything(data)
    _read_everything(SAMPLE[:106] + data)


_REFERENCE = build_835(claims=6, plb=True, seed=3)
# Delimiters must not occur in the data; the synthetic values use '-', '.', ' ' and so on.
_USED = set(_REFERENCE) - set("*:~^\n")
_DELIMITER = st.sampled_from([ch for ch in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\x1c\x1d\x1e\x1f"
                              if ch not in _USED])


@settings(max_examples=60, deadline=None)
@given(st.lists(_DELIMITER, min_size=4, max_size=4, unique=True),
       st.sampled_from(["", "\n", "\r\n"]), st.booleans())
def test_any_legal_delimiters_read_back_the_same_totals(delimiters: list[str],
                                                        line_break: str,
                                                        newline_terminator: bool) -> None:
    element, component, segment, repetition = delimiters
    if newline_terminator:
        segment, line_break = "\n", ""
    fmt = SyntheticFormat(element=element, component=component, segment=segment,
                          repetition=repetition, line_break=line_break)
    remittance = parse_remittance(io.StringIO(build_835(claims=6, plb=True, fmt=fmt, seed=3)))
    assert remittance.errors == []
    expected = parse_remittance(io.StringIO(_REFERENCE))
    assert [build_report(remittance)["payments"]] == [build_report(expected)["payments"]]
