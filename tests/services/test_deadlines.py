"""Missed deadlines: marked at creation and by the sweep, out of Get next, below live items in
worklists, and decided through the status table (late appeal, write-off, close), audited."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import NOW, make_payer, make_queue, make_user, make_work_item
from workqueue.domain.errors import Conflict, ValidationFailed
from workqueue.models import Activity, AuditEvent, WorkItem
from workqueue.queries import WorklistFilter, worklist
from workqueue.services.audit import Actor
from workqueue.services.deadlines import decide_missed_deadline, mark_missed_deadlines
from workqueue.services.get_next import claim_next
from workqueue.services.work_items import transition_work_item

TODAY = NOW.date()


@pytest.fixture
def payer(session):
    return make_payer(session, appeal_levels=[(1, "First level", 120, 30)])


def _denial(session, payer, *, deadline_in: int, amount: str, now=NOW, **fields):
    """A denial item whose appeal deadline is ``deadline_in`` days from today."""
    denied_on = TODAY + timedelta(days=deadline_in - 120)
    return make_work_item(session, "denial", payer_id=payer.id, denied_on=denied_on,
                          amount=Decimal(amount), now=now, **fields)


def test_a_deadline_passed_260_days_ago_never_tops_get_next_or_the_worklist(session, payer):
    user = make_user(session, "denial_specialist")
    queue = make_queue(session, [user], kinds=["denial"])
    dead = _denial(session, payer, deadline_in=-260, amount="90000")
    live = _denial(session, payer, deadline_in=20, amount="77380")
    assert dead.is_deadline_missed and not live.is_deadline_missed
    assert live.priority_score > dead.priority_score

    page = worklist(session, WorklistFilter(queue=queue), TODAY)
    assert [i.id for i in page.items] == [live.id, dead.id]
    assert [i.id for i in worklist(session, WorklistFilter(queue=queue, missed=False),
                                   TODAY).items] == [live.id]
    assert [i.id for i in worklist(session, WorklistFilter(queue=queue, missed=True),
                                   TODAY).items] == [dead.id]

    actor = Actor.for_user(user)
    assert claim_next(session, user, queue, actor, NOW) == live.id
    assert claim_next(session, user, queue, actor, NOW) is None  # the missed one waits
    assert dead.assignee_id is None


def test_the_sweep_marks_what_passed_since_and_leaves_versions_alone(session, payer):
    opened = NOW - timedelta(days=200)
    passed = _denial(session, payer, deadline_in=-3, amount="5000", now=opened)
    live = _denial(session, payer, deadline_in=5, amount="50", now=opened)
    assert not passed.is_deadline_missed  # it was ahead on the day it was opened
    assert passed.priority_score > live.priority_score  # and ranked by closeness then
    version = passed.version

    assert mark_missed_deadlines(session, NOW) == 1
    session.expire_all()
    assert passed.is_deadline_missed and not live.is_deadline_missed
    assert passed.priority_score < live.priority_score
    assert passed.version == version
    assert mark_missed_deadlines(session, NOW) == 0  # idempotent


def test_an_appeal_submitted_in_time_is_not_missed_nor_ranked_by_its_old_date(session, payer):
    specialist = Actor.for_user(make_user(session, "denial_specialist"))
    opened = NOW - timedelta(days=200)
    item = _denial(session, payer, deadline_in=-60, amount="90000", now=opened)
    for target in ("triaged", "appeal_drafting", "appeal_submitted"):
        transition_work_item(session, item, target, specialist, opened + timedelta(days=1))
    live = _denial(session, payer, deadline_in=300, amount="10")
    assert mark_missed_deadlines(session, NOW) == 0
    assert not item.is_deadline_missed
    assert item.priority_score < live.priority_score


def test_late_appeal_needs_a_good_cause_and_puts_the_item_back_to_work(session, payer):
    user = make_user(session, "denial_specialist")
    queue = make_queue(session, [user], kinds=["denial"])
    actor = Actor.for_user(user)
    item = _denial(session, payer, deadline_in=-10, amount="12000")
    with pytest.raises(ValidationFailed) as refused:
        decide_missed_deadline(session, item, "late_appeal", "  ", actor, NOW)
    assert refused.value.details == {"reason": "required"}
    assert item.status == "new"

    decide_missed_deadline(session, item, "late_appeal",
                           "Payer's notice was mailed to an old address (envelope kept).",
                           actor, NOW, expected_version=item.version)
    assert item.status == "appeal_drafting"
    assert not item.is_deadline_missed
    assert (item.deadline_kind, item.deadline_on) == ("late_appeal", TODAY + timedelta(days=14))
    lines = session.scalars(select(Activity.body).where(Activity.work_item_id == item.id)).all()
    assert any("appeal deadline passed 10 days ago" in body and "old address" in body
               for body in lines)
    contexts = session.scalars(select(AuditEvent.context).where(
        AuditEvent.object_type == "work_item", AuditEvent.object_id == str(item.id))).all()
    assert "missed deadline: late_appeal" in contexts
    assert {"status new->triaged", "status triaged->appeal_drafting"} <= set(contexts)
    assert claim_next(session, user, queue, actor, NOW) == item.id  # back in the pool


def test_write_off_needs_a_reason_and_ends_the_miss(session, payer):
    actor = Actor.for_user(make_user(session, "ar_specialist"))
    item = make_work_item(session, "ar_followup", payer_id=make_payer(
        session, timely_filing_days=90).id, service_date=TODAY - timedelta(days=120))
    assert item.is_deadline_missed
    with pytest.raises(ValidationFailed):
        decide_missed_deadline(session, item, "write_off", "", actor, NOW)
    decide_missed_deadline(session, item, "write_off", "No proof of timely filing.", actor, NOW)
    assert item.status == "write_off" and not item.is_deadline_missed


def test_close_cancels_a_prior_auth_whose_infusion_date_passed(session):
    actor = Actor.for_user(make_user(session, "coordinator"))
    item = make_work_item(session, "prior_auth", service_date=TODAY - timedelta(days=2))
    assert item.is_deadline_missed
    decide_missed_deadline(session, item, "close", "", actor, NOW)
    assert item.status == "cancelled" and not item.is_open


def test_decisions_the_item_does_not_allow_are_refused(session, payer):
    actor = Actor.for_user(make_user(session, "denial_specialist"))
    live = _denial(session, payer, deadline_in=3, amount="100")
    with pytest.raises(Conflict):
        decide_missed_deadline(session, live, "write_off", "why not", actor, NOW)
    dead = _denial(session, payer, deadline_in=-3, amount="100")
    with pytest.raises(Conflict):  # a new denial cannot go straight to closed
        decide_missed_deadline(session, dead, "close", "", actor, NOW)
    with pytest.raises(ValidationFailed):
        decide_missed_deadline(session, dead, "shrug", "", actor, NOW)
    assert session.get(WorkItem, dead.id).status == "new"
