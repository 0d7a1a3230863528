"""`workqueue recode-visits`: re-code open infusion visits with the current drug catalog.

What the background job does after a catalog edit, for operators: after a bulk catalog load,
or to put right flags a failed job left stale. Commits after each batch, so an interrupted run
keeps what it did and running it again finishes the rest. Exit 0 with a summary on stdout; 2
with a message on stderr (never a traceback) for an unknown code or a database problem.
"""

from __future__ import annotations

import logging
from typing import NoReturn

import click

FAILED = 2
log = logging.getLogger(__name__)


def _fail(message: str) -> NoReturn:
    click.echo(f"recode-visits: {message}", err=True)
    raise click.exceptions.Exit(FAILED)


def _summary(result) -> str:
    what = f"open visits using {result.code}" if result.code != "all" else "open visits"
    return (f"{what}: {result.recoded} re-coded; {result.flags_set} now flagged with coding "
            f"errors, {result.flags_cleared} cleared, "
            f"{result.recoded - result.flags_changed} unchanged"
            + (f"; {result.not_codable} cannot be coded at all (flagged)"
               if result.not_codable else ""))


@click.command("recode-visits")
@click.option("--code", default=None, metavar="HCPCS",
              help="Only open visits with an administration of this drug code (default: all).")
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10_000),
              help="Visits coded and committed together.")
def recode_visits(code: str | None, batch_size: int) -> None:
    """Re-code open infusion visits and refresh their stored coding-error flags."""
    from sqlalchemy.exc import SQLAlchemyError

    from workqueue import create_app, db
    from workqueue.clock import utcnow
    from workqueue.domain.errors import DomainError
    from workqueue.services.audit import Actor
    from workqueue.services.recoding import recode_open_visits, require_known_code

    try:
        app = create_app()
        with db.session_scope(app) as session:
            hcpcs = require_known_code(session, code) if code is not None else None
            result = recode_open_visits(session, hcpcs, Actor.system("cli"), utcnow(),
                                        batch_size=batch_size,
                                        checkpoint=lambda: db.commit(session), clock=utcnow)
    except DomainError as error:
        _fail(f"{error.message} Nothing was re-coded.")
    except SQLAlchemyError as error:
        _fail(f"the database could not be reached or refused the change "
              f"({error.__class__.__name__}); batches already committed stay done")
    except Exception as error:  # last resort: a message, never a traceback
        log.debug("recode-visits failed", exc_info=True)
        _fail(f"stopped on an unexpected error ({error.__class__.__name__}); batches already "
              "committed stay done, run it again to finish")
    click.echo(_summary(result))


commands = [recode_visits]
