"""Pure rules: deadlines and due dates from payer rules, priority score and its parts, aging.

Every number here is a default a payer's rule row or the priority policy can override; the
functions take the rule values as arguments so they stay pure and testable.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from workqueue.domain.status import WorkItemKind

AGING_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (0, 30, "0-30"),
    (31, 60, "31-60"),
    (61, 90, "61-90"),
    (91, 120, "91-120"),
    (121, None, "121+"),
)


def aging_bucket(age_days: int) -> str:
    """The AR aging bucket label for an age in days (DOMAIN.md §9.1)."""
    for low, high, label in AGING_BUCKETS:
        if age_days >= low and (high is None or age_days <= high):
            return label
    return AGING_BUCKETS[0][2]


def bucket_bounds(label: str) -> tuple[int, int | None]:
    for low, high, name in AGING_BUCKETS:
        if name == label:
            return low, high
    raise ValueError(f"unknown aging bucket {label!r}")


@dataclass(frozen=True)
class PayerRules:
    """The payer rule values deadlines are computed from (a Payer row, as plain data)."""

    timely_filing_days: int = 365
    auth_lead_days: int = 14
    auth_turnaround_days: int = 7
    reverify_days: int = 30
    ar_followup_days: int = 30
    appeal_windows: tuple[tuple[int, int], ...] = ((1, 120),)  # (level, days)

    def appeal_window(self, level: int) -> int | None:
        return dict(self.appeal_windows).get(level)


@dataclass(frozen=True)
class Deadline:
    on: date | None
    kind: str | None  # appeal, timely_filing, infusion, auth_expiry
    due_on: date | None  # the team's own target date


# How many days before the outside deadline the team aims to be done, per kind.
DUE_BUFFER_DAYS: dict[WorkItemKind, int] = {
    WorkItemKind.PRIOR_AUTH: 0,  # the payer turnaround is subtracted instead
    WorkItemKind.ELIGIBILITY: 2,
    WorkItemKind.DENIAL: 7,
    WorkItemKind.AR_FOLLOWUP: 14,
}


def compute_deadline(
    kind: WorkItemKind,
    rules: PayerRules,
    *,
    today: date,
    service_date: date | None = None,
    denied_on: date | None = None,
    appeal_level: int = 1,
    submitted_on: date | None = None,
    auth_end: date | None = None,
) -> Deadline:
    """The binding outside deadline of an item and the team's due date before it."""
    kind = WorkItemKind(kind)
    buffer = timedelta(days=DUE_BUFFER_DAYS[kind])
    if kind is WorkItemKind.DENIAL:
        window = rules.appeal_window(appeal_level)
        if denied_on is None or window is None:
            return Deadline(None, None, today + timedelta(days=14))
        deadline = denied_on + timedelta(days=window)
        return Deadline(deadline, "appeal", max(today, deadline - buffer))
    if kind is WorkItemKind.AR_FOLLOWUP:
        deadline = (
            service_date + timedelta(days=rules.timely_filing_days) if service_date else None
        )
        start = submitted_on or service_date or today
        follow_up = start + timedelta(days=rules.ar_followup_days)
        due = min(follow_up, deadline - buffer) if deadline else follow_up
        return Deadline(deadline, "timely_filing" if deadline else None, max(today, due))
    if kind is WorkItemKind.PRIOR_AUTH:
        if auth_end is not None and (service_date is None or auth_end < service_date):
            due = auth_end - timedelta(days=rules.auth_lead_days)
            return Deadline(auth_end, "auth_expiry", max(today, due))
        if service_date is None:
            return Deadline(None, None, today + timedelta(days=rules.auth_turnaround_days))
        due = service_date - timedelta(days=rules.auth_turnaround_days)
        return Deadline(service_date, "infusion", max(today, due))
    # eligibility: verified before the infusion
    if service_date is None:
        return Deadline(None, None, today + timedelta(days=2))
    return Deadline(service_date, "infusion", max(today, service_date - buffer))


@dataclass(frozen=True)
class PriorityPolicy:
    """Weights of the priority score, in three bands, each measured in days.

    1. An item racing a deadline (its outside deadline still binds: ``domain.deadlines``)
       scores ``dollars_weight * log10(1 + amount) - deadline_ordinal - age_weight * created``.
       Read it as: every tenfold in dollars is worth ``dollars_weight`` days closer to the
       deadline; every day older is worth ``age_weight`` days.
    2. An item with no deadline to race (none, or one already met, such as an appeal submitted
       in time) ranks below all of those, by the same dollars and age terms.
    3. An item that missed its deadline ranks below everything, by dollars and age.

    Only deadlines still ahead rank by closeness, so a deadline that passed 260 days ago never
    outranks an appeal due in 20 days. Every part is a fixed date or amount, so the score orders
    items the same way whatever day it is read: no nightly re-scoring. The one change that time
    brings, a deadline passing, is marked by a sweep (``services.deadlines``), which rescores.
    """

    dollars_weight: float = 10.0
    age_weight: float = 0.25
    # Where bands 2 and 3 start: below any band-1 score (those are minus a few tens of thousands
    # of days for dates this century) and far enough apart that no boost crosses a band.
    no_deadline_floor: float = -100_000.0
    missed_floor: float = -200_000.0


DEFAULT_PRIORITY = PriorityPolicy()
_EPOCH = date(2000, 1, 1)


def priority_score(
    amount: Decimal | float,
    deadline_on: date | None,
    created_on: date,
    override: int = 0,
    policy: PriorityPolicy = DEFAULT_PRIORITY,
    *,
    missed: bool = False,
) -> float:
    """A time-invariant score; higher is more urgent. ``override`` adds whole days of urgency.

    ``deadline_on`` is the deadline the item races (``deadlines.binding_deadline``), None when
    there is none; ``missed`` puts the item in the bottom band (see :class:`PriorityPolicy`).
    """
    dollars = policy.dollars_weight * math.log10(1 + max(float(amount), 0.0))
    age = policy.age_weight * (created_on - _EPOCH).days
    if missed:
        base = policy.missed_floor
    elif deadline_on is None:
        base = policy.no_deadline_floor
    else:
        base = -(deadline_on - _EPOCH).days
    return round(base + dollars - age + override, 4)


# How a deadline reads, by its kind: still ahead ("appeal due" in 6 days), and passed.
_DEADLINE_WORDS = {
    "appeal": ("appeal due", "appeal deadline passed"),
    "late_appeal": ("late appeal due", "late appeal deadline passed"),
    "timely_filing": ("filing limit", "filing limit passed"),
    "infusion": ("infusion", "infusion date passed"),
    "auth_expiry": ("auth expires", "auth expired"),
}


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def deadline_phrase(deadline_on: date, deadline_kind: str | None, today: date) -> str:
    """The deadline in words, never a negative count: "appeal due in 6 days", "appeal due
    today", "appeal deadline passed 260 days ago"."""
    ahead, passed = _DEADLINE_WORDS.get(deadline_kind or "", ("deadline", "deadline passed"))
    days = (deadline_on - today).days
    if days < 0:
        return f"{passed} {_days(-days)} ago"
    if days == 0:
        return f"{ahead} today"
    return f"{ahead} in {_days(days)}"


def priority_parts(
    amount: Decimal | float, deadline_on: date | None, deadline_kind: str | None,
    created_on: date, today: date,
) -> list[str]:
    """The readable parts of the priority: ["$18,400", "appeal due in 6 days", "41 d old"]."""
    parts = [f"${float(amount):,.0f}"]
    if deadline_on is not None:
        parts.append(deadline_phrase(deadline_on, deadline_kind, today))
    parts.append(f"{(today - created_on).days} d old")
    return parts
