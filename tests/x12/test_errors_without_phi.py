"""No PHI in import errors (issue 16, item 6): broken 835, 271 and 277 files that carry a
synthetic patient's name, member ID, reference ID, address and birth date — cut off inside a
name, a terminator inside a name, wrong delimiters, bad dates, unknown members — give errors
that name segment ids and positions only, wherever an error goes: the parser's problems and
exceptions, what an import stores on its run (errors, message, every report line), and what
the commands print on stderr and in their JSON.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import NOW, make_payer
from tests.x12.edi_samples import envelope, payment
from tests.x12.edi_samples_27x import envelope_27x
from workqueue.models import ImportLine, ImportRun
from workqueue.services.audit import Actor
from workqueue.services.imports import import_now, run_stored_import
from workqueue.x12.elig271 import parse_eligibility
from workqueue.x12.reader import X12Error
from workqueue.x12.remit835 import parse_remittance
from workqueue.x12.status277 import parse_claim_statuses

SCRIPT = Path(sys.executable).with_name("workqueue")
# What must never appear in an error: a patient's name, member and reference IDs, address,
# birth date (all synthetic).
PHI = ("ZZTESTLAST", "ZZJANE", "ZZMEMBER77", "ZZREFID88", "PRIVATE LANE", "ZZCITYVILLE",
       "19610704", "19611304")
NAME = "NM1*QC*1*ZZTESTLAST*ZZJANE****MI*ZZMEMBER77"
INSURED = "NM1*IL*1*ZZTESTLAST*ZZJANE****MI*ZZMEMBER77"
CLAIM = ["CLP*PCN-PHI-1*1*100*80**12*ICN", NAME, INSURED, "REF*1L*ZZREFID88",
         "DTM*232*20261001", "CAS*CO*45*20"]


def _835(claims, **delimiters) -> str:
    return envelope([payment(claims, amount="80")], **delimiters)


def _cut_inside(text: str, marker: str) -> str:
    """The file cut off in the middle of the segment that holds ``marker``."""
    return text[:text.index(marker) + len(marker) // 2]


def _271(member: list[str]) -> str:
    header = ["BHT*0022*11*PHI1*20261127*0930", "HL*1**20*1",
              "NM1*PR*2*NORTHWIND HEALTH PLAN*****PI*NWHP01", "HL*2*1*21*1",
              "NM1*1P*2*RIVERBEND INFUSION CENTER*****XX*1234567893"]
    return envelope_27x("271", [header + member])


MEMBER = ["HL*3*2*22*0", INSURED, "N3*99 PRIVATE LANE", "N4*ZZCITYVILLE*IL*62701",
          "DMG*D8*19610704*F", "EB*1**30"]


def _277(claim: list[str]) -> str:
    header = ["BHT*0010*08*PHI2*20261127*1030*DG", "HL*1**20*1",
              "NM1*PR*2*NORTHWIND HEALTH PLAN*****PI*NWHP01", "HL*2*1*21*1",
              "NM1*41*2*RIVERBEND INFUSION CENTER*****46*RIV01", "HL*3*2*19*1",
              "NM1*1P*2*RIVERBEND INFUSION CENTER*****XX*1234567893"]
    return envelope_27x("277", [header + claim])


CLAIM_277 = ["HL*4*3*22*0", INSURED, "TRN*2*T-PHI", "STC*F1:65*20261120**100*80",
             "REF*EJ*PCN-NOWHERE", "DTP*472*RD8*20261001-20261001"]

BROKEN = {
    "835 cut off inside NM1*QC": ("835", _cut_inside(_835(CLAIM), NAME)),
    "835 terminator inside the name": ("835", _835(CLAIM).replace("ZZTESTLAST*", "ZZTESTLAST~")),
    "835 wrong element separator": ("835", _835(CLAIM).replace(
        NAME, NAME.replace("*", "|"))),
    "835 bad amount in the claim": ("835", _835([CLAIM[0].replace("*80*", "*8O*")]
                                                 + CLAIM[1:])),
    "835 NM1 outside a claim": ("835", _835([NAME, INSURED] + CLAIM)),
    "835 bad service date": ("835", _835(CLAIM[:4] + ["DTM*232*19611304"] + CLAIM[5:])),
    "271 bad birth date": ("271", _271([s.replace("19610704", "19611304") for s in MEMBER])),
    "271 unknown member": ("271", _271(MEMBER)),
    "271 bad benefit": ("271", _271(MEMBER[:-1] + ["EB*ZZ**30"])),
    "271 no member id": ("271", _271(["HL*3*2*22*0", "NM1*IL*1*ZZTESTLAST*ZZJANE",
                                      "N3*99 PRIVATE LANE", "EB*1**30"])),
    "271 cut off inside the address": ("271", _cut_inside(_271(MEMBER), "N3*99 PRIVATE LANE")),
    "277 unknown claim": ("277", _277(CLAIM_277)),
    "277 bad status": ("277", _277([s.replace("F1:65", "ZZ:65") for s in CLAIM_277])),
    "277 cut off inside the member": ("277", _cut_inside(_277(CLAIM_277), INSURED)),
    "277 name where the trace should be": ("277", _277(
        [s.replace("TRN*2*T-PHI", "TRN*2*T-PHI~ZZTESTLAST") for s in CLAIM_277])),
}
PARSERS = {"835": parse_remittance, "271": parse_eligibility, "277": parse_claim_statuses}


def _assert_clean(text: str) -> None:
    found = [value for value in PHI if value in text]
    assert not found, f"PHI {found} in: {text}"


@pytest.mark.parametrize("case", list(BROKEN))
def test_parser_problems_and_errors_name_no_patient(case):
    kind, text = BROKEN[case]
    try:
        parsed = PARSERS[kind](io.StringIO(text))
    except X12Error as error:
        _assert_clean(str(error))
        return
    for issue in parsed.errors:  # (an unknown member or claim is a problem of the import)
        _assert_clean(issue.message)


@pytest.mark.parametrize("case", list(BROKEN))
def test_what_an_import_stores_names_no_patient(session, case, tmp_path):
    make_payer(session, name="NORTHWIND HEALTH PLAN", edi_payer_id="NWHP01")
    kind, text = BROKEN[case]
    actor = Actor.system("cli")
    try:
        result = import_now(session, io.BytesIO(text.encode()), kind, "broken", actor, NOW)
    except X12Error as error:  # unreadable: the job stores the reason on the run
        _assert_clean(str(error))
        digest = "0" * 64
        (tmp_path / f"{digest}.x12").write_bytes(text.encode())
        run = ImportRun(kind=kind, file_name="broken", sha256=digest, counts={}, payments=[],
                        errors=[], created_at=NOW)
        session.add(run)
        session.flush()
        run = run_stored_import(session, run.id, NOW, tmp_path)
        assert run.status == "failed"
        _assert_clean(run.message)
        return
    run = session.get(ImportRun, result.run_id)
    assert run.counts["problems"] > 0
    _assert_clean(json.dumps(run.errors) + (run.message or ""))
    for line in session.scalars(select(ImportLine).where(ImportLine.import_run_id == run.id,
                                                         ImportLine.kind == "problem")):
        _assert_clean(line.message)


@pytest.mark.parametrize("case", [c for c in BROKEN if c.startswith(("835 cut", "835 term",
                                                                     "271 unknown",
                                                                     "277 cut"))])
def test_what_the_commands_print_names_no_patient(committed_app, tmp_path, case):
    kind, text = BROKEN[case]
    path = tmp_path / f"broken.{kind}"
    path.write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | {
        "DATABASE_URL": committed_app.config["DATABASE_URL"],
        "WORKQUEUE_VAR_DIR": str(tmp_path / "var")}
    runs = [[f"import-{kind}", str(path), "--json"], [f"import-{kind}", str(path)]]
    if kind == "835":
        runs.append(["import-835", str(path), "--dry-run", "--json"])
    for args in runs:
        done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True,
                              timeout=120, check=False, env=env)
        assert done.stderr or done.returncode == 0
        _assert_clean(done.stderr)
        if done.returncode == 0 and "--json" in args:
            _assert_clean(json.dumps(json.loads(done.stdout)["errors"]))
