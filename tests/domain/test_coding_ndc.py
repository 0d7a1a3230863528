"""NDC on drug lines and unclassified drug codes: normalization, quantity arithmetic, findings."""

from dataclasses import replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest

from workqueue.domain.coding import code_visit, load_default_tables, parse_visit, result_to_dict
from workqueue.domain.coding.ndc import InvalidNdc, format_ndc, normalize_ndc
from workqueue.domain.coding.serialization import PAYER_TYPES
from workqueue.models import PayerType

SEED, RULES = load_default_tables()
# Packages as a center would load them from its chargemaster (synthetic NDCs).
CATALOG = MappingProxyType(dict(SEED) | {
    "J1756": replace(SEED["J1756"], ndc="11111222233", package_amount=Decimal(100),
                     package_quantity=Decimal(5), package_unit="ML"),
    "J1745": replace(SEED["J1745"], ndc="22222333344", package_amount=Decimal(100),
                     package_quantity=Decimal(1), package_unit="UN"),
    "J2405": replace(SEED["J2405"], ndc="33333444455", package_amount=Decimal(40),
                     package_quantity=Decimal(20), package_unit="ML"),
})
DAY = "2026-11-02"


def _adm(adm_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": adm_id, "kind": "therapeutic", "route": "iv_infusion",
            "start": f"{DAY}T09:00", "stop": f"{DAY}T10:00", **fields}


def _code(*administrations: dict[str, Any], **visit: Any) -> dict[str, Any]:
    raw = {"setting": "office", "administrations": list(administrations), **visit}
    return result_to_dict(code_visit(parse_visit(raw), CATALOG, RULES))


def _drug_lines(result: dict[str, Any]) -> list[tuple]:
    return [(line["code"], line["units"], tuple(line["modifiers"]), line["ndc"],
             line["ndc_quantity"], line["ndc_unit"])
            for line in result["lines"] if not line["code"][0].isdigit()]


def _findings(result: dict[str, Any]) -> list[str]:
    return sorted(finding["code"] for finding in result["findings"])


IRON_300 = {"drug": "J1756", "dose": 300, "dose_unit": "mg", "discarded": 0}


# --- normalization -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("printed", "billed"),
    [
        ("0002-7597-01", "00002759701"),  # 4-4-2: pad the labeler
        ("50242-040-62", "50242004062"),  # 5-3-2: pad the product
        ("60575-4112-1", "60575411201"),  # 5-4-1: pad the package
        ("50242-150-01", "50242015001"),  # Ocrevus 300 mg vial, DOMAIN.md 2.4
        ("00002-7597-01", "00002759701"),  # already 5-4-2
        ("00002759701", "00002759701"),  # already 11 digits
        (" 0002-7597-01 ", "00002759701"),  # spaces around are tolerated
    ],
)
def test_printed_ndc_is_padded_to_11_digits(printed: str, billed: str) -> None:
    assert normalize_ndc(printed) == billed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0002759701", "ambiguous"),  # 10 digits, no hyphens: 4-4-2, 5-3-2 or 5-4-1?
        ("002-7597-01", "not in a known segment pattern"),  # 3-4-2
        ("00002-7597-001", "not in a known segment pattern"),  # 5-4-3
        ("0002-75A7-01", "not in a known segment pattern"),
        ("000027597011", "has 12 digits"),
        ("N400002759701", "must be digits"),
        ("123456-789-01", "not in a known segment pattern"),  # 6-digit labeler: not yet
    ],
)
def test_malformed_or_ambiguous_ndc_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidNdc, match=message):
        normalize_ndc(text)


def test_segment_patterns_are_data() -> None:
    only_442 = ((4, 4, 2),)
    assert normalize_ndc("0002-7597-01", only_442) == "00002759701"
    with pytest.raises(InvalidNdc):
        normalize_ndc("50242-040-62", only_442)


def test_format_ndc_reads_back_as_5_4_2() -> None:
    assert format_ndc("00002759701") == "00002-7597-01"


# --- quantity arithmetic -------------------------------------------------------------------


def test_example_a_iron_sucrose_300_mg_is_ml_15() -> None:
    result = _code(_adm("iron", ndc="11111-2222-33", **IRON_300))
    assert _drug_lines(result) == [("J1756", 300, ("JZ",), "11111222233", 15, "ML")]
    assert result["findings"] == []


def test_catalog_package_gives_the_ndc_when_the_record_has_none() -> None:
    result = _code(_adm("iron", **IRON_300))
    assert _drug_lines(result) == [("J1756", 300, ("JZ",), "11111222233", 15, "ML")]


def test_jw_line_carries_the_discarded_quantity() -> None:
    result = _code(_adm("remicade", drug="J1745", dose=415, dose_unit="mg", discarded=85))
    assert _drug_lines(result) == [
        ("J1745", 42, (), "22222333344", 4.15, "UN"),
        ("J1745", 8, ("JW",), "22222333344", 0.85, "UN"),
    ]
    assert result["findings"] == []


def test_quantity_is_rounded_half_up_to_three_decimals() -> None:
    # 1 mg of a 40 mg / 20 mL vial is 0.5 mL; 0.1 mg is 0.05 mL; 1/3 mg is 0.1666.. mL
    results = [_code(_adm("z", route="iv_push", drug="J2405", dose=dose, dose_unit="mg"))
               for dose in (1, 0.1, 0.333)]
    assert [_drug_lines(r)[0][4] for r in results] == [0.5, 0.05, 0.167]


def test_grams_convert_before_the_package_division() -> None:
    result = _code(_adm("iron", drug="J1756", dose=0.3, dose_unit="g", discarded=0))
    assert _drug_lines(result)[0][4:] == (15, "ML")


def test_same_ndc_twice_is_one_line_with_summed_quantity() -> None:
    result = _code(
        _adm("z1", route="iv_push", drug="J2405", dose=4, dose_unit="mg"),
        _adm("z2", route="iv_push", start=f"{DAY}T11:00", stop=None, drug="J2405", dose=8,
             dose_unit="mg"),
    )
    assert _drug_lines(result) == [("J2405", 12, (), "33333444455", 6, "ML")]


def test_other_ndc_is_its_own_line_and_cannot_be_counted() -> None:
    result = _code(
        _adm("z1", route="iv_push", drug="J2405", dose=4, dose_unit="mg"),
        _adm("z2", route="iv_push", start=f"{DAY}T11:00", stop=None, drug="J2405", dose=8,
             dose_unit="mg", ndc="44444-5555-66"),
    )
    assert _drug_lines(result) == [
        ("J2405", 4, (), "33333444455", 2, "ML"),
        ("J2405", 8, (), "44444555566", None, None),
    ]
    assert _findings(result) == ["ndc_quantity_mismatch"]


def test_single_dose_packages_are_opened_whole() -> None:
    # 415 mg given from 100 mg vials with nothing discarded: 85 mg are missing somewhere.
    result = _code(_adm("remicade", drug="J1745", dose=415, dose_unit="mg", discarded=0))
    assert _findings(result) == ["ndc_quantity_mismatch"]
    assert "4.15 packages of 100 mg" in result["findings"][0]["message"]


# --- findings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visit", "expected"),
    [
        ({"payer_type": "medicaid"}, ["ndc_missing"]),
        ({"payer_type": "commercial"}, []),
        ({}, []),
        ({"payer_type": "commercial", "ndc_required": True}, ["ndc_missing"]),
        ({"payer_type": "medicaid", "ndc_required": False}, []),
    ],
)
def test_ndc_missing_when_the_payer_requires_it(visit: dict, expected: list[str]) -> None:
    result = _code(_adm("zofran", route="iv_push", drug="J1100", dose=10, dose_unit="mg"),
                   **visit)
    assert _findings(result) == expected


def test_catalog_ndc_satisfies_a_medicaid_payer() -> None:
    assert _code(_adm("iron", **IRON_300), payer_type="medicaid")["findings"] == []


def test_ambiguous_ndc_is_an_ndc_invalid_finding_not_a_missing_one() -> None:
    result = _code(_adm("dex", route="iv_push", drug="J1100", dose=10, dose_unit="mg",
                        ndc="0002759701"), payer_type="medicaid")
    assert _findings(result) == ["ndc_invalid"]
    assert "hyphens" in result["findings"][0]["message"]
    assert _drug_lines(result) == [("J1100", 10, (), None, None, None)]


def test_payer_types_of_the_contract_match_the_model() -> None:
    assert set(PAYER_TYPES) == {t.value for t in PayerType}


# --- unclassified drug codes ---------------------------------------------------------------


def test_unclassified_code_with_full_narrative_bills_one_unit() -> None:
    result = _code(_adm("famotidine", route="iv_push", drug="J3490", drug_name="famotidine",
                        dose=20, dose_unit="mg", ndc="0143-9898-01"))
    line = [ln for ln in result["lines"] if ln["code"] == "J3490"]
    assert line == [{"code": "J3490", "units": 1, "modifiers": [], "ndc": "00143989801",
                     "ndc_quantity": None, "ndc_unit": None,
                     "narrative": "famotidine 20 mg IV push NDC 00143989801"}]
    assert result["findings"] == []


@pytest.mark.parametrize("code", ["J3490", "J3590", "J9999", "C9399"])
def test_unclassified_code_without_narrative_is_an_error(code: str) -> None:
    result = _code(_adm("x", drug=code, dose=5, dose_unit="mg"))
    assert _findings(result) == ["unclassified_narrative_missing"]
    finding = result["findings"][0]
    assert finding["severity"] == "error"
    assert finding["message"].endswith("missing: drug name, NDC")


def test_unclassified_code_for_a_drug_with_its_own_code_warns_of_carc_189() -> None:
    result = _code(_adm("iron", drug="J3490", drug_name="Iron Sucrose", dose=200,
                        dose_unit="mg", ndc="0517-2340-01"))
    assert _findings(result) == ["specific_code_exists"]
    finding = result["findings"][0]
    assert finding["severity"] == "warning"
    assert "J1756" in finding["message"] and "CARC 189" in finding["message"]


def test_unclassified_code_matching_a_catalog_ndc_warns_of_carc_189() -> None:
    result = _code(_adm("x", drug="J3590", drug_name="a biologic", dose=415, dose_unit="mg",
                        ndc="22222-3333-44"))
    assert _findings(result) == ["specific_code_exists"]
    assert "J1745" in result["findings"][0]["message"]
