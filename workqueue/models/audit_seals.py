"""Hash-chained seals over the audit trail, and the guard that keeps audit rows append-only.

A seal covers the contiguous id range ``[first_id, last_id]`` of ``audit_events``: how many rows
it held and a SHA-256 over their canonical encoding (``services/audit_seals.py``). Each seal
carries the previous seal's hash, so changing, removing or adding a sealed row, or editing or
dropping a seal, breaks the chain where it happened. Audit inserts carry no extra work: seals
are made later, by a periodic job.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from workqueue.clock import utcnow
from workqueue.models.base import Base
from workqueue.models.work import AuditEvent


class AuditSeal(Base):
    """One link of the audit chain: a range of audit event ids, its row count and digest."""

    __tablename__ = "audit_seals"
    __table_args__ = (
        # One seal per range start: two sealers racing from the same previous seal both start
        # at its last_id + 1, so the second insert fails and the chain cannot fork.
        sa.UniqueConstraint("first_id"),
        sa.CheckConstraint("last_id >= first_id", name="range_ordered"),
        sa.CheckConstraint("row_count >= 1", name="row_count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_id: Mapped[int]  # the previous seal's last_id + 1 (1 for the first seal)
    last_id: Mapped[int]  # the id of the last row sealed (a row that exists)
    row_count: Mapped[int]
    rows_digest: Mapped[str] = mapped_column(sa.String(64))  # hex SHA-256 of the encoded rows
    prev_hash: Mapped[str] = mapped_column(sa.String(64))  # the previous seal's hash, or genesis
    hash: Mapped[str] = mapped_column(sa.String(64))
    encoding: Mapped[int] = mapped_column(default=1)  # version of the row encoding
    sealed_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEventImmutable(RuntimeError):
    """Something tried to change or delete an audit event through the ORM."""


_REFUSAL = ("audit events are append-only: the application never updates or deletes them "
            "(a change to a sealed row shows in `workqueue audit verify`)")


@event.listens_for(AuditEvent, "before_update", propagate=True)
def _refuse_update(_mapper, _connection, _target) -> None:
    raise AuditEventImmutable(_REFUSAL)


@event.listens_for(AuditEvent, "before_delete", propagate=True)
def _refuse_delete(_mapper, _connection, _target) -> None:
    raise AuditEventImmutable(_REFUSAL)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state: ORMExecuteState) -> None:
    # ``update(AuditEvent)`` / ``delete(AuditEvent)`` bypass the flush, so the mapper events
    # above never see them. Statements on the bare Table (the demo reset's "empty every
    # table") and raw SQL are not ORM statements and pass; raw SQL is what verify() catches.
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is AuditEvent:
        raise AuditEventImmutable(_REFUSAL)
