"""Who works what: assign, bulk assign, release, idle release, routing.

Get next (a user claiming the best available item) is in :mod:`workqueue.services.get_next`.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from workqueue.domain.errors import NotPermitted, ValidationFailed
from workqueue.domain.roles import Permission, can_work_kind, has_permission
from workqueue.models import (
    ActivityKind,
    AssignmentStrategy,
    Queue,
    SkillKind,
    User,
    WorkItem,
)
from workqueue.queries import item_in_queue
from workqueue.services import audit
from workqueue.services.audit import Actor
from workqueue.services.work_items import _log, check_version


def _check_assignee(session: Session, item: WorkItem, assignee_id: int) -> User:
    user = session.get(User, assignee_id)
    if user is None or not user.is_active:
        raise ValidationFailed(f"User {assignee_id} does not exist or is inactive.",
                               {"assignee_id": "unknown"})
    if not can_work_kind(user.role, item.kind):
        raise ValidationFailed(
            f"{user.display_name} ({user.role}) cannot work {item.kind} items.",
            {"assignee_id": "role cannot work this kind"},
        )
    return user


def assign_work_item(
    session: Session,
    item: WorkItem,
    assignee_id: int,
    actor: Actor,
    now: datetime,
    *,
    expected_version: int | None = None,
) -> WorkItem:
    """Give an item to a person. Supervisors assign anyone; others may only take it themselves.

    :raise NotPermitted, ValidationFailed, StaleVersion
    """
    check_version(item, expected_version)
    if actor.role is not None and not has_permission(actor.role, Permission.ASSIGN):
        if assignee_id != actor.user_id:
            raise NotPermitted("Only a supervisor can assign items to someone else.")
        if item.assignee_id not in (None, actor.user_id):
            raise NotPermitted("This item is already assigned to someone else.")
    if not item.is_open:
        raise ValidationFailed("A closed item cannot be assigned.", {"assignee_id": "closed"})
    user = _check_assignee(session, item, assignee_id)
    if item.assignee_id == user.id:
        return item
    previous = item.assignee_id
    item.assignee_id = user.id
    item.claimed_at = None  # an assignment is not a claim: it is not released when idle
    _log(session, item, ActivityKind.ASSIGNMENT, actor, now, f"Assigned to {user.display_name}.",
         data={"from": previous, "to": user.id})
    audit.record(session, actor, "update", "work_item", item.id, now=now,
                 patient_id=item.patient_id, context=f"assign {previous}->{user.id}")
    session.flush()
    return item


def bulk_assign(
    session: Session, item_ids: list[int], assignee_id: int, actor: Actor, now: datetime
) -> dict:
    """Assign many items at once; items that cannot be assigned are reported, not failed.

    :raise NotPermitted: the actor is not a supervisor.
    """
    if actor.role is not None and not has_permission(actor.role, Permission.ASSIGN):
        raise NotPermitted("Only a supervisor can bulk-assign.")
    ids = sorted({int(i) for i in item_ids})
    items = session.scalars(
        select(WorkItem).where(WorkItem.id.in_(ids)).order_by(WorkItem.id).with_for_update()
    ).all()
    found = {item.id for item in items}
    assigned: list[int] = []
    skipped: dict[int, str] = {i: "not found" for i in ids if i not in found}
    for item in items:
        try:
            assign_work_item(session, item, assignee_id, actor, now)
            assigned.append(item.id)
        except ValidationFailed as error:
            skipped[item.id] = error.message
    return {"assigned": assigned, "skipped": skipped}


def release_work_item(session: Session, item: WorkItem, actor: Actor, now: datetime,
                      reason: str = "Released to the pool.") -> WorkItem:
    """Put an item back in the pool (its assignee, a supervisor, or the idle sweep)."""
    if (actor.role is not None and item.assignee_id != actor.user_id
            and not has_permission(actor.role, Permission.ASSIGN)):
        raise NotPermitted("Only the assignee or a supervisor can release this item.")
    if item.assignee_id is None:
        return item
    previous = item.assignee_id
    item.assignee_id = None
    item.claimed_at = None
    _log(session, item, ActivityKind.ASSIGNMENT, actor, now, reason,
         data={"from": previous, "to": None})
    audit.record(session, actor, "update", "work_item", item.id, now=now,
                 patient_id=item.patient_id, context="release")
    session.flush()
    return item


def release_idle_claims(session: Session, now: datetime, idle_hours: int) -> list[int]:
    """Put claims nobody touched for ``idle_hours`` back in the pool; ids released."""
    cutoff = now - timedelta(hours=idle_hours)
    items = session.scalars(
        select(WorkItem)
        .where(
            WorkItem.is_open,
            WorkItem.claimed_at.is_not(None),
            WorkItem.assignee_id.is_not(None),
            WorkItem.last_touched_at < cutoff,
        )
        .order_by(WorkItem.id)
        .with_for_update(skip_locked=True)
    ).all()
    for item in items:
        release_work_item(session, item, Actor.system(), now,
                          f"Released: untouched for more than {idle_hours} hours.")
    return [item.id for item in items]


def _skill_values(item: WorkItem) -> set[tuple[str, str]]:
    values = {(SkillKind.WORK_KIND.value, str(item.kind))}
    if item.payer_id is not None:
        values.add((SkillKind.PAYER.value, str(item.payer_id)))
    if item.category:
        values.add((SkillKind.DENIAL_CATEGORY.value, item.category))
        values.add((SkillKind.DRUG_FAMILY.value, item.category))
    return values


def _open_load(session: Session, user_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(WorkItem.assignee_id, func.count())
        .where(WorkItem.assignee_id.in_(user_ids), WorkItem.is_open)
        .group_by(WorkItem.assignee_id)
    ).all()
    load = dict.fromkeys(user_ids, 0)
    load.update({uid: count for uid, count in rows})
    return load


def _fitting_members(queue: Queue, members: list[User], item: WorkItem) -> list[User]:
    """Members of ``queue`` who may take ``item``: active, its kind, a matching skill."""
    members = [m for m in members if m.is_active and can_work_kind(m.role, item.kind)]
    if queue.is_skill_matched:
        wanted = _skill_values(item)
        members = [m for m in members
                   if any((str(s.kind), s.value) in wanted for s in m.skills
                          if s.kind != SkillKind.WORK_KIND)]
    return members


def _next_in_turn(cursor: int | None, members: list[User]) -> User:
    """Round robin: the first member after the queue's cursor, wrapping around."""
    after = [m for m in members if cursor is None or m.id > cursor]
    return (after or members)[0]


def pick_assignee(session: Session, queue: Queue, item: WorkItem) -> User | None:
    """The member the queue's rule routes ``item`` to, or None (manual queue, nobody fits)."""
    if queue.strategy == AssignmentStrategy.MANUAL:
        return None
    members = _fitting_members(queue, queue.members, item)
    if not members:
        return None
    if queue.strategy == AssignmentStrategy.LEAST_LOADED:
        load = _open_load(session, [m.id for m in members])
        return min(members, key=lambda m: (load[m.id], m.id))
    return _next_in_turn(queue.last_assigned_user_id, members)


@dataclass
class Routing:
    """The auto-assigning queues with their members and skills, read once for many items.

    For callers that open many items in one transaction (the 835 import): routing each item
    through :func:`auto_assign_item` re-reads the queues, members and skills per item. With a
    ``Routing`` the same rules run on what was read once. Each queue row is locked (and its
    round-robin cursor re-read) the first time an item is routed by it, as without the
    context, so the cursor advanced in memory is the one in the database until the
    transaction ends; least-loaded counts are read with one grouped query and kept up to date
    in memory (:meth:`item_closed` for items the caller closes meanwhile). The cursors are
    written back to the queues by :meth:`save` (one UPDATE per queue, not per item): call it
    before the transaction commits. Build a new one after a commit or a rollback.
    """

    queues: list[Queue]
    members: dict[int, list[User]]
    cursors: dict[int, int | None] = field(default_factory=dict)  # locked queues only
    load: dict[int, int] | None = None

    def save(self) -> None:
        """Write the round-robin cursors advanced in memory to their queues."""
        for queue in self.queues:
            if queue.id in self.cursors:
                queue.last_assigned_user_id = self.cursors[queue.id]

    def open_load(self, session: Session) -> dict[int, int]:
        if self.load is None:
            ids = sorted({m.id for q in self.queues
                          if q.strategy == AssignmentStrategy.LEAST_LOADED
                          for m in self.members[q.id]})
            self.load = _open_load(session, ids) if ids else {}
        return self.load

    def item_closed(self, item: WorkItem) -> None:
        """An item was closed after the counts were read: its assignee holds one fewer."""
        if self.load is not None and item.assignee_id in self.load:
            self.load[item.assignee_id] -= 1


def load_routing(session: Session) -> Routing:
    """The auto-assigning queues (as :func:`auto_assign_item` reads them) with members and
    skills, in three queries."""
    queues = session.scalars(
        select(Queue)
        .where(Queue.is_active.is_(True), Queue.strategy != AssignmentStrategy.MANUAL)
        .order_by(Queue.id)
        .options(selectinload(Queue.members).selectinload(User.skills))
    ).all()
    return Routing(list(queues), {q.id: list(q.members) for q in queues})


def _route(session: Session, item: WorkItem, now: datetime, routing: Routing) -> User | None:
    for queue in routing.queues:
        if not item_in_queue(item, queue):
            continue
        if queue.id not in routing.cursors:
            session.refresh(queue, ["last_assigned_user_id"], with_for_update=True)
            routing.cursors[queue.id] = queue.last_assigned_user_id
        members = _fitting_members(queue, routing.members[queue.id], item)
        if not members:
            continue
        if queue.strategy == AssignmentStrategy.LEAST_LOADED:
            load = routing.open_load(session)
            user = min(members, key=lambda m: (load.get(m.id, 0), m.id))
        else:
            user = _next_in_turn(routing.cursors[queue.id], members)
        assign_work_item(session, item, user.id, Actor.system(), now)
        routing.cursors[queue.id] = user.id
        if routing.load is not None and user.id in routing.load:
            routing.load[user.id] += 1
        return user
    return None


def auto_assign_item(session: Session, item: WorkItem, now: datetime,
                     routing: Routing | None = None) -> User | None:
    """Route a new item by the first auto-assigning queue it belongs to.

    ``routing`` (from :func:`load_routing`) spares re-reading queues, members and skills per
    item when many items are opened in one transaction; the result is the same.
    """
    if routing is not None:
        return _route(session, item, now, routing)
    queues = session.scalars(
        select(Queue)
        .where(Queue.is_active.is_(True), Queue.strategy != AssignmentStrategy.MANUAL)
        .order_by(Queue.id)
    ).all()
    for queue in queues:
        if not item_in_queue(item, queue):
            continue
        # Lock the queue row so concurrent routing advances the round-robin cursor in turn.
        session.refresh(queue, with_for_update=True)
        user = pick_assignee(session, queue, item)
        if user is None:
            continue
        assign_work_item(session, item, user.id, Actor.system(), now)
        queue.last_assigned_user_id = user.id
        return user
    return None
