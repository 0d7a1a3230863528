"""Element readers shared by the 835, 271 and 277 interpreters: amounts, percents, dates,
the transaction's creation time (BHT), and the one exception they raise.

Their messages name the element (``CLP03``) and show a bad amount or code, never a date or
a name: problems are stored on the run, shown on its page and printed by the commands.

`amount` and `date_element` run for most 835 segments: they name the element only when it
is wrong, so reading a good one costs one call.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal

from workqueue.x12.reader import Segment

_AMOUNT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_AMOUNT_MAX_LENGTH = 18  # X12 "R" elements are at most 18 characters
_DATE = re.compile(r"[0-9]{8}")
_TIME = re.compile(r"[0-9]{4}(?:[0-9]{2})?")


class Malformed(Exception):
    """An element that cannot be read; the interpreter decides what it spoils."""


def element_name(segment: Segment, index: int) -> str:
    return f"{segment.id}{index:02d}"


def amount(segment: Segment, index: int, *, required: bool = False) -> Decimal | None:
    value = segment[index]
    if not value:
        if required:
            raise Malformed(f"{element_name(segment, index)} is empty; an amount is required")
        return None
    if len(value) > _AMOUNT_MAX_LENGTH or not _AMOUNT.fullmatch(value):
        raise Malformed(f"{element_name(segment, index)} {value[:30]!r} is not an amount")
    return Decimal(value)


def percent(segment: Segment, index: int) -> Decimal | None:
    """A percent as the guides send it, a decimal fraction (``0.2`` = 20%)."""
    value = amount(segment, index)
    if value is not None and not Decimal(0) <= value <= Decimal(1):
        raise Malformed(f"{element_name(segment, index)} {segment[index]!r} is not a percent "
                        "written as a fraction between 0 and 1")
    return value


def parse_date(value: str, name: str) -> date:
    """A CCYYMMDD date. A bad one is named, never shown: dates of birth and of service are
    identifiers of a patient (problems are stored, shown and printed)."""
    if not _DATE.fullmatch(value):
        raise Malformed(f"{name} is not a CCYYMMDD date")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise Malformed(f"{name} is not a calendar date") from None


def date_element(segment: Segment, index: int) -> date:
    value = segment[index]
    if _DATE.fullmatch(value):
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            pass
    return parse_date(value, element_name(segment, index))  # raises, saying what is wrong


def date_period(segment: Segment, format_index: int, value_index: int
                ) -> tuple[date, date]:
    """A DTP's D8 (one day) or RD8 (``CCYYMMDD-CCYYMMDD``) value as a (from, to) pair."""
    qualifier, value = segment[format_index], segment[value_index]
    name = element_name(segment, value_index)
    if qualifier == "D8":
        day = parse_date(value, name)
        return day, day
    if qualifier == "RD8":
        start, _, end = value.partition("-")
        first, last = parse_date(start, name), parse_date(end, name)
        if last < first:
            raise Malformed(f"{name} ends before it begins")
        return first, last
    raise Malformed(f"{element_name(segment, format_index)} {qualifier[:10]!r} is not D8 or RD8")


def created_at(bht: Segment) -> datetime:
    """BHT04 date and BHT05 time: when the payer produced the response (UTC by convention)."""
    day = date_element(bht, 4)
    clock = bht[5]
    if clock and _TIME.fullmatch(clock[:6]):
        hour, minute = int(clock[:2]), int(clock[2:4])
        second = int(clock[4:6]) if len(clock) >= 6 else 0
        if hour < 24 and minute < 60 and second < 60:
            return datetime.combine(day, time(hour, minute, second), UTC)
    return datetime.combine(day, time(0, 0), UTC)
