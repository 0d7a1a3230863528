"""Missed outside deadlines: when an item has missed its deadline, and what a person may decide.

**The rule.** An item has *missed its deadline* when its outside deadline (``deadline_on``: the
appeal window, the timely-filing limit, the infusion date, the auth's expiry) is before today
and the item is still in a status that deadline binds (:data:`DEADLINE_BINDS`: the work the
deadline guards, such as filing the appeal, is not done yet). An appeal submitted in time, a
claim the payer is working on, a write-off already decided have no deadline left to miss.
While a deadline binds, the item ranks by its closeness; once met, it no longer counts and the
item ranks by dollars and age (:func:`binding_deadline`).

A missed item is no longer winnable the same way. It leaves Get next, ranks below every live
item in worklists (``rules.priority_score``), and waits in the "Deadline missed" view until a
person decides, through the status table, one of :class:`MissedDecision`:

- **late appeal with good cause** (a reason is required): the item goes back to work towards
  its appeal, with a deadline of its own :data:`GOOD_CAUSE_DAYS` ahead ("late appeal");
- **write-off** (a reason is required);
- **close** (or cancel, for work that never started).

Only the choices the item's kind and status allow are offered (:func:`decisions_for`).
"""

from datetime import date, timedelta
from enum import StrEnum

from workqueue.domain.rules import Deadline
from workqueue.domain.status import (
    APPEAL_NOT_SENT,
    WorkItemKind,
    WorkItemStatus,
    allowed_targets,
)

K = WorkItemKind
S = WorkItemStatus

# Statuses in which an item's outside deadline still binds, per kind. A prior auth binds while
# the payer decides too: the infusion date does not wait for it.
DEADLINE_BINDS: dict[WorkItemKind, frozenset[WorkItemStatus]] = {
    K.PRIOR_AUTH: frozenset({S.NEW, S.GATHERING_INFO, S.SUBMITTED, S.PENDING_PAYER, S.DENIED,
                             S.PEER_TO_PEER, S.APPEAL}),
    K.ELIGIBILITY: frozenset({S.NEW, S.VERIFYING, S.NEEDS_INFO}),
    K.DENIAL: APPEAL_NOT_SENT,
    K.AR_FOLLOWUP: frozenset({S.NEW, S.IN_PROGRESS}),
}

# A late appeal with good cause must go out within this many days (its own deadline), and the
# team aims to send it within the first half of them.
GOOD_CAUSE_DAYS = 14
LATE_APPEAL = "late_appeal"  # the deadline kind a late appeal gets


def missed_cutoff(today: date) -> date:
    """Deadlines before this day are missed; one on this day is still ahead ("due today")."""
    return today


def binding_deadline(kind: WorkItemKind, status: WorkItemStatus,
                     deadline_on: date | None) -> date | None:
    """The outside deadline while it binds, else None: what the priority ranks by. Once the work
    it guards is done (an appeal submitted in time) the item ranks by dollars and age."""
    return deadline_on if WorkItemStatus(status) in DEADLINE_BINDS[WorkItemKind(kind)] else None


def is_deadline_missed(kind: WorkItemKind, status: WorkItemStatus, deadline_on: date | None,
                       today: date) -> bool:
    """The rule of the module docstring: the deadline passed while it still binds."""
    binding = binding_deadline(kind, status, deadline_on)
    return binding is not None and binding < missed_cutoff(today)


class MissedDecision(StrEnum):
    LATE_APPEAL = "late_appeal"
    WRITE_OFF = "write_off"
    CLOSE = "close"


DECISION_LABELS: dict[MissedDecision, str] = {
    MissedDecision.LATE_APPEAL: "Late appeal with good cause",
    MissedDecision.WRITE_OFF: "Write off",
    MissedDecision.CLOSE: "Close",
}
REASON_REQUIRED = frozenset({MissedDecision.LATE_APPEAL, MissedDecision.WRITE_OFF})

# Where each decision takes an item, per kind: the statuses walked in order, an item already
# part-way along starting from where it is. Alternatives are tried in order; a decision is
# offered when the kind's status table allows one of its walks from the item's status.
DECISION_WALKS: dict[MissedDecision, dict[WorkItemKind, tuple[tuple[WorkItemStatus, ...], ...]]] = {
    MissedDecision.LATE_APPEAL: {
        K.DENIAL: ((S.TRIAGED, S.APPEAL_DRAFTING),),
        K.PRIOR_AUTH: ((S.APPEAL,),),
        K.AR_FOLLOWUP: ((S.IN_PROGRESS,),),  # a timely-filing exception: proof, good cause
    },
    MissedDecision.WRITE_OFF: {
        K.DENIAL: ((S.WRITE_OFF,),),
        K.AR_FOLLOWUP: ((S.WRITE_OFF,),),
    },
    MissedDecision.CLOSE: {
        K.PRIOR_AUTH: ((S.CLOSED,), (S.CANCELLED,)),
        K.ELIGIBILITY: ((S.CLOSED,), (S.CANCELLED,)),
        K.DENIAL: ((S.CLOSED,),),
        K.AR_FOLLOWUP: ((S.CLOSED,),),
    },
}


def _walk_from(kind: WorkItemKind, current: WorkItemStatus,
               path: tuple[WorkItemStatus, ...]) -> tuple[WorkItemStatus, ...] | None:
    if current in path:
        steps = path[path.index(current) + 1:]
    else:
        steps = next((path[i:] for i in range(len(path))
                      if path[i] in allowed_targets(kind, current)), None)
        if steps is None:
            return None
    at = current
    for step in steps:
        if step not in allowed_targets(kind, at):
            return None
        at = step
    return steps


def decision_walk(kind: WorkItemKind, status: WorkItemStatus,
                  decision: MissedDecision) -> tuple[WorkItemStatus, ...] | None:
    """The statuses ``decision`` moves an item through from ``status`` (possibly none: a late
    appeal already being drafted), or None when the status table does not allow it."""
    kind, status = WorkItemKind(kind), WorkItemStatus(status)
    for path in DECISION_WALKS[MissedDecision(decision)].get(kind, ()):
        steps = _walk_from(kind, status, path)
        if steps is not None:
            return steps
    return None


def decisions_for(kind: WorkItemKind, status: WorkItemStatus) -> list[MissedDecision]:
    """The decisions offered on a missed item of this kind and status, in display order."""
    return [d for d in MissedDecision if decision_walk(kind, status, d) is not None]


def late_appeal_deadline(today: date) -> Deadline:
    """The deadline a late appeal with good cause is given: its own, GOOD_CAUSE_DAYS ahead."""
    return Deadline(today + timedelta(days=GOOD_CAUSE_DAYS), LATE_APPEAL,
                    today + timedelta(days=GOOD_CAUSE_DAYS // 2))
