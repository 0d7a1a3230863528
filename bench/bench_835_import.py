"""Benchmark the 835 database import: one synthetic 835 with 10,000 claims, parsed and posted
into PostgreSQL (its own database), every claim pre-created so it matches, an AR follow-up
item on each claim, and a skill-routed round-robin denial queue so denial items are assigned.

Baseline in the same run and child process: parsing the same file alone (`iter_remittance`).
The import runs in a child process so its peak RSS (VmHWM) is its own, not the setup's.

Run: ``.venv/bin/python bench/bench_835_import.py [--claims 10000]
[--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]``.
Prints a Markdown fragment for the "X12 835 parsing" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from workqueue import migrate
from workqueue.db import count_statements, make_engine
from workqueue.models import (
    AssignmentStrategy,
    Claim,
    ClaimLine,
    Patient,
    Payer,
    PayerAppealLevel,
    PayerType,
    Queue,
    WorkItem,
)
from workqueue.services.audit import Actor
from workqueue.services.reason_codes import seed_reason_codes
from workqueue.services.users import create_user, set_skills
from workqueue.x12.remit835 import ClaimPayment, iter_remittance, parse_remittance
from workqueue.x12.synthetic import write_835

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
CATEGORIES = ("authorization", "eligibility", "medical_necessity", "coding",
              "missing_information", "timely_filing", "duplicate", "cob", "non_covered",
              "pricing", "other")


def _database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _write(path: Path, claims: int) -> None:
    transactions = max(1, claims // 1000)
    with path.open("w", encoding="ascii", newline="") as out:
        write_835(out, claims=claims // transactions, transactions=transactions, plb=True,
                  seed=2026)


def _setup(url: str, path: Path) -> dict[str, int]:
    """Payers, patients, one claim (with its lines) and one AR item per CLP01 in the file."""
    with path.open("rb") as stream:
        parsed = parse_remittance(stream)
    engine = make_engine(url)
    with Session(engine) as session:
        seed_reason_codes(session, NOW)
        payers = {}
        for name in sorted({p.payer.name for p in parsed.payments}):
            payer = Payer(name=name, payer_type=PayerType.COMMERCIAL)
            payer.appeal_levels = [PayerAppealLevel(level=1, name="First", window_days=180,
                                                    decision_days=30)]
            session.add(payer)
            payers[name] = payer
        specialists = []
        for index, category in enumerate(CATEGORIES):
            user = create_user(session, f"spec{index}", "denial_specialist", "bench-password-1",
                               display_name=f"Specialist {index}", fast_hash=True)
            set_skills(user, [("denial_category", category)])
            specialists.append(user)
        session.add(Queue(slug="denials", name="Denials", kinds=["denial"], members=specialists,
                          strategy=AssignmentStrategy.ROUND_ROBIN, is_skill_matched=True))
        session.flush()
        patients = [Patient(mrn=f"BENCH{i:06d}", first_name="Bench", last_name=f"Sample{i}",
                            birth_date=date(1960, 1, 1)) for i in range(200)]
        session.add_all(patients)
        session.flush()
        first: dict[str, tuple[ClaimPayment, int]] = {}
        for payment in parsed.payments:
            for claim in payment.claims:
                first.setdefault(claim.claim_id, (claim, payers[payment.payer.name].id))
        claim_rows = []
        for index, (number, (clp, payer_id)) in enumerate(first.items()):
            billed = abs(clp.charge)
            claim_rows.append({"claim_number": number, "patient_id": patients[index % 200].id,
                               "payer_id": payer_id, "service_from": date(2026, 9, 1),
                               "service_to": date(2026, 9, 1), "submitted_on": date(2026, 9, 4),
                               "status": "submitted", "billed_amount": billed,
                               "paid_amount": Decimal(0), "adjustment_amount": Decimal(0),
                               "patient_responsibility": Decimal(0), "balance": billed,
                               "created_at": NOW})
        ids = session.scalars(insert(Claim).returning(Claim.id), claim_rows).all()
        line_rows, item_rows = [], []
        for claim_id, (clp, payer_id), row in zip(ids, first.values(), claim_rows, strict=True):
            for number, svc in enumerate(clp.lines, start=1):
                line_rows.append({"claim_id": claim_id, "line_number": number,
                                  "procedure_code": svc.procedure[:5], "modifiers": "",
                                  "units": Decimal(1), "charge": abs(svc.charge),
                                  "paid": Decimal(0), "service_date": date(2026, 9, 1)})
            item_rows.append({"kind": "ar_followup", "status": "in_progress", "is_open": True,
                              "title": "AR follow-up", "claim_id": claim_id,
                              "patient_id": row["patient_id"], "payer_id": payer_id,
                              "amount": row["billed_amount"], "priority_score": 0.0,
                              "priority_override": 0, "created_at": NOW, "updated_at": NOW,
                              "version": 1})
        if line_rows:
            session.execute(insert(ClaimLine), line_rows)
        session.execute(insert(WorkItem), item_rows)
        session.commit()
    engine.dispose()
    return {"claims_in_file": sum(len(p.claims) for p in parsed.payments),
            "claims_created": len(ids), "transactions": parsed.transactions}


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _child(url: str, path: Path) -> None:
    """Parse alone (baseline), then parse + import in one transaction; print JSON."""
    from workqueue.db import session_scope  # noqa: F401 - same import cost as the CLI
    from workqueue.services.remittances import import_remittance

    started = time.perf_counter()
    with path.open("rb") as stream:
        parsed = sum(1 for e in iter_remittance(stream) if isinstance(e, ClaimPayment))
    parse_seconds = time.perf_counter() - started
    rss_after_parse = _peak_rss_mb()
    engine = make_engine(url)
    started = time.perf_counter()
    with (count_statements(engine) as seen, Session(engine) as session,
          path.open("rb") as stream):
        result = import_remittance(session, stream, Actor.system("cli"), NOW, collect=False)
        session.commit()
    import_seconds = time.perf_counter() - started
    statements = len(seen)
    engine.dispose()
    print(json.dumps({"parsed": parsed, "parse_seconds": parse_seconds,
                      "import_seconds": import_seconds, "counts": result.counts,
                      "statements": statements,
                      "rss_after_parse_mb": rss_after_parse, "peak_rss_mb": _peak_rss_mb()}))


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        out = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
               for table in ("remittances", "remittance_claims", "remittance_adjustments",
                             "provider_adjustments", "denials", "audit_events")}
        out["denial_items_assigned"] = conn.execute(text(
            "SELECT count(*) FROM work_items WHERE kind='denial' AND assignee_id IS NOT NULL"
        )).scalar_one()
        out["ar_closed"] = conn.execute(text(
            "SELECT count(*) FROM work_items WHERE kind='ar_followup' AND status='closed'"
        )).scalar_one()
        statuses = conn.execute(text("SELECT status, count(*) FROM claims GROUP BY status"))
        out["claim_status"] = dict(Counter({s: n for s, n in statuses}))
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--admin-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"))
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return
    name = "wq_bench_835_import"
    url = _database(args.admin_url, name)
    try:
        migrate.upgrade(url)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.835"
            _write(path, args.claims)
            setup = _setup(url, path)
            output = subprocess.run([sys.executable, __file__, "--child", url, str(path)],
                                    capture_output=True, text=True, check=True)
            measured = json.loads(output.stdout)
            size_mb = path.stat().st_size / 2**20
        tables = _counts(url)
    finally:
        _drop(args.admin_url, name)
    claims = measured["parsed"]
    print(f"file: {size_mb:.1f} MB, {setup['transactions']} transactions, {claims:,} claims "
          f"({setup['claims_created']:,} distinct CLP01, all pre-created with an AR item)")
    print()
    print("| step | time | claims/s | peak RSS |")
    print("|---|---:|---:|---:|")
    print(f"| parse only (`iter_remittance`, baseline) | {measured['parse_seconds']:.2f} s | "
          f"{claims / measured['parse_seconds']:,.0f} | {measured['rss_after_parse_mb']:.0f} MB |")
    print(f"| parse + import (`import_remittance`, one commit) | "
          f"{measured['import_seconds']:.2f} s | {claims / measured['import_seconds']:,.0f} | "
          f"{measured['peak_rss_mb']:.0f} MB |")
    print()
    ratio = measured["import_seconds"] / measured["parse_seconds"]
    print(f"import / parse time ratio: {ratio:.1f}x")
    print(f"SQL statements: {measured['statements']:,} "
          f"({measured['statements'] / claims:.2f} per claim)")
    print(f"counts: {json.dumps(measured['counts'])}")
    print(f"tables: {json.dumps(tables)}")
    print(f"Machine: {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}; "
          f"{date.today().isoformat()}")


if __name__ == "__main__":
    main()
