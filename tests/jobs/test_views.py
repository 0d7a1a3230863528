"""Letters, notifications and the operations page through the browser-facing views."""

import io
import re
import socket

from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import AuthActions
from tests.factories import NOW, make_user
from tests.jobs.conftest import drain, make_denial_case, scope
from workqueue.jobs.outbox import enqueue_pending_jobs
from workqueue.models import AuditEvent, JobRequest, Letter, Notification
from workqueue.services.notifications import NewNotification, add_notifications


def _login(app, username):
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.login(username).status_code == 302
    return client, auth


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _letter_id(response) -> int:
    return int(re.search(r"/letters/(\d+)", response.headers["Location"]).group(1))


def test_letter_request_succeeds_while_redis_is_down_and_is_produced_when_it_is_back(jobs_app):
    case = make_denial_case(jobs_app)
    good_url = jobs_app.config["REDIS_URL"]
    jobs_app.config["REDIS_URL"] = f"redis://127.0.0.1:{_closed_port()}/7"
    client, auth = _login(jobs_app, case.specialist)
    response = client.post(f"/letters/for-item/{case.item_id}",
                           data={"csrf_token": auth.csrf("/notifications")})
    assert response.status_code == 303
    letter_id = _letter_id(response)
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    assert "requested" in page and "Waiting for the job queue" in page
    with scope(jobs_app) as session:
        row = session.scalar(select(JobRequest).where(JobRequest.job_id == f"letter-{letter_id}"))
        assert row.status == "pending"
    # Redis is back: the periodic outbox sweep enqueues the request, a worker writes it.
    jobs_app.extensions.pop("workqueue.redis").close()
    jobs_app.config["REDIS_URL"] = good_url
    with jobs_app.app_context():
        assert enqueue_pending_jobs()["enqueued"] == 1
    drain(jobs_app, "letters")
    with scope(jobs_app) as session:
        assert session.get(Letter, letter_id).status == "generated"


def _request_letter(jobs_app, case):
    """The specialist signs in and asks for the item's letter: (client, csrf token, letter id)."""
    client, auth = _login(jobs_app, case.specialist)
    token = auth.csrf("/notifications")
    letter_id = _letter_id(client.post(f"/letters/for-item/{case.item_id}",
                                       data={"csrf_token": token}))
    return client, token, letter_id


def test_specialist_edits_finalizes_downloads_and_submits(jobs_app):
    case = make_denial_case(jobs_app)
    client, token, letter_id = _request_letter(jobs_app, case)
    progress = client.get(f"/letters/{letter_id}/progress")
    assert 'hx-trigger="every 1s"' in progress.get_data(as_text=True)
    drain(jobs_app, "letters")
    progress = client.get(f"/letters/{letter_id}/progress")
    assert progress.headers.get("HX-Refresh") == "true"
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    saved = client.post(f"/letters/{letter_id}/draft", data={
        "csrf_token": token, "version": version, "body": "Dear reviewer,\n\nPlease pay."})
    assert saved.status_code == 303
    stale = client.post(f"/letters/{letter_id}/draft", data={
        "csrf_token": token, "version": version, "body": "Overwrite"})
    assert stale.status_code == 409 and "changed since you opened it" in stale.get_data(
        as_text=True)
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert client.post(f"/letters/{letter_id}/finalize", data={
        "csrf_token": token, "version": version,
        "body": "Dear reviewer,\n\nPlease pay."}).status_code == 303
    pdf = client.get(f"/letters/{letter_id}/pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert client.post(f"/letters/{letter_id}/submitted",
                       data={"csrf_token": token}).status_code == 303
    panel = client.get(f"/letters/item/{case.item_id}/panel").get_data(as_text=True)
    assert "final" in panel
    with scope(jobs_app) as session:
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "letter", AuditEvent.object_id == str(letter_id))).all()
        assert "download" in actions and "view" in actions
        from workqueue.models import WorkItem

        assert session.get(WorkItem, case.item_id).status == "appeal_submitted"


def test_finalize_freezes_the_text_on_the_screen_not_the_last_saved_draft(jobs_app):
    case = make_denial_case(jobs_app)
    client, token, letter_id = _request_letter(jobs_app, case)
    drain(jobs_app, "letters")
    page = client.get(f"/letters/{letter_id}").get_data(as_text=True)
    assert re.search(r'<button type="submit" class="btn btn-success" formaction="'
                     rf'/letters/{letter_id}/finalize">Finalize to PDF</button>', page)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    with scope(jobs_app) as session:
        draft = session.get(Letter, letter_id).draft
    edited = draft + "\nTyped just before finalizing, never saved: see the nurse's note.\n"
    done = client.post(f"/letters/{letter_id}/finalize", data={
        "csrf_token": token, "version": version, "body": edited})
    assert done.status_code == 303
    pdf = client.get(f"/letters/{letter_id}/pdf").data
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Typed just before finalizing, never saved" in re.sub(r"\s+", " ", text)
    with scope(jobs_app) as session:
        letter = session.get(Letter, letter_id)
        assert letter.status == "final"
        assert [v.source for v in letter.versions] == ["generated", "edited"]


def test_notifications_list_badge_and_mark_read(jobs_app):
    with scope(jobs_app) as session:
        user = make_user(session, "coordinator")
        add_notifications(session, [NewNotification(user.id, None, "overdue", f"Message {i}")
                                    for i in range(3)], NOW)
        username = user.username
    client, auth = _login(jobs_app, username)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Message 2" in page and "badge-unread" in page
    token = auth.csrf("/notifications")
    with scope(jobs_app) as session:
        first = session.scalars(select(Notification.id).order_by(Notification.id)).first()
    assert client.post(f"/notifications/{first}/read", data={"csrf_token": token}).status_code \
        == 303
    assert ">2<" in client.get("/notifications").get_data(as_text=True).replace(
        '<span class="visually-hidden"> unread</span>', "")
    client.post("/notifications/read-all", data={"csrf_token": token})
    assert "badge-unread" not in client.get("/notifications").get_data(as_text=True)
    saved = client.post("/notifications/settings", data={"csrf_token": token,
                                                         "email_mode": "digest"})
    assert saved.status_code == 303


def test_operations_page_for_supervisors_only_and_retry_of_a_failed_request(jobs_app,
                                                                            monkeypatch):
    case = make_denial_case(jobs_app)
    from workqueue.services import letters

    with scope(jobs_app) as session:
        from workqueue.models import User
        from workqueue.services.audit import Actor

        user = session.scalar(select(User).where(User.username == case.specialist))
        letter_id = letters.request_letter(session, case.item_id, Actor.for_user(user), NOW).id
    monkeypatch.setattr(letters, "gather_facts", lambda *a, **k: 1 / 0)
    drain(jobs_app, "letters")
    monkeypatch.undo()
    client, _ = _login(jobs_app, case.specialist)
    assert client.get("/operations").status_code == 403
    client, auth = _login(jobs_app, case.supervisor)
    page = client.get("/operations").get_data(as_text=True)
    assert f"letter-{letter_id}" in page and "ZeroDivisionError" in page
    assert "failed: <strong>1" in page
    with scope(jobs_app) as session:
        row = session.scalar(select(JobRequest).where(JobRequest.job_id == f"letter-{letter_id}"))
    assert client.post(f"/operations/requests/{row.id}/retry",
                       data={"csrf_token": auth.csrf("/operations")}).status_code == 303
    drain(jobs_app, "letters")
    with scope(jobs_app) as session:
        assert session.get(Letter, letter_id).status == "generated"


def test_template_admin_refuses_broken_jinja_next_to_the_field(jobs_app):
    with scope(jobs_app) as session:
        admin = make_user(session, "admin").username
    client, auth = _login(jobs_app, admin)
    token = auth.csrf("/letters/templates/new")
    bad = client.post("/letters/templates/new", data={
        "csrf_token": token, "category": "coding", "payer_id": "", "name": "Broken",
        "body": '{% extends "frame" %}{% block argument %}{{ claim.nmber }}{% endblock %}',
        "is_active": "y"})
    assert bad.status_code == 422 and "nmber" in bad.get_data(as_text=True)
    good = client.post("/letters/templates/new", data={
        "csrf_token": token, "category": "coding", "payer_id": "", "name": "Coding v2",
        "appeal_level": "2", "is_active": "y",
        "body": '{% extends "frame" %}{% block argument %}Claim {{ claim.number }}.{% endblock %}'})
    assert good.status_code == 303
    assert "Coding v2" in client.get("/letters/templates").get_data(as_text=True)
