"""Assignment: manual, bulk, get next, idle release, auto-assignment rules."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import NOW, make_payer, make_queue, make_user, make_work_item
from workqueue.domain.errors import NotPermitted
from workqueue.models import Activity, ActivityKind, AuditEvent
from workqueue.services.assignment import (
    assign_work_item,
    auto_assign_item,
    bulk_assign,
    release_idle_claims,
)
from workqueue.services.audit import Actor
from workqueue.services.get_next import claim_next
from workqueue.services.users import set_skills
from workqueue.services.work_items import pend_work_item


def test_get_next_claims_highest_priority_available_item(session):
    user = make_user(session, "ar_specialist")
    queue = make_queue(session, [user], kinds=["ar_followup"])
    low = make_work_item(session, amount=Decimal("100"))
    high = make_work_item(session, amount=Decimal("90000"))
    pended = make_work_item(session, amount=Decimal("900000"))
    pend_work_item(session, pended, NOW.date() + timedelta(days=2), Actor.system(), NOW)
    assert claim_next(session, user, queue, Actor.for_user(user), NOW) == high.id
    assert high.assignee_id == user.id and high.claimed_at == NOW and low.assignee_id is None
    assert claim_next(session, user, queue, Actor.for_user(user), NOW) == low.id
    assert claim_next(session, user, queue, Actor.for_user(user), NOW) is None


def test_get_next_skips_kinds_the_role_cannot_work(session):
    user = make_user(session, "coordinator")
    queue = make_queue(session, [user])
    make_work_item(session, "denial", amount=Decimal("50000"))
    pa = make_work_item(session, "prior_auth")
    assert claim_next(session, user, queue, Actor.for_user(user), NOW) == pa.id


def test_get_next_refuses_non_members(session):
    user = make_user(session, "coordinator")
    queue = make_queue(session, [])
    with pytest.raises(NotPermitted):
        claim_next(session, user, queue, Actor.for_user(user), NOW)


def test_get_next_by_a_non_member_leaves_the_items_in_the_pool(session):
    member = make_user(session, "coordinator")
    outsider = make_user(session, "coordinator")
    queue = make_queue(session, [member])
    item = make_work_item(session, "prior_auth")
    with pytest.raises(NotPermitted):
        claim_next(session, outsider, queue, Actor.for_user(outsider), NOW)
    session.refresh(item)
    assert item.assignee_id is None and item.version == 1
    assert claim_next(session, member, queue, Actor.for_user(member), NOW) == item.id


def test_get_next_writes_the_timeline_line_and_the_audit_event(session):
    user = make_user(session, "ar_specialist", display_name="Ana Ruiz")
    queue = make_queue(session, [user])
    item = make_work_item(session)
    actor = Actor(user.id, user.role, "api", ip="203.0.113.9", user_agent="queue-client/2")
    assert claim_next(session, user, queue, actor, NOW) == item.id
    assert item.version == 2 and item.last_touched_at == NOW and item.assignee_id == user.id
    line = session.scalars(select(Activity).where(Activity.work_item_id == item.id)
                           .order_by(Activity.id.desc())).first()
    assert (line.kind, line.actor_id, line.at, line.body) == (
        ActivityKind.ASSIGNMENT, user.id, NOW, "Claimed by Ana Ruiz.")
    assert line.data == {"from": None, "to": user.id, "claim": True}
    event = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "work_item",
                                                     AuditEvent.object_id == str(item.id))
                            .order_by(AuditEvent.id.desc())).first()
    assert (event.user_id, event.role, event.action, event.patient_id, event.channel,
            event.ip, event.user_agent, event.context, event.at) == (
        user.id, "ar_specialist", "update", item.patient_id, "api", "203.0.113.9",
        "queue-client/2", f"get next {queue.slug}", NOW)


def test_get_next_follows_a_queue_edit(session):
    user = make_user(session, "supervisor")
    queue = make_queue(session, [user], kinds=["denial"])
    denial = make_work_item(session, "denial", amount=Decimal("10"))
    ar_item = make_work_item(session, "ar_followup", amount=Decimal("99999"))
    assert claim_next(session, user, queue, Actor.for_user(user), NOW) == denial.id
    queue.kinds = ["ar_followup"]  # the claim statement is reused per queue filter: not here
    session.flush()
    assert claim_next(session, user, queue, Actor.for_user(user), NOW) == ar_item.id


def test_idle_claims_go_back_to_the_pool_but_assignments_stay(session):
    user = make_user(session, "ar_specialist")
    boss = make_user(session, "supervisor")
    queue = make_queue(session, [user])
    claimed_item = make_work_item(session)
    claim_next(session, user, queue, Actor.for_user(user), NOW)
    assigned = make_work_item(session, amount=Decimal("1"))
    assign_work_item(session, assigned, user.id, Actor.for_user(boss), NOW)
    assert release_idle_claims(session, NOW + timedelta(hours=3), 4) == []
    assert release_idle_claims(session, NOW + timedelta(hours=5), 4) == [claimed_item.id]
    assert claimed_item.assignee_id is None and assigned.assignee_id == user.id


def test_non_supervisor_cannot_assign_to_others(session):
    a = make_user(session, "ar_specialist")
    b = make_user(session, "ar_specialist")
    item = make_work_item(session)
    with pytest.raises(NotPermitted):
        assign_work_item(session, item, b.id, Actor.for_user(a), NOW)


def test_bulk_assign_reports_items_it_could_not_assign(session):
    boss = make_user(session, "supervisor")
    worker = make_user(session, "coordinator")
    pa = [make_work_item(session, "prior_auth") for _ in range(3)]
    denial = make_work_item(session, "denial")
    result = bulk_assign(session, [i.id for i in pa] + [denial.id, 999999], worker.id,
                         Actor.for_user(boss), NOW)
    assert sorted(result["assigned"]) == sorted(i.id for i in pa)
    assert set(result["skipped"]) == {denial.id, 999999}


def test_round_robin_routes_new_items_in_turn(session):
    members = [make_user(session, "denial_specialist") for _ in range(3)]
    make_queue(session, members, kinds=["denial"], strategy="round_robin")
    got = [make_work_item(session, "denial", auto_assign=True).assignee_id for _ in range(6)]
    ids = [m.id for m in members]
    assert got == ids + ids


def test_least_loaded_routes_to_the_member_with_fewest_open_items(session):
    busy, idle = make_user(session, "denial_specialist"), make_user(session, "denial_specialist")
    make_queue(session, [busy, idle], kinds=["denial"], strategy="least_loaded")
    for _ in range(2):
        assign_work_item(session, make_work_item(session, "denial"), busy.id, Actor.system(), NOW)
    assert make_work_item(session, "denial", auto_assign=True).assignee_id == idle.id


def test_skill_matched_routing_uses_payer_skill(session):
    payer = make_payer(session)
    generalist = make_user(session, "denial_specialist")
    expert = make_user(session, "denial_specialist")
    set_skills(expert, [("payer", str(payer.id))])
    make_queue(session, [generalist, expert], kinds=["denial"], strategy="round_robin",
               is_skill_matched=True)
    for _ in range(3):
        item = make_work_item(session, "denial", payer_id=payer.id)
        assert auto_assign_item(session, item, NOW).id == expert.id
    elsewhere = make_work_item(session, "denial", payer_id=make_payer(session).id)
    assert auto_assign_item(session, elsewhere, NOW) is None
