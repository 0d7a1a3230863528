"""Benchmark the 835 parser: 10,000 claims against pyx12 (same file, same run, same totals),
and peak memory while streaming a ~100 MB file.

Run: ``.venv/bin/python bench/bench_835.py [--claims 10000] [--big-mb 100]``
(needs ``pip install -e '.[bench]'`` for pyx12). Prints a Markdown section for
docs/benchmarks.md. The big-file measurement runs in a child process so its peak RSS is
its own and not the 10,000-claim run's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from decimal import Decimal
from pathlib import Path

from workqueue.x12.remit835 import ClaimPayment, iter_remittance, parse_remittance
from workqueue.x12.synthetic import write_835

Totals = tuple[int, Decimal, Decimal]  # claims, sum CLP03, sum CLP04


def _write(path: Path, claims: int, per_transaction: int) -> None:
    transactions = max(1, claims // per_transaction)
    with path.open("w", encoding="ascii", newline="") as out:
        write_835(out, claims=claims // transactions, transactions=transactions, plb=True,
                  seed=2026)


def _ours(path: Path) -> tuple[float, Totals]:
    started = time.perf_counter()
    with path.open("rb") as stream:
        remittance = parse_remittance(stream)
    elapsed = time.perf_counter() - started
    claims = [c for p in remittance.payments for c in p.claims]
    assert not remittance.errors, remittance.errors[:3]
    return elapsed, (len(claims), sum((c.charge for c in claims), Decimal(0)),
                     sum((c.paid for c in claims), Decimal(0)))


def _pyx12(path: Path) -> tuple[float, Totals]:
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12context

    started = time.perf_counter()
    count, charge, paid = 0, Decimal(0), Decimal(0)
    with path.open(encoding="ascii") as handle:
        reader = pyx12.x12context.X12ContextReader(pyx12.params.params(),
                                                   pyx12.error_handler.errh_null(), handle)
        for node in reader.iter_segments("2100"):
            if node.id == "2100":
                count += 1
                charge += Decimal(node.get_value("CLP03"))
                paid += Decimal(node.get_value("CLP04"))
    return time.perf_counter() - started, (count, charge, paid)


def _count_claims(path: Path) -> int:
    claims = 0
    with path.open("rb") as stream:
        for event in iter_remittance(stream):
            if isinstance(event, ClaimPayment):
                claims += 1
    return claims


def _stream_measure(path: Path) -> dict[str, float]:
    """Stream a file claim by claim (as the importer will): a plain run for time and peak
    RSS, then a run under tracemalloc for the peak of Python allocations."""
    started = time.perf_counter()
    claims = _count_claims(path)
    elapsed = time.perf_counter() - started
    max_rss = _peak_rss_mb()
    tracemalloc.start()
    _count_claims(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"claims": claims, "seconds": elapsed, "tracemalloc_peak_mb": peak / 2**20,
            "max_rss_mb": max_rss, "file_mb": path.stat().st_size / 2**20}


def _peak_rss_mb() -> float:
    # VmHWM, not getrusage: Linux carries ru_maxrss over from the parent at fork, so the
    # child would report the parent's 10,000-claim peak instead of its own.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stream_in_child(path: Path) -> dict[str, float]:
    output = subprocess.run([sys.executable, __file__, "--measure-stream", str(path)],
                            capture_output=True, text=True, check=True)
    return json.loads(output.stdout)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--big-mb", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure-stream", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_stream:
        print(json.dumps(_stream_measure(args.measure_stream)))
        return

    with tempfile.TemporaryDirectory() as folder:
        small = Path(folder) / "claims.835"
        _write(small, args.claims, per_transaction=args.claims)
        small_mb = small.stat().st_size / 2**20
        ours = min((_ours(small) for _ in range(args.repeat)), key=lambda r: r[0])
        peer = _pyx12(small)
        if ours[1] != peer[1]:
            raise SystemExit(f"claim totals differ: ours {ours[1]} vs pyx12 {peer[1]}")
        small_stream = _stream_in_child(small)

        big = Path(folder) / "big.835"
        bytes_per_claim = small.stat().st_size / ours[1][0]
        big_claims = int(args.big_mb * 2**20 / bytes_per_claim)
        _write(big, big_claims, per_transaction=5_000)
        big_stream = _stream_in_child(big)

    claims, charge, paid = ours[1]
    print("## X12 835 parsing\n")
    print(f"`bench/bench_835.py`: one synthetic 835 (`workqueue.x12.synthetic`, every scenario "
          f"cycled, PLB on) with {claims:,} claims and {small_mb:.1f} MB, "
          f"parsed by `parse_remittance` (best of {args.repeat}) and by pyx12 "
          f"(`X12ContextReader`, map-driven, one run) in the same process; claim count, "
          f"sum of CLP03 ({charge}) and sum of CLP04 ({paid}) checked identical.\n")
    print("| parser | time | claims/s | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| workqueue `parse_remittance` | {ours[0]:.2f} s | {claims / ours[0]:,.0f} | "
          f"{peer[0] / ours[0]:.1f}x faster |")
    print(f"| pyx12 {_pyx12_version()} | {peer[0]:.2f} s | {claims / peer[0]:,.0f} | 1.0x |\n")
    print("Streaming (`iter_remittance`, claim by claim, as the importer will read), each in "
          "its own process:\n")
    print("| file | claims | time | claims/s | tracemalloc peak | max RSS |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, row in (("10,000 claims", small_stream), ("~100 MB", big_stream)):
        print(f"| {label} ({row['file_mb']:.1f} MB) | {row['claims']:,} | "
              f"{row['seconds']:.2f} s | {row['claims'] / row['seconds']:,.0f} | "
              f"{row['tracemalloc_peak_mb']:.2f} MB | {row['max_rss_mb']:.0f} MB |")
    print(f"\nMachine: {_cpu_model()}, `nproc` = {os.cpu_count()}, Python "
          f"{platform.python_version()}; measured {date.today().isoformat()}.")


def _pyx12_version() -> str:
    try:
        from importlib.metadata import version
        return version("pyx12")
    except Exception:  # noqa: BLE001 - a label only
        return ""


if __name__ == "__main__":
    main()
