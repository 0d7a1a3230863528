"""Server time of the worklist page with 100,000 work items, against the bare query.

Builds a fresh database (SQLite file, or PostgreSQL when DATABASE_URL is a postgres URL: a
new database is created and dropped), loads the demo data set plus N bulk items, signs in a
supervisor through the test client and requests the worklist page with varied filters,
sorts and pages. Each page is timed as a full Flask request (routing, login, form, queries,
audit write and commit, template rendering); the baseline is the same page's two read
statements run alone through ``screens.worklist_page``. It also counts the SQL statements
per page for page sizes 10, 50 and 200 (they must be equal: no N+1).

    .venv/bin/python bench/bench_worklist_page.py [--items 100000] [--rounds 3]
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from werkzeug.datastructures import MultiDict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workqueue import create_app, migrate  # noqa: E402
from workqueue.clock import utcnow  # noqa: E402
from workqueue.db import count_statements, engine_of, session_scope  # noqa: E402
from workqueue.demo.bulk import bulk_insert_work_items  # noqa: E402
from workqueue.demo.seed import seed_demo  # noqa: E402
from workqueue.forms.queues import WorklistFilterForm, worklist_filter  # noqa: E402
from workqueue.models import Payer, Queue, User  # noqa: E402
from workqueue.screens import worklist_page  # noqa: E402

QUERIES = (
    "",
    "page=2",
    "page=40",
    "sort=due",
    "sort=due&dir=desc&page=7",
    "sort=amount&dir=desc",
    "sort=amount&dir=asc&page=3",
    "sort=deadline",
    "sort=created&dir=desc",
    "sort=status",
    "sort=kind&page=5",
    "sort=payer",
    "sort=assignee&dir=desc",
    "sort=patient&page=2",
    "assignee=none",
    "assignee=none&sort=due",
    "assignee={user}",
    "payer={payer}",
    "payer={payer}&sort=amount&dir=desc&page=3",
    "amount_min=5000",
    "amount_min=1000&amount_max=20000&sort=due",
    "aging=61-90",
    "aging=121%2B&sort=amount&dir=desc",
    "due_from={today}&due_to={soon}",
    "pended=all",
    "pended=pended&sort=due",
    "kind=denial&status=triaged",
    "per_page=200",
    "per_page=100&page=4&sort=priority",
    "status=new&assignee=none&sort=amount&dir=desc",
)


def _database(base: str, tmp: Path) -> tuple[str, callable]:
    if not base.startswith("postgresql"):
        url = f"sqlite:///{tmp / 'bench.db'}"
        return url, lambda: None
    name = f"wq_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wq-bench-"))
    url, drop = _database(os.environ.get("DATABASE_URL", ""), tmp)
    try:
        run(url, args)
    finally:
        drop()


def run(url: str, args) -> None:
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "bench", "PASSWORD_HASH_FAST": True})
    now = utcnow()
    started = time.perf_counter()
    with session_scope(app) as db:
        seed_demo(db, now, patients=500, fast_hash=True)
    with session_scope(app) as db:
        bulk_insert_work_items(db, args.items, now, seed=7)
    engine = engine_of(app)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    print(f"loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    with session_scope(app) as db:
        queue = db.scalar(select(Queue).where(Queue.slug == "prior-auth")) or db.scalar(
            select(Queue).order_by(Queue.id))
        payer_id = db.scalar(select(Payer.id).order_by(Payer.id))
        user_id = db.scalar(select(User.id).where(User.role == "coordinator").order_by(User.id))
        slug = queue.slug
        total_items = db.execute(text("SELECT count(*) FROM work_items")).scalar()
    today = now.date()
    queries = [q.format(user=user_id, payer=payer_id, today=today.isoformat(),
                        soon=date.fromordinal(today.toordinal() + 14).isoformat())
               for q in QUERIES]

    client = app.test_client()
    client.post("/auth/login", data={"username": "super1", "password": "demo-password-1"})
    assert client.get(f"/queues/{slug}").status_code == 200
    page_times: list[float] = []
    query_times: list[float] = []
    for _ in range(args.rounds):
        for q in queries:
            t0 = time.perf_counter()
            response = client.get(f"/queues/{slug}?{q}")
            page_times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (q, response.status_code)
            with app.test_request_context(f"/queues/{slug}?{q}"):
                with session_scope(app) as db:
                    queue = db.scalar(select(Queue).where(Queue.slug == slug))
                    form = WorklistFilterForm(formdata=MultiDict(
                        [kv.split("=", 1) for kv in q.split("&") if "=" in kv]))
                    form.payer.choices = [(str(payer_id), "")] + [("", "")]
                    form.assignee.choices = [("", ""), ("none", ""), ("me", ""),
                                             (str(user_id), "")]
                    form.validate()
                    f = worklist_filter(form, queue, user_id)
                    t0 = time.perf_counter()
                    worklist_page(db, f, today)
                    query_times.append((time.perf_counter() - t0) * 1000)

    counts = {}
    for size in (10, 50, 200):
        with count_statements(engine) as seen:
            client.get(f"/queues/{slug}?per_page={size}&sort=payer")
        counts[size] = len(seen)

    p50, p95 = statistics.median(page_times), pct(page_times, 0.95)
    b50, b95 = statistics.median(query_times), pct(query_times, 0.95)
    print("## Worklist page\n")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {engine.dialect.name}; run {now:%Y-%m-%d}")
    print(f"- data: {total_items:,} work items (demo set + {args.items:,} bulk), queue "
          f"`{slug}`; {len(queries)} filter/sort/page variants x {args.rounds} rounds")
    print("\n| measure | p50 ms | p95 ms | max ms |\n|---|---|---|---|")
    print(f"| full page (Flask request, HTML) | {p50:.1f} | {p95:.1f} | {max(page_times):.1f} |")
    print(f"| baseline: the page's 2 read statements alone | {b50:.1f} | {b95:.1f} | "
          f"{max(query_times):.1f} |")
    print(f"\nratio page/baseline: p50 {p50 / b50:.2f}x, p95 {p95 / b95:.2f}x; "
          f"target p95 < 300 ms: {'met' if p95 < 300 else 'NOT met'}")
    print("\nSQL statements per page (sort=payer): "
          + ", ".join(f"{size} rows: {n}" for size, n in counts.items()))
    slow = sorted(zip(page_times, queries * args.rounds, strict=True), reverse=True)[:5]
    print("\nslowest pages: " + "; ".join(f"`{q or '(default)'}` {t:.0f} ms" for t, q in slow))


if __name__ == "__main__":
    main()
