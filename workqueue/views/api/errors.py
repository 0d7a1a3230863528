"""JSON errors for the API: ``{"error": {"code", "message", "details"}}`` with the right status.

Every failure under /api/v1 answers here, never with an HTML page: domain errors keep their own
code and status, HTTP errors get a stable code, and a request for a path or method the API does
not have is answered before Flask's HTML error pages see it.
"""

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from workqueue.clock import utcnow
from workqueue.db import commit, rollback
from workqueue.domain.errors import DomainError, NotPermitted
from workqueue.security import current_actor
from workqueue.services import audit

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    500: "internal_error",
}
_MESSAGES = {
    404: "There is no such resource.",
    405: "This resource does not support that method.",
    500: "Something went wrong on our side; the error was logged without patient data.",
}


class BadRequest(DomainError):
    """The request itself is malformed: not JSON, not an object, or a bad query parameter."""

    code = "bad_request"
    status = 400


class Unauthorized(DomainError):
    """No bearer token, or one that names no active user."""

    code = "unauthorized"
    status = 401

    def __init__(self, message: str, *, invalid_token: bool = False):
        super().__init__(message)
        self.invalid_token = invalid_token


def error_response(status: int, code: str, message: str, details: dict | None = None,
                   headers: dict | None = None) -> Response:
    response = jsonify(error={"code": code, "message": message, "details": details or {}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _discard_changes() -> None:
    """Nothing half-saved: whatever a failed request flushed is rolled back."""
    session = g.get("db_session")
    if session is not None:
        rollback(session)


def _audit_denied() -> None:
    """A refused attempt is part of the trail too (outcome "denied"), e.g. a role probing."""
    session = g.get("db_session")
    if session is None or g.get("api_user") is None:
        return
    audit.record(session, current_actor(), "access", "api", request.endpoint, now=utcnow(),
                 outcome="denied", context=f"{request.method} {request.path}")
    commit(session)


def _domain_error(error: DomainError) -> Response:
    _discard_changes()
    if isinstance(error, NotPermitted):
        _audit_denied()
    headers = {}
    if isinstance(error, Unauthorized):
        challenge = 'Bearer realm="workqueue"'
        if error.invalid_token:
            challenge += ', error="invalid_token"'
        headers["WWW-Authenticate"] = challenge
    return error_response(error.status, error.code, error.message, error.details, headers)


def _stale_data(_error: StaleDataError) -> Response:
    # The ORM's own version check: another request saved the row between our read and write.
    _discard_changes()
    return error_response(409, "stale_version",
                          "The item was changed by someone else while saving. Reload and retry.")


def _http_error(error: HTTPException) -> Response:
    _discard_changes()
    status = error.code or 500
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    message = _MESSAGES.get(status) or error.description or "Error."
    return error_response(status, HTTP_CODES.get(status, "error"), message, None, headers)


def _unrouted(bp: Blueprint):
    """Unknown paths and methods under the API prefix, answered as JSON.

    Routing failures belong to no blueprint, so the app-wide HTML error pages would answer
    them; this app-level hook runs first and keeps the API's promise of JSON everywhere.
    """

    def answer():
        error = request.routing_exception
        if not isinstance(error, NotFound | MethodNotAllowed):
            return None
        if request.path != bp.url_prefix and not request.path.startswith(bp.url_prefix + "/"):
            return None
        return _http_error(error)

    return answer


def register_error_handlers(bp: Blueprint) -> None:
    bp.register_error_handler(DomainError, _domain_error)
    bp.register_error_handler(StaleDataError, _stale_data)
    bp.register_error_handler(HTTPException, _http_error)
    bp.before_app_request(_unrouted(bp))
