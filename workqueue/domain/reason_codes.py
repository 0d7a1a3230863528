"""The CARC/RARC catalog: what each adjustment reason and remark code means for the work.

The seed lives in ``workqueue/data/reason_codes.csv`` (own-words meanings from DOMAIN.md
§5). Once the database table exists the import reads the admin-edited rows instead;
both paths build the same `ReasonCatalog`, so the parser never cares where it came from.
A code missing from the catalog is not an error: callers keep it and flag it unknown.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path


class CodeType(StrEnum):
    CARC = "carc"
    RARC = "rarc"


CATEGORIES = frozenset({
    "authorization", "eligibility", "medical_necessity", "coding", "missing_information",
    "timely_filing", "duplicate", "cob", "non_covered", "pricing", "other",
})
ACTIONS = frozenset({"appeal", "corrected_claim", "write_off", "resubmit", "patient_bill",
                     "none"})
# A code whose default action asks nobody on the denial team to do anything — contractual
# write-downs, sequestration, prior-payer amounts, patient cost share — is routine posting,
# not a denial. Everything else is something a denial specialist must look at.
_ROUTINE_ACTIONS = frozenset({"none", "patient_bill"})
_COLUMNS = ("code_type", "code", "meaning", "category", "usually_preventable",
            "default_action", "letter_template")


class ReasonCatalogError(ValueError):
    """A catalog row that cannot be used (unknown category, action or flag)."""


@dataclass(frozen=True, slots=True)
class ReasonCode:
    """One CARC or RARC with what the team usually does about it."""

    code_type: CodeType
    code: str
    meaning: str
    category: str
    usually_preventable: bool
    default_action: str
    letter_template: str

    @property
    def is_denial_reason(self) -> bool:
        """True when an adjustment with this code is work for the denial team.

        Derived from the default action so that an admin who re-labels a code as routine
        ("none") also stops it from opening denial items — one switch, not two.
        """
        return self.default_action not in _ROUTINE_ACTIONS


class ReasonCatalog:
    """Lookup of CARCs and RARCs by code; unknown codes return ``None``."""

    def __init__(self, codes: Iterable[ReasonCode]) -> None:
        self._codes: dict[tuple[CodeType, str], ReasonCode] = {
            (code.code_type, code.code): code for code in codes
        }

    def carc(self, code: str) -> ReasonCode | None:
        return self._codes.get((CodeType.CARC, code))

    def rarc(self, code: str) -> ReasonCode | None:
        return self._codes.get((CodeType.RARC, code))

    def __len__(self) -> int:
        return len(self._codes)

    def __iter__(self) -> Iterator[ReasonCode]:
        return iter(self._codes.values())


def reason_code_from_row(row: Mapping[str, str]) -> ReasonCode:
    """Validate one catalog row (CSV seed or admin form) and build the `ReasonCode`.

    :raise ReasonCatalogError: when a value is outside the fixed vocabularies.
    """
    try:
        code_type = CodeType(row["code_type"].strip().lower())
    except (KeyError, ValueError):
        raise ReasonCatalogError(f"code_type {row.get('code_type')!r} is not carc/rarc") from None
    code = (row.get("code") or "").strip().upper()
    if not code:
        raise ReasonCatalogError("code is empty")
    category = (row.get("category") or "").strip()
    if category not in CATEGORIES:
        raise ReasonCatalogError(f"{code_type} {code}: category {category!r} is not one of "
                                 f"{sorted(CATEGORIES)}")
    action = (row.get("default_action") or "").strip()
    if action not in ACTIONS:
        raise ReasonCatalogError(f"{code_type} {code}: default_action {action!r} is not one "
                                 f"of {sorted(ACTIONS)}")
    preventable = (row.get("usually_preventable") or "").strip().lower()
    if preventable not in ("yes", "no"):
        raise ReasonCatalogError(f"{code_type} {code}: usually_preventable must be yes/no")
    return ReasonCode(code_type=code_type, code=code, meaning=(row.get("meaning") or "").strip(),
                      category=category, usually_preventable=preventable == "yes",
                      default_action=action,
                      letter_template=(row.get("letter_template") or "none").strip())


def load_reason_codes(path: Path | None = None) -> ReasonCatalog:
    """Read a catalog CSV (default: the seed shipped in ``workqueue/data``)."""
    if path is None:
        return _seed_catalog()
    with path.open(newline="", encoding="utf-8") as handle:
        return _read(handle)


@cache
def _seed_catalog() -> ReasonCatalog:
    # Cached: the seed file is immutable package data and the parser asks for it per file.
    seed = resources.files("workqueue").joinpath("data", "reason_codes.csv")
    with seed.open("r", newline="", encoding="utf-8") as handle:
        return _read(handle)


def _read(handle: Iterable[str]) -> ReasonCatalog:
    reader = csv.DictReader(handle)
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise ReasonCatalogError(f"catalog columns must be {_COLUMNS}, got {reader.fieldnames}")
    return ReasonCatalog(reason_code_from_row(row) for row in reader)
