"""`workqueue audit seal` and `workqueue audit verify`: the audit trail's hash chain.

``seal`` does now what the periodic job does every five minutes. ``verify`` re-hashes every
sealed audit event: exit 0 when the chain is intact, 1 with the first finding on stderr when it
is not, 2 when the database could not be read. Messages carry seal and event ids, never PHI.
"""

from __future__ import annotations

import logging
from typing import NoReturn

import click

INTACT, BROKEN, FAILED = 0, 1, 2
log = logging.getLogger(__name__)


def _fail(command: str, message: str, code: int = FAILED) -> NoReturn:
    click.echo(f"audit {command}: {message}", err=True)
    raise click.exceptions.Exit(code)


def _run(command: str, work):
    from sqlalchemy.exc import SQLAlchemyError

    from workqueue import create_app, db

    try:
        app = create_app()
        with db.session_scope(app) as session:
            return work(session)
    except SQLAlchemyError as error:
        _fail(command, f"the database could not be read ({error.__class__.__name__})")
    except Exception as error:  # last resort: a message, never a traceback
        log.debug("audit %s failed", command, exc_info=True)
        _fail(command, f"stopped on an unexpected error ({error.__class__.__name__})")


@click.group("audit")
def audit_group() -> None:
    """Tamper evidence for the audit trail (hash-chained seals)."""


@audit_group.command("seal")
def seal() -> None:
    """Seal the audit events that have settled since the last seal."""
    from workqueue.clock import utcnow
    from workqueue.services.audit_seals import seal_pending

    result = _run("seal", lambda session: seal_pending(session, utcnow()))
    if result.skipped or result.lost_race:
        click.echo("another sealer is running; nothing sealed here")
    elif result.seals:
        click.echo(f"sealed {result.events:,} audit events in {result.seals} seal(s), "
                   f"through event {result.last_id}")
    else:
        click.echo("nothing to seal (no settled audit events since the last seal)")


@audit_group.command("verify")
def verify() -> None:
    """Check every seal and re-hash every sealed audit event (exit 1 if anything is off)."""
    from workqueue.services.audit_seals import verify as verify_chain

    report = _run("verify", verify_chain)
    if not report.ok:
        _fail("verify", f"BROKEN at {report.findings[0]} (checked {report.seals} seals "
                        "before it)", BROKEN)
    last = report.last_sealed_at.strftime("%Y-%m-%d %H:%M UTC") if report.last_sealed_at \
        else "never"
    click.echo(f"intact: {report.seals} seals over {report.events:,} audit events, last sealed "
               f"{last}; {report.unsealed:,} newer events not sealed yet; head {report.head_hash}")


commands = [audit_group]
