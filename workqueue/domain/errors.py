"""Domain exceptions; views and the API map each to a message and an HTTP status."""


class DomainError(Exception):
    """A request the rules refuse. ``code`` is stable for API clients; ``status`` for HTTP."""

    code = "invalid_request"
    status = 400

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(DomainError):
    code = "not_found"
    status = 404


class NotPermitted(DomainError):
    code = "forbidden"
    status = 403


class StaleVersion(DomainError):
    """The caller saved over a version someone else already changed."""

    code = "stale_version"
    status = 409


class Conflict(DomainError):
    code = "conflict"
    status = 409


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422
