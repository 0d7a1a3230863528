"""`workqueue seed-demo` (the synthetic demo data set, and bulk items for benchmarks) and
`workqueue demo` (load it if needed, then serve it)."""

import time
from pathlib import Path

import click

from workqueue import create_app
from workqueue.clock import utcnow
from workqueue.db import session_scope
from workqueue.demo.bulk import bulk_insert_work_items
from workqueue.demo.catalog import DEMO_PASSWORD, USERS
from workqueue.demo.seed import (
    DEFAULT_PATIENTS,
    DEFAULT_SEED,
    database_has_data,
    reset_database,
    seed_demo,
)


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Delete ALL existing rows first (every table).")
@click.option("--items", type=click.IntRange(min=0), default=0,
              help="Also bulk-insert this many synthetic work items (benchmark load).")
@click.option("--patients", type=click.IntRange(min=50), default=DEFAULT_PATIENTS,
              show_default=True)
@click.option("--seed", "seed_value", type=int, default=DEFAULT_SEED, show_default=True,
              help="Random seed: the same seed on the same day gives the same data.")
def seed_demo_command(reset: bool, items: int, patients: int, seed_value: int) -> None:
    """Fill an empty database with synthetic demo data and print the demo logins."""
    app = create_app()
    started = time.perf_counter()
    now = utcnow()
    with session_scope(app) as session:
        if database_has_data(session):
            if not reset:
                raise click.ClickException(
                    "the database already has data; seed-demo only fills an empty database. "
                    "Run `workqueue seed-demo --reset` to delete everything and load the demo.")
            reset_database(session)
            click.echo("Deleted all existing rows.")
        report = seed_demo(session, now, seed=seed_value, patients=patients,
                           fast_hash=bool(app.config.get("PASSWORD_HASH_FAST")))
    if items:
        with session_scope(app) as session:
            inserted = bulk_insert_work_items(session, items, now, seed=seed_value,
                                              progress=lambda n: click.echo(f"  {n:,} items"))
        click.echo(f"Bulk-inserted {inserted:,} synthetic work items.")
    _print_report(report, started)


def _print_report(report, started: float) -> None:
    counts = report.counts
    click.echo(
        f"Demo data loaded in {time.perf_counter() - started:.1f} s: {counts['payers']} payers, "
        f"{counts['patients']} patients, {counts['providers']} providers, "
        f"{counts['queues']} queues, {counts['open_items']} open work items "
        f"({counts.get('open_prior_auth', 0)} prior auth, "
        f"{counts.get('open_eligibility', 0)} eligibility, {counts.get('open_denial', 0)} "
        f"denials, {counts.get('open_ar_followup', 0)} AR follow-up; {counts['assigned']} "
        f"assigned, {counts['pended']} pended, {counts['overdue']} overdue)."
    )
    _print_logins(report.logins, report.password)


def _print_logins(logins, password: str) -> None:
    click.echo(f"Demo logins (password for every one: {password}):")
    for username, role, name in logins:
        click.echo(f"  {username:<10} {role:<18} {name}")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
def demo_command(ctx: click.Context, host: str, port: int) -> None:
    """Build the schema, load the demo data if the database is empty, and serve the product.

    One demo per data directory (WORKQUEUE_VAR_DIR) and a free port are checked first, before
    anything is built or started (see ``commands/serve.py``).
    """
    from workqueue.commands.db import upgrade
    from workqueue.commands.serve import check_port_free, hold_data_directory, run_server
    from workqueue.config import VAR_DIR

    with hold_data_directory(Path(VAR_DIR), "demo", port):
        check_port_free(host, port, "demo")
        try:
            _prepare_demo(ctx, upgrade)
        except KeyboardInterrupt:  # Ctrl-C while loading: nothing half-loaded is kept
            click.echo("Stopped before the demo started.")
            return
        run_server(host, port, workers=0, no_jobs=False)


def _prepare_demo(ctx: click.Context, upgrade) -> None:
    ctx.invoke(upgrade)
    app = create_app()
    started = time.perf_counter()
    with session_scope(app) as session:
        if database_has_data(session):
            click.echo("Demo data already loaded (`workqueue seed-demo --reset` starts over).")
            report = None
        else:
            click.echo("Loading the synthetic demo data (about a minute)...")
            report = seed_demo(session, utcnow(), fast_hash=False)
    if report is not None:
        _print_report(report, started)
    else:
        _print_logins([(u.username, u.role, u.display_name) for u in USERS], DEMO_PASSWORD)


commands = [seed_demo_command, demo_command]
