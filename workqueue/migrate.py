"""Run the Alembic migrations programmatically (used by the CLI and the test suite)."""

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection

from workqueue.config import PROJECT_ROOT


def alembic_config(url: str | None = None, connection: Connection | None = None) -> AlembicConfig:
    config = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["skip_logging"] = True
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, connection: Connection | None = None,
            revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest)."""
    command.upgrade(alembic_config(url, connection), revision)
