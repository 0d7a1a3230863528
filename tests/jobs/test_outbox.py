"""The outbox: nothing is enqueued before commit or after a rollback, and a job whose Redis
copy vanished is enqueued again by the sweeper."""

from datetime import timedelta

import pytest
from rq.job import Job
from sqlalchemy import select, update

from tests.factories import NOW
from tests.jobs.conftest import drain, make_denial_case, scope
from workqueue import jobs
from workqueue.jobs.outbox import enqueue_pending_jobs
from workqueue.models import JobRequest, Letter, SweepRun, User
from workqueue.services import letters
from workqueue.services.audit import Actor


def _request(app, case, session):
    user = session.scalar(select(User).where(User.username == case.specialist))
    return letters.request_letter(session, case.item_id, Actor.for_user(user), NOW)


def test_nothing_is_enqueued_before_commit_nor_after_rollback(jobs_app, redis_conn):
    case = make_denial_case(jobs_app)
    with pytest.raises(RuntimeError), scope(jobs_app) as session:
        letter = _request(jobs_app, case, session)
        session.flush()
        assert not Job.exists(f"letter-{letter.id}", connection=redis_conn)  # not yet
        raise RuntimeError("the request failed after asking for the letter")
    assert redis_conn.keys("rq:job:*") == []
    with scope(jobs_app) as session:
        assert session.scalar(select(JobRequest)) is None and session.scalar(select(Letter)) \
            is None
        letter_id = _request(jobs_app, case, session).id
    assert Job.exists(f"letter-{letter_id}", connection=redis_conn)  # released by the commit
    with scope(jobs_app) as session:
        assert session.scalar(select(JobRequest.status)) == "enqueued"


def test_sweeper_re_enqueues_a_job_lost_with_redis(jobs_app, redis_conn):
    case = make_denial_case(jobs_app)
    with scope(jobs_app) as session:
        letter_id = _request(jobs_app, case, session).id
    redis_conn.flushdb()  # Redis restarted without persistence: the queued job is gone
    with scope(jobs_app) as session:  # a minute later
        session.execute(update(JobRequest).values(updated_at=NOW - timedelta(minutes=5)))
    with jobs_app.app_context():
        result = enqueue_pending_jobs()
    assert result["lost"] == 1 and result["enqueued"] == 1
    drain(jobs_app, "letters")
    with scope(jobs_app) as session:
        assert session.get(Letter, letter_id).status == "generated"
        assert session.get(SweepRun, "outbox").runs == 1
    with jobs_app.app_context():  # and a job alive in Redis is left alone
        assert enqueue_pending_jobs()["enqueued"] == 0


def test_job_arguments_must_be_ids_or_primitives(jobs_app):
    from workqueue.jobs.letters import generate_letter

    with scope(jobs_app) as session, pytest.raises(TypeError):
        jobs.defer(session, generate_letter, {"patient": "name"})
