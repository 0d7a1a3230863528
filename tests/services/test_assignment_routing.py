"""Auto-assignment with a pre-loaded routing context (``load_routing``): the same members in
the same order as routing each item on its own, and the cursor saved for the next caller."""

from decimal import Decimal

from sqlalchemy import select

from tests.factories import NOW, make_payer, make_queue, make_user, make_work_item
from workqueue.domain.status import WorkItemStatus
from workqueue.models import Queue
from workqueue.services.assignment import assign_work_item, load_routing, pick_assignee
from workqueue.services.audit import Actor
from workqueue.services.users import set_skills
from workqueue.services.work_items import NewWorkItem, create_work_item, transition_work_item


def _denial(session, routing=None, **fields):
    fields.setdefault("title", "Denial")
    fields.setdefault("amount", Decimal("100.00"))
    return create_work_item(session, NewWorkItem(kind="denial", **fields), Actor.system("cli"),
                            NOW, routing=routing)


def _skilled_round_robin(session):
    payer = make_payer(session)
    members = [make_user(session, "denial_specialist") for _ in range(4)]
    for member in members[:3]:
        set_skills(member, [("denial_category", "coding")])
    set_skills(members[3], [("payer", str(payer.id))])
    queue = make_queue(session, members, kinds=["denial"], strategy="round_robin",
                       is_skill_matched=True)
    return payer, members, queue


def _pattern(payer):
    return [{"category": "coding"}, {"category": "coding", "payer_id": payer.id},
            {"category": "timely_filing"}, {"category": "coding"}, {"category": "coding"},
            {"payer_id": payer.id}, {"category": "coding"}]


def test_round_robin_with_a_routing_context_assigns_exactly_as_without_it(session):
    payer, _members, queue = _skilled_round_robin(session)
    without = [_denial(session, **fields).assignee_id for fields in _pattern(payer)]
    queue.last_assigned_user_id = None
    session.flush()
    routing = load_routing(session)
    with_context = [_denial(session, routing, **fields).assignee_id
                    for fields in _pattern(payer)]
    assert with_context == without
    assert None in without and len(set(without) - {None}) == 4


def test_the_cursor_advanced_in_memory_is_saved_for_the_next_item_routed_alone(session):
    members = [make_user(session, "denial_specialist") for _ in range(3)]
    queue = make_queue(session, members, kinds=["denial"], strategy="round_robin")
    routing = load_routing(session)
    assert _denial(session, routing).assignee_id == members[0].id
    assert _denial(session, routing).assignee_id == members[1].id
    routing.save()
    session.flush()
    assert session.scalar(select(Queue.last_assigned_user_id).where(Queue.id == queue.id)) \
        == members[1].id
    assert _denial(session).assignee_id == members[2].id


def test_least_loaded_with_a_routing_context_counts_new_and_closed_items(session):
    busy, idle = make_user(session, "denial_specialist"), make_user(session, "denial_specialist")
    queue = make_queue(session, [busy, idle], kinds=["denial"], strategy="least_loaded")
    held = []
    for _ in range(2):
        item = make_work_item(session, "denial")
        assign_work_item(session, item, busy.id, Actor.system(), NOW)
        held.append(item)
    routing = load_routing(session)
    got = [_denial(session, routing).assignee_id for _ in range(3)]
    assert got == [idle.id, idle.id, busy.id]  # 2-0, 2-1, 2-2: tie goes to the lower id
    for status in (WorkItemStatus.WRITE_OFF, WorkItemStatus.CLOSED):
        transition_work_item(session, held[0], status, Actor.system(), NOW, note="Test")
    routing.item_closed(held[0])
    afresh = pick_assignee(session, queue, make_work_item(session, "denial"))
    assert _denial(session, routing).assignee_id == afresh.id == busy.id  # 2 open each


def test_a_routing_context_skips_queues_the_item_is_not_in_and_returns_none(session):
    member = make_user(session, "denial_specialist")
    make_queue(session, [member], kinds=["denial"], strategy="round_robin",
               categories=["coding"])
    routing = load_routing(session)
    assert _denial(session, routing, category="pricing").assignee_id is None
    assert _denial(session, routing, category="coding").assignee_id == member.id
