"""277 interpretation: claim-level status (category:code:entity, dates, amounts), payer and
patient account numbers, service lines read past, and malformed claims reported alone."""

import io
from datetime import date
from decimal import Decimal

import pytest

from tests.x12.edi_samples_27x import claim_277, file_277
from workqueue.domain.claim_status import status_category
from workqueue.x12.reader import X12Error
from workqueue.x12.status277 import parse_claim_statuses
from workqueue.x12.synthetic import SyntheticClaim, build_277


def _parse(text: str):
    return parse_claim_statuses(io.BytesIO(text.encode()))


def test_a_claim_status_is_read_with_its_numbers_dates_and_amounts():
    lines = ["SVC*HC:96413*1000*0", "STC*F2:96:PR*20261120", "REF*FJ*LINE1"]
    text = file_277(claim_277(4, "PCN-1", "STC*F2:88:PR*20261120**1000*0*20261120**20261121*"
                              "CHK123*A7:21:85", extra=lines))
    parsed = _parse(text)
    assert parsed.errors == []
    (claim,) = parsed.results
    assert (claim.patient_account, claim.payer_claim_number, claim.trace_number) == (
        "PCN-1", "ICN277", "T1")
    assert claim.payer_name == "NORTHWIND HEALTH PLAN" and claim.member_id == "ZZ100200300"
    assert claim.service_from == claim.service_to == date(2026, 10, 1)
    status = claim.status
    assert (status.category, status.code, status.entity, status.label) == (
        "F2", "88", "PR", "F2:88:PR")
    assert status.effective_on == date(2026, 11, 20) and status.charge == Decimal(1000)
    assert status.check_number == "CHK123" and status.check_date == date(2026, 11, 21)
    # STC10 is a further status; the line-level STC is not the claim's.
    assert [s.label for s in claim.statuses] == ["F2:88:PR", "A7:21:85"]


@pytest.mark.parametrize("stc, words", [
    ("STC*ZZ:1:PR*20261120", "STC01-1 'ZZ' is not a claim status category code"),
    ("STC*A7:21:PR*20261120**1X00", "STC04 '1X00' is not an amount"),
])
def test_a_malformed_claim_is_dropped_and_reported_and_the_next_one_read(stc, words):
    parsed = _parse(file_277(claim_277(4, "PCN-BAD", stc, trace="T1"),
                             claim_277(5, "PCN-OK", "STC*A2:20:PR*20261120", trace="T2")))
    assert [c.patient_account for c in parsed.results] == ["PCN-OK"]
    (issue,) = parsed.errors
    assert words in issue.message and "status not applied" in issue.message
    assert issue.segment == 14


def test_a_claim_without_stc_is_reported():
    body = ["HL*4*3*22*0", "NM1*IL*1*SAMPLE*ALEX****MI*ZZ1", "TRN*2*T9", "REF*EJ*PCN-9"]
    parsed = _parse(file_277(body))
    assert parsed.results == [] and "no STC claim status" in parsed.errors[0].message


def test_a_bad_status_date_is_reported_and_the_claim_kept():
    parsed = _parse(file_277(claim_277(4, "PCN-2", "STC*A1:20:PR*20261199")))
    assert parsed.results[0].status.effective_on is None
    assert "is not a calendar date" in parsed.errors[0].message


def test_a_file_with_a_wrong_segment_count_is_not_read():
    text = file_277(claim_277(4, "PCN-3", "STC*A1:20:PR*20261120")).replace("SE*", "SE*9")
    with pytest.raises(X12Error, match="SE01"):
        _parse(text)


def test_categories_say_which_need_a_person():
    assert status_category("A7").needs_action and status_category("F2").needs_action
    assert status_category("R13").needs_action and status_category("P3").needs_action
    assert not status_category("A2").needs_action and not status_category("F1").needs_action
    assert status_category("Q9") is None and status_category("R17") is None


def test_the_synthetic_277_reads_back_with_every_scenario():
    text = build_277(claims=[SyntheticClaim("PCN-S1")], count=6)
    parsed = parse_claim_statuses(io.StringIO(text))
    assert parsed.errors == []
    assert [c.status.category for c in parsed.results] == ["A2", "P1", "A7", "F1", "F2", "P3"]
    assert parsed.results[0].patient_account == "PCN-S1"


def test_a_bad_adjudication_date_is_reported_and_the_status_kept():
    parsed = _parse(file_277(claim_277(4, "PCN-4", "STC*F1:65:PR*20261120**100*80*2026X120")))
    (claim,) = parsed.results
    assert claim.status.category == "F1" and claim.status.adjudicated_on is None
    assert "STC06 is not a CCYYMMDD date; date left empty" in parsed.errors[0].message
