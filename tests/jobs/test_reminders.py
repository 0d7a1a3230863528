"""The reminder sweep: what is due, who hears of it, once per (item, reason, due date)."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import (
    NOW,
    make_authorization,
    make_coverage,
    make_payer,
    make_user,
    make_work_item,
)
from tests.jobs.conftest import scope
from workqueue import clock
from workqueue.models import Activity, Notification, Reminder, Team, WorkItem
from workqueue.services.audit import Actor
from workqueue.services.reminders import sweep_reminders
from workqueue.services.work_items import pend_work_item

TODAY = NOW.date()


def _notes(session, user):
    return session.scalars(select(Notification).where(Notification.user_id == user.id)
                           .order_by(Notification.id)).all()


def test_sweep_notifies_assignee_of_each_due_reason_once(session):
    coordinator = make_user(session, "coordinator")
    specialist = make_user(session, "ar_specialist")  # works denials and AR follow-up
    payer = make_payer(session, auth_lead_days=21)
    appeal = make_work_item(session, "denial", assignee_id=specialist.id, payer_id=payer.id,
                            denied_on=TODAY - timedelta(days=175))  # window 180: due in 5 days
    far_appeal = make_work_item(session, "denial", assignee_id=specialist.id, payer_id=payer.id,
                                denied_on=TODAY - timedelta(days=100))
    filing = make_work_item(session, "ar_followup", assignee_id=specialist.id,
                            payer_id=payer.id, service_date=TODAY - timedelta(days=355))
    infusion = make_work_item(session, "eligibility", assignee_id=coordinator.id,
                              service_date=TODAY + timedelta(days=2))
    reauth = make_work_item(session, "prior_auth", assignee_id=coordinator.id,
                            payer_id=payer.id, auth_end=TODAY + timedelta(days=20))
    auth = make_authorization(session, make_coverage(session, payer=payer),
                              authorized_units=100, units_used=85)
    units = make_work_item(session, "prior_auth", assignee_id=coordinator.id,
                           payer_id=payer.id, authorization_id=auth.id)

    result = sweep_reminders(session, NOW)

    reasons = {(n.work_item_id, n.reason) for n in _notes(session, specialist)}
    assert reasons == {(appeal.id, "appeal_deadline"), (filing.id, "timely_filing")}
    assert far_appeal.id not in {i for i, _ in reasons}
    reasons = {(n.work_item_id, n.reason) for n in _notes(session, coordinator)}
    assert {(infusion.id, "infusion_not_ready"), (reauth.id, "auth_expiring"),
            (units.id, "auth_units")} <= reasons
    message = next(n.message for n in _notes(session, specialist) if n.reason == "appeal_deadline")
    assert f"#{appeal.id}" in message and "in 5 days" in message
    assert session.scalar(select(func.count()).select_from(Activity).where(
        Activity.work_item_id == appeal.id, Activity.kind == "reminder")) == 1
    assert result.notifications >= 5

    again = sweep_reminders(session, NOW + timedelta(minutes=5))
    assert again.reminders == 0 and again.notifications == 0


def test_pended_item_comes_back_and_its_assignee_is_told(session):
    user = make_user(session, "ar_specialist")
    item = make_work_item(session, "ar_followup", assignee_id=user.id)
    pend_work_item(session, item, TODAY + timedelta(days=2), Actor.system(), NOW)
    assert sweep_reminders(session, NOW + timedelta(days=1)).returned == 0
    result = sweep_reminders(session, NOW + timedelta(days=2))
    assert result.returned == 1
    assert session.get(WorkItem, item.id).pended_until is None
    assert [n.reason for n in _notes(session, user)] == ["pend_returned"]


def test_overdue_item_escalates_to_the_assignees_team_supervisor(session):
    team = Team(name="Denials East")
    other_team = Team(name="AR West")
    session.add_all([team, other_team])
    session.flush()
    boss = make_user(session, "supervisor", team_id=team.id)
    other_boss = make_user(session, "supervisor", team_id=other_team.id)
    worker = make_user(session, "denial_specialist", team_id=team.id)
    item = make_work_item(session, "denial", assignee_id=worker.id,
                          due_on=TODAY - timedelta(days=3))
    unassigned = make_work_item(session, "ar_followup", due_on=TODAY - timedelta(days=3))
    sweep_reminders(session, NOW)
    assert [(n.work_item_id, n.reason) for n in _notes(session, boss)] == [
        (item.id, "overdue"), (unassigned.id, "overdue")]
    assert "Assigned to" in _notes(session, boss)[0].message
    # Nobody on the other team supervises the worker: only the unassigned item reaches them.
    assert [n.work_item_id for n in _notes(session, other_boss)] == [unassigned.id]
    assert [n.reason for n in _notes(session, worker)] == []


def test_reminder_with_nobody_to_tell_is_sent_once_someone_can_be(session):
    item = make_work_item(session, "ar_followup", due_on=TODAY - timedelta(days=5))
    first = sweep_reminders(session, NOW)
    assert first.reminders == 1 and first.notifications == 0
    boss = make_user(session, "supervisor")
    second = sweep_reminders(session, NOW + timedelta(minutes=5))
    assert second.reminders == 0
    assert [n.work_item_id for n in _notes(session, boss)] == [item.id]
    assert session.scalar(select(Reminder.sent_at).where(Reminder.work_item_id == item.id))


@pytest.mark.parametrize("serialize", [True, False])
def test_two_racing_sweeps_notify_once(committed_app, serialize):
    """Several workers sweeping at the same moment: still one notification per reminder.

    With ``serialize=False`` the advisory lock is bypassed and only the unique key of
    (item, reason, due date) stands between the two sweeps and a double notification.
    """
    with scope(committed_app) as session:
        user = make_user(session, "denial_specialist")
        payer = make_payer(session)
        for days in (175, 176, 177):
            make_work_item(session, "denial", assignee_id=user.id, payer_id=payer.id,
                           amount=Decimal("10"), denied_on=TODAY - timedelta(days=days))
        user_id = user.id
    barrier = threading.Barrier(2)
    errors = []

    def sweep():
        try:
            with scope(committed_app) as session:
                barrier.wait(timeout=10)
                sweep_reminders(session, NOW, serialize=serialize)
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    with scope(committed_app) as session:
        notes = session.scalars(select(Notification).where(Notification.user_id == user_id)).all()
        assert len(notes) == 3
        assert len({n.work_item_id for n in notes}) == 3
        assert session.scalar(select(func.count()).select_from(Reminder)) == 3


def test_switched_off_reason_is_not_swept(session):
    from workqueue.models import ReminderRule

    # (Other tests empty every table, seeded rules included: merge rather than update.)
    session.merge(ReminderRule(reason="overdue", lead_days=1, is_active=False))
    make_user(session, "supervisor")
    make_work_item(session, "ar_followup", due_on=date(2026, 11, 1))
    assert sweep_reminders(session, NOW).found.get("overdue") is None


def test_hourly_reauthorization_job_opens_one_item_for_an_auth_near_expiry(session):
    from workqueue.jobs.reminders import open_reauthorizations

    payer = make_payer(session, auth_lead_days=14)
    auth = make_authorization(session, make_coverage(session, payer=payer),
                              start_date=TODAY - timedelta(days=170),
                              end_date=clock.today() + timedelta(days=10))
    assert open_reauthorizations.body(session) == {"opened": 1}
    assert open_reauthorizations.body(session) == {"opened": 0}
    item = session.scalars(select(WorkItem).where(WorkItem.authorization_id == auth.id)).one()
    assert item.kind == "prior_auth" and item.is_open
