"""`workqueue db upgrade`: build or update the schema."""

from pathlib import Path

import click

from workqueue import migrate
from workqueue.config import Config


@click.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Apply the Alembic migrations to DATABASE_URL (SQLite by default)."""
    url = Config.DATABASE_URL
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        migrate.upgrade(url, revision=revision)
    except Exception as error:  # the database may be down or the URL wrong: say so, no trace
        raise click.ClickException(f"database upgrade failed: {error.__class__.__name__}: "
                                   f"{str(error).splitlines()[0]}") from None
    click.echo(f"database at {_redacted(url)} is at revision {revision}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


commands = [db_group]
