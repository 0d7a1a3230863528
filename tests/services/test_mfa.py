"""The TOTP second factor in the users service: codes from a real pyotp clock, replay refused,
single-use recovery codes, lock-out, disable and reset."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from tests.factories import make_user
from workqueue.domain.errors import Conflict, ValidationFailed
from workqueue.models.people import RecoveryCode
from workqueue.services import users

NOW = datetime(2026, 11, 28, 9, 0, 10, tzinfo=UTC)  # 10 s into a 30-second step


def _code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def _enrolled(session, now=NOW):
    user = make_user(session)
    secret = users.begin_totp_enrolment(user)
    codes = users.confirm_totp_enrolment(session, user, _code(secret, now), now, fast_hash=True)
    return user, secret, codes


def test_enrolment_keeps_the_pending_secret_until_confirmed(session):
    user = make_user(session)
    secret = users.begin_totp_enrolment(user)
    assert len(pyotp.TOTP(secret).byte_secret()) >= 20  # 160 bits
    assert users.begin_totp_enrolment(user) == secret  # a reload shows the same QR code
    assert not user.has_mfa


def test_enrolment_refuses_a_wrong_code_and_stays_off(session):
    user = make_user(session)
    secret = users.begin_totp_enrolment(user)
    wrong = _code(secret, NOW + timedelta(minutes=5))
    with pytest.raises(ValidationFailed):
        users.confirm_totp_enrolment(session, user, wrong, NOW, fast_hash=True)
    assert not user.has_mfa


def test_confirmed_enrolment_gives_eight_hashed_recovery_codes(session):
    user, secret, codes = _enrolled(session)
    assert user.has_mfa and user.totp_enrolled_at == NOW
    assert len(codes) == 8 and len(set(codes)) == 8
    stored = session.scalars(select(RecoveryCode.code_hash).where(
        RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 8
    assert all(h.startswith("$argon2id$") for h in stored)
    assert not set(codes) & set(stored)
    with pytest.raises(Conflict):
        users.begin_totp_enrolment(user)  # the secret is never handed out again


def test_a_current_code_is_accepted_and_cannot_be_replayed(session):
    user, secret, _ = _enrolled(session)
    later = NOW + timedelta(seconds=60)
    code = _code(secret, later)
    assert users.verify_second_factor(session, user, code, later)
    assert not users.verify_second_factor(session, user, code, later + timedelta(seconds=5))
    # the enrolment code itself is spent too
    assert not users.verify_second_factor(session, user, _code(secret, NOW), NOW)


def test_an_older_step_is_refused_after_a_newer_one(session):
    user, secret, _ = _enrolled(session)
    t = NOW + timedelta(minutes=2)
    assert users.verify_second_factor(session, user, _code(secret, t), t)
    previous = _code(secret, t - timedelta(seconds=30))
    assert not users.verify_second_factor(session, user, previous, t)


def test_one_step_of_clock_drift_is_forgiven_but_not_two(session):
    user, secret, _ = _enrolled(session)
    t = NOW + timedelta(minutes=10)
    assert users.verify_second_factor(session, user, _code(secret, t + timedelta(seconds=30)), t)
    assert not users.verify_second_factor(session, user, _code(secret, t + timedelta(seconds=90)),
                                          t)
    assert not users.verify_second_factor(session, user, _code(secret, t - timedelta(minutes=2)),
                                          t + timedelta(minutes=1))


def test_codes_with_spaces_are_read_and_malformed_ones_refused(session):
    user, secret, _ = _enrolled(session)
    t = NOW + timedelta(minutes=3)
    code = _code(secret, t)
    assert not users.verify_second_factor(session, user, "12345", t)
    assert not users.verify_second_factor(session, user, "abcdef", t)
    assert users.verify_second_factor(session, user, f" {code[:3]} {code[3:]} ", t)


def test_a_recovery_code_works_once(session):
    user, _, codes = _enrolled(session)
    t = NOW + timedelta(minutes=1)
    assert users.verify_second_factor(session, user, codes[3].upper(), t, recovery=True)
    assert users.recovery_codes_left(session, user) == 7
    assert not users.verify_second_factor(session, user, codes[3], t, recovery=True)
    assert users.verify_second_factor(session, user, codes[0].replace("-", ""), t, recovery=True)
    assert users.recovery_codes_left(session, user) == 6


def test_a_recovery_code_is_not_a_totp_code_and_vice_versa(session):
    user, secret, codes = _enrolled(session)
    t = NOW + timedelta(minutes=1)
    assert not users.verify_second_factor(session, user, codes[0], t)
    assert not users.verify_second_factor(session, user, _code(secret, t), t, recovery=True)


def test_five_wrong_codes_lock_the_account_and_then_even_a_right_code_fails(session):
    user, secret, _ = _enrolled(session)
    t = NOW + timedelta(minutes=1)
    for _ in range(users.MAX_FAILED_LOGINS):
        assert not users.verify_second_factor(session, user, "000000", t)
    assert users.is_locked(user, t)
    assert not users.verify_second_factor(session, user, _code(secret, t), t)
    assert users.authenticate(session, user.username, "demo-password-1", t) is None


def test_a_right_password_does_not_clear_wrong_codes_for_an_enrolled_user(session):
    user, _, _ = _enrolled(session)
    t = NOW + timedelta(minutes=1)
    for _ in range(users.MAX_FAILED_LOGINS - 1):
        assert users.authenticate(session, user.username, "demo-password-1", t) is user
        assert not users.verify_second_factor(session, user, "000000", t)
    assert users.authenticate(session, user.username, "demo-password-1", t) is user
    assert not users.verify_second_factor(session, user, "000000", t)
    assert users.is_locked(user, t)


def test_disable_needs_a_current_code(session):
    user, secret, _ = _enrolled(session)
    t = NOW + timedelta(minutes=1)
    with pytest.raises(ValidationFailed):
        users.disable_totp(session, user, "000000", t)
    assert user.has_mfa and user.failed_logins == 1
    users.disable_totp(session, user, _code(secret, t), t)
    assert not user.has_mfa and user.totp_secret is None
    assert users.recovery_codes_left(session, user) == 0


def test_a_role_that_must_use_mfa_cannot_disable_it(session):
    user, secret, _ = _enrolled(session)
    t = NOW + timedelta(minutes=1)
    with pytest.raises(Conflict):
        users.disable_totp(session, user, _code(secret, t), t, (str(user.role),))
    assert user.has_mfa and user.failed_logins == 0


def test_reset_forgets_secret_and_recovery_codes_so_enrolment_starts_afresh(session):
    user, secret, _ = _enrolled(session)
    users.reset_totp(session, user)
    assert not user.has_mfa
    assert session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
    assert users.begin_totp_enrolment(user) != secret


def test_mfa_required_reads_role_names():
    class _U:
        role = "admin"

    assert users.mfa_required(_U(), ("admin", "supervisor"))
    assert not users.mfa_required(_U(), ())
    assert not users.mfa_required(_U(), ("coordinator",))
