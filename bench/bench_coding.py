"""Benchmark of the infusion coding check: visits coded per second on one core.

Run ``.venv/bin/python bench/bench_coding.py [--visits N] [--write]``. It builds N synthetic
visits (fixed seed) shaped like the DOMAIN.md §1.5 examples, then times, best of several runs:
the JSON parse alone (the baseline: the least any caller pays), parsing into domain types,
``code_visit`` alone, and the whole CLI path. ``--write`` replaces the "Infusion coding check"
section of docs/benchmarks.md and leaves other sections alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from workqueue import clock
from workqueue.domain.coding import code_visit, load_default_tables, parse_visit, result_to_dict

SECTION = "## Infusion coding check"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
# (HCPCS, dose in mg, discarded, NDC as recorded): J2350's NDC is the seed catalog's package,
# so its lines get a quantity; the others carry the NDC alone or none.
DRUGS = [("J9312", 712.5, 87.5, None), ("J1745", 415, 85, "0002-7597-01"),
         ("J1756", 300, 0, None), ("J0897", 60, 0, "55513-710-01"), ("J2405", 8, None, None),
         ("J1100", 10, None, None), ("J1569", 35000, 0, None), ("J9355", 140, 10, None),
         ("J1559", 10000, 0, "44206-0451-10"), ("J2350", 600, 0, "50242-150-01"),
         ("J9190", 2400, 100, None), ("J3490", 20, None, "0143-9898-01")]
ROUTES = ["iv_infusion", "iv_infusion", "iv_push", "sc", "sc", "im", "ia_infusion"]


def _administration(rnd: random.Random, index: int, at: datetime) -> dict[str, Any]:
    drug, dose, discarded, ndc = rnd.choice(DRUGS)
    kind = rnd.choice(["chemo", "therapeutic", "therapeutic", "hydration"])
    route = "iv_infusion" if kind == "hydration" else rnd.choice(ROUTES)
    minutes = rnd.choice([5, 15, 16, 30, 31, 45, 55, 90, 91, 120, 150, 151, 255])
    stop = None if rnd.random() < 0.05 else at + timedelta(minutes=minutes)
    adm = {
        "id": f"a{index}", "kind": kind, "route": route,
        "drug": None if kind == "hydration" else drug, "dose": dose, "dose_unit": "mg",
        "discarded": discarded, "start": at.strftime("%Y-%m-%dT%H:%M"),
        "stop": stop.strftime("%Y-%m-%dT%H:%M") if stop else None,
        "site": 1 if rnd.random() < 0.9 else 2, "primary": rnd.random() < 0.1,
        "ndc": ndc, "drug_name": "famotidine" if drug == "J3490" else None,
    }
    extra = rnd.random()
    if kind == "chemo" and route == "iv_infusion" and extra < 0.1:
        adm |= {"device": "portable_pump", "stop": None}  # a pump sent home (96416)
    elif extra < 0.03:
        adm |= {"service": "flush", "access": "port"}
    elif extra < 0.05:
        adm |= {"service": "pump_refill", "device": "implantable_pump"}
    return adm


def make_visits(count: int, seed: int = 6) -> list[str]:
    """``count`` synthetic visits as JSON text, 1-6 administrations each."""
    rnd = random.Random(seed)
    visits = []
    for _ in range(count):
        at = datetime(2026, 11, 2, 8, 0)
        administrations = []
        for index in range(rnd.randint(1, 6)):
            administrations.append(_administration(rnd, index, at))
            at += timedelta(minutes=rnd.choice([0, 5, 20, 60, 90]))
        visit = {"setting": rnd.choice(["facility", "office"]),
                 "payer_type": rnd.choice(["medicare", "medicaid", "commercial"]),
                 "authorization": {"code": "J9312", "units_remaining": 150},
                 "administrations": administrations}
        visits.append(json.dumps(visit))
    return visits


def _best_of(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """Best CPU time and best wall time of ``runs`` runs. The target is about the work one
    core does, and on a machine shared with other jobs the wall clock also counts the time
    the process waited for the core, so the verdict uses CPU time and the table shows both."""
    best_cpu = best_wall = float("inf")
    for _ in range(runs):
        cpu, wall = time.process_time(), time.perf_counter()
        work()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return best_cpu, best_wall


def _machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout
    return {"nproc": nproc.strip() or str(os.cpu_count()), "cpu": cpu,
            "python": platform.python_version()}


def run(count: int, runs: int) -> dict[str, Any]:
    """Time every stage over the same ``count`` visits; returns seconds per stage."""
    machine = _machine()  # before pinning: nproc would report the pinned single core
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    catalog, rules = load_default_tables()
    texts = make_visits(count)
    raws = [json.loads(text) for text in texts]
    parsed = [parse_visit(raw) for raw in raws]
    stages = {
        "JSON parse alone (baseline)": lambda: [json.loads(text) for text in texts],
        "parse into domain types": lambda: [parse_visit(raw) for raw in raws],
        "code_visit alone": lambda: [code_visit(visit, catalog, rules) for visit in parsed],
        "whole CLI path (JSON in, JSON dict out)": lambda: [
            result_to_dict(code_visit(parse_visit(json.loads(text)), catalog, rules))
            for text in texts
        ],
    }
    timings = {name: _best_of(runs, work) for name, work in stages.items()}
    seconds = {name: cpu for name, (cpu, _wall) in timings.items()}
    wall = {name: wall for name, (_cpu, wall) in timings.items()}
    administrations = sum(len(visit.administrations) for visit in parsed)
    results = [code_visit(visit, catalog, rules) for visit in parsed]
    codes = Counter(line.code for result in results for line in result.lines)
    mix = {
        "SC infusions (96369)": codes["96369"], "pump starts (96416)": codes["96416"],
        "intra-arterial (96420/96422)": codes["96420"] + codes["96422"],
        "drug lines with an NDC": sum(1 for result in results for line in result.lines
                                      if line.ndc),
    }
    return {"count": count, "runs": runs, "administrations": administrations,
            "seconds": seconds, "wall": wall, "machine": machine, "mix": mix,
            "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}


def render(report: dict[str, Any]) -> str:
    """The docs/benchmarks.md section for a report."""
    count, seconds, wall, machine = (report["count"], report["seconds"], report["wall"],
                                     report["machine"])
    baseline = seconds["JSON parse alone (baseline)"]
    rows = [
        f"| {name} | {elapsed * 1000:.0f} ms | {wall[name] * 1000:.0f} ms | "
        f"{count / elapsed:,.0f} | {elapsed / baseline:.1f}x |"
        for name, elapsed in seconds.items()
    ]
    coding = seconds["code_visit alone"]
    verdict = "met" if coding < 1 else "NOT met"
    load = f"; load average {report['load']:.1f} when it ran" if report.get("load") else ""
    return "\n".join([
        SECTION,
        "",
        f"`bench/bench_coding.py`: {count:,} synthetic visits ({report['administrations']:,} "
        "administrations, 1-6 per visit, a mix of facility/office, chemo/therapeutic/hydration, "
        "pushes, IV, SC and intra-arterial infusions, injections, pump starts and refills, port "
        "flushes, JW/JZ drugs, NDCs good and ambiguous, an unclassified code with its narrative, "
        f"Medicare/Medicaid/commercial payers), best of {report['runs']} runs, pinned to one "
        "core, same process for every stage. Coded lines in the set: "
        + ", ".join(f"{name} {number:,}" for name, number in report["mix"].items()) + ".",
        "",
        "| stage | CPU time | wall time | visits/s (CPU) | vs baseline |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"Target (10,000 visits coded in under 1 s on one core): **{verdict}**, "
        f"{count:,} visits in {coding * 1000:.0f} ms of CPU for `code_visit`; the whole CLI "
        f"path takes {seconds['whole CLI path (JSON in, JSON dict out)'] * 1000:.0f} ms.",
        "",
        "CPU time is what one core spends on the work; the wall time adds the time the process "
        "waited for its core while other engineers' jobs shared this 2-core machine, so the "
        "verdict reads CPU time. Where the time goes: `parse_visit` checks every field to name "
        "the exact bad one; `code_visit` works on Decimal doses and frozen dataclasses, and an "
        "unclassified code's CARC 189 check searches the catalog's descriptions once per line "
        "(indexed once per catalog). Round one (2026-11-27, quieter machine, no SC, "
        "intra-arterial or NDC work) measured 538 ms wall for `code_visit`.",
        "",
        f"Machine: {machine['cpu']}, `nproc` = {machine['nproc']}, Python {machine['python']}"
        f"{load}; measured {clock.today().isoformat()}.",
        "",
    ])


def write_section(section: str, path: Path = DOCS) -> None:
    """Replace (or append) only this benchmark's section, keeping everyone else's."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    section = render(run(args.visits, args.runs))
    print(section)
    if args.write:
        write_section(section)


if __name__ == "__main__":
    main()
