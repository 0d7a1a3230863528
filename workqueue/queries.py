"""Read-only selects: queue filters, the worklist (filter, sort, page), counts for boards.

Every list query loads what a row shows in a fixed number of statements, whatever the page
size (no N+1): related rows come through ``joinedload`` on many-to-one links.
"""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, joinedload

from workqueue.domain.deadlines import DEADLINE_BINDS, missed_cutoff
from workqueue.domain.roles import works_every_queue
from workqueue.domain.rules import bucket_bounds
from workqueue.models import Activity, InfusionVisit, Payer, Queue, User, WorkItem

SORTABLE = {
    "priority": WorkItem.priority_score,
    "due": WorkItem.due_on,
    "deadline": WorkItem.deadline_on,
    "amount": WorkItem.amount,
    "created": WorkItem.created_at,
    "status": WorkItem.status,
    "kind": WorkItem.kind,
    "service_date": WorkItem.service_date,
    "id": WorkItem.id,
}
DEFAULT_DIRECTION = {"priority": "desc", "amount": "desc"}
MAX_PAGE_SIZE = 200
# Counting every row of a 100,000-item queue costs more than the page itself; past this many a
# worklist says "10,000+" (nobody pages that deep; filters narrow it).
COUNT_CAP = 10_000


def queue_conditions(queue: Queue) -> list[ColumnElement[bool]]:
    """The SQL conditions that make an open item part of ``queue``."""
    conditions: list[ColumnElement[bool]] = [WorkItem.is_open]
    if queue.kinds:
        conditions.append(WorkItem.kind.in_(queue.kinds))
    if queue.payer_ids:
        conditions.append(WorkItem.payer_id.in_(queue.payer_ids))
    if queue.categories:
        conditions.append(WorkItem.category.in_(queue.categories))
    return conditions


def available_conditions(today: date) -> list[ColumnElement[bool]]:
    """Not pended past today: the item is on the active list."""
    return [or_(WorkItem.pended_until.is_(None), WorkItem.pended_until <= today)]


def newly_missed_conditions(today: date) -> list[ColumnElement[bool]]:
    """Open items not yet marked that have missed their deadline: the SQL twin of
    ``domain.deadlines.is_deadline_missed`` (same table, same cutoff), for the sweep."""
    binds = or_(*(and_(WorkItem.kind == kind, WorkItem.status.in_(sorted(statuses)))
                  for kind, statuses in DEADLINE_BINDS.items()))
    return [WorkItem.is_open, ~WorkItem.is_deadline_missed,
            WorkItem.deadline_on < missed_cutoff(today), binds]


def active_queue(session: Session, ref: str | int) -> Queue | None:
    """An active queue by id or slug (the URL and API name queues either way)."""
    queue = None
    if isinstance(ref, int) or (ref.isascii() and ref.isdigit() and len(ref) < 10):
        queue = session.get(Queue, int(ref))
    if queue is None:
        queue = session.scalar(select(Queue).where(Queue.slug == str(ref)))
    return queue if queue is not None and queue.is_active else None


def item_in_queue(item: WorkItem, queue: Queue) -> bool:
    """The Python twin of :func:`queue_conditions` for one loaded item."""
    return (
        item.is_open
        and (not queue.kinds or item.kind in queue.kinds)
        and (not queue.payer_ids or item.payer_id in queue.payer_ids)
        and (not queue.categories or item.category in queue.categories)
    )


@dataclass(frozen=True)
class WorklistFilter:
    """What a worklist shows; every field optional. ``assignee`` is a user id, "none" or None."""

    queue: Queue | None = None
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    payer_ids: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    assignee: int | str | None = None
    due_before: date | None = None
    due_after: date | None = None
    aging_bucket: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    pended: bool | None = False  # False: active only; True: only pended; None: both
    missed: bool | None = None  # False: deadline ahead or met; True: deadline missed; None: both
    include_closed: bool = False
    patient_id: int | None = None
    has_coding_errors: bool = False  # only items whose infusion visit would not bill cleanly
    sort: str = "priority"
    direction: str | None = None
    page: int = 1
    per_page: int = 50
    ids: tuple[int, ...] = field(default=())

    def with_page(self, page: int) -> "WorklistFilter":
        return replace(self, page=page)


def _conditions(f: WorklistFilter, today: date) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = []
    if f.queue is not None:
        cond += queue_conditions(f.queue)
    elif not f.include_closed:
        cond.append(WorkItem.is_open)
    if f.kinds:
        cond.append(WorkItem.kind.in_(f.kinds))
    if f.statuses:
        cond.append(WorkItem.status.in_(f.statuses))
    if f.payer_ids:
        cond.append(WorkItem.payer_id.in_(f.payer_ids))
    if f.categories:
        cond.append(WorkItem.category.in_(f.categories))
    if f.assignee == "none":
        cond.append(WorkItem.assignee_id.is_(None))
    elif f.assignee is not None:
        cond.append(WorkItem.assignee_id == int(f.assignee))
    if f.due_before is not None:
        cond.append(WorkItem.due_on <= f.due_before)
    if f.due_after is not None:
        cond.append(WorkItem.due_on >= f.due_after)
    if f.aging_bucket:
        low, high = bucket_bounds(f.aging_bucket)
        cond.append(WorkItem.service_date <= today - timedelta(days=low))
        if high is not None:
            cond.append(WorkItem.service_date >= today - timedelta(days=high))
    if f.amount_min is not None:
        cond.append(WorkItem.amount >= f.amount_min)
    if f.amount_max is not None:
        cond.append(WorkItem.amount <= f.amount_max)
    if f.pended is False:
        cond += available_conditions(today)
    elif f.pended is True:
        cond.append(WorkItem.pended_until > today)
    if f.missed is False:
        cond.append(~WorkItem.is_deadline_missed)
    elif f.missed is True:
        cond.append(WorkItem.is_deadline_missed)
    if f.patient_id is not None:
        cond.append(WorkItem.patient_id == f.patient_id)
    if f.ids:
        cond.append(WorkItem.id.in_(f.ids))
    if f.has_coding_errors:
        cond += coding_error_conditions()
    return cond or [WorkItem.id.isnot(None)]


def _order_by(f: WorklistFilter):
    column = SORTABLE.get(f.sort, WorkItem.priority_score)
    direction = f.direction or DEFAULT_DIRECTION.get(f.sort, "asc")
    if direction == "desc":
        return [column.desc(), WorkItem.id.desc()]
    return [column.asc(), WorkItem.id.asc()]


def worklist_select(f: WorklistFilter, today: date) -> Select:
    """The page of items (with payer, assignee and patient loaded in the same statement)."""
    per_page = max(1, min(f.per_page, MAX_PAGE_SIZE))
    return (
        select(WorkItem)
        .where(and_(*_conditions(f, today)))
        .options(
            joinedload(WorkItem.payer),
            joinedload(WorkItem.assignee),
            joinedload(WorkItem.patient),
            joinedload(WorkItem.visit),  # the "coding errors" flag on the row
        )
        .order_by(*_order_by(f))
        .limit(per_page)
        .offset((max(f.page, 1) - 1) * per_page)
    )


@dataclass(frozen=True)
class WorklistPage:
    items: list[WorkItem]
    total: int
    page: int
    per_page: int
    is_total_capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def count_capped(session: Session, f: WorklistFilter, today: date) -> tuple[int, bool]:
    """How many items match, counting no further than COUNT_CAP; and whether it stopped there."""
    matching = select(WorkItem.id).where(and_(*_conditions(f, today))).limit(COUNT_CAP + 1)
    total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    return min(total, COUNT_CAP), total > COUNT_CAP


def worklist(session: Session, f: WorklistFilter, today: date) -> WorklistPage:
    """One page of a worklist and the (capped) count matching its filters (two statements)."""
    items = list(session.scalars(worklist_select(f, today)).unique())
    total, capped = count_capped(session, f, today)
    return WorklistPage(items, total, max(f.page, 1), max(1, min(f.per_page, MAX_PAGE_SIZE)),
                        capped)


def item_timeline(session: Session, item_id: int) -> list[Activity]:
    """An item's activities newest first, authors loaded in the same statement."""
    return list(session.scalars(
        select(Activity)
        .where(Activity.work_item_id == item_id)
        .options(joinedload(Activity.actor))
        .order_by(Activity.at.desc(), Activity.id.desc())
    ))


def queues_for_user(session: Session, user: User) -> list[Queue]:
    """Active queues the user is a member of (supervisors and admins see all)."""
    stmt = select(Queue).where(Queue.is_active.is_(True)).order_by(Queue.name)
    if not works_every_queue(user.role):
        stmt = stmt.where(Queue.members.any(User.id == user.id))
    return list(session.scalars(stmt))


def open_counts_by_queue(session: Session, queues: list[Queue], today: date) -> dict[int, dict]:
    """Open, unassigned, overdue and deadline-missed counts per queue, in one statement.

    Queues overlap (they are filters), so one GROUP BY cannot count them: each queue is one
    counting SELECT on its own indexes, joined with UNION ALL into a single round trip.
    """
    if not queues:
        return {}
    branches = [
        select(
            literal(queue.id).label("queue_id"),
            func.count().label("open"),
            func.count().filter(WorkItem.assignee_id.is_(None)).label("unassigned"),
            func.count().filter(WorkItem.due_on < today).label("overdue"),
            func.count().filter(WorkItem.is_deadline_missed).label("missed"),
        ).where(and_(*queue_conditions(queue), *available_conditions(today)))
        for queue in queues
    ]
    statement = branches[0] if len(branches) == 1 else union_all(*branches)
    return {row.queue_id: {"open": row.open, "unassigned": row.unassigned,
                           "overdue": row.overdue, "missed": row.missed}
            for row in session.execute(statement)}


def payers_by_id(session: Session) -> dict[int, Payer]:
    return {p.id: p for p in session.scalars(select(Payer).order_by(Payer.name))}


def coding_error_conditions() -> list[ColumnElement[bool]]:
    """Items whose infusion visit has coding errors: "needs fixing before billing".

    An EXISTS on the visit's primary key per item; added when the filter asks for it.
    """
    return [WorkItem.visit.has(InfusionVisit.has_coding_errors.is_(True))]


def visit_list(session: Session, today: date, days_back: int = 14, days_ahead: int = 14,
               limit: int = 200) -> list:
    """Infusion visits from ``days_back`` ago to ``days_ahead`` ahead, soonest first, patient and
    authorization loaded in the same statement."""
    from workqueue.models import InfusionVisit

    return list(session.scalars(
        select(InfusionVisit)
        .where(InfusionVisit.scheduled_date.between(today - timedelta(days=days_back),
                                                    today + timedelta(days=days_ahead)))
        .options(joinedload(InfusionVisit.patient), joinedload(InfusionVisit.authorization))
        .order_by(InfusionVisit.scheduled_date, InfusionVisit.id)
        .limit(limit)
    ))
