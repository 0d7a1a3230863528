"""Work items: list (filters, sort, paging), show with timeline, create, and PATCH by version."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import g, jsonify, url_for
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from workqueue.clock import utcnow
from workqueue.db import commit, get_session, rollback
from workqueue.domain.errors import NotFound, StaleVersion, ValidationFailed
from workqueue.domain.roles import Permission
from workqueue.domain.rules import AGING_BUCKETS
from workqueue.domain.status import WorkItemKind, WorkItemStatus
from workqueue.models import Authorization, Claim, Coverage, Denial, InfusionVisit, Patient
from workqueue.queries import SORTABLE, WorklistFilter, worklist
from workqueue.security import current_actor, requires
from workqueue.services import audit, work_items
from workqueue.services.work_items import NewWorkItem
from workqueue.views.api import bp
from workqueue.views.api.errors import BadRequest
from workqueue.views.api.openapi import ITEM_ID, operation
from workqueue.views.api.queues import load_queue
from workqueue.views.api.serialization import work_item_detail_json, work_item_json
from workqueue.views.api.validation import MAX_ID, Field, parse_body, parse_query

KINDS = tuple(k.value for k in WorkItemKind)
STATUSES = tuple(s.value for s in WorkItemStatus)
SORTS = tuple(f"{sign}{name}" for name in SORTABLE for sign in ("", "-"))

LIST_PARAMS = {
    "kind": Field("string", many=True, choices=KINDS),
    "status": Field("string", many=True, choices=STATUSES),
    "queue": Field("string", min=1, max=60, description="A queue's id or slug: its filters."),
    "assignee": Field("string", pattern=r"^(me|none|[0-9]{1,10})$",
                      description='must be a user id, "me" or "none"'),
    "payer": Field("id", many=True, description="Payer ids."),
    "category": Field("string", many=True, max=40),
    "patient_id": Field("id"),
    "due_before": Field("date", description="Due on or before this date."),
    "due_after": Field("date", description="Due on or after this date."),
    "pended": Field("string", choices=("false", "true", "any"), default="false",
                    description="false: the active list; true: only pended items; any: both."),
    "include_closed": Field("boolean", default=False),
    "aging_bucket": Field("string", choices=tuple(label for _, _, label in AGING_BUCKETS),
                          description="Days since the date of service."),
    "amount_min": Field("money"),
    "amount_max": Field("money"),
    "sort": Field("string", choices=SORTS, default="-priority",
                  description="A column; a leading '-' sorts descending."),
    "page": Field("integer", min=1, max=100_000, default=1),
    "per_page": Field("integer", min=1, max=200, default=50),
}

_REFERENCES = {"patient_id": Patient, "coverage_id": Coverage, "authorization_id": Authorization,
               "claim_id": Claim, "denial_id": Denial, "visit_id": InfusionVisit}
CREATE_FIELDS = {
    "kind": Field("string", required=True, choices=KINDS),
    "title": Field("string", required=True, min=1, max=200),
    "payer_id": Field("id", nullable=True),
    **{name: Field("id", nullable=True) for name in _REFERENCES},
    "category": Field("string", nullable=True, max=40,
                      description="Denial category or drug family (routing)."),
    "amount": Field("money", description="Dollars at stake."),
    "service_date": Field("date", nullable=True),
    "denied_on": Field("date", nullable=True),
    "appeal_level": Field("integer", min=1, max=9),
    "submitted_on": Field("date", nullable=True),
    "auth_end": Field("date", nullable=True),
    "due_on": Field("date", nullable=True, description="Overrides the computed due date."),
    "assignee_id": Field("id", nullable=True),
}
PATCH_FIELDS = {
    "version": Field("integer", required=True, min=1, max=MAX_ID,
                     description="The version you last read."),
    "due_on": Field("date"),
    "pended_until": Field("date", nullable=True, description="null returns it from pending."),
    "priority_override": Field("integer", min=-1000, max=1000,
                               description="Days of urgency added (supervisors)."),
    "assignee_id": Field("id", nullable=True, description="null releases it to the pool."),
    "title": Field("string", min=1, max=200),
    "amount": Field("money"),
    "category": Field("string", nullable=True, max=40),
}


def load_item(session: Session, item_id: int):
    """The item, or NotFound; ids past the column's range cannot exist (and must not reach
    PostgreSQL, which would refuse the out-of-range integer)."""
    if not 1 <= item_id <= MAX_ID:
        raise NotFound(f"Work item {item_id} does not exist.")
    return work_items.get_work_item(session, item_id)


@contextmanager
def current_item_on_conflict(session: Session, item_id: int) -> Iterator[None]:
    """A stale save answers 409 with the item as it is now, so the client can merge."""
    try:
        yield
    except (StaleVersion, StaleDataError) as error:
        # StaleDataError: the version checked out, but another save landed before ours flushed.
        rollback(session)
        now = utcnow()
        item = load_item(session, item_id)
        audit.record(session, current_actor(), "view", "work_item", item.id, now=now,
                     patient_id=item.patient_id, context="api stale-version reply")
        commit(session)
        details = getattr(error, "details", {}) | {"current": work_item_json(item, now.date())}
        message = getattr(error, "message", "Work item was changed by someone else while "
                          "you saved. Reload to see the changes.")
        raise StaleVersion(message, details) from None


def _worklist_filter(session: Session, args: dict) -> WorklistFilter:
    assignee = args["assignee"]
    if assignee == "me":
        assignee = g.api_user.id
    elif assignee not in (None, "none"):
        if int(assignee) > MAX_ID:
            raise BadRequest("Some query parameters are not valid: assignee.",
                             {"assignee": "no such user id"})
        assignee = int(assignee)
    queue = None
    if args["queue"] is not None:
        try:
            queue = load_queue(session, args["queue"])
        except NotFound:
            raise BadRequest("Some query parameters are not valid: queue.",
                             {"queue": "no such queue"}) from None
    sort = args["sort"]
    return WorklistFilter(
        queue=queue, kinds=args["kind"], statuses=args["status"], payer_ids=args["payer"],
        categories=args["category"], assignee=assignee, due_before=args["due_before"],
        due_after=args["due_after"], aging_bucket=args["aging_bucket"],
        amount_min=args["amount_min"], amount_max=args["amount_max"],
        pended={"false": False, "true": True, "any": None}[args["pended"]],
        include_closed=args["include_closed"], patient_id=args["patient_id"],
        sort=sort.lstrip("-"), direction="desc" if sort.startswith("-") else "asc",
        page=args["page"], per_page=args["per_page"],
    )


@bp.get("/work-items")
@requires(Permission.VIEW_WORK)
def list_work_items():
    db = get_session()
    now = utcnow()
    args = parse_query(LIST_PARAMS)
    page = worklist(db, _worklist_filter(db, args), now.date())
    used = ",".join(sorted(k for k, v in args.items() if v not in ((), LIST_PARAMS[k].default)))
    audit.record(db, current_actor(), "search", "work_item", None, now=now,
                 patient_id=args["patient_id"] if page.total else None,  # (no such patient)
                 context=f"api worklist: {page.total}; {used}")
    commit(db)
    return jsonify(items=[work_item_json(item, now.date()) for item in page.items],
                   meta={"total": page.total, "total_is_capped": page.is_total_capped,
                         "page": page.page, "per_page": page.per_page, "pages": page.pages})


@bp.get("/work-items/<int:item_id>")
@requires(Permission.VIEW_WORK)
def show_work_item(item_id: int):
    db = get_session()
    now = utcnow()
    item = load_item(db, item_id)
    audit.record(db, current_actor(), "view", "work_item", item.id, now=now,
                 patient_id=item.patient_id, context="api")
    body = work_item_detail_json(db, item, now.date())
    commit(db)
    return jsonify(body)


def _check_references(session: Session, values: dict) -> None:
    unknown = {name: "unknown" for name, model in _REFERENCES.items()
               if values.get(name) is not None and session.get(model, values[name]) is None}
    if unknown:
        raise ValidationFailed("These linked records do not exist: " + ", ".join(unknown) + ".",
                               unknown)


@bp.post("/work-items")
@requires(Permission.CREATE_ITEMS)
def create_work_item():
    values = parse_body(CREATE_FIELDS)
    db = get_session()
    _check_references(db, values)
    now = utcnow()
    item = work_items.create_work_item(db, NewWorkItem(**values), current_actor(), now)
    commit(db)
    location = url_for("api.show_work_item", item_id=item.id)
    return jsonify(work_item_detail_json(db, item, now.date())), 201, {"Location": location}


@bp.patch("/work-items/<int:item_id>")
@requires(Permission.WORK_ITEMS)
def update_work_item(item_id: int):
    values = parse_body(PATCH_FIELDS)
    version = values.pop("version")
    db = get_session()
    item = load_item(db, item_id)
    now = utcnow()
    with current_item_on_conflict(db, item_id):
        work_items.update_work_item(db, item, values, current_actor(), now,
                                    expected_version=version)
    commit(db)
    return jsonify(work_item_detail_json(db, item, now.date()))


def openapi_paths() -> dict:
    item_errors = (404, 409)
    return {
        "/api/v1/work-items": {
            "get": operation(
                "listWorkItems", "The worklist: filter, sort and page open work items.",
                permission=Permission.VIEW_WORK, query=LIST_PARAMS, ok={200: "WorkItemPage"},
                description="Repeat `kind`, `status`, `payer` or `category` to match any of "
                "several values. Without `pended`, pended items are left out (the active "
                "list); without `include_closed`, finished items are. Audited as a search."),
            "post": operation(
                "createWorkItem", "Open a work item; its deadline, due date and priority come "
                "from the payer's rules.", permission=Permission.CREATE_ITEMS,
                body=CREATE_FIELDS, ok={201: "WorkItemDetail"}, location=True),
        },
        "/api/v1/work-items/{item_id}": {
            "get": operation(
                "getWorkItem", "One item with its priority parts, deadline, links and timeline "
                "(newest first).", permission=Permission.VIEW_WORK, path=(ITEM_ID,),
                ok={200: "WorkItemDetail"}, errors=(404,), description="Audited as a view."),
            "patch": operation(
                "updateWorkItem", "Change fields of an item, sending the `version` you last "
                "read.", permission=Permission.WORK_ITEMS, path=(ITEM_ID,), body=PATCH_FIELDS,
                ok={200: "WorkItemDetail"}, errors=item_errors,
                description="All or nothing: if any field is refused, nothing changes. A stale "
                "`version` answers 409 `stale_version` with the current item in "
                "`details.current`."),
        },
    }
