"""Pooled PostgreSQL connections that died while idle are replaced before a request uses them."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from workqueue import db


@pytest.fixture
def pg_url(database_url, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite has no server connection to lose")
    return database_url


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def _terminate(admin_engine, pid: int) -> None:
    with admin_engine.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()


def test_a_connection_killed_while_idle_is_replaced_before_use(pg_url, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine, admin = db.make_engine(pg_url), db.make_engine(pg_url)
    try:
        first = _backend_pid(engine)
        _terminate(admin, first)  # a server restart, or a proxy's idle timeout
        second = _backend_pid(engine)  # no error: the ping failed and a new connection came
        assert second != first
    finally:
        engine.dispose()
        admin.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged_and_one_failure_renews_the_pool(
        pg_url, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    engine, admin = db.make_engine(pg_url), db.make_engine(pg_url)
    try:
        first = _backend_pid(engine)
        _terminate(admin, first)
        with pytest.raises(OperationalError) as failure:
            _backend_pid(engine)  # trusted without a ping: this one statement fails
        assert failure.value.connection_invalidated
        assert _backend_pid(engine) != first  # and the pool has been renewed
    finally:
        engine.dispose()
        admin.dispose()
