"""Peak memory of a child process, for the bounded-memory tests and `bench/bench_import_memory.py`.

`run_measured` runs the command under a small Python wrapper that reads
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` once the command has ended: the peak resident set of
the command and of every descendant it waited for (a worker's forked work-horse included), in
KiB on Linux. The wrapper is needed because Linux keeps a process's peak across ``exec``: a
command forked straight from a big test process would report the test process's size.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

_WRAPPER = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[2:]); "
            "open(sys.argv[1], 'w').write(str(resource.getrusage("
            "resource.RUSAGE_CHILDREN).ru_maxrss)); sys.exit(done.returncode)")


@dataclass(frozen=True)
class Measured:
    returncode: int
    peak_mib: float
    stdout_bytes: int
    stdout: str  # the first 4 MiB
    stderr: str


def run_measured(command: list[str], env: dict[str, str], timeout: float = 900) -> Measured:
    """Run ``command`` to the end; its exit status, peak RSS, and what it printed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak:
        process = subprocess.Popen([sys.executable, "-c", _WRAPPER, peak.name, *command],
                                   env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
        size = out.tell()
        out.seek(0)
        err.seek(0)
        return Measured(process.returncode, int(peak.read() or 0) / 1024, size,
                        out.read(1 << 22).decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"))


def write_file(path: Path, kind: str, shape: str, megabytes: float) -> Path:
    """A crafted file of about ``megabytes`` MB (`workqueue.x12.synthetic.write_oversized`)."""
    from workqueue.x12.synthetic import write_oversized

    with path.open("w", encoding="ascii") as out:
        write_oversized(out, kind, shape, int(megabytes * 1_000_000))
    return path
