"""Users: creation, password checks with lock-out, API tokens, skills."""

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from workqueue.domain.errors import Conflict, ValidationFailed
from workqueue.domain.roles import Role
from workqueue.models import Skill, SkillKind, User

_HASHER = PasswordHasher()
# Tests and the demo seed hash thousands of times; these parameters are still argon2id.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def hash_password(password: str, fast: bool = False) -> str:
    return (_FAST_HASHER if fast else _HASHER).hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters.",
            {"password": f"at least {MIN_PASSWORD_LENGTH} characters"},
        )


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str | None = None,
    email: str | None = None,
    fast_hash: bool = False,
) -> User:
    """Create a user; raises ValidationFailed on a bad role/password, Conflict if taken."""
    username = username.strip().lower()
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise ValidationFailed(
            "Username must be letters, digits, dots or underscores.", {"username": "invalid"}
        )
    try:
        role_value = Role(role)
    except ValueError:
        raise ValidationFailed(
            f"Unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}.",
            {"role": "unknown"},
        ) from None
    check_password_strength(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"User {username!r} already exists.", {"username": "taken"})
    user = User(
        username=username,
        display_name=display_name or username,
        email=email,
        role=role_value,
        password_hash=hash_password(password, fast_hash),
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str, fast_hash: bool = False) -> None:
    check_password_strength(password)
    user.password_hash = hash_password(password, fast_hash)


def authenticate(session: Session, username: str, password: str, now: datetime) -> User | None:
    """The user if the password matches and the account is usable; counts failures.

    After MAX_FAILED_LOGINS failures the account is locked for LOCKOUT, which slows guessing.
    """
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.is_active:
        _spend_dummy_verify()
        return None
    if user.locked_until is not None and user.locked_until > now:
        return None
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def _spend_dummy_verify() -> None:
    """Spend about the same time on unknown users so timing does not reveal usernames."""
    try:
        _FAST_HASHER.verify(_DUMMY_HASH, "not-the-password")
    except VerificationError:
        pass


_DUMMY_HASH = _FAST_HASHER.hash("dummy-password")


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user: User) -> str:
    """A new bearer token for the API; only its digest is stored, so show it once."""
    token = "wq_" + secrets.token_urlsafe(32)
    user.api_token_hash = _token_digest(token)
    return token


def user_by_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    user = session.scalar(select(User).where(User.api_token_hash == _token_digest(token)))
    return user if user is not None and user.is_active else None


def set_skills(user: User, skills: list[tuple[str, str]]) -> None:
    """Replace the user's skills with ``(kind, value)`` pairs."""
    wanted = {(SkillKind(kind), value.strip()) for kind, value in skills if value.strip()}
    user.skills[:] = [Skill(kind=kind, value=value) for kind, value in sorted(wanted)]
