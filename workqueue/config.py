"""Configuration classes; the only module that reads ``os.environ``.

Every setting has a default that works on one laptop: a SQLite file under ``var/`` and, when
``REDIS_URL`` is unset, an embedded Redis started by the run command.
"""

import os
from datetime import timedelta
from pathlib import Path

from workqueue.domain.import_limits import DEFAULT_LIMITS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WORKQUEUE_VAR_DIR", PROJECT_ROOT / "var"))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    """Production-shaped defaults, overridden by environment variables."""

    # Unset: create_app keeps a random key in VAR_DIR/secret_key (never a known default).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'workqueue.db'}")
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # Idle session timeout (HIPAA automatic log-off); refreshed on every request.
    SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 15)
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=SESSION_IDLE_MINUTES)
    SESSION_REFRESH_EACH_REQUEST = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    # Roles (comma-separated, e.g. "admin,supervisor") that must set up a TOTP second factor;
    # their next sign-in asks for enrolment. Empty: MFA is each user's choice.
    MFA_REQUIRED_ROLES = tuple(
        r.strip() for r in os.environ.get("MFA_REQUIRED_ROLES", "").split(",") if r.strip()
    )
    # Claims on items not touched for this long go back to the pool.
    CLAIM_IDLE_HOURS = _int("CLAIM_IDLE_HOURS", 4)
    WORKLIST_PAGE_SIZE = _int("WORKLIST_PAGE_SIZE", 50)
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _int("SMTP_PORT", 25)
    SMTP_FROM = os.environ.get("SMTP_FROM", "workqueue@localhost")
    SQL_ECHO = os.environ.get("SQL_ECHO", "0") == "1"
    # Uploaded remittance files wait here (by SHA-256) for their import job.
    IMPORT_DIR = os.environ.get("IMPORT_DIR", str(VAR_DIR / "imports"))
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 200 * 1024 * 1024)
    # What one import may read and hold, whatever the file's size (domain/import_limits.py):
    # segments per file, segments per claim or member, and problems/rows a report keeps.
    IMPORT_MAX_SEGMENTS = _int("IMPORT_MAX_SEGMENTS", DEFAULT_LIMITS.max_segments)
    IMPORT_MAX_SEGMENTS_PER_CLAIM = _int("IMPORT_MAX_SEGMENTS_PER_CLAIM",
                                         DEFAULT_LIMITS.max_segments_per_claim)
    IMPORT_REPORT_MAX_ROWS = _int("IMPORT_REPORT_MAX_ROWS", DEFAULT_LIMITS.report_rows)
    # Reverse proxies in front of the app (nginx, a load balancer): trust this many
    # X-Forwarded-* hops for the client address written to the audit trail. 0: trust none.
    PROXY_HOPS = _int("PROXY_HOPS", 0)
    # Background jobs (workqueue/jobs): retry back-off in seconds, how long an outbox row may
    # stay pending before the sweeper enqueues it, the link base for e-mails, the sender block
    # of appeal letters, and a test-only pause per letter-rendering step (to kill a worker
    # mid-letter in tests).
    JOB_RETRY_INTERVALS = tuple(
        int(s) for s in os.environ.get("JOB_RETRY_INTERVALS", "60,300,900").split(",") if s
    )
    OUTBOX_GRACE_SECONDS = _int("OUTBOX_GRACE_SECONDS", 10)
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    PRACTICE_NAME = os.environ.get("PRACTICE_NAME", "Riverside Infusion Center")
    PRACTICE_ADDRESS = os.environ.get("PRACTICE_ADDRESS", "100 Example Way, Springfield")
    PRACTICE_PHONE = os.environ.get("PRACTICE_PHONE", "555-0100")
    PRACTICE_NPI = os.environ.get("PRACTICE_NPI", "")
    PRACTICE_TIN = os.environ.get("PRACTICE_TIN", "")
    LETTER_RENDER_DELAY_SECONDS = float(os.environ.get("LETTER_RENDER_DELAY_SECONDS", "0"))
    WTF_CSRF_TIME_LIMIT = None
    # Puts this process's clock at an instant ("2026-11-27T15:00:00+00:00", ticking on from
    # there; a trailing "!" freezes it): for tests and demos of another day, never production.
    CLOCK = os.environ.get("WORKQUEUE_CLOCK", "")
    TESTING = False


class TestConfig(Config):
    """Settings for the test suite: same database engines, CSRF on, fast hashing."""

    TESTING = True
    SECRET_KEY = "test-secret"
    DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite://")
    REDIS_URL = os.environ.get("REDIS_URL", "")
    PASSWORD_HASH_FAST = True
