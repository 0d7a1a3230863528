"""NDC numbers on drug lines: the 10-to-11-digit conversion and the NDC quantity of a dose.

DOMAIN.md §2.4: packages print a 10-digit NDC in three hyphenated segments (4-4-2, 5-3-2 or
5-4-1); claims need the 11-digit 5-4-2 form, made by padding the short segment with a leading
zero. Without its hyphens a 10-digit NDC is ambiguous (0002759701 could be 00027-5970-01 or
00002-7597-01), so it is refused rather than guessed. The segment patterns are data
(``CodingRules.ndc_label_formats``), ready for the 6-digit labeler codes FDA has announced.

The NDC quantity is counted in the package's own unit (UN, ML, GR, F2, ME), which is not the
HCPCS billing unit: 300 mg of iron sucrose from 100 mg / 5 mL vials is ``ML 15`` but 300 units
of J1756.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from workqueue.domain.coding.model import DrugEntry

DEFAULT_LABEL_FORMATS = ((4, 4, 2), (5, 3, 2), (5, 4, 1), (5, 4, 2))
DEFAULT_BILLING_FORMAT = (5, 4, 2)


class InvalidNdc(ValueError):
    """The text is not an NDC the claim can carry; the message says what to type instead."""


def parse_format(text: str) -> tuple[int, ...]:
    """``"5-4-2"`` -> ``(5, 4, 2)`` (the rules file writes segment patterns as on packages)."""
    try:
        segments = tuple(int(part) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"not an NDC segment pattern: {text!r}") from None
    if len(segments) != 3 or min(segments) < 1:
        raise ValueError(f"not an NDC segment pattern: {text!r}")
    return segments


@lru_cache(maxsize=4096)  # a center stocks a few hundred NDCs: the same texts come back
def normalize_ndc(
    text: str,
    label_formats: tuple[tuple[int, ...], ...] = DEFAULT_LABEL_FORMATS,
    billing_format: tuple[int, ...] = DEFAULT_BILLING_FORMAT,
) -> str:
    """The 11-digit billing form (no hyphens) of an NDC as printed or as already billed.

    :raise InvalidNdc: not digits in a known segment pattern, or 10 digits without hyphens.
    """
    value = text.strip()
    billing_length = sum(billing_format)
    if "-" in value:
        segments = value.split("-")
        lengths = tuple(len(segment) for segment in segments)
        if not all(segment.isdigit() for segment in segments) or lengths not in label_formats:
            pattern_names = ", ".join("-".join(map(str, f)) for f in label_formats)
            raise InvalidNdc(f"NDC {value!r} is not in a known segment pattern "
                             f"({pattern_names})")
        return "".join(segment.zfill(width) for segment, width in zip(segments, billing_format,
                                                                     strict=True))
    if not value.isdigit():
        raise InvalidNdc(f"NDC {value!r} must be digits, with or without hyphens")
    if len(value) == billing_length:
        return value
    if len(value) == billing_length - 1:
        raise InvalidNdc(f"NDC {value!r} has 10 digits without hyphens, which is ambiguous: "
                         "type it with the hyphens printed on the package (e.g. 0002-7597-01)")
    raise InvalidNdc(f"NDC {value!r} has {len(value)} digits; an NDC has 10 (with hyphens) "
                     f"or {billing_length}")


def format_ndc(ndc: str, billing_format: tuple[int, ...] = DEFAULT_BILLING_FORMAT) -> str:
    """``"00002759701"`` -> ``"00002-7597-01"``, for people reading a message."""
    parts, start = [], 0
    for width in billing_format:
        parts.append(ndc[start:start + width])
        start += width
    return "-".join(parts)


def ndc_quantity(amount: Decimal, entry: DrugEntry, places: int) -> Decimal:
    """The NDC quantity of ``amount`` (already in the catalog unit) of ``entry``'s package.

    ``amount / package_amount * package_quantity``, rounded half-up to ``places`` decimals
    and never below the smallest reportable quantity when something was given.
    """
    assert entry.package_amount and entry.package_quantity  # callers check has_package
    step = Decimal(1).scaleb(-places)
    quantity = (amount / entry.package_amount * entry.package_quantity).quantize(
        step, rounding=ROUND_HALF_UP)
    return max(quantity, step) if amount > 0 else Decimal(0)


def packages_opened(amount: Decimal, entry: DrugEntry) -> Decimal:
    """How many of ``entry``'s packages ``amount`` (catalog unit) fills; whole when opened."""
    assert entry.package_amount
    return amount / entry.package_amount
