"""*Request appeal letter* is offered only where the item's kind and status allow it, and a
refused request is told on the item's page, never on a bare error page."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.factories import (
    make_claim,
    make_denial,
    make_patient,
    make_payer,
    make_user,
    make_work_item,
)
from workqueue.clock import utcnow
from workqueue.models import Letter
from workqueue.services.audit import Actor
from workqueue.services.work_items import transition_work_item

BUTTON = "Request appeal letter"


@pytest.fixture
def ruth(session):
    return make_user(session, "denial_specialist", username="ruth")


def _denial_item(session, denied_days_ago: int = 10, **fields):
    payer = make_payer(session, appeal_levels=[(1, "First level", 120, 30)])
    patient = make_patient(session)
    claim = make_claim(session, patient=patient, payer=payer)
    denial = make_denial(session, claim=claim)
    return make_work_item(session, "denial", patient_id=patient.id, payer_id=payer.id,
                          claim_id=claim.id, denial_id=denial.id,
                          denied_on=utcnow().date() - timedelta(days=denied_days_ago),
                          now=utcnow(), **fields)


def test_a_fresh_denial_offers_the_letter(client, auth, session, ruth):
    item = _denial_item(session)
    auth.login("ruth")
    assert f'hx-get="/letters/item/{item.id}/panel"' in client.get(
        f"/work-items/{item.id}").get_data(as_text=True)
    assert BUTTON in client.get(f"/letters/item/{item.id}/panel").get_data(as_text=True)


def test_prior_auth_items_have_no_letter_panel(client, auth, session):
    make_user(session, "coordinator", username="cora")
    item = make_work_item(session, "prior_auth", now=utcnow())
    auth.login("cora")
    page = client.get(f"/work-items/{item.id}").get_data(as_text=True)
    assert "/panel" not in page and BUTTON not in page


def test_a_submitted_appeal_says_why_instead_of_offering_the_button(client, auth, session,
                                                                    ruth):
    item = _denial_item(session)
    for target in ("triaged", "appeal_drafting", "appeal_submitted"):
        transition_work_item(session, item, target, Actor.for_user(ruth), utcnow())
    auth.login("ruth")
    panel = client.get(f"/letters/item/{item.id}/panel").get_data(as_text=True)
    assert BUTTON not in panel
    assert "letters are written before the appeal is submitted" in panel

    # A stale page (or a hand-made request) is refused on the item's page, not an error page.
    token = csrf_token_from(client.get(f"/work-items/{item.id}").get_data(as_text=True))
    refused = client.post(f"/letters/for-item/{item.id}", data={"csrf_token": token})
    assert refused.status_code == 303
    assert refused.headers["Location"].endswith(f"/work-items/{item.id}")
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert re.search(r'role="alert">No letter can be requested now: this denial is at '
                     r"“appeal submitted”", page)
    assert session.scalars(select(Letter).where(Letter.work_item_id == item.id)).all() == []


def test_a_missed_appeal_deadline_asks_for_a_decision_first(client, auth, session, ruth):
    item = _denial_item(session, denied_days_ago=200)
    assert item.is_deadline_missed
    auth.login("ruth")
    panel = client.get(f"/letters/item/{item.id}/panel").get_data(as_text=True)
    assert BUTTON not in panel and "The appeal deadline has passed" in panel
