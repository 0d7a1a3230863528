"""Administration: user accounts, roles, passwords, API tokens, skills and payer rule tables.

Each change is audited; a role change is recorded as a ``permission_change`` so the audit log
answers "who gave whom which access". Numbers are checked here as well as in the forms, so the
CLI and the API get the same refusals.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workqueue.domain.errors import Conflict, ValidationFailed
from workqueue.domain.roles import Role
from workqueue.domain.status import WorkItemKind
from workqueue.models import Payer, PayerType, SkillKind, User
from workqueue.services import audit, users
from workqueue.services.audit import Actor
from workqueue.services.payers import set_appeal_levels

# (field, label, lowest, highest): the payer rule values and their sane ranges.
PAYER_RULE_RANGES: tuple[tuple[str, str, int, int], ...] = (
    ("timely_filing_days", "Timely filing (days)", 1, 3650),
    ("auth_lead_days", "Re-authorization lead time (days)", 0, 365),
    ("auth_turnaround_days", "Authorization turnaround (days)", 1, 180),
    ("reverify_days", "Eligibility re-verification (days)", 1, 365),
    ("auth_units_warn_pct", "Warn when units used reach (%)", 1, 100),
    ("ar_followup_days", "AR follow-up after (days)", 1, 365),
)
APPEAL_LEVEL_RANGE = (1, 5)
WINDOW_RANGE = (1, 3650)
DECISION_RANGE = (1, 365)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed(f"Unknown role {value!r}.", {"role": "unknown"}) from None


def create_account(session: Session, username: str, role: str, password: str, *,
                   display_name: str, email: str | None, actor: Actor, now: datetime,
                   fast_hash: bool = False) -> User:
    """Create a user (``services.users.create_user``) and audit it.

    :raise ValidationFailed, Conflict: bad username/role/password, or the username is taken.
    """
    user = users.create_user(session, username, role, password, display_name=display_name.strip(),
                             email=(email or "").strip() or None, fast_hash=fast_hash)
    audit.record(session, actor, "create", "user", user.id, now=now, context=f"role {user.role}")
    return user


def update_account(session: Session, user: User, *, display_name: str, email: str | None,
                   role: str, is_active: bool, actor: Actor, now: datetime) -> User:
    """Edit a user's name, e-mail, role and active flag.

    :raise ValidationFailed: an unknown role, or an admin removing their own access.
    """
    new_role = _role(role)
    if user.id == actor.user_id and (new_role != Role.ADMIN or not is_active):
        raise ValidationFailed("You cannot take administration away from yourself.",
                               {"role": "self", "is_active": "self"})
    if not display_name.strip():
        raise ValidationFailed("A display name is required.", {"display_name": "required"})
    old_role, was_active = Role(user.role), user.is_active
    user.display_name = display_name.strip()[:120]
    user.email = (email or "").strip() or None
    user.role = new_role
    user.is_active = bool(is_active)
    session.flush()
    audit.record(session, actor, "update", "user", user.id, now=now, context="profile")
    if old_role != new_role or was_active != user.is_active:
        audit.record(session, actor, "permission_change", "user", user.id, now=now,
                     context=f"role {old_role}->{new_role} active {int(was_active)}->"
                             f"{int(user.is_active)}")
    return user


def reset_password(session: Session, user: User, password: str, actor: Actor, now: datetime,
                   fast_hash: bool = False) -> None:
    """Set a new password and lift a lock-out; every session of the user ends (a thief who
    copied a cookie is out with the old password).

    :raise ValidationFailed: the password is too short.
    """
    users.set_password(user, password, fast_hash)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    audit.record(session, actor, "update", "user", user.id, now=now, context="password reset")


def issue_token(session: Session, user: User, actor: Actor, now: datetime) -> str:
    """A new API token for ``user`` (replacing the old one); show it once, it is not stored."""
    token = users.issue_api_token(user)
    session.flush()
    audit.record(session, actor, "permission_change", "user", user.id, now=now,
                 context="api token issued")
    return token


def reset_mfa(session: Session, user: User, actor: Actor, now: datetime) -> None:
    """Forget ``user``'s second factor and recovery codes (a lost phone); they enrol again.
    Every session of the user ends."""
    users.reset_totp(session, user)
    audit.record(session, actor, "mfa_reset", "user", user.id, now=now)


def sign_out_everywhere(session: Session, user: User, actor: Actor, now: datetime) -> None:
    """End every browser session of ``user`` (a lost laptop, a shared screen, a departure),
    the actor's own included when it is theirs. API tokens are revoked separately."""
    users.end_sessions(user)
    session.flush()
    audit.record(session, actor, "sessions_ended", "user", user.id, now=now,
                 context="sign out everywhere")


def revoke_token(session: Session, user: User, actor: Actor, now: datetime) -> bool:
    """Revoke ``user``'s API token: requests with it get 401 from now on. False (and no audit
    event) when there was none to revoke."""
    if not users.revoke_api_token(user):
        return False
    session.flush()
    audit.record(session, actor, "permission_change", "user", user.id, now=now,
                 context="api token revoked")
    return True


def set_user_skills(session: Session, user: User, skills: list[tuple[str, str]], actor: Actor,
                    now: datetime) -> None:
    """Replace a user's skills with ``(kind, value)`` pairs.

    :raise ValidationFailed: an unknown kind, payer, work kind, or a value over 80 characters.
    """
    errors = {}
    for kind, value in skills:
        if kind not in {k.value for k in SkillKind}:
            errors["kind"] = f"Unknown skill kind {kind!r}."
        elif len(value.strip()) > 80:
            errors[kind] = "A skill value is at most 80 characters."
        elif kind == SkillKind.WORK_KIND and value not in {k.value for k in WorkItemKind}:
            errors[kind] = f"Unknown work kind {value!r}."
    payer_ids = {v for k, v in skills if k == SkillKind.PAYER}
    if payer_ids and not all(v.isdigit() for v in payer_ids):
        errors["payer"] = "Payer skills name payers by id."
    elif payer_ids and session.scalar(select(func.count()).where(
            Payer.id.in_([int(v) for v in payer_ids]))) != len(payer_ids):
        errors["payer"] = "Some of the payers do not exist."
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    users.set_skills(user, skills)
    session.flush()
    summary = ";".join(f"{k}={v}" for k, v in sorted(skills))
    audit.record(session, actor, "update", "user", user.id, now=now, context="skills " + summary)


@dataclass(frozen=True)
class AppealLevelRow:
    level: int
    name: str
    window_days: int
    decision_days: int | None = None


def _check_range(errors: dict, field: str, label: str, value, low: int, high: int) -> None:
    if value is None or not isinstance(value, int) or not low <= value <= high:
        errors[field] = f"{label} must be a whole number from {low} to {high}."


def check_payer_rules(values: dict, levels: list[AppealLevelRow]) -> None:
    """Refuse out-of-range numbers, duplicate levels and a gap in the levels.

    A gap (levels 1 and 3, no 2) is refused because an upheld appeal moves to the next level
    by number: level 2 missing would leave that denial with no deadline.

    :raise ValidationFailed: details name the fields (``levels-<i>-<field>`` for level rows).
    """
    errors: dict[str, str] = {}
    for name, label, low, high in PAYER_RULE_RANGES:
        _check_range(errors, name, label, values.get(name), low, high)
    seen: set[int] = set()
    for i, row in enumerate(levels):
        _check_range(errors, f"levels-{i}-level", "Level", row.level, *APPEAL_LEVEL_RANGE)
        _check_range(errors, f"levels-{i}-window_days", "Window", row.window_days, *WINDOW_RANGE)
        if row.decision_days is not None:
            _check_range(errors, f"levels-{i}-decision_days", "Decision time",
                         row.decision_days, *DECISION_RANGE)
        if not row.name.strip() or len(row.name.strip()) > 80:
            errors[f"levels-{i}-name"] = "Each level needs a name of at most 80 characters."
        if row.level in seen:
            errors[f"levels-{i}-level"] = f"Level {row.level} is listed twice."
        seen.add(row.level)
    for i, row in enumerate(levels):
        if f"levels-{i}-level" in errors:  # not a number in range, or listed twice
            continue
        missing = next((n for n in range(1, row.level) if n not in seen), None)
        if missing is not None:
            errors[f"levels-{i}-level"] = (f"Level {row.level} needs level {missing} before "
                                           "it: add that level or renumber this one.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)


def save_payer(session: Session, payer: Payer | None, *, name: str, payer_type: str,
               edi_payer_id: str | None, is_active: bool, rules: dict,
               levels: list[AppealLevelRow] | None, actor: Actor, now: datetime,
               requires_ndc: bool | None = None) -> Payer:
    """Create (``payer`` None) or edit a payer: its identity, rule values and appeal levels.

    ``levels`` None keeps the payer's appeal levels as they are: a save that does not carry
    them (an older page, a client that edits the rule values only) must not delete them, or
    that payer's denials would get no appeal deadline. An empty list removes them all.

    ``requires_ndc``: every drug line needs its NDC (the coding check flags a line without
    one). A new Medicaid payer starts with it on (DOMAIN.md §2.4); None keeps the current
    value.

    :raise ValidationFailed: out-of-range numbers, duplicate levels or a gap in them, unknown
        payer type.
    :raise Conflict: another payer has this name.
    """
    if levels is None:
        levels = [AppealLevelRow(lv.level, lv.name, lv.window_days, lv.decision_days)
                  for lv in (payer.appeal_levels if payer is not None else [])]
    check_payer_rules(rules, levels)
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationFailed("A payer needs a name of at most 120 characters.",
                               {"name": "required"})
    try:
        kind = PayerType(payer_type)
    except ValueError:
        raise ValidationFailed(f"Unknown payer type {payer_type!r}.",
                               {"payer_type": "unknown"}) from None
    other = None if payer is None else payer.id
    if session.scalar(select(Payer.id).where(func.lower(Payer.name) == name.lower(),
                                             Payer.id != other)):
        raise Conflict(f"Another payer is already named {name!r}.", {"name": "taken"})
    if payer is None:
        payer = Payer(name=name, payer_type=kind)
        session.add(payer)
    payer.name, payer.payer_type = name, kind
    payer.edi_payer_id = (edi_payer_id or "").strip() or None
    payer.is_active = bool(is_active)
    if other is None:
        payer.requires_ndc = bool(requires_ndc) or kind is PayerType.MEDICAID
    elif requires_ndc is not None:
        payer.requires_ndc = requires_ndc
    for field, *_ in PAYER_RULE_RANGES:
        setattr(payer, field, rules[field])
    # Drop the old rows first: a new level 1 would collide with the old one in the same flush.
    payer.appeal_levels.clear()
    session.flush()
    set_appeal_levels(session, payer, [(r.level, r.name.strip(), r.window_days, r.decision_days)
                                       for r in levels])
    summary = " ".join(f"{f}={rules[f]}" for f, *_ in PAYER_RULE_RANGES)
    summary += f" requires_ndc={int(payer.requires_ndc)}"
    levels_text = ",".join(f"{r.level}:{r.window_days}" for r in sorted(levels,
                                                                       key=lambda r: r.level))
    audit.record(session, actor, "create" if other is None else "update", "payer", payer.id,
                 now=now, context=f"{summary} levels={levels_text}")
    return payer
