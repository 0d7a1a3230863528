"""Work-item actions: transition, notes, calls, assign and bulk assign."""

from flask import jsonify

from workqueue.clock import utcnow
from workqueue.db import commit, get_session
from workqueue.domain.roles import Permission
from workqueue.domain.status import WorkItemStatus
from workqueue.security import current_actor, requires
from workqueue.services import assignment, work_items
from workqueue.services.work_items import CallLog
from workqueue.views.api import bp
from workqueue.views.api.openapi import ITEM_ID, operation
from workqueue.views.api.serialization import activity_json, work_item_detail_json, work_item_json
from workqueue.views.api.validation import MAX_ID, Field, parse_body
from workqueue.views.api.work_items import current_item_on_conflict, load_item

_VERSION = Field("integer", min=1, max=MAX_ID,
                 description="Optional: the version you last read; a stale one answers 409.")
TRANSITION_FIELDS = {
    "to": Field("string", required=True, choices=tuple(s.value for s in WorkItemStatus)),
    "note": Field("string", max=5000),
    "version": _VERSION,
}
NOTE_FIELDS = {"body": Field("string", required=True, min=1, max=5000)}
CALL_FIELDS = {
    "party": Field("string", required=True, min=1, max=200,
                   description="Who was called (payer line, provider office...)."),
    "outcome": Field("string", required=True, min=1, max=1000),
    "reference": Field("string", max=100, description="The call reference number."),
    "next_step": Field("string", max=1000),
    "follow_up_on": Field("date", nullable=True,
                          description="Pends the item until this date."),
}
ASSIGN_FIELDS = {"assignee_id": Field("id", required=True), "version": _VERSION}
BULK_ASSIGN_FIELDS = {
    "ids": Field("id_list", required=True, min=1, max=500),
    "assignee_id": Field("id", required=True),
}
_ITEM_PATH = "/work-items/<int:item_id>"


@bp.post(_ITEM_PATH + "/transition")
@requires(Permission.WORK_ITEMS)
def transition_work_item(item_id: int):
    values = parse_body(TRANSITION_FIELDS)
    db = get_session()
    item = load_item(db, item_id)
    now = utcnow()
    with current_item_on_conflict(db, item_id):
        work_items.transition_work_item(db, item, values["to"], current_actor(), now,
                                        note=values.get("note", ""),
                                        expected_version=values.get("version"))
    commit(db)
    return jsonify(work_item_detail_json(db, item, now.date()))


def _activity_created(item, activity, now):
    body = {"activity": activity_json(activity), "work_item": work_item_json(item, now.date())}
    return jsonify(body), 201


@bp.post(_ITEM_PATH + "/notes")
@requires(Permission.WORK_ITEMS)
def add_note(item_id: int):
    values = parse_body(NOTE_FIELDS)
    db = get_session()
    item = load_item(db, item_id)
    now = utcnow()
    activity = work_items.add_note(db, item, values["body"], current_actor(), now)
    commit(db)
    return _activity_created(item, activity, now)


@bp.post(_ITEM_PATH + "/calls")
@requires(Permission.WORK_ITEMS)
def log_call(item_id: int):
    values = parse_body(CALL_FIELDS)
    db = get_session()
    item = load_item(db, item_id)
    now = utcnow()
    activity = work_items.log_call(db, item, CallLog(**values), current_actor(), now)
    commit(db)
    return _activity_created(item, activity, now)


@bp.post(_ITEM_PATH + "/assign")
@requires(Permission.WORK_ITEMS)
def assign_work_item(item_id: int):
    values = parse_body(ASSIGN_FIELDS)
    db = get_session()
    item = load_item(db, item_id)
    now = utcnow()
    with current_item_on_conflict(db, item_id):
        assignment.assign_work_item(db, item, values["assignee_id"], current_actor(), now,
                                    expected_version=values.get("version"))
    commit(db)
    return jsonify(work_item_detail_json(db, item, now.date()))


@bp.post("/work-items/bulk-assign")
@requires(Permission.ASSIGN)
def bulk_assign():
    values = parse_body(BULK_ASSIGN_FIELDS)
    db = get_session()
    result = assignment.bulk_assign(db, values["ids"], values["assignee_id"], current_actor(),
                                    utcnow())
    commit(db)
    skipped = [{"id": item_id, "reason": reason}
               for item_id, reason in sorted(result["skipped"].items())]
    return jsonify(assigned=result["assigned"], skipped=skipped)


def openapi_paths() -> dict:
    item = "/api/v1/work-items/{item_id}"
    return {
        item + "/transition": {"post": operation(
            "transitionWorkItem", "Move an item to another status.",
            permission=Permission.WORK_ITEMS, path=(ITEM_ID,), body=TRANSITION_FIELDS,
            ok={200: "WorkItemDetail"}, errors=(404, 409),
            description="The kind's transition table decides; an illegal move answers 409 "
            "`invalid_transition` with `details.allowed`. Follow-up work (pending until the "
            "payer decides, re-authorization, next appeal level) happens in the same step.")},
        item + "/notes": {"post": operation(
            "addNote", "Add a note to the item's timeline.", permission=Permission.WORK_ITEMS,
            path=(ITEM_ID,), body=NOTE_FIELDS, ok={201: "ActivityCreated"}, errors=(404,))},
        item + "/calls": {"post": operation(
            "logCall", "Log a phone call; with `follow_up_on` the item is pended until then.",
            permission=Permission.WORK_ITEMS, path=(ITEM_ID,), body=CALL_FIELDS,
            ok={201: "ActivityCreated"}, errors=(404,))},
        item + "/assign": {"post": operation(
            "assignWorkItem", "Assign an item (to yourself; supervisors to anyone).",
            permission=Permission.WORK_ITEMS, path=(ITEM_ID,), body=ASSIGN_FIELDS,
            ok={200: "WorkItemDetail"}, errors=(404, 409))},
        "/api/v1/work-items/bulk-assign": {"post": operation(
            "bulkAssign", "Assign many items to one person; items that cannot be assigned are "
            "reported in `skipped` with the reason.", permission=Permission.ASSIGN,
            body=BULK_ASSIGN_FIELDS, ok={200: "BulkAssignResult"})},
    }
