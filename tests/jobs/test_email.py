"""Notification e-mail through a real local SMTP server (aiosmtpd), per notification and as a
daily digest; never a patient in the subject."""

import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.factories import NOW, make_payer, make_user, make_work_item
from tests.jobs.conftest import drain, scope
from workqueue.models import Notification, Patient
from workqueue.services.notifications import set_email_mode


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(jobs_app):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    jobs_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                           SMTP_FROM="workqueue@clinic.test")
    yield inbox
    controller.stop()


def _denial_near_deadline(session, user, payer, patient_name="Zebulon"):
    from tests.factories import make_patient

    patient = make_patient(session, first_name=patient_name, last_name="Quixote")
    return make_work_item(session, "denial", assignee_id=user.id, payer_id=payer.id,
                          patient_id=patient.id, title=f"Denial for {patient_name} Quixote",
                          denied_on=NOW.date() - timedelta(days=176))


def test_sweep_emails_the_assignee_with_no_phi_in_the_subject(jobs_app, smtp):
    from workqueue.jobs.reminders import send_due_reminders

    with scope(jobs_app) as session:
        user = make_user(session, "denial_specialist", email="dana@clinic.test")
        item = _denial_near_deadline(session, user, make_payer(session))
        item_id = item.id
    with jobs_app.app_context():
        send_due_reminders()  # as the scheduler would enqueue it; e-mails are deferred jobs
    drain(jobs_app, "notifications")
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "dana@clinic.test"
    assert message["Subject"] == f"[workqueue] An appeal deadline is near (item #{item_id})"
    body = message.get_body(("plain",)).get_content()
    assert f"/work-items/{item_id}" in body and "Appeal deadline" in body
    for phi in ("Zebulon", "Quixote", "MRN"):
        assert phi not in message["Subject"] and phi not in body
    with scope(jobs_app) as session:
        assert session.scalar(select(Notification.emailed_at)) is not None
    # A second sweep finds nothing new: no second e-mail.
    with jobs_app.app_context():
        send_due_reminders()
    drain(jobs_app, "notifications")
    assert len(smtp.messages) == 1


def test_digest_users_get_one_daily_email_instead(jobs_app, smtp):
    from workqueue.jobs.reminders import send_daily_digests, send_due_reminders

    with scope(jobs_app) as session:
        user = make_user(session, "denial_specialist", email="dee@clinic.test")
        set_email_mode(session, user.id, "digest")
        payer = make_payer(session)
        for name in ("Ann", "Bob"):
            _denial_near_deadline(session, user, payer, name)
    with jobs_app.app_context():
        send_due_reminders()
    drain(jobs_app, "notifications")
    assert smtp.messages == []
    with jobs_app.app_context():
        assert send_daily_digests() == {"sent": 1}
        assert send_daily_digests() == {"sent": 0}  # nothing new since
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["Subject"] == "[workqueue] Daily digest: 2 unread notifications"
    with scope(jobs_app) as session:
        assert session.scalar(select(Patient.first_name).limit(1)) not in \
            smtp.messages[0]["Subject"]
