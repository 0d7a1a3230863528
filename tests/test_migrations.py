"""Migrations: one head, the migrated schema equals the models, and every step goes down
and back up again (on the backend of this run: SQLite by default, PostgreSQL in CI).
"""

import os
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from workqueue import migrate
from workqueue.db import make_engine
from workqueue.models import Base


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config())


def _differences(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


@pytest.fixture
def scratch_url(tmp_path, is_postgres):
    """An empty database of this run's backend, dropped afterwards."""
    if not is_postgres:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    base = os.environ["DATABASE_URL"]
    name = f"wq_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_there_is_a_single_head():
    heads = _script().get_heads()
    assert len(heads) == 1, f"two or more heads, set one down_revision to the other: {heads}"


def test_every_revision_has_a_slugged_dated_file_name():
    for revision in _script().walk_revisions():
        file_name = os.path.basename(revision.path)
        assert file_name[:8].isdigit() and revision.revision in file_name, file_name
        assert not file_name.endswith(f"{revision.revision}_.py"), f"no slug: {file_name}"


def test_the_migrated_test_database_matches_the_models(engine):
    # conftest built this database from empty with `alembic upgrade head`.
    assert _differences(engine) == []


def test_upgrade_from_empty_then_down_to_base_and_up_again(scratch_url):
    config = migrate.alembic_config(scratch_url)
    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url)
    try:
        assert _differences(engine) == []
        command.downgrade(config, "base")
        engine.dispose()
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(scratch_url)
        engine.dispose()
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_each_revision_downgrades_and_upgrades_again(scratch_url):
    """The stairway: up one step, down one, up again, for every revision in order."""
    config = migrate.alembic_config(scratch_url)
    revisions = list(reversed(list(_script().walk_revisions())))
    for revision in revisions:
        command.upgrade(config, revision.revision)
        command.downgrade(config, revision.down_revision or "base")
        command.upgrade(config, revision.revision)
    engine = make_engine(scratch_url)
    try:
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_medicaid_payers_already_there_require_ndcs_after_the_upgrade(scratch_url):
    config = migrate.alembic_config(scratch_url)
    command.upgrade(config, "c4d2e3f5a6b7")
    engine = make_engine(scratch_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO payers (name, payer_type, timely_filing_days, auth_lead_days,"
                " auth_turnaround_days, reverify_days, auth_units_warn_pct, ar_followup_days,"
                " is_active) VALUES ('State Medicaid', 'medicaid', 365, 14, 7, 30, 80, 30,"
                " true), ('Acme Health', 'commercial', 180, 14, 7, 30, 80, 30, true)"))
        command.upgrade(config, "d7e1a9c3b5f2")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT name, requires_ndc FROM payers ORDER BY name"))
            assert [(name, bool(flag)) for name, flag in rows] == [
                ("Acme Health", False), ("State Medicaid", True)]
    finally:
        engine.dispose()
