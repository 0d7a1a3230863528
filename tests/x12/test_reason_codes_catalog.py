"""The CARC/RARC seed catalog and its loader: vocabularies, the routine-vs-denial switch,
and rows the loader must refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from workqueue.domain.reason_codes import (
    ACTIONS,
    CATEGORIES,
    CodeType,
    ReasonCatalogError,
    load_reason_codes,
    reason_code_from_row,
)


def test_seed_catalog_loads_with_both_code_types() -> None:
    catalog = load_reason_codes()
    codes = list(catalog)
    assert len(codes) == len(catalog) > 90
    assert {c.code_type for c in codes} == {CodeType.CARC, CodeType.RARC}
    assert all(c.category in CATEGORIES and c.default_action in ACTIONS for c in codes)
    assert all(c.meaning for c in codes)


@pytest.mark.parametrize("code", ["1", "2", "3", "23", "45", "253"])
def test_routine_adjustments_are_not_denial_reasons(code: str) -> None:
    assert load_reason_codes().carc(code).is_denial_reason is False


@pytest.mark.parametrize(("code", "category"), [
    ("197", "authorization"), ("50", "medical_necessity"), ("16", "missing_information"),
    ("29", "timely_filing"), ("18", "duplicate"), ("22", "cob"), ("96", "non_covered"),
    ("97", "coding"), ("31", "eligibility"),
])
def test_denial_reasons_carry_their_category(code: str, category: str) -> None:
    reason = load_reason_codes().carc(code)
    assert reason.is_denial_reason and reason.category == category


def test_unknown_codes_are_none_not_errors() -> None:
    catalog = load_reason_codes()
    assert catalog.carc("ZZ9") is None and catalog.rarc("N99999") is None
    assert catalog.rarc("N362").category == "medical_necessity"


@pytest.mark.parametrize(("row", "fragment"), [
    ({"code_type": "xarc", "code": "1"}, "not carc/rarc"),
    ({"code_type": "carc", "code": " "}, "code is empty"),
    ({"code_type": "carc", "code": "1", "category": "money"}, "category 'money'"),
    ({"code_type": "carc", "code": "1", "category": "other", "default_action": "shrug"},
     "default_action 'shrug'"),
    ({"code_type": "carc", "code": "1", "category": "other", "default_action": "none",
      "usually_preventable": "maybe"}, "usually_preventable"),
])
def test_bad_rows_are_refused(row: dict[str, str], fragment: str) -> None:
    with pytest.raises(ReasonCatalogError, match=fragment):
        reason_code_from_row(row)


def test_loader_checks_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("code,meaning\n45,x\n", encoding="utf-8")
    with pytest.raises(ReasonCatalogError, match="columns"):
        load_reason_codes(path)
