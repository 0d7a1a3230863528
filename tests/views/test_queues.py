"""Worklists: filters, sorting, paging, saved views, bulk actions, audit of listed rows."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.conftest import csrf_token_from
from tests.factories import make_patient, make_payer, make_queue, make_user, make_work_item
from workqueue.clock import utcnow
from workqueue.models import Activity, AuditEvent, SavedView, WorkItem


@pytest.fixture
def people(session):
    sup = make_user(session, "supervisor", username="sam", display_name="Sam Supervisor")
    cora = make_user(session, "coordinator", username="cora", display_name="Cora Coordinator")
    return sup, cora


@pytest.fixture
def queue(session, people):
    return make_queue(session, list(people), name="Prior auth", slug="pa",
                      kinds=["prior_auth", "eligibility"])


def _titles(html: str) -> list[str]:
    return re.findall(r'class="item-title" href="/work-items/\d+">([^<]+)<', html)


def test_worklist_filters_by_payer_amount_and_assignee(client, auth, session, people, queue):
    sup, cora = people
    aetna, cigna = make_payer(session, name="Aetna"), make_payer(session, name="Cigna")
    make_work_item(session, "prior_auth", title="Aetna big", payer_id=aetna.id, amount=5000,
                   now=utcnow())
    make_work_item(session, "prior_auth", title="Aetna small", payer_id=aetna.id, amount=50,
                   now=utcnow())
    make_work_item(session, "prior_auth", title="Cigna mine", payer_id=cigna.id, amount=7000,
                   assignee_id=cora.id, now=utcnow())
    make_work_item(session, "denial", title="Not in this queue", now=utcnow())
    auth.login("cora")

    everything = client.get("/queues/pa").get_data(as_text=True)
    assert set(_titles(everything)) == {"Aetna big", "Aetna small", "Cigna mine"}
    assert "3</strong> items" in everything
    by_payer = client.get(f"/queues/pa?payer={aetna.id}&amount_min=100").get_data(as_text=True)
    assert _titles(by_payer) == ["Aetna big"]
    assert _titles(client.get("/queues/pa?assignee=me").get_data(as_text=True)) == ["Cigna mine"]
    unassigned = client.get("/queues/pa?assignee=none").get_data(as_text=True)
    assert "Cigna mine" not in _titles(unassigned)


def test_sorting_by_a_header_and_aria_sort(client, auth, session, people, queue):
    for amount, title in ((300, "Middle"), (100, "Cheap"), (900, "Dear")):
        make_work_item(session, "prior_auth", title=title, amount=amount, now=utcnow())
    auth.login("cora")
    html = client.get("/queues/pa?sort=amount&dir=asc").get_data(as_text=True)
    assert _titles(html) == ["Cheap", "Middle", "Dear"]
    assert re.search(r'aria-sort="ascending">\s*<a href="[^"]*sort=amount', html)
    desc = client.get("/queues/pa?sort=amount&dir=desc").get_data(as_text=True)
    assert _titles(desc) == ["Dear", "Middle", "Cheap"]


def test_sort_by_payer_name(client, auth, session, people, queue):
    for name in ("Zeta Health", "Alpha Care", "Mid Plan"):
        make_work_item(session, "prior_auth", title=f"Item {name}",
                       payer_id=make_payer(session, name=name).id, now=utcnow())
    auth.login("cora")
    html = client.get("/queues/pa?sort=payer&dir=asc").get_data(as_text=True)
    assert _titles(html) == ["Item Alpha Care", "Item Mid Plan", "Item Zeta Health"]


def test_paging_shows_totals(client, auth, session, people, queue):
    for i in range(12):
        make_work_item(session, "prior_auth", title=f"Paged {i:02d}", amount=1000 + i,
                       now=utcnow())
    auth.login("cora")
    page2 = client.get("/queues/pa?per_page=10&page=2").get_data(as_text=True)
    assert len(_titles(page2)) == 2
    assert "12</strong> items" in page2 and "showing 11–12" in page2


def test_htmx_request_gets_only_the_results(client, auth, session, people, queue):
    make_work_item(session, "prior_auth", title="Only row", now=utcnow())
    auth.login("cora")
    response = client.get("/queues/pa?kind=prior_auth",
                          headers={"HX-Request": "true", "HX-Target": "worklist-results"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<div id=\"worklist-results\">") or "<html" not in html
    assert "Only row" in html and "<html" not in html


def test_bad_filter_value_is_shown_next_to_the_field(client, auth, session, people, queue):
    auth.login("cora")
    response = client.get("/queues/pa?amount_min=lots")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="amount_min-error"' in html and 'aria-invalid="true"' in html


def test_pended_items_leave_the_active_list(client, auth, session, people, queue):
    item = make_work_item(session, "prior_auth", title="Parked", now=utcnow())
    item.pended_until = utcnow().date() + timedelta(days=3)
    session.flush()
    auth.login("cora")
    assert "Parked" not in _titles(client.get("/queues/pa").get_data(as_text=True))
    assert "Parked" in _titles(client.get("/queues/pa?pended=pended").get_data(as_text=True))


def test_listing_is_a_search_audit_event(client, auth, session, people, queue):
    make_work_item(session, "prior_auth", patient_id=make_patient(session).id, now=utcnow())
    auth.login("cora")
    client.get("/queues/pa")
    event = session.query(AuditEvent).filter_by(action="search", object_type="worklist").one()
    assert event.user_id == people[1].id and event.object_id == str(queue.id)


def test_non_member_cannot_open_the_queue(client, auth, session, queue):
    make_user(session, "coordinator", username="outsider")
    auth.login("outsider")
    assert client.get("/queues/pa").status_code == 404


def test_saved_views_personal_and_shared(client, auth, session, people, queue):
    auth.login("cora")
    token = auth.csrf("/queues/pa")
    response = client.post("/queues/pa/views", data={
        "csrf_token": token, "name": "Big Aetna", "params": "amount_min=1000&sort=amount",
        "is_shared": "y"})
    assert response.status_code == 303
    assert "amount_min=1000" in response.headers["Location"]
    view = session.query(SavedView).one()
    assert view.is_shared and view.params == {"amount_min": "1000", "sort": "amount"}
    client.post("/queues/pa/views", data={"csrf_token": token, "name": "Mine only",
                                          "params": "assignee=me"})
    client.post("/auth/logout", data={"csrf_token": token})

    auth.login("sam")
    html = client.get("/queues/pa").get_data(as_text=True)
    assert "Big Aetna" in html and "Mine only" not in html
    opened = client.get(f"/queues/pa?view={view.id}")
    assert opened.status_code == 302 and "amount_min=1000" in opened.headers["Location"]


def test_saving_a_view_without_a_name_shows_the_error(client, auth, session, people, queue):
    auth.login("cora")
    token = auth.csrf("/queues/pa")
    response = client.post("/queues/pa/views", data={"csrf_token": token, "name": "",
                                                      "params": ""})
    assert response.status_code == 422
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert session.query(SavedView).count() == 0


def test_supervisor_bulk_assigns_selected_items(client, auth, session, people, queue):
    sup, cora = people
    items = [make_work_item(session, "prior_auth", now=utcnow()) for _ in range(3)]
    auth.login("sam")
    html = client.get("/queues/pa").get_data(as_text=True)
    assert 'class="form-check-input row-select"' in html
    response = client.post("/queues/pa/bulk", data={
        "csrf_token": csrf_token_from(html), "action": "assign", "assignee_id": str(cora.id),
        "ids": [str(i.id) for i in items[:2]], "back": "sort=due"}, follow_redirects=True)
    assert "Assigned 2 items." in response.get_data(as_text=True)
    session.expire_all()
    assert [session.get(WorkItem, i.id).assignee_id for i in items] == [cora.id, cora.id, None]


def test_bulk_pend_and_priority(client, auth, session, people, queue):
    items = [make_work_item(session, "prior_auth", now=utcnow()) for _ in range(2)]
    auth.login("sam")
    token = auth.csrf("/queues/pa")
    until = (utcnow().date() + timedelta(days=5)).isoformat()
    client.post("/queues/pa/bulk", data={"csrf_token": token, "action": "pend",
                                         "pend_until": until, "ids": [str(items[0].id)]})
    client.post("/queues/pa/bulk", data={"csrf_token": token, "action": "priority",
                                         "priority_override": "30", "ids": [str(items[1].id)]})
    session.expire_all()
    assert session.get(WorkItem, items[0].id).pended_until.isoformat() == until
    assert session.get(WorkItem, items[1].id).priority_override == 30


def test_bulk_action_needs_its_field_and_a_selection(client, auth, session, people, queue):
    item = make_work_item(session, "prior_auth", now=utcnow())
    auth.login("sam")
    token = auth.csrf("/queues/pa")
    response = client.post("/queues/pa/bulk", data={"csrf_token": token, "action": "pend",
                                                    "ids": [str(item.id)]})
    assert response.status_code == 422
    assert 'id="pend_until-error"' in response.get_data(as_text=True)
    none_selected = client.post("/queues/pa/bulk", data={"csrf_token": token,
                                                         "action": "assign"})
    assert "Select at least one item." in none_selected.get_data(as_text=True)
    assert session.query(Activity).filter_by(work_item_id=item.id, kind="pend").count() == 0


def test_coordinator_gets_no_bulk_actions(client, auth, session, people, queue):
    make_work_item(session, "prior_auth", now=utcnow())
    auth.login("cora")
    assert "row-select" not in client.get("/queues/pa").get_data(as_text=True)
    token = auth.csrf("/queues/pa")
    assert client.post("/queues/pa/bulk", data={"csrf_token": token}).status_code == 403


def test_queue_index_shows_counts(client, auth, session, people, queue):
    make_work_item(session, "prior_auth", amount=Decimal("10"), now=utcnow())
    auth.login("cora")
    html = client.get("/queues/").get_data(as_text=True)
    assert "Prior auth" in html and 'href="/queues/pa"' in html
