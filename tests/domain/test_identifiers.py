"""Identifier checks: NPI vectors from DOMAIN.md §10.1, MBI/HCPCS/CPT/ICD-10 shapes."""

import pytest

from workqueue.domain.identifiers import (
    format_icd10,
    is_valid_cpt,
    is_valid_hcpcs,
    is_valid_icd10_shape,
    is_valid_mbi,
    is_valid_npi,
    make_valid_npi,
    normalize_icd10,
    npi_check_digit,
    npi_problem,
)


@pytest.mark.parametrize("npi", ["1234567893", "1558598797", "1993999998"])
def test_domain_test_vectors_are_valid_npis(npi):
    assert is_valid_npi(npi)
    assert npi_problem(npi) is None


@pytest.mark.parametrize("npi", ["1234567890", "1234567894", "1558598779"])
def test_a_wrong_or_transposed_check_digit_is_refused(npi):
    assert not is_valid_npi(npi)
    assert "check digit" in npi_problem(npi)


@pytest.mark.parametrize(
    ("npi", "words"),
    [
        ("", "required"),
        (None, "required"),
        ("123456789", "10 digits"),
        ("12345678931", "10 digits"),
        ("12345A7893", "10 digits"),
        ("3234567893", "starts with 1 or 2"),
    ],
)
def test_bad_npi_shapes_get_a_specific_reason(npi, words):
    assert not is_valid_npi(npi)
    assert words in npi_problem(npi)


def test_check_digit_matches_the_constant_24_method():
    # DOMAIN.md §10.1: Luhn over the nine digits, plus 24, instead of the 80840 prefix.
    for nine in ["123456789", "155859879", "199399999", "287654321", "100000000"]:
        total = 0
        for position, char in enumerate(reversed(nine)):
            value = int(char) * (2 if position % 2 == 0 else 1)
            total += value - 9 if value > 9 else value
        assert npi_check_digit(nine) == str((10 - (total + 24) % 10) % 10)


@pytest.mark.parametrize("nine", ["123456789", "155859879", "199399999", 287654321])
def test_make_valid_npi_appends_a_check_digit_that_validates(nine):
    npi = make_valid_npi(nine)
    assert len(npi) == 10 and npi.startswith(str(nine)) and is_valid_npi(npi)


def test_make_valid_npi_reproduces_the_domain_vectors():
    assert make_valid_npi("123456789") == "1234567893"
    assert make_valid_npi("155859879") == "1558598797"


@pytest.mark.parametrize("bad", ["12345678", "323456789", "12345678X"])
def test_make_valid_npi_refuses_what_cannot_become_an_npi(bad):
    with pytest.raises(ValueError):
        make_valid_npi(bad)


@pytest.mark.parametrize("mbi", ["1EG4TE5MK73", "1eg4-te5-mk73", "9AA0A00AA00"])
def test_mbi_shapes_accepted(mbi):
    assert is_valid_mbi(mbi)


@pytest.mark.parametrize("mbi", ["0EG4TE5MK73", "1SG4TE5MK73", "1EG4TE5MK7", "1EGATE5MK73",
                                 "1EG4TE5MO73", None])
def test_mbi_shapes_refused(mbi):
    assert not is_valid_mbi(mbi)


@pytest.mark.parametrize("code", ["J9312", "Q5103", "J1745", "A4216", "j3380"])
def test_hcpcs_level2_shapes_accepted(code):
    assert is_valid_hcpcs(code)


@pytest.mark.parametrize("code", ["96413", "W1234", "J931", "J93120", "", None])
def test_hcpcs_level2_shapes_refused(code):
    assert not is_valid_hcpcs(code)


@pytest.mark.parametrize("code", ["96413", "96365", "3074F", "0591T", "0001U", "0002M"])
def test_cpt_shapes_accepted(code):
    assert is_valid_cpt(code)


@pytest.mark.parametrize("code", ["9641", "964130", "J9312", "9641X", None])
def test_cpt_shapes_refused(code):
    assert not is_valid_cpt(code)


@pytest.mark.parametrize(
    "code",
    # DOMAIN.md §12: the third and later characters may be letters.
    ["D50.9", "D509", "C7A", "C7A.010", "M1A.0710", "Z3A.20", "G35.A", "G35.B1", "N02.B1",
     "T45.1X5A", "U07.1", "z51.11", "C50.911"],
)
def test_icd10_shapes_accepted(code):
    assert is_valid_icd10_shape(code)


@pytest.mark.parametrize("code", ["D5", "5D0.9", "DD0.9", "D50.12345", "D50.", "", None])
def test_icd10_shapes_refused(code):
    assert not is_valid_icd10_shape(code)


def test_icd10_is_stored_without_the_dot_and_printed_with_it():
    assert normalize_icd10(" g35.a ") == "G35A"
    assert format_icd10("T451X5A") == "T45.1X5A"
    assert format_icd10("C7A") == "C7A"
