"""277 import service: the claim's last status is recorded, its open AR follow-up gets a
timeline line, statuses that need a person bring the item back due today, unknown claims
are reported per row, and importing again changes nothing."""

import io
from datetime import UTC, datetime

from sqlalchemy import func, select

from tests.factories import NOW, make_claim, make_payer, make_work_item
from tests.x12.edi_samples_27x import claim_277, file_277
from workqueue.models import Activity, AuditEvent, Claim, WorkItem
from workqueue.services.audit import Actor
from workqueue.services.claim_statuses import import_claim_statuses
from workqueue.services.work_items import transition_work_item

ACTOR = Actor.system("cli")


def _import(session, text, **kwargs):
    return import_claim_statuses(session, io.BytesIO(text.encode()), ACTOR, NOW, **kwargs)


def _setup(session, number="PCN-7", **claim):
    payer = make_payer(session, name="NORTHWIND HEALTH PLAN")
    row = make_claim(session, payer=payer, claim_number=number, **claim)
    item = make_work_item(session, "ar_followup", title="AR follow-up", claim_id=row.id,
                          patient_id=row.patient_id, payer_id=payer.id)
    return row, item


def _notes(session, item):
    return session.scalars(select(Activity.body).where(Activity.work_item_id == item.id)
                           .order_by(Activity.id)).all()


def test_a_waiting_status_is_recorded_on_the_claim_and_noted_on_the_ar_item(session):
    claim, item = _setup(session)
    due = item.due_on
    result = _import(session, file_277(claim_277(4, "PCN-7", "STC*A2:20:PR*20261120**1200")))
    assert result.counts["claims_updated"] == 1 and result.counts["items_noted"] == 1
    session.refresh(claim)
    assert claim.last_status_code == "A2"
    assert claim.last_status_at == datetime(2026, 11, 20, tzinfo=UTC)
    assert claim.payer_claim_number == "ICN277"
    session.refresh(item)
    assert item.status == "new" and item.due_on == due
    assert any("277 claim status A2:20:PR (accepted into the adjudication system) as of "
               "2026-11-20: wait." in body for body in _notes(session, item))
    event = session.scalar(select(AuditEvent).where(AuditEvent.object_type == "claim",
                                                    AuditEvent.action == "import"))
    assert event.patient_id == claim.patient_id


def test_a_rejection_brings_the_waiting_item_back_due_today(session):
    claim, item = _setup(session, payer_claim_number="KEEP-ME")
    transition_work_item(session, item, "in_progress", ACTOR, NOW)
    transition_work_item(session, item, "waiting_payer", ACTOR, NOW)  # pends it
    assert item.pended_until is not None
    result = _import(session, file_277(claim_277(4, "PCN-7", "STC*A7:562:85*20261121")))
    assert result.rows[0].needs_action and result.counts["needs_action"] == 1
    session.refresh(item)
    session.refresh(claim)
    assert claim.last_status_code == "A7" and claim.payer_claim_number == "KEEP-ME"
    assert item.status == "in_progress" and item.pended_until is None
    assert item.due_on == NOW.date()
    assert any("fix and resubmit. Needs a person now." in b for b in _notes(session, item))


def test_a_finalized_denial_needs_a_person(session):
    claim, item = _setup(session)
    _import(session, file_277(claim_277(4, "PCN-7", "STC*F2:88:PR*20261122**1200*0")))
    session.refresh(item)
    assert item.due_on == NOW.date() and item.is_open
    assert any("(finalized, denied)" in b and "work the denial" in b
               for b in _notes(session, item))


def test_an_unknown_claim_number_is_a_row_error_and_the_others_are_applied(session):
    claim, _ = _setup(session)
    result = _import(session, file_277(
        claim_277(4, "NO-SUCH", "STC*A2:20:PR*20261120", trace="T1"),
        claim_277(5, None, "STC*A2:20:PR*20261120", trace="T2"),
        claim_277(6, "PCN-7", "STC*P1:20:PR*20261120", trace="T3")))
    assert result.counts["unmatched"] == 2 and result.counts["applied"] == 1
    messages = [e["message"] for e in result.errors]
    assert "claim NO-SUCH: no claim with this number (REF*EJ); nothing changed" in messages[0]
    assert "no REF*EJ patient account number" in messages[1]
    assert [e["segment"] for e in result.errors] == [13, 20]  # their TRN segments
    session.refresh(claim)
    assert claim.last_status_code == "P1"


def test_importing_the_same_file_again_changes_nothing(session):
    claim, item = _setup(session)
    text = file_277(claim_277(4, "PCN-7", "STC*A7:562:85*20261121"))
    _import(session, text)
    counts = {m: session.scalar(select(func.count()).select_from(m))
              for m in (Activity, AuditEvent, WorkItem)}
    again = _import(session, text)
    assert again.already_imported and again.counts["already"] == 1
    assert counts == {m: session.scalar(select(func.count()).select_from(m)) for m in counts}


def test_an_older_status_does_not_replace_a_newer_one(session):
    claim, item = _setup(session, last_status_code="F1",
                         last_status_at=datetime(2026, 11, 25, tzinfo=UTC))
    result = _import(session, file_277(claim_277(4, "PCN-7", "STC*A7:562:85*20261121")))
    assert result.rows[0].result == "stale"
    session.refresh(claim)
    assert claim.last_status_code == "F1"
    assert not any("A7" in b for b in _notes(session, item))


def test_a_claim_without_an_ar_item_still_gets_its_status(session):
    payer = make_payer(session)
    make_claim(session, payer=payer, claim_number="PCN-LONE")
    result = _import(session, file_277(claim_277(4, "PCN-LONE", "STC*F1:65:PR*20261120")))
    assert "no open AR follow-up item" in result.rows[0].message
    assert session.scalar(select(Claim.last_status_code).where(
        Claim.claim_number == "PCN-LONE")) == "F1"


def test_a_synthetic_277_records_each_claims_status(session):
    from workqueue.x12.synthetic import SyntheticClaim, build_277

    payer = make_payer(session)
    numbers = [f"PCN-SYN{index}" for index in range(6)]
    for number in numbers:
        make_claim(session, payer=payer, claim_number=number)
    result = _import(session, build_277(claims=[SyntheticClaim(n) for n in numbers]))
    assert result.errors == [] and result.counts["applied"] == 6
    codes = session.scalars(select(Claim.last_status_code).where(
        Claim.claim_number.in_(numbers)).order_by(Claim.claim_number)).all()
    assert codes == ["A2", "P1", "A7", "F1", "F2", "P3"]
    assert result.counts["needs_action"] == 3  # A7, F2, P3
