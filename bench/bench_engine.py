"""Work-queue engine benchmark on PostgreSQL (not a test; results go to docs/benchmarks.md).

1. Claims per second, 16 concurrent worker processes, 100,000 open items:
   ``services.get_next.claim_next`` (one statement: the conditional UPDATE with a SKIP LOCKED
   subquery plus the INSERTs of its timeline line and audit event, committed per claim), with
   the user and queue held by the worker and, separately, read again per claim as a request
   does; against a bare ``SELECT ... FOR UPDATE SKIP LOCKED`` + ``UPDATE`` loop on raw psycopg
   (and that loop with the two INSERTs added), in the same run. Every loop starts from the same
   pool: what the previous loop claimed is put back and vacuumed first.
2. Worklist latency over 1,000,000 work items: ``queries.worklist_select`` executed through
   the ORM (rows turned into objects with payer, assignee and patient) against the very same
   SQL text run on a raw cursor, over realistic filter combinations; p50/p95 of each.

Usage: .venv/bin/python bench/bench_engine.py [--admin-url URL] [--rounds 3] [--seconds 6]
       [--claims-only]
The script creates (and recreates) its own database ``wq_bench`` on that server.
"""

import argparse
import multiprocessing
import platform
import statistics
import subprocess
import time
from datetime import UTC, date, datetime, timedelta

import psycopg
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from workqueue import migrate
from workqueue.db import make_engine
from workqueue.demo.bulk import bulk_insert_work_items
from workqueue.demo.seed import seed_demo
from workqueue.models import Payer, Queue, User, WorkItem
from workqueue.queries import WorklistFilter, worklist_select
from workqueue.services.audit import Actor
from workqueue.services.get_next import claim_next
from workqueue.services.users import create_user

WORKERS = 16
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


def create_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def load(url: str, total_items: int, already: int) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        if already == 0:
            seed_demo(session, NOW, fast_hash=True)
            session.commit()
        existing = session.scalar(select(WorkItem.id).order_by(WorkItem.id.desc()).limit(1)) or 0
        started = time.perf_counter()
        bulk_insert_work_items(session, total_items - already, NOW, seed=total_items,
                               batch_size=20_000)
        session.commit()
        print(f"  inserted {total_items - already:,} items in "
              f"{time.perf_counter() - started:.0f} s (max id before: {existing})", flush=True)
        session.execute(text("ANALYZE"))
        session.commit()
    engine.dispose()
    return total_items


def _bench_users(url: str) -> tuple[list[int], int]:
    engine = make_engine(url)
    with Session(engine) as session:
        users = [create_user(session, f"bench{i}", "supervisor", "bench-password-1",
                             fast_hash=True) for i in range(WORKERS)]
        queue = Queue(slug="bench-all", name="Bench — every open item", kinds=[])
        queue.members = users
        session.add(queue)
        session.commit()
        ids = [u.id for u in users]
        queue_id = queue.id
    engine.dispose()
    return ids, queue_id


def _run_workers(target, args_list, seconds: float) -> int:
    """Run ``target`` in one process per worker (as gunicorn and RQ run), for ``seconds``.

    Processes, not threads: the service does real Python work per claim, and threads in one
    interpreter would measure the GIL rather than the database.
    """
    ctx = multiprocessing.get_context("fork")
    stop = ctx.Event()
    barrier = ctx.Barrier(len(args_list) + 1)
    counts = ctx.Array("i", len(args_list))

    def runner(index, args):
        counts[index] = target(*args, stop=stop, barrier=barrier)

    workers = [ctx.Process(target=runner, args=(i, a)) for i, a in enumerate(args_list)]
    for worker in workers:
        worker.start()
    barrier.wait()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    return sum(counts)


def _service_worker(url, user_id, queue_id, *, stop, barrier, reload: bool = False) -> int:
    """``claim_next`` in a loop, one committed transaction per claim. With ``reload`` the user
    and queue are read again for every claim, as a web or API request reads them (the login
    and the queue in the URL); without, the worker holds them, as the bare loop holds its id."""
    engine = make_engine(url)
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    user = session.get(User, user_id)
    queue = session.get(Queue, queue_id)
    session.commit()
    actor = Actor.for_user(user, "api")
    done = 0
    barrier.wait()
    while not stop.is_set():
        item = claim_next(session, user, queue, actor, datetime.now(UTC))
        session.commit()
        if item is None:
            break
        if reload:
            session.expunge_all()  # a request starts with an empty session too
            user = session.get(User, user_id)
            queue = session.get(Queue, queue_id)
        done += 1
    session.close()
    engine.dispose()
    return done


def _request_worker(url, user_id, queue_id, *, stop, barrier) -> int:
    return _service_worker(url, user_id, queue_id, stop=stop, barrier=barrier, reload=True)


BARE_SELECT = """
SELECT id FROM work_items
WHERE is_open AND assignee_id IS NULL AND (pended_until IS NULL OR pended_until <= %s)
ORDER BY priority_score DESC, id DESC LIMIT 1 FOR UPDATE SKIP LOCKED
"""
BARE_UPDATE = """
UPDATE work_items SET assignee_id = %s, claimed_at = now(), last_touched_at = now(),
    updated_at = now(), version = version + 1
WHERE id = %s
"""


# The rows the service writes besides the claim itself: its timeline line and audit event.
BARE_ACTIVITY = """
INSERT INTO activities (work_item_id, kind, actor_id, at, body, data)
VALUES (%s, 'assignment', %s, now(), 'Claimed.', '{"claim": true}')
"""
BARE_AUDIT = """
INSERT INTO audit_events (at, user_id, role, action, object_type, object_id, outcome, channel)
VALUES (now(), %s, 'supervisor', 'update', 'work_item', %s, 'success', 'api')
"""


def _bare_worker(dsn, user_id, *, stop, barrier, with_rows: bool = False) -> int:
    """The bare claim loop; ``with_rows`` adds the activity and audit rows the service writes,
    which separates what those rows cost from what the ORM costs."""
    done = 0
    with psycopg.connect(dsn) as conn:
        barrier.wait()
        while not stop.is_set():
            with conn.cursor() as cur:
                cur.execute(BARE_SELECT, (TODAY,))
                row = cur.fetchone()
                if row is None:
                    conn.commit()
                    break
                cur.execute(BARE_UPDATE, (user_id, row[0]))
                if with_rows:
                    cur.execute(BARE_ACTIVITY, (row[0], user_id))
                    cur.execute(BARE_AUDIT, (user_id, str(row[0])))
            conn.commit()
            done += 1
    return done


def _bare_writes_worker(dsn, user_id, *, stop, barrier) -> int:
    return _bare_worker(dsn, user_id, stop=stop, barrier=barrier, with_rows=True)


def _reset_pool(dsn: str, user_ids: list[int]) -> None:
    """Put back what the previous loop claimed and clear its dead rows, so every loop starts
    from the same pool: the consumed top of the priority index and the dead entries each claim
    leaves there would otherwise make every later loop slower than the one before it."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE work_items SET assignee_id = NULL, claimed_at = NULL "
                     "WHERE assignee_id = ANY(%s)", (user_ids,))
        conn.execute("DELETE FROM activities WHERE actor_id = ANY(%s)", (user_ids,))
        conn.execute("DELETE FROM audit_events WHERE user_id = ANY(%s)", (user_ids,))
        conn.execute("VACUUM ANALYZE work_items, activities, audit_events")


def bench_claims(url: str, rounds: int, seconds: float) -> dict:
    user_ids, queue_id = _bench_users(url)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    loops = {
        "bare": (_bare_worker, [(dsn, uid) for uid in user_ids]),
        "bare_writes": (_bare_writes_worker, [(dsn, uid) for uid in user_ids]),
        "service": (_service_worker, [(url, uid, queue_id) for uid in user_ids]),
        "request": (_request_worker, [(url, uid, queue_id) for uid in user_ids]),
    }
    rates: dict[str, list[float]] = {name: [] for name in loops}
    for round_no in range(rounds):
        for name, (target, args) in loops.items():
            _reset_pool(dsn, user_ids)
            rates[name].append(_run_workers(target, args, seconds) / seconds)
        print(f"  round {round_no + 1}: " + ", ".join(
            f"{name} {values[-1]:.0f}/s" for name, values in rates.items()), flush=True)
    return {name: statistics.mean(values) for name, values in rates.items()}


def _filters(session: Session) -> list[tuple[str, WorklistFilter]]:
    # A commercial payer that is some patients' primary (bulk items use primary coverages).
    summit = session.scalar(select(Payer.id).where(Payer.name.like("Summit%")))
    queues = {q.slug: q for q in session.scalars(select(Queue))}
    worker = session.scalar(select(User.id).where(User.username == "denials1"))
    coordinator = session.scalar(select(User.id).where(User.username == "coord2"))
    return [
        ("queue Denials — Medicare, by priority", WorklistFilter(queue=queues["denials-medicare"])),
        ("queue Eligibility, page 5", WorklistFilter(queue=queues["eligibility"], page=5)),
        ("prior auth, unassigned, by due date",
         WorklistFilter(kinds=("prior_auth",), assignee="none", sort="due")),
        ("my items (specialist), by priority", WorklistFilter(assignee=worker)),
        ("my items (coordinator), by due date", WorklistFilter(assignee=coordinator, sort="due")),
        ("one payer, two statuses, by priority",
         WorklistFilter(payer_ids=(summit,),
                        statuses=("in_progress", "waiting_payer"))),
        ("overdue, all kinds, by due date", WorklistFilter(due_before=TODAY - timedelta(days=1),
                                                          sort="due")),
        ("AR 91-120 days, by amount", WorklistFilter(kinds=("ar_followup",),
                                                     aging_bucket="91-120", sort="amount")),
        ("denials, authorization category, by deadline",
         WorklistFilter(kinds=("denial",), categories=("authorization",), sort="deadline")),
        ("pended items, by due date", WorklistFilter(pended=True, sort="due")),
    ]


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def bench_worklist(url: str, repeats: int) -> dict:
    engine = make_engine(url)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with Session(engine) as session:
        cases = _filters(session)
        session.expunge_all()
    results = {}
    orm_all, bare_all = [], []
    with psycopg.connect(dsn) as raw:
        for label, worklist_filter in cases:
            stmt = worklist_select(worklist_filter, TODAY)
            sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
            orm_times, bare_times = [], []
            for i in range(repeats + 3):
                started = time.perf_counter()
                with Session(engine) as session:
                    rows = list(session.scalars(worklist_select(worklist_filter, TODAY))
                                .unique())
                orm = time.perf_counter() - started
                started = time.perf_counter()
                with raw.cursor() as cur:
                    cur.execute(sql)
                    bare_rows = cur.fetchall()
                raw.commit()
                bare = time.perf_counter() - started
                if i >= 3:  # warm-up runs are not counted
                    orm_times.append(orm * 1000)
                    bare_times.append(bare * 1000)
            results[label] = {
                "rows": len(rows), "bare_rows": len(bare_rows),
                "orm_p50": _percentile(orm_times, 50), "orm_p95": _percentile(orm_times, 95),
                "bare_p50": _percentile(bare_times, 50), "bare_p95": _percentile(bare_times, 95),
            }
            orm_all += orm_times
            bare_all += bare_times
            r = results[label]
            print(f"  {label}: ORM p50 {r['orm_p50']:.1f} p95 {r['orm_p95']:.1f} ms; "
                  f"bare p50 {r['bare_p50']:.1f} p95 {r['bare_p95']:.1f} ms ({len(rows)} rows)",
                  flush=True)
    engine.dispose()
    results["ALL"] = {
        "orm_p50": _percentile(orm_all, 50), "orm_p95": _percentile(orm_all, 95),
        "bare_p50": _percentile(bare_all, 50), "bare_p95": _percentile(bare_all, 95),
    }
    return results


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "unknown CPU")
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo")
                  if line.startswith("MemTotal"))
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return (f"{cpu}, nproc {nproc}, {mem_kb / 1024 / 1024:.1f} GiB RAM, "
            f"Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="wq_bench")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--claim-items", type=int, default=100_000)
    parser.add_argument("--worklist-items", type=int, default=1_000_000)
    parser.add_argument("--claims-only", action="store_true", help="skip the worklist part")
    args = parser.parse_args()
    url = create_database(args.admin_url, args.database)
    migrate.upgrade(url)
    with psycopg.connect(make_url(url).set(drivername="postgresql")
                         .render_as_string(hide_password=False)) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    print(f"{machine()}, PostgreSQL {version}, {date.today().isoformat()}", flush=True)
    print(f"loading {args.claim_items:,} open items", flush=True)
    have = load(url, args.claim_items, 0)
    print(f"claims, {WORKERS} workers, {args.rounds} x {args.seconds:.0f} s each", flush=True)
    claims = bench_claims(url, args.rounds, args.seconds)
    print(f"  bare {claims['bare']:.0f}/s, bare + activity/audit {claims['bare_writes']:.0f}/s, "
          f"service {claims['service']:.0f}/s (ratio {claims['service'] / claims['bare']:.2f}), "
          f"as requests {claims['request']:.0f}/s "
          f"(ratio {claims['request'] / claims['bare']:.2f})", flush=True)
    if args.claims_only:
        return
    print(f"loading up to {args.worklist_items:,} items", flush=True)
    load(url, args.worklist_items, have)
    print(f"worklist, {args.repeats} runs per filter", flush=True)
    worklist = bench_worklist(url, args.repeats)
    overall = worklist["ALL"]
    print(f"  ALL: ORM p50 {overall['orm_p50']:.1f} p95 {overall['orm_p95']:.1f} ms; bare p50 "
          f"{overall['bare_p50']:.1f} p95 {overall['bare_p95']:.1f} ms; p95 ratio "
          f"{overall['orm_p95'] / overall['bare_p95']:.2f}", flush=True)


if __name__ == "__main__":
    main()
