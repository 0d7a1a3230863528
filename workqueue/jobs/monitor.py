"""Read-only snapshots of the background machinery for the operations page: queue sizes,
workers and their heartbeats, failed jobs with their errors, schedulers, outbox and sweeps."""

from dataclasses import dataclass, field

from flask import Flask
from redis.exceptions import RedisError
from rq import Worker
from rq.cron import CronScheduler
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy.orm import Session

from workqueue.jobs import QUEUES, JobsUnavailable, get_queue, get_redis
from workqueue.services import outbox


@dataclass
class Snapshot:
    redis_error: str | None = None
    queues: list[dict] = field(default_factory=list)
    workers: list[dict] = field(default_factory=list)
    failed_jobs: list[dict] = field(default_factory=list)
    schedulers: list[dict] = field(default_factory=list)
    outbox_counts: dict = field(default_factory=dict)
    failed_requests: list = field(default_factory=list)
    sweeps: list = field(default_factory=list)


def snapshot(app: Flask, session: Session, *, failed_limit: int = 50) -> Snapshot:
    """Everything the page shows; Redis being down is reported, not raised."""
    snap = Snapshot(outbox_counts=outbox.counts_by_status(session),
                    failed_requests=outbox.failed_requests(session),
                    sweeps=outbox.last_sweep_runs(session))
    try:
        conn = get_redis(app)
        conn.ping()
        snap.queues = [_queue_sizes(app, name) for name in QUEUES]
        snap.workers = [_worker(w) for w in Worker.all(connection=conn)]
        snap.failed_jobs = _failed_jobs(app, failed_limit)
        snap.schedulers = [{"name": s.name, "last_heartbeat": s.last_heartbeat}
                           for s in CronScheduler.all(conn)]
    except (RedisError, JobsUnavailable, OSError) as error:
        snap.redis_error = f"{error.__class__.__name__}: {str(error).splitlines()[0]}"[:200] \
            if str(error) else error.__class__.__name__
    return snap


def _queue_sizes(app: Flask, name: str) -> dict:
    queue = get_queue(name, app)
    return {"name": name, "queued": queue.count,
            "started": queue.started_job_registry.count,
            "scheduled": queue.scheduled_job_registry.count,
            "deferred": queue.deferred_job_registry.count,
            "failed": queue.failed_job_registry.count,
            "finished": queue.finished_job_registry.count}


def _worker(worker: Worker) -> dict:
    return {"name": worker.name, "state": worker.get_state(),
            "queues": ", ".join(worker.queue_names()),
            "last_heartbeat": worker.last_heartbeat,
            "current_job": worker.get_current_job_id(),
            "successful": worker.successful_job_count, "failed": worker.failed_job_count}


def _failed_jobs(app: Flask, limit: int) -> list[dict]:
    rows = []
    for name in QUEUES:
        registry = get_queue(name, app).failed_job_registry
        for job_id in registry.get_job_ids(0, limit - 1):
            try:
                job = Job.fetch(job_id, connection=registry.connection)
            except NoSuchJobError:
                continue
            rows.append({"id": job.id, "queue": name, "function": job.func_name.rsplit(".")[-1],
                         "ended_at": job.ended_at, "error": _last_line(job)})
    return sorted(rows, key=lambda r: r["ended_at"].timestamp() if r["ended_at"] else 0,
                  reverse=True)[:limit]


def _last_line(job: Job) -> str:
    """The exception line of the traceback: the class and message, not the whole trace."""
    result = job.latest_result()
    text = (result.exc_string if result is not None else None) or ""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no error recorded)"


def requeue_failed_job(app: Flask, queue_name: str, job_id: str) -> None:
    """Send a failed RQ job without an outbox row (a periodic job) back to its queue."""
    get_queue(queue_name, app).failed_job_registry.requeue(job_id)
