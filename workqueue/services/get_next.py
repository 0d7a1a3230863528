"""Get next: atomically claim the best available item of a queue for one user.

The claim is one conditional UPDATE whose subquery picks the highest-priority item the user may
work. On PostgreSQL the subquery says ``FOR UPDATE SKIP LOCKED``, so concurrent claimers skip
each other's rows instead of waiting, and the claim's timeline line and audit event are written
by the same statement (data-modifying CTEs): one round trip, and the row lock is held for that
one statement and the commit. SQLite ignores the locking clause but runs every write
transaction ``BEGIN IMMEDIATE`` (see db.py), so the statement is serialized and its
``assignee_id IS NULL`` guard still holds; there the two rows take two more statements.

Get next is the product's hottest write (every worker, all day), so it is written for CPU:
building a statement of this size costs more than PostgreSQL spends running it, so the
statements are built once per queue filter, role and dialect with every per-call value a bound
parameter; they run as Core on the session's connection and answer the item's id, not a loaded
object; and the LIMIT is literal, because a bound one makes PostgreSQL plan every call anew.
(bench/bench_engine.py and docs/benchmarks.md measure each of these.)
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import and_, bindparam, cast, exists, literal_column, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable, FromClause

from workqueue.domain.errors import NotPermitted
from workqueue.domain.roles import WORKABLE_KINDS, Role, works_every_queue
from workqueue.domain.status import WorkItemKind
from workqueue.models import (
    Activity,
    ActivityKind,
    AuditEvent,
    Queue,
    User,
    WorkItem,
    queue_members,
)
from workqueue.queries import available_conditions, queue_conditions
from workqueue.services import audit
from workqueue.services.audit import Actor

_STATEMENTS: dict[tuple, "_ClaimStatements"] = {}
_STATEMENTS_LIMIT = 1024  # queues x roles x edits; cleared whole when reached


def claim_next(session: Session, user: User, queue: Queue, actor: Actor,
               now: datetime) -> int | None:
    """Claim the highest-priority available item of ``queue`` for ``user``; its id.

    Two users calling this at the same instant never get the same item. Returns None when the
    queue has nothing left that the user may work. The id is all the screens need (they go
    to the item's page); the API loads the item it answers with.

    :raise NotPermitted: the user may not work this queue.
    """
    role = Role(user.role)
    members_only = not works_every_queue(role)
    activity = {
        "kind": ActivityKind.ASSIGNMENT,
        "actor_id": actor.user_id,
        "at": now,
        "body": f"Claimed by {user.display_name}.",
        "data": {"from": None, "to": user.id, "claim": True},
    }
    event = audit.event_values(actor, "update", "work_item", None, now=now,
                               context=f"get next {queue.slug}")
    del event["object_id"], event["patient_id"]  # both come from the claimed row
    statements = _statements(session, queue, role, members_only, tuple(activity), tuple(event))
    params = {
        "user_id": user.id,
        "now": now,
        "today": now.date(),
        **{f"activity_{key}": value for key, value in activity.items()},
        **{f"audit_{key}": value for key, value in event.items()},
    }
    session.flush()  # Core statements on the connection do not autoflush pending objects
    connection = session.connection()
    item_id = connection.execute(statements.claim, params).scalar_one_or_none()
    if item_id is None:
        # The membership test is part of the claim; only an empty answer needs telling apart.
        if members_only and not _is_member(session, queue, user):
            raise NotPermitted(f"You are not a member of the queue {queue.name!r}.")
        return None
    for write in statements.writes:
        connection.execute(write, {**params, "claimed_id": item_id})
    loaded = session.identity_map.get(session.identity_key(WorkItem, item_id))
    if loaded is not None:
        session.expire(loaded)  # the claim went around the session: reload on next use
    return item_id


def _is_member(session: Session, queue: Queue, user: User) -> bool:
    return session.scalar(select(_membership(queue, user.id)))


def _membership(queue: Queue, user_id) -> sa.Exists:
    """``user_id`` (a value or a bound parameter) is a member of ``queue``."""
    return exists().where(queue_members.c.queue_id == queue.id,
                          queue_members.c.user_id == user_id)


@dataclass(frozen=True)
class _ClaimStatements:
    claim: Executable  # returns the claimed item's id, or no row
    writes: tuple[Executable, ...]  # run after the claim with ``claimed_id`` (SQLite only)


def _statements(session: Session, queue: Queue, role: Role, members_only: bool,
                activity_keys: tuple[str, ...], audit_keys: tuple[str, ...]) -> _ClaimStatements:
    dialect = session.get_bind().dialect.name
    key = (dialect, queue.id, tuple(queue.kinds), tuple(queue.payer_ids),
           tuple(queue.categories), role, members_only, activity_keys, audit_keys)
    statements = _STATEMENTS.get(key)
    if statements is None:
        if len(_STATEMENTS) >= _STATEMENTS_LIMIT:
            _STATEMENTS.clear()
        claim = _claim_update(queue, role, members_only)
        if dialect == "postgresql":
            claimed = claim.returning(WorkItem.id, WorkItem.patient_id).cte("claimed")
            statements = _ClaimStatements(
                select(claimed.c.id)
                .add_cte(_activity_insert(claimed, activity_keys).cte("claim_activity"))
                .add_cte(_audit_insert(claimed, audit_keys).cte("claim_audit")),
                ())
        else:
            row = (select(WorkItem.id, WorkItem.patient_id)
                   .where(WorkItem.id == bindparam("claimed_id")).subquery())
            statements = _ClaimStatements(
                claim.returning(WorkItem.id),
                (_activity_insert(row, activity_keys), _audit_insert(row, audit_keys)))
        _STATEMENTS[key] = statements
    return statements


def _claim_update(queue: Queue, role: Role, members_only: bool) -> sa.Update:
    """``UPDATE work_items SET assignee … WHERE id = (best available id) AND unassigned``."""
    conditions = [
        *queue_conditions(queue),
        *available_conditions(bindparam("today", type_=sa.Date)),
        WorkItem.assignee_id.is_(None),
        ~WorkItem.is_deadline_missed,  # a missed deadline waits for a decision, not a claim
    ]
    kinds = WORKABLE_KINDS[role]
    if kinds != frozenset(WorkItemKind):  # a kind filter that excludes nothing only costs
        conditions.append(WorkItem.kind.in_([k.value for k in kinds]))
    if members_only:
        conditions.append(_membership(queue, bindparam("user_id")))
    candidate = (
        select(WorkItem.id)
        .where(and_(*conditions))
        .order_by(WorkItem.priority_score.desc(), WorkItem.id.desc())
        .limit(literal_column("1"))  # a bound LIMIT makes PostgreSQL re-plan every call
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    now = bindparam("now", type_=WorkItem.__table__.c.claimed_at.type)
    return (
        update(WorkItem.__table__)
        .where(WorkItem.id == candidate, WorkItem.assignee_id.is_(None))
        .values(assignee_id=bindparam("user_id"), claimed_at=now, last_touched_at=now,
                updated_at=now, version=WorkItem.version + 1)
    )


def _bound(model: type, prefix: str, keys: tuple[str, ...]) -> dict[str, sa.ColumnElement]:
    """One bound parameter per column, typed as the column (JSON, enums, timestamps)."""
    table = model.__table__
    return {key: bindparam(f"{prefix}{key}", type_=table.c[key].type) for key in keys}


def _activity_insert(claimed: FromClause, keys: tuple[str, ...]) -> sa.Insert:
    columns = {"work_item_id": claimed.c.id, **_bound(Activity, "activity_", keys)}
    return sa.insert(Activity.__table__).from_select(list(columns), select(*columns.values()))


def _audit_insert(claimed: FromClause, keys: tuple[str, ...]) -> sa.Insert:
    columns = {
        "object_id": cast(claimed.c.id, AuditEvent.__table__.c.object_id.type),
        "patient_id": claimed.c.patient_id,
        **_bound(AuditEvent, "audit_", keys),
    }
    return sa.insert(AuditEvent.__table__).from_select(list(columns), select(*columns.values()))
