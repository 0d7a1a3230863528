"""Read models of the working screens: My work, the worklist page, the work-item page.

Each function loads what one screen shows in a fixed number of statements (no lazy loads
from templates), and turns rows into the plain facts the templates print.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from workqueue.domain.deadlines import binding_deadline
from workqueue.domain.roles import can_work_kind, works_every_queue
from workqueue.domain.rules import aging_bucket, priority_parts
from workqueue.domain.status import allowed_targets, is_terminal
from workqueue.models import (
    Activity,
    ActivityKind,
    Claim,
    Denial,
    Patient,
    Payer,
    Queue,
    SavedView,
    User,
    WorkItem,
)
from workqueue.queries import (
    MAX_PAGE_SIZE,
    SORTABLE,
    WorklistFilter,
    WorklistPage,
    count_capped,
    item_timeline,
    open_counts_by_queue,
    queues_for_user,
    worklist,
    worklist_select,
)
from workqueue.services.coding import ItemCoding, coding_view_for_item
from workqueue.services.deadlines import MissedChoice, missed_choices
from workqueue.services.reason_codes import CodeMeaning, describe_codes

# Columns the worklist sorts by beyond queries.SORTABLE: names on the joined rows.
NAME_SORTS = {
    "payer": (Payer, WorkItem.payer_id == Payer.id, Payer.name),
    "assignee": (User, WorkItem.assignee_id == User.id, User.display_name),
    "patient": (Patient, WorkItem.patient_id == Patient.id, Patient.last_name),
}
SORT_KEYS = tuple(SORTABLE) + tuple(NAME_SORTS)


def priority_text(item: WorkItem, today: date) -> list[str]:
    """The parts of the item's priority; a deadline shows only while it binds (one already met,
    such as an appeal submitted in time, no longer ranks the item)."""
    return priority_parts(item.amount, binding_deadline(item.kind, item.status, item.deadline_on),
                          item.deadline_kind, item.created_at.date(), today)


def days_left(item: WorkItem, today: date) -> int | None:
    """Days until the item's team due date (negative: overdue)."""
    return None if item.due_on is None else (item.due_on - today).days


def age_label(item: WorkItem, today: date) -> str:
    start = item.service_date or item.created_at.date()
    return aging_bucket((today - start).days)


# ---------------------------------------------------------------- My work


@dataclass
class MyWork:
    overdue: list[WorkItem] = field(default_factory=list)
    due_today: list[WorkItem] = field(default_factory=list)
    back_today: list[WorkItem] = field(default_factory=list)
    upcoming: list[WorkItem] = field(default_factory=list)
    pended: list[WorkItem] = field(default_factory=list)
    missed: list[WorkItem] = field(default_factory=list)  # deadline passed: waiting for a decision
    queues: list[Queue] = field(default_factory=list)
    counts: dict[int, dict] = field(default_factory=dict)

    @property
    def active_count(self) -> int:
        return len(self.overdue) + len(self.due_today) + len(self.back_today) + len(self.upcoming)


MY_WORK_LIMIT = 500


def my_work(session: Session, user: User, today: date) -> MyWork:
    """The user's open items in the groups they work them in, and the queues they can pull from.

    "Back from pending today" holds items whose pend date has come (before or after the
    sweep returned them): a pend date on or before today, or a pend activity logged today
    on an item that is no longer pended.
    """
    start_of_day = datetime.combine(today, time.min, tzinfo=UTC)
    returned_today = exists().where(
        Activity.work_item_id == WorkItem.id,
        Activity.kind == ActivityKind.PEND,
        Activity.at >= start_of_day,
    )
    back = or_(WorkItem.pended_until <= today,
               and_(WorkItem.pended_until.is_(None), returned_today))
    rows = session.execute(
        select(WorkItem, back.label("back"))
        .where(WorkItem.assignee_id == user.id, WorkItem.is_open)
        .options(joinedload(WorkItem.payer), joinedload(WorkItem.patient))
        .order_by(WorkItem.due_on.asc().nulls_last(), WorkItem.priority_score.desc(),
                  WorkItem.id)
        .limit(MY_WORK_LIMIT)
    ).unique().all()
    work = MyWork()
    for item, is_back in rows:
        if item.pended_until is not None and item.pended_until > today:
            work.pended.append(item)
        elif item.is_deadline_missed:
            work.missed.append(item)
        elif is_back:
            work.back_today.append(item)
        elif item.due_on is not None and item.due_on < today:
            work.overdue.append(item)
        elif item.due_on == today:
            work.due_today.append(item)
        else:
            work.upcoming.append(item)
    work.pended.sort(key=lambda i: (i.pended_until, i.id))
    work.queues = [q for q in queues_for_user(session, user) if _works_queue(user, q)]
    work.counts = open_counts_by_queue(session, work.queues, today)
    return work


def _works_queue(user: User, queue: Queue) -> bool:
    """A queue is worth a Get next button when the user may work some kind it holds."""
    return not queue.kinds or any(can_work_kind(user.role, kind) for kind in queue.kinds)


def may_open_queue(user: User, queue: Queue) -> bool:
    if works_every_queue(user.role):
        return True
    return any(member.id == user.id for member in queue.members)


# ---------------------------------------------------------------- Worklist


def worklist_page(session: Session, f: WorklistFilter, today: date) -> WorklistPage:
    """A page of the worklist, sortable also by payer, assignee or patient name.

    Two statements whatever the page size: the page (rows joined to what they show) and
    the total count.
    """
    if f.sort not in NAME_SORTS:
        return worklist(session, f, today)
    entity, on, column = NAME_SORTS[f.sort]
    base = worklist_select(f, today)
    ordered = column.desc() if f.direction == "desc" else column.asc()
    tiebreak = WorkItem.id.desc() if f.direction == "desc" else WorkItem.id.asc()
    stmt = base.outerjoin(entity, on).order_by(None).order_by(ordered, tiebreak)
    items = list(session.scalars(stmt).unique())
    total, capped = count_capped(session, f, today)
    return WorklistPage(items, total, max(f.page, 1), max(1, min(f.per_page, MAX_PAGE_SIZE)),
                        capped)


def worklist_choices(session: Session, queue: Queue) -> tuple[list[Payer], list[User]]:
    """Payers and active users for the filter and bulk-assign menus (two statements)."""
    payers = list(session.scalars(select(Payer).where(Payer.is_active.is_(True))
                                  .order_by(Payer.name)))
    users = list(session.scalars(select(User).where(User.is_active.is_(True))
                                 .order_by(User.display_name)))
    if queue.kinds:
        users = [u for u in users if any(can_work_kind(u.role, k) for k in queue.kinds)]
    return payers, users


def saved_views_for(session: Session, user: User, queue: Queue) -> list[SavedView]:
    """The user's own views of the queue, then the ones others shared."""
    return list(session.scalars(
        select(SavedView)
        .where(SavedView.queue_id == queue.id,
               or_(SavedView.owner_id == user.id, SavedView.is_shared.is_(True)))
        .options(joinedload(SavedView.owner))
        .order_by((SavedView.owner_id != user.id), SavedView.name)
    ))


# ---------------------------------------------------------------- Work-item page


@dataclass
class ItemPage:
    item: WorkItem
    activities: list[Activity]
    related: list[WorkItem]
    targets: list[str]
    assignable: list[User]
    carcs: list[CodeMeaning]
    rarcs: list[CodeMeaning]
    last_activity_id: int
    coding: ItemCoding | None = None  # the visit's coding check, or billed-vs-recomputed lines
    missed_choices: list[MissedChoice] = field(default_factory=list)  # deadline missed: decide

    @property
    def is_closed(self) -> bool:
        return not self.item.is_open


def load_item_page(session: Session, item_id: int) -> ItemPage | None:
    """Everything the work-item screen shows; None when there is no such item."""
    item = session.scalar(
        select(WorkItem).where(WorkItem.id == item_id)
        .execution_options(populate_existing=True)  # what the database holds now
        .options(
            joinedload(WorkItem.payer), joinedload(WorkItem.assignee),
            joinedload(WorkItem.patient), joinedload(WorkItem.coverage),
            joinedload(WorkItem.authorization),
            joinedload(WorkItem.claim).selectinload(Claim.lines),
            joinedload(WorkItem.denial).joinedload(Denial.claim_line),
        )
    )
    if item is None:
        return None
    activities = item_timeline(session, item.id)
    related = []
    if item.patient_id is not None:
        related = list(session.scalars(
            select(WorkItem)
            .where(WorkItem.patient_id == item.patient_id, WorkItem.id != item.id,
                   WorkItem.is_open)
            .options(joinedload(WorkItem.assignee))
            .order_by(WorkItem.due_on.asc().nulls_last(), WorkItem.id).limit(20)
        ))
    assignable = [
        u for u in session.scalars(select(User).where(User.is_active.is_(True))
                                   .order_by(User.display_name))
        if can_work_kind(u.role, item.kind)
    ]
    targets = [] if is_terminal(item.kind, item.status) else sorted(
        s.value for s in allowed_targets(item.kind, item.status))
    carcs, rarcs = (describe_codes(session, item.denial.carc_codes, item.denial.rarc_codes)
                    if item.denial else ([], []))
    return ItemPage(item, activities, related, targets, assignable, carcs, rarcs,
                    max((a.id for a in activities), default=0),
                    coding_view_for_item(session, item), missed_choices(item))


def activities_since(session: Session, item_id: int, after_id: int) -> list[Activity]:
    """What happened to an item after the user's copy of the page (for a stale save)."""
    return list(session.scalars(
        select(Activity).where(Activity.work_item_id == item_id, Activity.id > after_id)
        .options(selectinload(Activity.actor)).order_by(Activity.id.desc())
    ))


# ---------------------------------------------------------------- presentation facts

_TONES = {
    "new": ("new",),
    "waiting": ("submitted", "pending_payer", "peer_to_peer", "appeal", "appeal_submitted",
                "waiting_payer", "needs_info"),
    "good": ("approved", "partially_approved", "active", "overturned", "resolved_paid"),
    "bad": ("denied", "inactive", "upheld", "resolved_denied", "write_off"),
    "done": ("closed", "cancelled"),
}
STATUS_TONE = {status: tone for tone, statuses in _TONES.items() for status in statuses}


def status_tone(status: str) -> str:
    """The colour family of a status badge: new, waiting, good, bad, done, or working."""
    return STATUS_TONE.get(str(status), "working")


def words(value) -> str:
    """An enum value as words: ``pending_payer`` -> ``Pending payer``."""
    text = str(value or "").replace("_", " ")
    return text[:1].upper() + text[1:]


def short_date(value: date | datetime | None, today: date | None = None) -> str:
    if value is None:
        return "—"
    day = value.date() if isinstance(value, datetime) else value
    if today is not None and day.year == today.year:
        return day.strftime("%b %-d")
    return day.strftime("%b %-d, %Y")
