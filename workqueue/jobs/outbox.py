"""The outbox sweeper: enqueue requests whose delivery to Redis was lost, so none is dropped."""

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.orm import Session

from workqueue import db
from workqueue.clock import utcnow
from workqueue.jobs import enqueue_requests, get_redis, job_entry
from workqueue.models import JobRequestStatus
from workqueue.services import outbox
from workqueue.services.outbox import record_sweep_run


@job_entry(queue="default", noun="outbox-sweep", timeout=300)
def enqueue_pending_jobs(session: Session) -> dict:
    """Enqueue pending requests older than the grace period, and re-enqueue enqueued or
    running ones whose RQ job no longer exists (Redis flushed or restarted).

    Idempotent: a request whose job is alive in Redis is left alone. Queue ``default``,
    every minute (``workqueue.cron``).
    """
    app = current_app._get_current_object()
    started = utcnow()
    rows = outbox.requests_to_heal(session, started,
                                   grace_seconds=app.config.get("OUTBOX_GRACE_SECONDS", 10))
    conn = get_redis(app)
    to_enqueue, lost, failed = [], 0, 0
    for row in rows:
        if row.status == JobRequestStatus.PENDING:
            to_enqueue.append(row)
            continue
        try:
            status = Job.fetch(row.job_id, connection=conn).get_status()
        except NoSuchJobError:
            status = None
        if status is None:
            lost += 1
            row.status = JobRequestStatus.PENDING
            to_enqueue.append(row)
        elif status == JobStatus.FAILED and row.status != JobRequestStatus.FAILED:
            failed += 1
            outbox.record_failure(session, row.job_id, row.last_error or "failed in RQ",
                                  is_final=True, now=started)
    # Commit before enqueueing: on SQLite a second writer would wait for this transaction.
    db.commit(session)
    enqueued = enqueue_requests(app, to_enqueue)
    result = {"checked": len(rows), "enqueued": enqueued, "lost": lost, "failed": failed}
    record_sweep_run(session, "outbox", started, utcnow(), result)
    return result
