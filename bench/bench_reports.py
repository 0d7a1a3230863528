"""Benchmark: board and dashboard read queries over a synthetic database of 100,000 work items.

Usage: ``.venv/bin/python bench/bench_reports.py DATABASE_URL [ITEMS]`` against an EMPTY
database: it is migrated and filled with synthetic rows (ITEMS work items, 2×ITEMS activities,
30,000 claims, 10,000 denials), then each report is timed three times. Medians are printed
beside a full scan of work_items measured in the same run, so results on a busy machine can be
compared as ratios.
"""

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from workqueue import migrate, reports
from workqueue.db import make_engine
from workqueue.models import (
    Activity,
    Claim,
    Denial,
    Patient,
    Payer,
    Queue,
    User,
    WorkItem,
    queue_members,
)
from workqueue.services.users import hash_password

KINDS = ["prior_auth", "eligibility", "denial", "ar_followup"]
CATEGORIES = ["authorization", "eligibility", "coding", "medical_necessity", "timely_filing"]
ROLES = ["admin", "supervisor"] + ["coordinator"] * 8 + ["denial_specialist"] * 6 + [
    "ar_specialist"] * 6


def seed(engine, items: int, now: datetime) -> None:
    rnd = random.Random(7)
    today = now.date()
    pw = hash_password("demo-password-1", fast=True)
    with engine.begin() as c:
        c.execute(insert(User), [dict(id=i, username=f"user{i}", display_name=f"Person {i:02d}",
                                      role=r, password_hash=pw, is_active=True, created_at=now,
                                      failed_logins=0) for i, r in enumerate(ROLES, start=1)])
        c.execute(insert(Payer), [dict(id=i, name=f"Payer {i}", payer_type="commercial")
                                  for i in range(1, 13)])
        c.execute(insert(Patient), [dict(id=i, mrn=f"MRN{i:07d}", first_name="Testa",
                                         last_name=f"Synthetic{i}", birth_date=date(1960, 1, 1),
                                         created_at=now) for i in range(1, 5001)])
        c.execute(insert(Queue), [dict(id=i, slug=f"q{i}", name=f"Queue {i}", kinds=[k],
                                       payer_ids=[], categories=[])
                                  for i, k in enumerate(KINDS, start=1)])
        c.execute(insert(queue_members), [dict(queue_id=q, user_id=u)
                                          for q in range(1, 5) for u in range(3, 23)])
        claims = []
        for i in range(1, 30001):
            dos = today - timedelta(days=rnd.randint(0, 200))
            billed = Decimal(rnd.randint(100, 40000))
            claims.append(dict(id=i, claim_number=f"PCN{i:08d}", patient_id=rnd.randint(1, 5000),
                               payer_id=rnd.randint(1, 12), service_from=dos, service_to=dos,
                               submitted_on=dos + timedelta(days=3),
                               status=rnd.choice(["submitted", "accepted", "paid", "denied"]),
                               billed_amount=billed, balance=billed, created_at=now))
        c.execute(insert(Claim), claims)
        c.execute(insert(Denial), [dict(
            id=i, claim_id=rnd.randint(1, 30000), group_code="CO",
            denied_on=today - timedelta(days=rnd.randint(0, 100)),
            carc_codes=rnd.choice(["197", "16,M51", "50", "29", "18"]), category=rnd.choice(
                CATEGORIES), is_preventable=rnd.random() < .4, amount=Decimal(rnd.randint(
                    100, 9000)), outcome=rnd.choice([None, None, "overturned", "upheld"]),
            recovered_amount=Decimal(rnd.randint(0, 500)), created_at=now)
            for i in range(1, 10001)])
        batch = []
        for i in range(1, items + 1):
            is_open = rnd.random() < .7
            created = now - timedelta(days=rnd.randint(0, 60), hours=rnd.randint(0, 23))
            assignee = rnd.choice([None, None, *range(3, 23)])
            batch.append(dict(
                id=i, kind=rnd.choice(KINDS), status="new" if is_open else "closed",
                is_open=is_open, title=f"Item {i}", patient_id=rnd.randint(1, 5000),
                payer_id=rnd.randint(1, 12), category=rnd.choice(CATEGORIES),
                amount=Decimal(rnd.randint(10, 50000)),
                service_date=today - timedelta(days=rnd.randint(0, 150)),
                due_on=today + timedelta(days=rnd.randint(-20, 30)), assignee_id=assignee,
                claimed_at=created if assignee and rnd.random() < .1 else None,
                last_touched_at=created, priority_score=rnd.random() * 1000,
                created_at=created, updated_at=created,
                closed_at=None if is_open else now - timedelta(days=rnd.randint(0, 20))))
            if len(batch) == 10000:
                c.execute(insert(WorkItem), batch)
                batch = []
        if batch:
            c.execute(insert(WorkItem), batch)
        for start in range(0, 2 * items, 20000):
            c.execute(insert(Activity), [dict(
                work_item_id=rnd.randint(1, items), actor_id=rnd.randint(3, 22), body="",
                kind=rnd.choice(["note", "call", "status_change", "assignment"]),
                at=now - timedelta(days=rnd.randint(0, 30), minutes=rnd.randint(0, 1440)))
                for _ in range(min(20000, 2 * items - start))])


def _median_ms(fn) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)[1]


def main() -> None:
    url, items = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    now = datetime.now(UTC)
    migrate.upgrade(url)
    engine = make_engine(url)
    seed(engine, items, now)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("COMMIT"))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    with Session(engine) as s:
        base = _median_ms(lambda: s.execute(text(
            "SELECT count(*), sum(amount), max(title) FROM work_items")).all())
        timed = {name: (lambda fn=fn: fn(s, now)) for name, fn in reports.REPORTS.items()}
        timed |= {"board-load": lambda: reports.load_by_person(s, now, 4),
                  "board-queues": lambda: reports.unassigned_by_queue(s, now.date()),
                  "board-idle": lambda: reports.idle_claims(s, now, 4)}
        print(f"{engine.dialect.name}, {items} items; baseline full scan {base:.1f} ms")
        for name, fn in timed.items():
            ms = _median_ms(fn)
            print(f"{name:14s} {ms:8.1f} ms  ({ms / base:4.1f}x baseline)")


if __name__ == "__main__":
    main()
