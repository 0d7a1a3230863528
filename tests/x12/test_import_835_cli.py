"""`workqueue import-835` run as the installed console script: JSON on stdout, exit codes,
and plain messages (never a traceback) on stderr."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.x12.edi_samples import envelope, payment
from workqueue.x12.remit835 import parse_remittance
from workqueue.x12.report import build_report
from workqueue.x12.synthetic import build_835

SCRIPT = Path(sys.executable).with_name("workqueue")


def _run(*args: str | Path, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), "import-835", *map(str, args)], capture_output=True,
                          text=True, timeout=60, check=False,
                          env=None if env is None else {**os.environ, **env})


CONTRACT = ("transactions", "payments", "errors")


def _contract(report: dict) -> dict:
    """The keys of issue 5's contract (the streamed report adds totals and truncated)."""
    return {key: report[key] for key in CONTRACT}


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "remit.835"
    path.write_text(build_835(claims=12, transactions=2, plb=True), encoding="ascii")
    return path


def test_dry_run_json_is_the_report_of_the_parser(sample: Path) -> None:
    result = _run(sample, "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    with sample.open("rb") as stream:
        assert _contract(report) == build_report(parse_remittance(stream))
    assert report["transactions"] == 2 and report["errors"] == []
    assert report["totals"] == {"transactions": 2, "payments": 2, "claims": 24,
                                "denied_claims": report["totals"]["denied_claims"],
                                "problems": 0}
    assert report["truncated"] == {"payments": 0, "claims": 0, "errors": 0}
    claim = report["payments"][0]["claims"][0]
    assert set(claim) == {"claim_id", "status", "charge", "paid", "patient_responsibility",
                          "payer_claim_number", "patient_name", "adjustments", "remarks",
                          "denied", "category"}
    amounts = [claim["charge"], claim["paid"], report["payments"][0]["amount"]]
    assert all(a.split(".")[1].__len__() == 2 for a in amounts)
    assert result.stderr == ""


def test_dry_run_without_json_prints_a_summary(sample: Path) -> None:
    result = _run(sample, "--dry-run")
    assert result.returncode == 0
    assert "2 transaction(s), 2 payment(s), 24 claim(s)" in result.stdout


def test_per_claim_problems_still_exit_zero_and_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "partly-bad.835"
    claims = ["CLP*BAD-1*1*12X*0**12*ICN", "CLP*OK-1*1*100*80**12*ICN", "CAS*CO*45*20"]
    path.write_text(envelope([payment(claims, amount="80")]), encoding="ascii")
    result = _run(path, "--dry-run", "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert [c["claim_id"] for c in report["payments"][0]["claims"]] == ["OK-1"]
    assert report["errors"] == [{"segment": 9, "message": "claim BAD-1: CLP03 '12X' is not an "
                                 "amount; claim not posted"}]


@pytest.mark.parametrize(("content", "fragment"), [
    (b"", "segment 0: file is empty"),
    (b"hello, this is not EDI", "expected an ISA interchange header"),
    (b"\x00\xff\xfe" * 200, "expected an ISA"),
    (envelope([payment(["CLP*A*1*1*1"], amount="1")]).replace("SE*8*", "SE*9*").encode(),
     "segment 10: SE01 says 9 segments"),
    (envelope([payment(["CLP*A*1*1*1"], amount="1")]).encode()[:-40], "truncated"),
])
def test_unreadable_file_exits_2_with_a_message_and_no_traceback(tmp_path: Path,
                                                                 content: bytes,
                                                                 fragment: str) -> None:
    path = tmp_path / "bad.835"
    path.write_bytes(content)
    result = _run(path, "--dry-run", "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert fragment in result.stderr and "not a readable 835 file" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = _run(tmp_path / "nope.835", "--dry-run")
    assert result.returncode == 2 and "cannot open" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_is_identical_for_crlf_and_single_line_files(tmp_path: Path) -> None:
    text = build_835(claims=5, seed=11)
    one_line = tmp_path / "one.835"
    one_line.write_text(text.replace("\n", ""), encoding="ascii")
    crlf = tmp_path / "crlf.835"
    crlf.write_bytes(text.replace("\n", "\r\n").encode())
    reports = [json.loads(_run(p, "--dry-run", "--json").stdout) for p in (one_line, crlf)]
    assert reports[0] == reports[1]
    assert _contract(reports[0]) == build_report(parse_remittance(io.StringIO(text)))


def test_the_printed_report_keeps_the_first_rows_and_the_report_file_has_them_all(
        sample: Path, tmp_path: Path) -> None:
    full = tmp_path / "full.json"
    result = _run(sample, "--dry-run", "--json", "--report-file", full,
                  env={"IMPORT_REPORT_MAX_ROWS": "5"})
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert sum(len(p["claims"]) for p in printed["payments"]) == 5
    assert printed["totals"]["claims"] == 24
    assert printed["truncated"] == {"payments": 0, "claims": 19, "errors": 0}
    whole = json.loads(full.read_text())
    with sample.open("rb") as stream:
        assert _contract(whole) == build_report(parse_remittance(stream))
    assert whole["totals"] == printed["totals"]
    summary = _run(sample, "--dry-run", env={"IMPORT_REPORT_MAX_ROWS": "1"})
    assert "2 transaction(s), 2 payment(s), 24 claim(s)" in summary.stdout
    assert "… and 1 more payment(s)" in summary.stdout


def test_report_file_needs_dry_run_and_a_bad_file_writes_no_report(sample: Path,
                                                                  tmp_path: Path) -> None:
    full = tmp_path / "full.json"
    assert _run(sample, "--report-file", full).returncode == 2
    broken = tmp_path / "broken.835"
    broken.write_bytes(sample.read_bytes()[:-30])
    result = _run(broken, "--dry-run", "--report-file", full)
    assert result.returncode == 2 and not full.exists()
    assert list(tmp_path.glob(".full.json*")) == []
