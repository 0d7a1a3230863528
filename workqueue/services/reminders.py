"""The reminder sweep: find what is due, record each reminder once, notify the right people.

Each finder is one range scan of an index (``ix_work_items_open_deadline``,
``ix_work_items_open_due``, ``ix_work_items_pended``, ``ix_authorizations_active_end``) with a
NOT EXISTS probe of the reminders' unique key, so a sweep costs what is due, not the table
size. "At most once" does not depend on sweeps being serialized: reminders are inserted with
ON CONFLICT DO NOTHING on (item, reason, due date) and only the rows actually inserted get
notifications, so two racing sweeps notify once.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workqueue.domain.roles import Role
from workqueue.domain.status import APPEAL_NOT_SENT, WorkItemKind, WorkItemStatus
from workqueue.models import (
    Activity,
    ActivityKind,
    Authorization,
    AuthorizationStatus,
    Coverage,
    Payer,
    Reminder,
    ReminderReason,
    ReminderRule,
    User,
    WorkItem,
)
from workqueue.services.notifications import NewNotification, add_notifications
from workqueue.services.work_items import return_due_pended_items

R = ReminderReason
S = WorkItemStatus
# Used when a reason has no row in reminder_rules (the migration seeds the same values).
DEFAULT_LEAD_DAYS: dict[ReminderReason, int] = {
    R.PEND_RETURNED: 0,
    R.AUTH_EXPIRING: 14,  # per payer: payers.auth_lead_days wins
    R.AUTH_UNITS: 0,  # per payer: payers.auth_units_warn_pct decides
    R.APPEAL_DEADLINE: 7,
    R.TIMELY_FILING: 14,
    R.INFUSION_NOT_READY: 3,
    R.OVERDUE: 1,  # days past the due date before supervisors are told
}
DEFAULT_UNITS_WARN_PCT = 80
_CLEARED = (S.ACTIVE, S.APPROVED)  # eligibility verified / auth approved
_LOCK_KEY = 4_711_004  # pg advisory lock id of the sweep


@dataclass(frozen=True)
class Candidate:
    work_item_id: int
    reason: ReminderReason
    due_on: date
    detail: str = ""


@dataclass
class SweepResult:
    skipped: bool = False
    returned: int = 0
    found: dict = field(default_factory=dict)
    reminders: int = 0
    notifications: int = 0
    notification_ids: list = field(default_factory=list)

    def summary(self) -> dict:
        return {"skipped": self.skipped, "returned": self.returned, "found": self.found,
                "reminders": self.reminders, "notifications": self.notifications}


def lead_days(session: Session) -> dict[ReminderReason, int | None]:
    """Reminder thresholds from ``reminder_rules`` (None: the reason is switched off)."""
    days: dict[ReminderReason, int | None] = dict(DEFAULT_LEAD_DAYS)
    for rule in session.scalars(select(ReminderRule)):
        days[R(rule.reason)] = rule.lead_days if rule.is_active else None
    return days


def sweep_reminders(session: Session, now: datetime, *, limit: int = 500,
                    serialize: bool = True, reasons: tuple[ReminderReason, ...] | None = None
                    ) -> SweepResult:
    """Return due pended items, find every due reminder, record it once, notify.

    ``limit`` bounds each finder per sweep, so a backlog (a first sweep over years of imported
    items) is worked off over several sweeps at a bounded cost each. ``serialize`` takes a
    PostgreSQL advisory lock so overlapping sweeps skip rather than queue up; correctness does
    not depend on it.
    """
    result = SweepResult()
    if serialize and not _try_lock(session):
        result.skipped = True
        return result
    today = now.date()
    rules = lead_days(session)
    wanted = set(reasons or R)
    candidates: list[Candidate] = []
    if R.PEND_RETURNED in wanted and rules[R.PEND_RETURNED] is not None:
        returned = _return_pended(session, now, limit)
        result.returned = len(returned)
        candidates += returned
    finders = {
        R.APPEAL_DEADLINE: _appeal_deadlines,
        R.TIMELY_FILING: _timely_filing,
        R.AUTH_EXPIRING: _auth_expiring,
        R.AUTH_UNITS: _auth_units,
        R.INFUSION_NOT_READY: _infusions_not_ready,
        R.OVERDUE: _overdue,
    }
    for reason, finder in finders.items():
        if reason in wanted and rules[reason] is not None:
            found = finder(session, today, rules[reason], limit)
            result.found[reason.value] = len(found)
            candidates += found
    new = _insert_reminders(session, candidates, now)
    result.reminders = len(new)
    unsent = _unsent_reminders(session, today, limit, exclude={r[0] for r in new})
    result.notification_ids = _notify(session, new + unsent, today, now)
    result.notifications = len(result.notification_ids)
    return result


def _try_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: every transaction already holds the write lock (BEGIN IMMEDIATE)
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(_LOCK_KEY))))


def _not_reminded(reason: ReminderReason, due_column):
    return ~exists().where(Reminder.work_item_id == WorkItem.id, Reminder.reason == reason,
                           Reminder.due_on == due_column)


# -- finders ---------------------------------------------------------------------------------

def _return_pended(session: Session, now: datetime, limit: int) -> list[Candidate]:
    due = session.execute(
        select(WorkItem.id, WorkItem.pended_until)
        .where(WorkItem.pended_until.is_not(None), WorkItem.pended_until <= now.date())
        .order_by(WorkItem.id).limit(limit)
    ).all()
    dates = dict(due)
    returned = return_due_pended_items(session, now, limit=limit)
    return [Candidate(item_id, R.PEND_RETURNED, dates.get(item_id, now.date()))
            for item_id in returned]


def _deadline_rows(session: Session, today: date, deadline_kind: str, reason: ReminderReason,
                   days: int, limit: int, *conditions):
    return session.execute(
        select(WorkItem.id, WorkItem.deadline_on, WorkItem.payer_id)
        .where(WorkItem.is_open, WorkItem.deadline_kind == deadline_kind,
               WorkItem.deadline_on >= today, WorkItem.deadline_on <= today + timedelta(days),
               _not_reminded(reason, WorkItem.deadline_on), *conditions)
        .order_by(WorkItem.deadline_on).limit(limit)
    ).all()


def _appeal_deadlines(session, today, days, limit) -> list[Candidate]:
    rows = _deadline_rows(session, today, "appeal", R.APPEAL_DEADLINE, days, limit,
                          WorkItem.status.in_(sorted(APPEAL_NOT_SENT)))
    return [Candidate(i, R.APPEAL_DEADLINE, d) for i, d, _ in rows]


def _timely_filing(session, today, days, limit) -> list[Candidate]:
    rows = _deadline_rows(session, today, "timely_filing", R.TIMELY_FILING, days, limit)
    return [Candidate(i, R.TIMELY_FILING, d) for i, d, _ in rows]


def _auth_expiring(session, today, days, limit) -> list[Candidate]:
    """Re-authorization items whose auth ends within the payer's lead time."""
    leads = dict(session.execute(select(Payer.id, Payer.auth_lead_days)).all())
    widest = max([days, *leads.values()])
    rows = _deadline_rows(session, today, "auth_expiry", R.AUTH_EXPIRING, widest, limit,
                          WorkItem.status.not_in(_CLEARED))
    return [Candidate(i, R.AUTH_EXPIRING, d) for i, d, payer in rows
            if d <= today + timedelta(days=leads.get(payer, days))]


def _auth_units(session, today, _days, limit) -> list[Candidate]:
    """Active auths with at least the payer's warning share of units used, reported on the
    open prior-auth item that tracks the auth (once per auth window)."""
    pct = func.coalesce(Payer.auth_units_warn_pct, DEFAULT_UNITS_WARN_PCT)
    auths = select(Authorization.id, Authorization.end_date).join(
        Coverage, Coverage.id == Authorization.coverage_id).join(
        Payer, Payer.id == Coverage.payer_id).where(
        Authorization.status.in_((AuthorizationStatus.APPROVED,
                                  AuthorizationStatus.PARTIALLY_APPROVED)),
        Authorization.end_date >= today,
        Authorization.authorized_units > 0,
        Authorization.units_used * 100 >= Authorization.authorized_units * pct,
    ).subquery()
    rows = session.execute(
        select(func.min(WorkItem.id), auths.c.end_date)
        .join(auths, auths.c.id == WorkItem.authorization_id)
        .where(WorkItem.is_open, WorkItem.kind == WorkItemKind.PRIOR_AUTH,
               _not_reminded(R.AUTH_UNITS, auths.c.end_date))
        .group_by(auths.c.id, auths.c.end_date).limit(limit)
    ).all()
    return [Candidate(i, R.AUTH_UNITS, d) for i, d in rows]


def _infusions_not_ready(session, today, days, limit) -> list[Candidate]:
    """Eligibility not verified or auth not approved for an infusion within ``days``."""
    rows = _deadline_rows(session, today, "infusion", R.INFUSION_NOT_READY, days, limit,
                          WorkItem.kind.in_((WorkItemKind.ELIGIBILITY, WorkItemKind.PRIOR_AUTH)),
                          WorkItem.status.not_in(_CLEARED))
    return [Candidate(i, R.INFUSION_NOT_READY, d) for i, d, _ in rows]


def _overdue(session, today, days, limit) -> list[Candidate]:
    """Open, not pended, past the team's due date by ``days``: escalated to supervisors."""
    rows = session.execute(
        select(WorkItem.id, WorkItem.due_on)
        .where(WorkItem.is_open, WorkItem.due_on < today - timedelta(days=days),
               WorkItem.pended_until.is_(None), _not_reminded(R.OVERDUE, WorkItem.due_on))
        .order_by(WorkItem.due_on).limit(limit)
    ).all()
    return [Candidate(i, R.OVERDUE, d) for i, d in rows]


# -- recording and notifying -----------------------------------------------------------------

def _insert_reminders(session: Session, candidates: list[Candidate],
                      now: datetime) -> list[tuple]:
    """Insert each (item, reason, due) once; rows a racing sweep already inserted are skipped
    by the unique key. Returns ``(id, work_item_id, reason, due_on)`` of rows inserted here."""
    unique = {(c.work_item_id, c.reason, c.due_on) for c in candidates}
    rows = [{"work_item_id": i, "reason": r.value, "due_on": d, "created_at": now}
            for i, r, d in sorted(unique, key=lambda k: (k[0], k[1].value, k[2]))]
    if not rows:
        return []
    dialect_insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
                      else sqlite.insert)
    table = Reminder.__table__
    stmt = (dialect_insert(table)
            .on_conflict_do_nothing(index_elements=["work_item_id", "reason", "due_on"])
            .returning(table.c.id, table.c.work_item_id, table.c.reason, table.c.due_on))
    # executemany + RETURNING (insertmanyvalues): rows a racing sweep inserted return nothing.
    return [tuple(r) for r in session.connection().execute(stmt, rows).all()]


def _unsent_reminders(session: Session, today: date, limit: int, exclude: set) -> list[tuple]:
    """Reminders recorded earlier that nobody could be told about (no assignee, no supervisor)."""
    rows = session.execute(
        select(Reminder.id, Reminder.work_item_id, Reminder.reason, Reminder.due_on)
        .where(Reminder.sent_at.is_(None), Reminder.due_on >= today - timedelta(days=30))
        .order_by(Reminder.due_on).limit(limit)
    ).all()
    return [tuple(r) for r in rows if r[0] not in exclude]


def _message(reason: ReminderReason, item_id: int, due: date, today: date,
             assignee: str | None) -> str:
    days = (due - today).days
    when = "today" if days == 0 else f"in {days} days" if days > 0 else f"{-days} days ago"
    text = {
        R.PEND_RETURNED: f"Item #{item_id} is back from pending (pended until {due}).",
        R.APPEAL_DEADLINE: f"Appeal deadline for item #{item_id} is {due} ({when}).",
        R.TIMELY_FILING: f"Timely-filing limit for item #{item_id} is {due} ({when}).",
        R.AUTH_EXPIRING: f"The authorization on item #{item_id} expires {due} ({when}); "
                         "start the re-authorization.",
        R.AUTH_UNITS: f"The authorization on item #{item_id} has used most of its units "
                      f"(valid to {due}).",
        R.INFUSION_NOT_READY: f"Infusion on {due} ({when}) for item #{item_id} has no verified "
                              "eligibility or approved authorization yet.",
        R.OVERDUE: f"Item #{item_id} is overdue: it was due {due} ({when}).",
    }[reason]
    if reason == R.OVERDUE:
        text += f" Assigned to {assignee}." if assignee else " Nobody is assigned."
    return text


def _notify(session: Session, reminders: list[tuple], today: date, now: datetime) -> list[int]:
    """Notify each reminder's people, log it on the item, mark it sent; notification ids."""
    if not reminders:
        return []
    item_ids = {r[1] for r in reminders}
    items = {row.id: row for row in session.execute(
        select(WorkItem.id, WorkItem.assignee_id).where(WorkItem.id.in_(item_ids))).all()}
    people = {u.id: u for u in session.execute(
        select(User.id, User.team_id, User.display_name, User.role, User.is_active)).all()}
    supervisors = [u for u in people.values()
                   if u.role == Role.SUPERVISOR and u.is_active]
    notes: list[NewNotification] = []
    activities: list[dict] = []
    sent: list[int] = []
    for reminder_id, item_id, reason, due in reminders:
        reason = R(reason)
        item = items.get(item_id)
        if item is None:
            continue
        assignee = people.get(item.assignee_id) if item.assignee_id else None
        if reason == R.OVERDUE or assignee is None or not assignee.is_active:
            recipients = _supervisors_for(assignee, supervisors)
        else:
            recipients = [assignee.id]
        message = _message(reason, item_id, due, today,
                           assignee.display_name if assignee else None)
        if not recipients:
            continue  # stays unsent; a later sweep retries once someone can be told
        sent.append(reminder_id)
        activities.append({"work_item_id": item_id, "kind": ActivityKind.REMINDER.value,
                           "at": now, "body": message, "data": {"reason": reason.value}})
        notes += [NewNotification(uid, item_id, reason.value, message, reminder_id)
                  for uid in recipients]
    ids = add_notifications(session, notes, now)
    if activities:
        session.execute(Activity.__table__.insert(), activities)
    if sent:
        session.execute(update(Reminder).where(Reminder.id.in_(bindparam("ids", expanding=True)))
                        .values(sent_at=now), {"ids": sent})
    return ids


def _supervisors_for(assignee, supervisors: list) -> list[int]:
    """The assignee's team supervisors, else every supervisor."""
    if assignee is not None and assignee.team_id is not None:
        team = [s.id for s in supervisors if s.team_id == assignee.team_id]
        if team:
            return team
    return [s.id for s in supervisors]


def reminders_by_item(session: Session, item_id: int) -> list[Reminder]:
    return list(session.scalars(select(Reminder).where(Reminder.work_item_id == item_id)
                                .order_by(Reminder.created_at.desc())))

