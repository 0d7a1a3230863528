"""271 interpretation: members, benefits, dates, AAA rejections, dependents, and what a
malformed member, benefit or transaction does to the rest of the file."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.x12.edi_samples_27x import envelope_27x, file_271, member_271
from workqueue.x12.elig271 import parse_eligibility
from workqueue.x12.reader import X12Error
from workqueue.x12.synthetic import SyntheticMember, build_271

ACTIVE = ["DTP*356*D8*20260101", "DTP*357*D8*20261231", "EB*1*IND*30^98**PPO GOLD",
          "EB*C*IND*30***23*1000", "EB*C*IND*30***29*283*****Y",
          "EB*G*IND*30***29*2400*****Y", "EB*A*IND*98***27**0.2***Y*Y",
          "MSG*PA REQUIRED FOR INFUSED DRUGS", "EB*B*IND*98***27*35*****Y"]


def _parse(text: str):
    return parse_eligibility(io.BytesIO(text.encode()))


def test_an_active_member_is_read_with_its_benefits_dates_and_response_time():
    parsed = _parse(file_271(member_271(3, "MEM001", ACTIVE)))
    assert parsed.errors == [] and parsed.transactions == 1
    (member,) = parsed.results
    assert (member.member_id, member.last_name, member.first_name) == ("MEM001", "SAMPLE", "ALEX")
    assert member.payer_name == "NORTHWIND HEALTH PLAN" and member.payer_id == "NWHP01"
    assert member.birth_date == date(1960, 1, 1) and member.gender == "F"
    assert member.responded_at == datetime(2026, 11, 27, 8, 15, tzinfo=UTC)
    assert member.status == "active" and member.status_code == "1"
    assert member.effective == (date(2026, 1, 1), date(2026, 12, 31))
    first, *_rest = member.benefits
    assert first.service_types == ["30", "98"] and first.plan_name == "PPO GOLD"
    coinsurance = member.benefits[4]
    assert (coinsurance.code, coinsurance.percent, coinsurance.authorization_required,
            coinsurance.in_network) == ("A", Decimal("0.2"), "Y", "Y")
    assert coinsurance.messages == ["PA REQUIRED FOR INFUSED DRUGS"]
    assert member.benefits[2].time_period == "29" and member.benefits[2].amount == Decimal(283)


def test_inactive_and_rejected_members_are_told_apart():
    parsed = _parse(file_271(
        member_271(3, "MEM002", ["DTP*291*RD8*20250101-20261031", "EB*6**30"]),
        member_271(4, "MEM003", ["AAA*N**75*C"])))
    inactive, rejected = parsed.results
    assert inactive.status == "inactive" and inactive.status_code == "6"
    assert inactive.effective == (date(2025, 1, 1), date(2026, 10, 31))
    assert rejected.status == "rejected" and rejected.benefits == []
    (aaa,) = rejected.rejections
    assert (aaa.reason, aaa.action, aaa.level) == ("75", "C", "subscriber")
    assert aaa.reason_words == "subscriber/insured not found"


def test_a_dependent_is_answered_under_the_subscribers_member_id():
    body = ["HL*3*2*22*1", "NM1*IL*1*SAMPLE*ALEX****MI*FAM100", "HL*4*3*23*0",
            "NM1*03*1*SAMPLE*JAMIE", "DMG*D8*20100505*M", "EB*1*IND*30"]
    parsed = _parse(envelope_27x("271", [file_271().split("~\n")[3:8] + body]))
    assert parsed.errors == []
    (dependent,) = parsed.results
    assert dependent.is_dependent and dependent.member_id == "FAM100"
    assert (dependent.first_name, dependent.birth_date) == ("JAMIE", date(2010, 5, 5))


@pytest.mark.parametrize("bad, words", [
    ("EB*ZZ*IND*30", "EB01 'ZZ' is not a 5010 benefit code"),
    ("EB*C*IND*30***29*12X", "EB07 '12X' is not an amount"),
    ("EB*A*IND*98***27**20", "EB08 '20' is not a percent"),
])
def test_a_malformed_benefit_drops_that_member_only_and_names_its_segment(bad, words):
    text = file_271(member_271(3, "MEMBAD", ["EB*1*IND*30", bad]),
                    member_271(4, "MEMGOOD", ["EB*1*IND*30"]))
    parsed = _parse(text)
    assert [m.member_id for m in parsed.results] == ["MEMGOOD"]
    (issue,) = parsed.errors
    assert words in issue.message and "subscriber at segment 9" in issue.message
    assert "MEMBAD" not in issue.message
    assert "member not applied" in issue.message and issue.segment == 13  # the bad EB


def test_a_member_without_member_id_is_reported_not_applied():
    parsed = _parse(file_271(["HL*3*2*22*0", "NM1*IL*1*SAMPLE*ALEX", "EB*1*IND*30"]))
    assert parsed.results == []
    assert "NM1*IL has no member ID" in parsed.errors[0].message


def test_a_bad_date_is_reported_and_the_member_kept():
    parsed = _parse(file_271(member_271(3, "MEM004", ["DTP*356*D8*20261340", "EB*1**30"])))
    (member,) = parsed.results
    assert member.effective == (None, None)
    assert "is not a calendar date" in parsed.errors[0].message


def test_a_transaction_without_a_readable_bht_date_is_skipped():
    text = file_271(member_271(3, "MEM005", ["EB*1**30"]), bht="BHT*0022*11*X*2026")
    parsed = _parse(text)
    assert parsed.results == []
    assert "cannot be dated, transaction skipped" in parsed.errors[0].message


def test_a_truncated_file_is_not_read_at_all():
    text = file_271(member_271(3, "MEM006", ["EB*1**30"]))
    with pytest.raises(X12Error):
        _parse(text[:-25])


def test_the_synthetic_271_reads_back_with_every_scenario():
    members = [SyntheticMember("ZZ1", "SAMPLE", "ALEX"), SyntheticMember("ZZ2", "EXAMPLE", "JO")]
    parsed = parse_eligibility(io.StringIO(build_271(members=members, count=6)))
    assert parsed.errors == []
    assert [m.status for m in parsed.results] == ["active", "inactive", "rejected"] * 2
    assert [m.member_id for m in parsed.results][:2] == ["ZZ1", "ZZ2"]
