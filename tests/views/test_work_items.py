"""The work-item page: what it shows per kind, its forms, and refusing stale saves."""

import re
from datetime import timedelta

import pytest

from tests.conftest import csrf_token_from
from tests.factories import (
    make_authorization,
    make_claim,
    make_coverage,
    make_denial,
    make_patient,
    make_payer,
    make_user,
    make_work_item,
)
from workqueue.clock import utcnow
from workqueue.models import Activity, AuditEvent, WorkItem
from workqueue.services.audit import Actor
from workqueue.services.work_items import add_note


@pytest.fixture
def cora(session):
    return make_user(session, "coordinator", username="cora", display_name="Cora Coordinator")


@pytest.fixture
def pa_item(session, cora):
    patient = make_patient(session, first_name="Testa", last_name="Synthetic")
    payer = make_payer(session, name="Aetna Test")
    coverage = make_coverage(session, patient=patient, payer=payer, member_id="XZT000000042")
    authorization = make_authorization(session, coverage=coverage, units_used=60,
                                       authorized_units=100)
    return make_work_item(session, "prior_auth", title="PA for Remicade", patient_id=patient.id,
                          payer_id=payer.id, coverage_id=coverage.id,
                          authorization_id=authorization.id, assignee_id=cora.id,
                          amount=18400, now=utcnow())


def _form_token(html: str) -> str:
    return csrf_token_from(html)


def _version(html: str) -> str:
    return re.search(r'id="version" name="version" type="hidden" value="(\d+)"', html).group(1)


def test_page_shows_patient_coverage_authorization_and_is_audited(client, auth, session,
                                                                   cora, pa_item):
    auth.login("cora")
    html = client.get(f"/work-items/{pa_item.id}").get_data(as_text=True)
    assert "Synthetic, Testa" in html and pa_item.patient.mrn in html
    assert "XZT000000042" in html and "Aetna Test" in html
    assert "60 / 100" in html and '<progress id="units-' in html
    assert "$18,400" in html
    # only the transitions the table allows from "new"
    buttons = set(re.findall(r'name="target" value="(\w+)"', html))
    assert buttons == {"gathering_info", "submitted", "cancelled"}
    assert session.query(AuditEvent).filter_by(action="view", object_type="work_item",
                                               patient_id=pa_item.patient_id).count() == 1


def test_denial_codes_are_shown_in_plain_words(client, auth, session):
    make_user(session, "denial_specialist", username="dana")
    claim = make_claim(session)
    denial = make_denial(session, claim=claim, carc_codes="197", rarc_codes="N54")
    item = make_work_item(session, "denial", title="Denied claim", claim_id=claim.id,
                          denial_id=denial.id, payer_id=claim.payer_id, now=utcnow())
    auth.login("dana")
    html = client.get(f"/work-items/{item.id}").get_data(as_text=True)
    assert "CARC 197" in html and "authoriz" in html.lower()
    assert "96413" in html  # the claim line


def test_call_log_with_follow_up_pends_the_item(client, auth, session, cora, pa_item):
    auth.login("cora")
    html = client.get(f"/work-items/{pa_item.id}").get_data(as_text=True)
    follow_up = (utcnow().date() + timedelta(days=7)).isoformat()
    response = client.post(f"/work-items/{pa_item.id}/calls", data={
        "csrf_token": _form_token(html), "version": _version(html), "seen_activity": "0",
        "party": "Aetna provider line", "reference": "REF-123", "outcome": "Needs notes",
        "next_step": "Fax clinicals", "follow_up_on": follow_up}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Call logged." in page and "REF-123" in page
    session.expire_all()
    assert session.get(WorkItem, pa_item.id).pended_until.isoformat() == follow_up


def test_invalid_call_log_shows_field_errors_and_saves_nothing(client, auth, session, cora,
                                                                pa_item):
    auth.login("cora")
    html = client.get(f"/work-items/{pa_item.id}").get_data(as_text=True)
    response = client.post(f"/work-items/{pa_item.id}/calls", data={
        "csrf_token": _form_token(html), "version": _version(html), "party": "",
        "outcome": "Spoke to rep", "reference": "KEEP-ME"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="party-error"' in page and "Say who you called." in page
    assert 'aria-describedby="party-error"' in page
    assert 'value="KEEP-ME"' in page
    assert session.query(Activity).filter_by(work_item_id=pa_item.id, kind="call").count() == 0


def test_transition_button_changes_status(client, auth, session, cora, pa_item):
    auth.login("cora")
    html = client.get(f"/work-items/{pa_item.id}").get_data(as_text=True)
    response = client.post(f"/work-items/{pa_item.id}/transition", data={
        "csrf_token": _form_token(html), "version": _version(html), "target": "gathering_info",
        "note": "Collecting clinicals"}, follow_redirects=True)
    assert "Status changed." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(WorkItem, pa_item.id).status == "gathering_info"


def test_stale_note_shows_what_changed_and_keeps_the_text(client, auth, session, cora,
                                                          pa_item):
    auth.login("cora")
    html = client.get(f"/work-items/{pa_item.id}").get_data(as_text=True)
    seen = re.search(r'name="seen_activity" type="hidden" value="(\d+)"', html).group(1)
    # Someone else works the item after the page was loaded.
    other = make_user(session, "supervisor", display_name="Sue Supervisor")
    item = session.get(WorkItem, pa_item.id)
    add_note(session, item, "Payer called back", Actor.for_user(other), utcnow())
    item.priority_override = 5  # any edit bumps the version
    session.flush()

    response = client.post(f"/work-items/{pa_item.id}/notes", data={
        "csrf_token": _form_token(html), "version": _version(html), "seen_activity": seen,
        "body": "My long careful note"})

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this item" in page
    assert "Sue Supervisor" in page and "Payer called back" in page
    assert "My long careful note</textarea>" in page
    assert session.query(Activity).filter_by(work_item_id=pa_item.id, kind="note",
                                             body="My long careful note").count() == 0


def test_pend_in_the_past_is_refused_next_to_the_field(client, auth, session, cora, pa_item):
    auth.login("cora")
    html = client.get(f"/work-items/{pa_item.id}").get_data(as_text=True)
    response = client.post(f"/work-items/{pa_item.id}/pend", data={
        "csrf_token": _form_token(html), "version": _version(html),
        "until": (utcnow().date() - timedelta(days=1)).isoformat()})
    assert response.status_code == 422
    assert 'id="until-error"' in response.get_data(as_text=True)


def test_assign_to_me_and_release(client, auth, session, cora):
    item = make_work_item(session, "eligibility", title="Elig check", now=utcnow())
    auth.login("cora")
    html = client.get(f"/work-items/{item.id}").get_data(as_text=True)
    assert "Assign to me" in html and "Release to pool" not in html
    client.post(f"/work-items/{item.id}/claim", data={
        "csrf_token": _form_token(html), "version": _version(html)})
    session.expire_all()
    assert session.get(WorkItem, item.id).assignee_id == cora.id
    html = client.get(f"/work-items/{item.id}").get_data(as_text=True)
    client.post(f"/work-items/{item.id}/release", data={
        "csrf_token": _form_token(html), "version": _version(html)})
    session.expire_all()
    assert session.get(WorkItem, item.id).assignee_id is None


def test_coordinator_cannot_use_supervisor_assign(client, auth, session, cora, pa_item):
    auth.login("cora")
    html = client.get(f"/work-items/{pa_item.id}").get_data(as_text=True)
    assert "Priority boost" not in html
    response = client.post(f"/work-items/{pa_item.id}/assign", data={
        "csrf_token": _form_token(html), "version": _version(html), "assignee_id": cora.id})
    assert response.status_code == 403


def test_related_open_items_for_the_same_patient(client, auth, session, cora, pa_item):
    make_work_item(session, "eligibility", title="Sibling elig", patient_id=pa_item.patient_id,
                   now=utcnow())
    auth.login("cora")
    html = client.get(f"/work-items/{pa_item.id}").get_data(as_text=True)
    assert "Sibling elig" in html


def test_missing_item_is_404(client, auth, session, cora):
    auth.login("cora")
    assert client.get("/work-items/999999").status_code == 404
