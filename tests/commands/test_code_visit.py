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


def _line(code: str, units: int, *modifiers: str, **ndc: Any) -> dict[str, Any]:
    return {"code": code, "units": units, "modifiers": list(modifiers), "ndc": None,
            "ndc_quantity": None, "ndc_unit": None, "narrative": None, **ndc}


def test_json_output_from_file(tmp_path: Path) -> None:
    completed = _run(_write(tmp_path, RITUXIMAB_VISIT), "--json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {
        "lines": [
            _line("96413", 1), _line("96375", 1), _line("96415", 3), _line("J1200", 1),
            _line("J9312", 72), _line("J9312", 8, "JW"),
        ],
        "findings": [],
    }


def test_reads_stdin_when_file_is_dash() -> None:
    completed = _run("-", "--json", stdin=json.dumps(RITUXIMAB_VISIT))
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["lines"][0] == _line("96413", 1)


def test_round_two_fields_sc_infusion_and_ndc_from_the_catalog() -> None:
    visit = {"setting": "office", "payer_type": "medicaid", "administrations": [
        {"id": "scig", "kind": "therapeutic", "route": "sc", "drug": "J1559", "dose": 10,
         "dose_unit": "g", "discarded": 0, "ndc": "44206-0451-10",
         "start": "2026-11-02T09:00", "stop": "2026-11-02T10:31"},
        {"id": "ocrevus", "kind": "therapeutic", "route": "iv_infusion", "drug": "J2350",
         "dose": 600, "dose_unit": "mg", "discarded": 0, "access": "peripheral",
         "start": "2026-11-02T11:00", "stop": "2026-11-02T13:30"},
    ]}
    completed = _run("-", "--json", stdin=json.dumps(visit))
    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    assert output["lines"] == [
        _line("96365", 1), _line("96369", 1, "59"), _line("96366", 1), _line("96370", 1),
        _line("J1559", 100, "JZ", ndc="44206045110"),
        _line("J2350", 600, "JZ", ndc="50242015001", ndc_quantity=20, ndc_unit="ML"),
    ]
    # The seed catalog has no package for that Hizentra NDC: its quantity cannot be counted.
    assert [(f["code"], f["administration"]) for f in output["findings"]] == [
        ("ndc_quantity_mismatch", "scig")]


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
