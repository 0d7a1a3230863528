"""`workqueue audit seal` and `workqueue audit verify` as the installed console script: exit 0
when the chain is intact, 1 with the finding on stderr when it is not, 2 without a database."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from tests.jobs.conftest import scope
from workqueue import clock
from workqueue.services.audit import Actor, record

SCRIPT = Path(sys.executable).with_name("workqueue")


def _run(tmp_path, database_url, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env |= {"DATABASE_URL": database_url, "WORKQUEUE_VAR_DIR": str(tmp_path / "var")}
    return subprocess.run([str(SCRIPT), "audit", *args], capture_output=True, text=True,
                          timeout=120, check=False, env=env)


def test_seal_then_verify_then_tamper(committed_app, tmp_path):
    url = committed_app.config["DATABASE_URL"]
    with scope(committed_app) as session:
        at = clock.utcnow() - timedelta(minutes=10)
        ids = [record(session, Actor.system("cli"), "view", "claim", i, now=at)
               for i in range(30)]
        session.flush()
        ids = [e.id for e in ids]
    sealed = _run(tmp_path, url, "seal")
    assert sealed.returncode == 0, sealed.stderr
    assert f"sealed 30 audit events in 1 seal(s), through event {ids[-1]}" in sealed.stdout
    again = _run(tmp_path, url, "seal")
    assert again.returncode == 0 and "nothing to seal" in again.stdout
    intact = _run(tmp_path, url, "verify")
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.startswith("intact: 1 seals over 30 audit events")
    with scope(committed_app) as session:
        session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[4]})
    broken = _run(tmp_path, url, "verify")
    assert broken.returncode == 1 and broken.stdout == ""
    assert "rows deleted: 1 of its 30 sealed events are missing" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_verify_without_a_database_says_so(tmp_path):
    missing = tmp_path / "nowhere" / "none.db"
    result = _run(tmp_path, f"sqlite:///{missing}", "verify")
    assert result.returncode == 2
    assert result.stderr.startswith("audit verify: the database could not be read")
    assert "Traceback" not in result.stderr
