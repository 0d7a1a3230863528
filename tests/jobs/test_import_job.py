"""835 upload through the web, imported by a real RQ worker: progress reaches 100%, the
report shows posted, denied (linked to the new items, routed by category skill), unmatched
and problems; a second upload of the same file changes nothing; a broken file fails the run
with the reason instead of retrying."""

import re
from decimal import Decimal

from sqlalchemy import func, select

from tests.factories import make_claim, make_payer, make_queue, make_user, make_work_item
from tests.jobs.conftest import drain, scope, upload_file
from tests.x12.edi_samples import envelope, payment
from workqueue.models import (
    AssignmentStrategy,
    Claim,
    ImportRun,
    JobRequest,
    Remittance,
    WorkItem,
)
from workqueue.services.reason_codes import seed_reason_codes
from workqueue.services.users import set_skills

PAID = ["CLP*PCN-W1*1*1000*700*100*12*ICN1", "SVC*HC:96413*1000*700**1", "CAS*CO*45*200",
        "CAS*PR*2*100"]
DENIED = ["CLP*PCN-W2*1*1000*0**12*ICN2", "CAS*CO*197*1000", "MOA***N54"]
UNMATCHED = ["CLP*PCN-NOWHERE*1*500*400**12*ICN3", "NM1*QC*1*EXAMPLE*JORDAN****MI*ZZ9",
             "CAS*CO*45*100"]
BAD = ["CLP*PCN-W3*1*1000*7O0**12*ICN4", "CAS*CO*45*300"]
FILE = envelope([payment(PAID + DENIED + UNMATCHED + BAD, amount="1100")]).encode()


def _setup(app):
    with scope(app) as session:
        seed_reason_codes(session)
        payer = make_payer(session, name="NORTHWIND HEALTH PLAN")
        for number in ("PCN-W1", "PCN-W2", "PCN-W3"):
            claim = make_claim(session, payer=payer, claim_number=number,
                               billed_amount="1000.00")
            if number == "PCN-W1":
                make_work_item(session, "ar_followup", claim_id=claim.id, payer_id=payer.id,
                               patient_id=claim.patient_id, title="AR follow-up")
        specialist = make_user(session, "denial_specialist")
        set_skills(specialist, [("denial_category", "authorization")])
        other = make_user(session, "denial_specialist")
        set_skills(other, [("denial_category", "coding")])
        make_queue(session, [other, specialist], name="Denials", kinds=["denial"],
                   strategy=AssignmentStrategy.ROUND_ROBIN, is_skill_matched=True)
        uploader = make_user(session, "ar_specialist")
        return uploader.username, specialist.id


def _upload(app, username, content=FILE):
    return upload_file(app, username, content, "remit.835")


def test_upload_is_imported_by_a_worker_and_the_page_shows_the_report(import_app):
    uploader, specialist_id = _setup(import_app)
    client, run_id = _upload(import_app, uploader)
    assert "queued" in client.get(f"/imports/{run_id}/progress").get_data(as_text=True)
    drain(import_app, "imports")
    partial = client.get(f"/imports/{run_id}/progress")
    assert partial.headers.get("HX-Refresh") == "true"
    assert 'value="100"' in partial.get_data(as_text=True)
    with scope(import_app) as session:
        run = session.get(ImportRun, run_id)
        assert (run.status, run.progress) == ("done", 100)
        assert run.counts["posted"] == 2 and run.counts["unmatched"] == 1
        assert run.counts["denial_items"] == 1 and run.counts["claim_errors"] == 0
        assert run.counts["ar_items_closed"] == 1
        job = session.scalar(select(JobRequest).where(JobRequest.job_id == f"import-{run_id}"))
        assert job.status == "done"
        denial_item = session.scalars(select(WorkItem).where(WorkItem.kind == "denial")).one()
        assert denial_item.assignee_id == specialist_id  # routed by the category skill
        assert denial_item.category == "authorization"
        paid = session.scalar(select(Claim).where(Claim.claim_number == "PCN-W1"))
        assert paid.status == "paid" and paid.paid_amount == Decimal("700.00")
        ar = session.scalars(select(WorkItem).where(WorkItem.kind == "ar_followup")).one()
        assert ar.status == "closed"
    page = client.get(f"/imports/{run_id}").get_data(as_text=True)
    assert f'href="/work-items/{denial_item.id}"' in page
    assert "PCN-NOWHERE" in page and "EXAMPLE, JORDAN" in page
    assert re.search(r"segment \d+: claim PCN-W3: CLP04 &#39;7O0&#39; is not an amount", page)


def test_the_same_file_uploaded_again_changes_nothing_and_says_so(import_app):
    uploader, _ = _setup(import_app)
    client, first = _upload(import_app, uploader)
    drain(import_app, "imports")
    with scope(import_app) as session:
        before = {m.__name__: session.scalar(select(func.count()).select_from(m))
                  for m in (Remittance, WorkItem)}
    _, second = _upload(import_app, uploader)
    drain(import_app, "imports")
    with scope(import_app) as session:
        after = {m.__name__: session.scalar(select(func.count()).select_from(m))
                 for m in (Remittance, WorkItem)}
        run = session.get(ImportRun, second)
        assert run.status == "done" and run.counts["payments_duplicate"] == 1
        assert run.counts["posted"] == 0
    assert before == after
    page = client.get(f"/imports/{second}").get_data(as_text=True)
    assert "already imported on" in page and "Already imported" in page


def test_a_file_with_a_broken_envelope_fails_the_run_with_the_reason(import_app):
    uploader, _ = _setup(import_app)
    broken = FILE.replace(b"SE*", b"SE*9", 1)
    client, run_id = _upload(import_app, uploader, broken)
    drain(import_app, "imports")
    with scope(import_app) as session:
        run = session.get(ImportRun, run_id)
        assert run.status == "failed" and "Not a readable 835 file: segment" in run.message
        assert session.scalar(select(func.count()).select_from(Remittance)) == 0
        job = session.scalar(select(JobRequest).where(JobRequest.job_id == f"import-{run_id}"))
        assert job.status == "done" and job.attempts == 1  # no pointless retries
    assert "Not a readable 835 file" in client.get(f"/imports/{run_id}").get_data(as_text=True)


def test_a_file_from_an_unknown_payer_posts_nothing_and_the_page_lists_it_for_review(
        import_app):
    """What a first user saw: BLUE HERON MUTUAL's file carried our claim numbers, posted five
    claims, opened a denial under Original Medicare, and said "0 problem(s)"."""
    with scope(import_app) as session:
        seed_reason_codes(session)
        medicare = make_payer(session, name="Original Medicare", edi_payer_id="MCR01")
        for number in range(1, 6):
            make_claim(session, payer=medicare, claim_number=f"PCN-H{number}",
                       billed_amount="1000.00")
        uploader = make_user(session, "ar_specialist").username
    clps = []
    for number in range(1, 5):
        clps += [f"CLP*PCN-H{number}*1*1000*700*100*12*ICNH{number}",
                 "SVC*HC:96413*1000*700**1", "CAS*CO*45*200", "CAS*PR*2*100"]
    clps += ["CLP*PCN-H5*4*1000*0**12*ICNH5", "SVC*HC:96413*1000*0**1", "CAS*CO*197*1000"]
    content = envelope([payment(clps, amount="2800")]).replace(
        "NORTHWIND HEALTH PLAN", "BLUE HERON MUTUAL").encode()
    client, run_id = _upload(import_app, uploader, content)
    drain(import_app, "imports")
    with scope(import_app) as session:
        run = session.get(ImportRun, run_id)
        assert (run.counts["posted"], run.counts["held"], run.counts["problems"]) == (0, 5, 5)
        assert session.scalar(select(func.count()).select_from(WorkItem)) == 0
        assert {c.status for c in session.scalars(select(Claim))} == {"submitted"}
    page = client.get(f"/imports/{run_id}").get_data(as_text=True)
    assert "<strong>5</strong> problem(s)" in page and "<strong>0</strong> claim(s) posted" in page
    assert "<strong>5</strong> held for review (not posted)" in page
    assert "For review (5)" in page and 'id="import-review"' in page
    assert page.count("remitted by BLUE HERON MUTUAL, a payer not on file, billed to "
                      "Original Medicare") >= 10  # in the review table and in the problems
