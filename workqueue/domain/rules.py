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
    """Weights of the priority score.

    The score is ``dollars_weight * log10(1 + amount) - deadline_ordinal - age_weight * created``
    measured in days, so it orders items the same way whatever day it is read: no nightly
    re-scoring is needed. Read it as: every tenfold in dollars is worth ``dollars_weight`` days
    closer to the deadline; every day older is worth ``age_weight`` days.
    """

    dollars_weight: float = 10.0
    age_weight: float = 0.25
    # Items with no outside deadline are ranked as if it were this far from their creation.
    default_horizon_days: int = 60


DEFAULT_PRIORITY = PriorityPolicy()
_EPOCH = date(2000, 1, 1)


def priority_score(
    amount: Decimal | float,
    deadline_on: date | None,
    created_on: date,
    override: int = 0,
    policy: PriorityPolicy = DEFAULT_PRIORITY,
) -> float:
    """A time-invariant score; higher is more urgent. ``override`` adds whole days of urgency."""
    deadline = deadline_on or created_on + timedelta(days=policy.default_horizon_days)
    dollars = policy.dollars_weight * math.log10(1 + max(float(amount), 0.0))
    return round(
        dollars
        - (deadline - _EPOCH).days
        - policy.age_weight * (created_on - _EPOCH).days
        + override,
        4,
    )


_DEADLINE_WORDS = {
    "appeal": "appeal due",
    "timely_filing": "filing limit",
    "infusion": "infusion",
    "auth_expiry": "auth expires",
}


def priority_parts(
    amount: Decimal | float, deadline_on: date | None, deadline_kind: str | None,
    created_on: date, today: date,
) -> list[str]:
    """The readable parts of the priority: ["$18,400", "appeal due in 6 days", "41 d old"]."""
    parts = [f"${float(amount):,.0f}"]
    if deadline_on is not None:
        label = _DEADLINE_WORDS.get(deadline_kind or "", "deadline")
        days = (deadline_on - today).days
        if days < 0:
            parts.append(f"{label} {-days} d ago")
        elif days == 0:
            parts.append(f"{label} today")
        else:
            parts.append(f"{label} in {days} day{'s' if days != 1 else ''}")
    parts.append(f"{(today - created_on).days} d old")
    return parts
