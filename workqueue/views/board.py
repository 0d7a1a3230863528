"""The supervisor board: load per person, unassigned work per queue, idle claims, bulk
assignment and each queue's auto-assignment rule."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for

from workqueue import reports
from workqueue.clock import utcnow
from workqueue.db import commit, get_session, rollback
from workqueue.domain.errors import DomainError, NotFound
from workqueue.domain.roles import Permission
from workqueue.forms import EmptyForm
from workqueue.forms.admin import options, show_domain_error
from workqueue.forms.board import BulkAssignForm, RoutingForm
from workqueue.models import Queue, User
from workqueue.security import current_actor, requires
from workqueue.services import queues as queue_service
from workqueue.services.assignment import release_idle_claims, release_work_item
from workqueue.services.work_items import get_work_item
from workqueue.views.reports import csv_response

bp = Blueprint("board", __name__, url_prefix="/board")


def _person(user: User) -> str:
    return f"{user.display_name} ({str(user.role).replace('_', ' ')})"


def _routing_form(queue: Queue, people: list[User], submitted: bool = False) -> RoutingForm:
    """The queue's rule form: from the POST when ``submitted``, else from the queue row."""
    if submitted:
        form = RoutingForm(prefix=f"q{queue.id}")
    else:
        form = RoutingForm(formdata=None, prefix=f"q{queue.id}", obj=queue,
                           member_ids=[m.id for m in queue.members])
    form.member_ids.choices = options((u.id, _person(u)) for u in people)
    return form


def _bulk_form(queues: list[Queue], people: list[User], submitted: bool = False):
    form = BulkAssignForm() if submitted else BulkAssignForm(formdata=None)
    form.queue_id.choices = options((q.id, q.name) for q in queues)
    form.assignee_id.choices = options((u.id, _person(u)) for u in people)
    return form


def _render(bulk=None, routing: dict | None = None, status: int = 200):
    db, now = get_session(), utcnow()
    hours = current_app.config["CLAIM_IDLE_HOURS"]
    queue_table, queues = reports.unassigned_by_queue(db, now.date())
    people = reports.assignable_people(db)
    forms = {q.id: _routing_form(q, people) for q in queues} | (routing or {})
    return render_template(
        "board/index.html", load=reports.load_by_person(db, now, hours), queue_table=queue_table,
        queues=queues, claims=reports.idle_claims(db, now, hours), idle_hours=hours,
        bulk=bulk or _bulk_form(queues, people), routing=forms, button=EmptyForm(),
        has_item_page="work_items.show" in current_app.view_functions), status


@bp.route("/")
@requires(Permission.VIEW_REPORTS)
def index():
    return _render()


@bp.route("/assign", methods=["POST"])
@requires(Permission.ASSIGN)
def bulk_assign():
    db = get_session()
    form = _bulk_form(reports.active_queues(db), reports.assignable_people(db), submitted=True)
    if form.validate_on_submit():
        try:
            result = queue_service.assign_top_unassigned(
                db, db.get(Queue, form.queue_id.data), form.count.data, form.assignee_id.data,
                current_actor(), utcnow())
            commit(db)
            skipped = f"; {len(result['skipped'])} skipped" if result["skipped"] else ""
            flash(f"Assigned {len(result['assigned'])} items{skipped}.", "success")
            return redirect(url_for("board.index"))
        except DomainError as error:
            rollback(db)
            show_domain_error(form, error)
    return _render(bulk=form, status=422)


@bp.route("/queues/<int:queue_id>/routing", methods=["POST"])
@requires(Permission.ASSIGN)
def routing(queue_id: int):
    db = get_session()
    queue = db.get(Queue, queue_id)
    if queue is None:
        raise NotFound(f"Queue {queue_id} does not exist.")
    form = _routing_form(queue, reports.assignable_people(db), submitted=True)
    if form.validate_on_submit():
        try:
            queue_service.set_routing(db, queue, form.strategy.data, form.is_skill_matched.data,
                                      tuple(form.member_ids.data or ()), current_actor(),
                                      utcnow())
            commit(db)
            flash(f"Routing of {queue.name} saved.", "success")
            return redirect(url_for("board.index", _anchor=f"queue-{queue.id}"))
        except DomainError as error:
            rollback(db)
            show_domain_error(form, error)
    return _render(routing={queue.id: form}, status=422)


@bp.route("/items/<int:item_id>/release", methods=["POST"])
@requires(Permission.ASSIGN)
def release(item_id: int):
    db = get_session()
    if EmptyForm().validate_on_submit():
        item = get_work_item(db, item_id, for_update=True)
        release_work_item(db, item, current_actor(), utcnow(), "Released from the board.")
        commit(db)
        flash(f"Item {item_id} is back in the pool.", "success")
    return redirect(url_for("board.index", _anchor="idle"))


@bp.route("/release-idle", methods=["POST"])
@requires(Permission.ASSIGN)
def release_idle():
    db = get_session()
    if EmptyForm().validate_on_submit():
        ids = release_idle_claims(db, utcnow(), current_app.config["CLAIM_IDLE_HOURS"])
        commit(db)
        flash(f"Released {len(ids)} idle claims." if ids else "No idle claims to release.",
              "success")
    return redirect(url_for("board.index", _anchor="idle"))


@bp.route("/<any(load, queues, idle):name>.csv")
@requires(Permission.VIEW_REPORTS)
def export(name: str):
    db, now = get_session(), utcnow()
    hours = current_app.config["CLAIM_IDLE_HOURS"]
    if name == "load":
        table = reports.load_by_person(db, now, hours)
    elif name == "queues":
        table = reports.unassigned_by_queue(db, now.date())[0]
    else:
        table = reports.idle_claims_table(reports.idle_claims(db, now, hours), now)
    return csv_response(table, f"board-{name}")
