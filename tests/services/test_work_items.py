"""Work-item services: deadlines from payer rules, transitions, stale saves, pending, notes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import NOW, make_claim, make_denial, make_payer, make_user, make_work_item
from workqueue.domain.errors import NotPermitted, StaleVersion, ValidationFailed
from workqueue.domain.status import InvalidTransition
from workqueue.models import Activity, AuditEvent, WorkItem
from workqueue.services.audit import Actor
from workqueue.services.work_items import (
    CallLog,
    add_note,
    log_call,
    pend_work_item,
    return_due_pended_items,
    transition_work_item,
    update_work_item,
)


def test_denial_deadline_comes_from_the_payers_first_level_window(session):
    payer = make_payer(session, appeal_levels=[(1, "Reconsideration", 90, 30)])
    item = make_work_item(session, "denial", payer_id=payer.id, denied_on=date(2026, 11, 1),
                          amount=Decimal("18400"))
    assert item.deadline_on == date(2027, 1, 30)
    assert item.deadline_kind == "appeal"
    assert item.due_on == date(2027, 1, 23)


def test_ar_deadline_is_timely_filing_from_date_of_service(session):
    payer = make_payer(session, timely_filing_days=90, ar_followup_days=30)
    item = make_work_item(session, "ar_followup", payer_id=payer.id,
                          service_date=date(2026, 11, 1), submitted_on=date(2026, 11, 3))
    assert item.deadline_on == date(2027, 1, 30)
    assert item.due_on == date(2026, 12, 3)


def test_bigger_and_closer_items_rank_higher(session):
    payer = make_payer(session)
    small = make_work_item(session, "denial", payer_id=payer.id, denied_on=date(2026, 11, 1),
                           amount=Decimal("200"))
    big = make_work_item(session, "denial", payer_id=payer.id, denied_on=date(2026, 11, 1),
                         amount=Decimal("20000"))
    sooner = make_work_item(session, "denial", payer_id=payer.id,
                            denied_on=date(2026, 6, 1), amount=Decimal("200"))
    assert big.priority_score > small.priority_score
    assert sooner.priority_score > small.priority_score


def test_transition_writes_status_change_activity_and_audit(session):
    user = make_user(session, "ar_specialist")
    item = make_work_item(session, "ar_followup")
    transition_work_item(session, item, "in_progress", Actor.for_user(user), NOW, note="On it")
    assert item.status == "in_progress"
    change = session.scalars(select(Activity).where(Activity.work_item_id == item.id,
                                                    Activity.kind == "status_change")).one()
    assert (change.from_status, change.to_status, change.body) == ("new", "in_progress", "On it")
    assert session.scalar(select(AuditEvent).where(AuditEvent.object_id == str(item.id),
                                                   AuditEvent.action == "update"))


def test_illegal_transition_is_refused_and_changes_nothing(session):
    user = make_user(session, "ar_specialist")
    item = make_work_item(session, "ar_followup")
    with pytest.raises(InvalidTransition) as caught:
        transition_work_item(session, item, "overturned", Actor.for_user(user), NOW)
    assert "in_progress" in caught.value.allowed
    assert item.status == "new"


def test_role_that_cannot_work_the_kind_is_refused(session):
    coordinator = make_user(session, "coordinator")
    item = make_work_item(session, "denial")
    with pytest.raises(NotPermitted):
        transition_work_item(session, item, "triaged", Actor.for_user(coordinator), NOW)


def test_stale_version_is_refused(session):
    user = make_user(session, "ar_specialist")
    item = make_work_item(session, "ar_followup")
    old = item.version
    transition_work_item(session, item, "in_progress", Actor.for_user(user), NOW)
    assert item.version == old + 1
    with pytest.raises(StaleVersion) as caught:
        update_work_item(session, item, {"due_on": date(2027, 1, 5)}, Actor.for_user(user), NOW,
                         expected_version=old)
    assert caught.value.details["current_version"] == item.version
    assert item.due_on != date(2027, 1, 5)


def test_closing_marks_item_closed(session):
    user = make_user(session, "ar_specialist")
    item = make_work_item(session, "ar_followup")
    actor = Actor.for_user(user)
    transition_work_item(session, item, "resolved_paid", actor, NOW)
    transition_work_item(session, item, "closed", actor, NOW)
    assert not item.is_open and item.closed_at == NOW


def test_pended_item_returns_on_its_date_with_due_date_moved(session):
    user = make_user(session, "ar_specialist")
    item = make_work_item(session, "ar_followup", due_on=NOW.date() + timedelta(days=3))
    pend_work_item(session, item, NOW.date() + timedelta(days=5), Actor.for_user(user), NOW)
    assert item.pended_until == NOW.date() + timedelta(days=5)
    assert return_due_pended_items(session, NOW + timedelta(days=4)) == []
    assert return_due_pended_items(session, NOW + timedelta(days=5)) == [item.id]
    assert item.pended_until is None
    assert item.due_on == NOW.date() + timedelta(days=8)


def test_pending_again_while_pended_moves_the_due_date_by_all_the_days_waited(session):
    user = Actor.for_user(make_user(session, "ar_specialist"))
    due = NOW.date() + timedelta(days=3)
    item = make_work_item(session, "ar_followup", due_on=due)
    pend_work_item(session, item, NOW.date() + timedelta(days=4), user, NOW)
    # Day 3: the payer asks for more time; the item is pended again, to day 10.
    pend_work_item(session, item, NOW.date() + timedelta(days=10), user, NOW + timedelta(days=3))
    assert return_due_pended_items(session, NOW + timedelta(days=4)) == []
    assert return_due_pended_items(session, NOW + timedelta(days=10)) == [item.id]
    assert item.due_on == due + timedelta(days=10)


def test_waiting_on_the_payer_while_pended_keeps_the_pause_that_began_first(session):
    user = Actor.for_user(make_user(session, "coordinator"))
    payer = make_payer(session, auth_turnaround_days=7)
    due = NOW.date() + timedelta(days=2)
    item = make_work_item(session, "prior_auth", payer_id=payer.id, due_on=due)
    pend_work_item(session, item, NOW.date() + timedelta(days=5), user, NOW)
    transition_work_item(session, item, "submitted", user, NOW + timedelta(days=1))
    assert item.pended_until == NOW.date() + timedelta(days=8)  # submitted: payer turnaround
    return_due_pended_items(session, NOW + timedelta(days=8))
    assert item.due_on == due + timedelta(days=8)


def test_a_new_pause_after_a_return_counts_only_its_own_days(session):
    user = Actor.for_user(make_user(session, "ar_specialist"))
    due = NOW.date() + timedelta(days=3)
    item = make_work_item(session, "ar_followup", due_on=due)
    pend_work_item(session, item, NOW.date() + timedelta(days=5), user, NOW)
    return_due_pended_items(session, NOW + timedelta(days=5))
    pend_work_item(session, item, NOW.date() + timedelta(days=9), user, NOW + timedelta(days=7))
    return_due_pended_items(session, NOW + timedelta(days=9))
    assert item.due_on == due + timedelta(days=5 + 2)


def test_pend_into_the_past_is_refused(session):
    user = make_user(session, "ar_specialist")
    item = make_work_item(session, "ar_followup")
    with pytest.raises(ValidationFailed):
        pend_work_item(session, item, NOW.date(), Actor.for_user(user), NOW)


def test_call_log_with_follow_up_pends_the_item(session):
    user = make_user(session, "coordinator")
    item = make_work_item(session, "prior_auth")
    log_call(session, item, CallLog(party="Payer PA line", outcome="Pending clinical review",
                                    reference="REF123", follow_up_on=date(2026, 12, 1)),
             Actor.for_user(user), NOW)
    assert item.pended_until == date(2026, 12, 1)
    call = session.scalars(select(Activity).where(Activity.kind == "call",
                                                  Activity.work_item_id == item.id)).one()
    assert call.data["reference"] == "REF123"


def test_empty_note_is_refused(session):
    user = make_user(session, "coordinator")
    item = make_work_item(session, "prior_auth")
    with pytest.raises(ValidationFailed):
        add_note(session, item, "   ", Actor.for_user(user), NOW)


def test_upheld_appeal_opens_next_level_deadline(session):
    payer = make_payer(session, appeal_levels=[(1, "L1", 180, 30), (2, "L2", 60, 30)])
    claim = make_claim(session, payer=payer)
    denial = make_denial(session, claim)
    user = make_user(session, "denial_specialist")
    actor = Actor.for_user(user)
    item = make_work_item(session, "denial", payer_id=payer.id, claim_id=claim.id,
                          denial_id=denial.id, denied_on=denial.denied_on)
    for status in ("triaged", "appeal_drafting", "appeal_submitted", "upheld"):
        transition_work_item(session, item, status, actor, NOW)
    assert denial.appeal_level == 2
    assert item.deadline_on == NOW.date() + timedelta(days=60)


def test_ar_resolved_denied_spawns_a_denial_item(session):
    user = make_user(session, "ar_specialist")
    claim = make_claim(session)
    item = make_work_item(session, "ar_followup", claim_id=claim.id, payer_id=claim.payer_id)
    actor = Actor.for_user(user)
    transition_work_item(session, item, "in_progress", actor, NOW)
    transition_work_item(session, item, "resolved_denied", actor, NOW)
    spawned = session.scalars(select(WorkItem).where(WorkItem.kind == "denial",
                                                     WorkItem.claim_id == claim.id)).one()
    assert spawned.is_open and spawned.denial_id is not None


def test_database_errors_never_carry_the_row_values(session):
    """A constraint error names the statement but not the values: no PHI reaches a log."""
    from sqlalchemy.exc import IntegrityError

    from tests.factories import make_patient

    make_patient(session, mrn="MRN-DUP-1", last_name="Zzyzxsynthetic")
    with pytest.raises(IntegrityError) as caught:
        with session.begin_nested():
            make_patient(session, mrn="MRN-DUP-1", last_name="Zzyzxsynthetic")
    assert "Zzyzxsynthetic" not in str(caught.value)


def test_linking_a_record_that_does_not_exist_is_a_clear_validation_error(session):
    with pytest.raises(ValidationFailed) as caught:
        make_work_item(session, "denial", claim_id=987654, patient_id=987655)
    assert set(caught.value.details) == {"claim_id", "patient_id"}
    assert "Claim 987654" in caught.value.message
