"""The operations page: queues, workers, failed jobs (with retry), schedulers, the outbox and
the last sweeps — what a supervisor checks when letters or reminders seem stuck."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select

from workqueue import jobs
from workqueue.clock import utcnow
from workqueue.db import commit, get_session
from workqueue.domain.roles import Permission
from workqueue.forms import EmptyForm
from workqueue.jobs import monitor
from workqueue.models import JobRequest
from workqueue.security import requires
from workqueue.services import outbox

bp = Blueprint("operations", __name__, url_prefix="/operations")


@bp.get("")
@requires(Permission.OPERATE_JOBS)
def index():
    snap = monitor.snapshot(current_app, get_session())
    return render_template("operations/index.html", snap=snap, form=EmptyForm(), now=utcnow())


@bp.post("/requests/<int:request_id>/retry")
@requires(Permission.OPERATE_JOBS)
def retry_request(request_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    db = get_session()
    row = outbox.retry_request(db, request_id, utcnow())
    jobs.defer(db, jobs.resolve_job(row.function), *row.args, queue=row.queue)
    commit(db)
    flash(f"Job {row.job_id} queued again.", "success")
    return redirect(url_for(".index"), 303)


@bp.post("/jobs/<queue>/<job_id>/retry")
@requires(Permission.OPERATE_JOBS)
def retry_job(queue: str, job_id: str):
    """A failed RQ job: through its outbox row when it has one, else straight back to RQ."""
    if not EmptyForm().validate_on_submit() or queue not in jobs.QUEUES:
        abort(400)
    db = get_session()
    row = db.scalar(select(JobRequest).where(JobRequest.job_id == job_id))
    if row is not None and row.status == "failed":
        return retry_request(row.id)
    monitor.requeue_failed_job(current_app, queue, job_id)
    flash(f"Job {job_id} queued again.", "success")
    return redirect(url_for(".index"), 303)
