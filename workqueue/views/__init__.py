"""Blueprints of the web UI and the JSON API, the error pages, and the guard that refuses
input no database can store before any view sees it."""

import importlib

from flask import Flask, flash, redirect, render_template, request

from workqueue.domain.errors import DomainError
from workqueue.domain.identifiers import MAX_ID

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
    app.before_request(_refuse_unstorable_input)


_NUL_MESSAGE = ("The text you sent contains a NUL character (an invisible \\0), which cannot "
                "be saved. Remove it and try again.")


def _refuse_unstorable_input():
    """Answer before any view runs when the request holds what no database can store: 400
    for a NUL character in a form field, query parameter or upload name (PostgreSQL refuses
    NUL in text), 404 for a path part with one or a record id beyond 32 bits (it names no
    record, and PostgreSQL refuses to compare it). The API answers in JSON."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and value > MAX_ID or isinstance(value, str) and "\x00" in value:
            return _refusal(404, name, "There is no such record.")  # it names none
    for source in (request.args, request.form):
        for name, values in source.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return _refusal(400, name.replace("\x00", ""), _NUL_MESSAGE)
    for name, upload in request.files.items(multi=True):
        if "\x00" in (upload.filename or ""):
            return _refusal(400, name, _NUL_MESSAGE)
    return None


def _refusal(status: int, field: str, message: str):
    if request.blueprint and request.blueprint.startswith("api"):
        from workqueue.views.api.errors import error_response

        code = "bad_request" if status == 400 else "not_found"
        return error_response(status, code, message,
                              {field: "must not contain NUL characters"} if status == 400
                              else {})
    return render_template("error.html", status=status, message=message), status


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
