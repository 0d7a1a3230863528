"""Bearer-token authentication for every API request, then the same role check as the UI."""

from flask import Blueprint, g, request

from workqueue.clock import utcnow
from workqueue.db import commit, get_session
from workqueue.security import check_permission_for, is_public
from workqueue.services import audit
from workqueue.services.audit import Actor
from workqueue.services.users import user_by_token
from workqueue.views.api.errors import Unauthorized


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate() -> None:
    """Name the user from the bearer token (``g.api_user``), then check the view's permission.

    Public views (the OpenAPI document) need no token. A wrong token is audited as a failed
    login, like a wrong password on the form.

    :raise Unauthorized: no token, or none that names an active user (401).
    :raise NotPermitted: the user's role lacks the view's permission (403).
    """
    if is_public(request.endpoint):
        return
    token = _bearer_token()
    if token is None:
        raise Unauthorized("Send an API token in the header: Authorization: Bearer <token>.")
    session = get_session()
    user = user_by_token(session, token)
    if user is None:
        origin = Actor(None, None, "api", request.remote_addr,
                       request.user_agent.string[:200] or None)
        audit.record(session, origin, "login_failed", "user", None, now=utcnow(),
                     outcome="denied", context="unknown or revoked API token")
        commit(session)
        raise Unauthorized("The API token is not valid (unknown, revoked, or the user is "
                           "inactive).", invalid_token=True)
    g.api_user = user
    check_permission_for(user)


def register_authentication(bp: Blueprint) -> None:
    bp.before_request(authenticate)
