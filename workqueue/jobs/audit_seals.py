"""Periodic sealing of the audit trail and on-demand verification of its hash chain."""

import logging

from sqlalchemy.orm import Session

from workqueue.clock import utcnow
from workqueue.jobs import job_entry
from workqueue.services import audit_seals
from workqueue.services.outbox import record_sweep_run

log = logging.getLogger(__name__)


@job_entry(queue="default", noun="audit-seal", timeout=900)
def seal_audit_events(session: Session) -> dict:
    """Seal the audit events that have settled since the last seal (every 5 minutes).

    Idempotent, and racing runs make one chain (advisory lock, unique range start).
    Queue ``default``.
    """
    started = utcnow()
    result = audit_seals.seal_pending(session, started).summary()
    record_sweep_run(session, audit_seals.SEAL_RUN, started, utcnow(), result)
    return result


@job_entry(queue="default", noun="audit-verify", timeout=3600)
def verify_audit_chain(session: Session) -> dict:
    """Re-hash every sealed audit event and check the chain; the result is kept for the admin
    audit page. Read-only apart from that record, so running it twice is harmless. A broken
    chain is a result, not a failure: the job succeeds and says so. Queue ``default``.
    """
    started = utcnow()
    report = audit_seals.verify(session)
    result = report.summary()
    if not report.ok:  # seal ids and audit event ids only: no PHI in the log
        log.warning("audit chain broken: %s", report.findings[0])
    record_sweep_run(session, audit_seals.VERIFY_RUN, started, utcnow(), result)
    return result
