"""Users: creation, password checks with lock-out, the TOTP second factor and its recovery
codes, API tokens, skills."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workqueue.domain.errors import Conflict, ValidationFailed
from workqueue.domain.roles import Role
from workqueue.models import Skill, SkillKind, User
from workqueue.models.people import RecoveryCode

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
    """A new password; every session signed in with the old one ends (`end_sessions`)."""
    check_password_strength(password)
    user.password_hash = hash_password(password, fast_hash)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """End every browser session of ``user``, wherever its cookie has been copied to.

    The one place that revokes sessions: a session is signed in under the user's
    ``session_epoch`` (``security.bind_session``) and the user loader refuses a session whose
    epoch is not the user's current one, so bumping it ends them all at their next request.
    Sign-out, a password reset, a change of the second factor and "sign out everywhere" call
    it; a caller that keeps the acting session alive binds it again afterwards.
    """
    user.session_epoch = (user.session_epoch or 0) + 1


def authenticate(session: Session, username: str, password: str, now: datetime) -> User | None:
    """The user if the password matches and the account is usable; counts failures.

    After MAX_FAILED_LOGINS failures the account is locked for LOCKOUT, which slows guessing.
    """
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.is_active:
        _spend_dummy_verify()
        return None
    if is_locked(user, now):
        return None
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        _count_failure(user, now)
        return None
    if user.has_mfa:
        # Half-way: the failure count stands until the second factor passes, or a thief with
        # the password could clear it between guesses at the code.
        return user
    complete_login(user, now)
    return user


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def complete_login(user: User, now: datetime) -> None:
    """Every factor passed: clear the failure count and note the sign-in."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now


def _count_failure(user: User, now: datetime) -> None:
    """A wrong password or code; MAX_FAILED_LOGINS of them lock the account for LOCKOUT."""
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = now + LOCKOUT
        user.failed_logins = 0


def _spend_dummy_verify() -> None:
    """Spend about the same time on unknown users so timing does not reveal usernames."""
    try:
        _FAST_HASHER.verify(_DUMMY_HASH, "not-the-password")
    except VerificationError:
        pass


_DUMMY_HASH = _FAST_HASHER.hash("dummy-password")


# --- TOTP second factor (RFC 6238) -------------------------------------------------------------

TOTP_STEP_SECONDS = 30
# One step either side of now forgives a phone clock that is up to 30 s off.
TOTP_DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 8


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)


def _clean_code(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def begin_totp_enrolment(user: User) -> str:
    """The secret to show for enrolment: the pending one if any, else a new 160-bit one.

    :raise Conflict: the user is already enrolled (the secret is never shown again).
    """
    if user.has_mfa:
        raise Conflict("Two-factor authentication is already set up.", {"mfa": "enrolled"})
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        user.totp_last_step = None
    return user.totp_secret


def totp_qr_svg(user: User, secret: str, issuer: str) -> str:
    """The otpauth:// URI as an inline SVG QR code (no script, no style: fits a strict CSP)."""
    uri = _totp(secret).provisioning_uri(name=user.username, issuer_name=issuer)
    return segno.make(uri, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", svgclass="mfa-qr", lineclass=None,
        title="QR code of your authenticator key")


def _accepted_step(user: User, code: str, now: datetime) -> int | None:
    """The time step ``code`` belongs to, if it is valid now and newer than the last one used."""
    if not user.totp_secret or len(code) != 6 or not code.isdigit():
        return None
    totp = _totp(user.totp_secret)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return None  # replayed: this code (or a later one) was already accepted
            return step
    return None


def confirm_totp_enrolment(session: Session, user: User, code: str, now: datetime,
                           fast_hash: bool = False) -> list[str]:
    """Finish enrolment with a current code; returns the recovery codes (show them once).

    :raise ValidationFailed: the code does not match the pending secret.
    :raise Conflict: no enrolment in progress, or already enrolled.
    """
    if user.has_mfa or not user.totp_secret:
        raise Conflict("There is no two-factor set-up in progress.", {"mfa": "not_pending"})
    step = _accepted_step(user, _clean_code(code), now)
    if step is None:
        raise ValidationFailed("That code does not match. Check the clock of your device and "
                               "type the code it shows now.", {"code": "wrong"})
    user.totp_last_step = step
    user.totp_enrolled_at = now
    end_sessions(user)  # a session from before the second factor must not outlive it
    return replace_recovery_codes(session, user, now, fast_hash)


def replace_recovery_codes(session: Session, user: User, now: datetime,
                           fast_hash: bool = False) -> list[str]:
    """RECOVERY_CODE_COUNT new single-use codes (hashed; returned in clear only here)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]  # 40 bits each
    session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_password(code, fast_hash),
                                 created_at=now) for code in codes)
    session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_left(session: Session, user: User) -> int:
    return len(_unused_recovery_codes(session, user))


def _unused_recovery_codes(session: Session, user: User) -> list[RecoveryCode]:
    return list(session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)).order_by(RecoveryCode.id)))


def verify_second_factor(session: Session, user: User, code: str, now: datetime,
                         *, recovery: bool = False) -> bool:
    """Check a TOTP code (or, with ``recovery``, a recovery code) for an enrolled user.

    A TOTP code is accepted once: its time step is remembered and that step and older ones are
    refused afterwards. A recovery code is spent when it is accepted. A refusal counts toward
    the lock-out like a wrong password; a locked account refuses every code.
    """
    if not user.has_mfa or is_locked(user, now):
        return False
    cleaned = _clean_code(code)
    ok = _spend_recovery_code(session, user, cleaned, now) if recovery else \
        _accept_totp(user, cleaned, now)
    if not ok:
        _count_failure(user, now)
    return ok


def _accept_totp(user: User, code: str, now: datetime) -> bool:
    step = _accepted_step(user, code, now)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def _spend_recovery_code(session: Session, user: User, code: str, now: datetime) -> bool:
    if len(code) != 10:
        return False
    for row in _unused_recovery_codes(session, user):
        try:
            _HASHER.verify(row.code_hash, code)
        except (VerificationError, InvalidHashError):
            continue
        row.used_at = now
        session.flush()
        return True
    return False


def disable_totp(session: Session, user: User, code: str, now: datetime,
                 required_roles=()) -> None:
    """Turn the second factor off; only a current code does it (a wrong one counts as a failure).

    :raise Conflict: the user's role must use a second factor (``required_roles``, the
        MFA_REQUIRED_ROLES setting); the code is not checked then.
    :raise ValidationFailed: the code is wrong.
    """
    if mfa_required(user, required_roles):
        raise Conflict("Your role must use two-factor authentication; it cannot be turned off.",
                       {"mfa": "required"})
    if not verify_second_factor(session, user, code, now):
        raise ValidationFailed("That code does not match; two-factor authentication stays on.",
                               {"code": "wrong"})
    reset_totp(session, user)


def reset_totp(session: Session, user: User) -> None:
    """Forget the secret and the recovery codes (the admin's reset; the next login re-enrols
    when the role requires it)."""
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    end_sessions(user)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


def mfa_required(user: User, required_roles) -> bool:
    """Whether the user's role must have a second factor (MFA_REQUIRED_ROLES)."""
    return str(user.role) in {str(role).strip() for role in required_roles}


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user: User) -> str:
    """A new bearer token for the API; only its digest is stored, so show it once."""
    token = "wq_" + secrets.token_urlsafe(32)
    user.api_token_hash = _token_digest(token)
    return token


def revoke_api_token(user: User) -> bool:
    """Forget the user's API token (the next request with it gets 401); False when there was
    none."""
    had = user.api_token_hash is not None
    user.api_token_hash = None
    return had


def user_by_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    user = session.scalar(select(User).where(User.api_token_hash == _token_digest(token)))
    return user if user is not None and user.is_active else None


def set_skills(user: User, skills: list[tuple[str, str]]) -> None:
    """Replace the user's skills with ``(kind, value)`` pairs."""
    wanted = {(SkillKind(kind), value.strip()) for kind, value in skills if value.strip()}
    user.skills[:] = [Skill(kind=kind, value=value) for kind, value in sorted(wanted)]
