"""`workqueue import-835`: read an X12 835 remittance file, post it, and report.

Exit status: 0 when the file was read (even if some claims or transactions were reported as
problems, or every payment in it was imported before); 2 when the file could not be read
at all, the database could not be reached, or anything unexpected happened — always with a
message on stderr and never a traceback, and with nothing saved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from workqueue.commands.imports import reported_errors
from workqueue.x12.remit835 import Remittance, parse_remittance
from workqueue.x12.report import build_report, format_amount


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
        result = import_now(session, stream, "835", file.name, actor, now)
    return result


def _summary(remittance: Remittance) -> str:
    claims = [claim for payment in remittance.payments for claim in payment.claims]
    denied = sum(1 for claim in claims if claim.denials)
    rows = [f"{remittance.transactions} transaction(s), {len(remittance.payments)} payment(s), "
            f"{len(claims)} claim(s), {denied} with denials, "
            f"{len(remittance.errors)} problem(s)"]
    for payment in remittance.payments:
        rows.append(f"  {payment.payer.name or '(no payer name)'}  trace {payment.trace_number}"
                    f"  {format_amount(payment.amount)}  {len(payment.claims)} claim(s)"
                    f"  {len(payment.provider_adjustments)} provider adjustment(s)")
    rows += [f"  problem at segment {issue.segment}: {issue.message}"
             for issue in remittance.errors]
    return "\n".join(rows)


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
    rows += [f"  problem at segment {e['segment']}: {e['message']}" for e in result.errors]
    if result.already_imported:
        rows.append("Nothing changed: this file was imported before.")
    return "\n".join(rows)


def import_report(result) -> dict[str, Any]:
    """The dry-run report, each payment and claim extended with what the import did."""
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
    report["import"] = {"run": result.run_id, "counts": result.counts,
                        "already_imported": result.already_imported}
    return report


@click.command("import-835")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and check the file; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report on stdout.")
def import_835(file: Path, dry_run: bool, as_json: bool) -> None:
    """Read an X12 835 remittance FILE, post payments, open denial items, and report."""
    with reported_errors("import-835", file, "835"):
        if dry_run:
            with file.open("rb") as stream:
                remittance = parse_remittance(stream)
            output = json.dumps(build_report(remittance), indent=2) if as_json \
                else _summary(remittance)
        else:
            result = _import_file(file)
            output = json.dumps(import_report(result), indent=2) if as_json \
                else _import_summary(result)
    click.echo(output)


commands = [import_835]
