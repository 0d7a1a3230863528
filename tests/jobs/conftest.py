"""Fixtures for background-job tests: an app on committed transactions with instant retries,
a flushed Redis, a denial scenario with a letter-ready claim, and a burst worker helper."""

import io
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
from rq import SimpleWorker

from tests.conftest import AuthActions
from tests.factories import (
    NOW,
    make_claim,
    make_coverage,
    make_denial,
    make_patient,
    make_payer,
    make_user,
    make_work_item,
)
from workqueue import jobs
from workqueue.db import session_scope
from workqueue.models import Administration, InfusionVisit
from workqueue.services.letters import seed_letter_templates


@pytest.fixture
def jobs_app(committed_app, redis_conn):
    """The committed app with retries that re-run at once (no scheduler needed in tests)."""
    committed_app.config["JOB_RETRY_INTERVALS"] = (0, 0, 0)
    committed_app.config["OUTBOX_GRACE_SECONDS"] = 0
    yield committed_app
    conn = committed_app.extensions.pop("workqueue.redis", None)
    if conn is not None:
        conn.close()


@pytest.fixture
def import_app(jobs_app, tmp_path):
    """The jobs app with its own folder for uploaded import files."""
    jobs_app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    return jobs_app


def upload_file(app, username: str, content: bytes, name: str):
    """Sign ``username`` in, upload ``content`` on the imports page; (client, run id)."""
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.login(username).status_code == 302
    response = client.post("/imports/", data={"csrf_token": auth.csrf("/imports/"),
                                              "file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client, int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1))


@contextmanager
def scope(app):
    """What a view or job has: an app context and a session committed at the end."""
    with app.app_context(), session_scope(app) as session:
        yield session


def drain(app, *queues: str) -> None:
    """Run every queued job with a real RQ worker in this process until the queues are empty."""
    conn = jobs.get_redis(app)
    names = queues or jobs.QUEUES
    with app.app_context():
        SimpleWorker([jobs.get_queue(n, app) for n in names], connection=conn).work(
            burst=True, logging_level="WARNING")


@dataclass
class DenialCase:
    item_id: int
    denial_id: int
    claim_number: str
    specialist: str
    supervisor: str


def make_denial_case(app, *, category: str = "authorization", carc: str = "197",
                     now: datetime = NOW) -> DenialCase:
    """A denied infusion claim with a coverage, a visit with start/stop times, and a denial
    work item assigned to a denial specialist; templates seeded."""
    with scope(app) as session:
        seed_letter_templates(session, now)
        specialist = make_user(session, "denial_specialist", email="spec@example.test")
        supervisor = make_user(session, "supervisor", email="boss@example.test")
        payer = make_payer(session)
        patient = make_patient(session)
        make_coverage(session, patient=patient, payer=payer, member_id="MEMBER12345")
        visit = InfusionVisit(patient_id=patient.id, scheduled_date=date(2026, 10, 1))
        visit.administrations = [Administration(
            label="a1", kind="chemo", route="iv_infusion", drug_code="J9312",
            start_at=datetime(2026, 10, 1, 14, 0, tzinfo=NOW.tzinfo),
            stop_at=datetime(2026, 10, 1, 15, 40, tzinfo=NOW.tzinfo))]
        session.add(visit)
        session.flush()
        claim = make_claim(session, patient=patient, payer=payer, visit_id=visit.id,
                           payer_claim_number="ICN7700001", billed_amount="4800.00")
        denial = make_denial(session, claim=claim, carc_codes=carc, category=category,
                             amount=Decimal("4800.00"))
        item = make_work_item(session, "denial", title="Denial", patient_id=patient.id,
                              payer_id=payer.id, claim_id=claim.id, denial_id=denial.id,
                              category=category, amount=Decimal("4800.00"),
                              denied_on=denial.denied_on, assignee_id=specialist.id)
        return DenialCase(item.id, denial.id, claim.claim_number, specialist.username,
                          supervisor.username)
