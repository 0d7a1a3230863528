"""Letter generation job: render the appeal letter of one denial item (and its PDF if asked)."""

import time

from flask import current_app
from sqlalchemy.orm import Session

from workqueue import db
from workqueue.clock import utcnow
from workqueue.jobs import job_entry
from workqueue.services import letters


def _mark_failed(session: Session, letter_id: int, *, error: str, now) -> None:
    letters.mark_letter_failed(session, letter_id, error=error, now=now)


@job_entry(queue="letters", noun="letter", timeout=300, on_final_failure=_mark_failed)
def generate_letter(session: Session, letter_id: int) -> str:
    """Render letter ``letter_id`` from its template and the claim's facts.

    Idempotent (a generated or final letter is left as it is), so a retry after a crash or a
    duplicate delivery is harmless. Queue ``letters``; job id ``letter-<id>``. Progress is
    committed after each step so the page polling the letter sees it move.
    """
    config = current_app.config
    delay = float(config.get("LETTER_RENDER_DELAY_SECONDS") or 0)  # test hook; 0 in production

    def checkpoint() -> None:
        db.commit(session)
        if delay:
            time.sleep(delay)

    letter = letters.render_letter(session, letter_id, utcnow(), sender=letter_sender(config),
                                   checkpoint=checkpoint)
    return letter.status.value


def letter_sender(config) -> letters.Sender:
    return letters.Sender(practice=config.get("PRACTICE_NAME", ""),
                          address=config.get("PRACTICE_ADDRESS", ""),
                          phone=config.get("PRACTICE_PHONE", ""),
                          npi=config.get("PRACTICE_NPI", ""), tin=config.get("PRACTICE_TIN", ""))
