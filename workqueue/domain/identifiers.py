"""Identifier shape checks: NPI check digit, MBI, HCPCS, CPT, ICD-10-CM (DOMAIN.md §10, §3.1).

These prove a value is well-formed, not that it exists: an NPI with a good check digit may
not be enrolled (NPPES), and a shape-valid ICD-10 code may be a non-billable header on the
date of service (G35 since 1 Oct 2025). Callers that need more look the code up in a catalog.
"""

import re

# Record ids are 32-bit signed integers in every table: a larger one names no record, and
# PostgreSQL refuses to compare it ("integer out of range"), so the edges refuse it first.
MAX_ID = 2**31 - 1

# The card-issuer prefix an NPI's Luhn digit is computed behind: 80 health, 840 USA.
NPI_PREFIX = "80840"

_NPI_SHAPE = re.compile(r"^[12]\d{9}$")
_NINE_DIGITS = re.compile(r"^[12]\d{8}$")
# Medicare Beneficiary Identifier: letters exclude S, L, O, I, B, Z.
_MBI = re.compile(
    r"^[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9]"
    r"[AC-HJKMNP-RT-Y]{2}[0-9]{2}$"
)
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
_HCPCS_LEVEL2 = re.compile(r"^[A-V][0-9]{4}$")
# Category I is five digits; II ends in F, III in T, PLA in U, MAAA in M.
_CPT = re.compile(r"^[0-9]{4}[0-9FTUM]$")
# Third character may be a letter (C7A, M1A, Z3A) and so may later ones (G35.A, N02.B1).
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")


def _luhn_sum(digits: str, double_first: bool) -> int:
    """Luhn "double-add-double" sum, walking from the right."""
    total = 0
    double = double_first
    for char in reversed(digits):
        value = int(char)
        if double:
            value *= 2
            if value > 9:
                value -= 9
        total += value
        double = not double
    return total


def npi_check_digit(first_nine: str) -> str:
    """The check digit for the first nine digits of an NPI (Luhn behind the 80840 prefix)."""
    if not re.fullmatch(r"\d{9}", first_nine):
        raise ValueError("an NPI check digit needs exactly nine digits")
    # The rightmost payload digit is doubled, as it sits next to the check digit.
    total = _luhn_sum(NPI_PREFIX + first_nine, double_first=True)
    return str((10 - total % 10) % 10)


def is_valid_npi(value: str | None) -> bool:
    """Ten digits, starting 1 or 2, with a Luhn check digit computed behind 80840."""
    if value is None or not _NPI_SHAPE.match(value):
        return False
    return _luhn_sum(NPI_PREFIX + value, double_first=False) % 10 == 0


def npi_problem(value: str | None) -> str | None:
    """Why ``value`` is not a valid NPI, in words a user can act on; None when it is valid."""
    if not value:
        return "An NPI is required."
    if not value.isdigit() or len(value) != 10:
        return "An NPI is exactly 10 digits."
    if value[0] not in "12":
        return "An NPI starts with 1 or 2."
    if not is_valid_npi(value):
        return "This NPI's check digit is wrong; check for a mistyped digit."
    return None


def make_valid_npi(nine_digits: str | int) -> str:
    """A format-valid NPI from nine digits (for synthetic providers): appends the check digit.

    :raise ValueError: not nine digits starting with 1 or 2.
    """
    text = f"{nine_digits:09d}" if isinstance(nine_digits, int) else str(nine_digits)
    if not _NINE_DIGITS.match(text):
        raise ValueError("a synthetic NPI needs nine digits starting with 1 or 2")
    return text + npi_check_digit(text)


def normalize_mbi(value: str) -> str:
    """Upper-case with spaces and dashes removed, as MBIs are stored."""
    return re.sub(r"[\s-]", "", value).upper()


def is_valid_mbi(value: str | None) -> bool:
    """Shape of a Medicare Beneficiary Identifier (11 characters, no dashes once normalized)."""
    return value is not None and bool(_MBI.match(normalize_mbi(value)))


def is_valid_hcpcs(value: str | None) -> bool:
    """HCPCS Level II shape: a letter A-V then four digits (J9312, Q5103)."""
    return value is not None and bool(_HCPCS_LEVEL2.match(value.strip().upper()))


def is_valid_cpt(value: str | None) -> bool:
    """CPT shape: four digits then a digit or F/T/U/M (96413, 3074F, 0591T)."""
    return value is not None and bool(_CPT.match(value.strip().upper()))


def is_valid_procedure_code(value: str | None) -> bool:
    """A claim-line procedure code: CPT or HCPCS Level II."""
    return is_valid_cpt(value) or is_valid_hcpcs(value)


def normalize_icd10(value: str) -> str:
    """Upper-case, without the print decimal point, as X12 carries it (D50.9 → D509)."""
    return value.strip().upper().replace(".", "")


def is_valid_icd10_shape(value: str | None) -> bool:
    """ICD-10-CM format only (3-7 characters); says nothing about billability on a date."""
    if value is None:
        return False
    text = value.strip().upper()
    return bool(_ICD10.match(text)) and 3 <= len(text.replace(".", "")) <= 7


def format_icd10(value: str) -> str:
    """The printed form with the decimal after the third character (D509 → D50.9)."""
    code = normalize_icd10(value)
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"
