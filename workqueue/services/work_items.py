"""Work items: create, change status (the only writer of ``status``), edit, pend, notes, calls.

Every function takes the acting user and ``now`` as parameters, flushes, and leaves the commit
to the caller. Follow-up work a transition sets in motion (FOLLOW_UPS in domain/status.py) is
carried out here, in the same transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from workqueue.domain.deadlines import binding_deadline, is_deadline_missed
from workqueue.domain.errors import NotFound, NotPermitted, StaleVersion, ValidationFailed
from workqueue.domain.roles import Permission, can_work_kind, has_permission
from workqueue.domain.rules import compute_deadline, priority_score
from workqueue.domain.status import (
    FOLLOW_UPS,
    WorkItemKind,
    check_transition,
    initial_status,
    is_terminal,
)
from workqueue.models import (
    Activity,
    ActivityKind,
    Authorization,
    Claim,
    Coverage,
    Denial,
    InfusionVisit,
    Patient,
    Payer,
    WorkItem,
)
from workqueue.services import audit
from workqueue.services.audit import Actor
from workqueue.services.payers import rules_for

if TYPE_CHECKING:
    from workqueue.services.assignment import Routing


def get_work_item(session: Session, item_id: int, *, for_update: bool = False) -> WorkItem:
    stmt = select(WorkItem).where(WorkItem.id == item_id)
    if for_update:
        stmt = stmt.with_for_update()
    item = session.scalar(stmt)
    if item is None:
        raise NotFound(f"Work item {item_id} does not exist.")
    return item


def check_version(item: WorkItem, expected_version: int | None) -> None:
    """Refuse a save based on an older read of the item (optimistic concurrency)."""
    if expected_version is not None and int(expected_version) != item.version:
        raise StaleVersion(
            f"Work item {item.id} was changed by someone else (you had version "
            f"{expected_version}, it is now {item.version}). Reload to see the changes.",
            {"current_version": item.version, "your_version": int(expected_version)},
        )


def require_can_work(actor: Actor, item: WorkItem) -> None:
    if actor.role is None:  # system actors (jobs, sweeps) act on any item
        return
    if not has_permission(actor.role, Permission.WORK_ITEMS) or not can_work_kind(
        actor.role, item.kind
    ):
        raise NotPermitted(f"Your role ({actor.role}) cannot work {item.kind} items.")


def _log(session: Session, item: WorkItem, kind: ActivityKind, actor: Actor, now: datetime,
         body: str = "", **fields) -> Activity:
    activity = Activity(
        work_item_id=item.id, kind=kind, actor_id=actor.user_id, at=now, body=body, **fields
    )
    session.add(activity)
    item.last_touched_at = now
    item.updated_at = now
    return activity


def rescore(item: WorkItem, today: date) -> None:
    """Set the item's priority and whether it has missed its deadline (the two go together:
    a missed item ranks below every live one)."""
    item.is_deadline_missed = is_deadline_missed(item.kind, item.status, item.deadline_on, today)
    item.priority_score = priority_score(
        item.amount, binding_deadline(item.kind, item.status, item.deadline_on),
        item.created_at.date(), item.priority_override, missed=item.is_deadline_missed,
    )


@dataclass(frozen=True)
class NewWorkItem:
    """What a caller knows when it opens an item; deadlines are computed from payer rules."""

    kind: str
    title: str
    patient_id: int | None = None
    coverage_id: int | None = None
    payer_id: int | None = None
    authorization_id: int | None = None
    claim_id: int | None = None
    denial_id: int | None = None
    visit_id: int | None = None
    category: str | None = None
    amount: Decimal = Decimal("0")
    service_date: date | None = None
    denied_on: date | None = None
    appeal_level: int = 1
    submitted_on: date | None = None
    auth_end: date | None = None
    due_on: date | None = None  # overrides the computed due date
    assignee_id: int | None = None


def create_work_item(
    session: Session, new: NewWorkItem, actor: Actor, now: datetime, *, auto_assign: bool = True,
    routing: "Routing | None" = None,
) -> WorkItem:
    """Open a work item, compute its deadline/due date/priority, and route it.

    ``routing`` (``services.assignment.load_routing``) is passed on to auto-assignment by
    callers that open many items in one transaction.

    :raise ValidationFailed: unknown kind, negative amount, or an empty title.
    """
    try:
        kind = WorkItemKind(new.kind)
    except ValueError:
        raise ValidationFailed(
            f"Unknown kind {new.kind!r}; choose one of {', '.join(k.value for k in WorkItemKind)}.",
            {"kind": "unknown"},
        ) from None
    if not new.title or not new.title.strip():
        raise ValidationFailed("A title is required.", {"title": "required"})
    if Decimal(new.amount) < 0:
        raise ValidationFailed("Amount cannot be negative.", {"amount": "negative"})
    _check_links(session, new)
    visit_id = new.visit_id
    if visit_id is None and new.claim_id is not None:
        # Work on a claim is also about the infusion it bills: its coding check shows on the
        # item and flags it in worklists.
        visit_id = session.get(Claim, new.claim_id).visit_id
    payer = session.get(Payer, new.payer_id) if new.payer_id else None
    deadline = compute_deadline(
        kind,
        rules_for(payer),
        today=now.date(),
        service_date=new.service_date,
        denied_on=new.denied_on,
        appeal_level=new.appeal_level,
        submitted_on=new.submitted_on,
        auth_end=new.auth_end,
    )
    item = WorkItem(
        kind=kind,
        status=initial_status(kind),
        is_open=True,
        title=new.title.strip()[:200],
        patient_id=new.patient_id,
        coverage_id=new.coverage_id,
        payer_id=new.payer_id,
        authorization_id=new.authorization_id,
        claim_id=new.claim_id,
        denial_id=new.denial_id,
        visit_id=visit_id,
        category=new.category,
        amount=Decimal(new.amount),
        service_date=new.service_date,
        deadline_on=deadline.on,
        deadline_kind=deadline.kind,
        due_on=new.due_on or deadline.due_on,
        created_at=now,
        updated_at=now,
        last_touched_at=now,
        priority_override=0,
        version=1,
    )
    rescore(item, now.date())
    session.add(item)
    session.flush()
    _log(session, item, ActivityKind.SYSTEM, actor, now, "Item opened.")
    audit.record(session, actor, "create", "work_item", item.id, now=now,
                 patient_id=item.patient_id)
    if new.assignee_id is not None:
        from workqueue.services.assignment import assign_work_item

        assign_work_item(session, item, new.assignee_id, actor, now)
    elif auto_assign:
        from workqueue.services.assignment import auto_assign_item

        auto_assign_item(session, item, now, routing)
    return item


_LINKS = (
    ("patient_id", Patient, "Patient"),
    ("coverage_id", Coverage, "Coverage"),
    ("payer_id", Payer, "Payer"),
    ("authorization_id", Authorization, "Authorization"),
    ("claim_id", Claim, "Claim"),
    ("denial_id", Denial, "Denial"),
    ("visit_id", InfusionVisit, "Infusion visit"),
)


def _check_links(session: Session, new: NewWorkItem) -> None:
    """Every linked record must exist: a clear 422 instead of a foreign-key error."""
    missing = {
        field: "unknown"
        for field, model, _label in _LINKS
        if getattr(new, field) is not None and session.get(model, getattr(new, field)) is None
    }
    if missing:
        labels = {field: label for field, _model, label in _LINKS}
        described = ", ".join(f"{labels[f]} {getattr(new, f)}" for f in missing)
        raise ValidationFailed(f"These linked records do not exist: {described}.", missing)


def transition_work_item(
    session: Session,
    item: WorkItem,
    target: str,
    actor: Actor,
    now: datetime,
    *,
    note: str = "",
    expected_version: int | None = None,
) -> WorkItem:
    """Move an item to ``target`` if its kind's table allows it; the only writer of status.

    Writes the status-change activity and an audit event, and carries out the follow-up the
    transition sets in motion.

    :raise InvalidTransition: the table does not allow it (lists the allowed targets).
    :raise StaleVersion: ``expected_version`` is not the item's current version.
    :raise NotPermitted: the actor's role cannot work this kind.
    """
    require_can_work(actor, item)
    check_version(item, expected_version)
    wanted = check_transition(item.kind, item.status, target)
    previous = item.status
    item.status = wanted
    item.is_open = not is_terminal(item.kind, wanted)
    if not item.is_open:
        item.closed_at = now
        item.pended_until = None
    rescore(item, now.date())  # a status the deadline no longer binds ends a miss, and back
    _log(session, item, ActivityKind.STATUS_CHANGE, actor, now, note.strip(),
         from_status=previous.value, to_status=wanted.value)
    audit.record(session, actor, "update", "work_item", item.id, now=now,
                 patient_id=item.patient_id, context=f"status {previous.value}->{wanted.value}")
    action = FOLLOW_UPS.get((WorkItemKind(item.kind), wanted))
    if action:
        _FOLLOW_UP_ACTIONS[action](session, item, actor, now)
    session.flush()
    return item


def _expect_payer_decision(session: Session, item: WorkItem, actor: Actor, now: datetime) -> None:
    """Waiting on the payer: come back when a decision is due (payer turnaround)."""
    days = item.payer.auth_turnaround_days if item.payer else 7
    if item.kind == WorkItemKind.AR_FOLLOWUP and item.payer:
        days = min(item.payer.ar_followup_days, 14)
    _pend(session, item, now.date() + timedelta(days=days), actor, now,
          "Waiting on the payer's decision.")


def _expect_appeal_decision(session: Session, item: WorkItem, actor: Actor, now: datetime) -> None:
    level = item.denial.appeal_level if item.denial else 1
    days = 30
    if item.payer:
        for row in item.payer.appeal_levels:
            if row.level == level and row.decision_days:
                days = row.decision_days
    _pend(session, item, now.date() + timedelta(days=days), actor, now,
          f"Appeal level {level} submitted; expecting the payer's decision.")


def _schedule_reauthorization(session: Session, item: WorkItem, actor: Actor,
                              now: datetime) -> None:
    """An approved auth gets its re-authorization work opened ahead of expiry."""
    auth = item.authorization
    if auth is None or auth.end_date is None:
        return
    create_work_item(
        session,
        NewWorkItem(
            kind=WorkItemKind.PRIOR_AUTH,
            title=f"Re-authorization {auth.drug_code}",
            patient_id=item.patient_id,
            coverage_id=item.coverage_id,
            payer_id=item.payer_id,
            authorization_id=auth.id,
            category=item.category,
            amount=item.amount,
            auth_end=auth.end_date,
        ),
        Actor.system(actor.channel),
        now,
    )


def _open_next_appeal_level(session: Session, item: WorkItem, actor: Actor,
                            now: datetime) -> None:
    """An upheld appeal moves the denial to the next level, with that level's deadline."""
    denial = item.denial
    if denial is None:
        return
    denial.appeal_level += 1
    window = item.payer.appeal_window_days(denial.appeal_level) if item.payer else None
    if window is None:
        _log(session, item, ActivityKind.SYSTEM, actor, now,
             f"No appeal level {denial.appeal_level} on file for this payer.")
        return
    item.deadline_on = now.date() + timedelta(days=window)
    item.deadline_kind = "appeal"
    item.due_on = max(now.date(), item.deadline_on - timedelta(days=7))
    rescore(item, now.date())
    _log(session, item, ActivityKind.SYSTEM, actor, now,
         f"Appeal level {denial.appeal_level} due by {item.deadline_on.isoformat()}.")


def _spawn_denial(session: Session, item: WorkItem, actor: Actor, now: datetime) -> None:
    """An AR follow-up resolved as denied opens a denial item on the same claim."""
    claim = item.claim
    denial = None
    if claim is not None:
        denial = Denial(claim_id=claim.id, denied_on=now.date(), group_code="CO",
                        carc_codes="", category="other", amount=claim.balance)
        session.add(denial)
        session.flush()
    create_work_item(
        session,
        NewWorkItem(
            kind=WorkItemKind.DENIAL,
            title=f"Denial on claim {claim.claim_number}" if claim else "Denial",
            patient_id=item.patient_id,
            coverage_id=item.coverage_id,
            payer_id=item.payer_id,
            claim_id=item.claim_id,
            denial_id=denial.id if denial else None,
            category="other",
            amount=item.amount,
            service_date=item.service_date,
            denied_on=now.date(),
        ),
        Actor.system(actor.channel),
        now,
    )


_FOLLOW_UP_ACTIONS: dict[str, Callable[[Session, WorkItem, Actor, datetime], None]] = {
    "expect_payer_decision": _expect_payer_decision,
    "expect_appeal_decision": _expect_appeal_decision,
    "schedule_reauthorization": _schedule_reauthorization,
    "open_next_appeal_level": _open_next_appeal_level,
    "spawn_denial": _spawn_denial,
}


def _pend(session: Session, item: WorkItem, until: date, actor: Actor, now: datetime,
          note: str) -> None:
    # Pending an item already pended extends the same pause: it keeps the day the pause
    # began, so the return moves the SLA due date by all the days waited, not the last leg.
    if item.pended_until is None or item.pended_at is None:
        item.pended_at = now
    item.pended_until = until
    _log(session, item, ActivityKind.PEND, actor, now, note, data={"until": until.isoformat()})


def pend_work_item(
    session: Session,
    item: WorkItem,
    until: date,
    actor: Actor,
    now: datetime,
    *,
    note: str = "",
    expected_version: int | None = None,
) -> WorkItem:
    """Park an item until ``until``: it leaves the active list and its SLA clock pauses.

    :raise ValidationFailed: ``until`` is not after today, or the item is closed.
    """
    require_can_work(actor, item)
    check_version(item, expected_version)
    if not item.is_open:
        raise ValidationFailed("A closed item cannot be pended.", {"pended_until": "closed"})
    if until <= now.date():
        raise ValidationFailed("Pend until a date after today.", {"pended_until": "not future"})
    if until > now.date() + timedelta(days=365):
        raise ValidationFailed("Pend for at most a year.", {"pended_until": "too far"})
    _pend(session, item, until, actor, now, note.strip() or f"Pended until {until.isoformat()}.")
    audit.record(session, actor, "update", "work_item", item.id, now=now,
                 patient_id=item.patient_id, context="pend")
    session.flush()
    return item


def return_pended_item(session: Session, item: WorkItem, actor: Actor, now: datetime,
                       reason: str = "Back from pending.") -> WorkItem:
    """Bring a pended item back to the active list; the pause moves its SLA due date."""
    if item.pended_until is None:
        return item
    if item.pended_at is not None and item.due_on is not None:
        paused = (now.date() - item.pended_at.date()).days
        if paused > 0:
            item.due_on = item.due_on + timedelta(days=paused)
    item.pended_until = None
    item.pended_at = None
    _log(session, item, ActivityKind.PEND, actor, now, reason)
    session.flush()
    return item


def return_due_pended_items(session: Session, now: datetime, limit: int = 1000) -> list[int]:
    """Return every item whose pend date has come; ids of the items returned."""
    items = session.scalars(
        select(WorkItem)
        .where(WorkItem.pended_until.is_not(None), WorkItem.pended_until <= now.date())
        .order_by(WorkItem.id)
        .limit(limit)
    ).all()
    for item in items:
        return_pended_item(session, item, Actor.system(), now)
    return [item.id for item in items]


EDITABLE_FIELDS = ("due_on", "pended_until", "priority_override", "assignee_id", "title",
                   "amount", "category")


def update_work_item(
    session: Session,
    item: WorkItem,
    changes: dict,
    actor: Actor,
    now: datetime,
    *,
    expected_version: int | None,
) -> WorkItem:
    """Edit an item's fields, refusing a stale save. Assignment and pending keep their rules.

    :raise StaleVersion, ValidationFailed, NotPermitted
    """
    require_can_work(actor, item)
    check_version(item, expected_version)
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(f"These fields cannot be edited: {', '.join(unknown)}.",
                               {name: "not editable" for name in unknown})
    if "priority_override" in changes and not has_permission(actor.role or "admin",
                                                             Permission.ASSIGN):
        raise NotPermitted("Only a supervisor can change an item's priority.")
    if "assignee_id" in changes:
        from workqueue.services.assignment import assign_work_item, release_work_item

        if changes["assignee_id"] is None:
            release_work_item(session, item, actor, now)
        else:
            assign_work_item(session, item, int(changes["assignee_id"]), actor, now)
    if "pended_until" in changes:
        if changes["pended_until"] is None:
            return_pended_item(session, item, actor, now, "Returned from pending by hand.")
        else:
            pend_work_item(session, item, changes["pended_until"], actor, now)
    changed = []
    for name in ("due_on", "priority_override", "title", "amount", "category"):
        if name in changes and getattr(item, name) != changes[name]:
            setattr(item, name, changes[name])
            changed.append(name)
    if {"priority_override", "amount"} & set(changed):
        rescore(item, now.date())
    if changed:
        _log(session, item, ActivityKind.EDIT, actor, now, "Changed " + ", ".join(changed) + ".",
             data={name: str(changes[name]) for name in changed})
        audit.record(session, actor, "update", "work_item", item.id, now=now,
                     patient_id=item.patient_id, context="edit " + ",".join(changed))
    session.flush()
    return item


def add_note(session: Session, item: WorkItem, body: str, actor: Actor, now: datetime) -> Activity:
    """Add a free-text note to the item's timeline."""
    require_can_work(actor, item)
    if not body or not body.strip():
        raise ValidationFailed("The note is empty.", {"body": "required"})
    activity = _log(session, item, ActivityKind.NOTE, actor, now, body.strip()[:5000])
    audit.record(session, actor, "update", "work_item", item.id, now=now,
                 patient_id=item.patient_id, context="note")
    session.flush()
    return activity


@dataclass(frozen=True)
class CallLog:
    """A phone call about the item: who was called, reference number, outcome, next step."""

    party: str
    outcome: str
    reference: str = ""
    next_step: str = ""
    follow_up_on: date | None = None


def log_call(session: Session, item: WorkItem, call: CallLog, actor: Actor,
             now: datetime) -> Activity:
    """Record a call; with a follow-up date the item is pended until then."""
    require_can_work(actor, item)
    errors = {}
    if not call.party.strip():
        errors["party"] = "required"
    if not call.outcome.strip():
        errors["outcome"] = "required"
    if errors:
        raise ValidationFailed("Say who was called and what came of it.", errors)
    body = f"Called {call.party.strip()}: {call.outcome.strip()}"
    activity = _log(
        session, item, ActivityKind.CALL, actor, now, body[:5000],
        data={"party": call.party.strip(), "reference": call.reference.strip(),
              "outcome": call.outcome.strip(), "next_step": call.next_step.strip()},
    )
    if call.follow_up_on is not None:
        pend_work_item(session, item, call.follow_up_on, actor, now,
                       note=call.next_step.strip() or "Follow up after the call.")
    audit.record(session, actor, "update", "work_item", item.id, now=now,
                 patient_id=item.patient_id, context="call")
    session.flush()
    return activity
