"""Read side of the board and the dashboards: grouped counts and sums, as tables with charts.

Every report is a few aggregate statements (GROUP BY, filtered counts); nothing loops over
work items or claims in Python, so the pages stay fast with hundreds of thousands of rows.
Each report returns :class:`Table` objects: the same numbers feed the HTML table (the text
alternative of the chart), the Chart.js chart and the CSV export.
"""

import csv
import io
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from workqueue.domain.rules import AGING_BUCKETS
from workqueue.domain.status import WorkItemKind
from workqueue.models import (
    Activity,
    ActivityKind,
    AuditEvent,
    Claim,
    ClaimStatus,
    Denial,
    DenialOutcome,
    Payer,
    Queue,
    User,
    WorkItem,
)
from workqueue.queries import available_conditions, open_counts_by_queue, queue_conditions

# Column formats the template and the CSV writer understand.
TEXT, INT, MONEY, PCT, DATE = "text", "int", "money", "pct", "date"

WEEKS_OF_TRENDS = 12
PRODUCTIVITY_DAYS = 14
KPI_WINDOW_DAYS = 90
LISTING_LIMIT = 500
AUDIT_EXPORT_LIMIT = 10_000
# Claims still owed money: the AR the aging report covers.
_AR_STATUSES = (ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED, ClaimStatus.PARTIALLY_PAID,
                ClaimStatus.DENIED)
_WON = (DenialOutcome.OVERTURNED, DenialOutcome.PARTIALLY_OVERTURNED)


@dataclass(frozen=True)
class Column:
    label: str
    format: str = TEXT


@dataclass(frozen=True)
class Chart:
    """What Chart.js draws; ``series`` is ``[(label, values)]`` aligned with ``labels``."""

    type: str  # bar | line
    labels: list[str]
    series: list[tuple[str, list[float]]]
    stacked: bool = False
    horizontal: bool = False

    def as_json(self) -> dict:
        return {
            "type": self.type,
            "labels": self.labels,
            "series": [{"label": name, "data": values} for name, values in self.series],
            "stacked": self.stacked,
            "horizontal": self.horizontal,
        }


@dataclass(frozen=True)
class Table:
    key: str  # stable: the CSV file name and the HTML ids
    title: str
    columns: list[Column]
    rows: list[list]
    chart: Chart | None = None
    note: str = ""
    footer: list | None = None


@dataclass(frozen=True)
class Kpi:
    label: str
    value: float | Decimal | int | None
    format: str
    target: str = ""


@dataclass(frozen=True)
class Report:
    title: str
    tables: list[Table]
    kpis: list[Kpi] = field(default_factory=list)
    intro: str = ""

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _ratio(part, whole) -> float | None:
    return None if not whole else round(float(part) / float(whole) * 100, 1)


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _utc_day(session: Session, column) -> ColumnElement:
    """The UTC calendar day of a timestamp column, on either backend."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)  # SQLite stores naive UTC text


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- the supervisor board -----------------------------------------------------------------


def idle_conditions(now: datetime, idle_hours: int) -> list[ColumnElement[bool]]:
    """A claim (get next) nobody touched for ``idle_hours``: what the idle sweep releases."""
    return [
        WorkItem.is_open,
        WorkItem.claimed_at.is_not(None),
        WorkItem.assignee_id.is_not(None),
        WorkItem.last_touched_at < now - timedelta(hours=idle_hours),
    ]


def load_by_person(session: Session, now: datetime, idle_hours: int) -> Table:
    """Open, overdue, due today, closed today and idle claims per person (one statement)."""
    today = now.date()
    start = _day_start(today)
    active = and_(WorkItem.is_open, *available_conditions(today))
    counts = (
        select(
            WorkItem.assignee_id.label("user_id"),
            func.count().filter(WorkItem.is_open).label("open"),
            func.count().filter(active, WorkItem.due_on < today).label("overdue"),
            func.count().filter(active, WorkItem.due_on == today).label("due_today"),
            func.count().filter(~WorkItem.is_open).label("closed_today"),
            func.count().filter(*idle_conditions(now, idle_hours)).label("idle"),
        )
        .where(WorkItem.assignee_id.is_not(None),
               or_(WorkItem.is_open, WorkItem.closed_at >= start))
        .group_by(WorkItem.assignee_id)
        .subquery()
    )
    rows = session.execute(
        select(User.id, User.display_name, User.role, counts.c.open, counts.c.overdue,
               counts.c.due_today, counts.c.closed_today, counts.c.idle)
        .outerjoin(counts, counts.c.user_id == User.id)
        .where(User.is_active.is_(True),
               or_(User.role != "admin", counts.c.user_id.is_not(None)))
        .order_by(User.display_name, User.id)
    ).all()
    data = [[r.display_name, str(r.role), r.open or 0, r.overdue or 0, r.due_today or 0,
             r.closed_today or 0, r.idle or 0] for r in rows]
    names = [r[0] for r in data]
    return Table(
        "load", "Load per person",
        [Column("Person"), Column("Role"), Column("Open", INT), Column("Overdue", INT),
         Column("Due today", INT), Column("Closed today", INT), Column("Idle claims", INT)],
        data,
        Chart("bar", names, [("Open", [r[2] for r in data]), ("Overdue", [r[3] for r in data]),
                             ("Closed today", [r[5] for r in data])]),
        footer=["Total", "", *[sum(r[i] for r in data) for i in range(2, 7)]],
    )


def unassigned_by_queue(session: Session, today: date) -> tuple[Table, list[Queue]]:
    """Open, unassigned and overdue counts per active queue (``queries.open_counts_by_queue``)."""
    queues = active_queues(session)
    counts = open_counts_by_queue(session, queues, today)
    rows = [[q.name, counts[q.id]["open"], counts[q.id]["unassigned"], counts[q.id]["overdue"],
             str(q.strategy).replace("_", " ")] for q in queues]
    return Table(
        "queues", "Unassigned work per queue",
        [Column("Queue"), Column("Open", INT), Column("Unassigned", INT), Column("Overdue", INT),
         Column("Routing")],
        rows,
        Chart("bar", [r[0] for r in rows], [("Unassigned", [r[2] for r in rows]),
                                            ("Overdue", [r[3] for r in rows])]),
        note="Active list only: items pended past today are not counted.",
    ), queues


@dataclass(frozen=True)
class IdleClaim:
    id: int
    kind: str
    status: str
    amount: Decimal
    assignee: str
    claimed_at: datetime
    last_touched_at: datetime


def idle_claims(session: Session, now: datetime, idle_hours: int,
                limit: int = LISTING_LIMIT) -> list[IdleClaim]:
    """Claimed items nobody touched for ``idle_hours``, longest idle first (no patient data)."""
    rows = session.execute(
        select(WorkItem.id, WorkItem.kind, WorkItem.status, WorkItem.amount, User.display_name,
               WorkItem.claimed_at, WorkItem.last_touched_at)
        .join(User, User.id == WorkItem.assignee_id)
        .where(*idle_conditions(now, idle_hours))
        .order_by(WorkItem.last_touched_at, WorkItem.id)
        .limit(limit)
    ).all()
    return [IdleClaim(r[0], str(r[1]), str(r[2]), r[3], r[4], r[5], r[6]) for r in rows]


def idle_claims_table(claims: list[IdleClaim], now: datetime) -> Table:
    rows = [[c.id, c.kind, c.status, c.assignee, c.claimed_at.strftime("%Y-%m-%d %H:%M"),
             c.last_touched_at.strftime("%Y-%m-%d %H:%M"),
             round((now - c.last_touched_at).total_seconds() / 3600, 1)] for c in claims]
    return Table("idle-claims", "Idle claims",
                 [Column("Item", INT), Column("Kind"), Column("Status"), Column("Claimed by"),
                  Column("Claimed at (UTC)"), Column("Last touched (UTC)"),
                  Column("Idle hours")], rows)


def top_unassigned_ids(session: Session, queue: Queue, kinds: list[str], today: date,
                       limit: int) -> list[int]:
    """The ``limit`` best unassigned, available items of ``queue`` among ``kinds``."""
    return list(session.scalars(
        select(WorkItem.id)
        .where(*queue_conditions(queue), *available_conditions(today),
               WorkItem.assignee_id.is_(None), WorkItem.kind.in_(kinds))
        .order_by(WorkItem.priority_score.desc(), WorkItem.id.desc())
        .limit(limit)
    ))


# --- dashboards -----------------------------------------------------------------------------


def queue_depth(session: Session, now: datetime) -> Report:
    """Open work by kind (assigned, unassigned, overdue, pended) and per queue."""
    today = now.date()
    available = and_(*available_conditions(today))
    rows = session.execute(
        select(
            WorkItem.kind,
            func.count(),
            func.count().filter(WorkItem.assignee_id.is_(None)),
            func.count().filter(available, WorkItem.due_on < today),
            func.count().filter(WorkItem.pended_until > today),
            func.coalesce(func.sum(WorkItem.amount), 0),
        )
        .where(WorkItem.is_open)
        .group_by(WorkItem.kind)
    ).all()
    by_kind = {str(r[0]): r for r in rows}
    data = []
    for kind in WorkItemKind:
        r = by_kind.get(kind.value)
        data.append([kind.value.replace("_", " "), *(r[1:5] if r else (0, 0, 0, 0)),
                     _money(r[5] if r else 0)])
    kinds = Table(
        "depth-by-kind", "Open work by kind",
        [Column("Kind"), Column("Open", INT), Column("Unassigned", INT), Column("Overdue", INT),
         Column("Pended", INT), Column("Dollars at stake", MONEY)],
        data,
        Chart("bar", [r[0] for r in data], [("Open", [r[1] for r in data]),
                                            ("Unassigned", [r[2] for r in data]),
                                            ("Overdue", [r[3] for r in data])]),
        footer=["Total", *[sum(r[i] for r in data) for i in range(1, 5)],
                _money(sum(r[5] for r in data))],
    )
    queues, _ = unassigned_by_queue(session, today)
    return Report("Queue depth", [kinds, queues])


def _bucket_case(column, today: date):
    """The aging bucket label of a date column, as SQL (DOMAIN.md §9.1 buckets)."""
    whens = []
    for _low, high, label in AGING_BUCKETS:
        if high is None:
            continue
        whens.append((column >= today - timedelta(days=high), label))
    return case(*whens, else_=AGING_BUCKETS[-1][2])


def ar_aging(session: Session, now: datetime) -> Report:
    """Open claim balances by payer and aging bucket, aged from the date of service."""
    today = now.date()
    bucket = _bucket_case(Claim.service_from, today).label("bucket")
    rows = session.execute(
        select(Payer.name, bucket, func.count(), func.sum(Claim.balance))
        .join(Payer, Payer.id == Claim.payer_id)
        .where(Claim.balance > 0, Claim.status.in_([s.value for s in _AR_STATUSES]))
        .group_by(Payer.name, bucket)
    ).all()
    labels = [b[2] for b in AGING_BUCKETS]
    zero = Decimal("0.00")
    dollars: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(labels, zero))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(labels, 0))
    for payer, label, count, total in rows:
        dollars[payer][label] = _money(total)
        counts[payer][label] = count
    payers = sorted(dollars)
    money_rows = [[p, *[dollars[p][b] for b in labels], _money(sum(dollars[p].values()))]
                  for p in payers]
    count_rows = [[p, *[counts[p][b] for b in labels], sum(counts[p].values())] for p in payers]
    totals = [_money(sum(r[i] for r in money_rows)) for i in range(1, len(labels) + 2)]
    over_90 = sum(totals[i] for i, b in enumerate(AGING_BUCKETS) if b[0] > 90)
    money_table = Table(
        "aging-dollars", "AR aging by payer (dollars)",
        [Column("Payer"), *[Column(f"{b} days", MONEY) for b in labels], Column("Total", MONEY)],
        money_rows,
        Chart("bar", payers, [(f"{b} days", [float(r[i + 1]) for r in money_rows])
                              for i, b in enumerate(labels)], stacked=True),
        note="Open claim balances aged from the date of service.",
        footer=["Total", *totals],
    )
    count_table = Table(
        "aging-counts", "AR aging by payer (claims)",
        [Column("Payer"), *[Column(f"{b} days", INT) for b in labels], Column("Total", INT)],
        count_rows,
        Chart("bar", payers, [(f"{b} days", [r[i + 1] for r in count_rows])
                              for i, b in enumerate(labels)], stacked=True),
        footer=["Total", *[sum(r[i] for r in count_rows) for i in range(1, len(labels) + 2)]],
    )
    kpis = [Kpi("Total AR", totals[-1], MONEY),
            Kpi("% AR over 90 days", _ratio(over_90, totals[-1]), PCT, "target under 10–15%")]
    return Report("AR aging", [money_table, count_table], kpis)


def sla_breaches(session: Session, now: datetime, limit: int = LISTING_LIMIT) -> Report:
    """Open items on the active list past their due date: by kind, by person, and the list."""
    today = now.date()
    breach = and_(WorkItem.is_open, *available_conditions(today),
                  WorkItem.due_on < today)
    by_kind = dict(session.execute(
        select(WorkItem.kind, func.count()).where(breach).group_by(WorkItem.kind)).all())
    kind_rows = [[k.value.replace("_", " "), by_kind.get(k.value, 0)] for k in WorkItemKind]
    person_rows = [[name or "(unassigned)", count] for name, count in session.execute(
        select(User.display_name, func.count())
        .select_from(WorkItem).outerjoin(User, User.id == WorkItem.assignee_id)
        .where(breach).group_by(User.display_name).order_by(func.count().desc())).all()]
    items = session.execute(
        select(WorkItem.id, WorkItem.kind, WorkItem.status, Payer.name, User.display_name,
               WorkItem.due_on, WorkItem.deadline_on, WorkItem.amount)
        .outerjoin(Payer, Payer.id == WorkItem.payer_id)
        .outerjoin(User, User.id == WorkItem.assignee_id)
        .where(breach).order_by(WorkItem.due_on, WorkItem.id).limit(limit)
    ).all()
    list_rows = [[r[0], str(r[1]), str(r[2]), r[3] or "", r[4] or "(unassigned)", r[5],
                  (today - r[5]).days, r[6], _money(r[7])] for r in items]
    return Report("SLA breaches", [
        Table("breaches-by-kind", "Past due by kind", [Column("Kind"), Column("Past due", INT)],
              kind_rows, Chart("bar", [r[0] for r in kind_rows],
                               [("Past due", [r[1] for r in kind_rows])]),
              footer=["Total", sum(r[1] for r in kind_rows)]),
        Table("breaches-by-person", "Past due by person",
              [Column("Person"), Column("Past due", INT)], person_rows,
              Chart("bar", [r[0] for r in person_rows],
                    [("Past due", [r[1] for r in person_rows])], horizontal=True)),
        Table("breaches", f"Past-due items (most overdue first, up to {limit})",
              [Column("Item", INT), Column("Kind"), Column("Status"), Column("Payer"),
               Column("Assignee"), Column("Due", DATE), Column("Days over", INT),
               Column("Outside deadline", DATE), Column("Amount", MONEY)], list_rows),
    ], intro="Open items on the active list whose team due date has passed; pended items "
             "wait on someone outside the team and are not counted.")


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def denial_trends(session: Session, now: datetime, weeks: int = WEEKS_OF_TRENDS) -> Report:
    """Denials per week by category and CARC, preventable share, overturn rate, recoveries."""
    today = now.date()
    since = _week_start(today) - timedelta(weeks=weeks - 1)
    week_labels = [(since + timedelta(weeks=i)).isoformat() for i in range(weeks)]
    in_window = Denial.denied_on >= since
    # One row per (day, category): at most 7 * weeks * categories rows, binned into weeks here.
    per_day = session.execute(
        select(Denial.denied_on, Denial.category, func.count())
        .where(in_window).group_by(Denial.denied_on, Denial.category)
    ).all()
    weekly: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(week_labels, 0))
    for day, category, count in per_day:
        weekly[str(category)][_week_start(_as_date(day)).isoformat()] += count
    categories = sorted(weekly)
    week_rows = [[c, *[weekly[c][w] for w in week_labels], sum(weekly[c].values())]
                 for c in categories]
    trend = Table(
        "denials-weekly", f"Denials per week by category (last {weeks} weeks)",
        [Column("Category"), *[Column(f"Week of {w}", INT) for w in week_labels],
         Column("Total", INT)],
        week_rows,
        Chart("line", week_labels, [(c, [weekly[c][w] for w in week_labels])
                                    for c in categories]),
        footer=["Total", *[sum(r[i] for r in week_rows) for i in range(1, weeks + 2)]],
    )
    won = func.count().filter(Denial.outcome.in_([o.value for o in _WON]))
    decided = func.count().filter(Denial.outcome.is_not(None))
    cat_rows_raw = session.execute(
        select(Denial.category, func.count(), func.sum(Denial.amount),
               func.count().filter(Denial.is_preventable.is_(True)),
               decided, won, func.coalesce(func.sum(Denial.recovered_amount), 0))
        .where(in_window).group_by(Denial.category).order_by(Denial.category)
    ).all()
    cat_rows = [[str(c), n, _money(amt), prev, _ratio(prev, n), dec, w, _ratio(w, dec),
                 _money(rec)] for c, n, amt, prev, dec, w, rec in cat_rows_raw]
    by_category = Table(
        "denials-by-category", "Denials, preventable share and appeal outcomes by category",
        [Column("Category"), Column("Denials", INT), Column("Amount", MONEY),
         Column("Preventable", INT), Column("Preventable %", PCT), Column("Decided appeals", INT),
         Column("Overturned", INT), Column("Overturn rate", PCT), Column("Recovered", MONEY)],
        cat_rows,
        Chart("bar", [r[0] for r in cat_rows], [("Denials", [r[1] for r in cat_rows]),
                                                ("Preventable", [r[3] for r in cat_rows]),
                                                ("Overturned", [r[6] for r in cat_rows])]),
    )
    # Group by the stored code list, then by its first (primary) code: few distinct values.
    carc_counts: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    for codes, count, amount in session.execute(
        select(Denial.carc_codes, func.count(), func.sum(Denial.amount))
        .where(in_window).group_by(Denial.carc_codes)
    ).all():
        primary = (codes or "").split(",")[0].strip() or "(none)"
        carc_counts[primary][0] += count
        carc_counts[primary][1] += _money(amount)
    carc_rows = sorted(([code, c, _money(a)] for code, (c, a) in carc_counts.items()),
                       key=lambda r: (-r[1], r[0]))
    by_carc = Table(
        "denials-by-carc", "Denials by primary CARC",
        [Column("CARC"), Column("Denials", INT), Column("Amount", MONEY)], carc_rows,
        Chart("bar", [r[0] for r in carc_rows], [("Denials", [r[1] for r in carc_rows])]),
    )
    total = sum(r[1] for r in cat_rows)
    kpis = [
        Kpi("Denials", total, INT),
        Kpi("Preventable share", _ratio(sum(r[3] for r in cat_rows), total), PCT),
        Kpi("Appeal overturn rate", _ratio(sum(r[6] for r in cat_rows),
                                           sum(r[5] for r in cat_rows)), PCT),
        Kpi("Recovered", _money(sum(r[8] for r in cat_rows)), MONEY),
    ]
    return Report(f"Denial trends since {since.isoformat()}", [trend, by_category, by_carc],
                  kpis, intro="Denials by the date the payer denied them.")


def productivity(session: Session, now: datetime, days: int = PRODUCTIVITY_DAYS) -> Report:
    """Items closed, status changes and calls per person over the last ``days`` days.

    Two grouped statements (activities and closed items, each by person and UTC day); the
    per-person totals and the team's days are sums over those few rows.
    """
    since_day = now.date() - timedelta(days=days - 1)
    since = _day_start(since_day)
    day = _utc_day(session, Activity.at).label("day")
    acted = session.execute(
        select(Activity.actor_id, day,
               func.count().filter(Activity.kind == ActivityKind.STATUS_CHANGE.value),
               func.count().filter(Activity.kind == ActivityKind.CALL.value),
               func.count().filter(Activity.kind == ActivityKind.NOTE.value))
        .where(Activity.at >= since, Activity.actor_id.is_not(None))
        .group_by(Activity.actor_id, day)).all()
    closed_day = _utc_day(session, WorkItem.closed_at).label("day")
    closed = session.execute(
        select(WorkItem.assignee_id, closed_day, func.count())
        .where(WorkItem.closed_at >= since, WorkItem.assignee_id.is_not(None))
        .group_by(WorkItem.assignee_id, closed_day)).all()
    # per person: closed, changes, calls, notes
    person: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    team: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])  # closed, changes, calls
    for uid, d, changes, calls, notes in acted:
        totals = person[uid]
        totals[1] += changes
        totals[2] += calls
        totals[3] += notes
        team[_as_date(d)][1] += changes
        team[_as_date(d)][2] += calls
    for uid, d, count in closed:
        person[uid][0] += count
        team[_as_date(d)][0] += count
    names = dict(session.execute(
        select(User.id, User.display_name).where(User.id.in_(list(person)))).all())
    rows = sorted(([names.get(uid, f"user {uid}"), *t, round(t[0] / days, 1),
                    round(t[1] / days, 1), round(t[2] / days, 1)] for uid, t in person.items()),
                  key=lambda r: r[0])
    people = Table(
        "productivity", f"Per person, last {days} days",
        [Column("Person"), Column("Items closed", INT), Column("Status changes", INT),
         Column("Calls logged", INT), Column("Notes", INT), Column("Closed per day"),
         Column("Changes per day"), Column("Calls per day")],
        rows,
        Chart("bar", [r[0] for r in rows], [("Items closed", [r[1] for r in rows]),
                                            ("Status changes", [r[2] for r in rows]),
                                            ("Calls logged", [r[3] for r in rows])]),
    )
    labels = [since_day + timedelta(days=i) for i in range(days)]
    day_rows = [[d, *team.get(d, (0, 0, 0))] for d in labels]
    daily = Table(
        "productivity-daily", "Team per day",
        [Column("Day", DATE), Column("Items closed", INT), Column("Status changes", INT),
         Column("Calls logged", INT)],
        day_rows,
        Chart("line", [d.isoformat() for d in labels],
              [("Items closed", [r[1] for r in day_rows]),
               ("Status changes", [r[2] for r in day_rows]),
               ("Calls logged", [r[3] for r in day_rows])]),
    )
    return Report("Productivity", [people, daily],
                  intro="Counted from the activity timeline (UTC days). Items closed are "
                        "credited to their assignee.")


def overview(session: Session, now: datetime, days: int = KPI_WINDOW_DAYS) -> Report:
    """The KPIs of DOMAIN.md §9.1 the data allows, over the last ``days`` days."""
    today = now.date()
    since = today - timedelta(days=days)
    denied_claim = select(Denial.claim_id).where(Denial.claim_id == Claim.id).exists()
    submitted = session.execute(
        select(func.count(), func.coalesce(func.sum(Claim.billed_amount), 0),
               func.count().filter(denied_claim),
               func.coalesce(func.sum(Claim.billed_amount).filter(denied_claim), 0))
        .where(Claim.submitted_on >= since)
    ).one()
    outcomes = session.execute(
        select(func.count().filter(Denial.outcome.is_not(None)),
               func.count().filter(Denial.outcome.in_([o.value for o in _WON])),
               func.coalesce(func.sum(Denial.recovered_amount), 0),
               func.count(), func.count().filter(Denial.is_preventable.is_(True)))
        .where(Denial.denied_on >= since)
    ).one()
    aging = ar_aging(session, now)
    depth = queue_depth(session, now)
    breaches = session.scalar(
        select(func.count()).where(WorkItem.is_open, *available_conditions(today),
                                   WorkItem.due_on < today))
    missed = session.scalar(select(func.count()).where(WorkItem.is_open,
                                                       WorkItem.is_deadline_missed))
    kpis = [
        Kpi("Denial rate (claims)", _ratio(submitted[2], submitted[0]), PCT, "good under 5%"),
        Kpi("Denial rate (dollars)", _ratio(submitted[3], submitted[1]), PCT, "good under 5%"),
        *aging.kpis,
        Kpi("Appeal overturn rate", _ratio(outcomes[1], outcomes[0]), PCT),
        Kpi("Recovered on appeal", _money(outcomes[2]), MONEY),
        Kpi("Preventable denials", _ratio(outcomes[4], outcomes[3]), PCT),
        Kpi("Open items past due", breaches or 0, INT),
        Kpi("Deadlines missed, awaiting a decision", missed or 0, INT),
    ]
    return Report("Overview", [depth.tables[0], aging.tables[0]], kpis,
                  intro=f"Rates over claims submitted and denials received in the last {days} "
                        "days; AR and open work as of now.")


REPORTS = {
    "overview": overview,
    "queues": queue_depth,
    "aging": ar_aging,
    "sla": sla_breaches,
    "denials": denial_trends,
    "productivity": productivity,
}
REPORT_TITLES = {
    "overview": "Overview",
    "queues": "Queue depth",
    "aging": "AR aging",
    "sla": "SLA breaches",
    "denials": "Denial trends",
    "productivity": "Productivity",
}


# --- audit log ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    patient_id: int | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    per_page: int = 100


@dataclass(frozen=True)
class AuditPage:
    events: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _audit_conditions(f: AuditFilter) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = []
    if f.user_id is not None:
        cond.append(AuditEvent.user_id == f.user_id)
    if f.patient_id is not None:
        cond.append(AuditEvent.patient_id == f.patient_id)
    if f.action:
        cond.append(AuditEvent.action == f.action)
    if f.date_from is not None:
        cond.append(AuditEvent.at >= _day_start(f.date_from))
    if f.date_to is not None and f.date_to < date.max:  # 9999-12-31: no end at all
        cond.append(AuditEvent.at < _day_start(f.date_to + timedelta(days=1)))
    return cond


def audit_events(session: Session, f: AuditFilter) -> AuditPage:
    """One page of audit events, newest first, with who did it (two statements)."""
    cond = _audit_conditions(f)
    rows = session.execute(
        select(AuditEvent, User.username)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(*cond)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(f.per_page).offset((max(f.page, 1) - 1) * f.per_page)
    ).all()
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*cond)) or 0
    return AuditPage(list(rows), total, max(f.page, 1), f.per_page)


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def audit_table(page: AuditPage) -> Table:
    rows = [[e.at.strftime("%Y-%m-%d %H:%M:%S"), username or "(system)", e.role or "", e.action,
             e.object_type, e.object_id or "", e.patient_id or "", e.outcome, e.channel,
             e.ip or "", e.context or ""] for e, username in page.events]
    return Table("audit", "Audit log",
                 [Column("At (UTC)"), Column("User"), Column("Role"), Column("Action"),
                  Column("Object"), Column("Id"), Column("Patient id"), Column("Outcome"),
                  Column("Channel"), Column("IP"), Column("Context")], rows)


# --- lookups for the board's and admin's choice lists ----------------------------------------


def assignable_people(session: Session) -> list[User]:
    """Active users who work items (admins excluded), by name."""
    return list(session.scalars(
        select(User).where(User.is_active.is_(True), User.role != "admin")
        .order_by(User.display_name, User.id)))


def active_queues(session: Session) -> list[Queue]:
    return list(session.scalars(
        select(Queue).where(Queue.is_active.is_(True)).order_by(Queue.name, Queue.id)))


# --- CSV --------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    # A cell a spreadsheet would run as a formula is quoted with a leading apostrophe.
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_START) else text


def table_csv(table: Table) -> str:
    """The table as CSV text: a header row of column labels, then the rows, then the footer."""
    return "".join(csv_lines([c.label for c in table.columns],
                             table.rows + ([table.footer] if table.footer else [])))


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text line by line (a download streamed from a query holds one row at a time);
    cells a spreadsheet would run as formulas are defused."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in itertools.chain([header], rows):
        writer.writerow([_csv_cell(v) for v in row])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.is_active.desc(), User.username)))


def all_payers(session: Session) -> list[Payer]:
    return list(session.scalars(
        select(Payer).options(selectinload(Payer.appeal_levels)).order_by(Payer.name)))


def all_queues(session: Session) -> list[Queue]:
    return list(session.scalars(
        select(Queue).options(selectinload(Queue.members))
        .order_by(Queue.is_active.desc(), Queue.name)))
