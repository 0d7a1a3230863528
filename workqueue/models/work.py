"""Work items, their activity timeline, queues with members, and auto-assignment rules."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workqueue.clock import utcnow
from workqueue.domain.status import WorkItemKind, WorkItemStatus
from workqueue.models.base import Base, Money, enum_column_type
from workqueue.models.claims import Claim, Denial
from workqueue.models.clinical import Authorization, InfusionVisit
from workqueue.models.patients import Coverage, Patient
from workqueue.models.payers import Payer
from workqueue.models.people import User


class ActivityKind(StrEnum):
    NOTE = "note"
    CALL = "call"
    STATUS_CHANGE = "status_change"
    ASSIGNMENT = "assignment"
    PEND = "pend"
    EDIT = "edit"
    LETTER = "letter"
    REMINDER = "reminder"
    SYSTEM = "system"


class AssignmentStrategy(StrEnum):
    MANUAL = "manual"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


# How each backend spells "the item is open" when SQLAlchemy renders ``WorkItem.is_open`` in a
# WHERE clause. A partial index is used only when the query repeats its predicate, so queries
# filter on the bare column (never ``is_open IS true``, which matches no partial index).
OPEN_PREDICATE = {"postgresql": "is_open", "sqlite": "is_open = 1"}
# The same for ``~WorkItem.is_deadline_missed`` (live: the deadline is still ahead, or met) and
# the bare ``WorkItem.is_deadline_missed``.
LIVE_PREDICATE = {"postgresql": "NOT is_deadline_missed", "sqlite": "is_deadline_missed = 0"}
MISSED_PREDICATE = {"postgresql": "is_deadline_missed", "sqlite": "is_deadline_missed = 1"}


def open_index(name: str, *columns, also: str | dict[str, str] | None = None) -> sa.Index:
    """A partial index over open items only (closed ones are most rows and never listed).

    ``also`` adds a predicate, the same text for every backend or one per backend.
    """
    extra = also if isinstance(also, dict) or also is None else dict.fromkeys(OPEN_PREDICATE,
                                                                               also)
    where = {dialect: f"{open_} AND {extra[dialect]}" if extra else open_
             for dialect, open_ in OPEN_PREDICATE.items()}
    return sa.Index(name, *columns, postgresql_where=sa.text(where["postgresql"]),
                    sqlite_where=sa.text(where["sqlite"]))


_UNASSIGNED_LIVE = {dialect: f"assignee_id IS NULL AND {live}"
                    for dialect, live in LIVE_PREDICATE.items()}


class WorkItem(Base):
    """One unit of work of one kind, with the facts that order it in every worklist."""

    __tablename__ = "work_items"
    __table_args__ = (
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("amount >= 0", name="amount_nonneg"),
        # Get next: the best unassigned live open item, per kind and over every kind (items
        # that missed their deadline wait for a decision in their own view, never in the pool).
        open_index("ix_work_items_pool", "kind", "priority_score", "id",
                   also=_UNASSIGNED_LIVE),
        open_index("ix_work_items_pool_all", "priority_score", "id", also=_UNASSIGNED_LIVE),
        # The "Deadline missed" view, and the sweep that marks live items whose deadline passed.
        open_index("ix_work_items_missed", "priority_score", "id", also=MISSED_PREDICATE),
        open_index("ix_work_items_live_deadline", "deadline_on", also=LIVE_PREDICATE),
        # Worklists sort by priority_score DESC, id DESC: one backward scan of these; the other
        # shapes are the filters measured in bench/bench_engine.py (docs/benchmarks.md).
        open_index("ix_work_items_open_priority", "priority_score", "id"),
        open_index("ix_work_items_open_kind_status", "kind", "status"),
        open_index("ix_work_items_open_due", "due_on"),
        open_index("ix_work_items_assignee_open", "assignee_id", "due_on"),
        open_index("ix_work_items_open_kind_priority", "kind", "priority_score", "id"),
        open_index("ix_work_items_open_assignee_priority", "assignee_id", "priority_score", "id"),
        open_index("ix_work_items_open_kind_payer_priority", "kind", "payer_id",
                   "priority_score", "id"),
        open_index("ix_work_items_open_kind_category_deadline", "kind", "category",
                   "deadline_on"),
        open_index("ix_work_items_open_kind_service_date", "kind", "service_date"),
        open_index("ix_work_items_open_kind_amount", "kind", "amount", "id"),
        open_index("ix_work_items_open_payer_priority", "payer_id", "priority_score", "id"),
        # The idle-claim sweep and the board's idle list: only claimed open items.
        open_index("ix_work_items_claimed_touched", "last_touched_at",
                   also="claimed_at IS NOT NULL"),
        sa.Index(
            "ix_work_items_pended",
            "pended_until",
            postgresql_where=sa.text("pended_until IS NOT NULL"),
            sqlite_where=sa.text("pended_until IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[WorkItemKind] = mapped_column(enum_column_type(WorkItemKind, "work_item_kind"))
    status: Mapped[WorkItemStatus] = mapped_column(
        enum_column_type(WorkItemStatus, "work_item_status"), default=WorkItemStatus.NEW
    )
    is_open: Mapped[bool] = mapped_column(default=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    patient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    coverage_id: Mapped[int | None] = mapped_column(sa.ForeignKey("coverages.id"))
    payer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payers.id"), index=True)
    authorization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("authorizations.id"), index=True
    )
    claim_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claims.id"), index=True)
    denial_id: Mapped[int | None] = mapped_column(sa.ForeignKey("denials.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("infusion_visits.id"), index=True)
    # Routing facts: denial category, drug family; matched against skills and queue filters.
    category: Mapped[str | None] = mapped_column(sa.String(40))
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # dollars at stake
    service_date: Mapped[date | None]
    deadline_on: Mapped[date | None]  # the binding outside deadline
    deadline_kind: Mapped[str | None] = mapped_column(sa.String(30))
    due_on: Mapped[date | None]  # the team's own target (SLA); moves while pended
    pended_until: Mapped[date | None]
    pended_at: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None]
    last_touched_at: Mapped[datetime | None]
    priority_score: Mapped[float] = mapped_column(default=0.0)
    # The outside deadline passed while it still binds (domain/deadlines.py): set when the item
    # is scored and by the periodic sweep; such an item waits for a decision, out of Get next.
    is_deadline_missed: Mapped[bool] = mapped_column(default=False)
    priority_override: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    patient: Mapped[Patient | None] = relationship()
    coverage: Mapped[Coverage | None] = relationship()
    payer: Mapped[Payer | None] = relationship()
    authorization: Mapped[Authorization | None] = relationship()
    claim: Mapped[Claim | None] = relationship()
    denial: Mapped[Denial | None] = relationship()
    visit: Mapped[InfusionVisit | None] = relationship()
    assignee: Mapped[User | None] = relationship()


class Activity(Base):
    """One line of an item's timeline: a note, call, status change, assignment, letter..."""

    __tablename__ = "activities"
    __table_args__ = (
        sa.Index("ix_activities_item_at", "work_item_id", "at"),
        sa.Index("ix_activities_at", "at"),  # productivity reports by day
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(sa.ForeignKey("work_items.id", ondelete="CASCADE"))
    kind: Mapped[ActivityKind] = mapped_column(enum_column_type(ActivityKind, "activity_kind"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    from_status: Mapped[str | None] = mapped_column(sa.String(30))
    to_status: Mapped[str | None] = mapped_column(sa.String(30))
    data: Mapped[dict | None] = mapped_column(sa.JSON)

    actor: Mapped[User | None] = relationship()


queue_members = sa.Table(
    "queue_members",
    Base.metadata,
    sa.Column("queue_id", sa.ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Queue(Base):
    """A named filter over open items, and the people who work it."""

    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    kinds: Mapped[list] = mapped_column(sa.JSON, default=list)  # empty: every kind
    payer_ids: Mapped[list] = mapped_column(sa.JSON, default=list)  # empty: every payer
    categories: Mapped[list] = mapped_column(sa.JSON, default=list)  # empty: every category
    is_active: Mapped[bool] = mapped_column(default=True)
    strategy: Mapped[AssignmentStrategy] = mapped_column(
        enum_column_type(AssignmentStrategy, "assignment_strategy"),
        default=AssignmentStrategy.MANUAL,
    )
    # Auto-assignment only to members holding a skill that matches the item (payer, category).
    is_skill_matched: Mapped[bool] = mapped_column(default=False)
    last_assigned_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    members: Mapped[list[User]] = relationship(secondary=queue_members, order_by=User.id)


class AuditEvent(Base):
    """Append-only record of who read or changed which record, when and from where.

    Holds identifiers only, never PHI content (DOMAIN.md §11).
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_patient_at", "patient_id", "at"),
        sa.Index("ix_audit_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    role: Mapped[str | None] = mapped_column(sa.String(30))
    action: Mapped[str] = mapped_column(sa.String(30))  # view, search, create, update, export...
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(40))
    patient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patients.id"))
    outcome: Mapped[str] = mapped_column(sa.String(20), default="success")
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))
    channel: Mapped[str] = mapped_column(sa.String(10), default="web")  # web, api, cli, job
    context: Mapped[str | None] = mapped_column(sa.String(200))
