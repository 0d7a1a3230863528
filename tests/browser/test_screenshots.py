"""Screenshots of every main screen, from the synthetic demo data set, for the README.

With WORKQUEUE_SCREENSHOTS=1 the PNGs go to docs/screenshots/ (refresh them on purpose);
otherwise to a temporary folder, so the run still proves each screen renders in chromium.
Background work (the appeal letter, the 835 import) is run by a real RQ worker in this process.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import sign_in, sign_out
from tests.jobs.conftest import drain
from workqueue.clock import utcnow
from workqueue.demo.seed import seed_demo
from workqueue.domain.status import APPEAL_NOT_SENT
from workqueue.models import Claim, InfusionVisit, Payer, Queue, WorkItem
from workqueue.services.audit_seals import SEAL_LAG, seal_pending
from workqueue.services.reminders import sweep_reminders
from workqueue.x12.synthetic import SyntheticClaim, build_277, build_835

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def shots(tmp_path) -> Path:
    return DOCS if os.environ.get("WORKQUEUE_SCREENSHOTS") == "1" else tmp_path / "shots"


class Camera:
    """Saves the page under a screen name: the whole page down to ``MAX_HEIGHT`` (a long list
    says no more at 4,000 px than at 1,800, and the PNG stays small), or just the viewport."""

    MAX_HEIGHT = 1800

    def __init__(self, page, folder: Path):
        self.page = page
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str, *, full_page: bool = True) -> None:
        self.page.wait_for_load_state("networkidle")  # htmx panels and charts are in
        height = self.page.evaluate("document.documentElement.scrollHeight")
        clip = {"x": 0, "y": 0, "width": self.page.viewport_size["width"],
                "height": min(height, self.MAX_HEIGHT)}
        self.page.screenshot(path=self.folder / f"{name}.png", full_page=full_page,
                             clip=clip if full_page else None)


def _demo(live_server) -> dict:
    with live_server.data() as db:
        now = utcnow()
        seed_demo(db, now, patients=120, fast_hash=True)
        sweep_reminders(db, now)  # the notifications people find in the morning
    with live_server.data() as db:
        # The remittance comes from the payer of the first claim still waiting: an import
        # posts only the claims billed to the payer that sends it.
        payer = db.get(Payer, db.scalar(select(Claim.payer_id).where(
            Claim.status == "submitted").order_by(Claim.id).limit(1)))
        return {
            "queue": db.scalar(select(Queue.slug).where(Queue.kinds.is_not(None))
                               .order_by(Queue.id)),
            "denial": db.scalar(select(WorkItem.id).where(
                WorkItem.kind == "denial", WorkItem.status.in_(sorted(APPEAL_NOT_SENT)),
                ~WorkItem.is_deadline_missed, WorkItem.denial_id.is_not(None),
                WorkItem.claim_id.is_not(None))
                .order_by(WorkItem.amount.desc())),
            "auth": db.scalar(select(WorkItem.id).where(
                WorkItem.kind == "prior_auth", WorkItem.is_open,
                WorkItem.authorization_id.is_not(None))
                .order_by(WorkItem.priority_score.desc())),
            "visit": db.scalar(select(InfusionVisit.id).where(
                InfusionVisit.has_coding_errors.is_(True)).order_by(InfusionVisit.id)),
            # Claims still waiting on the payer: the remittance pays (or denies) these.
            "unpaid_claims": list(db.scalars(select(Claim.claim_number).where(
                Claim.status == "submitted", Claim.payer_id == payer.id)
                .order_by(Claim.id).limit(12))),
            "unpaid_payer": (payer.name, payer.edi_payer_id or ""),
            # Claims someone is following up: the 277 answers for these.
            "followed_claims": list(db.scalars(select(Claim.claim_number).join(
                WorkItem, WorkItem.claim_id == Claim.id).where(
                WorkItem.kind == "ar_followup", WorkItem.is_open,
                Claim.status == "submitted").order_by(Claim.id.desc()).limit(6))),
        }


def test_screenshots_of_the_main_screens(page, live_server, redis_conn, shots, tmp_path):
    ids = _demo(live_server)
    app = live_server.app
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    page.emulate_media(reduced_motion="reduce")  # charts drawn at once, not mid-animation
    snap = Camera(page, shots)
    base = live_server.url

    page.goto(f"{base}/auth/login")
    snap("login", full_page=False)

    sign_in(page, base, "coord1")
    snap("my-work")
    page.goto(f"{base}/work-items/{ids['auth']}")
    snap("work-item-prior-auth")
    page.goto(f"{base}/visits/")
    snap("visits")
    page.goto(f"{base}/visits/{ids['visit']}")
    snap("visit-coding")
    sign_out(page)

    sign_in(page, base, "super1")
    page.goto(f"{base}/queues/{ids['queue']}")
    page.keyboard.press("j")
    page.keyboard.press("j")
    snap("worklist", full_page=False)
    page.goto(f"{base}/queues/")
    snap("worklists", full_page=False)

    page.goto(f"{base}/work-items/{ids['denial']}")
    page.get_by_role("button", name="Request appeal letter").click()
    page.wait_for_url("**/letters/*")
    expect(page.get_by_label("Generation progress")).to_be_visible()
    snap("letter-progress", full_page=False)
    drain(app, "letters")
    expect(page.get_by_label("Letter", exact=True)).to_be_visible()  # reloaded when done
    snap("letter-editor")
    page.goto(f"{base}/work-items/{ids['denial']}")
    expect(page.locator("[id^=letters-panel]")).to_contain_text("generated")
    snap("work-item-denial")

    page.goto(f"{base}/imports/")
    page.get_by_label("835 remittance file").set_input_files(files=[{
        "name": "era-2026-11-27.835", "mimeType": "application/edi-x12",
        "buffer": build_835(claims=12, claim_ids=ids["unpaid_claims"],
                            payer=ids["unpaid_payer"]).encode()}])
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url("**/imports/*")
    drain(app, "imports")
    expect(page.locator(".import-status")).to_have_text("done")  # polled, then reloaded
    snap("import-report")
    page.goto(f"{base}/imports/")
    page.get_by_label("835 remittance file").set_input_files(files=[{
        "name": "status-2026-11-27.277", "mimeType": "application/edi-x12",
        "buffer": build_277(claims=[SyntheticClaim(number)
                                    for number in ids["followed_claims"]]).encode()}])
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url("**/imports/*")
    drain(app, "imports")
    expect(page.locator(".import-status")).to_have_text("done")
    snap("import-277")  # claim statuses: AR items noted, the rejected and denied back to today
    page.goto(f"{base}/imports/")
    snap("imports", full_page=False)  # the upload form over the past imports

    page.goto(f"{base}/notifications")
    snap("notifications")
    page.goto(f"{base}/operations")
    snap("operations")
    page.goto(f"{base}/board/")
    snap("board")
    for report in ("overview", "queues", "aging", "sla", "denials", "productivity"):
        page.goto(f"{base}/reports/{report}")
        snap("reports" if report == "overview" else f"reports-{report}")
    page.goto(f"{base}/auth/account/mfa")
    snap("account-two-step", full_page=False)  # enrolment: QR code, typed key, first code
    sign_out(page)

    sign_in(page, base, "admin1")
    page.goto(f"{base}/admin/")
    snap("admin")
    with live_server.data() as db:  # as the page is once the periodic sealing job has run
        seal_pending(db, utcnow() + SEAL_LAG)
    page.goto(f"{base}/admin/audit")
    snap("audit-log")  # with the seal status of the hash chain

    assert (shots / "worklist.png").stat().st_size > 10_000
