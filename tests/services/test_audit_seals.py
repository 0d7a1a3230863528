"""Audit seals: settled audit events sealed into a hash chain; every kind of tampering with a
sealed row or a seal is found by verify() and named; audit rows refuse ORM updates/deletes."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, inspect, select, text, update

from tests.factories import NOW, make_user
from workqueue.models import AuditEvent, AuditEventImmutable, AuditSeal
from workqueue.services import audit_seals
from workqueue.services.audit import Actor, record
from workqueue.services.audit_seals import GENESIS, encode_row, seal_pending, verify

OLD = NOW - timedelta(minutes=10)


def _events(session, count: int, *, at=OLD, user=None) -> list[int]:
    actor = Actor.for_user(user, ip="10.0.0.7", user_agent="Synthetic/1.0") if user \
        else Actor.system("job")
    events = [record(session, actor, "view", "work_item", 100 + i, now=at + timedelta(seconds=i),
                     context=f"queue {i}" if i % 2 else None) for i in range(count)]
    session.flush()
    return [e.id for e in events]


def _seals(session) -> list[AuditSeal]:
    return list(session.scalars(select(AuditSeal).order_by(AuditSeal.first_id)))


def _raw(session, sql: str, **params) -> None:
    session.execute(text(sql), params)
    session.expire_all()


def test_settled_events_are_sealed_once_and_verify_intact(session):
    ids = _events(session, 7, user=make_user(session, "coordinator"))
    first = seal_pending(session, NOW)
    assert (first.seals, first.events, first.last_id) == (1, 7, ids[-1])
    again = seal_pending(session, NOW + timedelta(minutes=5))
    assert (again.seals, again.events) == (0, 0)
    [seal] = _seals(session)
    assert (seal.first_id, seal.last_id, seal.row_count, seal.prev_hash) == (1, ids[-1], 7,
                                                                              GENESIS)
    report = verify(session)
    assert report.ok and (report.seals, report.events, report.unsealed) == (1, 7, 0)
    assert report.head_hash == seal.hash


def test_young_events_wait_for_the_lag_and_a_range_stops_before_the_first_young_one(session):
    old = _events(session, 3)
    young = _events(session, 1, at=NOW - timedelta(seconds=30))
    settled_after_young = _events(session, 2)  # committed late with an old `at`
    result = seal_pending(session, NOW)
    assert result.events == 3 and result.last_id == old[-1]
    assert verify(session).unsealed == 3
    later = seal_pending(session, NOW + timedelta(minutes=3))
    assert later.events == 3 and later.last_id == settled_after_young[-1] > young[0]
    seals = _seals(session)
    assert [s.first_id for s in seals] == [1, old[-1] + 1]
    assert seals[1].prev_hash == seals[0].hash
    assert verify(session).ok


def test_nothing_settled_seals_nothing(session):
    _events(session, 2, at=NOW - timedelta(seconds=5))
    assert seal_pending(session, NOW).seals == 0
    assert _seals(session) == []
    report = verify(session)
    assert report.ok and report.seals == 0 and report.unsealed == 2


def test_many_events_are_cut_into_chained_seals(session):
    ids = _events(session, 25)
    result = seal_pending(session, NOW, max_rows=10)
    assert (result.seals, result.events) == (3, 25)
    seals = _seals(session)
    assert [s.row_count for s in seals] == [10, 10, 5]
    assert [s.last_id for s in seals] == [ids[9], ids[19], ids[24]]
    assert [s.prev_hash for s in seals] == [GENESIS, seals[0].hash, seals[1].hash]
    assert verify(session).ok


def test_ids_skipped_by_a_rollback_are_no_finding(session):
    ids = _events(session, 5)
    _raw(session, "DELETE FROM audit_events WHERE id = :id", id=ids[2])  # as if rolled back
    assert seal_pending(session, NOW).events == 4
    assert verify(session).ok


def _sealed(session, count=12, max_rows=4):
    ids = _events(session, count)
    seal_pending(session, NOW, max_rows=max_rows)
    assert verify(session).ok
    return ids, _seals(session)


def _finding(session):
    report = verify(session)
    assert not report.ok
    return report.findings[0]


def test_a_changed_sealed_row_is_found_in_its_seal(session):
    ids, seals = _sealed(session)
    _raw(session, "UPDATE audit_events SET action = 'update' WHERE id = :id", id=ids[5])
    finding = _finding(session)
    assert (finding.problem, finding.seal_id) == ("rows_changed", seals[1].id)
    assert f"seal {seals[1].id} (audit events {seals[1].first_id}-{seals[1].last_id})" \
        in str(finding)


@pytest.mark.parametrize("column, value", [("at", "2026-11-27 14:00:00.000000"),
                                           ("context", None), ("ip", "")])
def test_changes_to_timestamps_and_nulls_are_found(session, column, value):
    # Row 1 was written with a context and without an address: NULL and "" must differ.
    ids, _seals_ = _sealed(session)
    _raw(session, f"UPDATE audit_events SET {column} = :value WHERE id = :id",  # noqa: S608
         value=value, id=ids[1])
    assert _finding(session).problem == "rows_changed"


def test_a_deleted_sealed_row_is_found(session):
    ids, seals = _sealed(session)
    _raw(session, "DELETE FROM audit_events WHERE id = :id", id=ids[9])
    finding = _finding(session)
    assert (finding.problem, finding.seal_id) == ("rows_deleted", seals[2].id)
    assert "1 of its 4 sealed events are missing" in str(finding)


def test_a_row_inserted_into_a_sealed_range_is_found(session):
    ids = _events(session, 6)
    _raw(session, "DELETE FROM audit_events WHERE id = :id", id=ids[3])  # a gap, as a rollback
    seal_pending(session, NOW)
    assert verify(session).ok
    # Tampering, or a transaction committing an old id after the seal: the same evidence.
    _raw(session, "INSERT INTO audit_events (id, at, action, object_type, outcome, channel) "
                  "VALUES (:id, :at, 'view', 'patient', 'success', 'web')",
         id=ids[3], at=OLD.replace(tzinfo=None))
    finding = _finding(session)
    assert finding.problem == "rows_inserted"
    assert "committed later than the sealing lag" in str(finding)


def test_an_edited_seal_is_found(session):
    _ids, seals = _sealed(session)
    _raw(session, "UPDATE audit_seals SET row_count = row_count + 1 WHERE id = :id",
         id=seals[1].id)
    finding = _finding(session)
    assert (finding.problem, finding.seal_id) == ("seal_edited", seals[1].id)


def test_a_removed_seal_breaks_the_chain(session):
    _ids, seals = _sealed(session)
    _raw(session, "DELETE FROM audit_seals WHERE id = :id", id=seals[1].id)
    finding = _finding(session)
    assert (finding.problem, finding.seal_id) == ("chain_broken", seals[2].id)


def test_a_reforged_seal_is_caught_by_the_next_link(session):
    """Change a row, then rewrite its seal consistently: the next seal no longer matches."""
    ids, seals = _sealed(session)
    _raw(session, "UPDATE audit_events SET object_id = '999' WHERE id = :id", id=ids[4])
    forged = seals[1]
    rows = session.execute(select(*[AuditEvent.__table__.c[c] for c in audit_seals.COLUMNS])
                           .where(AuditEvent.id.between(forged.first_id, forged.last_id))
                           .order_by(AuditEvent.id)).all()
    import hashlib
    digest = hashlib.sha256(b"".join(encode_row(r) for r in rows)).hexdigest()
    new_hash = audit_seals.seal_hash(forged.prev_hash, forged.first_id, forged.last_id,
                                     forged.row_count, digest, forged.sealed_at)
    _raw(session, "UPDATE audit_seals SET rows_digest = :d, hash = :h WHERE id = :id",
         d=digest, h=new_hash, id=forged.id)
    finding = _finding(session)
    assert (finding.problem, finding.seal_id) == ("chain_broken", seals[2].id)


def test_the_encoding_covers_every_column_and_tells_null_from_empty():
    columns = tuple(c.name for c in AuditEvent.__table__.columns)
    assert audit_seals.COLUMNS == columns, "new audit column: add it with a new ENCODING"
    at = NOW.replace(microsecond=5)
    assert encode_row((1, at, None, "")) == b'[1,"2026-11-27T15:00:00.000005Z",null,""]\n'


def test_the_orm_refuses_to_change_or_delete_audit_events(session):
    [event_id] = _events(session, 1)
    event = session.get(AuditEvent, event_id)
    event.action = "update"
    with pytest.raises(AuditEventImmutable):
        session.flush()
    session.rollback()
    [event_id] = _events(session, 1)
    session.delete(session.get(AuditEvent, event_id))
    with pytest.raises(AuditEventImmutable):
        session.flush()
    session.rollback()
    [event_id] = _events(session, 1)
    for statement in (update(AuditEvent).values(action="x"), delete(AuditEvent)):
        with pytest.raises(AuditEventImmutable):
            session.execute(statement)
    assert session.get(AuditEvent, event_id).action == "view"
    assert not inspect(session.get(AuditEvent, event_id)).modified


def test_sealing_counts_with_the_orm_guard_in_place(session):
    """Reading rows for seals and verification is not a change the guard refuses."""
    _events(session, 3)
    seal_pending(session, NOW)
    assert session.scalar(select(func.count()).select_from(AuditSeal)) == 1
