"""The audit trail: who read or changed which record, when, from where (HIPAA §164.312(b)).

Services and views call :func:`record` with an :class:`Actor`; the event joins the caller's
transaction, so an audited change and its audit row commit or roll back together.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from workqueue.models import AuditEvent, User


@dataclass(frozen=True)
class Actor:
    """Who is acting and through which channel; built at the edge (view, API, CLI, job)."""

    user_id: int | None
    role: str | None
    channel: str = "web"  # web, api, cli, job
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def for_user(cls, user: User, channel: str = "web", ip: str | None = None,
                 user_agent: str | None = None) -> "Actor":
        return cls(user.id, str(user.role), channel, ip, (user_agent or "")[:200] or None)

    @classmethod
    def system(cls, channel: str = "job") -> "Actor":
        return cls(None, None, channel)


def event_values(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: int | str | None,
    *,
    now: datetime,
    patient_id: int | None = None,
    outcome: str = "success",
    context: str | None = None,
) -> dict:
    """The columns of one audit event (identifiers only, never PHI content).

    :func:`record` adds them as a row; get-next writes them inside its claim statement.
    """
    return {
        "at": now,
        "user_id": actor.user_id,
        "role": actor.role,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "patient_id": patient_id,
        "outcome": outcome,
        "ip": (actor.ip or "")[:45] or None,  # the column holds an IPv6 address; headers lie
        "user_agent": actor.user_agent,
        "channel": actor.channel,
        "context": (context or "")[:200] or None,
    }


def record(session: Session, actor: Actor, action: str, object_type: str,
           object_id: int | str | None, **details) -> AuditEvent:
    """Append one audit event to the caller's transaction (``details``: see event_values)."""
    event = AuditEvent(**event_values(actor, action, object_type, object_id, **details))
    session.add(event)
    return event
