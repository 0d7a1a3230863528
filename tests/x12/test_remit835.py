"""835 interpretation: scenarios a denial specialist reads every day, balancing, the denial
rule, per-claim error recovery, and the JSON report shape."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from tests.x12.edi_samples import envelope, payment
from workqueue.x12.remit835 import (
    ClaimPayment,
    Remittance,
    iter_remittance,
    parse_remittance,
)
from workqueue.x12.report import build_report
from workqueue.x12.synthetic import SCENARIOS, SyntheticFormat, build_835, write_835

PATIENT = "NM1*QC*1*SAMPLE*ALEX*Q***MI*ZZ100200300"

PAID = [
    "LX*1",
    "CLP*PCN-PAID*1*500*320*80*12*ICN-PAID*11*1",
    PATIENT,
    "DTM*232*20261001", "DTM*233*20261001",
    "SVC*HC:96365*300*192**1", "DTM*472*20261001", "CAS*CO*45*60", "CAS*PR*2*48",
    "REF*6R*PCN-PAID-1", "AMT*B6*240",
    "SVC*HC:J1756:JZ*200*128**200", "DTM*472*20261001", "CAS*CO*45*40", "CAS*PR*2*32",
    "AMT*B6*160",
]
PARTIAL = [
    "CLP*PCN-PART*1*2025*900*100*12*ICN-PART",
    PATIENT,
    "SVC*HC:J0897:JZ*2025*900**45**60", "DTM*472*20261002",
    "CAS*CO*151*506.25*15*45*518.75", "CAS*PR*2*100", "LQ*HE*N362",
]
DENIED_CLAIM = [
    "CLP*PCN-DENY*1*7708.8*0**12*ICN-DENY",
    "CAS*CO*197*7708.8",
    PATIENT,
    "MOA***N54",
]
DENIED_LINE = [
    "CLP*PCN-LINE*1*420*200**12*ICN-LINE",
    PATIENT,
    "SVC*HC:96413*310*200**1", "DTM*472*20261003", "CAS*CO*45*110",
    "SVC*HC:96375*110*0**2", "DTM*472*20261003", "CAS*CO*97*110", "LQ*HE*N122",
]
MEMBER_NOT_FOUND = ["CLP*PCN-NF*4*900*0**12*ICN-NF", "CAS*CO*31*900",
                    "NM1*QC*1*NOTREAL*JORDAN"]


def _parse(*transactions: list[str], **options: str) -> Remittance:
    return parse_remittance(io.StringIO(envelope(transactions, **options)))


def _claims(remittance: Remittance) -> dict[str, ClaimPayment]:
    return {c.claim_id + ("/22" if c.is_reversal else ""): c
            for p in remittance.payments for c in p.claims}


def _report_claim(remittance: Remittance, claim_id: str) -> dict:
    report = build_report(remittance)
    return next(c for p in report["payments"] for c in p["claims"] if c["claim_id"] == claim_id)


def test_paid_claim_is_read_in_full() -> None:
    remittance = _parse(payment(PAID, amount="320", trace="EFT-1"))
    assert remittance.errors == []
    pay = remittance.payments[0]
    assert (pay.amount, pay.handling, pay.method, pay.trace_number) == (
        Decimal("320"), "I", "ACH", "EFT-1")
    assert pay.payment_date == date(2026, 11, 20) and pay.production_date == date(2026, 11, 20)
    assert pay.payer.name == "NORTHWIND HEALTH PLAN"
    assert (pay.payee.id_qualifier, pay.payee.id) == ("XX", "1234567893")
    claim = pay.claims[0]
    assert (claim.claim_id, claim.status, claim.charge, claim.paid) == (
        "PCN-PAID", "1", Decimal("500"), Decimal("320"))
    assert claim.patient_responsibility == Decimal("80")
    assert (claim.payer_claim_number, claim.filing_indicator, claim.facility_code,
            claim.frequency) == ("ICN-PAID", "12", "11", "1")
    assert claim.patient_name == "SAMPLE, ALEX" and claim.patient_id == "ZZ100200300"
    assert claim.statement_from == claim.statement_to == date(2026, 10, 1)
    first, drug = claim.lines
    assert (first.procedure_qualifier, first.procedure, first.paid) == ("HC", "96365",
                                                                        Decimal("192"))
    assert first.control_number == "PCN-PAID-1" and drug.control_number == ""
    assert first.allowed == Decimal("240") and first.service_from == date(2026, 10, 1)
    assert (drug.procedure, drug.modifiers, drug.units_paid) == ("J1756", ["JZ"],
                                                                 Decimal("200"))
    assert claim.denial is None and claim.denials == []
    assert _report_claim(remittance, "PCN-PAID") == {
        "claim_id": "PCN-PAID", "status": "1", "charge": "500.00", "paid": "320.00",
        "patient_responsibility": "80.00", "payer_claim_number": "ICN-PAID",
        "patient_name": "SAMPLE, ALEX",
        "adjustments": [
            {"level": "line", "procedure": "96365", "group": "CO", "reason": "45",
             "amount": "60.00"},
            {"level": "line", "procedure": "96365", "group": "PR", "reason": "2",
             "amount": "48.00"},
            {"level": "line", "procedure": "J1756", "group": "CO", "reason": "45",
             "amount": "40.00"},
            {"level": "line", "procedure": "J1756", "group": "PR", "reason": "2",
             "amount": "32.00"},
        ],
        "remarks": [], "denied": False, "category": None,
    }


def test_partially_paid_units_cut_is_not_a_denial() -> None:
    remittance = _parse(payment(PARTIAL, amount="900"))
    assert remittance.errors == []
    claim = _claims(remittance)["PCN-PART"]
    line = claim.lines[0]
    assert line.units_paid == Decimal("45") and line.original_units == Decimal("60")
    cut = line.adjustments[0]
    assert (cut.group, cut.reason, cut.amount, cut.quantity) == ("CO", "151", Decimal("506.25"),
                                                                 Decimal("15"))
    assert [a.reason for a in line.adjustments] == ["151", "45", "2"]  # six-triplet CAS split
    assert claim.all_remarks == ["N362"] and line.denial is None
    assert _report_claim(remittance, "PCN-PART")["denied"] is False


def test_claim_level_denial_has_category_and_amount() -> None:
    remittance = _parse(payment(DENIED_CLAIM, amount="0"))
    claim = _claims(remittance)["PCN-DENY"]
    assert claim.denial is not None
    assert (claim.denial.category, claim.denial.reason, claim.denial.amount) == (
        "authorization", "197", Decimal("7708.8"))
    report = _report_claim(remittance, "PCN-DENY")
    assert report["denied"] is True and report["category"] == "authorization"
    assert report["remarks"] == ["N54"]
    assert report["adjustments"] == [{"level": "claim", "procedure": None, "group": "CO",
                                      "reason": "197", "amount": "7708.80"}]
    assert report["patient_responsibility"] == "0.00"


def test_member_not_found_status_4_is_an_eligibility_denial() -> None:
    remittance = _parse(payment(MEMBER_NOT_FOUND, amount="0"))
    claim = _claims(remittance)["PCN-NF"]
    assert claim.denial is not None and claim.denial.category == "eligibility"
    assert claim.patient_name == "NOTREAL, JORDAN"


@pytest.mark.parametrize(("adjustments", "category", "reason", "amount"), [
    (["CAS*CO*197*900"], "authorization", "197", "900"),     # no auth: not "eligibility"
    (["CAS*CO*50*900", "MOA***N115"], "medical_necessity", "50", "900"),
    (["CAS*CO*45*100", "CAS*CO*16*800"], "missing_information", "16", "800"),
    (["CAS*CO*A1*900", "MOA***N115"], "medical_necessity", "A1", "900"),  # the remark says
    (["CAS*CO*31*900"], "eligibility", "31", "900"),
    (["CAS*CO*A1*900"], "eligibility", "A1", "900"),  # generic code: the status decides
    ([], "eligibility", "31", "900"),                 # nothing says why: member not found
])
def test_status_4_denial_takes_its_category_from_the_reason_code(
        adjustments: list[str], category: str, reason: str, amount: str) -> None:
    remittance = _parse(payment(["CLP*PCN-4*4*900*0**12*ICN-4", *adjustments, PATIENT],
                                amount="0"))
    denial = _claims(remittance)["PCN-4"].denial
    assert (denial.category, denial.reason, denial.amount) == (category, reason,
                                                               Decimal(amount))
    assert _report_claim(remittance, "PCN-4")["category"] == category


def test_line_level_denial_leaves_claim_paid_and_flags_the_line() -> None:
    remittance = _parse(payment(DENIED_LINE, amount="200"))
    assert remittance.errors == []
    claim = _claims(remittance)["PCN-LINE"]
    paid_line, denied_line = claim.lines
    assert claim.denial is None and paid_line.denial is None
    assert denied_line.denial is not None
    assert (denied_line.denial.category, denied_line.denial.reason) == ("coding", "97")
    assert [r.code for r in denied_line.remarks] == ["N122"]
    report = _report_claim(remittance, "PCN-LINE")
    assert report["denied"] is True and report["category"] == "coding"


@pytest.mark.parametrize(("cas", "status"), [
    ("CAS*PR*1*500", "1"),           # deductible: patient owes it, payer decided nothing
    ("CAS*OA*23*500", "2"),          # prior payer paid it all
    ("CAS*CO*45*500", "1"),          # contractual write-down to zero
    ("CAS*CO*253*500", "1"),         # sequestration
])
def test_routine_zero_payments_are_not_denials(cas: str, status: str) -> None:
    remittance = _parse(payment([f"CLP*PCN-Z*{status}*500*0**12*ICN", cas, PATIENT],
                                amount="0"))
    assert remittance.errors == []
    assert _report_claim(remittance, "PCN-Z")["denied"] is False


def test_unknown_carc_is_kept_flagged_and_treated_as_denial_other() -> None:
    remittance = _parse(payment(["CLP*PCN-U*1*500*0**12*ICN", "CAS*CO*Z99*500", PATIENT,
                                 "MOA***N54*XX999"], amount="0"))
    claim = _claims(remittance)["PCN-U"]
    adjustment = claim.adjustments[0]
    assert adjustment.reason == "Z99" and adjustment.is_known_reason is False
    assert [(r.code, r.is_known) for r in claim.remarks] == [("N54", True), ("XX999", False)]
    # The unknown CARC is "other"; the first categorised remark refines it.
    assert claim.denial is not None and claim.denial.category == "authorization"


def test_generic_a1_denial_takes_its_category_from_the_remark() -> None:
    remittance = _parse(payment(["CLP*PCN-A1*1*500*0**12*ICN", "CAS*CO*A1*500", PATIENT,
                                 "MOA***N115"], amount="0"))
    assert _claims(remittance)["PCN-A1"].denial.category == "medical_necessity"


def test_reversal_and_correction_are_both_reported_and_paired() -> None:
    claims = [
        "CLP*PCN-R*22*-500*-320*-80*12*ICN-OLD", PATIENT,
        "SVC*HC:96365*-500*-320**1", "CAS*CO*45*-100", "CAS*PR*2*-80",
        "CLP*PCN-R*1*500*350*50*12*ICN-NEW", PATIENT,
        "SVC*HC:96365*500*350**1", "CAS*CO*45*100", "CAS*PR*2*50",
    ]
    remittance = _parse(payment(claims, amount="30"))
    assert remittance.errors == []
    reversal, corrected = remittance.payments[0].claims
    assert reversal.is_reversal and reversal.paid == Decimal("-320")
    assert reversal.denial is None and reversal.lines[0].denial is None
    assert corrected.follows_reversal and not reversal.follows_reversal
    report = build_report(remittance)["payments"][0]["claims"]
    assert [(c["status"], c["paid"], c["payer_claim_number"]) for c in report] == [
        ("22", "-320.00", "ICN-OLD"), ("1", "350.00", "ICN-NEW")]


def test_provider_level_adjustments_balance_the_check() -> None:
    plb = ["PLB*1234567893*20261231*L6:INT1*-12.5*WO:OVR998877*100"]
    remittance = _parse(payment(PAID, amount="232.5", plb=plb))
    assert remittance.errors == []
    adjustments = build_report(remittance)["payments"][0]["provider_adjustments"]
    assert adjustments == [
        {"reason": "L6", "reference": "INT1", "amount": "-12.50"},
        {"reason": "WO", "reference": "OVR998877", "amount": "100.00"},
    ]
    assert remittance.payments[0].provider_adjustments[0].fiscal_period == date(2026, 12, 31)


@pytest.mark.parametrize(("claims", "amount", "fragment"), [
    (["CLP*PCN-B*1*500*320**12*ICN", "SVC*HC:96365*500*330**1", "CAS*CO*45*180"], "320",
     "line 96365 does not balance"),
    (["CLP*PCN-B*1*500*320**12*ICN", "CAS*CO*45*100"], "320", "claim PCN-B does not balance"),
    (["CLP*PCN-B*1*500*320**12*ICN", "CAS*CO*45*180"], "999.99",
     "does not balance: BPR02 999.99 but claims paid 320"),
])
def test_balancing_violations_are_reported_and_claims_kept(claims: list[str], amount: str,
                                                           fragment: str) -> None:
    remittance = _parse(payment(claims, amount=amount))
    assert any(fragment in issue.message for issue in remittance.errors), remittance.errors
    assert "PCN-B" in _claims(remittance)


@pytest.mark.parametrize(("bad", "fragment"), [
    ("CLP*PCN-X*1*5O0*320**12*ICN", "CLP03 '5O0' is not an amount"),
    ("CLP*PCN-X*1*500*1e3**12*ICN", "CLP04 '1e3' is not an amount"),
    ("CLP*PCN-X*1*500***12*ICN", "CLP04 is empty"),
    ("CLP*PCN-X*99*500*320**12*ICN", "CLP02 status '99'"),
    ("CLP**1*500*320**12*ICN", "CLP01 (patient control number) is empty"),
])
def test_claim_with_unreadable_money_is_dropped_and_others_go_on(bad: str,
                                                                 fragment: str) -> None:
    remittance = _parse(payment([bad, PATIENT, "CAS*CO*45*180"] + PAID, amount="640"))
    assert list(_claims(remittance)) == ["PCN-PAID"]
    issue = remittance.errors[0]
    assert fragment in issue.message and "not posted" in issue.message
    assert issue.segment == 9  # ISA, GS, ST, BPR, TRN, DTM, N1, N1, CLP


@pytest.mark.parametrize(("bad", "fragment"), [
    ("CAS*CO*45*12,50", "CAS03 '12,50' is not an amount"),
    ("CAS*XX*45*10", "CAS01 group 'XX'"),
    ("CAS*CO**10", "CAS02 reason code is empty"),
    ("CAS*CO", "CAS has no reason/amount triplet"),
    ("CAS*CO*45*1*1*45*1*1*45*1*1*45*1*1*45*1*1*45*1*1*45*1*1", "more than six"),
    ("SVC*96365*500*320", "has no qualifier:code"),
    ("AMT*B6*abc", "AMT02 'abc' is not an amount"),
])
def test_broken_segments_inside_a_claim_drop_only_that_claim(bad: str, fragment: str) -> None:
    claim = ["CLP*PCN-X*1*500*320**12*ICN", PATIENT, "SVC*HC:96365*500*320**1", bad]
    remittance = _parse(payment(claim + PAID, amount="640"))
    assert list(_claims(remittance)) == ["PCN-PAID"]
    assert any(fragment in issue.message for issue in remittance.errors), remittance.errors
    assert all(issue.claim_id in (None, "PCN-X") for issue in remittance.errors)


def test_bad_dates_are_reported_and_left_empty() -> None:
    claim = ["CLP*PCN-D*1*500*320**12*ICN", "CAS*CO*45*180", PATIENT, "DTM*232*20261301",
             "SVC*HC:96365*500*320**1", "DTM*472*2026-10-1"]
    remittance = _parse(payment(claim, amount="320"))
    kept = _claims(remittance)["PCN-D"]
    assert kept.statement_from is None and kept.lines[0].service_from is None
    messages = [issue.message for issue in remittance.errors]
    assert any("DTM02 is not a calendar date; date left empty" in m for m in messages)
    assert any("DTM02 is not a CCYYMMDD date; date left empty" in m for m in messages)
    assert not any("20261301" in m or "2026-10-1" in m for m in messages)  # dates: PHI


@pytest.mark.parametrize(("body", "fragment"), [
    (lambda: [s for s in payment(PAID, amount="320") if not s.startswith("TRN")],
     "no TRN before the first claim; transaction skipped"),
    (lambda: [s for s in payment(PAID, amount="320") if not s.startswith("BPR")],
     "no BPR before the first claim; transaction skipped"),
    (lambda: [s.replace("BPR*I*320*", "BPR*I*3.2.0*") for s in payment(PAID, amount="320")],
     "BPR02 '3.2.0' is not an amount; transaction skipped"),
    (lambda: [s.replace("TRN*1*EFT0001", "TRN*1*") for s in payment(PAID, amount="320")],
     "TRN02 (check or EFT trace number) is empty"),
])
def test_unusable_payment_header_skips_only_that_transaction(body, fragment: str) -> None:
    remittance = _parse(body(), payment(DENIED_LINE, amount="200", trace="EFT-2"))
    assert remittance.transactions == 2
    assert [p.trace_number for p in remittance.payments] == ["EFT-2"]
    assert any(fragment in issue.message for issue in remittance.errors), remittance.errors


@pytest.mark.parametrize(("segment", "fragment"), [
    ("ZZZ*1*2", "unexpected ZZZ segment in a claim"),
    ("BPR*I*1*C*ACH", "BPR after the first claim"),
    ("LQ*HE*N362", "LQ outside a service line"),
    ("CAS*CR*45*10", "CAS group CR is a 4010 code"),
])
def test_odd_segments_inside_a_claim_are_reported_not_fatal(segment: str,
                                                            fragment: str) -> None:
    claim = ["CLP*PCN-O*1*500*320**12*ICN", "CAS*CO*45*180", PATIENT, segment]
    remittance = _parse(payment(claim, amount="320"))
    assert "PCN-O" in _claims(remittance)
    assert any(fragment in issue.message for issue in remittance.errors), remittance.errors


def test_segments_before_any_claim_are_reported() -> None:
    header = payment([], amount="0")
    remittance = _parse(header[:5] + ["CAS*CO*45*10", "SVC*HC:96365*1*1", "NM1*QC*1*X"])
    messages = [issue.message for issue in remittance.errors]
    assert any("CAS outside a claim" in m for m in messages)
    assert any("SVC outside a claim" in m for m in messages)
    assert remittance.payments[0].claims == []


def test_non_835_transaction_is_skipped_and_reported() -> None:
    text = envelope([payment(PAID, amount="320")]).replace("ST*835*0001", "ST*837*0001")
    remittance = parse_remittance(io.StringIO(text))
    assert remittance.payments == [] and remittance.transactions == 1
    assert "is a '837', not an 835" in remittance.errors[0].message


def test_mia_and_moa_remarks_are_claim_remarks() -> None:
    claim = ["CLP*PCN-M*1*500*0**13*ICN", "CAS*CO*50*500", PATIENT,
             "MIA*0***0*MA130" + "*" * 15 + "N115*N386", "MOA***M127*N54"]
    remittance = _parse(payment(claim, amount="0"))
    assert _claims(remittance)["PCN-M"].all_remarks == ["MA130", "N115", "N386", "M127", "N54"]


def test_svc_with_changed_procedure_keeps_the_original() -> None:
    claim = ["CLP*PCN-S*1*500*320**12*ICN", "CAS*CO*45*180", PATIENT,
             "SVC*HC:96365:59:XU*500*320*0260*1*HC:96413*1"]
    line = _claims(_parse(payment(claim, amount="320")))["PCN-S"].lines[0]
    assert line.modifiers == ["59", "XU"] and line.revenue_code == "0260"
    assert line.original_procedure == "96413" and line.original_units == Decimal("1")


def test_events_stream_in_file_order() -> None:
    text = envelope([payment(PAID + DENIED_CLAIM, amount="320"),
                     payment(PARTIAL, amount="900", trace="EFT-2")])
    kinds = [type(event).__name__ for event in iter_remittance(io.StringIO(text))]
    assert kinds == ["PaymentStarted", "ClaimPayment", "ClaimPayment", "PaymentFinished",
                     "PaymentStarted", "ClaimPayment", "PaymentFinished"]


def test_report_amounts_have_two_decimals_and_payments_keep_file_order() -> None:
    text = envelope([payment(PAID, amount="320", trace="FIRST"),
                     payment(PARTIAL, amount="900", trace="SECOND")]) + envelope(
        [payment(DENIED_LINE, amount="200", trace="THIRD")], control=2)
    report = build_report(parse_remittance(io.StringIO(text)))
    assert report["transactions"] == 3 and report["errors"] == []
    assert [p["trace_number"] for p in report["payments"]] == ["FIRST", "SECOND", "THIRD"]
    assert [p["amount"] for p in report["payments"]] == ["320.00", "900.00", "200.00"]
    assert report["payments"][0]["payer"] == "NORTHWIND HEALTH PLAN"


@pytest.mark.parametrize("fmt", [
    SyntheticFormat(),
    SyntheticFormat(element="|", component=">", segment="~", repetition="^", line_break=""),
    SyntheticFormat(element="^", component="\\", segment="|", repetition="{",
                    line_break="\r\n"),
])
def test_synthetic_files_parse_clean_with_matching_totals(fmt: SyntheticFormat) -> None:
    out = io.StringIO()
    summary = write_835(out, claims=40, transactions=3, interchanges=2, plb=True, fmt=fmt,
                        seed=7)
    remittance = parse_remittance(io.StringIO(out.getvalue()))
    assert remittance.errors == []
    claims = [c for p in remittance.payments for c in p.claims]
    assert remittance.transactions == summary.transactions == 6
    assert len(claims) == summary.claims
    assert sum(len(c.lines) for c in claims) == summary.lines
    assert sum((c.paid for c in claims), Decimal(0)) == summary.total_paid
    assert sum((c.charge for c in claims), Decimal(0)) == summary.total_charge
    assert sum((p.amount for p in remittance.payments), Decimal(0)) == summary.total_payments
    assert set(summary.scenarios) == set(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_synthetic_scenario_is_classified_as_expected(scenario: str) -> None:
    remittance = parse_remittance(io.StringIO(build_835(claims=12, scenarios=[scenario])))
    assert remittance.errors == []
    report = build_report(remittance)["payments"][0]["claims"]
    denied = {c["denied"] for c in report}
    expected = {"paid": {False}, "partial": {False}, "reversal": {False},
                "denied_claim": {True}, "denied_line": {True}, "member_not_found": {True}}
    assert denied == expected[scenario]
    if scenario == "member_not_found":
        assert {c["category"] for c in report} == {"eligibility"}
