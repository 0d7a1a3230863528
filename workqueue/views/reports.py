"""Dashboards for supervisors: KPIs, queue depth, AR aging, SLA breaches, denial trends,
productivity; each table also as a chart and as a CSV download (audited as an export)."""

from flask import Blueprint, Response, abort, redirect, render_template, url_for

from workqueue import reports
from workqueue.clock import utcnow
from workqueue.db import commit, get_session
from workqueue.domain.roles import Permission
from workqueue.security import current_actor, requires
from workqueue.services import audit

bp = Blueprint("reports", __name__, url_prefix="/reports")


def csv_response(table: reports.Table, name: str) -> Response:
    """Send ``table`` as a CSV download and audit the export (shared by board and admin)."""
    db = get_session()
    audit.record(db, current_actor(), "export", "report", name, now=utcnow(),
                 context=f"{len(table.rows)} rows")
    commit(db)
    return Response(reports.table_csv(table), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.route("/")
@requires(Permission.VIEW_REPORTS)
def index():
    return redirect(url_for("reports.show", name="overview"))


@bp.route("/<name>")
@requires(Permission.VIEW_REPORTS)
def show(name: str):
    build = reports.REPORTS.get(name) or abort(404)
    report = build(get_session(), utcnow())
    return render_template("reports/show.html", report=report, name=name,
                           titles=reports.REPORT_TITLES)


@bp.route("/<name>/<table_key>.csv")
@requires(Permission.VIEW_REPORTS)
def export(name: str, table_key: str):
    build = reports.REPORTS.get(name) or abort(404)
    table = build(get_session(), utcnow()).table(table_key) or abort(404)
    return csv_response(table, f"{name}-{table_key}")
