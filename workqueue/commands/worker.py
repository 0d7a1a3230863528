"""`workqueue worker`, `workqueue scheduler` and `workqueue run-job`: run background work."""

import logging
import os

import click


def _app_and_redis():
    from workqueue import create_app, jobs

    app = create_app()
    try:
        conn = jobs.get_redis(app)
        conn.ping()
    except Exception as error:  # no URL, refused, DNS: say so without a traceback
        raise click.ClickException(f"Redis is not reachable ({error.__class__.__name__}: "
                                   f"{str(error).splitlines()[0] if str(error) else ''}). "
                                   "Set REDIS_URL, or use `workqueue serve` for an embedded "
                                   "Redis.") from None
    return app, conn


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Exit once the queues are empty.")
@click.option("--simple", is_flag=True, help="Run jobs in this process instead of a fork.")
@click.option("--name", default=None, help="Worker name shown on the operations page.")
def worker_command(queues: tuple[str, ...], burst: bool, simple: bool, name: str | None) -> None:
    """Run an RQ worker (with its scheduler, for retry back-off) on QUEUES (default: all)."""
    from rq import SimpleWorker, Worker
    from sqlalchemy.orm import configure_mappers

    from workqueue import jobs
    from workqueue.db import engine_of

    unknown = [q for q in queues if q not in jobs.QUEUES]
    if unknown:
        raise click.BadParameter(f"unknown queue(s) {', '.join(unknown)}; queues are "
                                 f"{', '.join(jobs.QUEUES)}", param_hint="QUEUES")
    app, conn = _app_and_redis()
    jobs.use_app(app)
    configure_mappers()
    # The parent never opens a DB connection before forking; a forked work-horse drops any
    # pooled connection it inherited instead of sharing the parent's socket.
    engine = engine_of(app)
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    _log_job_ids()
    worker_class = SimpleWorker if simple else Worker
    worker = worker_class([jobs.get_queue(q, app) for q in queues or jobs.QUEUES],
                          connection=conn, name=name)
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


def _log_job_ids() -> None:
    from workqueue.jobs import JobIdFilter

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(job_id)s] %(name)s: "
                                           "%(message)s"))
    handler.addFilter(JobIdFilter())
    logger = logging.getLogger("workqueue")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


@click.command("scheduler")
def scheduler_command() -> None:
    """Enqueue the periodic jobs of workqueue/cron.py on time (RQ cron); workers run them."""
    from workqueue.cron import build_scheduler

    _app, conn = _app_and_redis()
    build_scheduler(conn).start()


@click.command("run-job")
@click.argument("name")
def run_job_command(name: str) -> None:
    """Run one periodic job NAME now, in this process (for system cron or by hand)."""
    from workqueue import create_app, jobs
    from workqueue.cron import periodic_job

    try:
        spec = periodic_job(name)
    except KeyError as error:
        raise click.BadParameter(str(error.args[0]), param_hint="NAME") from None
    app = create_app()
    with app.app_context():
        result = jobs.resolve_job(spec["func"])()
    click.echo(f"{name}: {result}")


commands = [worker_command, scheduler_command, run_job_command]
