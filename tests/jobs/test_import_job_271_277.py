"""271 and 277 uploads through the web, applied by a real RQ worker: the run reaches 100%,
the page lists each member or claim with what was done and the per-row errors, the work
items moved; the same file again changes nothing; a broken file fails the run with the
reason instead of retrying."""

import re

from sqlalchemy import func, select

from tests.factories import make_claim, make_coverage, make_payer, make_user, make_work_item
from tests.jobs.conftest import drain, scope, upload_file
from tests.x12.edi_samples_27x import claim_277, file_271, file_277, member_271
from workqueue.models import Activity, Claim, Coverage, ImportRun, JobRequest, WorkItem

FILE_271 = file_271(member_271(3, "MEMJOB1", ["EB*1*IND*30", "EB*C*IND*30***29*150"]),
                    member_271(4, "MEMJOB2", ["EB*6**30"]),
                    member_271(5, "NOBODY", ["EB*1**30"])).encode()
FILE_277 = file_277(claim_277(4, "PCN-J1", "STC*A7:562:85*20261121", trace="T1"),
                    claim_277(5, "PCN-NONE", "STC*A2:20:PR*20261121", trace="T2")).encode()


def _setup(app):
    with scope(app) as session:
        payer = make_payer(session, name="NORTHWIND HEALTH PLAN", edi_payer_id="NWHP01")
        for member in ("MEMJOB1", "MEMJOB2"):
            coverage = make_coverage(session, payer=payer, member_id=member)
            make_work_item(session, "eligibility", title="Verify", coverage_id=coverage.id,
                           patient_id=coverage.patient_id, payer_id=payer.id)
        claim = make_claim(session, payer=payer, claim_number="PCN-J1")
        make_work_item(session, "ar_followup", title="AR", claim_id=claim.id,
                       patient_id=claim.patient_id, payer_id=payer.id)
        return make_user(session, "ar_specialist").username


def test_a_271_is_applied_by_a_worker_and_the_page_lists_each_member(import_app):
    client, run_id = upload_file(import_app, _setup(import_app), FILE_271, "elig.271")
    drain(import_app, "imports")
    assert client.get(f"/imports/{run_id}/progress").headers.get("HX-Refresh") == "true"
    with scope(import_app) as session:
        run = session.get(ImportRun, run_id)
        assert (run.kind, run.status, run.progress) == ("271", "done", 100)
        assert run.counts["applied"] == 2 and run.counts["unmatched"] == 1
        job = session.scalar(select(JobRequest).where(JobRequest.job_id == f"import-{run_id}"))
        assert job.status == "done"
        statuses = dict(session.execute(select(Coverage.member_id,
                                               Coverage.eligibility_status)).all())
        assert statuses == {"MEMJOB1": "active", "MEMJOB2": "inactive"}
        items = session.scalars(select(WorkItem.status).where(
            WorkItem.kind == "eligibility").order_by(WorkItem.id)).all()
        assert items == ["closed", "inactive"]
    page = client.get(f"/imports/{run_id}").get_data(as_text=True)
    assert "271 eligibility response" in page and "MEMJOB2" in page
    assert "needs a person" in page
    assert re.search(r"segment 18: member at segment 18: no coverage with this member ID", page)
    assert "NOBODY" in page  # in the rows, as the member's key; never in a problem


def test_a_277_is_applied_by_a_worker_and_a_second_upload_changes_nothing(import_app):
    uploader = _setup(import_app)
    client, first = upload_file(import_app, uploader, FILE_277, "status.277")
    drain(import_app, "imports")
    with scope(import_app) as session:
        run = session.get(ImportRun, first)
        assert (run.kind, run.status) == ("277", "done")
        assert run.counts["applied"] == 1 and run.counts["unmatched"] == 1
        claim = session.scalar(select(Claim).where(Claim.claim_number == "PCN-J1"))
        assert claim.last_status_code == "A7"
        notes = session.scalar(select(func.count()).select_from(Activity))
    page = client.get(f"/imports/{first}").get_data(as_text=True)
    assert "PCN-J1" in page and "fix and resubmit" in page
    assert "claim PCN-NONE: no claim with this number" in page
    _, second = upload_file(import_app, uploader, FILE_277, "status-again.277")
    drain(import_app, "imports")
    with scope(import_app) as session:
        run = session.get(ImportRun, second)
        assert run.status == "done" and run.counts["already"] == 1
        assert run.counts["applied"] == 0
        assert session.scalar(select(func.count()).select_from(Activity)) == notes
    assert "Already imported" in client.get(f"/imports/{second}").get_data(as_text=True)


def test_a_271_with_a_broken_envelope_fails_the_run_with_the_reason(import_app):
    uploader = _setup(import_app)
    client, run_id = upload_file(import_app, uploader, FILE_271.replace(b"SE*", b"SE*9", 1),
                             "broken.271")
    drain(import_app, "imports")
    with scope(import_app) as session:
        run = session.get(ImportRun, run_id)
        assert run.status == "failed" and "Not a readable 271 file: segment" in run.message
        assert set(session.scalars(select(Coverage.eligibility_status))) == {"unverified"}
        job = session.scalar(select(JobRequest).where(JobRequest.job_id == f"import-{run_id}"))
        assert job.status == "done" and job.attempts == 1
