"""The job outbox on the database side: add or revive a request, record how it went, and find
requests whose delivery to Redis may have been lost. Redis itself is handled in ``jobs``."""

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workqueue.domain.errors import Conflict, NotFound
from workqueue.models import JobRequest, JobRequestStatus, SweepRun

S = JobRequestStatus
UNFINISHED = (S.PENDING, S.ENQUEUED, S.RUNNING)


def add_request(session: Session, *, function: str, args: list, queue: str, job_id: str,
                now: datetime) -> tuple[JobRequest, bool]:
    """Record a request for ``function(*args)``; ``(row, needs_enqueue)``.

    The job id is the dedupe key: asking again while a request is unfinished returns that
    request; asking again after it finished or failed revives the same row.
    """
    row = session.scalar(select(JobRequest).where(JobRequest.job_id == job_id))
    if row is None:
        row = JobRequest(function=function, args=list(args), queue=queue, job_id=job_id,
                         status=S.PENDING, attempts=0, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return row, True
    if row.status in UNFINISHED:
        return row, row.status == S.PENDING
    row.status = S.PENDING
    row.function, row.args, row.queue = function, list(args), queue
    row.attempts = 0
    row.last_error = None
    row.updated_at = now
    row.enqueued_at = row.started_at = row.finished_at = None
    session.flush()
    return row, True


def mark_enqueued(session: Session, request_ids: list[int], now: datetime) -> None:
    """Pending rows handed to Redis; a row a worker already picked up keeps its state."""
    if request_ids:
        session.execute(
            update(JobRequest)
            .where(JobRequest.id.in_(request_ids), JobRequest.status == S.PENDING)
            .values(status=S.ENQUEUED, enqueued_at=now, updated_at=now)
        )


def mark_running(session: Session, job_id: str, now: datetime) -> None:
    session.execute(
        update(JobRequest)
        .where(JobRequest.job_id == job_id)
        .values(status=S.RUNNING, attempts=JobRequest.attempts + 1, started_at=now,
                updated_at=now)
    )


def mark_done(session: Session, job_id: str, now: datetime) -> None:
    session.execute(
        update(JobRequest)
        .where(JobRequest.job_id == job_id)
        .values(status=S.DONE, finished_at=now, updated_at=now, last_error=None)
    )


def record_failure(session: Session, job_id: str, error: str, *, is_final: bool,
                   now: datetime) -> None:
    """An attempt failed: ``failed`` once retries are exhausted, else back to ``enqueued``."""
    values = {"last_error": error[:200], "updated_at": now}
    if is_final:
        values |= {"status": S.FAILED, "finished_at": now}
    else:
        values |= {"status": S.ENQUEUED}
    session.execute(update(JobRequest).where(JobRequest.job_id == job_id).values(**values))


def retry_request(session: Session, request_id: int, now: datetime) -> JobRequest:
    """Put a failed request back to pending (the caller releases it after commit).

    :raise NotFound, Conflict: no such request, or it has not failed.
    """
    row = session.get(JobRequest, request_id)
    if row is None:
        raise NotFound(f"Job request {request_id} does not exist.")
    if row.status != S.FAILED:
        raise Conflict(f"Job {row.job_id} is {row.status}; only failed jobs can be retried.")
    row.status = S.PENDING
    row.attempts = 0
    row.updated_at = now
    session.flush()
    return row


def requests_to_heal(session: Session, now: datetime, *, grace_seconds: int,
                     limit: int = 500) -> list[JobRequest]:
    """Unfinished requests old enough that their delivery may have been lost.

    Pending rows past the grace period were never enqueued (Redis was down, or the process
    died between commit and enqueue). Enqueued/running rows are checked against Redis by the
    caller, after a longer wait, for jobs that vanished (Redis flushed or restarted).
    """
    pending_cutoff = now - timedelta(seconds=grace_seconds)
    stale_cutoff = now - timedelta(seconds=max(grace_seconds * 6, 60))
    return list(session.scalars(
        select(JobRequest)
        .where(
            (JobRequest.status == S.PENDING) & (JobRequest.updated_at <= pending_cutoff)
            | JobRequest.status.in_((S.ENQUEUED, S.RUNNING))
            & (JobRequest.updated_at <= stale_cutoff)
        )
        .order_by(JobRequest.updated_at)
        .limit(limit)
    ))


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(JobRequest.status, func.count()).group_by(JobRequest.status)
    ).all()
    counts = {status.value: 0 for status in S}
    counts.update({str(status): n for status, n in rows})
    return counts


def failed_requests(session: Session, limit: int = 50) -> list[JobRequest]:
    return list(session.scalars(
        select(JobRequest).where(JobRequest.status == S.FAILED)
        .order_by(JobRequest.updated_at.desc()).limit(limit)
    ))


def record_sweep_run(session: Session, name: str, started: datetime, finished: datetime,
                     result: dict, *, finished_run: bool = True) -> None:
    """Remember when a periodic sweep last ran and what it did (the operations page shows it).

    ``finished_run`` False records the progress of a run still going: ``runs`` counts it only
    when it ends."""

    run = session.get(SweepRun, name)
    if run is None:
        run = SweepRun(name=name, runs=0, last_started_at=started)
        session.add(run)
    run.last_started_at = started
    run.last_finished_at = finished
    run.last_duration_ms = int((finished - started).total_seconds() * 1000)
    run.last_result = result
    if finished_run:
        run.runs = (run.runs or 0) + 1
    session.flush()


def last_sweep_runs(session: Session) -> list[SweepRun]:

    return list(session.scalars(select(SweepRun).order_by(SweepRun.name)))
