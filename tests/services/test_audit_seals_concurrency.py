"""Sealers racing on committed transactions make one chain: every settled event sealed once,
no two seals of one range (PostgreSQL runs them truly in parallel; SQLite serializes them)."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.jobs.conftest import scope
from workqueue import clock
from workqueue.models import AuditSeal
from workqueue.services.audit import Actor, record
from workqueue.services.audit_seals import GENESIS, seal_pending, verify


@pytest.mark.parametrize("serialize", [True, False])
def test_racing_sealers_make_one_chain(committed_app, serialize):
    """``serialize=False`` bypasses the advisory lock: only the unique range start stands
    between eight sealers and a forked chain."""
    now = clock.utcnow()
    with scope(committed_app) as session:
        for i in range(3_000):
            record(session, Actor.system("job"), "view", "work_item", i,
                   now=now - timedelta(minutes=10))
    barrier = threading.Barrier(8)
    results, errors = [], []

    def seal():
        try:
            with scope(committed_app) as session:
                barrier.wait(timeout=10)
                results.append(seal_pending(session, now, max_rows=1_000,
                                            serialize=serialize))
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=seal) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    if committed_app.config["DATABASE_URL"].startswith("postgresql"):
        # They did overlap: the losers were turned away by the lock or the unique range start.
        assert any(r.lost_race for r in results) if not serialize \
            else any(r.skipped for r in results)
    assert sum(r.events for r in results) == 3_000
    with scope(committed_app) as session:
        seals = list(session.scalars(select(AuditSeal).order_by(AuditSeal.first_id)))
        assert sum(s.row_count for s in seals) == 3_000 and len(seals) == 3
        assert [s.prev_hash for s in seals] == [GENESIS, seals[0].hash, seals[1].hash]
        report = verify(session)
        assert report.ok and report.events == 3_000 and report.unsealed == 0
