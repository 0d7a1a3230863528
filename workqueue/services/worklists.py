"""Worklist actions beyond one item: saved views, and supervisors' bulk pend and re-prioritise.

Bulk functions mirror ``assignment.bulk_assign``: an item that cannot take the change is
reported with the reason, the others go through, all in the caller's transaction.
"""

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workqueue.domain.errors import DomainError, NotFound, NotPermitted, ValidationFailed
from workqueue.domain.roles import Permission, has_permission
from workqueue.models import Queue, SavedView, User, WorkItem
from workqueue.services.audit import Actor
from workqueue.services.work_items import pend_work_item, update_work_item

# Query-string keys a saved view keeps; anything else in the URL is dropped.
VIEW_KEYS = ("kind", "status", "payer", "assignee", "due_from", "due_to", "aging",
             "amount_min", "amount_max", "pended", "deadline", "sort", "dir", "per_page")


def save_view(session: Session, user: User, queue: Queue, name: str, params: dict,
              *, is_shared: bool) -> SavedView:
    """Keep the worklist's filters under ``name``, replacing the user's view of that name.

    Anyone may share a view with the team; only its owner or a supervisor deletes it.

    :raise ValidationFailed: the name is empty.
    """
    name = (name or "").strip()[:80]
    if not name:
        raise ValidationFailed("Give the view a name.", {"name": "required"})
    kept = {k: str(v) for k, v in params.items() if k in VIEW_KEYS and str(v) != ""}
    view = session.scalar(select(SavedView).where(
        SavedView.owner_id == user.id, SavedView.queue_id == queue.id, SavedView.name == name))
    if view is None:
        view = SavedView(owner_id=user.id, queue_id=queue.id, name=name)
        session.add(view)
    view.params = kept
    view.is_shared = bool(is_shared)
    session.flush()
    return view


def delete_view(session: Session, user: User, view_id: int) -> None:
    """:raise NotFound, NotPermitted: only the owner or a supervisor removes a view."""
    view = session.get(SavedView, view_id)
    if view is None:
        raise NotFound(f"Saved view {view_id} does not exist.")
    if view.owner_id != user.id and not has_permission(user.role, Permission.ASSIGN):
        raise NotPermitted("Only the owner or a supervisor can delete this view.")
    session.delete(view)
    session.flush()


def _bulk(session: Session, item_ids: list[int], actor: Actor, change) -> dict:
    if actor.role is not None and not has_permission(actor.role, Permission.ASSIGN):
        raise NotPermitted("Only a supervisor can change many items at once.")
    ids = sorted({int(i) for i in item_ids})
    items = session.scalars(
        select(WorkItem).where(WorkItem.id.in_(ids)).order_by(WorkItem.id).with_for_update()
    ).all()
    found = {item.id for item in items}
    done: list[int] = []
    skipped: dict[int, str] = {i: "not found" for i in ids if i not in found}
    for item in items:
        try:
            with session.begin_nested():
                change(item)
            done.append(item.id)
        except DomainError as error:  # closed, wrong kind, bad date: report, keep the rest
            skipped[item.id] = error.message
    return {"done": done, "skipped": skipped}


def bulk_pend(session: Session, item_ids: list[int], until: date, actor: Actor,
              now: datetime) -> dict:
    """Pend every selected item until ``until``; returns {"done": [...], "skipped": {id: why}}."""
    return _bulk(session, item_ids, actor,
                 lambda item: pend_work_item(session, item, until, actor, now))


def bulk_set_priority(session: Session, item_ids: list[int], override: int, actor: Actor,
                      now: datetime) -> dict:
    """Set the priority boost (in days of urgency) on every selected item."""
    return _bulk(session, item_ids, actor,
                 lambda item: update_work_item(session, item, {"priority_override": override},
                                               actor, now, expected_version=None))
