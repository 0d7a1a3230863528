"""The import pages for 271 and 277 files: the kind is read from ST01 at upload, other
transaction sets are refused at the field with a clear message, the queued run is shown
with its kind, and the finished run's page lists the rows and errors (audited)."""

import io
import re

import pytest
from sqlalchemy import select

from tests.factories import NOW, make_coverage, make_payer, make_user
from tests.x12.edi_samples_27x import claim_277, envelope_27x, file_271, file_277, member_271
from workqueue.models import AuditEvent, ImportRun, JobRequest
from workqueue.services.audit import Actor
from workqueue.services.eligibility_responses import import_eligibility

GOOD_271 = file_271(member_271(3, "MEMV1", ["EB*1**30"]))
GOOD_277 = file_277(claim_277(4, "PCN-V1", "STC*A2:20:PR*20261120"))


@pytest.fixture(autouse=True)
def import_dir(app, tmp_path):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    return tmp_path / "imports"


def _upload(client, auth, content: bytes, name="file.x12"):
    return client.post("/imports/", data={"csrf_token": auth.csrf("/imports/"),
                                          "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _field_error(html: str) -> str:
    match = re.search(r'id="file-error">\s*(.*?)\s*</div>', html, re.S)
    assert match, "no error next to the file field"
    return match.group(1)


@pytest.mark.parametrize("content, kind", [(GOOD_271, "271"), (GOOD_277, "277")])
def test_the_kind_is_read_from_the_file_and_the_run_queued(client, auth, session, redis_conn,
                                                           content, kind):
    auth.login(make_user(session, "ar_specialist").username)
    response = _upload(client, auth, content.encode(), "response.edi")
    assert response.status_code == 303
    run_id = int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1))
    run = session.get(ImportRun, run_id)
    assert run.kind == kind and run.status == "queued"
    job = session.scalar(select(JobRequest).where(JobRequest.job_id == f"import-{run_id}"))
    assert job.args == [run_id]
    page = client.get(f"/imports/{run_id}").get_data(as_text=True)
    assert "Waiting for the import worker" in page and f"{kind} " in page
    listing = client.get("/imports/").get_data(as_text=True)
    assert re.search(rf'href="/imports/{run_id}">{run_id}</a></td>\s*<td>{kind}</td>', listing)


def test_another_transaction_set_is_refused_with_a_clear_message(client, auth, session,
                                                                 import_dir):
    auth.login(make_user(session, "ar_specialist").username)
    claim_837 = envelope_27x("837", [["BHT*0019*00*X*20261127*0930*CH"]])
    response = _upload(client, auth, claim_837.encode())
    assert response.status_code == 422
    message = _field_error(response.get_data(as_text=True))
    assert "This file is an X12 837 transaction; only 835 remittances, 271 eligibility " \
           "responses and 277 claim status responses can be imported." in message
    assert session.scalar(select(ImportRun)) is None
    assert not import_dir.exists() or not any(import_dir.iterdir())


def test_a_file_that_starts_like_x12_but_is_garbage_is_refused(client, auth, session):
    auth.login(make_user(session, "ar_specialist").username)
    response = _upload(client, auth, b"ISA*this is not really an interchange header at all")
    assert response.status_code == 422
    assert "This is not a readable X12 file: segment 1" in _field_error(
        response.get_data(as_text=True))


def test_the_finished_run_page_shows_counts_rows_and_errors_and_is_audited(client, auth,
                                                                           session):
    payer = make_payer(session, name="NORTHWIND HEALTH PLAN")
    make_coverage(session, payer=payer, member_id="MEMV1")
    user = make_user(session, "ar_specialist")
    run = ImportRun(kind="271", file_name="elig.271", sha256="", counts={}, payments=[],
                    errors=[], actor_id=user.id)
    session.add(run)
    session.flush()
    text = file_271(member_271(3, "MEMV1", ["EB*1**30"]),
                    member_271(4, "GHOST", ["EB*1**30"]))
    import_eligibility(session, io.BytesIO(text.encode()), Actor.system("cli"), NOW, run=run)
    auth.login(user.username)
    response = client.get(f"/imports/{run.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r"<strong>1</strong> of 2 member\(s\) applied", html)
    assert "MEMV1" in html and "coverage active (EB01 1)" in html
    assert "segment 13: member at segment 13: no coverage with this member ID" in html
    event = session.scalar(select(AuditEvent).where(AuditEvent.object_type == "import_run",
                                                    AuditEvent.action == "view"))
    assert event.user_id == user.id and event.object_id == str(run.id)
    listing = client.get("/imports/").get_data(as_text=True)
    assert "1 of 2 member(s) applied" in listing
