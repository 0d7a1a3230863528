"""Worklists: the queues a user may open, one queue's filtered list, Get next, saved views and
supervisors' bulk actions."""

from urllib.parse import parse_qs, urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from workqueue.clock import utcnow
from workqueue.db import commit, get_session
from workqueue.domain.identifiers import MAX_ID
from workqueue.domain.roles import Permission, has_permission
from workqueue.forms import EmptyForm
from workqueue.forms.queues import (
    BulkActionForm,
    SavedViewForm,
    WorklistFilterForm,
    options,
    worklist_filter,
)
from workqueue.models import SavedView
from workqueue.queries import active_queue, open_counts_by_queue, queues_for_user
from workqueue.screens import (
    SORT_KEYS,
    may_open_queue,
    saved_views_for,
    worklist_choices,
    worklist_page,
)
from workqueue.security import current_actor, requires
from workqueue.services import audit, worklists
from workqueue.services.assignment import bulk_assign
from workqueue.services.get_next import claim_next

bp = Blueprint("queues", __name__, url_prefix="/queues")


def _queue_or_404(slug: str):
    queue = active_queue(get_session(), slug)
    if queue is None or not may_open_queue(current_user, queue):
        abort(404)
    return queue


@bp.route("/")
@requires(Permission.VIEW_WORK)
def index():
    db = get_session()
    queues = queues_for_user(db, current_user)
    counts = open_counts_by_queue(db, queues, utcnow().date())
    return render_template("queues/index.html", queues=queues, counts=counts)


@bp.route("/<slug>")
@requires(Permission.VIEW_WORK)
def show(slug: str):
    queue = _queue_or_404(slug)
    view_id = request.args.get("view", type=int)
    if view_id is not None:
        view = get_session().get(SavedView, view_id) if 0 < view_id <= MAX_ID else None
        if view is None or view.queue_id != queue.id or not (
                view.is_shared or view.owner_id == current_user.id):
            abort(404)
        return redirect(url_for("queues.show", slug=slug, **view.params))
    return _render_worklist(queue, request.args)


def _render_worklist(queue, args: MultiDict, *, bulk_form=None, view_form=None, status=200):
    """The worklist page (or, for htmx, only its results) for the query-string ``args``."""
    db = get_session()
    now = utcnow()
    payers, users = worklist_choices(db, queue)
    form = WorklistFilterForm(formdata=args)
    form.set_choices(payers, users)
    form.validate()
    page = worklist_page(db, worklist_filter(form, queue, current_user.id), now.date())
    audit.record(db, current_actor(), "search", "worklist", queue.id, now=now,
                 context=f"{queue.slug}: {len(page.items)} of {page.total} rows")
    commit(db)
    if bulk_form is None:
        bulk_form = BulkActionForm(formdata=None)
    bulk_form.assignee_id.choices = options([("", "Choose a person")]
                                            + [(u.id, u.display_name) for u in users])
    context = dict(queue=queue, form=form, page=page, users=users, sort_keys=SORT_KEYS,
                   args=args, bulk_form=bulk_form, view_form=view_form or SavedViewForm(
                       formdata=None), views=saved_views_for(db, current_user, queue),
                   can_assign=has_permission(current_user.role, Permission.ASSIGN),
                   query=urlencode([(k, v) for k, v in args.items(multi=True) if k != "page"]),
                   today=now.date(), missed=open_counts_by_queue(db, [queue], now.date())
                   .get(queue.id, {}).get("missed", 0))
    partial = request.headers.get("HX-Target") == "worklist-results"
    return render_template("queues/_results.html" if partial else "queues/show.html",
                           **context), status


@bp.route("/<slug>/next", methods=["POST"])
@requires(Permission.WORK_ITEMS)
def get_next(slug: str):
    queue = _queue_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    db = get_session()
    item_id = claim_next(db, current_user, queue, current_actor(), utcnow())
    commit(db)
    if item_id is None:
        flash(f"Nothing left in {queue.name}.", "info")
        return redirect(request.referrer or url_for("home.index"), 303)
    return redirect(url_for("work_items.show", item_id=item_id), 303)


@bp.route("/<slug>/bulk", methods=["POST"])
@requires(Permission.ASSIGN)
def bulk(slug: str):
    queue = _queue_or_404(slug)
    form = BulkActionForm()
    back = MultiDict(parse_qs(form.back.data or "", keep_blank_values=False))
    form.assignee_id.choices = options([("", "")] + [
        (u.id, u.display_name) for u in worklist_choices(get_session(), queue)[1]])
    if not form.validate_on_submit():
        return _render_worklist(queue, back, bulk_form=form, status=422)
    db, actor, now = get_session(), current_actor(), utcnow()
    if form.action.data == "assign":
        result = bulk_assign(db, form.ids.data, int(form.assignee_id.data), actor, now)
        done, verb = result["assigned"], "Assigned"
    elif form.action.data == "pend":
        result = worklists.bulk_pend(db, form.ids.data, form.pend_until.data, actor, now)
        done, verb = result["done"], "Pended"
    else:
        result = worklists.bulk_set_priority(db, form.ids.data, form.priority_override.data,
                                             actor, now)
        done, verb = result["done"], "Re-prioritised"
    commit(db)
    flash(f"{verb} {len(done)} item{'s' if len(done) != 1 else ''}.", "success")
    for item_id, why in sorted(result["skipped"].items())[:10]:
        flash(f"Item {item_id} skipped: {why}", "warning")
    return redirect(url_for("queues.show", slug=slug) + "?" + (form.back.data or ""), 303)


@bp.route("/<slug>/views", methods=["POST"])
@requires(Permission.VIEW_WORK)
def save_view(slug: str):
    queue = _queue_or_404(slug)
    form = SavedViewForm()
    params = MultiDict(parse_qs(form.params.data or ""))
    if not form.validate_on_submit():
        return _render_worklist(queue, params, view_form=form, status=422)
    db = get_session()
    view = worklists.save_view(db, current_user, queue, form.name.data, params.to_dict(),
                               is_shared=form.is_shared.data)
    commit(db)
    flash(f"Saved the view “{view.name}”{' for the team' if view.is_shared else ''}.", "success")
    return redirect(url_for("queues.show", slug=slug, **view.params), 303)


@bp.route("/<slug>/views/<int:view_id>/delete", methods=["POST"])
@requires(Permission.VIEW_WORK)
def delete_view(slug: str, view_id: int):
    _queue_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    db = get_session()
    worklists.delete_view(db, current_user, view_id)
    commit(db)
    flash("View deleted.", "success")
    return redirect(url_for("queues.show", slug=slug), 303)


@bp.app_template_global()
def worklist_url(slug: str, query: str, **changes) -> str:
    """A worklist URL with some query-string values replaced (sort headers, paging)."""
    args = {k: v[-1] for k, v in parse_qs(query).items()}
    args.update({k: v for k, v in changes.items() if v is not None})
    return url_for("queues.show", slug=slug) + "?" + urlencode(args)
