"""The `workqueue code-visit` contract, exercised as other tools use it: a subprocess."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

WORKQUEUE = Path(sys.executable).with_name("workqueue")

RITUXIMAB_VISIT = {
    "setting": "facility",
    "authorization": {"code": "J9312", "units_remaining": 100},
    "administrations": [
        {"id": "a1", "kind": "chemo", "route": "iv_infusion", "drug": "J9312", "dose": 712.5,
         "dose_unit": "mg", "discarded": 87.5, "start": "2026-11-02T09:30",
         "stop": "2026-11-02T13:45", "site": 1, "primary": False},
        {"id": "a2", "kind": "therapeutic", "route": "iv_push", "drug": "J1200", "dose": 50,
         "dose_unit": "mg", "discarded": None, "start": "2026-11-02T08:50", "stop": None,
         "site": 1, "primary": False},
    ],
}


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WORKQUEUE), "code-visit", *args], input=stdin, capture_output=True, text=True,
        timeout=60, check=False,
    )


def _write(tmp_path: Path, payload: Any) -> str:
    path = tmp_path / "visit.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return str(path)


def test_json_output_from_file(tmp_path: Path) -> None:
    completed = _run(_write(tmp_path, RITUXIMAB_VISIT), "--json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {
        "lines": [
            {"code": "96413", "units": 1, "modifiers": []},
            {"code": "96375", "units": 1, "modifiers": []},
            {"code": "96415", "units": 3, "modifiers": []},
            {"code": "J1200", "units": 1, "modifiers": []},
            {"code": "J9312", "units": 72, "modifiers": []},
            {"code": "J9312", "units": 8, "modifiers": ["JW"]},
        ],
        "findings": [],
    }


def test_reads_stdin_when_file_is_dash() -> None:
    completed = _run("-", "--json", stdin=json.dumps(RITUXIMAB_VISIT))
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["lines"][0] == {
        "code": "96413", "units": 1, "modifiers": []
    }


def test_findings_still_exit_zero() -> None:
    visit = json.loads(json.dumps(RITUXIMAB_VISIT))
    visit["administrations"][0]["stop"] = None
    visit["authorization"]["units_remaining"] = 10
    completed = _run("-", "--json", stdin=json.dumps(visit))
    assert completed.returncode == 0, completed.stderr
    findings = json.loads(completed.stdout)["findings"]
    assert [(f["code"], f["severity"], f["administration"]) for f in findings] == [
        ("units_exceed_authorization", "error", None),
        ("missing_stop_time", "error", "a1"),
    ]
    assert all(f["message"] for f in findings)


def test_table_output_is_readable() -> None:
    completed = _run("-", stdin=json.dumps(RITUXIMAB_VISIT))
    assert completed.returncode == 0, completed.stderr
    assert "96413" in completed.stdout
    assert "JW" in completed.stdout
    assert "Findings" in completed.stdout
    assert "(none)" in completed.stdout


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        (json.dumps({"administrations": []}), '"setting" is required'),
        (json.dumps({**RITUXIMAB_VISIT, "administrations": [
            {**RITUXIMAB_VISIT["administrations"][0], "start": "9:30"}]}),
         'administrations[0] (id "a1"): "start" must be a local time'),
        (json.dumps({**RITUXIMAB_VISIT, "administrations": [
            {**RITUXIMAB_VISIT["administrations"][0], "dose": "712.5 mg"}]}),
         'administrations[0] (id "a1"): "dose" must be a number'),
        (json.dumps({**RITUXIMAB_VISIT, "administrations": [
            {k: v for k, v in RITUXIMAB_VISIT["administrations"][1].items() if k != "kind"}]}),
         'administrations[0] (id "a2"): "kind" is required'),
    ],
)
def test_invalid_input_exits_2_with_a_specific_message(stdin: str, message: str) -> None:
    completed = _run("-", "--json", stdin=stdin)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stdout == ""


def test_missing_file_exits_2(tmp_path: Path) -> None:
    completed = _run(str(tmp_path / "absent.json"))
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
