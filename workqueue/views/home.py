"""The signed-in user's landing page (My work) and the site navigation shown on every page."""

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from workqueue.clock import utcnow
from workqueue.db import commit, get_session
from workqueue.domain.roles import Permission, has_permission
from workqueue.screens import (
    age_label,
    days_left,
    my_work,
    priority_text,
    short_date,
    status_tone,
    words,
)
from workqueue.security import current_actor, permission_of, requires
from workqueue.services import audit

bp = Blueprint("home", __name__)

# (endpoint, label, permission assumed when the view does not declare one)
NAV = (
    ("home.index", "My work", Permission.VIEW_WORK),
    ("queues.index", "Worklists", Permission.VIEW_WORK),
    ("visits.index", "Visits", Permission.VIEW_WORK),
    ("board.index", "Board", Permission.ASSIGN),
    ("reports.index", "Reports", Permission.VIEW_REPORTS),
    ("imports.index", "Imports", Permission.IMPORT_FILES),
    ("operations.index", "Operations", Permission.OPERATE_JOBS),
    ("admin.index", "Admin", Permission.ADMINISTER),
    ("notifications.index", "Notifications", Permission.VIEW_WORK),
)


def nav_links() -> list[dict]:
    """Links to the screens that exist in this build and that the user's role may open."""
    if not current_user.is_authenticated:
        return []
    links = []
    for endpoint, label, fallback in NAV:
        if endpoint not in current_app.view_functions:
            continue
        permission = permission_of(endpoint) or fallback
        if permission != "public" and not has_permission(current_user.role, permission):
            continue
        blueprint = endpoint.split(".")[0]
        links.append({"endpoint": endpoint, "label": label,
                      "active": request.blueprint == blueprint})
    return links


@bp.app_context_processor
def _screen_helpers() -> dict:
    return {"nav_links": nav_links, "priority_text": priority_text, "days_left": days_left,
            "age_label": age_label, "status_tone": status_tone, "words": words,
            "short_date": short_date, "has_endpoint": _has_endpoint}


def _has_endpoint(endpoint: str) -> bool:
    """Screens other parts of the product add are linked only once they exist."""
    return endpoint in current_app.view_functions


@bp.route("/")
@requires(Permission.VIEW_WORK)
def index():
    db = get_session()
    now = utcnow()
    work = my_work(db, current_user, now.date())
    audit.record(db, current_actor(), "search", "my_work", current_user.id, now=now,
                 context=f"{work.active_count + len(work.pended)} items")
    commit(db)
    return render_template("home/index.html", work=work, today=now.date())
