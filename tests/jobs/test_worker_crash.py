"""A `workqueue worker` process killed with SIGKILL in the middle of a letter: the job is
picked up again and exactly one final letter exists."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq.registry import StartedJobRegistry
from sqlalchemy import func, select

from tests.factories import NOW
from tests.jobs.conftest import make_denial_case, scope
from workqueue.models import JobRequest, Letter, User
from workqueue.services import letters
from workqueue.services.audit import Actor

pytestmark = pytest.mark.slow


def _worker(database_url: str, redis_url: str, *args: str, delay: float = 0.0):
    env = os.environ | {"DATABASE_URL": database_url, "REDIS_URL": redis_url,
                        "LETTER_RENDER_DELAY_SECONDS": str(delay),
                        "JOB_RETRY_INTERVALS": "0,0,0"}
    return subprocess.Popen(
        [sys.executable, "-c", "from workqueue.cli import main; main()", "worker", *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2])


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL the worker and everything it started (its work-horse runs in its own group)."""
    for pid in [proc.pid, *_descendants(proc.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


def _wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_worker_mid_letter_is_recovered_with_exactly_one_final_letter(
        jobs_app, database_url, redis_url):
    case = make_denial_case(jobs_app)
    with scope(jobs_app) as session:
        user = session.scalar(select(User).where(User.username == case.specialist))
        letter_id = letters.request_letter(session, case.item_id, Actor.for_user(user), NOW,
                                           finalize=True).id

    def letter():
        with scope(jobs_app) as session:
            return session.get(Letter, letter_id)

    victim = _worker(database_url, redis_url, "letters", "--name", "victim", delay=3.0)
    try:
        _wait_for(lambda: letter().status == "generating" and letter().progress >= 10,
                  what="the worker to start the letter")
    finally:
        _kill_tree(victim)
    assert letter().status == "generating"  # died half-way

    # What the next worker's maintenance does once the dead job's heartbeat has expired:
    # the abandoned job goes back on its queue (it has retries left).
    conn = Redis.from_url(redis_url)
    StartedJobRegistry("letters", connection=conn).cleanup(timestamp=time.time() + 3600)
    conn.close()

    rescuer = _worker(database_url, redis_url, "letters", "--burst", "--name", "rescuer")
    try:
        rescuer.wait(timeout=120)
    finally:
        if rescuer.poll() is None:
            _kill_tree(rescuer)
    assert rescuer.returncode == 0, rescuer.stderr.read().decode()[-2000:]
    with scope(jobs_app) as session:
        final = session.scalars(select(Letter).where(Letter.status == "final")).all()
        assert [f.id for f in final] == [letter_id]
        assert final[0].pdf_sha256 and len(final[0].versions) == 1
        row = session.scalar(select(JobRequest).where(JobRequest.job_id == f"letter-{letter_id}"))
        assert row.status == "done" and row.attempts == 2
        assert session.scalar(select(func.count()).select_from(Letter)) == 1
