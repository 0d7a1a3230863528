"""The OpenAPI 3.1 document at /api/v1/openapi.json, assembled from the route modules.

Each module named in ``_ROUTE_MODULES`` (see ``__init__.py``) defines ``openapi_paths()``
returning its paths, built with :func:`operation` from the same :class:`Field` declarations the
views validate with. To add endpoints (for example ``letters.py``):

1. create ``workqueue/views/api/letters.py`` with views on ``bp``, each ``@requires(...)``;
2. define ``openapi_paths()`` there: ``{"/api/v1/letters/{letter_id}": {"get": operation(...)}}``,
   and, for new response shapes, ``openapi_schemas()`` returning ``{"Letter": {...}}`` (merged
   into ``components.schemas``; refer to them by name in ``ok``). A non-JSON answer such as a
   PDF is a full response object: ``ok={200: {"description": "The letter.", "content":
   {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}``;
3. add ``"letters"`` to ``_ROUTE_MODULES``.

``tests/api/test_openapi.py`` fails while any registered route is missing from the document.
"""

import importlib

from flask import jsonify

from workqueue.domain.roles import Permission
from workqueue.domain.status import WorkItemKind, WorkItemStatus
from workqueue.queries import COUNT_CAP
from workqueue.security import public
from workqueue.views.api import _ROUTE_MODULES, bp
from workqueue.views.api.validation import MAX_ID, Field, object_schema

_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
_NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
_MONEY_OUT = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$"}
_NULLABLE_ID = {"type": ["integer", "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, *, optional: tuple[str, ...] = ()) -> dict:
    return {"type": "object", "properties": properties,
            "required": [name for name in properties if name not in optional]}


_PERSON = {"anyOf": [_ref("Person"), {"type": "null"}]}

SCHEMAS: dict[str, dict] = {
    "Error": _object({"error": _object({
        "code": {"type": "string", "examples": ["stale_version"]},
        "message": {"type": "string"},
        "details": {"type": "object", "description": "Per-field problems (422), allowed "
                    "targets (409 invalid_transition), or the current item (409 stale_version)."},
    })}),
    "Person": _object({"id": {"type": "integer"}, "display_name": {"type": "string"}}),
    "WorkItem": _object({
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": [k.value for k in WorkItemKind]},
        "status": {"type": "string", "enum": [s.value for s in WorkItemStatus]},
        "is_open": {"type": "boolean"},
        "title": {"type": "string"},
        "category": _NULLABLE_STRING,
        "amount": _MONEY_OUT,
        "service_date": _NULLABLE_DATE,
        "due_on": _NULLABLE_DATE,
        "deadline": _object({"on": _NULLABLE_DATE, "kind": _NULLABLE_STRING}),
        "pended_until": _NULLABLE_DATE,
        "priority": _object({
            "score": {"type": "number", "description": "Higher is more urgent."},
            "override": {"type": "integer"},
            "parts": {"type": "array", "items": {"type": "string"},
                      "examples": [["$18,400", "appeal due in 6 days", "41 d old"]]},
        }),
        "assignee": _PERSON,
        "claimed_at": _NULLABLE_DATETIME,
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "closed_at": _NULLABLE_DATETIME,
        "version": {"type": "integer", "description": "Send it back on PATCH to avoid "
                    "overwriting someone else's change."},
        "allowed_transitions": {"type": "array", "items": {"type": "string"}},
        "links": _object({
            "patient_id": _NULLABLE_ID,
            "coverage_id": _NULLABLE_ID,
            "payer": {"anyOf": [_object({"id": {"type": "integer"}, "name": {"type": "string"}}),
                                {"type": "null"}]},
            "authorization_id": _NULLABLE_ID,
            "claim_id": _NULLABLE_ID,
            "denial_id": _NULLABLE_ID,
            "visit_id": _NULLABLE_ID,
        }),
    }),
    "WorkItemDetail": {"allOf": [_ref("WorkItem"), _object({
        "claim": {"anyOf": [_object({
            "id": {"type": "integer"},
            "claim_number": {"type": "string"},
            "payer_claim_number": _NULLABLE_STRING,
            "status": {"type": "string"},
            "service_from": {"type": "string", "format": "date"},
            "service_to": {"type": "string", "format": "date"},
            "billed_amount": _MONEY_OUT,
            "balance": _MONEY_OUT,
        }), {"type": "null"}]},
        "denial": {"anyOf": [_object({
            "id": {"type": "integer"},
            "denied_on": {"type": "string", "format": "date"},
            "group_code": {"type": "string"},
            "carc_codes": {"type": "array", "items": {"type": "string"}},
            "rarc_codes": {"type": "array", "items": {"type": "string"}},
            "category": {"type": "string"},
            "appeal_level": {"type": "integer"},
            "amount": _MONEY_OUT,
        }), {"type": "null"}]},
        "timeline": {"type": "array", "items": _ref("Activity"),
                     "description": "Newest first."},
    })]},
    "Activity": _object({
        "id": {"type": "integer"},
        "kind": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "actor": _PERSON,
        "body": {"type": "string"},
        "from_status": _NULLABLE_STRING,
        "to_status": _NULLABLE_STRING,
        "data": {"type": ["object", "null"]},
    }),
    "WorkItemPage": _object({
        "items": {"type": "array", "items": _ref("WorkItem")},
        "meta": _object({
            "total": {"type": "integer", "description": "Matching items, counted up to "
                      f"{COUNT_CAP:,} (a count past that costs more than it tells)."},
            "total_is_capped": {"type": "boolean", "description": "More than `total` match."},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer"},
        }),
    }),
    "Queue": _object({
        "id": {"type": "integer"},
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "kinds": {"type": "array", "items": {"type": "string"}},
        "payer_ids": {"type": "array", "items": {"type": "integer"}},
        "categories": {"type": "array", "items": {"type": "string"}},
        "strategy": {"type": "string"},
        "counts": _object({"open": {"type": "integer"}, "unassigned": {"type": "integer"},
                           "overdue": {"type": "integer"},
                           "missed": {"type": "integer", "description":
                                      "Open items whose outside deadline passed: out of "
                                      "Get next, waiting for a decision."}}),
    }),
    "QueueList": _object({"queues": {"type": "array", "items": _ref("Queue")}}),
    "ActivityCreated": _object({"activity": _ref("Activity"), "work_item": _ref("WorkItem")}),
    "BulkAssignResult": _object({
        "assigned": {"type": "array", "items": {"type": "integer"}},
        "skipped": {"type": "array", "items": _object({"id": {"type": "integer"},
                                                        "reason": {"type": "string"}})},
    }),
}

_ERRORS = {
    400: ("BadRequest", "Malformed JSON, a body that is not an object, or bad query parameters "
          "(`details` names each parameter)."),
    401: ("Unauthorized", "No bearer token, or one that names no active user."),
    403: ("Forbidden", "The user's role may not do this."),
    404: ("NotFound", "No such resource."),
    409: ("Conflict", "`stale_version`: the item changed since the `version` you sent "
          "(`details.current` is the item now); `invalid_transition`: the status cannot go "
          "there (`details.allowed` lists where it can)."),
    422: ("ValidationFailed", "Body fields that are missing, unknown or invalid, or that the "
          "rules refuse (`details` maps each field to its problem)."),
}


def _error_responses() -> dict:
    responses = {}
    for status, (name, description) in _ERRORS.items():
        response = {"description": description,
                    "content": {"application/json": {"schema": _ref("Error")}}}
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"required": True,
                                                        "schema": {"type": "string"}}}
        responses[name] = response
    return responses


ITEM_ID = {"name": "item_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


def _query_parameter(name: str, field: Field) -> dict:
    parameter = {"name": name, "in": "query", "required": field.required,
                 "schema": field.json_schema(query=True)}
    if field.many:
        parameter |= {"style": "form", "explode": True}
    if field.description:
        parameter["description"] = field.description
    return parameter


def operation(
    operation_id: str,
    summary: str,
    *,
    permission: Permission | None,
    ok: dict[int, dict | str | None],
    errors: tuple[int, ...] = (),
    query: dict[str, Field] | None = None,
    path: tuple[dict, ...] = (),
    body: dict[str, Field] | None = None,
    description: str = "",
    tag: str = "work items",
    location: bool = False,
) -> dict:
    """One OpenAPI operation.

    ``ok`` maps success statuses to a schema name, a JSON schema, a full response object (a
    dict with "description"), or None (no body). ``location``: the 201 answer carries a
    Location header.

    Authenticated operations get 401 and 403 automatically; a body adds 400 and 422.
    """
    op: dict = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    if description or permission:
        needs = f"Needs the `{permission.value}` permission." if permission else ""
        op["description"] = (description + "\n\n" + needs).strip()
    parameters = list(path) + [_query_parameter(name, f) for name, f in (query or {}).items()]
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": object_schema(body)}}}
    responses: dict = {}
    for status, schema in ok.items():
        if schema is None:
            responses[str(status)] = {"description": "Nothing to return."}
            continue
        if isinstance(schema, dict) and "description" in schema:
            responses[str(status)] = schema
            continue
        content = {"application/json": {"schema": _ref(schema) if isinstance(schema, str)
                                        else schema}}
        responses[str(status)] = {"description": "Success.", "content": content}
        if status == 201 and location:
            responses[str(status)]["headers"] = {
                "Location": {"required": True, "schema": {"type": "string"}}}
    statuses = set(errors) | ({400, 422} if body is not None else set())
    statuses |= {400} if query else set()
    statuses |= {401, 403} if permission is not None else set()
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/{_ERRORS[status][0]}"}
    op["responses"] = responses
    if permission is None:
        op["security"] = []
    return op


def openapi_document() -> dict:
    paths: dict = {}
    schemas = dict(SCHEMAS)
    for name in _ROUTE_MODULES:
        module = importlib.import_module(f"{bp.import_name}.{name}")
        # A module without them still serves the document; the route-parity test flags it.
        for path, operations in getattr(module, "openapi_paths", dict)().items():
            paths.setdefault(path, {}).update(operations)
        schemas |= getattr(module, "openapi_schemas", dict)()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "workqueue API",
            "version": "1.0.0",
            "description": (
                "Infusion-center revenue-cycle work queues. Same rules as the web UI: every "
                "read and change of patient data is audited. Authenticate with "
                "`Authorization: Bearer <token>` (`workqueue create-user ... --token`). Every "
                "error is `{\"error\": {\"code\", \"message\", \"details\"}}`; a method a path "
                "does not support answers 405 with an `Allow` header; dates are `YYYY-MM-DD`; "
                "money is sent as a number or a string with at most two decimals and returned "
                "as a string."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
            "responses": _error_responses(),
        },
    }


@bp.get("/openapi.json")
@public
def document():
    return jsonify(openapi_document())


def openapi_paths() -> dict:
    return {"/api/v1/openapi.json": {"get": operation(
        "getOpenApi", "This document.", permission=None, ok={200: {"type": "object"}},
        tag="meta")}}
