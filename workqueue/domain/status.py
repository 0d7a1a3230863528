"""Work-item kinds, statuses and the one table of allowed status transitions.

Every status change in the product goes through :func:`check_transition`, called from
``services.work_items.transition_work_item``; nothing else writes ``WorkItem.status``.
"""

from enum import StrEnum

from workqueue.domain.errors import DomainError


class WorkItemKind(StrEnum):
    PRIOR_AUTH = "prior_auth"
    ELIGIBILITY = "eligibility"
    DENIAL = "denial"
    AR_FOLLOWUP = "ar_followup"


class WorkItemStatus(StrEnum):
    NEW = "new"
    # prior_auth
    GATHERING_INFO = "gathering_info"
    SUBMITTED = "submitted"
    PENDING_PAYER = "pending_payer"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    DENIED = "denied"
    PEER_TO_PEER = "peer_to_peer"
    APPEAL = "appeal"
    CANCELLED = "cancelled"
    # eligibility
    VERIFYING = "verifying"
    ACTIVE = "active"
    INACTIVE = "inactive"
    NEEDS_INFO = "needs_info"
    # denial
    TRIAGED = "triaged"
    APPEAL_DRAFTING = "appeal_drafting"
    APPEAL_SUBMITTED = "appeal_submitted"
    OVERTURNED = "overturned"
    UPHELD = "upheld"
    CORRECTED_CLAIM = "corrected_claim"
    WRITE_OFF = "write_off"
    # ar_followup
    IN_PROGRESS = "in_progress"
    WAITING_PAYER = "waiting_payer"
    RESOLVED_PAID = "resolved_paid"
    RESOLVED_DENIED = "resolved_denied"
    # shared end state
    CLOSED = "closed"


K = WorkItemKind
S = WorkItemStatus

_PA_OPEN_TO_CANCEL = {S.CANCELLED}

# Read top to bottom: for each kind, each status and where it may go next.
TRANSITIONS: dict[WorkItemKind, dict[WorkItemStatus, frozenset[WorkItemStatus]]] = {
    K.PRIOR_AUTH: {
        S.NEW: frozenset({S.GATHERING_INFO, S.SUBMITTED, S.CANCELLED}),
        S.GATHERING_INFO: frozenset({S.SUBMITTED, S.CANCELLED}),
        S.SUBMITTED: frozenset(
            {S.PENDING_PAYER, S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.CANCELLED}
        ),
        S.PENDING_PAYER: frozenset(
            {S.GATHERING_INFO, S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.CANCELLED}
        ),
        S.DENIED: frozenset({S.PEER_TO_PEER, S.APPEAL, S.CLOSED, S.CANCELLED}),
        S.PEER_TO_PEER: frozenset(
            {S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.APPEAL, S.CANCELLED}
        ),
        S.APPEAL: frozenset({S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.CANCELLED}),
        S.PARTIALLY_APPROVED: frozenset({S.PEER_TO_PEER, S.APPEAL, S.CLOSED, S.CANCELLED}),
        S.APPROVED: frozenset({S.CLOSED, S.CANCELLED}),
        S.CANCELLED: frozenset(),
        S.CLOSED: frozenset(),
    },
    K.ELIGIBILITY: {
        S.NEW: frozenset({S.VERIFYING, S.CANCELLED}),
        S.VERIFYING: frozenset({S.ACTIVE, S.INACTIVE, S.NEEDS_INFO, S.CANCELLED}),
        S.NEEDS_INFO: frozenset({S.VERIFYING, S.CANCELLED}),
        S.ACTIVE: frozenset({S.CLOSED, S.VERIFYING}),
        S.INACTIVE: frozenset({S.CLOSED, S.VERIFYING}),
        S.CANCELLED: frozenset(),
        S.CLOSED: frozenset(),
    },
    K.DENIAL: {
        S.NEW: frozenset({S.TRIAGED, S.WRITE_OFF}),
        S.TRIAGED: frozenset({S.APPEAL_DRAFTING, S.CORRECTED_CLAIM, S.WRITE_OFF}),
        S.APPEAL_DRAFTING: frozenset({S.APPEAL_SUBMITTED, S.TRIAGED}),
        S.APPEAL_SUBMITTED: frozenset({S.OVERTURNED, S.UPHELD}),
        S.UPHELD: frozenset({S.APPEAL_DRAFTING, S.WRITE_OFF, S.CLOSED}),
        S.OVERTURNED: frozenset({S.CLOSED}),
        S.CORRECTED_CLAIM: frozenset({S.CLOSED, S.TRIAGED}),
        S.WRITE_OFF: frozenset({S.CLOSED}),
        S.CLOSED: frozenset(),
    },
    K.AR_FOLLOWUP: {
        S.NEW: frozenset({S.IN_PROGRESS, S.RESOLVED_PAID, S.WRITE_OFF}),
        S.IN_PROGRESS: frozenset(
            {S.WAITING_PAYER, S.RESOLVED_PAID, S.RESOLVED_DENIED, S.WRITE_OFF}
        ),
        S.WAITING_PAYER: frozenset(
            {S.IN_PROGRESS, S.RESOLVED_PAID, S.RESOLVED_DENIED, S.WRITE_OFF}
        ),
        S.RESOLVED_PAID: frozenset({S.CLOSED}),
        S.RESOLVED_DENIED: frozenset({S.CLOSED}),
        S.WRITE_OFF: frozenset({S.CLOSED}),
        S.CLOSED: frozenset(),
    },
}

# Denial statuses in which the appeal has not gone out yet: a letter may be requested (the
# item moves to drafting) and the appeal deadline still binds.
APPEAL_NOT_SENT: frozenset[WorkItemStatus] = frozenset(
    {S.NEW, S.TRIAGED, S.APPEAL_DRAFTING, S.UPHELD})

# Statuses in which the team waits on someone outside it: the SLA clock does not run.
WAITING_STATUSES: dict[WorkItemKind, frozenset[WorkItemStatus]] = {
    K.PRIOR_AUTH: frozenset({S.SUBMITTED, S.PENDING_PAYER, S.PEER_TO_PEER, S.APPEAL}),
    K.ELIGIBILITY: frozenset(),
    K.DENIAL: frozenset({S.APPEAL_SUBMITTED}),
    K.AR_FOLLOWUP: frozenset({S.WAITING_PAYER}),
}

# What a transition sets in motion; the service layer carries each action out.
FOLLOW_UPS: dict[tuple[WorkItemKind, WorkItemStatus], str] = {
    (K.PRIOR_AUTH, S.SUBMITTED): "expect_payer_decision",
    (K.PRIOR_AUTH, S.PENDING_PAYER): "expect_payer_decision",
    (K.PRIOR_AUTH, S.APPROVED): "schedule_reauthorization",
    (K.PRIOR_AUTH, S.PARTIALLY_APPROVED): "schedule_reauthorization",
    (K.DENIAL, S.APPEAL_SUBMITTED): "expect_appeal_decision",
    (K.DENIAL, S.UPHELD): "open_next_appeal_level",
    (K.AR_FOLLOWUP, S.WAITING_PAYER): "expect_payer_decision",
    (K.AR_FOLLOWUP, S.RESOLVED_DENIED): "spawn_denial",
}


class InvalidTransition(DomainError):
    """A status change the kind's table does not allow."""

    code = "invalid_transition"
    status = 409

    def __init__(self, kind: WorkItemKind, current: WorkItemStatus, target: str):
        self.kind = WorkItemKind(kind)
        self.current = WorkItemStatus(current)
        self.target = target
        self.allowed = sorted(s.value for s in allowed_targets(kind, current))
        allowed = ", ".join(self.allowed) or "none (the item is finished)"
        super().__init__(
            f"A {self.kind.value} item cannot go from {self.current.value} to {target}; "
            f"allowed: {allowed}.",
            {"from": self.current.value, "to": target, "allowed": self.allowed},
        )


def statuses_of(kind: WorkItemKind) -> frozenset[WorkItemStatus]:
    return frozenset(TRANSITIONS[kind])


def allowed_targets(kind: WorkItemKind, current: WorkItemStatus) -> frozenset[WorkItemStatus]:
    return TRANSITIONS[WorkItemKind(kind)].get(WorkItemStatus(current), frozenset())


def check_transition(kind: WorkItemKind, current: WorkItemStatus, target: str) -> WorkItemStatus:
    """Return ``target`` as a status if the table allows it, else raise InvalidTransition."""
    try:
        wanted = WorkItemStatus(target)
    except ValueError:
        raise InvalidTransition(kind, current, target) from None
    if wanted not in allowed_targets(kind, current):
        raise InvalidTransition(kind, current, target)
    return wanted


def is_terminal(kind: WorkItemKind, status: WorkItemStatus) -> bool:
    """A status with no way out: the item is finished."""
    return not TRANSITIONS[WorkItemKind(kind)][WorkItemStatus(status)]


def is_waiting(kind: WorkItemKind, status: WorkItemStatus) -> bool:
    return WorkItemStatus(status) in WAITING_STATUSES[WorkItemKind(kind)]


def initial_status(kind: WorkItemKind) -> WorkItemStatus:
    return WorkItemStatus.NEW
