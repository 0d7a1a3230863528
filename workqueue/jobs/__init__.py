"""Background jobs on RQ: queue names, the Redis connection, the enqueue options in one place,
``defer`` (outbox row now, enqueue after commit) and the ``@job_entry`` envelope.

A job is a function of ids and primitives decorated with :func:`job_entry`. Callers never
enqueue directly: :func:`defer` writes a ``JobRequest`` row in the caller's transaction and
enqueues it only once that transaction commits. If Redis is unreachable then, the row stays
``pending`` and the outbox sweeper (``jobs.outbox.enqueue_pending_jobs``) enqueues it later.
"""

import functools
import importlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.callbacks import Callback
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus, get_current_job
from sqlalchemy.orm import Session

from workqueue import db
from workqueue.clock import utcnow
from workqueue.domain.errors import DomainError

# Aliased: the submodule ``workqueue.jobs.outbox`` would shadow a plain ``outbox`` name here.
from workqueue.services import outbox as _outbox

log = logging.getLogger(__name__)

# By latency: quick follow-ups, slow rendering, e-mail and reminders, file imports.
QUEUES = ("default", "letters", "notifications", "imports")
DEFAULT_RETRY_INTERVALS = (60, 300, 900)
RETRY_MAX = 3
RESULT_TTL = 3600  # seconds a finished job stays visible in Redis
FAILURE_TTL = 7 * 24 * 3600
_REDIS = "workqueue.redis"
_RELEASE = "workqueue.jobs.release"
# Jobs on their way: queued, running, or waiting for a retry; enqueueing again would duplicate.
_ALIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


class JobsUnavailable(RuntimeError):
    """No Redis configured or reachable; requests stay in the outbox until it is."""



# -- connections ---------------------------------------------------------------------------

def get_redis(app: Flask | None = None) -> Redis:
    """The app's Redis connection (one pool per app and process)."""
    app = app or current_app
    conn = app.extensions.get(_REDIS)
    if conn is None:
        url = app.config.get("REDIS_URL")
        if not url:
            raise JobsUnavailable("REDIS_URL is not set")
        # Short connect timeout: a request must not hang on a dead Redis; the outbox catches up.
        conn = Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30)
        app.extensions[_REDIS] = conn
    return conn


def get_queue(name: str, app: Flask | None = None) -> Queue:
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}; queues are {', '.join(QUEUES)}")
    return Queue(name, connection=get_redis(app))


# -- the job envelope ----------------------------------------------------------------------

@dataclass(frozen=True)
class JobOptions:
    """How a job is enqueued: its queue, the noun of its job id, its timeout, and what to do
    with the object it works on once every retry has failed."""

    queue: str
    noun: str
    timeout: int = 600
    on_final_failure: Callable | None = None  # (session, *args, error=, now=)


_app: Flask | None = None


def use_app(app: Flask) -> None:
    """Make ``app`` the one jobs run in when no app context is active (worker processes)."""
    global _app
    _app = app


@contextmanager
def _app_context() -> Iterator[Flask]:
    global _app
    if has_app_context():
        yield current_app._get_current_object()
        return
    if _app is None:
        from workqueue import create_app

        _app = create_app()
    with _app.app_context():
        yield _app


def job_entry(*, queue: str, noun: str, timeout: int = 600,
              on_final_failure: Callable | None = None) -> Callable:
    """Turn ``body(session, *ids)`` into an RQ job function ``job(*ids)``.

    The envelope pushes an app context if none is active, opens a fresh session, records the
    attempt on the outbox row, runs the body, commits (which releases the body's own deferred
    jobs), and on error rolls back and re-raises so RQ records the failure and retries. The
    body is reachable as ``job.body`` for direct calls with a test session.
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def decorate(body: Callable) -> Callable:
        @functools.wraps(body)
        def run(*args, **kwargs):
            with _app_context() as app:
                job = get_current_job()
                session = db.session_factory(app)()
                try:
                    if job is not None:
                        # Committed at once: a worker killed mid-job leaves a visible attempt.
                        _outbox.mark_running(session, job.id, utcnow())
                        db.commit(session)
                    result = body(session, *args, **kwargs)
                    if job is not None:
                        _outbox.mark_done(session, job.id, utcnow())
                    db.commit(session)
                    return result
                except BaseException:
                    db.rollback(session)
                    raise
                finally:
                    session.close()

        run.body = body
        run.job_options = JobOptions(queue, noun, timeout, on_final_failure)
        return run

    return decorate


def job_path(func: Callable) -> str:
    return f"{func.__module__}.{func.__name__}"


def resolve_job(path: str) -> Callable:
    """The ``@job_entry`` function at ``path``; anything else is refused (rows are data)."""
    module_name, _, name = path.rpartition(".")
    if not module_name.startswith("workqueue.jobs"):
        raise ValueError(f"{path} is not a workqueue job")
    func = getattr(importlib.import_module(module_name), name, None)
    if func is None or not hasattr(func, "job_options"):
        raise ValueError(f"{path} is not a workqueue job")
    return func


def job_id_for(noun: str, args: tuple) -> str:
    """``<noun>-<id>[-<id>...]``: only letters, digits, ``_`` and ``-`` (RQ's rule)."""
    parts = [noun, *(str(a) for a in args)]
    job_id = "-".join(parts)
    if not all(ch.isalnum() or ch in "_-" for ch in job_id) or len(job_id) > 80:
        raise ValueError(f"job id {job_id!r} would not be valid; pass ids and short words")
    return job_id


# -- defer: outbox row now, enqueue after commit --------------------------------------------

@dataclass(frozen=True)
class _Release:
    request_id: int
    function: str
    args: tuple
    queue: str
    job_id: str


def defer(session: Session, func: Callable, *args, queue: str | None = None):
    """Ask for ``func(*args)`` to run in the background once ``session`` commits.

    ``args`` are ids and primitives (they are stored as JSON and name the job id). Returns
    the outbox row; asking again for the same job while it is unfinished returns the same row.
    """
    options: JobOptions = func.job_options
    for arg in args:
        if not isinstance(arg, int | str | bool | float) or arg is None:
            raise TypeError("jobs take ids and primitives only")
    row, needs_enqueue = _outbox.add_request(
        session, function=job_path(func), args=list(args), queue=queue or options.queue,
        job_id=job_id_for(options.noun, args), now=utcnow(),
    )
    if needs_enqueue:
        _releaser(session).add(row)
    return row


class _Releaser:
    """The after-commit callback of one transaction: enqueues what it deferred."""

    def __init__(self, app: Flask | None, session: Session):
        self.app = app
        self.session = session
        self.releases: dict[str, _Release] = {}

    def add(self, row) -> None:
        self.releases[row.job_id] = _Release(row.id, row.function, tuple(row.args), row.queue,
                                             row.job_id)

    def __call__(self) -> None:
        self.session.info.pop(_RELEASE, None)
        enqueue_requests(self.app, list(self.releases.values()))


def _releaser(session: Session) -> _Releaser:
    releaser = session.info.get(_RELEASE)
    # A rollback drops the after-commit list; a releaser no longer on it is stale.
    if releaser is None or releaser not in session.info.get(db._AFTER_COMMIT, ()):
        app = current_app._get_current_object() if has_app_context() else _app
        releaser = _Releaser(app, session)
        session.info[_RELEASE] = releaser
        db.after_commit(session, releaser)
    return releaser


def enqueue_requests(app: Flask | None, releases: list) -> int:
    """Hand outbox requests to RQ and mark them enqueued; never raises for a Redis outage.

    ``releases`` are ``_Release`` records or ``JobRequest`` rows. Returns how many went out.
    """
    if not releases:
        return 0
    if app is None:  # deferred outside any app: the sweeper enqueues these rows
        log.warning("%d jobs deferred without an app; left pending for the sweeper",
                    len(releases))
        return 0
    done: list[int] = []
    try:
        conn = get_redis(app)
        for release in releases:
            _enqueue_one(app, conn, release)
            done.append(release.request_id if isinstance(release, _Release) else release.id)
    except (RedisError, JobsUnavailable, OSError) as error:
        # Job ids name nouns and ids only: safe to log. The sweeper enqueues the rest later.
        log.warning("enqueue failed after %d of %d jobs (%s); left pending for the sweeper",
                    len(done), len(releases), error.__class__.__name__)
    if done:
        with db.session_scope(app) as session:
            _outbox.mark_enqueued(session, done, utcnow())
    return len(done)


def _enqueue_one(app: Flask, conn: Redis, release) -> Job:
    func = resolve_job(release.function)
    options: JobOptions = func.job_options
    try:
        existing = Job.fetch(release.job_id, connection=conn)
    except NoSuchJobError:
        existing = None
    if existing is not None:
        if existing.get_status(refresh=False) in _ALIVE:
            return existing
        existing.delete()  # finished or failed before: this is a new request for the same work
    intervals = list(app.config.get("JOB_RETRY_INTERVALS") or DEFAULT_RETRY_INTERVALS)
    queue = Queue(release.queue, connection=conn)
    try:
        return queue.enqueue(
            release.function,
            args=tuple(release.args),
            job_id=release.job_id,
            unique=True,
            retry=Retry(max=RETRY_MAX, interval=intervals),
            on_failure=Callback(on_job_failure),
            job_timeout=options.timeout,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
            description=release.job_id,  # never the arguments' values
        )
    except DuplicateJobError:  # another process enqueued it a moment ago
        return Job.fetch(release.job_id, connection=conn)


# -- failures ------------------------------------------------------------------------------

_SAFE_MESSAGE_TYPES = (DomainError, TimeoutError, ConnectionError, RedisError)


def short_error(exc_type: type | None, exc: BaseException | None) -> str:
    """Exception class, plus its message only for types whose messages never carry PHI."""
    name = exc_type.__name__ if exc_type else "Error"
    if exc is not None and (isinstance(exc, _SAFE_MESSAGE_TYPES)
                            or exc.__class__.__module__.startswith("rq")):
        text = str(exc).splitlines()[0] if str(exc) else ""
        return f"{name}: {text}"[:200] if text else name
    return name


def on_job_failure(job: Job, connection, exc_type, exc, traceback) -> None:
    """RQ failure callback: fires on every failed attempt (and for abandoned jobs).

    Only when no retry is left is the outbox row marked ``failed`` and the job's own
    ``on_final_failure`` handler told (e.g. the letter shows "failed" with a retry button).
    """
    is_final = not (job.retries_left and job.retries_left > 0)
    error = short_error(exc_type, exc)
    with _app_context() as app, db.session_scope(app) as session:
        now = utcnow()
        _outbox.record_failure(session, job.id, error, is_final=is_final, now=now)
        if is_final:
            try:
                func = resolve_job(job.func_name)
            except (ValueError, ImportError):
                return
            handler = func.job_options.on_final_failure
            if handler is not None:
                handler(session, *job.args, error=error, now=now)
    log.info("job %s failed (%s); %s", job.id, error,
             "no retries left" if is_final else f"{job.retries_left} retries left")


class JobIdFilter(logging.Filter):
    """Adds ``job_id`` to log records written while a job runs (empty outside jobs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = get_current_job()
        record.job_id = job.id if job is not None else "-"
        return True
