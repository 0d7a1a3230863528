"""`workqueue serve` without REDIS_URL: embedded Redis, a worker and the scheduler beside the
web server; a requested letter is really written; SIGTERM stops every child."""

import os
import re
import select as fdselect
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import NOW
from tests.jobs.conftest import make_denial_case, scope
from tests.jobs.test_worker_crash import _descendants
from workqueue.models import Letter, SweepRun, User
from workqueue.services import letters
from workqueue.services.audit import Actor

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _read_until(proc, pattern: str, timeout: float = 60.0) -> re.Match:
    deadline, seen = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        ready, _, _ = fdselect.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            seen += line
            match = re.search(pattern, line)
            if match:
                return match
        elif proc.poll() is not None:
            break
    raise AssertionError(f"serve never printed {pattern!r}; output so far:\n{seen}")


def test_serve_runs_web_worker_and_scheduler_on_embedded_redis(committed_app, database_url,
                                                               tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env |= {"DATABASE_URL": database_url, "WORKQUEUE_VAR_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from workqueue.cli import main; main()", "serve",
         "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        redis_url = _read_until(proc, r"Embedded Redis at (unix://\S+)").group(1)
        _read_until(proc, rf"running on http://127\.0\.0\.1:{port}/")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=10) as page:
            assert page.status == 200
        committed_app.config.update(REDIS_URL=redis_url, JOB_RETRY_INTERVALS=(0, 0, 0))
        case = make_denial_case(committed_app)
        with scope(committed_app) as session:
            user = session.scalar(select(User).where(User.username == case.specialist))
            letter_id = letters.request_letter(session, case.item_id, Actor.for_user(user),
                                               NOW, finalize=True).id
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with scope(committed_app) as session:
                status = session.get(Letter, letter_id).status
                swept = session.get(SweepRun, "reminders") is not None
            if status == "final" and swept:
                break
            time.sleep(0.5)
        assert status == "final"  # the embedded worker wrote it
        assert swept  # the scheduler enqueued the reminder sweep at start-up
        children = _descendants(proc.pid)
        assert children
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        finally:
            if proc.poll() is None:
                proc.kill()
        conn = committed_app.extensions.pop("workqueue.redis", None)
        if conn is not None:
            conn.close()
    assert proc.returncode == 0

    deadline = time.monotonic() + 20  # grandchildren (work-horse, RQ scheduler) exit last
    while running(children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert running(children) == []


def running(pids: list[int]) -> list[int]:
    """The processes of ``pids`` still running (a zombie has finished)."""
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.append(pid)
    return alive
