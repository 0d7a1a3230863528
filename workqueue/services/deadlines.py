"""Missed deadlines: the sweep that marks items whose deadline passed, and the decision a person
takes on one (late appeal with good cause, write-off, close). The rule is domain/deadlines.py.

An item is also marked (or unmarked) whenever it is scored: when it is opened, changes status
or gets a new deadline (``work_items.rescore``). The sweep catches the ones whose deadline
passes while nobody touches them, so it only ever marks.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from workqueue.domain.deadlines import (
    DECISION_LABELS,
    REASON_REQUIRED,
    MissedDecision,
    decision_walk,
    decisions_for,
    late_appeal_deadline,
)
from workqueue.domain.errors import Conflict, ValidationFailed
from workqueue.domain.rules import deadline_phrase, priority_score
from workqueue.models import ActivityKind, WorkItem
from workqueue.queries import newly_missed_conditions
from workqueue.services import audit
from workqueue.services.audit import Actor
from workqueue.services.work_items import (
    _log,
    check_version,
    require_can_work,
    rescore,
    transition_work_item,
)

SWEEP_BATCH = 1_000


def mark_missed_deadlines(session: Session, now: datetime, *, batch: int = SWEEP_BATCH) -> int:
    """Mark and rescore every open item whose deadline passed while it still binds; how many.

    Idempotent (a marked item is not selected again) and cheap when there is nothing to do:
    one range read of a partial index over live open items. The update leaves the items'
    version alone: nobody's open page of the item turns stale because a date went by. Flushes.
    """
    today = now.date()
    table = WorkItem.__table__
    marked = 0
    while True:
        rows = session.execute(
            select(WorkItem.id, WorkItem.amount, WorkItem.created_at,
                   WorkItem.priority_override)
            .where(*newly_missed_conditions(today))
            .order_by(WorkItem.id).limit(batch).with_for_update(skip_locked=True)
        ).all()
        if rows:
            session.execute(
                update(table).where(table.c.id == bindparam("item_id"))
                .values(is_deadline_missed=True, priority_score=bindparam("score")),
                [{"item_id": row.id,
                  "score": priority_score(row.amount, None, row.created_at.date(),
                                          row.priority_override, missed=True)}
                 for row in rows])
        marked += len(rows)
        if len(rows) < batch:
            return marked


@dataclass(frozen=True)
class MissedChoice:
    """One decision offered on a missed item, as the page shows it."""

    decision: MissedDecision
    label: str
    reason_required: bool


def missed_choices(item: WorkItem) -> list[MissedChoice]:
    """What a person may decide on this missed item (none when it has not missed a deadline)."""
    if not item.is_deadline_missed:
        return []
    return [MissedChoice(d, DECISION_LABELS[d], d in REASON_REQUIRED)
            for d in decisions_for(item.kind, item.status)]


def decide_missed_deadline(session: Session, item: WorkItem, decision: str, reason: str,
                           actor: Actor, now: datetime, *,
                           expected_version: int | None = None) -> WorkItem:
    """Carry out a person's decision on an item that missed its deadline.

    Each status step goes through ``transition_work_item`` (its timeline line and audit event);
    the decision itself is one more timeline line with the reason and one audit event. A late
    appeal gets a deadline of its own (``domain.deadlines.late_appeal_deadline``) and goes back
    on the worklists and into Get next.

    :raise Conflict: the item has not missed its deadline, or the decision does not fit it.
    :raise ValidationFailed: unknown decision, or a reason is required and missing.
    :raise StaleVersion, NotPermitted, InvalidTransition: as for any status change.
    """
    require_can_work(actor, item)
    check_version(item, expected_version)
    try:
        wanted = MissedDecision(decision)
    except ValueError:
        raise ValidationFailed("Choose late appeal, write-off or close.",
                               {"decision": "unknown"}) from None
    if not item.is_deadline_missed:
        raise Conflict(f"Item {item.id} has not missed its deadline; work it as usual.")
    steps = decision_walk(item.kind, item.status, wanted)
    if steps is None:
        raise Conflict(f"{DECISION_LABELS[wanted]} is not possible for this item as it stands; "
                       "choose another decision.")
    reason = (reason or "").strip()
    if wanted in REASON_REQUIRED and not reason:
        raise ValidationFailed(f"Say why ({DECISION_LABELS[wanted].lower()}).",
                               {"reason": "required"})
    missed = deadline_phrase(item.deadline_on, item.deadline_kind, now.date())
    body = f"Deadline missed ({missed}): {DECISION_LABELS[wanted].lower()}."
    if reason:
        body += f" {reason[:2000]}"
    _log(session, item, ActivityKind.SYSTEM, actor, now, body,
                 data={"decision": wanted.value, "missed_deadline": item.deadline_on.isoformat(),
                       "deadline_kind": item.deadline_kind})
    audit.record(session, actor, "update", "work_item", item.id, now=now,
                 patient_id=item.patient_id, context=f"missed deadline: {wanted.value}")
    if wanted is MissedDecision.LATE_APPEAL:
        deadline = late_appeal_deadline(now.date())
        item.deadline_on, item.deadline_kind = deadline.on, deadline.kind
        item.due_on = deadline.due_on
        rescore(item, now.date())
    for step in steps:
        transition_work_item(session, item, step, actor, now,
                             note=f"{DECISION_LABELS[wanted]} after a missed deadline.")
    session.flush()
    return item
