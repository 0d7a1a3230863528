"""The audit log as people read it: who, what, a link to the object, and the context in words.

Audit rows are append-only and sealed, so they keep the compact context they were written with
("assign 3->7", "status new->triaged", "strategy=round_robin members=3,4"); this module turns it
into words when the page is shown ("assigned to Ruth Kowalski"), looking up the people, queues
and payers a page of events names in three statements at most. A context it does not know is
shown with its underscores and arrows made readable.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from workqueue.domain.deadlines import DECISION_LABELS, MissedDecision
from workqueue.models import AuditEvent, Payer, Queue, User
from workqueue.screens import words

# object_type -> (endpoint, its id argument): the page an event's object is shown on.
OBJECT_PAGES: dict[str, tuple[str, str]] = {
    "work_item": ("work_items.show", "item_id"),
    "letter": ("letters.show", "letter_id"),
    "import_run": ("imports.show", "run_id"),
    "user": ("admin.user_edit", "user_id"),
    "queue": ("admin.queue_edit", "queue_id"),
    "payer": ("admin.payer_edit", "payer_id"),
    "letter_template": ("letters.edit_template", "template_id"),
    "reason_code": ("imports.reason_code_edit", "code_id"),
    "infusion_visit": ("visits.show", "visit_id"),
    "drug_catalog_entry": ("visits.edit_entry", "entry_id"),
}
ACTIONS = {
    "view": "Viewed", "search": "Listed", "create": "Created", "update": "Changed",
    "bulk_create": "Created in bulk", "export": "Exported", "download": "Downloaded",
    "upload": "Uploaded", "import": "Imported", "login": "Signed in",
    "login_failed": "Sign-in refused", "logout": "Signed out",
    "permission_change": "Changed role or access", "mfa_enrol": "Set up two-factor sign-in",
    "mfa_disable": "Turned off two-factor sign-in", "mfa_reset": "Reset two-factor sign-in",
    "mfa_code_refused": "Two-factor code refused", "verify": "Verified", "recode": "Re-coded",
    "complete": "Completed", "access": "Used",
}


@dataclass(frozen=True)
class AuditLine:
    """One audit event as the admin page shows it."""

    event: AuditEvent
    who: str
    action: str
    object_label: str
    object_url: str | None
    context: str


@dataclass
class _Names:
    users: dict[int, str]
    queues: dict[str, str]
    payers: dict[int, str]

    def user(self, value: str) -> str:
        if value in ("None", ""):
            return "nobody"
        return self.users.get(int(value), f"user {value}") if value.isdigit() else value

    def payer(self, value: str) -> str:
        return self.payers.get(int(value), f"payer {value}") if value.isdigit() else value

    def queue(self, slug: str) -> str:
        return self.queues.get(slug, slug)


def audit_lines(session: Session, events: list[tuple[AuditEvent, str | None]]) -> list[AuditLine]:
    """The page's events (with the acting username, as ``reports.audit_events`` returns them)
    in words, with links to their objects."""
    names = _names(session, [event for event, _ in events])
    return [
        AuditLine(event, _who(event, names), ACTIONS.get(event.action, words(event.action)),
                  f"{words(event.object_type)}{f' {event.object_id}' if event.object_id else ''}",
                  _object_url(event), describe_context(event, names))
        for event, _username in events
    ]


def _names(session: Session, events: list[AuditEvent]) -> _Names:
    user_ids: set[int] = {e.user_id for e in events if e.user_id is not None}
    slugs: set[str] = set()
    payer_ids: set[int] = set()
    for event in events:
        context = event.context or ""
        if match := re.match(r"assign (\w*)->(\w*)$", context):
            user_ids |= {int(v) for v in match.groups() if v.isdigit()}
        if match := re.search(r"members=([\d,]*)", context):
            user_ids |= {int(v) for v in match.group(1).split(",") if v}
        if event.object_type == "audit_log":
            user_ids |= {int(v) for k, v in parse_qsl(context) if k == "user_id" and v.isdigit()}
        payer_ids |= {int(v) for v in re.findall(r"payer=(\d+)", context)}
        if match := re.match(r"get next (\S+)$|([\w-]+): \d+ of \d+ rows$", context):
            slugs.add(match.group(1) or match.group(2))
    users = dict(session.execute(select(User.id, User.display_name)
                                 .where(User.id.in_(user_ids))).all()) if user_ids else {}
    queues = dict(session.execute(select(Queue.slug, Queue.name)
                                  .where(Queue.slug.in_(slugs))).all()) if slugs else {}
    payers = dict(session.execute(select(Payer.id, Payer.name)
                                  .where(Payer.id.in_(payer_ids))).all()) if payer_ids else {}
    return _Names(users, queues, payers)


def _who(event: AuditEvent, names: _Names) -> str:
    if event.user_id is None:
        return "System"
    name = names.users.get(event.user_id, f"user {event.user_id}")
    return f"{name} ({words(event.role)})" if event.role else name


def _object_url(event: AuditEvent) -> str | None:
    page = OBJECT_PAGES.get(event.object_type)
    if page is None or not (event.object_id or "").isdigit():
        return None
    endpoint, argument = page
    return url_for(endpoint, **{argument: int(event.object_id)})


def _arrow(text: str) -> str:
    before, _, after = text.partition("->")
    return f"{words(before)} → {words(after)}"


def _role_change(match: re.Match, names: _Names) -> str:
    old, new, was, now = match.groups()
    parts = [f"role {words(old)} → {words(new)}" if old != new else f"role {words(new)}"]
    if was != now:
        parts.append("deactivated" if now == "0" else "reactivated")
    return "; ".join(parts)


def _assignment(match: re.Match, names: _Names) -> str:
    old, new = match.groups()
    if old in ("None", ""):
        return f"assigned to {names.user(new)}"
    return f"reassigned from {names.user(old)} to {names.user(new)}"


_SWITCHES = {"skills": ("not skill-matched", "skill-matched"), "active": ("inactive", "active")}


def _settings(match: re.Match, names: _Names) -> str:
    """``key=value`` pairs (queues, payers, skills) as "key value" phrases."""
    out = []
    for key, value in re.findall(r"(\w+)=(\S*)", match.group(0)):
        if key == "members":
            value = ", ".join(names.user(v) for v in value.split(",") if v) or "none"
        elif key == "payer":
            value = names.payer(value)
        elif key in _SWITCHES and value in ("0", "1"):
            out.append(_SWITCHES[key][value == "1"])
            continue
        elif key == "levels":
            value = ", ".join(f"level {lv} ({days} days)"
                              for lv, _, days in (p.partition(":") for p in value.split(",")))
        out.append(f"{words(key).lower()} {words(value).lower() if key == 'strategy' else value}")
    return ", ".join(out)


def _skills(match: re.Match, names: _Names) -> str:
    pairs = [p.partition("=") for p in match.group(1).split(";") if p]
    return "skills: " + (", ".join(
        f"{words(k).lower()} {names.payer(v) if k == 'payer' else words(v).lower()}"
        for k, _, v in pairs) or "none")


def _filters(query: str, names: _Names) -> str:
    pairs = [(k, names.user(v) if k == "user_id" else v) for k, v in parse_qsl(query)]
    return "filtered by " + ", ".join(f"{words(k.removesuffix('_id')).lower()} {v}"
                                      for k, v in pairs) if pairs else query


def _decision(match: re.Match, names: _Names) -> str:
    try:
        label = DECISION_LABELS[MissedDecision(match.group(1))]
    except ValueError:
        label = words(match.group(1))
    return f"deadline missed: {label.lower()}"


_Rule = tuple[re.Pattern, Callable[[re.Match, _Names], str]]
_RULES: list[_Rule] = [
    (re.compile(r"assign (\w*)->(\w*)$"), _assignment),
    (re.compile(r"status (\w+->\w+)$"), lambda m, n: "status " + _arrow(m.group(1))),
    (re.compile(r"role (\w+)->(\w+) active (\d)->(\d)$"), _role_change),
    (re.compile(r"role (\w+)$"), lambda m, n: f"role {words(m.group(1))}"),
    (re.compile(r"get next (\S+)$"), lambda m, n: f"claimed from {n.queue(m.group(1))} "
                                                  "with Get next"),
    (re.compile(r"([\w-]+): (\d+) of (\d+) rows$"),
     lambda m, n: f"{n.queue(m.group(1))}: {m.group(2)} of {m.group(3)} rows listed"),
    (re.compile(r"edit ([\w,]+)$"),
     lambda m, n: "changed " + ", ".join(words(f).lower() for f in m.group(1).split(","))),
    (re.compile(r"missed deadline: (\w+)$"), _decision),
    (re.compile(r"request level (\d+)$"), lambda m, n: f"asked for the level {m.group(1)} "
                                                       "appeal letter"),
    (re.compile(r"skills (.*)$"), _skills),
    (re.compile(r"(\w+=\S*)( \w+=\S*)*$"), _settings),
]
_PLAIN = {"note": "added a note", "call": "logged a call", "pend": "pended",
          "release": "released to the pool", "finalize": "finalized to PDF",
          "edit draft": "edited the draft", "retry": "generation retried",
          "profile": "profile", "mfa": "with a second factor"}


def describe_context(event: AuditEvent, names: _Names | None = None) -> str:
    """The event's context in words ("" when it has none)."""
    context = (event.context or "").strip()
    if not context:
        return ""
    if context in _PLAIN:
        return _PLAIN[context]
    names = names or _Names({}, {}, {})
    if event.object_type == "audit_log":  # the log's own filters, as a query string
        return _filters(context, names)
    for pattern, describe in _RULES:
        match = pattern.match(context)
        if match:
            return describe(match, names)
    return context.replace("->", " → ").replace("_", " ")
