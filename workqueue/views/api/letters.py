"""Appeal letters over the API: request one (202, written in the background), poll its status,
download the PDF once final."""

from flask import Response, jsonify, request, url_for

from workqueue.clock import utcnow
from workqueue.db import commit, get_session
from workqueue.domain.errors import NotFound
from workqueue.domain.roles import Permission
from workqueue.models import Letter, LetterStatus
from workqueue.security import current_actor, requires
from workqueue.services import letters
from workqueue.views.api import bp
from workqueue.views.api.openapi import ITEM_ID, operation
from workqueue.views.api.validation import MAX_ID, Field, parse_body

REQUEST_FIELDS = {
    "finalize": Field("boolean", description="Freeze to PDF as soon as the draft is written "
                      "(default false: a draft to edit in the browser first)."),
}
LETTER_ID = {"name": "letter_id", "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
_STATUS = {"type": "string", "enum": [s.value for s in LetterStatus]}
_NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
_ACCEPTED = {"type": "object", "required": ["letter"], "properties": {"letter": {
    "type": "object", "required": ["id", "status"],
    "properties": {"id": {"type": "integer"}, "status": _STATUS}}}}
_LETTER = {"type": "object", "required": ["letter"], "properties": {"letter": {
    "type": "object",
    "required": ["id", "status", "progress", "work_item_id", "appeal_level", "error",
                 "requested_at", "generated_at", "finalized_at", "pdf_sha256", "links"],
    "properties": {
        "id": {"type": "integer"}, "status": _STATUS,
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "work_item_id": {"type": "integer"}, "appeal_level": {"type": "integer"},
        "error": {"type": ["string", "null"]},
        "requested_at": {"type": "string", "format": "date-time"},
        "generated_at": _NULLABLE_DATETIME, "finalized_at": _NULLABLE_DATETIME,
        "pdf_sha256": {"type": ["string", "null"]},
        "links": {"type": "object", "required": ["self", "pdf"], "properties": {
            "self": {"type": "string"}, "pdf": {"type": ["string", "null"]}}},
    }}}}


def _load(letter_id: int) -> Letter:
    if not 1 <= letter_id <= MAX_ID:
        raise NotFound(f"Letter {letter_id} does not exist.")
    return letters.get_letter(get_session(), letter_id)


def _iso(value):
    return value.isoformat() if value else None


@bp.post("/work-items/<int:item_id>/letters")
@requires(Permission.WORK_ITEMS)
def request_letter(item_id: int):
    values = parse_body(REQUEST_FIELDS) if request.get_data(cache=True) else {}
    if not 1 <= item_id <= MAX_ID:
        raise NotFound(f"Work item {item_id} does not exist.")
    db = get_session()
    letter = letters.request_letter(db, item_id, current_actor(), utcnow(),
                                    finalize=bool(values.get("finalize")))
    commit(db)
    return jsonify({"letter": {"id": letter.id, "status": letter.status.value}}), 202


@bp.get("/letters/<int:letter_id>")
@requires(Permission.VIEW_WORK)
def show_letter(letter_id: int):
    letter = _load(letter_id)
    final = letter.status == LetterStatus.FINAL
    return jsonify({"letter": {
        "id": letter.id, "status": letter.status.value, "progress": letter.progress,
        "work_item_id": letter.work_item_id, "appeal_level": letter.appeal_level,
        "error": letter.error, "requested_at": _iso(letter.requested_at),
        "generated_at": _iso(letter.generated_at), "finalized_at": _iso(letter.finalized_at),
        "pdf_sha256": letter.pdf_sha256,
        "links": {"self": url_for("api.show_letter", letter_id=letter.id),
                  "pdf": url_for("api.letter_pdf", letter_id=letter.id) if final else None},
    }})


@bp.get("/letters/<int:letter_id>/pdf")
@requires(Permission.VIEW_WORK)
def letter_pdf(letter_id: int):
    _load(letter_id)
    db = get_session()
    name, pdf = letters.letter_pdf(db, letter_id, current_actor(), utcnow())
    commit(db)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def openapi_paths() -> dict:
    pdf = operation("getLetterPdf", "Download the final letter as a PDF (audited).",
                    permission=Permission.VIEW_WORK, path=(LETTER_ID,), ok={200: {}},
                    errors=(404, 409), tag="letters",
                    description="409 `conflict` until the letter is final.")
    pdf["responses"]["200"] = {"description": "The PDF.", "content": {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
    return {
        "/api/v1/work-items/{item_id}/letters": {"post": operation(
            "requestLetter", "Ask for the appeal letter of a denial item at its current level.",
            permission=Permission.WORK_ITEMS, path=(ITEM_ID,), body=REQUEST_FIELDS,
            ok={202: _ACCEPTED}, errors=(404, 409), tag="letters",
            description="The letter is written by a background job: poll `GET "
            "/api/v1/letters/{id}`. Asking again while it is being written returns the same "
            "letter; once a final letter exists for the level, 409.")},
        "/api/v1/letters/{letter_id}": {"get": operation(
            "getLetter", "A letter's status and progress; `links.pdf` once it is final.",
            permission=Permission.VIEW_WORK, path=(LETTER_ID,), ok={200: _LETTER},
            errors=(404,), tag="letters")},
        "/api/v1/letters/{letter_id}/pdf": {"get": pdf},
    }
