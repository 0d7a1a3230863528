"""835 import service: matching, posting, denial items, reversals, idempotency, unknown codes,
and per-claim errors — on hand-written files and the synthetic writer's."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import (
    NOW,
    make_claim,
    make_coverage,
    make_patient,
    make_payer,
    make_work_item,
)
from tests.x12.edi_samples import envelope, payment
from workqueue.models import (
    AuditEvent,
    Claim,
    ClaimLine,
    Denial,
    ImportRun,
    ProviderAdjustment,
    ReasonCode,
    Remittance,
    RemittanceClaim,
    WorkItem,
)
from workqueue.services.audit import Actor
from workqueue.services.reason_codes import describe_codes, seed_reason_codes
from workqueue.services.remittances import import_remittance
from workqueue.x12.reader import X12Error
from workqueue.x12.remit835 import parse_remittance
from workqueue.x12.synthetic import build_835

ACTOR = Actor.system("cli")
PAID_LINE = ["SVC*HC:96413*1000*700**1", "DTM*472*20261001", "CAS*CO*45*200", "CAS*PR*2*100"]


def _file(claims, *, amount, trace="EFT0001", plb=(), payer_name=None) -> io.BytesIO:
    text = envelope([payment(claims, amount=amount, trace=trace, plb=plb)])
    if payer_name is not None:  # another payer's file (N1*PR and the TRN03 payer id)
        text = text.replace("NORTHWIND HEALTH PLAN", payer_name).replace("1NWHP00001",
                                                                          "1OTHER0001")
    return io.BytesIO(text.encode())


def _import(session, stream, **kwargs):
    return import_remittance(session, stream, ACTOR, NOW, **kwargs)


@pytest.fixture
def payer(session):
    seed_reason_codes(session)
    return make_payer(session, name="NORTHWIND HEALTH PLAN",
                      appeal_levels=[(1, "Reconsideration", 90, 30), (2, "Second", 60, 30)])


def _claim(session, payer, number, billed="1000.00"):
    return make_claim(session, payer=payer, claim_number=number, billed_amount=billed)


def test_paid_claim_posts_money_to_claim_and_line_and_closes_its_ar_item(session, payer):
    claim = _claim(session, payer, "PCN-PAID")
    ar = make_work_item(session, "ar_followup", claim_id=claim.id, patient_id=claim.patient_id,
                        payer_id=payer.id)
    stream = _file(["CLP*PCN-PAID*1*1000*700*100*12*ICN100"] + PAID_LINE, amount="700")
    result = _import(session, stream)
    assert result.counts["posted"] == 1 and result.counts["ar_items_closed"] == 1
    session.refresh(claim)
    assert (claim.paid_amount, claim.adjustment_amount, claim.patient_responsibility,
            claim.balance) == (Decimal("700"), Decimal("200"), Decimal("100"), Decimal("0"))
    assert claim.status == "paid" and claim.payer_claim_number == "ICN100"
    assert claim.lines[0].paid == Decimal("700")
    session.refresh(ar)
    assert ar.status == "closed" and not ar.is_open
    assert session.scalar(select(func.count()).select_from(Denial)) == 0
    events = session.scalars(select(AuditEvent).where(AuditEvent.object_type.in_(
        ["remittance", "claim"]))).all()
    assert {(e.object_type, e.patient_id) for e in events} == {
        ("remittance", None), ("claim", claim.patient_id)}


def test_partially_paid_claim_keeps_the_reduction_open_in_its_balance(session, payer):
    claim = _claim(session, payer, "PCN-PART")
    lines = ["SVC*HC:96413*1000*400**1", "CAS*CO*45*200*1*151*300", "CAS*PR*2*100"]
    _import(session, _file(["CLP*PCN-PART*1*1000*400*100*12*ICN2"] + lines, amount="400"))
    session.refresh(claim)
    assert claim.status == "partially_paid"
    assert (claim.paid_amount, claim.adjustment_amount, claim.balance) == (
        Decimal("400"), Decimal("200"), Decimal("300"))
    assert session.scalar(select(func.count()).select_from(Denial)) == 0


def test_claim_level_denial_opens_one_denial_item_with_category_amount_and_deadline(
        session, payer):
    claim = _claim(session, payer, "PCN-DENY")
    clp = ["CLP*PCN-DENY*1*1000*0**12*ICN3", "CAS*CO*197*1000", "MOA***N54",
           "SVC*HC:96413*1000*0**1"]
    result = _import(session, _file(clp, amount="0"))
    session.refresh(claim)
    assert claim.status == "denied" and claim.balance == Decimal("1000")
    denial = session.scalars(select(Denial)).one()
    assert (denial.category, denial.carc_codes, denial.rarc_codes, denial.amount,
            denial.denied_on, denial.claim_line_id) == (
        "authorization", "197", "N54", Decimal("1000"), date(2026, 11, 20), None)
    assert denial.is_preventable
    item = session.scalars(select(WorkItem).where(WorkItem.kind == "denial")).one()
    assert item.denial_id == denial.id and item.claim_id == claim.id
    assert item.category == "authorization" and item.amount == Decimal("1000")
    assert item.deadline_on == date(2026, 11, 20) + timedelta(days=90)  # payer's level 1
    assert result.payments[0].claims[0].denial_items == [item.id]


def test_line_denial_on_a_paid_claim_opens_a_denial_item_for_that_line(session, payer):
    patient = make_patient(session)
    claim = make_claim(session, patient=patient, payer=payer, claim_number="PCN-LINE",
                       billed_amount="1500.00")
    claim.lines[0].charge = Decimal("1000")
    claim.lines.append(ClaimLine(line_number=2, procedure_code="J9312", units=Decimal(10),
                                 charge=Decimal("500"), service_date=claim.service_from))
    session.flush()
    clp = ["CLP*PCN-LINE*1*1500*700*100*12*ICN4"] + PAID_LINE + [
        "SVC*HC:J9312:JZ*500*0**10", "CAS*CO*97*500", "LQ*HE*N122"]
    _import(session, _file(clp, amount="700"))
    session.refresh(claim)
    assert claim.status == "partially_paid" and claim.balance == Decimal("500")
    assert [line.paid for line in claim.lines] == [Decimal("700"), Decimal("0")]
    denial = session.scalars(select(Denial)).one()
    assert denial.claim_line_id == claim.lines[1].id
    assert (denial.category, denial.carc_codes, denial.amount) == ("coding", "97",
                                                                   Decimal("500"))
    item = session.scalars(select(WorkItem).where(WorkItem.kind == "denial")).one()
    assert "line 2 (J9312)" in item.title and item.amount == Decimal("500")


def test_reversal_takes_back_the_earlier_posting_and_the_correction_posts_anew(session, payer):
    claim = _claim(session, payer, "PCN-REV")
    _import(session, _file(["CLP*PCN-REV*1*1000*700*100*12*ICN5"] + PAID_LINE, amount="700",
                           trace="EFT-A"))
    reversal = ["CLP*PCN-REV*22*-1000*-700*-100*12*ICN5", "SVC*HC:96413*-1000*-700**1",
                "CAS*CO*45*-200", "CAS*PR*2*-100"]
    corrected = ["CLP*PCN-REV*1*1000*650*100*12*ICN6", "SVC*HC:96413*1000*650**1",
                 "CAS*CO*45*250", "CAS*PR*2*100"]
    result = _import(session, _file(reversal + corrected, amount="-50", trace="EFT-B"))
    assert result.counts["reversals"] == 1 and result.counts["posted"] == 1
    session.refresh(claim)
    assert (claim.paid_amount, claim.adjustment_amount, claim.patient_responsibility,
            claim.balance) == (Decimal("650"), Decimal("250"), Decimal("100"), Decimal("0"))
    assert claim.lines[0].paid == Decimal("650") and claim.status == "paid"
    assert claim.payer_claim_number == "ICN6"
    rows = session.scalars(select(RemittanceClaim).order_by(RemittanceClaim.id)).all()
    assert [(r.result, r.is_reversed) for r in rows] == [
        ("posted", True), ("reversal", False), ("posted", False)]


def test_reversal_alone_marks_the_claim_reversed_with_nothing_left_posted(session, payer):
    claim = _claim(session, payer, "PCN-REV2")
    _import(session, _file(["CLP*PCN-REV2*1*1000*700*100*12*ICN7"] + PAID_LINE, amount="700",
                           trace="EFT-C"))
    _import(session, _file(["CLP*PCN-REV2*22*-1000*-700*-100*12*ICN7"], amount="-700",
                           trace="EFT-D"))
    session.refresh(claim)
    assert claim.status == "reversed"
    assert (claim.paid_amount, claim.balance, claim.lines[0].paid) == (
        Decimal("0"), Decimal("1000"), Decimal("0"))


def test_provider_adjustments_are_stored_with_the_payment(session, payer):
    _claim(session, payer, "PCN-PLB")
    plb = ["PLB*1234567893*20261231*L6:INT0001*-12.5*WO:OVR778899*100"]
    _import(session, _file(["CLP*PCN-PLB*1*1000*700*100*12*ICN8"] + PAID_LINE,
                           amount="612.5", plb=plb))
    rows = session.scalars(select(ProviderAdjustment).order_by(ProviderAdjustment.id)).all()
    assert [(r.reason, r.reference, r.amount) for r in rows] == [
        ("L6", "INT0001", Decimal("-12.50")), ("WO", "OVR778899", Decimal("100.00"))]
    remittance = session.scalars(select(Remittance)).one()
    assert remittance.payer_id == payer.id and remittance.amount == Decimal("612.50")
    assert remittance.method == "ACH" and remittance.payment_date == date(2026, 11, 20)


def test_unmatched_claim_is_recorded_for_review_and_changes_no_claim(session, payer):
    result = _import(session, _file(["CLP*NO-SUCH-PCN*1*1000*700*100*12*ICN9",
                                     "NM1*QC*1*SAMPLE*ALEX****MI*ZZ123"] + PAID_LINE,
                                    amount="700"))
    assert result.counts["unmatched"] == 1
    row = session.scalars(select(RemittanceClaim)).one()
    assert (row.result, row.claim_id, row.patient_control_number, row.patient_name) == (
        "unmatched", None, "NO-SUCH-PCN", "SAMPLE, ALEX")
    assert "recorded for review" in row.message


def test_unknown_carc_is_kept_flagged_and_the_claim_goes_to_a_person(session, payer):
    claim = _claim(session, payer, "PCN-UNK")
    result = _import(session, _file(["CLP*PCN-UNK*1*1000*0**12*ICN10", "CAS*CO*Z99*1000",
                                     "MOA***ZZ77"], amount="0"))
    code = session.scalars(select(ReasonCode).where(ReasonCode.code == "Z99")).one()
    assert code.code_type == "carc" and not code.is_known and code.first_seen_at == NOW
    assert session.scalars(select(ReasonCode).where(ReasonCode.code == "ZZ77")).one().is_known \
        is False
    assert result.payments[0].claims[0].unknown_codes == ["CARC Z99", "RARC ZZ77"]
    adjustment = session.scalars(select(RemittanceClaim)).one().adjustments[0]
    assert adjustment.reason == "Z99" and adjustment.is_known_reason is False
    denial = session.scalars(select(Denial).where(Denial.claim_id == claim.id)).one()
    assert denial.category == "other" and denial.carc_codes == "Z99"
    carcs, rarcs = describe_codes(session, "Z99,197", ["ZZ77"])
    assert [(c.code, c.is_known) for c in carcs] == [("Z99", False), ("197", True)]
    assert carcs[1].meaning.startswith("Prior authorization") and not rarcs[0].is_known


def test_same_file_twice_changes_nothing_and_says_so(session, payer):
    claim = _claim(session, payer, "PCN-TWICE")
    content = _file(["CLP*PCN-TWICE*1*1000*0**12*ICN11", "CAS*CO*50*1000"],
                    amount="0").getvalue()
    first = _import(session, io.BytesIO(content))
    assert first.counts["denial_items"] == 1 and not first.already_imported
    counts = {m: session.scalar(select(func.count()).select_from(m))
              for m in (Remittance, RemittanceClaim, Denial, WorkItem)}
    second = _import(session, io.BytesIO(content))
    assert second.already_imported and second.counts["payments_duplicate"] == 1
    assert second.counts["posted"] == 0 and second.counts["denial_items"] == 0
    assert "already imported on 2026-11-27" in second.payments[0].message
    assert counts == {m: session.scalar(select(func.count()).select_from(m)) for m in counts}
    session.refresh(claim)
    assert claim.balance == Decimal("1000")


def test_same_payer_and_trace_in_another_file_is_refused_as_duplicate(session, payer):
    claim = _claim(session, payer, "PCN-DUP")
    _import(session, _file(["CLP*PCN-DUP*1*1000*700*100*12*ICN12"] + PAID_LINE, amount="700",
                           trace="TRACE-77"))
    other = _file(["CLP*PCN-DUP*1*1000*650*100*12*ICN13", "SVC*HC:96413*1000*650**1",
                   "CAS*CO*45*250", "CAS*PR*2*100"], amount="650", trace="TRACE-77")
    assert other.getvalue() != b""
    result = _import(session, other)
    assert result.payments[0].status == "duplicate" and result.already_imported
    session.refresh(claim)
    assert claim.paid_amount == Decimal("700")


def test_a_claim_with_a_bad_amount_is_reported_and_the_others_are_posted(session, payer):
    good = _claim(session, payer, "PCN-GOOD")
    bad = _claim(session, payer, "PCN-BAD")
    clps = ["CLP*PCN-BAD*1*1000*7X0**12*ICN14"] + PAID_LINE + [
        "CLP*PCN-GOOD*1*1000*700*100*12*ICN15"] + PAID_LINE
    result = _import(session, _file(clps, amount="700"))
    assert result.counts["posted"] == 1
    assert any("PCN-BAD" in e["message"] and "not an amount" in e["message"]
               for e in result.errors)
    session.refresh(good)
    session.refresh(bad)
    assert good.status == "paid" and bad.paid_amount == Decimal("0")
    assert bad.status == "submitted"


def test_unreadable_file_changes_nothing(session, payer):
    _claim(session, payer, "PCN-TRUNC")
    text = envelope([payment(["CLP*PCN-TRUNC*1*1000*700*100*12*ICN16"] + PAID_LINE,
                             amount="700")])
    with pytest.raises(X12Error):
        _import(session, io.BytesIO(text.encode()[:-30]))
    assert session.scalar(select(func.count()).select_from(Remittance)) == 0


def test_synthetic_file_with_every_scenario_posts_and_balances(session):
    seed_reason_codes(session)
    text = build_835(claims=24, transactions=2, plb=True, seed=5)
    payers = {}
    for name in ("NORTHWIND HEALTH PLAN", "BLUE HERON MUTUAL", "CASCADIA CARE INSURANCE",
                 "MERIDIAN STATE MEDICAID"):
        payers[name] = make_payer(session, name=name)
    parsed = parse_remittance(io.StringIO(text))
    for pay in parsed.payments:
        for clp in pay.claims:
            if session.scalar(select(Claim).where(Claim.claim_number == clp.claim_id)) is None:
                make_claim(session, payer=payers[pay.payer.name], claim_number=clp.claim_id,
                           billed_amount=str(abs(clp.charge)))
    run = ImportRun(file_name="synthetic.835", sha256="", counts={}, payments=[], errors=[])
    session.add(run)
    session.flush()
    result = _import(session, io.BytesIO(text.encode()), run=run)
    assert result.counts["claims"] == 48 and result.counts["unmatched"] == 0
    assert result.counts["claim_errors"] == 0 and result.counts["payments_posted"] == 2
    reversals = sum(1 for pay in parsed.payments for clp in pay.claims if clp.is_reversal)
    denials = sum(len(clp.denials) for pay in parsed.payments for clp in pay.claims)
    assert result.counts["reversals"] == reversals > 0
    assert result.counts["denial_items"] == denials > 0
    assert run.status == "done" and run.progress == 100 and len(run.sha256) == 64
    assert session.scalar(select(func.count()).select_from(ProviderAdjustment)) >= 2
    assert all(item.category for item in session.scalars(
        select(WorkItem).where(WorkItem.kind == "denial")))


# --- who may post onto our claims (issue 10 item 3) -----------------------------------------

DENIED_197 = ["MOA***N54", "SVC*HC:96413*1000*0**1", "CAS*CO*197*1000"]


@pytest.fixture
def medicare(session):
    seed_reason_codes(session)
    return make_payer(session, name="Original Medicare", edi_payer_id="MCR01")


def _billed_to(session, payer, number, **patient):
    person = make_patient(session, **patient)
    coverage = make_coverage(session, patient=person, payer=payer)
    return make_claim(session, patient=person, payer=payer, coverage_id=coverage.id,
                      claim_number=number, billed_amount="1000.00")


def _untouched(session, *claims):
    for claim in claims:
        session.refresh(claim)
        assert (claim.status, claim.paid_amount, claim.adjustment_amount, claim.balance,
                claim.payer_claim_number) == ("submitted", 0, 0, Decimal("1000"), None)
        assert claim.lines[0].paid == 0
    assert session.scalar(select(func.count()).select_from(Denial)) == 0
    assert session.scalar(select(func.count()).select_from(WorkItem).where(
        WorkItem.kind == "denial")) == 0


def test_an_unknown_payers_file_posts_nothing_and_holds_our_claims_for_review(
        session, medicare):
    paid, denied = (_billed_to(session, medicare, n) for n in ("PCN-BH1", "PCN-BH2"))
    ar = make_work_item(session, "ar_followup", claim_id=paid.id, patient_id=paid.patient_id,
                        payer_id=medicare.id)
    clps = (["CLP*PCN-BH1*1*1000*700*100*12*ICNB1"] + PAID_LINE
            + ["CLP*PCN-BH2*4*1000*0**12*ICNB2"] + DENIED_197)
    result = _import(session, _file(clps, amount="700", payer_name="BLUE HERON MUTUAL"))
    counts = result.counts
    assert (counts["posted"], counts["held"], counts["denial_items"], counts["problems"]) == (
        0, 2, 0, 2)
    reason = "remitted by BLUE HERON MUTUAL, a payer not on file, billed to Original Medicare"
    assert [e["message"] for e in result.errors] == [
        f"claim PCN-BH1: not posted, held for review: {reason}",
        f"claim PCN-BH2: not posted, held for review: {reason}"]
    _untouched(session, paid, denied)
    session.refresh(ar)
    assert ar.is_open and ar.status == "new"
    rows = session.scalars(select(RemittanceClaim).order_by(RemittanceClaim.id)).all()
    assert [(r.result, r.claim_id, r.review_reason) for r in rows] == [
        ("review", paid.id, reason), ("review", denied.id, reason)]
    assert [o.result for o in result.payments[0].claims] == ["review", "review"]


def test_a_payer_on_file_that_the_claim_was_not_billed_to_is_held(session, medicare, payer):
    claim = _billed_to(session, medicare, "PCN-NW1")
    result = _import(session, _file(["CLP*PCN-NW1*1*1000*700*100*12*ICN1"] + PAID_LINE,
                                    amount="700"))
    assert result.counts["held"] == 1 and result.counts["posted"] == 0
    assert result.errors[0]["message"].endswith(
        "remitted by NORTHWIND HEALTH PLAN, billed to Original Medicare")
    _untouched(session, claim)


def test_a_crossover_from_the_patients_secondary_coverage_posts(session, medicare, payer):
    claim = _billed_to(session, medicare, "PCN-X1")
    make_coverage(session, patient=claim.patient, payer=payer, rank=2)
    result = _import(session, _file(["CLP*PCN-X1*2*1000*100**12*ICNX1",
                                     "SVC*HC:96413*1000*100**1", "CAS*OA*23*900"],
                                    amount="100"))
    assert result.counts["posted"] == 1 and result.counts["held"] == 0
    session.refresh(claim)
    assert claim.paid_amount == Decimal("100")


def test_the_secondary_payer_remitting_as_primary_is_held(session, medicare, payer):
    claim = _billed_to(session, medicare, "PCN-X2")
    make_coverage(session, patient=claim.patient, payer=payer, rank=2)
    result = _import(session, _file(["CLP*PCN-X2*1*1000*700*100*12*ICNX2"] + PAID_LINE,
                                    amount="700"))
    assert result.counts["held"] == 1
    assert "not as a crossover; billed to Original Medicare" in result.errors[0]["message"]
    _untouched(session, claim)


def test_a_payer_named_like_ours_but_with_another_identifier_is_not_ours(session, medicare):
    claim = _billed_to(session, medicare, "PCN-ID1")
    text = envelope([payment(["CLP*PCN-ID1*1*1000*700*100*12*ICN1"] + PAID_LINE,
                             amount="700")])
    text = text.replace("N1*PR*NORTHWIND HEALTH PLAN", "N1*PR*Original Medicare*XV*ZZ999")
    result = _import(session, io.BytesIO(text.encode()))
    assert result.counts["held"] == 1
    assert "a payer not on file, billed to Original Medicare" in result.errors[0]["message"]
    _untouched(session, claim)


def test_a_reversal_takes_back_only_the_same_payers_posting(session, medicare, payer):
    claim = _billed_to(session, medicare, "PCN-RX")
    make_coverage(session, patient=claim.patient, payer=payer, rank=2)
    primary = envelope([payment(["CLP*PCN-RX*1*1000*700*100*12*ICNP"] + PAID_LINE,
                                amount="700", trace="EFT-P")])
    _import(session, io.BytesIO(primary.replace("N1*PR*NORTHWIND HEALTH PLAN",
                                                "N1*PR*ORIGINAL MEDICARE*XV*MCR01").encode()))
    _import(session, _file(["CLP*PCN-RX*2*1000*100**12*ICNS", "SVC*HC:96413*1000*100**1",
                            "CAS*OA*23*900"], amount="100", trace="EFT-S"))
    session.refresh(claim)
    assert claim.paid_amount == Decimal("800")
    reversal = envelope([payment(["CLP*PCN-RX*22*-1000*-700*-100*12*ICNP",
                                  "SVC*HC:96413*-1000*-700**1", "CAS*CO*45*-200",
                                  "CAS*PR*2*-100"], amount="-700", trace="EFT-R")])
    _import(session, io.BytesIO(reversal.replace("N1*PR*NORTHWIND HEALTH PLAN",
                                                 "N1*PR*ORIGINAL MEDICARE*XV*MCR01").encode()))
    session.refresh(claim)
    assert claim.paid_amount == Decimal("100")  # Medicare's 700 back; the secondary's 100 stays
    rows = session.scalars(select(RemittanceClaim).order_by(RemittanceClaim.id)).all()
    assert [(r.result, r.is_reversed, str(r.paid)) for r in rows] == [
        ("posted", True, "700.00"), ("posted", False, "100.00"), ("reversal", False, "-700.00")]


def test_a_charge_that_differs_from_ours_posts_and_is_flagged(session, medicare):
    claim = _billed_to(session, medicare, "PCN-CH", last_name="Quill", first_name="Robin")
    text = envelope([payment(["CLP*PCN-CH*1*1200*700*100*12*ICN1",
                              "NM1*QC*1*QUILL*ROBIN****MI*ZZ1",
                              "SVC*HC:96413*1200*700**1", "CAS*CO*45*400", "CAS*PR*2*100"],
                             amount="700")])
    text = text.replace("N1*PR*NORTHWIND HEALTH PLAN", "N1*PR*ORIGINAL MEDICARE*XV*MCR01")
    result = _import(session, io.BytesIO(text.encode()))
    assert (result.counts["posted"], result.counts["flagged"], result.counts["problems"]) == (
        1, 1, 1)
    reason = "billed charge differs: 1,000.00 on our claim, 1,200.00 on the remittance (CLP03)"
    assert result.errors[0]["message"] == f"claim PCN-CH: posted, flagged for review: {reason}"
    session.refresh(claim)
    assert claim.paid_amount == Decimal("700")
    assert session.scalars(select(RemittanceClaim)).one().review_reason == reason


@pytest.mark.parametrize("nm1, flagged", [
    ("NM1*QC*1*QUILL*ROBIN****MI*ZZ1", False),
    ("NM1*QC*1*QUIL*R****MI*ZZ1", False),          # the payer's truncated name
    ("NM1*QC*1*quill-ashby*robin****MI*ZZ1", False),
    ("NM1*QC*1*SAMPLE*ALEX****MI*ZZ1", True),
    ("NM1*QC*1*QUILL*MORGAN****MI*ZZ1", True),     # same family, another person
])
def test_a_patient_name_that_is_not_ours_posts_and_is_flagged_without_naming_anyone(
        session, medicare, nm1, flagged):
    claim = _billed_to(session, medicare, "PCN-NM", last_name="Quill", first_name="Robin")
    text = envelope([payment(["CLP*PCN-NM*1*1000*700*100*12*ICN1", nm1] + PAID_LINE,
                             amount="700")])
    text = text.replace("N1*PR*NORTHWIND HEALTH PLAN", "N1*PR*ORIGINAL MEDICARE*XV*MCR01")
    result = _import(session, io.BytesIO(text.encode()))
    assert result.counts["posted"] == 1 and result.counts["flagged"] == int(flagged)
    session.refresh(claim)
    assert claim.paid_amount == Decimal("700")
    if flagged:
        (error,) = result.errors
        assert error["message"] == ("claim PCN-NM: posted, flagged for review: the patient "
                                    "named on the remittance (NM1*QC) is not the claim's "
                                    "patient")
        assert not any(word in error["message"].upper()
                       for word in ("QUILL", "ROBIN", "SAMPLE", "ALEX", "MORGAN"))
    else:
        assert result.errors == []


def test_a_status_4_denial_with_co_197_opens_an_authorization_denial(session, payer):
    claim = _claim(session, payer, "PCN-S4")
    _import(session, _file(["CLP*PCN-S4*4*1000*0**12*ICN4", "SVC*HC:96413*1000*0**1",
                            "CAS*CO*197*1000"], amount="0"))
    denial = session.scalars(select(Denial).where(Denial.claim_id == claim.id)).one()
    item = session.scalars(select(WorkItem).where(WorkItem.kind == "denial")).one()
    assert (denial.category, denial.carc_codes, item.category) == (
        "authorization", "197", "authorization")
    assert item.title.endswith(": authorization")
