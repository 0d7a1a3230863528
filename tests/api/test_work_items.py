"""The work-item API end to end: list, show, create, PATCH, transition, notes, calls, assign."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from tests.factories import (
    NOW,
    make_claim,
    make_denial,
    make_patient,
    make_payer,
    make_user,
    make_work_item,
)
from workqueue.models import Activity, AuditEvent, WorkItem

TODAY = NOW.date()  # the product clock is pinned at NOW (tests/conftest.py)


def _item(session, kind="ar_followup", **fields):
    item = make_work_item(session, kind, **fields)
    session.commit()
    return item


def _reload(session, item_id):
    session.expire_all()
    return session.get(WorkItem, item_id)


def test_list_filters_sorts_pages_and_audits_a_search(api_as, session, conforms):
    api = api_as("ar_specialist")
    payer = make_payer(session)
    mine = [_item(session, payer_id=payer.id, amount=Decimal(a), assignee_id=api.user.id)
            for a in ("100", "900", "500")]
    _item(session, "denial", payer_id=payer.id)  # another kind
    _item(session, payer_id=payer.id)  # unassigned
    response = api.get(f"/api/v1/work-items?kind=ar_followup&assignee=me&payer={payer.id}"
                       "&sort=-amount&per_page=2")
    assert response.status_code == 200
    conforms(response, "GET", "/api/v1/work-items")
    body = response.get_json()
    assert [row["amount"] for row in body["items"]] == ["900.00", "500.00"]
    assert body["meta"] == {"total": 3, "total_is_capped": False, "page": 1, "per_page": 2,
                            "pages": 2}
    second = api.get("/api/v1/work-items?assignee=me&sort=-amount&per_page=2&page=2").get_json()
    assert [row["id"] for row in second["items"]] == [mine[0].id]
    searches = session.scalars(select(AuditEvent).where(AuditEvent.user_id == api.user.id,
                                                        AuditEvent.action == "search")).all()
    assert len(searches) == 2 and searches[0].channel == "api"


def test_list_unassigned_pended_and_date_filters(api_as, session):
    api = api_as("supervisor")
    payer = make_payer(session)
    due_soon = _item(session, payer_id=payer.id, due_on=TODAY + timedelta(days=2))
    _item(session, payer_id=payer.id, due_on=TODAY + timedelta(days=20))
    pended = _item(session, payer_id=payer.id)
    pended.pended_until = TODAY + timedelta(days=5)
    session.commit()
    url = f"/api/v1/work-items?payer={payer.id}&assignee=none"
    soon = api.get(url + f"&due_before={TODAY + timedelta(days=3)}").get_json()
    assert [row["id"] for row in soon["items"]] == [due_soon.id]
    only_pended = api.get(url + "&pended=true").get_json()
    assert [row["id"] for row in only_pended["items"]] == [pended.id]
    everything = api.get(url + "&pended=any").get_json()
    assert everything["meta"]["total"] == 3


def test_show_has_priority_parts_deadline_links_and_timeline_newest_first(api_as, session,
                                                                           conforms):
    api = api_as("denial_specialist")
    payer = make_payer(session)
    patient = make_patient(session)
    claim = make_claim(session, patient=patient, payer=payer)
    denial = make_denial(session, claim=claim, carc_codes="197,16", rarc_codes="N30")
    item = _item(session, "denial", payer_id=payer.id, patient_id=patient.id, claim_id=claim.id,
                 denial_id=denial.id, denied_on=date(2026, 11, 1), amount=Decimal("18400"))
    api.post(f"/api/v1/work-items/{item.id}/notes", json={"body": "Checked the EOB."})
    response = api.get(f"/api/v1/work-items/{item.id}")
    assert response.status_code == 200
    conforms(response, "GET", "/api/v1/work-items/{item_id}")
    body = response.get_json()
    assert body["priority"]["parts"][0] == "$18,400"
    assert body["deadline"] == {"on": "2027-04-30", "kind": "appeal"}
    assert body["links"]["patient_id"] == patient.id
    assert body["links"]["payer"]["id"] == payer.id
    assert body["claim"]["claim_number"] == claim.claim_number
    assert body["denial"]["carc_codes"] == ["197", "16"]
    assert [a["kind"] for a in body["timeline"]] == ["note", "system"]
    assert body["timeline"][0]["actor"]["id"] == api.user.id
    assert "triaged" in body["allowed_transitions"]
    view = session.scalars(select(AuditEvent).where(AuditEvent.action == "view",
                                                    AuditEvent.object_id == str(item.id))).one()
    assert view.patient_id == patient.id and view.user_id == api.user.id


def test_create_answers_201_with_location_and_computed_deadline(api_as, session, conforms):
    api = api_as("denial_specialist")
    payer = make_payer(session, appeal_levels=[(1, "Reconsideration", 90, 30)])
    patient = make_patient(session)
    session.commit()
    response = api.post("/api/v1/work-items", json={
        "kind": "denial", "title": "CO-197 on J9035", "payer_id": payer.id,
        "patient_id": patient.id, "amount": "1250.50", "denied_on": "2026-11-01",
    })
    assert response.status_code == 201, response.get_json()
    conforms(response, "POST", "/api/v1/work-items")
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/work-items/{body['id']}"
    assert body["deadline"] == {"on": "2027-01-30", "kind": "appeal"}
    assert body["amount"] == "1250.50" and body["status"] == "new" and body["version"] >= 1
    created = _reload(session, body["id"])
    assert created.patient_id == patient.id and created.amount == Decimal("1250.50")


def test_patch_changes_fields_and_bumps_the_version(api_as, session, conforms):
    api = api_as("supervisor")
    item = _item(session)
    version = item.version
    response = api.patch(f"/api/v1/work-items/{item.id}", json={
        "version": version, "due_on": str(TODAY + timedelta(days=9)), "priority_override": 5})
    assert response.status_code == 200, response.get_json()
    conforms(response, "PATCH", "/api/v1/work-items/{item_id}")
    body = response.get_json()
    assert body["due_on"] == str(TODAY + timedelta(days=9))
    assert body["priority"]["override"] == 5
    assert body["version"] > version
    assert _reload(session, item.id).version == body["version"]


def test_patch_pends_and_returns_an_item(api_as, session):
    api = api_as("ar_specialist")
    item = _item(session)
    until = str(TODAY + timedelta(days=10))
    pended = api.patch(f"/api/v1/work-items/{item.id}",
                       json={"version": item.version, "pended_until": until}).get_json()
    assert pended["pended_until"] == until
    back = api.patch(f"/api/v1/work-items/{item.id}",
                     json={"version": pended["version"], "pended_until": None}).get_json()
    assert back["pended_until"] is None


def test_transition_moves_the_status_and_logs_it(api_as, session, conforms):
    api = api_as("ar_specialist")
    item = _item(session)
    response = api.post(f"/api/v1/work-items/{item.id}/transition",
                        json={"to": "in_progress", "note": "Calling the payer",
                              "version": item.version})
    assert response.status_code == 200, response.get_json()
    conforms(response, "POST", "/api/v1/work-items/{item_id}/transition")
    body = response.get_json()
    assert body["status"] == "in_progress"
    assert body["timeline"][0]["kind"] == "status_change"
    assert body["timeline"][0]["body"] == "Calling the payer"


def test_note_and_call_are_added_to_the_timeline(api_as, session, conforms):
    api = api_as("ar_specialist")
    item = _item(session)
    note = api.post(f"/api/v1/work-items/{item.id}/notes", json={"body": "Left a voicemail."})
    assert note.status_code == 201
    conforms(note, "POST", "/api/v1/work-items/{item_id}/notes")
    assert note.get_json()["activity"]["body"] == "Left a voicemail."
    follow_up = str(TODAY + timedelta(days=7))
    call = api.post(f"/api/v1/work-items/{item.id}/calls", json={
        "party": "Payer provider line", "outcome": "Claim in process", "reference": "REF-88812",
        "next_step": "Call back", "follow_up_on": follow_up})
    assert call.status_code == 201, call.get_json()
    conforms(call, "POST", "/api/v1/work-items/{item_id}/calls")
    body = call.get_json()
    assert body["activity"]["kind"] == "call"
    assert body["activity"]["data"]["reference"] == "REF-88812"
    assert body["work_item"]["pended_until"] == follow_up


def test_a_worker_assigns_to_self_and_a_supervisor_to_anyone(api_as, session, conforms):
    worker = api_as("ar_specialist")
    item = _item(session)
    response = worker.post(f"/api/v1/work-items/{item.id}/assign",
                           json={"assignee_id": worker.user.id})
    assert response.status_code == 200
    conforms(response, "POST", "/api/v1/work-items/{item_id}/assign")
    assert response.get_json()["assignee"]["id"] == worker.user.id
    colleague = make_user(session, "ar_specialist")
    boss = api_as("supervisor")
    moved = boss.post(f"/api/v1/work-items/{item.id}/assign",
                      json={"assignee_id": colleague.id}).get_json()
    assert moved["assignee"]["id"] == colleague.id


def test_bulk_assign_reports_skipped_items(api_as, session, conforms):
    boss = api_as("supervisor")
    colleague = make_user(session, "ar_specialist")
    items = [_item(session) for _ in range(2)]
    denial_only = make_user(session, "coordinator")  # cannot work AR items
    session.commit()
    response = boss.post("/api/v1/work-items/bulk-assign",
                         json={"ids": [items[0].id, items[1].id, 2_000_000_000],
                               "assignee_id": colleague.id})
    assert response.status_code == 200
    conforms(response, "POST", "/api/v1/work-items/bulk-assign")
    body = response.get_json()
    assert body["assigned"] == sorted(i.id for i in items)
    assert body["skipped"] == [{"id": 2_000_000_000, "reason": "not found"}]
    refused = boss.post("/api/v1/work-items/bulk-assign",
                        json={"ids": [items[0].id], "assignee_id": denial_only.id}).get_json()
    assert refused["assigned"] == [] and refused["skipped"][0]["id"] == items[0].id


def test_a_search_by_patient_names_the_patient_in_the_audit_trail(api_as, session):
    api = api_as("ar_specialist")
    patient = make_patient(session)
    item = _item(session, patient_id=patient.id)
    body = api.get(f"/api/v1/work-items?patient_id={patient.id}").get_json()
    assert [row["id"] for row in body["items"]] == [item.id]
    search = session.scalars(select(AuditEvent).where(AuditEvent.action == "search")).one()
    assert search.patient_id == patient.id and "patient_id" in search.context


def test_notes_leave_an_update_audit_event(api_as, session):
    api = api_as("ar_specialist")
    patient = make_patient(session)
    item = _item(session, patient_id=patient.id)
    api.post(f"/api/v1/work-items/{item.id}/notes", json={"body": "x"})
    count = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.patient_id == patient.id, AuditEvent.action == "update",
        AuditEvent.channel == "api"))
    assert count == 1
    assert session.scalar(select(func.count()).select_from(Activity).where(
        Activity.work_item_id == item.id, Activity.kind == "note")) == 1
