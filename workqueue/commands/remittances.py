"""`workqueue import-835`: read an X12 835 remittance file, post it, and report.

Exit status: 0 when the file was read (even if some claims or transactions were reported as
problems, or every payment in it was imported before); 2 when the file could not be read
at all, went over the import limits, the database could not be reached, or anything
unexpected happened — always with a message on stderr and never a traceback, and with
nothing saved.

Reports are bounded (``domain/import_limits.py``): the printed report holds the first
``IMPORT_REPORT_MAX_ROWS`` payments, claims and problems with totals of everything; the
full dry-run report goes to ``--report-file`` as the file is read, and every claim and
problem of an import is on its run (``/imports/<run>``, with CSV downloads).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from workqueue.commands.imports import import_limits, reported_errors, run_downloads
from workqueue.x12.report import RemittanceReport, build_report, format_amount


def _import_file(file: Path):
    """Post the file in one CLI transaction (each payment in its own savepoint)."""
    from workqueue import create_app
    from workqueue.clock import utcnow
    from workqueue.db import session_scope
    from workqueue.services.audit import Actor
    from workqueue.services.imports import import_now

    app = create_app()
    now = utcnow()
    actor = Actor.system("cli")
    with app.app_context(), session_scope(app) as session, file.open("rb") as stream:
        result = import_now(session, stream, "835", file.name, actor, now,
                            import_limits(app))
    return result


def _dry_run(file: Path, report_file: Path | None) -> tuple[RemittanceReport, dict[str, Any]]:
    """Read the file twice, changing nothing: the envelope and the limits first (so that a
    bad file writes no report), then the report, streamed into ``report_file`` if given."""
    from workqueue.services.imports import check_envelope
    from workqueue.x12.remit835 import iter_remittance

    limits = import_limits()
    with file.open("rb") as stream:
        check_envelope(stream, "835", limits)
        if report_file is None:
            report = RemittanceReport(limits)
            for event in iter_remittance(stream, limits=limits):
                report.add(event)
            return report, report.finish()
        partial = report_file.with_name(f".{report_file.name}.part")
        try:
            with partial.open("w", encoding="utf-8") as out:
                report = RemittanceReport(limits, out)
                for event in iter_remittance(stream, limits=limits):
                    report.add(event)
                printed = report.finish()
            os.replace(partial, report_file)
        finally:
            partial.unlink(missing_ok=True)
    return report, printed


def _import_summary(result) -> str:
    c = result.counts
    rows = [f"import #{result.run_id}: {c['payments_posted']} of {c['payments']} payment(s) "
            f"posted, {c['payments_duplicate']} already imported"
            + (f", {c['payments_failed']} failed" if c["payments_failed"] else ""),
            f"  claims: {c['posted']} posted ({c['flagged']} flagged for review), "
            f"{c['reversals']} reversal(s), {c['unmatched']} unmatched (for review), "
            f"{c['held']} held for review (payer not the one billed), "
            f"{c['claim_errors']} not posted",
            f"  denial items opened: {c['denial_items']}; AR follow-ups closed as paid: "
            f"{c['ar_items_closed']}; provider adjustments: {c['provider_adjustments']}; "
            f"unknown codes flagged: {c['unknown_codes']}"]
    for payment in result.payments:
        line = (f"  {payment.payer or '(no payer name)'}  trace {payment.trace_number}  "
                f"{format_amount(payment.amount)}  {payment.status}")
        rows.append(line + (f": {payment.message}" if payment.message else ""))
    if c["payments"] > len(result.payments):
        rows.append(f"  … and {c['payments'] - len(result.payments):,} more payment(s)")
    rows += [f"  problem at segment {e['segment']}: {e['message']}" for e in result.errors]
    if c["problems"] > len(result.errors):
        rows.append(f"  … and {c['problems'] - len(result.errors):,} more problem(s): every "
                    f"one is on the import's page ({run_downloads(result.run_id)['page']})")
    if result.already_imported:
        rows.append("Nothing changed: this file was imported before.")
    return "\n".join(rows)


def import_report(result) -> dict[str, Any]:
    """The dry-run report of the claims the result kept, each payment and claim extended with
    what the import did; totals and what was left out, and where the full lists are."""
    report = build_report(result.remittance)
    for payment, outcome in zip(report["payments"], result.payments, strict=True):
        payment["import"] = {"status": outcome.status, "message": outcome.message or None,
                             "remittance_id": outcome.remittance_id}
        for claim, done in zip(payment["claims"], outcome.claims, strict=True):
            claim["import"] = {"result": done.result, "claim": done.claim,
                               "denial_items": done.denial_items,
                               "closed_items": done.closed_items,
                               "unknown_codes": done.unknown_codes, "message": done.message,
                               "review": done.review}
    counts = result.counts
    kept_claims = sum(len(p["claims"]) for p in report["payments"])
    report["errors"] = list(result.errors)
    report["totals"] = {"payments": counts["payments"], "claims": counts["claims"],
                        "denied_claims": counts["denied_claims"],
                        "problems": counts["problems"]}
    report["truncated"] = {"payments": counts["payments"] - len(report["payments"]),
                           "claims": counts["claims"] - kept_claims,
                           "errors": counts["problems"] - len(report["errors"])}
    report["import"] = {"run": result.run_id, "counts": counts,
                        "already_imported": result.already_imported,
                        "downloads": run_downloads(result.run_id, "claims")}
    return report


@click.command("import-835")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and check the file; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report on stdout.")
@click.option("--report-file", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="With --dry-run: write the full JSON report (every claim and problem) "
                   "to this file; the printed report holds the first IMPORT_REPORT_MAX_ROWS.")
def import_835(file: Path, dry_run: bool, as_json: bool, report_file: Path | None) -> None:
    """Read an X12 835 remittance FILE, post payments, open denial items, and report."""
    if report_file is not None and not dry_run:
        raise click.UsageError("--report-file goes with --dry-run; an import keeps every "
                               "claim and problem on its run (see its page).")
    with reported_errors("import-835", file, "835"):
        if dry_run:
            report, printed = _dry_run(file, report_file)
            output = json.dumps(printed, indent=2) if as_json \
                else "\n".join(report.summary(printed))
        else:
            result = _import_file(file)
            output = json.dumps(import_report(result), indent=2) if as_json \
                else _import_summary(result)
    click.echo(output)


commands = [import_835]
