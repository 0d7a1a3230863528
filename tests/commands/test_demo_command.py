"""`workqueue demo` and `serve` on a laptop, as real processes: a taken port and a data
directory already in use are refused before anything starts, with what to do instead; Ctrl-C
(SIGINT to the terminal's process group) and SIGTERM stop the web server, worker, scheduler and
embedded Redis within 5 seconds, with no traceback."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.jobs.test_serve import _free_port, _read_until, running
from tests.jobs.test_worker_crash import _descendants

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
WORKQUEUE = [sys.executable, "-c", "from workqueue.cli import main; main()"]


def _env(var_dir: Path) -> dict:
    """Laptop mode: SQLite and the embedded Redis, both in ``var_dir``."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    return env | {"WORKQUEUE_VAR_DIR": str(var_dir)}


def _run(args: list[str], var_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*WORKQUEUE, *args], env=_env(var_dir), capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def _start(args: list[str], var_dir: Path) -> subprocess.Popen:
    # Its own process group, as a terminal gives a foreground command: Ctrl-C is a SIGINT to it.
    return subprocess.Popen([*WORKQUEUE, *args], env=_env(var_dir), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            start_new_session=True)


def _redis_server_pids(socket_path: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if socket_path in cmdline and "redis-server" in cmdline and state != "Z":
                found.append(int(entry.name))
    return found


def _stop_and_time(proc: subprocess.Popen, signum: int, *, group: bool) -> float:
    started = time.monotonic()
    if group:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    try:
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return time.monotonic() - started


def test_a_taken_port_is_refused_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(["demo", "--port", str(port)], tmp_path)
    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert f"workqueue demo --port {port + 1}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "workqueue.db").exists() and not (tmp_path / "redis").exists()


def test_one_instance_per_data_directory_and_ctrl_c_stops_everything(tmp_path):
    assert _run(["db", "upgrade"], tmp_path).returncode == 0
    port = _free_port()
    first = _start(["serve", "--port", str(port)], tmp_path)
    try:
        redis_socket = _read_until(first, r"Embedded Redis at unix://(\S+)").group(1)
        _read_until(first, rf"running on http://127\.0\.0\.1:{port}/")
        children = _descendants(first.pid)
        assert len(children) >= 2  # the worker and the scheduler

        second = _run(["demo", "--port", str(_free_port())], tmp_path)
        assert second.returncode != 0
        assert "already running on the data directory" in second.stderr
        assert f"process {first.pid}" in second.stderr
        assert "WORKQUEUE_VAR_DIR=" in second.stderr and "Traceback" not in second.stderr

        # The first one is untouched: its web server answers and its Redis runs.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=10) as page:
            assert page.status == 200
        assert _redis_server_pids(redis_socket)

        seconds = _stop_and_time(first, signal.SIGINT, group=True)  # a terminal's Ctrl-C
    finally:
        if first.poll() is None:
            first.kill()
    out, err = first.communicate(timeout=10)
    assert seconds < 5, f"stopped after {seconds:.1f} s"
    assert first.returncode == 0
    assert "Traceback" not in err and "Traceback" not in out
    assert "workqueue stopped." in out
    deadline = time.monotonic() + 3
    while (running(children) or _redis_server_pids(redis_socket)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running(children) == [] and _redis_server_pids(redis_socket) == []
    # The lock went with the process: the directory can be served again.
    again = _start(["serve", "--port", str(port), "--no-jobs"], tmp_path)
    try:
        _read_until(again, rf"running on http://127\.0\.0\.1:{port}/")
    finally:
        _stop_and_time(again, signal.SIGTERM, group=False)


def test_sigterm_stops_the_demo_within_five_seconds(tmp_path):
    assert _run(["db", "upgrade"], tmp_path).returncode == 0
    made = _run(["create-user", "admin9", "--role", "admin", "--password",
                 "a-long-password-1"], tmp_path)  # data on file: the demo skips the seed
    assert made.returncode == 0, made.stderr
    port = _free_port()
    demo = _start(["demo", "--port", str(port)], tmp_path)
    try:
        assert "Demo data already loaded" in _read_until(demo, r"Demo data already loaded").string
        redis_socket = _read_until(demo, r"Embedded Redis at unix://(\S+)").group(1)
        _read_until(demo, rf"running on http://127\.0\.0\.1:{port}/")
        children = _descendants(demo.pid)
        time.sleep(1)  # the worker and scheduler are up and idle
        seconds = _stop_and_time(demo, signal.SIGTERM, group=False)
    finally:
        if demo.poll() is None:
            demo.kill()
    out, err = demo.communicate(timeout=10)
    assert seconds < 5, f"stopped after {seconds:.1f} s"
    assert demo.returncode == 0 and "Traceback" not in err
    assert running(children) == [] and _redis_server_pids(redis_socket) == []
