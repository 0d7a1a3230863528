"""Who may post onto a claim, and what flags a posted one: the pure rule."""

from decimal import Decimal

import pytest

from workqueue.domain.remittance_matching import flag_reasons, hold_reason, may_post

BILLED, SECONDARY, STRANGER = 1, 2, 3


@pytest.mark.parametrize("status", ["1", "2", "3", "4", "19", "20", "21", "22", "23", "25"])
def test_the_payer_billed_may_post_whatever_the_status(status):
    assert may_post(status, BILLED, BILLED, {SECONDARY})


@pytest.mark.parametrize("status, allowed", [
    ("2", True), ("3", True), ("19", True), ("20", True), ("21", True), ("22", True),
    ("1", False), ("4", False), ("23", False), ("25", False),
])
def test_the_secondary_payer_posts_crossovers_only(status, allowed):
    assert may_post(status, SECONDARY, BILLED, {SECONDARY}) is allowed


@pytest.mark.parametrize("remitter", [None, STRANGER])
@pytest.mark.parametrize("status", ["1", "2", "4", "22"])
def test_a_payer_not_on_file_or_not_billed_never_posts(remitter, status):
    assert not may_post(status, remitter, BILLED, {SECONDARY})


def test_hold_reasons_name_both_payers():
    assert hold_reason("1", "BLUE HERON MUTUAL", None, "Original Medicare", BILLED, ()) == (
        "remitted by BLUE HERON MUTUAL, a payer not on file, billed to Original Medicare")
    assert hold_reason("1", "Acme", STRANGER, "Original Medicare", BILLED, ()) == (
        "remitted by Acme, billed to Original Medicare")
    assert hold_reason("1", "Acme", BILLED, "Acme", BILLED, ()) is None


def test_flags_compare_charge_and_patient_and_skip_reversals():
    same = ("1", Decimal("100"), Decimal("100.00"), "DOE", "JO", "Doe", "Jo")
    assert flag_reasons(*same) == []
    assert len(flag_reasons("1", Decimal("90"), Decimal("100"), "ROE", "JO", "Doe", "Jo")) == 2
    assert flag_reasons("22", Decimal("-90"), Decimal("100"), "ROE", "JO", "Doe", "Jo") == []
    assert flag_reasons("1", Decimal("100"), Decimal("100"), "", "", "Doe", "Jo") == []
