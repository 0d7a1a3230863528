"""`workqueue import-271 FILE` and `workqueue import-277 FILE` as the installed console
script: apply to the database and print a summary or JSON, say so when the file was
imported before, and fail with exit 2 and a message on stderr (never a traceback, nothing
saved) for a broken file or a file of another kind."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import make_claim, make_coverage, make_payer, make_work_item
from tests.x12.edi_samples_27x import claim_277, file_271, file_277, member_271
from workqueue.db import session_scope
from workqueue.models import Activity, Claim, Coverage, ImportRun, WorkItem

SCRIPT = Path(sys.executable).with_name("workqueue")


@pytest.fixture
def db_app(committed_app):
    with committed_app.app_context(), session_scope(committed_app) as session:
        payer = make_payer(session, name="NORTHWIND HEALTH PLAN", edi_payer_id="NWHP01")
        coverage = make_coverage(session, payer=payer, member_id="MEMCLI1")
        make_work_item(session, "eligibility", title="Verify", coverage_id=coverage.id,
                       patient_id=coverage.patient_id, payer_id=payer.id)
        claim = make_claim(session, payer=payer, claim_number="PCN-CLI1")
        make_work_item(session, "ar_followup", title="AR", claim_id=claim.id,
                       patient_id=claim.patient_id, payer_id=payer.id)
    return committed_app


def _run(app, tmp_path, command, *args, database_url=None):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env |= {"DATABASE_URL": database_url or app.config["DATABASE_URL"],
            "WORKQUEUE_VAR_DIR": str(tmp_path / "var")}
    return subprocess.run([str(SCRIPT), command, *map(str, args)], capture_output=True,
                          text=True, timeout=120, check=False, env=env)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def _count(app, model):
    with app.app_context(), session_scope(app) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_import_271_applies_and_prints_a_summary_then_nothing_changes(db_app, tmp_path):
    path = _write(tmp_path, "elig.271", file_271(member_271(3, "MEMCLI1", ["EB*1**30"]),
                                                 member_271(4, "NOBODY", ["EB*1**30"])))
    result = _run(db_app, tmp_path, "import-271", path)
    assert result.returncode == 0, result.stderr
    assert "1 of 2 member(s) applied" in result.stdout and "1 unmatched" in result.stdout
    assert "eligibility items moved: 1" in result.stdout
    assert "problem at segment 13: member at segment 13: no coverage" in result.stdout
    with db_app.app_context(), session_scope(db_app) as session:
        assert session.scalar(select(Coverage.eligibility_status)) == "active"
        assert session.scalar(select(WorkItem.status).where(
            WorkItem.kind == "eligibility")) == "closed"
        run = session.scalars(select(ImportRun)).one()
        assert (run.kind, run.channel, run.status) == ("271", "cli", "done")
    activities = _count(db_app, Activity)
    again = _run(db_app, tmp_path, "import-271", path)
    assert again.returncode == 0
    assert "Nothing changed: this file was imported before." in again.stdout
    assert _count(db_app, Activity) == activities


def test_import_277_prints_json_with_each_claim(db_app, tmp_path):
    path = _write(tmp_path, "status.277", file_277(
        claim_277(4, "PCN-CLI1", "STC*F2:88:PR*20261120", trace="T1"),
        claim_277(5, "PCN-GONE", "STC*A2:20:PR*20261120", trace="T2")))
    result = _run(db_app, tmp_path, "import-277", path, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["kind"] == "277" and report["counts"]["applied"] == 1
    assert [row["result"] for row in report["rows"]] == ["applied", "error"]
    assert report["rows"][0]["needs_action"] is True and len(report["rows"][0]["items"]) == 1
    assert report["errors"][0]["message"].startswith("claim PCN-GONE: no claim")
    with db_app.app_context(), session_scope(db_app) as session:
        assert session.scalar(select(Claim.last_status_code).where(
            Claim.claim_number == "PCN-CLI1")) == "F2"


def test_a_file_of_another_kind_exits_2_and_names_the_right_command(db_app, tmp_path):
    path = _write(tmp_path, "status.277", file_277(claim_277(4, "PCN-CLI1",
                                                             "STC*A2:20:PR*20261120")))
    result = _run(db_app, tmp_path, "import-271", path)
    assert result.returncode == 2 and result.stdout == ""
    assert "this is a 277 file, not a 271; use `workqueue import-277`" in result.stderr
    assert _count(db_app, ImportRun) == 0


@pytest.mark.parametrize("command", ["import-271", "import-277"])
def test_a_broken_file_exits_2_and_saves_nothing(db_app, tmp_path, command):
    text = file_271(member_271(3, "MEMCLI1", ["EB*1**30"])) if command == "import-271" \
        else file_277(claim_277(4, "PCN-CLI1", "STC*A2:20:PR*20261120"))
    path = _write(tmp_path, "broken.x12", text.replace("SE*", "SE*9"))
    result = _run(db_app, tmp_path, command, path)
    assert result.returncode == 2 and result.stdout == ""
    assert f"not a readable {command[-3:]} file: segment" in result.stderr
    assert "Traceback" not in result.stderr
    assert _count(db_app, ImportRun) == 0
    with db_app.app_context(), session_scope(db_app) as session:
        assert session.scalar(select(Coverage.eligibility_status)) == "unverified"
        assert session.scalar(select(Claim.last_status_code)) is None


def test_a_missing_file_and_an_unreachable_database_exit_2(db_app, tmp_path, is_postgres):
    missing = _run(db_app, tmp_path, "import-271", tmp_path / "nope.271")
    assert missing.returncode == 2 and "cannot open" in missing.stderr
    path = _write(tmp_path, "elig.271", file_271(member_271(3, "MEMCLI1", ["EB*1**30"])))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = (f"postgresql+psycopg://postgres@127.0.0.1:{port}/nowhere" if is_postgres
           else f"sqlite:///{tmp_path}/missing-dir/none.db")
    result = _run(db_app, tmp_path, "import-271", path, database_url=url)
    assert result.returncode == 2 and "nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr
