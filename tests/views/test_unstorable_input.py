"""Input no database can store is refused with a 4xx before it reaches one (issue 16, item 4):
NUL characters in any form field, query parameter, path part or upload name (PostgreSQL
refuses NUL in text, which answered 500), record ids beyond 32 bits in the path, the query and
the forms (PostgreSQL refuses to compare them), and the last day of the calendar in the audit
log's filter. The same cases in the API answer JSON."""

import io
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token_from
from tests.factories import make_queue, make_user, make_work_item
from workqueue.models import Activity, AuditEvent, ImportRun, User

HUGE = "99999999999999999999"  # beyond 64 bits, let alone a 32-bit id
NUL_MESSAGE = "contains a NUL character"


@pytest.fixture
def supervisor(session, auth):
    user = make_user(session, "supervisor")
    auth.login(user.username)
    return user


@pytest.fixture
def item(session, supervisor):
    return make_work_item(session, "ar_followup", title="Follow up", assignee_id=supervisor.id)


def _page(client, url):
    html = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html)
    return csrf_token_from(html), version.group(1) if version else None


def _refused(response, status=400) -> str:
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:300]
    return text


def test_a_nul_in_the_anonymous_login_form_is_a_400_not_a_500(client):
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    page = _refused(client.post("/auth/login", data={
        "csrf_token": token, "username": "ad\x00min", "password": "whatever-1234"}))
    assert NUL_MESSAGE in page


def test_a_nul_in_a_note_is_refused_and_nothing_is_saved(client, session, item):
    token, version = _page(client, f"/work-items/{item.id}")
    page = _refused(client.post(f"/work-items/{item.id}/notes", data={
        "csrf_token": token, "version": version, "body": "called the payer\x00"}))
    assert NUL_MESSAGE in page
    assert session.scalar(select(func.count()).select_from(Activity).where(
        Activity.work_item_id == item.id, Activity.kind == "note")) == 0


def test_a_nul_in_an_admin_form_a_query_a_path_and_an_upload_name(client, session, auth,
                                                                  tmp_path, app):
    admin = make_user(session, "admin")
    auth.login(admin.username)
    token, _ = _page(client, "/admin/users/new")
    _refused(client.post("/admin/users/new", data={
        "csrf_token": token, "username": "newuser", "display_name": "New\x00User",
        "role": "coordinator", "password": "a-long-password-1", "confirm": "a-long-password-1"}))
    assert session.scalar(select(User).where(User.username == "newuser")) is None
    queue = make_queue(session, name="Denials", slug="denials")
    assert "NUL" in _refused(client.get(f"/queues/{queue.slug}?payer=%00"))
    assert client.get("/queues/den%00ials").status_code == 404
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    _refused(client.post("/imports/", data={
        "csrf_token": auth.csrf("/imports/"),
        "file": (io.BytesIO(b"ISA*00*"), "remit\x00.835")}, content_type="multipart/form-data"))
    assert session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_ids_beyond_32_bits_are_not_found_or_refused_at_the_field(client, session, item,
                                                                  supervisor):
    assert client.get(f"/work-items/{HUGE}").status_code == 404
    queue = make_queue(session, name="AR", slug="ar-huge")
    assert client.get(f"/queues/{queue.slug}?view={HUGE}").status_code == 404
    # A filter value that cannot be used is left out, as any bad filter is: the first page.
    assert client.get(f"/queues/{queue.slug}?page={HUGE}").status_code == 200
    assert client.get(f"/notifications?before={HUGE}").status_code == 200
    token, version = _page(client, f"/work-items/{item.id}")
    assert client.post(f"/work-items/{item.id}/assign", data={
        "csrf_token": token, "version": version, "assignee_id": HUGE}).status_code == 422
    assert client.post(f"/work-items/{item.id}/notes", data={
        "csrf_token": token, "version": version, "seen_activity": HUGE,
        "body": "a note"}).status_code == 422


def test_the_audit_log_takes_the_last_day_of_the_calendar_and_refuses_a_huge_patient(
        client, session, auth):
    auditor = make_user(session, "admin")
    auth.login(auditor.username)
    export = client.get("/admin/audit.csv?date_from=2026-01-01&date_to=9999-12-31")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert client.get("/admin/audit?date_to=9999-12-31").status_code == 200
    assert client.get(f"/admin/audit?patient_id={HUGE}").status_code == 422
    refused = client.get(f"/admin/audit.csv?patient_id={HUGE}")
    assert refused.status_code == 400 and "Patient id" in refused.get_data(as_text=True)
    exports = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert len(exports) == 1  # the refused export exported nothing
