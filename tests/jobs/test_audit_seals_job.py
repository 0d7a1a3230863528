"""The audit-seal periodic job under a real RQ worker, and "verify now" on the admin audit page
(a job too) showing the last seal and whether the chain is intact."""

from datetime import timedelta

from sqlalchemy import select, text

from tests.conftest import AuthActions
from tests.factories import make_user
from tests.jobs.conftest import drain, scope
from workqueue import clock
from workqueue.cron import build_scheduler, periodic_job
from workqueue.jobs import get_redis
from workqueue.jobs.audit_seals import seal_audit_events
from workqueue.models import AuditEvent, AuditSeal, SweepRun
from workqueue.services.audit import Actor, record
from workqueue.services.audit_seals import GENESIS


def _settled_events(app, count: int) -> None:
    with scope(app) as session:
        at = clock.utcnow() - timedelta(minutes=10)
        for i in range(count):
            record(session, Actor.system("job"), "view", "work_item", i, now=at)


def test_two_schedulers_enqueue_the_seal_job_and_one_chain_results(jobs_app):
    _settled_events(jobs_app, 40)
    spec = periodic_job("audit-seal")
    conn = get_redis(jobs_app)
    for _ in range(2):  # two schedulers, each enqueueing its own copy
        [cron_job] = build_scheduler(conn, [spec]).get_jobs()
        cron_job.enqueue(conn)
    drain(jobs_app, spec["queue"])
    with scope(jobs_app) as session:
        [seal] = session.scalars(select(AuditSeal)).all()
        assert (seal.row_count, seal.prev_hash) == (40, GENESIS)
        run = session.get(SweepRun, "audit_seal")
        assert run.runs == 2 and run.last_result["seals"] == 0  # the second found nothing new


def _admin(app):
    with scope(app) as session:
        make_user(session, "admin", username="auditor")
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.login("auditor").status_code == 302
    return client, auth


def test_verify_now_runs_as_a_job_and_the_page_shows_seal_time_and_result(jobs_app):
    _settled_events(jobs_app, 5)
    client, auth = _admin(jobs_app)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Last sealed: <strong>never</strong>" in page and "Not verified yet." in page
    with jobs_app.app_context():
        seal_audit_events()  # as `workqueue run-job audit-seal` does
    response = client.post("/admin/audit/verify", data={"csrf_token": auth.csrf("/admin/audit")})
    assert response.status_code == 302
    assert "Verification running" in client.get("/admin/audit").get_data(as_text=True)
    drain(jobs_app, "default")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Chain intact" in page and "5 events checked" in page
    assert "Last sealed: <strong>" in page and "never" not in page.split("Last sealed:")[1][:40]
    with scope(jobs_app) as session:
        asked = session.scalars(select(AuditEvent).where(AuditEvent.action == "verify")).one()
        assert asked.object_type == "audit_log" and asked.user_id is not None
        first_id = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id))
        session.execute(text("UPDATE audit_events SET object_id = '77' WHERE id = :id"),
                        {"id": first_id})
    client.post("/admin/audit/verify", data={"csrf_token": auth.csrf("/admin/audit")})
    drain(jobs_app, "default")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Chain broken" in page and "rows changed: a sealed event was changed" in page
