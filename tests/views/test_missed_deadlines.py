"""Missed deadlines on the screens: out of the working list into its own tab, words instead of
negative days, the decision form on the item page, My work, and the overview's count."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.conftest import csrf_token_from
from tests.factories import make_payer, make_queue, make_user, make_work_item
from workqueue.clock import utcnow
from workqueue.models import WorkItem


@pytest.fixture
def ruth(session):
    return make_user(session, "denial_specialist", username="ruth", display_name="Ruth Kowalski")


@pytest.fixture
def items(session, ruth):
    make_queue(session, [ruth], name="Denials", slug="denials", kinds=["denial"])
    payer = make_payer(session, appeal_levels=[(1, "First level", 120, 30)])
    now = utcnow()

    def denial(title, deadline_in, amount, **fields):
        return make_work_item(session, "denial", title=title, payer_id=payer.id,
                              denied_on=now.date() + timedelta(days=deadline_in - 120),
                              amount=Decimal(amount), now=now, **fields)

    return (denial("Dead appeal", -260, "90000", assignee_id=ruth.id),
            denial("Live appeal", 20, "77380"))


def _titles(html: str) -> list[str]:
    return re.findall(r'class="item-title" href="/work-items/\d+">([^<]+)<', html)


def test_the_working_list_leaves_missed_items_to_their_own_tab(client, auth, items):
    auth.login("ruth")
    working = client.get("/queues/denials").get_data(as_text=True)
    assert _titles(working) == ["Live appeal"]
    assert "appeal due in 20 days" in working
    assert re.search(r"Deadline missed <span[^>]*>1</span>", working)
    missed = client.get("/queues/denials?deadline=missed").get_data(as_text=True)
    assert _titles(missed) == ["Dead appeal"]
    assert "appeal deadline passed 260 days ago" in missed
    assert "-260" not in missed
    both = client.get("/queues/denials?deadline=all").get_data(as_text=True)
    assert _titles(both) == ["Live appeal", "Dead appeal"]


def test_my_work_groups_missed_items_apart(client, auth, items):
    auth.login("ruth")
    html = client.get("/").get_data(as_text=True)
    missed = html.split('id="g-missed"', 1)[1]
    assert "Dead appeal" in missed and "appeal deadline passed 260 days ago" in missed
    assert "1 deadline missed" in html


def test_the_item_page_asks_for_a_decision_and_keeps_the_typed_reason(client, auth, session,
                                                                     items):
    dead, _live = items
    auth.login("ruth")
    html = client.get(f"/work-items/{dead.id}").get_data(as_text=True)
    assert "Deadline missed: appeal deadline passed 260 days ago" in html
    assert re.findall(r'name="decision" value="(\w+)"', html) == ["late_appeal", "write_off"]
    assert 'name="target"' not in html  # no way around the decision
    assert "-260" not in html and "260 d" in html
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"',
                        html).group(1)
    form = {"csrf_token": csrf_token_from(html), "version": version, "seen_activity": "0"}

    refused = client.post(f"/work-items/{dead.id}/missed-deadline",
                          data={**form, "decision": "write_off", "reason": ""})
    assert refused.status_code == 422
    assert "Say why (write off)." in refused.get_data(as_text=True)

    done = client.post(f"/work-items/{dead.id}/missed-deadline",
                       data={**form, "decision": "late_appeal",
                             "reason": "Payer sent the notice to an old address."})
    assert done.status_code == 303
    item = session.get(WorkItem, dead.id)
    session.refresh(item)
    assert item.status == "appeal_drafting" and not item.is_deadline_missed
    page = client.get(f"/work-items/{dead.id}").get_data(as_text=True)
    assert "late appeal due in 14 days" in page and "old address" in page


def test_the_overview_counts_missed_deadlines(client, auth, session, items):
    make_user(session, "supervisor", username="helen")
    auth.login("helen")
    html = client.get("/reports/overview").get_data(as_text=True)
    assert re.search(r"Deadlines missed, awaiting a decision</[^>]+>\s*<[^>]+>1<", html), html
