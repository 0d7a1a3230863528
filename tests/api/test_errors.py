"""Every API error is JSON with the right status, and a refused request changes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import NOW, make_user, make_work_item
from workqueue.models import Activity, AuditEvent, WorkItem

TODAY = NOW.date()  # the product clock is pinned at NOW (tests/conftest.py)


def _item(session, kind="ar_followup", **fields):
    item = make_work_item(session, kind, **fields)
    session.commit()
    return item


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    return error["details"]


def _snapshot(session, item_id: int) -> tuple:
    session.expire_all()
    item = session.get(WorkItem, item_id)
    activities = session.scalar(select(func.count()).select_from(Activity)
                                .where(Activity.work_item_id == item_id))
    return (item.version, item.assignee_id, item.pended_until, item.due_on, item.status,
            item.priority_override, activities)


# --- 400 -------------------------------------------------------------------------------------

def test_malformed_json_is_400(api_as, session):
    api = api_as("ar_specialist")
    item = _item(session)
    response = api.post(f"/api/v1/work-items/{item.id}/notes", data="{not json",
                        content_type="application/json")
    _error(response, 400, "bad_request")


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "", '{"body": NaN}'])
def test_a_body_that_is_not_a_json_object_is_400(api_as, session, body):
    api = api_as("ar_specialist")
    item = _item(session)
    response = api.post(f"/api/v1/work-items/{item.id}/notes", data=body,
                        content_type="application/json")
    _error(response, 400, "bad_request")


def test_a_body_without_json_content_type_is_400(api_as, session):
    item = _item(session)
    response = api_as("ar_specialist").post(f"/api/v1/work-items/{item.id}/notes",
                                            data="body=hello")
    _error(response, 400, "bad_request")


@pytest.mark.parametrize("query, parameter", [
    ("per_page=500", "per_page"),
    ("due_before=27/11/2026", "due_before"),
    ("due_after=2026-02-30", "due_after"),
    ("kind=surgery", "kind"),
    ("sort=-colour", "sort"),
    ("pended=maybe", "pended"),
    ("assignee=someone", "assignee"),
    ("assignee=9999999999", "assignee"),
    ("amount_min=-5", "amount_min"),
    ("queue=no-such-queue", "queue"),
    ("page=0", "page"),
    ("colour=red", "colour"),
])
def test_bad_list_parameters_are_400_naming_the_parameter(api_as, query, parameter):
    response = api_as("ar_specialist").get(f"/api/v1/work-items?{query}")
    details = _error(response, 400, "bad_request")
    assert list(details) == [parameter]


# --- 401 / 403 -------------------------------------------------------------------------------

def test_no_token_is_401_with_a_bearer_challenge(client):
    response = client.get("/api/v1/work-items")
    _error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_token_is_401_and_audited(client, session):
    response = client.get("/api/v1/queues", headers={"Authorization": "Bearer wq_not-a-token"})
    _error(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    failed = session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed",
                                                      AuditEvent.channel == "api")).all()
    assert len(failed) == 1 and failed[0].outcome == "denied"


def test_an_inactive_users_token_is_401(api_as, session):
    api = api_as("supervisor")
    api.user.is_active = False
    session.commit()
    _error(api.get("/api/v1/queues"), 401, "unauthorized")


def test_a_role_without_the_permission_is_403_and_audited_as_denied(api_as, session):
    item = _item(session)
    api = api_as("ar_specialist")
    response = api.post("/api/v1/work-items/bulk-assign",
                        json={"ids": [item.id], "assignee_id": 1})
    _error(response, 403, "forbidden")
    denied = session.scalars(select(AuditEvent).where(AuditEvent.user_id == api.user.id)).one()
    assert (denied.outcome, denied.object_id) == ("denied", "api.bulk_assign")
    assert _snapshot(session, item.id)[1] is None


def test_working_a_kind_ones_role_cannot_is_403_and_changes_nothing(api_as, session):
    item = _item(session, "denial")
    before = _snapshot(session, item.id)
    response = api_as("coordinator").post(f"/api/v1/work-items/{item.id}/transition",
                                          json={"to": "triaged"})
    _error(response, 403, "forbidden")
    assert _snapshot(session, item.id) == before


def test_the_openapi_document_needs_no_token(client):
    assert client.get("/api/v1/openapi.json").status_code == 200


# --- 404 / 405 -------------------------------------------------------------------------------

def test_a_missing_item_is_404(api_as):
    _error(api_as("ar_specialist").get("/api/v1/work-items/2000000000"), 404, "not_found")


def test_an_unknown_api_path_is_json_404(api_as):
    _error(api_as("ar_specialist").get("/api/v1/no-such-thing"), 404, "not_found")


def test_an_unsupported_method_is_json_405_with_allow(api_as, session):
    item = _item(session)
    response = api_as("supervisor").delete(f"/api/v1/work-items/{item.id}")
    _error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PATCH"}


# --- 409 -------------------------------------------------------------------------------------

def test_a_stale_patch_is_409_with_the_current_item(api_as, session):
    api = api_as("supervisor")
    item = _item(session)
    old = item.version
    fresh = api.patch(f"/api/v1/work-items/{item.id}",
                      json={"version": old, "due_on": str(TODAY + timedelta(days=3))})
    assert fresh.status_code == 200
    response = api.patch(f"/api/v1/work-items/{item.id}",
                         json={"version": old, "due_on": str(TODAY + timedelta(days=30))})
    details = _error(response, 409, "stale_version")
    assert details["current"]["version"] == fresh.get_json()["version"]
    assert details["current"]["due_on"] == str(TODAY + timedelta(days=3))
    assert details["your_version"] == old


def test_an_illegal_transition_is_409_listing_allowed_targets(api_as, session):
    api = api_as("ar_specialist")
    item = _item(session)
    before = _snapshot(session, item.id)
    response = api.post(f"/api/v1/work-items/{item.id}/transition", json={"to": "closed"})
    details = _error(response, 409, "invalid_transition")
    assert details["allowed"] == ["in_progress", "resolved_paid", "write_off"]
    assert _snapshot(session, item.id) == before


def test_a_stale_transition_is_409(api_as, session):
    api = api_as("ar_specialist")
    item = _item(session)
    response = api.post(f"/api/v1/work-items/{item.id}/transition",
                        json={"to": "in_progress", "version": item.version + 7})
    _error(response, 409, "stale_version")


# --- 422 -------------------------------------------------------------------------------------

def test_patch_without_version_is_422(api_as, session):
    item = _item(session)
    response = api_as("supervisor").patch(f"/api/v1/work-items/{item.id}",
                                          json={"due_on": str(TODAY)})
    details = _error(response, 422, "validation_failed")
    assert details == {"version": "required"}


def test_unknown_and_invalid_fields_are_422_per_field(api_as, session):
    item = _item(session)
    response = api_as("supervisor").patch(f"/api/v1/work-items/{item.id}", json={
        "version": item.version, "status": "closed", "due_on": "next week",
        "priority_override": "high"})
    details = _error(response, 422, "validation_failed")
    assert set(details) == {"status", "due_on", "priority_override"}
    assert details["status"] == "unknown field"


@pytest.mark.parametrize("body, field", [
    ({"title": "x"}, "kind"),
    ({"kind": "denial"}, "title"),
    ({"kind": "denial", "title": "x", "amount": -1}, "amount"),
    ({"kind": "denial", "title": "x", "amount": "12.345"}, "amount"),
    ({"kind": "denial", "title": "x", "amount": 1e12}, "amount"),
    ({"kind": "denial", "title": "x", "patient_id": 2_000_000_000}, "patient_id"),
    ({"kind": "denial", "title": "x", "payer_id": 0}, "payer_id"),
    ({"kind": "denial", "title": "x", "category": "a\x00b"}, "category"),
    ({"kind": "denial", "title": "x", "denied_on": "2026-13-01"}, "denied_on"),
])
def test_invalid_create_bodies_are_422_naming_the_field(api_as, session, body, field):
    before = session.scalar(select(func.count()).select_from(WorkItem))
    response = api_as("denial_specialist").post("/api/v1/work-items", json=body)
    details = _error(response, 422, "validation_failed")
    assert field in details
    assert session.scalar(select(func.count()).select_from(WorkItem)) == before


def test_an_empty_note_is_422_from_the_service(api_as, session):
    item = _item(session)
    response = api_as("ar_specialist").post(f"/api/v1/work-items/{item.id}/notes",
                                            json={"body": "   "})
    assert _error(response, 422, "validation_failed") == {"body": "required"}


# --- nothing half-saved ----------------------------------------------------------------------

def test_patch_with_one_good_and_one_refused_field_changes_nothing(api_as, session):
    """The service assigns (and flushes) before it refuses the pend date: all is rolled back."""
    boss = api_as("supervisor")
    colleague = make_user(session, "ar_specialist")
    item = _item(session)
    before = _snapshot(session, item.id)
    response = boss.patch(f"/api/v1/work-items/{item.id}", json={
        "version": item.version, "assignee_id": colleague.id,
        "pended_until": str(TODAY - timedelta(days=1))})
    details = _error(response, 422, "validation_failed")
    assert "pended_until" in details
    assert _snapshot(session, item.id) == before


def test_patch_with_a_malformed_field_changes_nothing(api_as, session):
    boss = api_as("supervisor")
    item = _item(session)
    before = _snapshot(session, item.id)
    response = boss.patch(f"/api/v1/work-items/{item.id}", json={
        "version": item.version, "due_on": str(TODAY + timedelta(days=4)),
        "priority_override": 10**9})
    _error(response, 422, "validation_failed")
    assert _snapshot(session, item.id) == before


# --- 500 -------------------------------------------------------------------------------------

def test_an_unexpected_failure_is_a_json_500_without_details(api_as, session, app, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    item = _item(session)

    def broken(*_args, **_kwargs):
        raise RuntimeError("patient Jane Doe broke it")

    monkeypatch.setattr("workqueue.services.work_items.add_note", broken)
    response = api_as("ar_specialist").post(f"/api/v1/work-items/{item.id}/notes",
                                            json={"body": "x"})
    _error(response, 500, "internal_error")
    assert "Jane" not in response.get_data(as_text=True)


def test_a_forged_forwarded_for_header_is_not_trusted(api_as, session):
    """X-Forwarded-For is client-controlled: without a trusted proxy the audit keeps the peer."""
    api = api_as("supervisor")
    response = api.get("/api/v1/work-items", headers={"X-Forwarded-For": "a" * 100},
                       environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 200
    search = session.scalars(select(AuditEvent).where(AuditEvent.action == "search")).one()
    assert search.ip == "192.0.2.7"
