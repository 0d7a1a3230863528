"""Screenshots of every main screen, from the synthetic demo data set, for the README.

With WORKQUEUE_SCREENSHOTS=1 the PNGs go to docs/screenshots/ (refresh them on purpose);
otherwise to a temporary folder, so the run still proves each screen renders in chromium.
"""

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser.conftest import sign_in, sign_out
from workqueue.demo.seed import seed_demo
from workqueue.models import Queue, WorkItem
from workqueue.security import utcnow

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def shots(tmp_path) -> Path:
    return DOCS if os.environ.get("WORKQUEUE_SCREENSHOTS") == "1" else tmp_path


def test_screenshots_of_the_main_screens(page, live_server, shots):
    with live_server.data() as db:
        seed_demo(db, utcnow(), patients=120, fast_hash=True)
    with live_server.data() as db:
        queue_slug = db.scalar(select(Queue.slug).where(Queue.kinds.is_not(None))
                               .order_by(Queue.id))
        denial_id = db.scalar(select(WorkItem.id).where(
            WorkItem.kind == "denial", WorkItem.is_open.is_(True),
            WorkItem.denial_id.is_not(None), WorkItem.claim_id.is_not(None))
            .order_by(WorkItem.amount.desc()))
        auth_id = db.scalar(select(WorkItem.id).where(
            WorkItem.kind == "prior_auth", WorkItem.is_open.is_(True),
            WorkItem.authorization_id.is_not(None)).order_by(WorkItem.priority_score.desc()))
    shots.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    views = live_server.app.view_functions

    page.goto(f"{base}/auth/login")
    page.screenshot(path=shots / "login.png")

    sign_in(page, base, "coord1")
    page.screenshot(path=shots / "my-work.png", full_page=True)
    page.goto(f"{base}/work-items/{auth_id}")
    page.screenshot(path=shots / "work-item-prior-auth.png", full_page=True)
    sign_out(page)

    sign_in(page, base, "super1")
    page.goto(f"{base}/queues/{queue_slug}")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.screenshot(path=shots / "worklist.png")
    page.goto(f"{base}/queues/")
    page.screenshot(path=shots / "worklists.png")
    page.goto(f"{base}/work-items/{denial_id}")
    page.screenshot(path=shots / "work-item-denial.png", full_page=True)
    for endpoint, name in (("board.index", "board"), ("reports.index", "reports")):
        if endpoint in views:
            page.goto(f"{base}/{name}/")
            page.screenshot(path=shots / f"{name}.png", full_page=True)
    sign_out(page)

    if "admin.index" in views:
        sign_in(page, base, "admin1")
        page.goto(f"{base}/admin/")
        page.screenshot(path=shots / "admin.png", full_page=True)

    assert (shots / "worklist.png").stat().st_size > 10_000
