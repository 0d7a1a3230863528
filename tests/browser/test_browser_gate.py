"""A machine without chromium skips the browser tests and says why; CI makes that a failure."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_journeys(require: str | None) -> subprocess.CompletedProcess:
    """The journeys in a child pytest that looks for chromium where there is none."""
    env = {k: v for k, v in os.environ.items() if k != "WORKQUEUE_REQUIRE_BROWSER"}
    env["WORKQUEUE_CHROMIUM"] = "/nonexistent/chromium"
    if require is not None:
        env["WORKQUEUE_REQUIRE_BROWSER"] = require
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/browser/test_journeys.py", "-q",
         "-p", "no:cacheprovider"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_missing_chromium_skips_with_the_reason():
    result = _run_journeys(require=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "chromium not found at /nonexistent/chromium" in result.stdout
    assert "skipped" in result.stdout and " passed" not in result.stdout


def test_missing_chromium_fails_when_ci_requires_the_browser():
    result = _run_journeys(require="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "WORKQUEUE_REQUIRE_BROWSER=1" in result.stdout
    assert "skipped" not in result.stdout and " passed" not in result.stdout
