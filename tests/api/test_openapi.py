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

EXAMPLES = 20  # per operation and mode: about 500 requests in all

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
    for kind in ("ar_followup", "denial", "prior_auth", "eligibility"):
        make_work_item(session, kind)
    token = issue_api_token(admin)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_schema(app, fuzz_data):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


# Collected from the document itself, so a new route module is fuzzed without editing this file.
# (schemathesis.pytest.from_fixture does not run under pytest 9, hence plain @given.)
def _cases(document) -> list:
    """(path, method, mode); invalid data only where there is a parameter or body to spoil."""
    cases = []
    for path, method in sorted(_routes_from(document)):
        cases.append(pytest.param(path, method, GenerationMode.POSITIVE, id=f"{method} {path}"))
        operation = document["paths"][path][method]
        if operation.get("parameters") or operation.get("requestBody"):
            cases.append(pytest.param(path, method, GenerationMode.NEGATIVE,
                                      id=f"{method} {path} invalid"))
    return cases


OPERATIONS = _cases(openapi_document())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.mark.parametrize("path, method, mode", OPERATIONS)
def test_generated_requests_get_no_5xx_and_documented_responses(api_schema, fuzz_data, path,
                                                                method, mode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers=fuzz_data, checks=CHECKS)

    check()
