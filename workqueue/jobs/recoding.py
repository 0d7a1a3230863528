"""Re-coding job: after a drug-catalog edit commits, code again the open visits that use the
edited code so their stored coding flags (and the worklist filter built on them) stay true."""

from sqlalchemy.orm import Session

from workqueue import db
from workqueue.clock import utcnow
from workqueue.jobs import job_entry
from workqueue.services import recoding


def _code_arg(code: str) -> str | None:
    return None if code == recoding.ALL_CODES else code


def _mark_failed(session: Session, code: str, change_event_id: int = 0, *, error: str,
                 now) -> None:
    recoding.mark_recode_failed(session, _code_arg(code), error, now)


@job_entry(queue="default", noun="recode", timeout=3600, on_final_failure=_mark_failed)
def recode_visits(session: Session, code: str, change_event_id: int = 0) -> dict:
    """Re-code the open visits using HCPCS ``code`` (``"all"``: every open visit).

    ``change_event_id`` is the audit event of the catalog change that asked for it (0: none);
    it makes each edit's job id distinct (``recode-<code>-<event id>``) and names the user the
    audit trail credits. Idempotent: flags already right stay as they are, so a retry or a
    duplicate delivery is harmless. Queue ``default``; each batch is committed so the catalog
    and operations pages see progress.
    """
    actor = recoding.actor_of_change(session, change_event_id)
    result = recoding.recode_open_visits(session, _code_arg(code), actor, utcnow(),
                                         checkpoint=lambda: db.commit(session), clock=utcnow)
    return result.as_dict()
