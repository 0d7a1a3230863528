"""Reminders (sent at most once per item, reason and due date), in-app notifications, each
user's e-mail preference, and the reminder thresholds as editable rows."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workqueue.clock import utcnow
from workqueue.models.base import Base, enum_column_type
from workqueue.models.clinical import Authorization
from workqueue.models.people import User
from workqueue.models.work import WorkItem, open_index


class ReminderReason(StrEnum):
    PEND_RETURNED = "pend_returned"
    AUTH_EXPIRING = "auth_expiring"
    AUTH_UNITS = "auth_units"
    APPEAL_DEADLINE = "appeal_deadline"
    TIMELY_FILING = "timely_filing"
    INFUSION_NOT_READY = "infusion_not_ready"
    OVERDUE = "overdue"  # escalated to supervisors


class EmailMode(StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"  # one e-mail a day with everything unread
    OFF = "off"


class ReminderRule(Base):
    """How far ahead a reminder fires. Auth expiry and units use the payer's own columns."""

    __tablename__ = "reminder_rules"

    reason: Mapped[ReminderReason] = mapped_column(
        enum_column_type(ReminderReason, "reminder_reason"), primary_key=True
    )
    lead_days: Mapped[int]  # remind when the date is at most this many days away (or overdue by)
    is_active: Mapped[bool] = mapped_column(default=True)


class Reminder(Base):
    """One reminder about one item. The unique key is what makes "sent once" hold when sweeps
    race: the second insert of the same (item, reason, due date) does nothing."""

    __tablename__ = "reminders"
    __table_args__ = (
        sa.UniqueConstraint("work_item_id", "reason", "due_on", name="item_reason_due"),
        sa.Index(
            "ix_reminders_unsent",
            "due_on",
            postgresql_where=sa.text("sent_at IS NULL"),
            sqlite_where=sa.text("sent_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(sa.ForeignKey("work_items.id", ondelete="CASCADE"))
    reason: Mapped[ReminderReason] = mapped_column(
        enum_column_type(ReminderReason, "reminder_reason"))
    due_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]  # notifications created; NULL while nobody could be told


class Notification(Base):
    """A message to one user about one item; its text names dates and ids, never patients."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
        sa.Index(
            "ix_notifications_unread",
            "user_id",
            postgresql_where=sa.text("read_at IS NULL"),
            sqlite_where=sa.text("read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    work_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("work_items.id", ondelete="CASCADE"), index=True)
    reminder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("reminders.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(30))
    message: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    work_item: Mapped[WorkItem | None] = relationship()


class NotificationPreference(Base):
    """How a user wants e-mail about notifications (no row: immediately)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    email_mode: Mapped[EmailMode] = mapped_column(
        enum_column_type(EmailMode, "email_mode"), default=EmailMode.IMMEDIATE)
    last_digest_at: Mapped[datetime | None]


# Indexes the reminder sweep reads through, on tables owned elsewhere: every finder is a range
# scan of one of these (see bench/bench_jobs.py for the EXPLAIN over 1,000,000 items).
open_index("ix_work_items_open_deadline", WorkItem.deadline_kind, WorkItem.deadline_on)
sa.Index(
    "ix_authorizations_active_end",
    Authorization.end_date,
    postgresql_where=sa.text("status IN ('approved', 'partially_approved')"),
    sqlite_where=sa.text("status IN ('approved', 'partially_approved')"),
)
