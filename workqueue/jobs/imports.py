"""File import jobs: post an uploaded 835 remittance (queue ``imports``)."""

from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from workqueue import db
from workqueue.jobs import job_entry, utcnow
from workqueue.services import remittances


def import_directory(app=None) -> Path:
    """Where uploaded files wait for their import, by SHA-256 (``IMPORT_DIR``)."""
    return Path((app or current_app).config["IMPORT_DIR"])


def _mark_failed(session: Session, import_run_id: int, *, error: str, now) -> None:
    remittances.mark_run_failed(session, import_run_id, error, now)


@job_entry(queue="imports", noun="import", timeout=3600, on_final_failure=_mark_failed)
def run_import(session: Session, import_run_id: int) -> str:
    """Import the stored file of run ``import_run_id`` and record the outcome on the run.

    Idempotent: a finished run is left alone, and a retry after a crash skips the payments
    already posted (each payment is committed whole, then progress is committed). Queue
    ``imports``; job id ``import-<id>``.
    """
    run = remittances.run_stored_import(session, import_run_id, utcnow(),
                                        import_directory(), checkpoint=lambda: db.commit(session))
    return run.status.value
