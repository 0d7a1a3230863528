"""The OpenAPI document matches the API: the same routes, and a schemathesis run finds no 5xx
and no response that breaks the document."""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_queue, make_user, make_work_item
from workqueue.services.users import issue_api_token
from workqueue.views.api.openapi import openapi_document

EXAMPLES = 20  # per case below: about 950 requests in all

_IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "api":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(path, method.lower()) for method in rule.methods - _IGNORED_METHODS}
    return routes


def test_the_document_lists_exactly_the_registered_routes(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, operations in document["paths"].items()
                  for method in operations}
    assert documented == _routes(app)


def test_every_api_view_declares_a_permission_or_is_public(app, client):
    """Deny by default: an undeclared view would answer 403 to everyone; none is left so."""
    document = client.get("/api/v1/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "api":
            continue
        declared = getattr(app.view_functions[rule.endpoint], "_wq_permission", None)
        assert declared is not None, rule.endpoint
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - _IGNORED_METHODS:
            operation = document["paths"][path][method.lower()]
            if declared == "public":
                assert operation["security"] == []
            else:
                assert f"`{declared}` permission" in operation["description"]


def test_the_document_is_valid_openapi_3_1_with_bearer_security(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http",
                                                                   "scheme": "bearer"}
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(_routes_from(document))
    patch = document["paths"]["/api/v1/work-items/{item_id}"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["version"] and body["additionalProperties"] is False
    assert {"400", "401", "403", "404", "409", "422"} <= set(patch["responses"])


def _routes_from(document) -> list:
    return [(p, m) for p, ops in document["paths"].items() for m in ops]


@pytest.fixture
def fuzz_data(app, session):
    """Some rows for generated requests to land on, and an admin token to send."""
    admin = make_user(session, "admin")
    worker = make_user(session, "ar_specialist")
    make_queue(session, [worker], slug="fuzz-queue", kinds=["ar_followup"])
    items = [make_work_item(session, kind)
             for kind in ("ar_followup", "denial", "prior_auth", "eligibility")]
    token = issue_api_token(admin)
    session.commit()
    return {"headers": {"Authorization": f"Bearer {token}"},
            "path": {"item_id": items[0].id, "ref": "fuzz-queue"}}


@pytest.fixture
def api_schema(app, fuzz_data):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


# Collected from the document itself, so a new route module is fuzzed without editing this file.
# (schemathesis.pytest.from_fixture does not run under pytest 9, hence plain @given.)
def _cases(document) -> list:
    """(path, method, mode, on_real_row): invalid data only where there is something to spoil;
    operations on one item or queue also run against a row that exists, to reach the rules."""
    cases = []
    for path, method in sorted(_routes_from(document)):
        operation = document["paths"][path][method]
        modes = [GenerationMode.POSITIVE]
        if operation.get("parameters") or operation.get("requestBody"):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            for real in (False, True) if "{" in path else (False,):
                label = f"{method} {path} {mode.value}{' existing' if real else ''}"
                cases.append(pytest.param(path, method, mode, real, id=label))
    return cases


OPERATIONS = _cases(openapi_document())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.mark.parametrize("path, method, mode, on_real_row", OPERATIONS)
def test_generated_requests_get_no_5xx_and_documented_responses(api_schema, fuzz_data, path,
                                                                method, mode, on_real_row):
    operation = api_schema[path][method]
    fixed = {name: value for name, value in fuzz_data["path"].items()
             if on_real_row and "{" + name + "}" in path}

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers=fuzz_data["headers"], checks=CHECKS)

    check()


def test_operation_takes_non_json_answers_for_modules_still_to_come():
    """letters.py will serve PDFs: a full response object passes through unchanged."""
    from workqueue.domain.roles import Permission
    from workqueue.views.api.openapi import ITEM_ID, operation

    pdf = {"description": "The letter as PDF.",
           "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
    op = operation("getLetterPdf", "A letter's PDF.", permission=Permission.VIEW_WORK,
                   path=(ITEM_ID,), ok={200: pdf}, errors=(404,))
    assert op["responses"]["200"] == pdf
    assert set(op["responses"]) == {"200", "401", "403", "404"}
