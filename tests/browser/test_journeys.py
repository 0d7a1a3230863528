"""What coordinators, supervisors and denial specialists do all day, in a real browser
(chromium, headless)."""

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import sign_in, sign_out
from tests.factories import (
    make_claim,
    make_coverage,
    make_denial,
    make_patient,
    make_payer,
    make_queue,
    make_user,
    make_work_item,
)
from workqueue.clock import utcnow
from workqueue.models import ClaimLine, User, WorkItem
from workqueue.services.letters import seed_letter_templates
from workqueue.services.reason_codes import seed_reason_codes

pytestmark = pytest.mark.browser


def _prior_auth_team(live_server, items: int):
    with live_server.data() as db:
        cora = make_user(db, "coordinator", username="cora", display_name="Cora Coordinator")
        sam = make_user(db, "supervisor", username="sam", display_name="Sam Supervisor")
        make_queue(db, [cora, sam], name="Prior auth", slug="pa", kinds=["prior_auth"])
        payer = make_payer(db, name="Aetna Test")
        for i in range(items):
            make_work_item(db, "prior_auth", title=f"PA item {i:02d}", payer_id=payer.id,
                           patient_id=make_patient(db).id, amount=1000 + 100 * i, now=utcnow())


def test_coordinator_gets_next_logs_a_call_and_pends_it(page, live_server):
    _prior_auth_team(live_server, 3)
    base = live_server.url
    sign_in(page, base, "cora")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()

    page.keyboard.press("n")  # Get next, by keyboard
    page.wait_for_url("**/work-items/*")
    title = page.locator("#item-title")
    expect(title).to_have_text("PA item 02")  # the most dollars at stake
    expect(page.locator(".item-header")).to_contain_text("Cora Coordinator")

    page.get_by_label("Who was called").fill("Aetna provider line, rep Dana")
    page.get_by_label("Reference number").fill("REF-88231")
    page.get_by_label("Outcome").fill("Clinical notes needed before review")
    page.get_by_label("Next step").fill("Fax notes from the last visit")
    page.get_by_role("button", name="Log call").click()
    expect(page.get_by_role("status").filter(has_text="Call logged.")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("REF-88231")

    until = (utcnow().date() + timedelta(days=3)).isoformat()
    page.get_by_label("Pend until").fill(until)
    page.get_by_role("button", name="Pend until date").click()
    expect(page.get_by_role("status").filter(has_text="Item pended.")).to_be_visible()

    page.get_by_role("link", name="My work").first.click()
    expect(page.locator("#g-upcoming").locator("xpath=../..")).not_to_contain_text("PA item 02")
    expect(page.locator("#g-pended").locator("xpath=../..")).to_contain_text("PA item 02")
    page.goto(f"{base}/queues/pa")
    expect(page.locator("[data-rows] tbody")).not_to_contain_text("PA item 02")
    expect(page.locator("[data-rows] tbody")).to_contain_text("PA item 01")


def test_supervisor_assigns_twenty_and_the_assignee_sees_them(page, live_server):
    _prior_auth_team(live_server, 24)
    base = live_server.url
    sign_in(page, base, "sam")
    page.goto(f"{base}/queues/pa?assignee=none")
    boxes = page.locator(".row-select")
    expect(boxes).to_have_count(24)
    for i in range(20):
        boxes.nth(i).check()
    expect(page.locator("[data-selected-count]")).to_have_text("20 selected")
    page.get_by_label("Action", exact=True).select_option("assign")
    bulk = page.locator("#bulk-form")
    bulk.get_by_label("Assignee", exact=True).select_option(label="Cora Coordinator")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("status").filter(has_text="Assigned 20 items.")).to_be_visible()
    expect(page.locator(".row-select")).to_have_count(4)  # still filtered to unassigned

    sign_out(page)
    sign_in(page, base, "cora")
    rows = page.locator("main table[data-rows] tbody tr")
    expect(rows).to_have_count(20)
    with live_server.data() as db:
        cora = db.query(User).filter_by(username="cora").one()
        assert db.query(WorkItem).filter_by(assignee_id=cora.id).count() == 20


def test_worklist_keyboard_j_k_enter_and_x(page, live_server):
    _prior_auth_team(live_server, 5)
    base = live_server.url
    sign_in(page, base, "sam")
    page.goto(f"{base}/queues/pa?sort=amount&dir=desc")
    rows = page.locator("[data-rows] tbody tr")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(rows.nth(1)).to_have_class("cursor")
    page.keyboard.press("x")
    expect(rows.nth(1).locator(".row-select")).to_be_checked()
    expect(page.locator("[data-selected-count]")).to_have_text("1 selected")
    second_title = rows.nth(1).locator(".item-title").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url("**/work-items/*")
    expect(page.locator("#item-title")).to_have_text(second_title)


def test_filters_swap_the_table_without_a_reload(page, live_server):
    _prior_auth_team(live_server, 6)
    base = live_server.url
    sign_in(page, base, "cora")
    page.goto(f"{base}/queues/pa")
    expect(page.locator(".results-meta")).to_contain_text("6 items")
    page.evaluate("window.__marker = 'still here'")
    page.get_by_label("Min $").fill("1400")
    page.get_by_label("Min $").press("Enter")
    expect(page.locator(".results-meta")).to_contain_text("2 items")
    assert page.evaluate("window.__marker") == "still here"  # htmx swapped, no navigation
    assert "amount_min=1400" in page.url
    page.get_by_role("link", name="Amount").click()
    expect(page.locator("th[aria-sort]")).to_contain_text("Amount")


def _denied_claim(live_server) -> tuple[str, str]:
    """A two-line infusion claim denied for a missing authorization (CARC 197, RARC N54),
    on a payer with two appeal levels, assigned to Dana the denial specialist."""
    now = utcnow()
    with live_server.data() as db:
        seed_reason_codes(db, now)
        seed_letter_templates(db, now)
        dana = make_user(db, "denial_specialist", username="dana",
                         display_name="Dana Specialist")
        make_queue(db, [dana], name="Denials", slug="denials", kinds=["denial"])
        payer = make_payer(db, name="Cigna Test", appeal_levels=[
            (1, "Reconsideration", 180, 30), (2, "Second-level appeal", 60, 45)])
        patient = make_patient(db)
        make_coverage(db, patient=patient, payer=payer)
        claim = make_claim(db, patient=patient, payer=payer, billed_amount="6250.00",
                           payer_claim_number="ICN5512093")
        claim.lines.append(ClaimLine(line_number=2, procedure_code="J9312", units=Decimal(10),
                                     charge=Decimal("5050.00"), service_date=claim.service_from))
        claim.lines[0].charge = Decimal("1200.00")
        denial = make_denial(db, claim=claim, carc_codes="197", rarc_codes="N54",
                             category="authorization", amount=Decimal("6250.00"),
                             denied_on=date(2026, 11, 10))
        make_work_item(db, "denial", title="Rituximab denial, no auth on file",
                       patient_id=patient.id, payer_id=payer.id, claim_id=claim.id,
                       denial_id=denial.id, category="authorization", amount=denial.amount,
                       denied_on=denial.denied_on, assignee_id=dana.id, now=now)
        return claim.claim_number, "Prior authorization or precertification"


def _start_worker(live_server, log: Path) -> subprocess.Popen:
    """A real `workqueue worker --burst` process on the live server's database and Redis
    (its log goes to a file: a full pipe would block it)."""
    config = live_server.app.config
    env = {**os.environ, "DATABASE_URL": config["DATABASE_URL"],
           "REDIS_URL": config["REDIS_URL"], "SECRET_KEY": "browser-test"}
    cli = Path(sys.executable).with_name("workqueue")
    return subprocess.Popen([str(cli), "worker", "--burst", "--simple", "letters"], env=env,
                            stdout=subprocess.DEVNULL, stderr=log.open("w"))


def test_specialist_appeals_a_denial_with_a_generated_letter(page, live_server, redis_conn,
                                                             tmp_path):
    claim_number, reason = _denied_claim(live_server)
    base = live_server.url
    sign_in(page, base, "dana")
    page.get_by_role("link", name="Rituximab denial, no auth on file").click()
    page.wait_for_url("**/work-items/*")
    expect(page.locator("#item-title")).to_have_text("Rituximab denial, no auth on file")
    expect(page.get_by_role("region", name="Denial", exact=True)).to_contain_text(reason)

    page.get_by_role("button", name="Request appeal letter").click()  # in the htmx panel
    page.wait_for_url("**/letters/*")
    expect(page.get_by_role("status").filter(has_text="being written")).to_be_visible()
    expect(page.locator(".letter-status")).to_have_text("requested")
    expect(page.get_by_label("Generation progress")).to_be_visible()

    worker_log = tmp_path / "worker.log"
    worker = _start_worker(live_server, worker_log)
    try:
        draft = page.get_by_label("Letter", exact=True)
        expect(draft).to_be_visible(timeout=60_000)  # progress polled, page reloaded when done
        expect(page.locator(".letter-status")).to_have_text("generated")
        assert worker.wait(timeout=60) == 0, worker_log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    text = draft.input_value()
    assert claim_number in text and "197" in text
    draft.fill(text.replace("To the appeals reviewer:",
                            "To the appeals reviewer:\n\nTreatment was urgent; see the note "
                            "from Dr. Example dated 2026-09-28.", 1))
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text="Draft saved")).to_be_visible()
    # A last edit, not saved: Finalize freezes what is on the screen.
    draft = page.get_by_label("Letter", exact=True)
    draft.fill(draft.input_value() + "\nSigned after a last read-through.")

    page.get_by_role("button", name="Finalize to PDF").click()
    expect(page.get_by_role("status").filter(has_text="Letter finalized")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf_text = " ".join(p.extract_text() for p in PdfReader(download.path()).pages)
    pdf_text = re.sub(r"\s+", " ", pdf_text)
    assert claim_number in pdf_text
    assert reason in pdf_text
    assert "Treatment was urgent" in pdf_text  # the edit made it into the PDF
    assert "Signed after a last read-through." in pdf_text  # and so did the unsaved one

    page.get_by_role("button", name="Mark appeal submitted").click()
    expect(page.get_by_role("status").filter(has_text="Appeal marked as submitted")) \
        .to_be_visible()
    page.get_by_role("link", name=re.compile(r"Work item #\d+")).click()
    expect(page.locator(".item-header .status").first).to_have_text("Appeal submitted")
    expect(page.locator(".item-header")).to_contain_text("Pended until")  # awaits the payer
