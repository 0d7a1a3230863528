"""In-app notifications: create them for users, count and list unread, mark read, the e-mail
preference, and what an e-mail about a notification (or a daily digest) says.

Messages name item ids, dates and reasons only — never a patient — so they are safe in an
e-mail body and in a subject line.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from workqueue.domain.errors import NotFound, NotPermitted, ValidationFailed
from workqueue.models import (
    EmailMode,
    Notification,
    NotificationPreference,
    User,
)


@dataclass(frozen=True)
class NewNotification:
    user_id: int
    work_item_id: int | None
    reason: str
    message: str
    reminder_id: int | None = None


def add_notifications(session: Session, notes: list[NewNotification], now: datetime) -> list[int]:
    """Insert notifications in bulk; their ids."""
    if not notes:
        return []
    rows = [{"user_id": n.user_id, "work_item_id": n.work_item_id, "reason": n.reason,
             "message": n.message[:300], "reminder_id": n.reminder_id, "created_at": now}
            for n in notes]
    # executemany with RETURNING: one cached statement, batched by SQLAlchemy's
    # insertmanyvalues (a literal multi-row VALUES would be recompiled on every call).
    result = session.connection().execute(
        insert(Notification.__table__).returning(Notification.__table__.c.id,
                                                 sort_by_parameter_order=True), rows)
    return list(result.scalars())


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def notifications_for(session: Session, user_id: int, *, unread_only: bool = False,
                      limit: int = 50, before_id: int | None = None) -> list[Notification]:
    """Newest first; page with ``before_id`` (the last id of the previous page)."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before_id:
        stmt = stmt.where(Notification.id < before_id)
    return list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, notification_id: int, user_id: int, now: datetime) -> None:
    """:raise NotFound, NotPermitted: no such notification, or it is someone else's."""
    note = session.get(Notification, notification_id)
    if note is None:
        raise NotFound(f"Notification {notification_id} does not exist.")
    if note.user_id != user_id:
        raise NotPermitted("That notification belongs to someone else.")
    if note.read_at is None:
        note.read_at = now
        session.flush()


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    result = session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now))
    return result.rowcount or 0


def email_mode(session: Session, user_id: int) -> EmailMode:
    pref = session.get(NotificationPreference, user_id)
    return EmailMode(pref.email_mode) if pref else EmailMode.IMMEDIATE


def set_email_mode(session: Session, user_id: int, mode: str) -> None:
    """:raise ValidationFailed: unknown mode."""
    try:
        value = EmailMode(mode)
    except ValueError:
        raise ValidationFailed(f"Choose one of {', '.join(m.value for m in EmailMode)}.",
                               {"email_mode": "unknown"}) from None
    pref = session.get(NotificationPreference, user_id)
    if pref is None:
        session.add(NotificationPreference(user_id=user_id, email_mode=value))
    else:
        pref.email_mode = value
    session.flush()


def immediate_email_targets(session: Session, notification_ids: list[int]) -> list[int]:
    """Of these notifications, those to e-mail now: the user has an address and wants mail
    per notification (digest users get theirs once a day)."""
    if not notification_ids:
        return []
    rows = session.execute(
        select(Notification.id)
        .join(User, User.id == Notification.user_id)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(Notification.id.in_(notification_ids), User.email.is_not(None),
               User.email != "", User.is_active.is_(True),
               func.coalesce(NotificationPreference.email_mode, EmailMode.IMMEDIATE.value)
               == EmailMode.IMMEDIATE.value)
    ).scalars().all()
    return list(rows)


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    template: str  # emails/<template>.{txt,html}
    context: dict


SUBJECTS = {
    "pend_returned": "An item is back from pending",
    "auth_expiring": "An authorization is expiring",
    "auth_units": "An authorization is running out of units",
    "appeal_deadline": "An appeal deadline is near",
    "timely_filing": "A timely-filing limit is near",
    "infusion_not_ready": "An infusion is not cleared yet",
    "overdue": "Escalation: an item is overdue",
}


def email_for_notification(session: Session, notification_id: int) -> Email | None:
    """The e-mail for one notification, or None if it was sent already or cannot be sent."""
    note = session.get(Notification, notification_id)
    if note is None or note.emailed_at is not None or not note.user.email:
        return None
    subject = f"[workqueue] {SUBJECTS.get(note.reason, 'Notification')}"
    if note.work_item_id:
        subject += f" (item #{note.work_item_id})"
    return Email(note.user.email, subject, "notification",
                 {"user_name": note.user.display_name, "message": note.message,
                  "work_item_id": note.work_item_id, "created_at": note.created_at})


def mark_emailed(session: Session, notification_ids: list[int], now: datetime) -> None:
    session.execute(update(Notification).where(Notification.id.in_(notification_ids))
                    .values(emailed_at=now))


def digest_users(session: Session) -> list[int]:
    return list(session.scalars(select(NotificationPreference.user_id).where(
        NotificationPreference.email_mode == EmailMode.DIGEST)))


def digest_for(session: Session, user_id: int, now: datetime) -> tuple[Email | None, list[int]]:
    """Today's digest for a user: unread notifications not yet e-mailed (and their ids)."""
    user = session.get(User, user_id)
    if user is None or not user.email or not user.is_active:
        return None, []
    notes = session.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None),
        Notification.emailed_at.is_(None)).order_by(Notification.id).limit(200)).all()
    if not notes:
        return None, []
    email = Email(user.email, f"[workqueue] Daily digest: {len(notes)} unread notifications",
                  "digest", {"user_name": user.display_name, "date": now.date(),
                             "notifications": [{"message": n.message,
                                                "work_item_id": n.work_item_id}
                                               for n in notes]})
    return email, [n.id for n in notes]


def mark_digest_sent(session: Session, user_id: int, ids: list[int], now: datetime) -> None:
    mark_emailed(session, ids, now)
    pref = session.get(NotificationPreference, user_id)
    if pref is not None:
        pref.last_digest_at = now
    session.flush()
