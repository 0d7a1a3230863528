"""API test helpers: a client that sends a bearer token for a user of a given role."""

import pytest

from tests.factories import make_user
from workqueue.services.users import issue_api_token


class ApiClient:
    """The Flask test client with ``Authorization: Bearer <token>`` on every request."""

    def __init__(self, client, user, token: str):
        self.client = client
        self.user = user
        self.token = token

    def _call(self, method: str, url: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def get(self, url, **kwargs):
        return self._call("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self._call("POST", url, **kwargs)

    def patch(self, url, **kwargs):
        return self._call("PATCH", url, **kwargs)

    def delete(self, url, **kwargs):
        return self._call("DELETE", url, **kwargs)


@pytest.fixture
def api_as(client, session):
    """``api_as("supervisor")``: a token-carrying client for a new user of that role."""

    def make(role: str = "admin", user=None) -> ApiClient:
        user = user or make_user(session, role)
        token = issue_api_token(user)
        session.commit()
        return ApiClient(client, user, token)

    return make


@pytest.fixture
def openapi_schema(client):
    """The served OpenAPI document, loaded by schemathesis to check responses against it."""
    import schemathesis

    return schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").get_json())


@pytest.fixture
def conforms(openapi_schema):
    """``conforms(response, "GET", "/api/v1/work-items/{item_id}")`` asserts the body and
    status match the document."""

    def check(response, method: str, path: str) -> None:
        openapi_schema[path][method].validate_response(response)

    return check
