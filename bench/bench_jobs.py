"""Benchmark of the background jobs: appeal letters per second for one worker, and the reminder
sweep over 1,000,000 work items on PostgreSQL.

Run ``.venv/bin/python bench/bench_jobs.py [--letters N] [--items N] [--write]`` with
DATABASE_URL pointing at a PostgreSQL server (a scratch database ``wq_bench_jobs_<random>`` is
created and dropped) and REDIS_URL at a Redis whose database may be flushed.

Letters: N denial items get a letter request (finalize to PDF); one RQ ``SimpleWorker`` drains
the queue; the baselines, in the same run, are rendering the Jinja text alone and building the
PDF alone for the same letters. Sweep: N work items bulk-inserted with Core executemany (20%
open, a realistic share due), then the sweep runs twice (first: everything due is new; second:
steady state) and EXPLAIN shows the plan of every finder query; the baseline is one full
``count(*)`` scan of work_items. ``--write`` replaces the "Background jobs" section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECTION = "## Background jobs"
DOCS = ROOT / "docs" / "benchmarks.md"
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def _scratch_database(base: str) -> tuple[str, object]:
    name = f"wq_bench_jobs_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(base).set(database=name).render_as_string(hide_password=False), admin


def bench_letters(app, count: int) -> dict:
    from rq import SimpleWorker

    from tests.jobs.conftest import make_denial_case, scope
    from workqueue import jobs
    from workqueue.jobs.letters import letter_sender
    from workqueue.models import Letter, User
    from workqueue.services import letters
    from workqueue.services.audit import Actor

    categories = ["authorization", "medical_necessity", "coding", "missing_information",
                  "timely_filing", "eligibility", "non_covered"]
    # Warm-up: the first letter pays for importing fpdf2 and reading the font's cmap.
    warm = make_denial_case(app)
    with scope(app) as session:
        user = session.query(User).filter_by(username=warm.specialist).one()
        warm_id = letters.request_letter(session, warm.item_id, Actor.for_user(user), NOW,
                                         finalize=True).id
    jobs.get_queue("letters", app).empty()
    with app.app_context():
        jobs.resolve_job("workqueue.jobs.letters.generate_letter")(warm_id)
    ids = []
    for i in range(count):
        case = make_denial_case(app, category=categories[i % len(categories)])
        with scope(app) as session:
            user = session.query(User).filter_by(username=case.specialist).one()
            ids.append(letters.request_letter(session, case.item_id, Actor.for_user(user), NOW,
                                              finalize=True).id)
    conn = jobs.get_redis(app)
    worker = SimpleWorker([jobs.get_queue("letters", app)], connection=conn)
    start = time.perf_counter()
    with app.app_context():
        worker.work(burst=True, logging_level="WARNING")
    worker_seconds = time.perf_counter() - start
    with scope(app) as session:
        first, last = session.execute(text(
            "SELECT min(started_at), max(finished_at) FROM job_requests "
            "WHERE job_id <> :warm"), {"warm": f"letter-{warm_id}"}).one()
        job_seconds = (last - first).total_seconds()
        finals = session.query(Letter).filter(Letter.status == "final",
                                              Letter.id != warm_id).count()
        facts = [letters.gather_facts(session, session.get(Letter, i),
                                      letter_sender(app.config), NOW) for i in ids]
        sources = [letters._template_for(session, session.get(Letter, i)).body for i in ids]
        drafts = [session.get(Letter, i).draft for i in ids]
    env = letters.letter_environment()
    start = time.perf_counter()
    for source, fact in zip(sources, facts, strict=True):
        env.from_string(source).render(**fact)
    render_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for draft in drafts:
        letters.build_pdf(draft, title="bench", footer="bench")
    pdf_seconds = time.perf_counter() - start
    return {"count": count, "finals": finals, "job_s": job_seconds, "render_s": render_seconds,
            "pdf_s": pdf_seconds, "worker_s": worker_seconds}


def _bulk_insert_items(engine, count: int, seed: int = 4) -> dict:
    """Payers, people, patients, coverages, authorizations and ``count`` work items."""
    from workqueue.models import (
        Authorization,
        Coverage,
        Patient,
        Payer,
        PayerAppealLevel,
        Team,
        User,
        WorkItem,
    )

    rnd = random.Random(seed)
    today = NOW.date()
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(Payer), [
            {"id": i, "name": f"Bench Payer {i}", "payer_type": "commercial",
             "timely_filing_days": 365, "auth_lead_days": rnd.choice([14, 21, 30]),
             "auth_turnaround_days": 7, "reverify_days": 30, "auth_units_warn_pct": 80,
             "ar_followup_days": 30, "is_active": True} for i in range(1, 21)])
        conn.execute(insert(PayerAppealLevel), [
            {"payer_id": i, "level": 1, "name": "First", "window_days": 180,
             "decision_days": 30} for i in range(1, 21)])
        conn.execute(insert(Team), [{"id": t, "name": f"Team {t}"} for t in range(1, 6)])
        conn.execute(insert(User), [
            {"id": u, "username": f"bench{u}", "display_name": f"Bench {u}",
             "role": "supervisor" if u <= 5 else "ar_specialist", "password_hash": "x",
             "is_active": True, "team_id": (u % 5) + 1, "failed_logins": 0,
             "created_at": NOW} for u in range(1, 61)])
        patients = 20_000
        conn.execute(insert(Patient), [
            {"id": p, "mrn": f"B{p:08d}", "first_name": "Bench", "last_name": f"P{p}",
             "birth_date": today - timedelta(days=20_000), "created_at": NOW}
            for p in range(1, patients + 1)])
        conn.execute(insert(Coverage), [
            {"id": p, "patient_id": p, "payer_id": (p % 20) + 1, "plan_name": "PPO",
             "member_id": f"M{p:09d}", "rank": 1, "eligibility_status": "active"}
            for p in range(1, patients + 1)])
        auths = 100_000
        conn.execute(insert(Authorization), [
            {"id": a, "patient_id": (a % patients) + 1, "coverage_id": (a % patients) + 1,
             "drug_code": "J1745",
             "status": "approved" if rnd.random() < 0.9 else "denied",
             "authorized_units": 100, "units_used": rnd.randint(0, 100), "visits_used": 0,
             "start_date": today - timedelta(days=rnd.randint(100, 900)),
             "end_date": today + timedelta(days=rnd.randint(-800, 180))}
            for a in range(1, auths + 1)])
    kinds = [("denial", "appeal"), ("ar_followup", "timely_filing"),
             ("prior_auth", "auth_expiry"), ("prior_auth", "infusion"),
             ("eligibility", "infusion")]
    statuses = {"denial": ["new", "triaged", "appeal_drafting", "appeal_submitted"],
                "ar_followup": ["new", "in_progress", "waiting_payer"],
                "prior_auth": ["new", "gathering_info", "submitted", "approved"],
                "eligibility": ["new", "verifying", "active"]}
    batch: list[dict] = []
    with engine.begin() as conn:
        for i in range(1, count + 1):
            kind, deadline_kind = kinds[rnd.randrange(len(kinds))]
            is_open = rnd.random() < 0.2
            deadline = today + timedelta(days=rnd.randint(-400, 400) if not is_open
                                         else rnd.randint(-20, 365))
            due = deadline - timedelta(days=7)
            pended = (today + timedelta(days=rnd.randint(-3, 20))
                      if is_open and rnd.random() < 0.05 else None)
            batch.append({
                "id": i, "kind": kind,
                "status": rnd.choice(statuses[kind]) if is_open else "closed",
                "is_open": is_open, "title": f"Bench item {i}", "payer_id": (i % 20) + 1,
                "patient_id": (i % 20_000) + 1,
                "authorization_id": (i % 100_000) + 1 if kind == "prior_auth" else None,
                "category": "authorization", "amount": 1000, "deadline_on": deadline,
                "deadline_kind": deadline_kind, "due_on": due, "pended_until": pended,
                "pended_at": NOW - timedelta(days=3) if pended else None,
                "assignee_id": rnd.randint(6, 60) if rnd.random() < 0.8 else None,
                "priority_score": 0.0, "priority_override": 0, "created_at": NOW,
                "updated_at": NOW, "version": 1,
            })
            if len(batch) == 10_000:
                conn.execute(insert(WorkItem), batch)
                batch = []
        if batch:
            conn.execute(insert(WorkItem), batch)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return {"seconds": time.perf_counter() - started}


def bench_sweep(url: str, count: int) -> dict:
    from workqueue.db import make_engine
    from workqueue.services.reminders import sweep_reminders

    engine = make_engine(url)
    loaded = _bulk_insert_items(engine, count)
    from sqlalchemy.orm import Session

    with engine.connect() as conn:
        start = time.perf_counter()
        total = conn.execute(text("SELECT count(*) FROM work_items")).scalar()
        open_count = conn.execute(text("SELECT count(*) FROM work_items WHERE is_open")).scalar()
        scan_seconds = time.perf_counter() - start
    statements: list[tuple[str, dict]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT") and "work_items" in statement:
            statements.append((statement, parameters))

    runs = []
    event.listen(engine, "before_cursor_execute", capture)
    backlog_times, backlog_reminders = [], 0
    for _ in range(200):  # the backlog of a freshly loaded database, worked off sweep by sweep
        with Session(engine) as session:
            start = time.perf_counter()
            result = sweep_reminders(session, NOW)
            session.commit()
        backlog_times.append(time.perf_counter() - start)
        backlog_reminders += result.reminders
        if len(backlog_times) == 1:
            event.remove(engine, "before_cursor_execute", capture)
            runs.append(("first sweep (backlog)", backlog_times[0], result.summary()))
        if not result.reminders and not result.returned:
            break
    for label, when in (("steady state, 5 minutes later", NOW + timedelta(minutes=5)),
                        ("next day (one day of newly due items)", NOW + timedelta(days=1))):
        with Session(engine) as session:
            start = time.perf_counter()
            result = sweep_reminders(session, when)
            session.commit()
            runs.append((label, time.perf_counter() - start, result.summary()))
    plans = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
            plans.append("\n".join(r[0] for r in rows))
    engine.dispose()
    return {"items": total, "open": open_count, "load_s": loaded["seconds"],
            "scan_s": scan_seconds, "runs": runs, "plans": plans,
            "backlog": {"sweeps": len(backlog_times), "max_s": max(backlog_times),
                        "total_s": sum(backlog_times), "reminders": backlog_reminders}}


def _index_names(plan: str) -> list[str]:
    return sorted(set(re.findall(
        r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)",
        plan)))


def render(letters: dict, sweep: dict) -> str:
    n = letters["count"]
    job_rate = n / letters["job_s"]
    render_rate = n / letters["render_s"]
    pdf_rate = n / letters["pdf_s"]
    lines = [
        SECTION, "",
        "`bench/bench_jobs.py`, same run, PostgreSQL 15 and Redis on this machine.", "",
        f"**Appeal letters, one worker** ({n} denial items, categories rotating; each job "
        "gathers the claim's facts, renders the template, stores the draft and its version, "
        "builds the PDF with fpdf2 and the bundled DejaVu subset; one RQ `SimpleWorker`, no "
        "fork per job):", "",
        "| stage | time | letters/s | vs baseline |", "|---|---:|---:|---:|",
        f"| Jinja render alone (baseline) | {letters['render_s'] * 1000:.0f} ms | "
        f"{render_rate:,.0f} | 1.0x |",
        f"| PDF build alone | {letters['pdf_s'] * 1000:.0f} ms | {pdf_rate:,.1f} | "
        f"{letters['pdf_s'] / letters['render_s']:.0f}x |",
        f"| whole job through RQ (render + PDF + DB), first start to last finish | "
        f"{letters['job_s'] * 1000:.0f} ms | {job_rate:,.1f} | "
        f"{letters['job_s'] / letters['render_s']:.0f}x |",
        f"| the same, wall clock of `worker.work(burst=True)` (start-up and teardown included)"
        f" | {letters['worker_s'] * 1000:.0f} ms | {n / letters['worker_s']:,.1f} | "
        f"{letters['worker_s'] / letters['render_s']:.0f}x |", "",
        f"{letters['finals']} of {n} letters final. The PDF dominates: fpdf2 parses, subsets "
        "and embeds the font per document (the bundled subset keeps that near 100 ms; the full "
        "DejaVu took ~350 ms). Each job also commits six times (attempt, four progress "
        "steps, result). A forking `Worker` adds a fork per job on top.", "",
        f"**Reminder sweep over {sweep['items']:,} work items** ({sweep['open']:,} open; "
        "bulk-inserted with Core executemany in "
        f"{sweep['load_s']:.0f} s, then ANALYZE; deadlines spread from 20 days past to a year "
        "ahead, 5% of open items pended, 100,000 authorizations). Each finder takes at most 500 "
        "rows per sweep, so the backlog of a freshly loaded database is worked off over "
        f"{sweep['backlog']['sweeps']} sweeps ({sweep['backlog']['reminders']:,} reminders, "
        f"worst sweep {sweep['backlog']['max_s'] * 1000:.0f} ms, "
        f"{sweep['backlog']['total_s']:.1f} s in all).", "",
        "| run | time | vs baseline | result |", "|---|---:|---:|---|",
        f"| `count(*)` of work_items + open ones (baseline: two scans) | "
        f"{sweep['scan_s'] * 1000:.0f} ms | 1.0x | |",
    ]
    for label, seconds, result in sweep["runs"]:
        found = ", ".join(f"{k} {v}" for k, v in result["found"].items())
        lines.append(f"| {label} | {seconds * 1000:.0f} ms | {seconds / sweep['scan_s']:.2f}x | "
                     f"returned {result['returned']}; found {found}; {result['reminders']} "
                     f"reminders, {result['notifications']} notifications |")
    periodic = max(seconds for label, seconds, _ in sweep["runs"] if "backlog" not in label)
    backlog = sweep["backlog"]["max_s"]
    lines += ["", f"Target (sweep under 2 s on PostgreSQL): **{'met' if periodic < 2 else 'missed'}"
              f"** for the periodic sweep (worst {periodic * 1000:.0f} ms: nothing new, or a "
              f"day of newly due items). Working off the backlog of a freshly loaded database, "
              f"the worst sweep took {backlog * 1000:.0f} ms "
              f"({'under' if backlog < 2 else 'over'} the target) while writing up to 3,500 "
              "reminders and their notifications in one transaction; the 500-row limit per "
              "finder is what bounds it.", "",
              "Indexes the finder queries used (EXPLAIN of each SELECT the first sweep ran on "
              "work_items):", ""]
    for plan in sweep["plans"]:
        first = plan.splitlines()[0].strip()
        names = ", ".join(_index_names(plan)) or "no index"
        lines.append(f"- `{first[:90]}` → {names}")
    lines += ["", f"Machine: {platform.processor() or 'x86_64'} (AMD EPYC), `nproc` = "
              f"{os.cpu_count()}, Python {platform.python_version()}, shared with other "
              f"engineers' test runs; measured {datetime.now(UTC).date().isoformat()}."]
    return "\n".join(lines) + "\n"


def write_section(section: str, path: Path = DOCS) -> None:
    """Replace (or append) only this benchmark's section, keeping everyone else's."""
    text_ = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text_):
        text_ = pattern.sub(lambda _: section + "\n", text_, count=1)
    else:
        text_ = text_.rstrip("\n") + "\n\n" + section
    path.write_text(text_.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=40)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgresql"):
        sys.exit("DATABASE_URL must point at a PostgreSQL server")
    if not os.environ.get("REDIS_URL"):
        sys.exit("REDIS_URL must point at a Redis database that may be flushed")

    from redis import Redis

    from tests.conftest import app_config
    from workqueue import create_app, migrate

    url, admin = _scratch_database(base)
    try:
        migrate.upgrade(url)
        Redis.from_url(os.environ["REDIS_URL"]).flushdb()
        app = create_app(app_config(url, os.environ["REDIS_URL"]) | {"TESTING": False})
        letters = bench_letters(app, args.letters)
        from workqueue.db import engine_of

        engine_of(app).dispose()
        with create_engine(url).begin() as conn:  # the sweep gets a clean database
            tables = conn.execute(text(
                "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'alembic_version'")).scalar()
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        sweep = bench_sweep(url, args.items)
        section = render(letters, sweep)
        print(section)
        for plan in sweep["plans"]:
            print(plan, "\n")
        if args.write:
            write_section(section)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
