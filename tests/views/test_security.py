"""The security base: sign-in, lock-out, idle log-off, deny by default, CSRF, headers, audit."""


from sqlalchemy import select

from tests.factories import make_user, make_work_item
from workqueue.clock import utcnow
from workqueue.models import AuditEvent
from workqueue.security import requires


def test_pages_need_a_signed_in_user(client):
    response = client.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_wrong_password_is_refused_and_audited(session, client, auth):
    user = make_user(session, "coordinator")
    response = auth.login(user.username, "not-the-password")
    assert response.status_code == 422
    assert "Wrong username or password" in response.get_data(as_text=True)
    failed = session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).one()
    assert failed.outcome == "denied"


def test_five_failures_lock_the_account_even_for_the_right_password(session, auth):
    user = make_user(session, "coordinator")
    for _ in range(5):
        auth.login(user.username, "wrong-password-x")
    assert auth.login(user.username).status_code == 422


def test_login_then_logout(session, client, auth):
    user = make_user(session, "coordinator")
    assert auth.login(user.username).status_code == 302
    assert client.get("/").status_code == 200
    client.post("/auth/logout", data={"csrf_token": auth.csrf("/")})
    assert client.get("/").status_code == 302


def test_idle_session_is_signed_out(session, app, client, auth):
    user = make_user(session, "coordinator")
    auth.login(user.username)
    with client.session_transaction() as flask_session:
        idle = app.config["SESSION_IDLE_MINUTES"] * 60 + 5
        flask_session["last_seen"] = utcnow().timestamp() - idle
    response = client.get("/")
    assert response.status_code == 302 and "expired=1" in response.headers["Location"]
    assert client.get("/").status_code == 302  # really signed out, not just redirected once


def test_a_view_without_a_declared_permission_is_denied(session, app, client, auth):
    @app.route("/forgotten")
    def forgotten():
        return "patient data"

    @app.route("/declared")
    @requires("view_work")
    def declared():
        return "ok"

    auth.login(make_user(session, "admin").username)
    assert client.get("/forgotten").status_code == 403
    assert client.get("/declared").status_code == 200


def test_roles_are_checked_on_every_screen(session, client, auth):
    auth.login(make_user(session, "coordinator").username)
    for url in ("/admin/users", "/board/", "/reports/overview", "/operations"):
        assert client.get(url).status_code == 403, url


def test_posts_without_a_csrf_token_are_refused(session, client, auth):
    user = make_user(session, "ar_specialist")
    item = make_work_item(session)
    auth.login(user.username)
    response = client.post(f"/work-items/{item.id}/notes", data={"body": "hello"})
    assert response.status_code == 400
    assert item.version == 1


def test_security_headers_and_no_caching_of_patient_pages(session, client, auth):
    auth.login(make_user(session, "coordinator").username)
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


def test_audit_keeps_the_peer_address_unless_a_proxy_is_trusted(session, app, client, auth):
    user = make_user(session, "coordinator")
    auth.login(user.username)
    client.get("/", headers={"X-Forwarded-For": "203.0.113.9"},
               environ_base={"REMOTE_ADDR": "192.0.2.7"})
    event = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "my_work")
                            .order_by(AuditEvent.id.desc())).first()
    assert event.ip == "192.0.2.7"


def test_every_endpoint_declares_who_may_use_it(app):
    """Deny by default is the safety net; every real screen still states its permission."""
    from workqueue.security import permission_of

    with app.test_request_context():
        undeclared = [rule.endpoint for rule in app.url_map.iter_rules()
                      if rule.endpoint != "static" and permission_of(rule.endpoint) is None]
    assert undeclared == []
