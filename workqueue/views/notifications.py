"""In-app notifications: the list, mark read, mark all read, the e-mail preference, and the
unread count every page shows in the navigation."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from workqueue.clock import utcnow
from workqueue.db import commit, get_session
from workqueue.domain.identifiers import MAX_ID
from workqueue.domain.roles import Permission
from workqueue.forms import EmptyForm
from workqueue.forms.letters import EmailSettingsForm
from workqueue.security import requires
from workqueue.services import notifications

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE = 50


@bp.app_context_processor
def _unread_count() -> dict:
    if not getattr(current_user, "is_authenticated", False):
        return {}
    try:
        return {"notifications_unread": notifications.unread_count(get_session(),
                                                                   current_user.id)}
    except SQLAlchemyError:  # an error page after a failed transaction: render without it
        return {}


@bp.get("")
@requires(Permission.VIEW_WORK)
def index():
    unread_only = request.args.get("unread") == "1"
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before <= MAX_ID:
        before = None  # names no notification: the first page
    rows = notifications.notifications_for(get_session(), current_user.id,
                                           unread_only=unread_only, limit=PAGE, before_id=before)
    return render_template("notifications/index.html", notes=rows, unread_only=unread_only,
                           more=len(rows) == PAGE, form=EmptyForm())


@bp.post("/<int:notification_id>/read")
@requires(Permission.VIEW_WORK)
def read(notification_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    db = get_session()
    notifications.mark_read(db, notification_id, current_user.id, utcnow())
    commit(db)
    return redirect(request.referrer or url_for(".index"), 303)


@bp.post("/read-all")
@requires(Permission.VIEW_WORK)
def read_all():
    if not EmptyForm().validate_on_submit():
        abort(400)
    db = get_session()
    count = notifications.mark_all_read(db, current_user.id, utcnow())
    commit(db)
    flash(f"{count} notifications marked read.", "success")
    return redirect(url_for(".index"), 303)


@bp.route("/settings", methods=["GET", "POST"])
@requires(Permission.VIEW_WORK)
def settings():
    db = get_session()
    form = EmailSettingsForm(email_mode=notifications.email_mode(db, current_user.id).value)
    if form.validate_on_submit():
        notifications.set_email_mode(db, current_user.id, form.email_mode.data)
        commit(db)
        flash("E-mail preference saved.", "success")
        return redirect(url_for(".settings"), 303)
    return render_template("notifications/settings.html", form=form,
                           has_email=bool(current_user.email)), 422 if form.errors else 200
