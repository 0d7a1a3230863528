"""Concurrency proofs on real commits: get-next never hands one item to two people, and two
saves based on the same version never both win.

Each worker is a thread with its own session from the app's session factory, so every
claim is its own committed transaction, as it is behind the web server.
"""

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm.exc import StaleDataError

from tests.factories import NOW, make_queue, make_user
from workqueue.db import commit, session_factory
from workqueue.domain.errors import StaleVersion
from workqueue.models import Activity, AuditEvent, Queue, User, WorkItem
from workqueue.services.audit import Actor
from workqueue.services.get_next import claim_next
from workqueue.services.users import issue_api_token
from workqueue.services.work_items import get_work_item, update_work_item

NEEDS_POSTGRES = ("needs PostgreSQL (FOR UPDATE SKIP LOCKED under real concurrency); run with "
                  "DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test, as CI does")


def _insert_items(session, count: int, seed: int = 7) -> list[int]:
    """Open, unassigned AR items with distinct priorities (Core insert: the race is the test)."""
    rng = random.Random(seed)
    rows = [{
        "kind": "ar_followup", "status": "new", "is_open": True, "title": f"Race item {i}",
        "amount": Decimal(rng.randint(100, 90_000)), "priority_score": rng.random() * 1000,
        "priority_override": 0, "due_on": NOW.date() + timedelta(days=rng.randint(0, 30)),
        "created_at": NOW, "updated_at": NOW, "last_touched_at": NOW, "version": 1,
    } for i in range(count)]
    session.execute(insert(WorkItem.__table__), rows)
    commit(session)
    return list(session.scalars(select(WorkItem.id).order_by(WorkItem.id)))


def _race_get_next(app, workers: int, items: int) -> tuple[list[int], list[list[int]]]:
    factory = session_factory(app)
    setup = factory()
    users = [make_user(setup, "ar_specialist") for _ in range(workers)]
    queue = make_queue(setup, users, kinds=["ar_followup"])
    commit(setup)
    ids = _insert_items(setup, items)
    user_ids, queue_id = [u.id for u in users], queue.id
    setup.close()
    start = threading.Barrier(workers)

    def work(user_id: int) -> list[int]:
        session = factory()
        claimed: list[int] = []
        try:
            user = session.get(User, user_id)
            queue = session.get(Queue, queue_id)
            list(queue.members)  # load before the race, not inside it
            session.commit()
            actor = Actor.for_user(user, "api")
            start.wait()
            while True:
                item_id = claim_next(session, user, queue, actor, NOW)
                if item_id is None:
                    session.rollback()
                    return claimed
                claimed.append(item_id)
                commit(session)
        finally:
            session.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        per_worker = list(pool.map(work, user_ids))
    return ids, per_worker


def _assert_each_claimed_once(app, ids: list[int], per_worker: list[list[int]]) -> None:
    everything = [item_id for claimed in per_worker for item_id in claimed]
    twice = [item_id for item_id, n in Counter(everything).items() if n > 1]
    assert twice == [], f"items handed to two workers: {twice[:10]}"
    assert sorted(everything) == ids, "some items were never claimed"
    session = session_factory(app)()
    try:
        assert session.scalar(select(func.count()).select_from(WorkItem)
                              .where(WorkItem.assignee_id.is_(None))) == 0
        claim_logs = session.scalar(select(func.count()).select_from(Activity)
                                    .where(Activity.kind == "assignment"))
        assert claim_logs == len(ids)  # one claim activity per item, no lost or double claims
        claim_events = session.scalar(select(func.count()).select_from(AuditEvent)
                                      .where(AuditEvent.context.like("get next %")))
        assert claim_events == len(ids)  # and one audit event each
        owners = dict(session.execute(select(WorkItem.id, WorkItem.assignee_id)).all())
    finally:
        session.close()
    for worker_items in per_worker:
        assert len({owners[i] for i in worker_items}) <= 1


def test_sixteen_workers_claim_two_thousand_items_each_exactly_once(committed_app, is_postgres):
    if not is_postgres:
        pytest.skip(NEEDS_POSTGRES)
    ids, per_worker = _race_get_next(committed_app, workers=16, items=2000)
    _assert_each_claimed_once(committed_app, ids, per_worker)
    assert sum(1 for claimed in per_worker if claimed) >= 2  # the work really was shared


def test_threads_on_sqlite_never_claim_the_same_item(committed_app, is_postgres):
    """SQLite ignores SKIP LOCKED; BEGIN IMMEDIATE plus the conditional UPDATE still hold."""
    if is_postgres:
        pytest.skip("the SQLite variant of the get-next race; PostgreSQL runs the 16-worker one")
    ids, per_worker = _race_get_next(committed_app, workers=8, items=300)
    _assert_each_claimed_once(committed_app, ids, per_worker)


def _one_item_two_editors(app):
    factory = session_factory(app)
    setup = factory()
    boss = make_user(setup, "supervisor")
    other = make_user(setup, "supervisor")
    tokens = [issue_api_token(boss), issue_api_token(other)]
    commit(setup)
    [item_id] = _insert_items(setup, 1)
    setup.close()
    return factory, item_id, (boss.id, other.id), tokens


def _race_two_saves(factory, item_id: int, user_ids, *, lock_row: bool) -> list[str]:
    """Two editors save different due dates on version 1 at once; what each got: "saved" or
    the exception's name. ``lock_row``: the edge's protocol (lock the row after both start,
    then check the version); without it both read version 1 before either writes."""
    both = threading.Barrier(2)

    def save(args) -> str:
        user_id, days = args
        session = factory()
        try:
            user = session.get(User, user_id)
            if lock_row:
                session.commit()
                both.wait()
                item = get_work_item(session, item_id, for_update=True)
            else:
                item = get_work_item(session, item_id)
                session.commit()  # end the read; the save below starts a new transaction
                both.wait()  # both have read version 1 before either writes
            update_work_item(session, item, {"due_on": NOW.date() + timedelta(days=days)},
                             Actor.for_user(user, "api"), NOW, expected_version=1)
            commit(session)
            return "saved"
        except (StaleVersion, StaleDataError) as error:
            session.rollback()
            return type(error).__name__
        finally:
            session.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(save, [(user_ids[0], 5), (user_ids[1], 9)]))


def test_two_saves_on_the_same_version_one_wins_one_is_stale(committed_app):
    """The edge's protocol: lock the row, check the version the user read, save."""
    factory, item_id, user_ids, _ = _one_item_two_editors(committed_app)
    outcomes = _race_two_saves(factory, item_id, user_ids, lock_row=True)
    assert sorted(outcomes) == ["StaleVersion", "saved"]
    session = factory()
    try:
        item = session.get(WorkItem, item_id)
        winner_days = 5 if outcomes[0] == "saved" else 9
        assert item.version == 2
        assert item.due_on == NOW.date() + timedelta(days=winner_days)
    finally:
        session.close()


def test_unlocked_reads_of_the_same_version_never_both_save(committed_app):
    """Without the row lock, the ORM version counter still refuses the second save."""
    factory, item_id, user_ids, _ = _one_item_two_editors(committed_app)
    outcomes = _race_two_saves(factory, item_id, user_ids, lock_row=False)
    assert outcomes.count("saved") == 1
    assert set(outcomes) - {"saved"} <= {"StaleVersion", "StaleDataError"}


def test_two_api_patches_on_the_same_version_answer_200_and_409(committed_app):
    if "api" not in committed_app.blueprints:
        pytest.skip("the JSON API is not registered in this tree")
    _factory, item_id, _users, tokens = _one_item_two_editors(committed_app)
    start = threading.Barrier(2)

    def patch(args):
        token, days = args
        client = committed_app.test_client()
        start.wait()
        response = client.patch(
            f"/api/v1/work-items/{item_id}", headers={"Authorization": f"Bearer {token}"},
            json={"version": 1, "due_on": str(NOW.date() + timedelta(days=days))})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(patch, [(tokens[0], 5), (tokens[1], 9)]))
    assert sorted(status for status, _ in results) == [200, 409]
    loser = next(body for status, body in results if status == 409)
    assert loser["error"]["code"] == "stale_version"
