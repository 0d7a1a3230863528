"""Engine and session factory, the per-request session, and commit-then-release of side effects.

Services only ``flush``; the edge (a view, a job envelope, a CLI command) calls :func:`commit`,
which commits and only then runs the callbacks registered with :func:`after_commit` (enqueueing
jobs, sending mail). A rollback discards them, so no job ever runs for work that was not saved.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

_EXTENSION = "workqueue.db"
_AFTER_COMMIT = "after_commit"


def make_engine(url: str, echo: bool = False) -> Engine:
    """Build an engine; SQLite gets foreign keys, WAL and a busy timeout so writers queue.

    ``hide_parameters`` keeps bound values (names, member IDs...) out of SQL error messages and
    logs: an IntegrityError logged with its parameters would put PHI in the log.
    """
    if url.startswith("sqlite"):
        kwargs: dict = {"connect_args": {"check_same_thread": False, "timeout": 30},
                        "hide_parameters": True}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, echo=echo, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # We emit BEGIN ourselves (below); pysqlite's own deferred BEGIN would let two
            # transactions read the same row and then race to write it.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if url not in ("sqlite://", "sqlite:///:memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection):
            # Take the write lock at the start: SQLite has no row locks and silently ignores
            # FOR UPDATE, so serializing transactions is how claims stay exclusive here.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20, hide_parameters=True)
    _ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


PING_AFTER_IDLE_SECONDS = 10.0


def _ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Test a pooled connection before use if it sat unused for ``idle_seconds`` or more.

    A server restart or an idle timeout in a proxy leaves dead connections in the pool; a
    ping at checkout replaces them before a request trips on one. SQLAlchemy's
    ``pool_pre_ping`` pings at every checkout, a round trip per request that cost get-next
    12 % of its throughput (docs/benchmarks.md). A connection used a moment ago is all but
    certainly alive; if the server did go away in that moment, the statement fails, SQLAlchemy
    invalidates the whole pool on the disconnect, and the next checkout connects afresh.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("a pooled connection failed its ping") from error


def init_app(app: Flask, engine: Engine | None = None) -> None:
    """Attach an engine and session factory to the app and close sessions at teardown."""
    engine = engine or make_engine(app.config["DATABASE_URL"], app.config.get("SQL_ECHO", False))
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions[_EXTENSION] = factory
    app.teardown_appcontext(_close_session)


def session_factory(app: Flask | None = None) -> sessionmaker:
    return (app or current_app).extensions[_EXTENSION]


def engine_of(app: Flask | None = None) -> Engine:
    return session_factory(app).kw["bind"]


def get_session() -> Session:
    """The session of the current app context (one per request or job), opened on first use."""
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.info.pop(_AFTER_COMMIT, None)
        session.close()


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once ``session`` has committed; dropped if it rolls back."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def commit(session: Session) -> None:
    """Commit, then release the side effects deferred during the transaction."""
    session.commit()
    callbacks = session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        callback()


def rollback(session: Session) -> None:
    """Roll back and forget the deferred side effects."""
    session.info.pop(_AFTER_COMMIT, None)
    session.rollback()


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session for a job or a CLI command: commit on success, roll back on error, close."""
    session = session_factory(app)()
    try:
        yield session
        commit(session)
    except BaseException:
        rollback(session)
        raise
    finally:
        session.close()


@contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    """Every statement sent to the database while the block runs, for tests and benchmarks
    that hold a page or an import to a statement count (N+1 shows up as a growing count)."""
    statements: list[str] = []

    def before(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
