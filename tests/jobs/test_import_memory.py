"""Bounded memory on every import (issue 16): crafted files of 2 MB and 8 MB — one claim of
endless CAS segments, hundreds of thousands of tiny claims, or as many problems — go to the
real command line and to a real RQ worker in child processes, and the child's peak resident
memory stays under a bound and does not grow with the file. Before the limits, the dry run of
the 8 MB file of tiny claims peaked at 1,043 MiB (315 MiB for 2 MB) and printed 96 MB of JSON.

``bench/bench_import_memory.py`` measures the same paths on bigger files for
docs/benchmarks.md.
"""

import json
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import make_user
from tests.jobs.conftest import scope
from tests.memory_probe import run_measured, write_file
from workqueue.clock import utcnow
from workqueue.models import ImportLine, ImportRun
from workqueue.services.audit import Actor
from workqueue.services.imports import start_import

SCRIPT = Path(sys.executable).with_name("workqueue")
SIZES = (2, 8)  # MB: 4x the file, the same memory
PEAK_MIB = 200  # an import process is ~70-130 MiB of interpreter, libraries and app
GROWTH_MIB = 16  # what 4x the file may add, at most


def _env(app, tmp_path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    return env | {"DATABASE_URL": app.config["DATABASE_URL"],
                  "WORKQUEUE_VAR_DIR": str(tmp_path / "var")} | extra


def _claims_in(report: Path) -> int:
    """Claims in a full report, counted a megabyte at a time (it is ~12x the file)."""
    count, tail = 0, ""
    with report.open() as text:
        while chunk := text.read(1 << 20):
            window = tail + chunk
            count += window.count('"claim_id"')
            tail = window[-9:]  # a key cut in two is counted once, in the next window
    return count


def _assert_flat(peaks: list[float]) -> None:
    assert max(peaks) < PEAK_MIB, peaks
    assert peaks[1] - peaks[0] < GROWTH_MIB, peaks


def test_the_dry_run_report_of_a_file_of_tiny_claims_keeps_memory_flat(tmp_path):
    peaks = []
    for megabytes in SIZES:
        path = write_file(tmp_path / f"claims-{megabytes}.835", "835", "claims", megabytes)
        full = tmp_path / f"full-{megabytes}.json"
        done = run_measured([str(SCRIPT), "import-835", str(path), "--dry-run", "--json",
                             "--report-file", str(full)], dict(os.environ))
        assert done.returncode == 0, done.stderr
        printed = json.loads(done.stdout)
        assert printed["truncated"]["claims"] == printed["totals"]["claims"] - 1000
        assert done.stdout_bytes < 1_000_000  # the first 1,000 claims, not all of them
        assert _claims_in(full) == printed["totals"]["claims"] > 30_000 * megabytes
        if megabytes == SIZES[0]:  # the full report is one JSON document (read it once)
            with full.open() as report:
                assert json.load(report)["totals"] == printed["totals"]
        peaks.append(done.peak_mib)
    _assert_flat(peaks)


def test_the_cli_refuses_the_cas_probe_naming_the_limit_with_flat_memory(committed_app,
                                                                        tmp_path):
    peaks = []
    for megabytes in SIZES:
        path = write_file(tmp_path / f"cas-{megabytes}.835", "835", "cas", megabytes)
        done = run_measured([str(SCRIPT), "import-835", str(path), "--json"],
                            _env(committed_app, tmp_path))
        assert done.returncode == 2 and done.stdout_bytes == 0
        assert ("segment 20008: the claim that begins at segment 8 (CLP) has more than "
                "20,000 segments, the most one claim or member may have (setting "
                "IMPORT_MAX_SEGMENTS_PER_CLAIM); nothing was imported") in done.stderr
        peaks.append(done.peak_mib)
    _assert_flat(peaks)
    with scope(committed_app) as session:
        assert session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_the_cli_import_of_a_277_of_problems_keeps_memory_flat(committed_app, tmp_path):
    peaks = []
    for megabytes in SIZES:
        path = write_file(tmp_path / f"problems-{megabytes}.277", "277", "problems",
                          megabytes)
        done = run_measured([str(SCRIPT), "import-277", str(path), "--json"],
                            _env(committed_app, tmp_path))
        assert done.returncode == 0, done.stderr
        printed = json.loads(done.stdout)
        assert len(printed["errors"]) == 1000 and printed["truncated"]["errors"] > 0
        assert printed["counts"]["problems"] > 15_000 * megabytes
        peaks.append(done.peak_mib)
        with scope(committed_app) as session:  # every problem is kept, row by row
            assert session.scalar(select(func.count()).select_from(ImportLine).where(
                ImportLine.import_run_id == printed["run"], ImportLine.kind == "problem")) \
                == printed["counts"]["problems"]
    _assert_flat(peaks)


@pytest.mark.parametrize("shape", ["problems", "cas"])
def test_a_real_worker_imports_crafted_uploads_with_flat_memory(import_app, tmp_path, shape,
                                                                redis_url):
    with scope(import_app) as session:
        actor = Actor.for_user(make_user(session, "ar_specialist"))
    peaks, runs = [], []
    for megabytes in SIZES:
        path = write_file(tmp_path / f"{shape}-{megabytes}.835", "835", shape, megabytes)
        with scope(import_app) as session, path.open("rb") as stream:
            runs.append(start_import(session, stream, path.name, actor, utcnow(),
                                     Path(import_app.config["IMPORT_DIR"])).id)
        done = run_measured([str(SCRIPT), "worker", "imports", "--burst"],
                            _env(import_app, tmp_path, REDIS_URL=redis_url,
                                 IMPORT_DIR=import_app.config["IMPORT_DIR"]))
        assert done.returncode == 0, done.stderr
        peaks.append(done.peak_mib)
    _assert_flat(peaks)
    with scope(import_app) as session:
        for run_id in runs:
            run = session.get(ImportRun, run_id)
            if shape == "cas":
                assert run.status == "failed"
                assert "more than 20,000 segments" in run.message
                assert "IMPORT_MAX_SEGMENTS_PER_CLAIM" in run.message
            else:
                assert run.status == "done" and len(run.errors) == 1000
                assert run.counts["problems"] == session.scalar(
                    select(func.count()).select_from(ImportLine)
                    .where(ImportLine.import_run_id == run_id)) > 50_000
