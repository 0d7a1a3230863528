"""Periodic jobs as data, and the RQ cron scheduler built from them (``workqueue scheduler``).

The scheduler only enqueues; workers run. Several schedulers may run (each enqueues its own
copy): every periodic job is idempotent and the reminder sweep takes an advisory lock, so a
duplicate run finds nothing to do. Cron strings are read in the scheduler's local time zone.
"""

from redis import Redis
from rq.cron import CronScheduler

PERIODIC_JOBS: list[dict] = [
    {"name": "reminder-sweep", "func": "workqueue.jobs.reminders.send_due_reminders",
     "queue": "notifications", "interval": 300},
    {"name": "outbox-sweep", "func": "workqueue.jobs.outbox.enqueue_pending_jobs",
     "queue": "default", "interval": 60},
    {"name": "pended-returns", "func": "workqueue.jobs.reminders.return_pended_items",
     "queue": "default", "interval": 300},
    {"name": "missed-deadlines", "func": "workqueue.jobs.reminders.mark_missed_deadline_items",
     "queue": "default", "interval": 300},
    {"name": "idle-claims", "func": "workqueue.jobs.reminders.release_idle_claim_jobs",
     "queue": "default", "interval": 900},
    {"name": "reauthorizations", "func": "workqueue.jobs.reminders.open_reauthorizations",
     "queue": "default", "interval": 3600},
    {"name": "audit-seal", "func": "workqueue.jobs.audit_seals.seal_audit_events",
     "queue": "default", "interval": 300},
    {"name": "daily-digest", "func": "workqueue.jobs.reminders.send_daily_digests",
     "queue": "notifications", "cron": "0 7 * * *"},
]


def periodic_job(name: str) -> dict:
    for spec in PERIODIC_JOBS:
        if spec["name"] == name:
            return spec
    raise KeyError(f"no periodic job {name!r}; known: "
                   + ", ".join(s["name"] for s in PERIODIC_JOBS))


def build_scheduler(connection: Redis, specs: list[dict] | None = None) -> CronScheduler:
    """An RQ ``CronScheduler`` with every periodic job registered (``start()`` runs it)."""
    from workqueue.jobs import resolve_job

    scheduler = CronScheduler(connection=connection)
    for spec in specs or PERIODIC_JOBS:
        func = resolve_job(spec["func"])
        scheduler.register(func, spec["queue"], interval=spec.get("interval"),
                           cron=spec.get("cron"), job_timeout=func.job_options.timeout,
                           name=spec["name"])
    return scheduler
