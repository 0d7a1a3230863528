"""Blueprints of the web UI and the JSON API, and the error pages."""

import importlib

from flask import Flask, flash, redirect, render_template, request

from workqueue.domain.errors import DomainError

# Each module defines ``bp`` (or ``register(app)``); the list is the site map.
_BLUEPRINT_MODULES = ("auth", "home", "work_items", "queues", "visits", "letters", "imports",
                      "notifications", "board", "reports", "operations", "admin", "api")


def register_blueprints(app: Flask) -> None:
    for name in _BLUEPRINT_MODULES:
        module = importlib.import_module(f"workqueue.views.{name}")
        module.register(app) if hasattr(module, "register") else app.register_blueprint(module.bp)
    app.register_error_handler(DomainError, _domain_error)
    for status in (400, 403, 404, 405, 409, 413, 422, 500):
        app.register_error_handler(status, _error_page)


def _domain_error(error: DomainError):
    """A rule refused the request: say why where the user was, with the right status."""
    if request.method == "POST" and request.referrer and not request.headers.get("HX-Request"):
        flash(error.message, "error")
        return redirect(request.referrer), 303
    return render_template("error.html", status=error.status, message=error.message), error.status


_MESSAGES = {
    400: "The request could not be understood.",
    403: "Your role does not allow this.",
    404: "There is nothing here.",
    405: "That action is not allowed here.",
    409: "Someone else changed this first.",
    413: "The upload is too large.",
    422: "Some of the input is not valid.",
    500: "Something went wrong on our side. The error was logged without patient data.",
}


def _error_page(error):
    status = getattr(error, "code", 500) or 500
    if request.blueprint and request.blueprint.startswith("api"):
        from flask import jsonify

        codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405:
                 "method_not_allowed", 409: "conflict", 413: "too_large", 422:
                 "validation_failed", 500: "internal_error"}
        return jsonify(error={"code": codes.get(status, "error"),
                              "message": _MESSAGES.get(status, "Error."), "details": {}}), status
    return render_template("error.html", status=status,
                           message=_MESSAGES.get(status, "Error.")), status
