"""`workqueue import-835`: read an X12 835 remittance file and report (and later post) it.

Exit status: 0 when the file was read, even if some claims or transactions were reported
as problems; 2 when the file could not be read at all (message on stderr); 3 when the
database import was asked for but is not available yet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import BinaryIO, NoReturn

import click

from workqueue.x12.reader import X12Error
from workqueue.x12.remit835 import Remittance, parse_remittance
from workqueue.x12.report import build_report, format_amount

UNREADABLE = 2
NOT_AVAILABLE = 3


class ImportNotAvailable(Exception):
    """The database import of 835 files is not built yet (issue 5, phase B)."""


def _fail(message: str, status: int) -> NoReturn:
    click.echo(f"import-835: {message}", err=True)
    raise click.exceptions.Exit(status)


def _import_remittance(stream: BinaryIO) -> Remittance:
    # Phase B replaces this body with the import service call (inside a session that the
    # command commits), returning the same parsed Remittance for the report.
    raise ImportNotAvailable("the database import is not available yet; "
                             "use --dry-run to read and check the file")


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


@click.command("import-835")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and check the file; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report on stdout.")
def import_835(file: Path, dry_run: bool, as_json: bool) -> None:
    """Read an X12 835 remittance FILE, check it, and report payments, claims and denials."""
    try:
        with file.open("rb") as stream:
            remittance = parse_remittance(stream) if dry_run else _import_remittance(stream)
    except X12Error as error:
        _fail(f"{file}: not a readable 835 file: {error}", UNREADABLE)
    except ImportNotAvailable as error:
        _fail(str(error), NOT_AVAILABLE)
    except OSError as error:
        _fail(f"{file}: cannot open: {error.strerror or error}", UNREADABLE)
    if as_json:
        click.echo(json.dumps(build_report(remittance), indent=2))
    else:
        click.echo(_summary(remittance))


commands = [import_835]
