"""Import pages: upload form errors (non-X12, empty, too large), role checks, the queued run's
page, and the CARC/RARC catalog admin (search, unknown first, edit with field errors, audit)."""

import io
import re

import pytest
from sqlalchemy import select

from tests.factories import NOW, make_user
from tests.x12.edi_samples import envelope, payment
from workqueue.models import AuditEvent, ImportRun, JobRequest, ReasonCode
from workqueue.services.reason_codes import record_unknown_codes, seed_reason_codes

GOOD = envelope([payment(["CLP*PCN-1*1*100*80**12*ICN", "CAS*CO*45*20"], amount="80")])


@pytest.fixture(autouse=True)
def import_dir(app, tmp_path):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    return tmp_path / "imports"


def _login(session, auth, role="denial_specialist"):
    user = make_user(session, role)
    auth.login(user.username)
    return user


def _upload(client, auth, content: bytes, name="remit.835"):
    return client.post("/imports/", data={"csrf_token": auth.csrf("/imports/"),
                                          "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _field_error(html: str) -> str:
    match = re.search(r'id="file-error">\s*(.*?)\s*</div>', html, re.S)
    assert match, "no error next to the file field"
    assert 'aria-invalid="true"' in html
    return match.group(1)


def test_a_non_x12_upload_shows_a_field_error_and_stores_nothing(client, auth, session,
                                                                 import_dir):
    _login(session, auth)
    response = _upload(client, auth, b"Patient,Amount\nSample,100\n", "export.csv")
    assert response.status_code == 422
    assert "This is not an X12 file" in _field_error(response.get_data(as_text=True))
    assert session.scalar(select(ImportRun)) is None
    assert not import_dir.exists() or not any(import_dir.iterdir())


def test_no_file_and_an_empty_file_are_refused_at_the_field(client, auth, session):
    _login(session, auth)
    response = client.post("/imports/", data={"csrf_token": auth.csrf("/imports/")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose an 835 file" in _field_error(response.get_data(as_text=True))
    response = _upload(client, auth, b"")
    assert response.status_code == 422


def test_a_file_over_the_size_limit_is_refused_with_the_limit(app, client, auth, session):
    app.config["IMPORT_MAX_BYTES"] = 2_000_000
    _login(session, auth)
    response = _upload(client, auth, GOOD.encode() + b" " * 2_100_000)
    assert response.status_code == 422
    assert "the limit is 2 MB" in _field_error(response.get_data(as_text=True))


@pytest.mark.parametrize("role, status", [("coordinator", 403), ("ar_specialist", 200),
                                          ("supervisor", 200)])
def test_who_may_import(client, auth, session, role, status):
    _login(session, auth, role)
    assert client.get("/imports/").status_code == status


def test_a_valid_upload_is_stored_by_digest_and_queued_as_a_job(client, auth, session,
                                                                 import_dir, redis_conn):
    user = _login(session, auth)
    response = _upload(client, auth, GOOD.encode(), "Remit SAMPLE ALEX.835")
    assert response.status_code == 303
    run_id = int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1))
    run = session.get(ImportRun, run_id)
    assert run.status == "queued" and run.actor_id == user.id
    assert run.file_name == "Remit SAMPLE ALEX.835"
    assert (import_dir / f"{run.sha256}.x12").read_bytes() == GOOD.encode()
    job = session.scalar(select(JobRequest).where(JobRequest.job_id == f"import-{run_id}"))
    assert job.args == [run_id] and job.queue == "imports"  # the id only, never the file
    page = client.get(f"/imports/{run_id}").get_data(as_text=True)
    assert "Waiting for the import worker" in page and 'hx-get="/imports/' in page
    partial = client.get(f"/imports/{run_id}/progress")
    assert partial.status_code == 200 and "HX-Refresh" not in partial.headers
    listing = client.get("/imports/").get_data(as_text=True)
    assert f'href="/imports/{run_id}"' in listing


def test_catalog_admin_lists_unknown_codes_first_and_searches(client, auth, session):
    seed_reason_codes(session)
    record_unknown_codes(session, [("carc", "Z42")], NOW)
    _login(session, auth, "admin")
    html = client.get("/imports/reason-codes").get_data(as_text=True)
    assert html.index(">Z42<") < html.index(">197<")
    assert "unknown" in html
    found = client.get("/imports/reason-codes?q=authorization&code_type=carc")
    text = found.get_data(as_text=True)
    assert ">197<" in text and ">45<" not in text and ">N54<" not in text
    only = client.get("/imports/reason-codes?unknown=y").get_data(as_text=True)
    assert ">Z42<" in only and ">197<" not in only


def test_admin_describes_an_unknown_code_which_becomes_known_and_is_audited(client, auth,
                                                                            session):
    (row,) = record_unknown_codes(session, [("carc", "Z43")], NOW)
    admin = _login(session, auth, "admin")
    url = f"/imports/reason-codes/{row.id}"
    form = {"csrf_token": auth.csrf(url), "meaning": "Sample payer-specific refusal",
            "category": "medical_necessity", "default_action": "appeal",
            "letter_template": "medical_necessity", "is_usually_preventable": "y"}
    response = client.post(url, data=form)
    assert response.status_code == 303
    session.refresh(row)
    assert row.is_known and row.category == "medical_necessity" and row.is_usually_preventable
    event = session.scalar(select(AuditEvent).where(AuditEvent.object_type == "reason_code"))
    assert event.user_id == admin.id and event.object_id == str(row.id)


def test_catalog_edit_errors_show_next_to_the_field(client, auth, session):
    seed_reason_codes(session)
    row = session.scalar(select(ReasonCode).where(ReasonCode.code == "197"))
    _login(session, auth, "admin")
    url = f"/imports/reason-codes/{row.id}"
    response = client.post(url, data={"csrf_token": auth.csrf(url), "meaning": "",
                                      "category": "not-a-category", "default_action": "appeal",
                                      "letter_template": "authorization"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="meaning-error"' in html and "Say what the code means" in html
    assert 'id="category-error"' in html
    session.refresh(row)
    assert row.meaning.startswith("Prior authorization")


@pytest.mark.parametrize("role", ["denial_specialist", "supervisor"])
def test_only_admins_edit_the_catalog(client, auth, session, role):
    _login(session, auth, role)
    assert client.get("/imports/reason-codes").status_code == 403
    token = auth.csrf("/imports/")
    assert client.post("/imports/reason-codes/1", data={"csrf_token": token}).status_code == 403
