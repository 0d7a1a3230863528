"""Two-factor sign-in through the real forms: the half-signed-in state, codes, recovery codes,
enrolment from the account page, turning it off, the admin's reset, required roles, lock-out."""

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.factories import make_user
from workqueue.clock import utcnow
from workqueue.models import AuditEvent
from workqueue.services import users


def _enrol(session, user) -> tuple[str, list[str]]:
    """Enrolled two minutes ago, so the codes of now are fresh."""
    then = utcnow() - timedelta(minutes=2)
    secret = users.begin_totp_enrolment(user)
    codes = users.confirm_totp_enrolment(session, user, pyotp.TOTP(secret).at(then), then,
                                         fast_hash=True)
    session.flush()
    return secret, codes


def _post(client, url, data, page=None):
    token = csrf_token_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def _actions(session, user) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == str(user.id))
        .order_by(AuditEvent.id)))


@pytest.fixture
def enrolled(session):
    user = make_user(session, "coordinator")
    secret, codes = _enrol(session, user)
    return user, secret, codes


def test_a_user_without_mfa_signs_in_with_the_password_alone(session, client, auth):
    user = make_user(session, "coordinator")
    response = auth.login(user.username)
    assert response.status_code == 302 and "/auth/login/code" not in response.headers["Location"]
    assert client.get("/").status_code == 200


def test_the_password_leads_only_to_the_code_form(session, client, auth, enrolled):
    user, _, _ = enrolled
    response = auth.login(user.username)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login/code")
    for page in ("/", "/auth/account", "/admin/users", "/notifications/settings"):
        blocked = client.get(page)
        assert blocked.status_code == 302, page
        assert "/auth/login" in blocked.headers["Location"]
        assert "/auth/login/code" not in blocked.headers["Location"]
    form = client.get("/auth/login/code")
    assert form.status_code == 200
    assert "login" not in _actions(session, user)  # not signed in yet


def test_the_code_form_is_keyboard_and_autofill_friendly(session, client, auth, enrolled):
    auth.login(enrolled[0].username)
    html = client.get("/auth/login/code").get_data(as_text=True)
    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", html).group(0)
    assert 'autocomplete="one-time-code"' in field
    assert 'inputmode="numeric"' in field
    assert 'id="code"' in field and '<label for="code"' in html
    assert "<script" not in html.split("</nav>")[-1]  # no inline script in the page body
    assert re.search(r'<button type="submit"[^>]*>Verify</button>', html)


def test_a_right_code_signs_in_and_goes_where_the_user_was_going(session, client, enrolled):
    user, secret, _ = enrolled
    login = _post(client, "/auth/login?next=/notifications/settings",
                  {"username": user.username, "password": "demo-password-1"}, "/auth/login")
    assert login.headers["Location"].endswith("/auth/login/code")
    response = _post(client, "/auth/login/code", {"code": pyotp.TOTP(secret).at(utcnow())})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/notifications/settings")
    assert client.get("/").status_code == 200
    assert client.get("/auth/login/code").status_code == 302  # the half state is gone
    assert _actions(session, user)[-2:] == ["mfa_code_ok", "login"]
    session.refresh(user)
    assert user.last_login_at is not None


def test_a_wrong_code_is_refused_audited_and_keeps_the_user_out(session, client, auth, enrolled):
    user, _, _ = enrolled
    auth.login(user.username)
    response = _post(client, "/auth/login/code", {"code": "000000"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "That code is not right" in html and 'aria-invalid="true"' in html
    assert client.get("/").status_code == 302
    refused = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "mfa_code_refused")).one()
    assert refused.outcome == "denied" and refused.object_id == str(user.id)
    assert refused.context == "totp"


def test_a_code_cannot_be_replayed_for_a_second_sign_in(session, client, auth, enrolled):
    user, secret, _ = enrolled
    code = pyotp.TOTP(secret).at(utcnow())
    auth.login(user.username)
    assert _post(client, "/auth/login/code", {"code": code}).status_code == 302
    client.post("/auth/logout", data={"csrf_token": auth.csrf("/")})
    auth.login(user.username)
    assert _post(client, "/auth/login/code", {"code": code}).status_code == 422
    assert client.get("/").status_code == 302


def test_five_wrong_codes_lock_the_account(session, client, auth, enrolled):
    user, secret, _ = enrolled
    auth.login(user.username)
    for _ in range(4):
        assert _post(client, "/auth/login/code", {"code": "000000"}).status_code == 422
    locked = _post(client, "/auth/login/code", {"code": "000000"})
    assert locked.status_code == 302 and locked.headers["Location"].endswith("/auth/login")
    assert "locked" in client.get("/auth/login").get_data(as_text=True)
    # neither the password nor a right code gets in now
    assert auth.login(user.username).status_code == 422
    assert client.get("/auth/login/code").status_code == 302


def test_signing_in_again_with_the_password_does_not_reset_the_code_count(session, client, auth,
                                                                           enrolled):
    user, _, _ = enrolled
    for _ in range(5):
        auth.login(user.username)
        _post(client, "/auth/login/code", {"code": "000000"})
    assert auth.login(user.username).status_code == 422  # locked


def test_the_half_signed_in_state_expires_after_five_minutes(session, client, auth, enrolled):
    user, secret, _ = enrolled
    auth.login(user.username)
    with client.session_transaction() as flask_session:
        pending = dict(flask_session["mfa_pending"])
        flask_session["mfa_pending"] = pending | {"at": utcnow().timestamp() - 5 * 60 - 1}
    response = _post(client, "/auth/login/code", {"code": pyotp.TOTP(secret).at(utcnow())},
                     page="/auth/login")
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert client.get("/").status_code == 302
    assert "longer than 5 minutes" in client.get("/auth/login").get_data(as_text=True)


def test_the_code_pages_need_a_password_first(client):
    for page in ("/auth/login/code", "/auth/login/recovery", "/auth/login/enrol"):
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/auth/login"), page


def test_a_recovery_code_works_once(session, client, auth, enrolled):
    user, _, codes = enrolled
    auth.login(user.username)
    html = client.get("/auth/login/recovery").get_data(as_text=True)
    assert '<label for="code"' in html and 'autocomplete="off"' in html
    response = _post(client, "/auth/login/recovery", {"code": codes[2]})
    assert response.status_code == 302
    assert "7 left" in client.get("/").get_data(as_text=True)
    assert "mfa_recovery_used" in _actions(session, user)
    client.post("/auth/logout", data={"csrf_token": auth.csrf("/")})
    auth.login(user.username)
    assert _post(client, "/auth/login/recovery", {"code": codes[2]}).status_code == 422
    assert client.get("/").status_code == 302


def _enrol_from_account_page(client) -> tuple[str, list[str], object]:
    page = client.get("/auth/account/mfa")
    html = page.get_data(as_text=True)
    secret = re.search(r'data-secret="([A-Z2-7]+)"', html).group(1)
    response = _post(client, "/auth/account/mfa", {"code": pyotp.TOTP(secret).at(utcnow())},
                     page="/auth/account/mfa")
    codes = re.findall(r'<li class="recovery-code">([0-9a-f]{5}-[0-9a-f]{5})</li>',
                       response.get_data(as_text=True))
    return secret, codes, (page, response)


def test_enrolment_from_the_account_page(session, client, auth):
    user = make_user(session, "denial_specialist")
    auth.login(user.username)
    assert 'href="/auth/account"' in client.get("/").get_data(as_text=True)  # the name links it
    account = client.get("/auth/account").get_data(as_text=True)
    assert "Set up two-factor authentication" in account
    secret, codes, (page, done) = _enrol_from_account_page(client)
    html = page.get_data(as_text=True)
    assert "<svg" in html and 'class="mfa-qr"' in html  # inline SVG, no script, no data fetch
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", html).group(0)
    assert 'autocomplete="one-time-code"' in field and 'inputmode="numeric"' in field
    assert done.status_code == 200 and len(codes) == 8
    assert done.headers["Cache-Control"] == "no-store"
    assert "mfa_enrol" in _actions(session, user)
    account = client.get("/auth/account").get_data(as_text=True)
    assert "On since" in account and "Recovery codes left: <strong>8</strong>" in account
    assert secret not in account
    again = client.get("/auth/account/mfa")
    assert again.status_code == 302 and secret not in again.get_data(as_text=True)
    # the next sign-in asks for a code; one of the recovery codes works
    client.post("/auth/logout", data={"csrf_token": auth.csrf("/")})
    assert auth.login(user.username).headers["Location"].endswith("/auth/login/code")
    assert _post(client, "/auth/login/recovery", {"code": codes[0]}).status_code == 302


def test_enrolment_with_a_wrong_code_stays_off(session, client, auth):
    user = make_user(session, "coordinator")
    auth.login(user.username)
    html = client.get("/auth/account/mfa").get_data(as_text=True)
    secret = re.search(r'data-secret="([A-Z2-7]+)"', html).group(1)
    wrong = pyotp.TOTP(secret).at(utcnow().timestamp() + 600)
    response = _post(client, "/auth/account/mfa", {"code": wrong})
    assert response.status_code == 422
    assert "does not match" in response.get_data(as_text=True)
    # the same key is shown again (the QR code the user scanned stays valid)
    assert f'data-secret="{secret}"' in response.get_data(as_text=True)
    session.refresh(user)
    assert not user.has_mfa


def test_turning_mfa_off_needs_a_current_code(session, client, auth, enrolled):
    user, secret, _ = enrolled
    auth.login(user.username)
    _post(client, "/auth/login/code", {"code": pyotp.TOTP(secret).at(utcnow())})
    refused = _post(client, "/auth/account/mfa/disable", {"code": "000000"}, "/auth/account")
    assert refused.status_code == 422 and "stays on" in refused.get_data(as_text=True)
    session.refresh(user)
    assert user.has_mfa
    later_code = pyotp.TOTP(secret).at(utcnow().timestamp() + 30)  # the next step: not a replay
    done = _post(client, "/auth/account/mfa/disable", {"code": later_code}, "/auth/account")
    assert done.status_code == 302
    session.refresh(user)
    assert not user.has_mfa
    assert _actions(session, user)[-1] == "mfa_disable"
    client.post("/auth/logout", data={"csrf_token": auth.csrf("/")})
    assert auth.login(user.username).status_code == 302
    assert client.get("/").status_code == 200  # the password alone again


def test_an_admin_resets_a_users_mfa_and_it_is_audited(session, client, auth, enrolled):
    user, _, _ = enrolled
    admin = make_user(session, "admin")
    auth.login(admin.username)
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Reset two-factor authentication" in page
    response = _post(client, f"/admin/users/{user.id}/mfa-reset", {},
                     page=f"/admin/users/{user.id}")
    assert response.status_code == 302
    session.refresh(user)
    assert not user.has_mfa and user.totp_secret is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "mfa_reset")).one()
    assert event.user_id == admin.id and event.object_id == str(user.id)


def test_only_admins_reset_mfa(session, client, auth, enrolled):
    user, _, _ = enrolled
    supervisor = make_user(session, "supervisor")
    auth.login(supervisor.username)
    token = auth.csrf("/")
    response = client.post(f"/admin/users/{user.id}/mfa-reset", data={"csrf_token": token})
    assert response.status_code == 403
    session.refresh(user)
    assert user.has_mfa


def test_a_required_role_must_enrol_at_the_next_sign_in(session, app, client, auth):
    app.config["MFA_REQUIRED_ROLES"] = ("supervisor",)
    user = make_user(session, "supervisor")
    other = make_user(session, "coordinator")
    response = auth.login(user.username)
    assert response.headers["Location"].endswith("/auth/login/enrol")
    assert client.get("/").status_code == 302
    html = client.get("/auth/login/enrol").get_data(as_text=True)
    assert "Your role must use a second factor" in html and "<svg" in html
    secret = re.search(r'data-secret="([A-Z2-7]+)"', html).group(1)
    done = _post(client, "/auth/login/enrol", {"code": pyotp.TOTP(secret).at(utcnow())})
    assert done.status_code == 200
    assert len(re.findall(r'class="recovery-code"', done.get_data(as_text=True))) == 8
    assert client.get("/").status_code == 200  # signed in now
    assert _actions(session, user)[-2:] == ["mfa_enrol", "login"]
    # the role may not turn it off
    refused = _post(client, "/auth/account/mfa/disable",
                    {"code": pyotp.TOTP(secret).at(utcnow().timestamp() + 30)}, "/auth/account")
    assert refused.status_code == 302
    session.refresh(user)
    assert user.has_mfa
    # other roles are not asked
    client.post("/auth/logout", data={"csrf_token": auth.csrf("/")})
    assert auth.login(other.username).headers["Location"] == "/"


def test_api_tokens_of_an_enrolled_user_still_work(session, client, enrolled):
    user, _, _ = enrolled
    token = users.issue_api_token(user)
    session.flush()
    response = client.get("/api/v1/work-items", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_mfa_audit_events_hold_identifiers_only(session, client, auth, enrolled):
    user, secret, codes = enrolled
    code = pyotp.TOTP(secret).at(utcnow())
    auth.login(user.username)
    _post(client, "/auth/login/code", {"code": "123456"})
    _post(client, "/auth/login/code", {"code": code})
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("mfa%"))).all()
    assert {e.action for e in events} == {"mfa_code_refused", "mfa_code_ok"}
    for event in events:
        text = f"{event.object_id} {event.context} {event.user_agent}"
        assert code not in text and "123456" not in text and secret not in text
        assert event.object_type == "user" and event.object_id == str(user.id)
