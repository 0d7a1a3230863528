"""Peak memory of every X12 import path against file size (issue 16): crafted files — one
claim of endless ``CAS*CO*45*0.01`` (the 6.85 GB probe), a transaction of tiny claims (the
1.1 GB dry run), claims or members that are all problems — through the real command line
(``import-835 --dry-run --json``, ``import-835/271/277 --json``) and through a real RQ worker
(``workqueue worker imports --burst`` after an upload), each in a child process whose peak
RSS is read with ``getrusage(RUSAGE_CHILDREN)`` (``tests/memory_probe.py``).

Run: ``.venv/bin/python bench/bench_import_memory.py [--sizes 5,20]
[--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
[--redis-url redis://127.0.0.1:6379/4] [--workqueue PATH] [--paths dry-run,cli,worker]``.
``--workqueue`` measures another build's console script (an older checkout, to compare).
Its own PostgreSQL database is created and dropped; the Redis database given is emptied.
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.memory_probe import Measured, run_measured, write_file  # noqa: E402

CLI_CASES = (("835", "cas"), ("835", "problems"), ("271", "problems"), ("277", "problems"))
WORKER_CASES = (("835", "cas"), ("835", "problems"), ("277", "problems"))


def _database(admin_url: str, name: str, drop_only: bool = False) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop_only:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _row(path: str, kind: str, shape: str, megabytes: float, done: Measured,
         seconds: float, run: tuple[str, str] | None = None) -> str:
    outcome = "ok" if done.returncode == 0 else f"exit {done.returncode}"
    if done.returncode and "IMPORT_MAX_SEGMENTS" in done.stderr:
        outcome = "refused at the limit"
    if run is not None:  # a worker exits 0 either way: what became of the run
        status, message = run
        outcome = "run refused at the limit" if "IMPORT_MAX_SEGMENTS" in message else \
            f"run {status}"
    return (f"| {path} | {kind} {shape} | {megabytes:g} MB | {done.peak_mib:,.0f} MiB | "
            f"{seconds:,.1f} s | {done.stdout_bytes:,} | {outcome} |")


def _upload(url: str, redis_url: str, imports: Path, path: Path) -> int:
    """What the web upload does: store the file and queue its import (after commit); the
    run's id."""
    from workqueue import create_app
    from workqueue.clock import utcnow
    from workqueue.config import Config
    from workqueue.db import session_scope
    from workqueue.services.audit import Actor
    from workqueue.services.imports import start_import

    config = {key: getattr(Config, key) for key in dir(Config) if key.isupper()}
    app = create_app(config | {"DATABASE_URL": url, "REDIS_URL": redis_url,
                               "IMPORT_DIR": str(imports)})
    with app.app_context(), session_scope(app) as session, path.open("rb") as stream:
        return start_import(session, stream, path.name, Actor.system("web"), utcnow(),
                            imports).id


def _run_status(url: str, run_id: int) -> tuple[str, str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        status, message = conn.execute(text("SELECT status, message FROM import_runs "
                                            "WHERE id = :id"), {"id": run_id}).one()
    engine.dispose()
    return status, message or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,20")
    parser.add_argument("--admin-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--workqueue", default=str(Path(sys.executable).with_name("workqueue")))
    parser.add_argument("--paths", default="dry-run,cli,worker")
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    paths = set(args.paths.split(","))
    script = args.workqueue
    name = f"wq_bench_memory_{os.getpid()}"
    url = _database(args.admin_url, name)
    from redis import Redis

    from workqueue import migrate

    migrate.upgrade(url)
    Redis.from_url(args.redis_url).flushdb()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | {
                "DATABASE_URL": url, "WORKQUEUE_VAR_DIR": str(work / "var"),
                "REDIS_URL": args.redis_url, "IMPORT_DIR": str(work / "imports")}
            has_report_file = "--report-file" in subprocess.run(
                [script, "import-835", "--help"], capture_output=True, text=True).stdout
            for megabytes in sizes:
                if "dry-run" in paths:
                    path = write_file(work / "claims.835", "835", "claims", megabytes)
                    extra = ["--report-file", str(work / "full.json")] if has_report_file \
                        else []
                    start = time.perf_counter()
                    done = run_measured([script, "import-835", str(path), "--dry-run",
                                         "--json", *extra], env)
                    rows.append(_row("CLI dry run", "835", "claims", megabytes, done,
                                     time.perf_counter() - start))
                    print(rows[-1], file=sys.stderr)
                for kind, shape in CLI_CASES if "cli" in paths else ():
                    path = write_file(work / f"{shape}.{kind}", kind, shape, megabytes)
                    start = time.perf_counter()
                    done = run_measured([script, f"import-{kind}", str(path), "--json"], env)
                    rows.append(_row("CLI import", kind, shape, megabytes, done,
                                     time.perf_counter() - start))
                    print(rows[-1], file=sys.stderr)
                for kind, shape in WORKER_CASES if "worker" in paths else ():
                    path = write_file(work / f"{shape}-{megabytes}.{kind}", kind, shape,
                                      megabytes)
                    run_id = _upload(url, args.redis_url, work / "imports", path)
                    start = time.perf_counter()
                    done = run_measured([script, "worker", "imports", "--burst"], env)
                    rows.append(_row("worker job", kind, shape, megabytes, done,
                                     time.perf_counter() - start, _run_status(url, run_id)))
                    print(rows[-1], file=sys.stderr)
    finally:
        _database(args.admin_url, name, drop_only=True)
        Redis.from_url(args.redis_url).flushdb()
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; script: {script}\n")
    print("| path | file | size | peak RSS | time | stdout bytes | outcome |")
    print("|---|---|---:|---:|---:|---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
