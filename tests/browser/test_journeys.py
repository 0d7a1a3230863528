"""What coordinators and supervisors do all day, in a real browser (chromium, headless)."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out
from tests.factories import make_patient, make_payer, make_queue, make_user, make_work_item
from workqueue.models import User, WorkItem
from workqueue.security import utcnow

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
