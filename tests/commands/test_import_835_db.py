"""`workqueue import-835 FILE` (no --dry-run) as the installed console script: posts into the
database, prints a summary or the extended JSON report, says so when the file was imported
before, and fails with a message (never a traceback) when it cannot read or save."""

import json
import os
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import make_claim, make_payer
from tests.x12.edi_samples import envelope, payment
from workqueue.db import session_scope
from workqueue.models import Claim, ImportRun, Remittance, WorkItem
from workqueue.services.reason_codes import seed_reason_codes

SCRIPT = Path(sys.executable).with_name("workqueue")
CLAIMS = ["CLP*PCN-C1*1*1000*700*100*12*ICN1", "SVC*HC:96413*1000*700**1", "CAS*CO*45*200",
          "CAS*PR*2*100", "CLP*PCN-C2*1*1000*0**12*ICN2", "CAS*CO*50*1000",
          "CLP*PCN-C3*1*1000*12Q**12*ICN3"]


@pytest.fixture
def db_app(committed_app):
    with committed_app.app_context(), session_scope(committed_app) as session:
        seed_reason_codes(session)
        payer = make_payer(session, name="NORTHWIND HEALTH PLAN")
        for number in ("PCN-C1", "PCN-C2", "PCN-C3"):
            make_claim(session, payer=payer, claim_number=number, billed_amount="1000.00")
    return committed_app


def _run(app, tmp_path, *args, database_url=None):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env |= {"DATABASE_URL": database_url or app.config["DATABASE_URL"],
            "WORKQUEUE_VAR_DIR": str(tmp_path / "var")}
    return subprocess.run([str(SCRIPT), "import-835", *map(str, args)], capture_output=True,
                          text=True, timeout=120, check=False, env=env)


@pytest.fixture
def remit(tmp_path):
    path = tmp_path / "remit.835"
    path.write_text(envelope([payment(CLAIMS, amount="700", trace="CLI-TRACE-1")]))
    return path


def _count(app, model):
    with app.app_context(), session_scope(app) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_import_posts_and_prints_a_summary(db_app, tmp_path, remit):
    result = _run(db_app, tmp_path, remit)
    assert result.returncode == 0, result.stderr
    assert "1 of 1 payment(s) posted" in result.stdout
    assert "claims: 2 posted" in result.stdout and "denial items opened: 1" in result.stdout
    assert "problem at segment" in result.stdout and "PCN-C3" in result.stdout
    with db_app.app_context(), session_scope(db_app) as session:
        claims = {c.claim_number: c for c in session.scalars(select(Claim))}
        assert claims["PCN-C1"].status == "paid"
        assert claims["PCN-C1"].paid_amount == Decimal("700.00")
        assert claims["PCN-C2"].status == "denied" and claims["PCN-C3"].status == "submitted"
        run = session.scalars(select(ImportRun)).one()
        assert run.channel == "cli" and run.status == "done" and len(run.sha256) == 64


def test_json_report_is_extended_with_what_was_posted_and_a_rerun_says_already_imported(
        db_app, tmp_path, remit):
    first = _run(db_app, tmp_path, remit, "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    claims = report["payments"][0]["claims"]
    assert report["payments"][0]["import"]["status"] == "posted"
    assert [c["import"]["result"] for c in claims] == ["posted", "posted"]
    assert claims[1]["denied"] and len(claims[1]["import"]["denial_items"]) == 1
    assert report["import"]["counts"]["posted"] == 2 and not report["import"]["already_imported"]
    assert report["errors"][0]["message"].startswith("claim PCN-C3")
    items = _count(db_app, WorkItem)
    second = _run(db_app, tmp_path, remit, "--json")
    assert second.returncode == 0
    again = json.loads(second.stdout)
    assert again["import"]["already_imported"] is True
    assert "already imported on" in again["payments"][0]["import"]["message"]
    assert _count(db_app, WorkItem) == items and _count(db_app, Remittance) == 1
    text = _run(db_app, tmp_path, remit)
    assert "Nothing changed: this file was imported before." in text.stdout


def test_unreadable_file_exits_2_and_saves_nothing(db_app, tmp_path, remit):
    broken = tmp_path / "broken.835"
    broken.write_bytes(remit.read_bytes()[:-25])
    result = _run(db_app, tmp_path, broken)
    assert result.returncode == 2 and result.stdout == ""
    assert "not a readable 835 file" in result.stderr and "nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr
    assert _count(db_app, ImportRun) == 0 and _count(db_app, Remittance) == 0


def test_database_unreachable_exits_2_with_a_message(db_app, tmp_path, remit, is_postgres):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = (f"postgresql+psycopg://postgres@127.0.0.1:{port}/nowhere" if is_postgres
           else f"sqlite:///{tmp_path}/missing-dir/none.db")
    result = _run(db_app, tmp_path, remit, database_url=url)
    assert result.returncode == 2
    assert "import-835:" in result.stderr and "nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr
