"""The job outbox (one row per request for background work) and the periodic sweeps' last runs.

Redis is delivery; these rows are the truth. A request is written in the same transaction as
the change that asked for it, enqueued only after that commits, and re-enqueued by the sweeper
if the enqueue was lost — so no job disappears with a Redis outage.
"""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workqueue.clock import utcnow
from workqueue.models.base import Base, enum_column_type


class JobRequestStatus(StrEnum):
    PENDING = "pending"  # committed, not (yet) handed to Redis
    ENQUEUED = "enqueued"  # on an RQ queue, or scheduled for a retry
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # retries exhausted; last_error says why


class JobRequest(Base):
    """One request for background work: which job, on which ids, and how it went."""

    __tablename__ = "job_requests"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_nonneg"),
        # The sweeper and the operations page read unfinished rows only.
        sa.Index(
            "ix_job_requests_unfinished",
            "status",
            "updated_at",
            postgresql_where=sa.text("status IN ('pending', 'enqueued', 'running')"),
            sqlite_where=sa.text("status IN ('pending', 'enqueued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    function: Mapped[str] = mapped_column(sa.String(120))  # dotted path of a @job_entry function
    args: Mapped[list] = mapped_column(sa.JSON, default=list)  # ids and primitives only
    queue: Mapped[str] = mapped_column(sa.String(30))
    job_id: Mapped[str] = mapped_column(sa.String(80), unique=True)  # "<noun>-<id>"
    status: Mapped[JobRequestStatus] = mapped_column(
        enum_column_type(JobRequestStatus, "job_request_status"),
        default=JobRequestStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(200))  # exception class + short text
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class SweepRun(Base):
    """When each periodic sweep last ran and what it did (shown on the operations page)."""

    __tablename__ = "sweep_runs"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    last_started_at: Mapped[datetime]
    last_finished_at: Mapped[datetime | None]
    last_duration_ms: Mapped[int | None]
    last_result: Mapped[dict | None] = mapped_column(sa.JSON)
    runs: Mapped[int] = mapped_column(default=0)
