"""File import jobs: apply an uploaded 835 remittance, 271 eligibility response or 277 claim
status response (queue ``imports``)."""

from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from workqueue import db
from workqueue.clock import utcnow
from workqueue.domain.import_limits import ImportLimits
from workqueue.jobs import job_entry
from workqueue.services import imports


def import_directory(app=None) -> Path:
    """Where uploaded files wait for their import, by SHA-256 (``IMPORT_DIR``)."""
    return Path((app or current_app).config["IMPORT_DIR"])


def _mark_failed(session: Session, import_run_id: int, *, error: str, now) -> None:
    # The kind of error only: a database error's text may quote a value from the file, and
    # the run's message is shown on its page.
    imports.mark_run_failed(session, import_run_id, error.split(":", 1)[0], now)


@job_entry(queue="imports", noun="import", timeout=3600, on_final_failure=_mark_failed)
def run_import(session: Session, import_run_id: int) -> str:
    """Import the stored file of run ``import_run_id`` (its kind says how) and record the
    outcome on the run.

    Idempotent: a finished run is left alone, and a retry after a crash skips what was
    already applied (each 835 payment, 271 member or 277 claim is committed whole, then
    progress is committed). Queue ``imports``; job id ``import-<id>``.
    """
    run = imports.run_stored_import(session, import_run_id, utcnow(), import_directory(),
                                    checkpoint=lambda: db.commit(session),
                                    limits=ImportLimits.from_config(current_app.config))
    return run.status.value
