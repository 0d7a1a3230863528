"""Queues: create and edit them, their routing rules and members, and assign from them in bulk.

Every change is audited; routing changes (strategy, skill matching, members) take effect for
the next new item, because ``services.assignment.auto_assign_item`` reads the queue row.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workqueue.domain.errors import Conflict, NotPermitted, ValidationFailed
from workqueue.domain.roles import WORKABLE_KINDS, Permission, Role, has_permission
from workqueue.domain.status import WorkItemKind
from workqueue.models import AssignmentStrategy, Payer, Queue, User
from workqueue.reports import top_unassigned_ids
from workqueue.services import audit
from workqueue.services.assignment import bulk_assign
from workqueue.services.audit import Actor

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_BULK = 500


@dataclass(frozen=True)
class QueueSpec:
    """Everything an admin sets on a queue; empty kinds/payers/categories mean "all"."""

    name: str
    slug: str
    description: str = ""
    kinds: tuple[str, ...] = ()
    payer_ids: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    member_ids: tuple[int, ...] = ()
    strategy: str = AssignmentStrategy.MANUAL.value
    is_skill_matched: bool = False
    is_active: bool = True


def _strategy(value: str) -> AssignmentStrategy:
    try:
        return AssignmentStrategy(value)
    except ValueError:
        raise ValidationFailed(f"Unknown assignment strategy {value!r}.",
                               {"strategy": "unknown"}) from None


def _members(session: Session, member_ids: tuple[int, ...]) -> list[User]:
    ids = sorted(set(member_ids))
    users = list(session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))
    if len(users) != len(ids) or any(not u.is_active for u in users):
        raise ValidationFailed("Members must be existing, active users.", {"member_ids": "unknown"})
    return users


def _validate(session: Session, spec: QueueSpec, queue: Queue | None) -> dict:
    name, slug = spec.name.strip(), spec.slug.strip().lower()
    if not name or len(name) > 120:
        raise ValidationFailed("A queue needs a name of at most 120 characters.",
                               {"name": "required"})
    if not SLUG.match(slug) or len(slug) > 60:
        raise ValidationFailed("The slug is lowercase letters, digits and single dashes.",
                               {"slug": "invalid"})
    other = None if queue is None else queue.id
    if session.scalar(select(Queue.id).where(Queue.slug == slug, Queue.id != other)):
        raise Conflict(f"Another queue already uses the slug {slug!r}.", {"slug": "taken"})
    if session.scalar(select(Queue.id).where(func.lower(Queue.name) == name.lower(),
                                             Queue.id != other)):
        raise Conflict(f"Another queue is already named {name!r}.", {"name": "taken"})
    unknown = [k for k in spec.kinds if k not in {k.value for k in WorkItemKind}]
    if unknown:
        raise ValidationFailed(f"Unknown kinds: {', '.join(unknown)}.", {"kinds": "unknown"})
    payer_ids = sorted(set(spec.payer_ids))
    found = session.scalar(select(func.count()).where(Payer.id.in_(payer_ids))) if payer_ids else 0
    if found != len(payer_ids):
        raise ValidationFailed("Some of the payers do not exist.", {"payer_ids": "unknown"})
    categories = sorted({c.strip() for c in spec.categories if c.strip()})
    if any(len(c) > 40 for c in categories):
        raise ValidationFailed("A category is at most 40 characters.", {"categories": "long"})
    return {
        "name": name,
        "slug": slug,
        "description": spec.description.strip()[:300],
        "kinds": sorted(set(spec.kinds)),
        "payer_ids": payer_ids,
        "categories": categories,
        "strategy": _strategy(spec.strategy),
        "is_skill_matched": bool(spec.is_skill_matched),
        "is_active": bool(spec.is_active),
    }


def _describe(queue: Queue) -> str:
    members = ",".join(str(m.id) for m in queue.members)
    return (f"strategy={queue.strategy} skills={int(queue.is_skill_matched)} "
            f"active={int(queue.is_active)} members={members}")


def create_queue(session: Session, spec: QueueSpec, actor: Actor, now: datetime) -> Queue:
    """Create a queue.

    :raise ValidationFailed: bad name, slug, kinds, payers or members.
    :raise Conflict: the name or slug is taken.
    """
    values = _validate(session, spec, None)
    queue = Queue(**values)
    queue.members = _members(session, spec.member_ids)
    session.add(queue)
    session.flush()
    audit.record(session, actor, "create", "queue", queue.id, now=now, context=_describe(queue))
    return queue


def update_queue(session: Session, queue: Queue, spec: QueueSpec, actor: Actor,
                 now: datetime) -> Queue:
    """Change every setting of a queue; same errors as :func:`create_queue`."""
    values = _validate(session, spec, queue)
    members = _members(session, spec.member_ids)
    for name, value in values.items():
        setattr(queue, name, value)
    queue.members = members
    session.flush()
    audit.record(session, actor, "update", "queue", queue.id, now=now, context=_describe(queue))
    return queue


def set_routing(session: Session, queue: Queue, strategy: str, is_skill_matched: bool,
                member_ids: tuple[int, ...], actor: Actor, now: datetime) -> Queue:
    """The supervisor's edit of a queue's auto-assignment rule and its members.

    :raise NotPermitted: the actor may not assign work.
    :raise ValidationFailed: unknown strategy or member.
    """
    if actor.role is not None and not has_permission(actor.role, Permission.ASSIGN):
        raise NotPermitted("Only a supervisor can change routing rules.")
    queue.strategy = _strategy(strategy)
    queue.is_skill_matched = bool(is_skill_matched)
    queue.members = _members(session, member_ids)
    if queue.last_assigned_user_id not in {m.id for m in queue.members}:
        queue.last_assigned_user_id = None  # restart the round robin among current members
    session.flush()
    audit.record(session, actor, "update", "queue", queue.id, now=now,
                 context="routing " + _describe(queue))
    return queue


def assign_top_unassigned(session: Session, queue: Queue, count: int, assignee_id: int,
                          actor: Actor, now: datetime) -> dict:
    """Assign the ``count`` highest-priority unassigned items of ``queue`` to one person.

    Only kinds the assignee's role may work are picked, so ``count`` items really move when
    the queue has them. Returns ``bulk_assign``'s report.

    :raise ValidationFailed: a count out of range or an unknown/inactive assignee.
    :raise NotPermitted: the actor may not assign work.
    """
    if not 1 <= count <= MAX_BULK:
        raise ValidationFailed(f"Assign between 1 and {MAX_BULK} items at a time.",
                               {"count": "range"})
    user = session.get(User, assignee_id)
    if user is None or not user.is_active:
        raise ValidationFailed("Pick an active user to assign to.", {"assignee_id": "unknown"})
    kinds = [k.value for k in WORKABLE_KINDS[Role(user.role)]]
    ids = top_unassigned_ids(session, queue, kinds, now.date(), count)
    return bulk_assign(session, ids, user.id, actor, now)
