"""My work: the user's items grouped by when they need attention, and Get next per queue."""

from datetime import timedelta

import pytest

from tests.conftest import csrf_token_from
from tests.factories import make_patient, make_payer, make_queue, make_user, make_work_item
from workqueue.clock import utcnow
from workqueue.models import AuditEvent, WorkItem


@pytest.fixture
def coordinator(session):
    return make_user(session, "coordinator", username="cora", display_name="Cora Coordinator")


def _item(session, user, title, **fields):
    payer = fields.pop("payer", None) or make_payer(session)
    return make_work_item(session, "prior_auth", title=title, payer_id=payer.id,
                          patient_id=make_patient(session).id, assignee_id=user.id,
                          now=utcnow(), **fields)


def test_my_work_groups_items_by_urgency(client, auth, session, coordinator):
    today = utcnow().date()
    overdue = _item(session, coordinator, "Overdue PA")
    overdue.due_on = today - timedelta(days=3)
    _item(session, coordinator, "Due today PA", due_on=today)
    back = _item(session, coordinator, "Back from pend PA", due_on=today + timedelta(days=9))
    back.pended_until = today
    _item(session, coordinator, "Later PA", due_on=today + timedelta(days=5))
    parked = _item(session, coordinator, "Parked PA", due_on=today + timedelta(days=5))
    parked.pended_until = today + timedelta(days=4)
    session.flush()
    auth.login("cora")

    html = client.get("/").get_data(as_text=True)

    sections = {name: html.index(name) for name in
                ("Overdue PA", "Due today PA", "Back from pend PA", "Later PA", "Parked PA")}
    assert html.index('id="g-overdue"') < sections["Overdue PA"] < html.index('id="g-today"')
    assert html.index('id="g-today"') < sections["Due today PA"] < html.index('id="g-back"')
    assert html.index('id="g-back"') < sections["Back from pend PA"] < html.index('id="g-upcoming"')
    assert html.index('id="g-upcoming"') < sections["Later PA"] < html.index('id="g-pended"')
    assert "3 d late" in html


def test_my_work_shows_only_my_items(client, auth, session, coordinator):
    other = make_user(session, "coordinator")
    _item(session, other, "Somebody else's PA")
    auth.login("cora")
    assert "Somebody else" not in client.get("/").get_data(as_text=True)


def test_get_next_claims_the_top_item_and_opens_it(client, auth, session, coordinator):
    queue = make_queue(session, [coordinator], name="PA oncology", slug="pa-onc",
                       kinds=["prior_auth"])
    low = make_work_item(session, "prior_auth", title="Low", amount=100, now=utcnow())
    high = make_work_item(session, "prior_auth", title="High", amount=90000, now=utcnow())
    auth.login("cora")
    home = client.get("/").get_data(as_text=True)
    assert "Get next<span class=\"queue-name\">PA oncology" in home and 'data-hotkey="n"' in home

    response = client.post(f"/queues/{queue.slug}/next",
                           data={"csrf_token": csrf_token_from(home)})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/work-items/{high.id}")
    session.expire_all()
    assert session.get(WorkItem, high.id).assignee_id == coordinator.id
    assert session.get(WorkItem, low.id).assignee_id is None


def test_get_next_on_an_empty_queue_says_so(client, auth, session, coordinator):
    queue = make_queue(session, [coordinator], name="Eligibility", slug="elig",
                       kinds=["eligibility"])
    auth.login("cora")
    token = auth.csrf("/")
    response = client.post(f"/queues/{queue.slug}/next", data={"csrf_token": token},
                           headers={"Referer": "http://localhost/"}, follow_redirects=True)
    assert "Nothing left in Eligibility." in response.get_data(as_text=True)


def test_get_next_without_csrf_is_refused(client, auth, session, coordinator):
    queue = make_queue(session, [coordinator], slug="q-csrf", kinds=["prior_auth"])
    make_work_item(session, "prior_auth", now=utcnow())
    auth.login("cora")
    assert client.post(f"/queues/{queue.slug}/next").status_code == 400


def test_my_work_is_audited_and_needs_sign_in(client, auth, session, coordinator):
    assert client.get("/").status_code == 302
    auth.login("cora")
    client.get("/")
    assert session.query(AuditEvent).filter_by(user_id=coordinator.id,
                                               object_type="my_work").count() == 1


def test_nav_shows_only_screens_the_role_may_open(client, auth, session, coordinator):
    auth.login("cora")
    html = client.get("/").get_data(as_text=True)
    assert ">\n                My work" in html or "My work" in html
    assert 'href="/queues/"' in html
    assert "Skip to content" in html
    assert 'htmx-config' in html and "includeIndicatorStyles" in html


def test_pages_carry_no_inline_script_or_style(client, auth, session, coordinator):
    auth.login("cora")
    html = client.get("/").get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html and "<style" not in html
