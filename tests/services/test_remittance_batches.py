"""835 import posts claims in batches: the result is the one claim-by-claim posting gives, and
a claim that fails inside a batch is reported while the others of the batch are posted."""

import io
from decimal import Decimal

from sqlalchemy import func, select

from tests.factories import NOW, make_claim, make_payer, make_queue, make_user, make_work_item
from tests.x12.edi_samples import envelope, payment
from workqueue.domain.errors import ValidationFailed
from workqueue.models import (
    Claim,
    RemittanceAdjustment,
    RemittanceClaim,
    WorkItem,
)
from workqueue.services import remittances
from workqueue.services.audit import Actor
from workqueue.services.reason_codes import seed_reason_codes
from workqueue.services.remittances import import_remittance
from workqueue.services.users import set_skills
from workqueue.x12.remit835 import parse_remittance
from workqueue.x12.synthetic import build_835

ACTOR = Actor.system("cli")
PAID_LINE = ["SVC*HC:96413*1000*700**1", "DTM*472*20261001", "CAS*CO*45*200", "CAS*PR*2*100"]
DENIED_LINE = ["SVC*HC:96413*1000*0**1", "DTM*472*20261001", "CAS*CO*197*1000"]


def _setup_synthetic(session):
    seed_reason_codes(session)
    text = build_835(claims=30, transactions=2, plb=True, seed=11)
    payers = {}
    # Every fourth claim was billed to another payer: the file's payer may not post on it.
    elsewhere = make_payer(session, name="Original Medicare")
    parsed = parse_remittance(io.StringIO(text))
    for pay in parsed.payments:
        if pay.payer.name not in payers:
            payers[pay.payer.name] = make_payer(session, name=pay.payer.name)
        payer = payers[pay.payer.name]
        for number, clp in enumerate(pay.claims):
            if session.scalar(select(Claim).where(Claim.claim_number == clp.claim_id)) is None:
                claim = make_claim(session, payer=elsewhere if number % 4 == 3 else payer,
                                   claim_number=clp.claim_id,
                                   billed_amount=str(abs(clp.charge)))
                make_work_item(session, "ar_followup", claim_id=claim.id,
                               patient_id=claim.patient_id, payer_id=payer.id)
    members = [make_user(session, "denial_specialist") for _ in range(3)]
    for member, category in zip(members, ("authorization", "coding", "eligibility"),
                                strict=True):
        set_skills(member, [("denial_category", category)])
    make_queue(session, members, kinds=["denial"], strategy="round_robin",
               is_skill_matched=True)
    make_queue(session, members, kinds=["denial"], strategy="least_loaded")
    return text


def _state(session):
    claims = [(c.claim_number, c.status, c.paid_amount, c.adjustment_amount,
               c.patient_responsibility, c.balance, sorted(line.paid for line in c.lines))
              for c in session.scalars(select(Claim).order_by(Claim.claim_number))]
    rows = [(r.patient_control_number, r.result, r.message, r.review_reason, r.claim_id,
             r.posted_paid, r.is_reversed, len(r.denial_item_ids), len(r.line_postings))
            for r in session.scalars(select(RemittanceClaim).order_by(RemittanceClaim.id))]
    items = [(i.kind, i.status, i.title, i.assignee_id, i.amount, i.deadline_on)
             for i in session.scalars(select(WorkItem).order_by(WorkItem.id))]
    cas = session.scalar(select(func.count()).select_from(RemittanceAdjustment))
    return claims, rows, items, cas


def test_batches_post_what_claim_by_claim_posting_posts(session, monkeypatch):
    text = _setup_synthetic(session)
    savepoint = session.begin_nested()
    with monkeypatch.context() as patch:
        def refuse(self, batch):
            raise ArithmeticError("force the claim-by-claim path")
        patch.setattr(remittances._Importer, "_post_batch", refuse)
        one_by_one = import_remittance(session, io.BytesIO(text.encode()), ACTOR, NOW)
    expected = _state(session)
    savepoint.rollback()
    with monkeypatch.context() as patch:
        patch.setattr(remittances, "BATCH_CLAIMS", 7)  # batches end mid-payment too
        batched = import_remittance(session, io.BytesIO(text.encode()), ACTOR, NOW)
    assert batched.counts == one_by_one.counts
    assert batched.counts["denial_items"] > 0 and batched.counts["reversals"] > 0
    assert batched.counts["held"] > 0 and batched.counts["flagged"] > 0  # names differ
    assert batched.errors == one_by_one.errors
    assert _state(session) == expected


def test_a_claim_failing_inside_a_batch_is_reported_and_the_rest_of_the_batch_posts(
        session, monkeypatch):
    seed_reason_codes(session)
    payer = make_payer(session, name="NORTHWIND HEALTH PLAN")
    good = make_claim(session, payer=payer, claim_number="PCN-B1", billed_amount="1000.00")
    bad = make_claim(session, payer=payer, claim_number="PCN-B2", billed_amount="1000.00")
    other = make_claim(session, payer=payer, claim_number="PCN-B3", billed_amount="1000.00")
    ar = make_work_item(session, "ar_followup", claim_id=other.id,
                        patient_id=other.patient_id, payer_id=payer.id)
    real = remittances.create_work_item

    def refuse_bad(session_, new, *args, **kwargs):
        if new.claim_id == bad.id:
            raise ValidationFailed("refused for the test", {"claim_id": "test"})
        return real(session_, new, *args, **kwargs)

    monkeypatch.setattr(remittances, "create_work_item", refuse_bad)
    clps = (["CLP*PCN-B1*4*1000*0**12*ICN1"] + DENIED_LINE
            + ["CLP*PCN-B2*4*1000*0**12*ICN2"] + DENIED_LINE
            + ["CLP*PCN-B3*1*1000*700*100*12*ICN3"] + PAID_LINE)
    stream = io.BytesIO(envelope([payment(clps, amount="700")]).encode())
    result = import_remittance(session, stream, ACTOR, NOW)
    assert result.counts["posted"] == 2 and result.counts["claim_errors"] == 1
    assert result.counts["denial_items"] == 1 and result.counts["ar_items_closed"] == 1
    assert [e["message"] for e in result.errors] == [
        "claim PCN-B2: not posted (refused for the test)"]
    for claim in (good, bad, other):
        session.refresh(claim)
    assert good.status == "denied" and other.status == "paid"
    assert bad.status == "submitted" and bad.paid_amount == Decimal("0")
    session.refresh(ar)
    assert ar.status == "closed"
    results = dict(session.execute(select(RemittanceClaim.patient_control_number,
                                          RemittanceClaim.result)).all())
    assert results == {"PCN-B1": "posted", "PCN-B2": "error", "PCN-B3": "posted"}
