"""The admin audit page's tamper-evidence panel: last seal, the last verification, and who may
ask for one."""

from datetime import timedelta

from sqlalchemy import select

from tests.factories import NOW, make_user
from workqueue.models import JobRequest, SweepRun
from workqueue.services.audit import Actor, record
from workqueue.services.audit_seals import seal_pending


def test_page_shows_the_last_seal_and_a_broken_verification(session, client, auth):
    make_user(session, "admin", username="root")
    for i in range(4):
        record(session, Actor.system("job"), "view", "claim", i, now=NOW - timedelta(hours=1))
    seal_pending(session, NOW)
    session.add(SweepRun(name="audit_verify", last_started_at=NOW, last_finished_at=NOW, runs=1,
                         last_result={"ok": False, "seals": 0, "events": 0,
                                      "finding": "seal 3 (audit events 1-4): seal edited: x"}))
    session.flush()
    auth.login("root")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Last sealed: <strong>2026-11-27 15:00 UTC</strong>" in page
    assert "Chain broken" in page and "seal 3 (audit events 1-4): seal edited" in page


def test_verify_now_needs_the_audit_permission(session, client, auth):
    make_user(session, "supervisor", username="boss")
    auth.login("boss")
    token = auth.csrf("/")
    response = client.post("/admin/audit/verify", data={"csrf_token": token})
    assert response.status_code == 403
    assert session.scalar(select(JobRequest).where(JobRequest.job_id == "audit-verify")) is None
