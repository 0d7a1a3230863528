"""Periodic sweeps (reminders, pended returns, idle claims, missed deadlines) and the e-mails
they trigger."""

import smtplib
from email.message import EmailMessage

from flask import current_app, render_template
from sqlalchemy.orm import Session

from workqueue.clock import utcnow
from workqueue.jobs import defer, job_entry
from workqueue.models import ReminderReason
from workqueue.services import notifications, reminders
from workqueue.services.assignment import release_idle_claims
from workqueue.services.audit import Actor
from workqueue.services.auth_ledger import open_due_reauthorizations
from workqueue.services.deadlines import mark_missed_deadlines
from workqueue.services.outbox import record_sweep_run


@job_entry(queue="notifications", noun="reminder-sweep", timeout=900)
def send_due_reminders(session: Session) -> dict:
    """The reminder sweep: every due reminder recorded once and its people notified in-app;
    e-mails deferred per notification when SMTP is configured.

    Idempotent: a second run finds nothing new. Queue ``notifications``, every 5 minutes.
    """
    started = utcnow()
    result = reminders.sweep_reminders(session, started)
    _defer_emails(session, result.notification_ids)
    record_sweep_run(session, "reminders", started, utcnow(), result.summary())
    return result.summary()


@job_entry(queue="default", noun="pended-returns", timeout=300)
def return_pended_items(session: Session) -> dict:
    """Bring back pended items whose date has come (and tell their assignees). Idempotent."""
    started = utcnow()
    result = reminders.sweep_reminders(session, started, reasons=(ReminderReason.PEND_RETURNED,))
    _defer_emails(session, result.notification_ids)
    record_sweep_run(session, "pended_returns", started, utcnow(), result.summary())
    return result.summary()


@job_entry(queue="default", noun="idle-claims", timeout=300)
def release_idle_claim_jobs(session: Session) -> dict:
    """Put claims nobody touched for CLAIM_IDLE_HOURS back in the pool. Idempotent."""
    started = utcnow()
    released = release_idle_claims(session, started, current_app.config["CLAIM_IDLE_HOURS"])
    result = {"released": len(released)}
    record_sweep_run(session, "idle_claims", started, utcnow(), result)
    return result


@job_entry(queue="default", noun="missed-deadlines", timeout=900)
def mark_missed_deadline_items(session: Session) -> dict:
    """Take items whose outside deadline passed out of Get next and down the worklists, into
    the "Deadline missed" view. Idempotent. Every 5 minutes, so a deadline passing at
    midnight stops ranking by closeness within minutes.
    """
    started = utcnow()
    result = {"marked": mark_missed_deadlines(session, started)}
    record_sweep_run(session, "missed_deadlines", started, utcnow(), result)
    return result


@job_entry(queue="default", noun="reauthorizations", timeout=900)
def open_reauthorizations(session: Session) -> dict:
    """Open re-authorization items for auths near expiry or with most units used. Idempotent:
    an auth that already has an open prior-auth item gets no second one. Hourly.
    """
    started = utcnow()
    opened = open_due_reauthorizations(session, Actor.system("job"), started)
    result = {"opened": len(opened)}
    record_sweep_run(session, "reauthorizations", started, utcnow(), result)
    return result


def _defer_emails(session: Session, notification_ids: list[int]) -> None:
    if not current_app.config.get("SMTP_HOST"):
        return
    for notification_id in notifications.immediate_email_targets(session, notification_ids):
        defer(session, send_notification_email, notification_id)


@job_entry(queue="notifications", noun="notification-email", timeout=120)
def send_notification_email(session: Session, notification_id: int) -> bool:
    """E-mail one notification. Idempotent: a notification already e-mailed is skipped.

    The subject names the reason and the item id only, never a patient. Queue
    ``notifications``; SMTP failures raise so RQ retries with back-off.
    """
    email = notifications.email_for_notification(session, notification_id)
    if email is None or not current_app.config.get("SMTP_HOST"):
        return False
    _send(email)
    notifications.mark_emailed(session, [notification_id], utcnow())
    return True


@job_entry(queue="notifications", noun="daily-digest", timeout=900)
def send_daily_digests(session: Session) -> dict:
    """One e-mail per digest user with their unread, not yet e-mailed notifications."""
    started = utcnow()
    sent = 0
    if current_app.config.get("SMTP_HOST"):
        for user_id in notifications.digest_users(session):
            email, ids = notifications.digest_for(session, user_id, started)
            if email is not None:
                _send(email)
                notifications.mark_digest_sent(session, user_id, ids, utcnow())
                session.commit()  # each user's digest is its own unit: no resend on a retry
                sent += 1
    record_sweep_run(session, "daily_digest", started, utcnow(), {"sent": sent})
    return {"sent": sent}


def _send(email: notifications.Email) -> None:
    config = current_app.config
    context = email.context | {"public_url": config.get("PUBLIC_URL", "").rstrip("/")}
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = config["SMTP_FROM"]
    message["To"] = email.to
    message.set_content(render_template(f"emails/{email.template}.txt", **context))
    message.add_alternative(render_template(f"emails/{email.template}.html", **context),
                            subtype="html")
    with smtplib.SMTP(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25),
                      timeout=15) as smtp:
        smtp.send_message(message)
