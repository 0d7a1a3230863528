"""Revocable sessions: a session cookie copied while signed in stops working after sign-out,
a password reset, a change of the second factor and "sign out everywhere", and never works
from another browser; API tokens are revoked from the admin page, the account page and the
CLI.

The "thief" is a second test client holding a copy of the victim's cookie, as someone who
copied it from the browser's storage or a proxy log would.
"""

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from tests.conftest import AuthActions, csrf_token_from
from tests.factories import make_user
from workqueue.clock import utcnow
from workqueue.models import AuditEvent
from workqueue.services import users

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Synthetic/1.0"}


def _signed_in(app, user):
    """A browser signed in as ``user`` (through the real form), and its AuthActions."""
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = BROWSER["User-Agent"]
    auth = AuthActions(browser)
    assert auth.login(user.username).status_code == 302
    assert browser.get("/").status_code == 200
    return browser, auth


def _copy_cookie(app, browser, user_agent=BROWSER["User-Agent"]):
    """Another client sending the same session cookie (and, by default, the same browser)."""
    thief = app.test_client()
    thief.environ_base["HTTP_USER_AGENT"] = user_agent
    thief.set_cookie("session", browser.get_cookie("session").value)
    return thief


def _is_signed_out(client) -> bool:
    response = client.get("/")
    return response.status_code == 302 and "/auth/login" in response.headers["Location"]


def _post(client, url, data=None, page="/auth/account"):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={**(data or {}), "csrf_token": token})


def _actions(session, user) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == str(user.id))
        .order_by(AuditEvent.id)))


@pytest.fixture
def victim(session):
    return make_user(session, "coordinator")


@pytest.fixture
def admin_browser(app, session):
    admin = make_user(session, "admin")
    browser, _ = _signed_in(app, admin)
    return browser


def test_a_copied_cookie_works_only_until_the_user_signs_out(app, session, victim):
    browser, auth = _signed_in(app, victim)
    thief = _copy_cookie(app, browser)
    assert thief.get("/").status_code == 200  # the copy is as good as the original...
    browser.post("/auth/logout", data={"csrf_token": auth.csrf("/")})
    assert _is_signed_out(browser)
    assert _is_signed_out(thief)  # ...until sign-out, which ends every copy
    refused = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "session_refused")).one()
    assert (refused.user_id, refused.outcome) == (victim.id, "denied")
    assert "session ended" in refused.context


def test_a_copied_cookie_is_refused_from_another_browser(app, session, victim):
    browser, _ = _signed_in(app, victim)
    thief = _copy_cookie(app, browser, user_agent="curl/8.5.0")
    assert _is_signed_out(thief)
    assert browser.get("/").status_code == 200  # the owner's session is untouched
    refused = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "session_refused")).one()
    assert refused.context == "session cookie sent by another browser"
    assert refused.user_agent == "curl/8.5.0"


def test_an_admin_password_reset_ends_the_users_sessions(app, session, victim, admin_browser):
    browser, _ = _signed_in(app, victim)
    thief = _copy_cookie(app, browser)
    url = f"/admin/users/{victim.id}/password"
    response = _post(admin_browser, url, {"password": "a-new-password-9",
                                          "confirm": "a-new-password-9"},
                     page=f"/admin/users/{victim.id}")
    assert response.status_code == 302
    assert _is_signed_out(browser) and _is_signed_out(thief)
    assert AuthActions(app.test_client()).login(victim.username, "a-new-password-9") \
        .status_code == 302


def test_an_admin_sign_out_everywhere_ends_the_users_sessions(app, session, victim,
                                                              admin_browser):
    browser, _ = _signed_in(app, victim)
    other_computer, _ = _signed_in(app, victim)
    thief = _copy_cookie(app, browser)
    page = admin_browser.get(f"/admin/users/{victim.id}").get_data(as_text=True)
    assert "Sign out everywhere" in page
    response = _post(admin_browser, f"/admin/users/{victim.id}/sign-out",
                     page=f"/admin/users/{victim.id}")
    assert response.status_code == 302
    assert _is_signed_out(browser) and _is_signed_out(other_computer) and _is_signed_out(thief)
    assert admin_browser.get("/admin/users").status_code == 200  # only that user's sessions
    assert "sessions_ended" in _actions(session, victim)


def test_the_users_own_sign_out_everywhere_ends_every_copy(app, session, victim):
    browser, _ = _signed_in(app, victim)
    other_computer, _ = _signed_in(app, victim)
    thief = _copy_cookie(app, browser)
    assert "Sign out everywhere" in browser.get("/auth/account").get_data(as_text=True)
    response = _post(browser, "/auth/account/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert _is_signed_out(browser) and _is_signed_out(other_computer) and _is_signed_out(thief)


def test_turning_on_mfa_ends_other_sessions_but_keeps_the_one_that_did_it(app, session, victim):
    browser, _ = _signed_in(app, victim)
    thief = _copy_cookie(app, browser)
    other_computer, _ = _signed_in(app, victim)
    page = browser.get("/auth/account/mfa")
    secret = users.begin_totp_enrolment(victim)
    session.flush()
    token = csrf_token_from(page.get_data(as_text=True))
    response = browser.post("/auth/account/mfa", data={
        "code": pyotp.TOTP(secret).at(utcnow()), "csrf_token": token})
    assert response.status_code == 200 and "recovery" in response.get_data(as_text=True).lower()
    assert browser.get("/").status_code == 200
    assert _is_signed_out(thief) and _is_signed_out(other_computer)


def _enrolled(session, user) -> str:
    """``user`` set up two-factor authentication two minutes ago; returns the key."""
    then = utcnow() - timedelta(minutes=2)
    secret = users.begin_totp_enrolment(user)
    users.confirm_totp_enrolment(session, user, pyotp.TOTP(secret).at(then), then,
                                 fast_hash=True)
    session.flush()
    return secret


def _signed_in_with_code(app, user, secret):
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = BROWSER["User-Agent"]
    AuthActions(browser).login(user.username)
    code_page = browser.get("/auth/login/code").get_data(as_text=True)
    browser.post("/auth/login/code", data={"code": pyotp.TOTP(secret).at(utcnow()),
                                           "csrf_token": csrf_token_from(code_page)})
    assert browser.get("/").status_code == 200
    return browser


def test_turning_off_mfa_ends_other_sessions(app, session, victim):
    secret = _enrolled(session, victim)
    browser = _signed_in_with_code(app, victim, secret)
    thief = _copy_cookie(app, browser)
    later = utcnow() + timedelta(seconds=31)  # the next code (the last one was spent)
    response = _post(browser, "/auth/account/mfa/disable",
                     {"code": pyotp.TOTP(secret).at(later)})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert browser.get("/").status_code == 200
    assert _is_signed_out(thief)


def test_an_admin_mfa_reset_ends_the_users_sessions(app, session, victim, admin_browser):
    browser = _signed_in_with_code(app, victim, _enrolled(session, victim))
    thief = _copy_cookie(app, browser)
    response = _post(admin_browser, f"/admin/users/{victim.id}/mfa-reset",
                     page=f"/admin/users/{victim.id}")
    assert response.status_code == 302
    assert _is_signed_out(browser) and _is_signed_out(thief)


def test_a_half_finished_mfa_sign_in_cannot_finish_after_a_password_reset(app, session, victim,
                                                                         admin_browser):
    secret = _enrolled(session, victim)
    browser = app.test_client()
    AuthActions(browser).login(victim.username)  # the old password: only half signed in
    code_page = browser.get("/auth/login/code").get_data(as_text=True)
    _post(admin_browser, f"/admin/users/{victim.id}/password",
          {"password": "a-new-password-9", "confirm": "a-new-password-9"},
          page=f"/admin/users/{victim.id}")
    response = browser.post("/auth/login/code", data={
        "code": pyotp.TOTP(secret).at(utcnow()), "csrf_token": csrf_token_from(code_page)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert _is_signed_out(browser)


# --- API tokens -----------------------------------------------------------------------------


def test_an_admin_revokes_an_api_token_and_it_gets_401(app, session, victim, admin_browser):
    token = users.issue_api_token(victim)
    session.flush()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/queues", headers=headers).status_code == 200
    page = admin_browser.get(f"/admin/users/{victim.id}").get_data(as_text=True)
    assert "Revoke the API token" in page
    response = _post(admin_browser, f"/admin/users/{victim.id}/token/revoke",
                     page=f"/admin/users/{victim.id}")
    assert response.status_code == 302
    assert api.get("/api/v1/queues", headers=headers).status_code == 401
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == str(victim.id),
        AuditEvent.context == "api token revoked")).all()
    assert len(events) == 1 and events[0].action == "permission_change"
    assert "Revoke the API token" not in admin_browser.get(
        f"/admin/users/{victim.id}").get_data(as_text=True)


def test_users_revoke_their_own_api_token_from_the_account_page(app, session, victim):
    browser, _ = _signed_in(app, victim)
    assert "Revoke my API token" not in browser.get("/auth/account").get_data(as_text=True)
    token = users.issue_api_token(victim)
    session.flush()
    headers = {"Authorization": f"Bearer {token}"}
    assert "Revoke my API token" in browser.get("/auth/account").get_data(as_text=True)
    response = _post(browser, "/auth/account/token/revoke")
    assert response.status_code == 302
    assert app.test_client().get("/api/v1/queues", headers=headers).status_code == 401
    assert browser.get("/").status_code == 200  # the browser session is not affected
    assert "permission_change" in _actions(session, victim)
