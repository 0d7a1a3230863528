"""`workqueue seed-catalog`: add the drug codes of this release's seed catalog to the table.

The catalog table is what the coding check reads once it holds a single row, so codes a new
release adds to ``workqueue/data/drug_catalog.csv`` reach an existing install only through
this command. It never changes a row an admin entered (it only fills in a missing unit-size
source); visits using an added code are re-coded in the background. Exit 0 with a summary; 2
with a message on stderr for a database problem.
"""

from __future__ import annotations

import click

FAILED = 2


@click.command("seed-catalog")
def seed_catalog() -> None:
    """Add the seed catalog's drug codes that the catalog table does not have yet."""
    from sqlalchemy.exc import SQLAlchemyError

    from workqueue import create_app, db
    from workqueue.clock import utcnow
    from workqueue.services.audit import Actor
    from workqueue.services.catalog import add_seed_codes

    try:
        app = create_app()
        with db.session_scope(app) as session:
            added = add_seed_codes(session, Actor.system("cli"), utcnow())
    except SQLAlchemyError as error:
        click.echo(f"seed-catalog: the database could not be reached or refused the change "
                   f"({error.__class__.__name__}); nothing was added", err=True)
        raise click.exceptions.Exit(FAILED) from None
    if added:
        click.echo(f"{len(added)} drug codes added: {', '.join(added)}")
    else:
        click.echo("The catalog already has every seed code; nothing was added.")


commands = [seed_catalog]
