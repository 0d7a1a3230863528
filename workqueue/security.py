"""Access control for every request: login, revocable sessions, idle log-off, role checks
(deny by default), CSRF, security headers, and the acting user as an audit ``Actor``.

A view is reachable only if it is decorated with :func:`requires` (naming the permission) or
:func:`public`; an undecorated endpoint answers 403 — forgetting a check fails closed.

A browser session is signed in under the user's ``session_epoch`` and the browser's
User-Agent (:func:`bind_session`); the user loader refuses it when either no longer matches,
so sign-out, a password reset, an MFA change or "sign out everywhere" (each bumps the epoch:
``services.users.end_sessions``) end every copy of the cookie, and a cookie replayed from
another browser does not work. Flask-Login's "strong" protection cannot do the latter: it is
skipped for permanent sessions, and ours are permanent (the idle time-out needs that).
"""

import hashlib
from collections.abc import Callable

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFProtect

from workqueue.clock import utcnow
from workqueue.db import commit, get_session
from workqueue.domain.roles import Permission, has_permission
from workqueue.models import User
from workqueue.services import audit
from workqueue.services.audit import Actor

login_manager = LoginManager()
csrf = CSRFProtect()

_PERMISSION_ATTR = "_wq_permission"
_PUBLIC = "public"


def requires(permission: Permission) -> Callable:
    """Mark a view as needing ``permission``; checked before the view runs."""

    def mark(view: Callable) -> Callable:
        setattr(view, _PERMISSION_ATTR, permission)
        return view

    return mark


def public(view: Callable) -> Callable:
    setattr(view, _PERMISSION_ATTR, _PUBLIC)
    return view


def permission_of(endpoint: str | None) -> Permission | str | None:
    """What a view declared: a Permission, "public", or None (undeclared: denied)."""
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, _PERMISSION_ATTR, None)


def is_public(endpoint: str | None) -> bool:
    return permission_of(endpoint) == _PUBLIC



def current_actor(channel: str | None = None) -> Actor:
    """The signed-in (or token) user as an audit actor, with where the request came from."""
    user = g.get("api_user") or current_user
    # remote_addr only: X-Forwarded-For is whatever the client wrote unless a proxy we trust
    # set it, and then ProxyFix (PROXY_HOPS in config) has already put it in remote_addr.
    return Actor.for_user(
        user,
        channel or ("api" if g.get("api_user") else "web"),
        request.remote_addr,
        request.user_agent.string,
    )


_EPOCH = "epoch"
_AGENT = "agent"


def _agent_digest() -> str:
    return hashlib.sha256(request.user_agent.string.encode("utf-8", "replace")).hexdigest()[:32]


def bind_session(user: User) -> None:
    """Tie this browser session to the user's current session epoch and to this browser.

    Called at every sign-in, and after a change that ends the user's sessions but should
    keep the acting one (the user's own MFA enrolment or turning it off).
    """
    session[_EPOCH] = user.session_epoch
    session[_AGENT] = _agent_digest()


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        user = get_session().get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.is_active:
        return None
    if session.get(_EPOCH) != user.session_epoch:
        g.refused_session = (user.id, "session ended (signed out, new password or "
                                      "two-factor change)")
        return None
    if session.get(_AGENT) != _agent_digest():
        g.refused_session = (user.id, "session cookie sent by another browser")
        return None
    return user


def _forget_refused_session() -> None:
    """A session cookie the loader refused: drop it, and leave an audit event (a copied or
    stolen cookie being replayed is what a security officer reviews)."""
    refused = g.pop("refused_session", None)
    if refused is None:
        return
    user_id, reason = refused
    session.clear()
    db = get_session()
    audit.record(db, Actor(user_id, None, "web", request.remote_addr,
                           request.user_agent.string[:200] or None),
                 "session_refused", "user", user_id, now=utcnow(), outcome="denied",
                 context=reason)
    commit(db)


def _is_api_request() -> bool:
    return request.blueprint is not None and request.blueprint.startswith("api")


def _check_access():
    """Deny by default: unknown endpoints 404, undeclared ones 403, then the role check."""
    if request.endpoint is None:
        return None
    if request.endpoint == "static":
        return None
    permission = permission_of(request.endpoint)
    if permission == _PUBLIC:
        return None
    if _is_api_request():
        return None  # the API blueprint authenticates bearer tokens itself, then checks here
    if not current_user.is_authenticated:
        _forget_refused_session()
        if request.headers.get("HX-Request"):
            return ("", 401, {"HX-Redirect": url_for("auth.login")})
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    _enforce_idle_timeout()
    if permission is None or not has_permission(current_user.role, permission):
        abort(403)
    return None


def check_permission_for(user: User) -> None:
    """The role check for API requests once the token has named the user."""
    permission = permission_of(request.endpoint)
    if permission == _PUBLIC:
        return
    if permission is None or not has_permission(user.role, permission):
        from workqueue.domain.errors import NotPermitted

        raise NotPermitted(f"Your role ({user.role}) may not do this.")


def _enforce_idle_timeout() -> None:
    """Log off a browser session idle longer than SESSION_IDLE_MINUTES (HIPAA automatic logoff)."""
    now = utcnow().timestamp()
    last = session.get("last_seen")
    limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    if last is not None and now - float(last) > limit:
        logout_user()
        session.clear()
        abort(redirect(url_for("auth.login", expired=1)))
    session["last_seen"] = now
    session.permanent = True


def _security_headers(response):
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if current_user and getattr(current_user, "is_authenticated", False) or g.get("api_user"):
        # Pages with patient data must not sit in shared caches or the back-button cache.
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    app.before_request(_check_access)
    app.after_request(_security_headers)
