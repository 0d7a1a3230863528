"""The work-item page: everything about one item on one screen, and the forms that change it.

Every form carries the item version it was rendered from. A save based on an older read is
refused (StaleVersion) and the page comes back showing what changed since, with the user's
typed text still in the form.
"""

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from workqueue.clock import utcnow
from workqueue.db import commit, get_session, rollback
from workqueue.domain.errors import Conflict, StaleVersion, ValidationFailed
from workqueue.domain.roles import Permission, can_work_kind, has_permission
from workqueue.forms.queues import options
from workqueue.forms.work_items import (
    AssignForm,
    CallLogForm,
    ItemActionForm,
    MissedDeadlineForm,
    NoteForm,
    PendForm,
    PriorityForm,
    TransitionForm,
)
from workqueue.screens import activities_since, load_item_page
from workqueue.security import current_actor, requires
from workqueue.services import audit
from workqueue.services.assignment import assign_work_item, release_work_item
from workqueue.services.deadlines import decide_missed_deadline
from workqueue.services.work_items import (
    CallLog,
    add_note,
    check_version,
    get_work_item,
    log_call,
    pend_work_item,
    transition_work_item,
    update_work_item,
)

bp = Blueprint("work_items", __name__, url_prefix="/work-items")

FORMS = {"note": NoteForm, "call": CallLogForm, "transition": TransitionForm, "pend": PendForm,
         "assign": AssignForm, "priority": PriorityForm, "action": ItemActionForm,
         "missed": MissedDeadlineForm}
# Service error keys that name a differently called form field.
_FIELD_ALIASES = {"pended_until": ("until", "follow_up_on"), "assignee_id": ("assignee_id",),
                  "body": ("body",), "party": ("party",), "outcome": ("outcome",)}


@bp.route("/<int:item_id>")
@requires(Permission.VIEW_WORK)
def show(item_id: int):
    return _render(item_id)


def _render(item_id: int, submitted: dict | None = None, stale=None, status: int = 200):
    db, now = get_session(), utcnow()
    page = load_item_page(db, item_id)
    if page is None:
        abort(404)
    audit.record(db, current_actor(), "view", "work_item", item_id, now=now,
                 patient_id=page.item.patient_id)
    commit(db)
    forms = {name: cls(formdata=None) for name, cls in FORMS.items()}
    forms.update(submitted or {})
    for form in forms.values():  # a resubmission acts on what the user now sees
        form.version.data = str(page.item.version)
        form.seen_activity.data = str(page.last_activity_id)
    if "assign" not in (submitted or {}):
        forms["assign"].assignee_id.data = page.item.assignee_id
    forms["assign"].assignee_id.choices = options((u.id, u.display_name) for u in page.assignable)
    return render_template(
        "work_items/show.html", page=page, item=page.item, forms=forms, stale=stale,
        today=now.date(), can_work=can_work_kind(current_user.role, page.item.kind)
        and has_permission(current_user.role, Permission.WORK_ITEMS),
        can_assign=has_permission(current_user.role, Permission.ASSIGN)), status


def _submit(item_id: int, name: str, action: Callable, message: str):
    """Validate the named form, run ``action(db, item, form, actor, now)``, commit, redirect."""
    form = FORMS[name]()
    if name == "assign":
        form.assignee_id.validate_choice = False  # the service checks who may take it
    if not form.validate_on_submit():
        return _render(item_id, {name: form}, status=422)
    db = get_session()
    item = get_work_item(db, item_id)
    try:
        check_version(item, int(form.version.data))
        action(db, item, form, current_actor(), utcnow())
        commit(db)
    except (StaleVersion, StaleDataError):
        rollback(db)
        changes = activities_since(db, item_id, int(form.seen_activity.data or 0))
        return _render(item_id, {name: form}, stale=changes, status=409)
    except ValidationFailed as error:
        rollback(db)
        _attach_errors(form, error)
        return _render(item_id, {name: form}, status=422)
    except Conflict as error:  # the item moved on meanwhile: say so on the page
        rollback(db)
        form.form_errors.append(error.message)
        return _render(item_id, {name: form}, status=409)
    flash(message, "success")
    return redirect(url_for("work_items.show", item_id=item_id), 303)


def _attach_errors(form, error: ValidationFailed) -> None:
    placed = False
    for key in error.details or {}:
        for field_name in _FIELD_ALIASES.get(key, (key,)):
            field = getattr(form, field_name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, error.message]
                placed = True
                break
    if not placed:
        form.form_errors.append(error.message)


@bp.route("/<int:item_id>/notes", methods=["POST"])
@requires(Permission.WORK_ITEMS)
def note(item_id: int):
    return _submit(item_id, "note", lambda db, item, f, actor, now: add_note(
        db, item, f.body.data, actor, now), "Note added.")


@bp.route("/<int:item_id>/calls", methods=["POST"])
@requires(Permission.WORK_ITEMS)
def call(item_id: int):
    def act(db, item, f, actor, now):
        log_call(db, item, CallLog(party=f.party.data, outcome=f.outcome.data,
                                   reference=f.reference.data or "",
                                   next_step=f.next_step.data or "",
                                   follow_up_on=f.follow_up_on.data), actor, now)
    return _submit(item_id, "call", act, "Call logged.")


@bp.route("/<int:item_id>/transition", methods=["POST"])
@requires(Permission.WORK_ITEMS)
def transition(item_id: int):
    return _submit(item_id, "transition", lambda db, item, f, actor, now: transition_work_item(
        db, item, f.target.data, actor, now, note=f.note.data or ""), "Status changed.")


@bp.route("/<int:item_id>/pend", methods=["POST"])
@requires(Permission.WORK_ITEMS)
def pend(item_id: int):
    return _submit(item_id, "pend", lambda db, item, f, actor, now: pend_work_item(
        db, item, f.until.data, actor, now, note=f.note.data or ""), "Item pended.")


@bp.route("/<int:item_id>/unpend", methods=["POST"])
@requires(Permission.WORK_ITEMS)
def unpend(item_id: int):
    return _submit(item_id, "action", lambda db, item, f, actor, now: update_work_item(
        db, item, {"pended_until": None}, actor, now, expected_version=None),
        "Item is back on the active list.")


@bp.route("/<int:item_id>/claim", methods=["POST"])
@requires(Permission.WORK_ITEMS)
def claim(item_id: int):
    return _submit(item_id, "action", lambda db, item, f, actor, now: assign_work_item(
        db, item, current_user.id, actor, now), "The item is yours.")


@bp.route("/<int:item_id>/release", methods=["POST"])
@requires(Permission.WORK_ITEMS)
def release(item_id: int):
    return _submit(item_id, "action", lambda db, item, f, actor, now: release_work_item(
        db, item, actor, now), "Released to the pool.")


@bp.route("/<int:item_id>/assign", methods=["POST"])
@requires(Permission.ASSIGN)
def assign(item_id: int):
    return _submit(item_id, "assign", lambda db, item, f, actor, now: assign_work_item(
        db, item, f.assignee_id.data, actor, now), "Assigned.")


@bp.route("/<int:item_id>/priority", methods=["POST"])
@requires(Permission.ASSIGN)
def priority(item_id: int):
    return _submit(item_id, "priority", lambda db, item, f, actor, now: update_work_item(
        db, item, {"priority_override": f.priority_override.data}, actor, now,
        expected_version=None), "Priority changed.")


@bp.route("/<int:item_id>/missed-deadline", methods=["POST"])
@requires(Permission.WORK_ITEMS)
def decide_missed(item_id: int):
    return _submit(item_id, "missed", lambda db, item, f, actor, now: decide_missed_deadline(
        db, item, f.decision.data, f.reason.data or "", actor, now), "Decision recorded.")
