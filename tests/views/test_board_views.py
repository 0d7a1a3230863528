"""Supervisor board: who may see and act, load numbers, idle claims, bulk assign, routing rules."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import NOW, make_queue, make_user, make_work_item
from workqueue.models import AuditEvent, Queue, WorkItem
from workqueue.services.audit import Actor
from workqueue.services.get_next import claim_next


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    for module in ("workqueue.views.board", "workqueue.views.reports"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: NOW)


@pytest.fixture
def boss(session):
    return make_user(session, "supervisor", display_name="Sam Supervisor")


def _post(client, auth, url, data, page="/board/"):
    return client.post(url, data={**data, "csrf_token": auth.csrf(page)})


@pytest.mark.parametrize("url", ["/board/", "/board/load.csv"])
def test_coordinator_may_not_see_the_board(session, client, auth, url):
    make_user(session, "coordinator", username="cora")
    auth.login("cora")
    assert client.get(url).status_code == 403


def test_board_shows_load_per_person_and_unassigned_per_queue(session, client, auth, boss):
    ann = make_user(session, "ar_specialist", display_name="Ann Arlo")
    make_queue(session, [ann], name="AR Medicare", kinds=["ar_followup"])
    make_work_item(session, assignee_id=ann.id, due_on=NOW.date() - timedelta(days=2))
    make_work_item(session, assignee_id=ann.id)
    make_work_item(session)
    auth.login(boss.username)
    page = client.get("/board/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    row = re.search(r"<th scope=\"row\">Ann Arlo</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r">\s*(\d+)\s*<", row) == ["2", "1", "0", "0", "0"]
    queue_row = re.search(r"<th scope=\"row\">AR Medicare</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r">\s*(\d+)\s*<", queue_row)[:3] == ["3", "1", "1"]
    assert 'data-chart="load-chart-data"' in html and 'id="load-chart-data"' in html


def test_idle_claim_released_now_from_the_board(session, client, auth, boss):
    ann = make_user(session, "ar_specialist")
    queue = make_queue(session, [ann])
    item = make_work_item(session, now=NOW - timedelta(hours=8))
    claim_next(session, ann, queue, Actor.for_user(ann), NOW - timedelta(hours=8))
    fresh = make_work_item(session, amount=Decimal("1"))
    claim_next(session, ann, queue, Actor.for_user(ann), NOW - timedelta(minutes=5))
    auth.login(boss.username)
    html = client.get("/board/").get_data(as_text=True)
    assert f"/board/items/{item.id}/release" in html
    assert f"/board/items/{fresh.id}/release" not in html
    response = _post(client, auth, f"/board/items/{item.id}/release", {})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(WorkItem, item.id).assignee_id is None
    assert session.get(WorkItem, fresh.id).assignee_id == ann.id
    assert f"/board/items/{item.id}/release" not in client.get("/board/").get_data(as_text=True)


def test_release_all_idle_claims(session, client, auth, boss):
    ann = make_user(session, "ar_specialist")
    queue = make_queue(session, [ann])
    items = [make_work_item(session) for _ in range(3)]
    for _ in items:
        claim_next(session, ann, queue, Actor.for_user(ann), NOW - timedelta(hours=5))
    auth.login(boss.username)
    response = _post(client, auth, "/board/release-idle", {})
    assert response.status_code == 302
    session.expire_all()
    assert all(session.get(WorkItem, i.id).assignee_id is None for i in items)
    assert "Released 3 idle claims." in client.get("/board/").get_data(as_text=True)


def test_bulk_assign_gives_top_items_of_a_queue(session, client, auth, boss):
    ann = make_user(session, "ar_specialist")
    queue = make_queue(session, [ann], kinds=["ar_followup"])
    items = [make_work_item(session, amount=Decimal(1000 * (i + 1))) for i in range(5)]
    auth.login(boss.username)
    response = _post(client, auth, "/board/assign",
                     {"queue_id": queue.id, "count": "3", "assignee_id": ann.id})
    assert response.status_code == 302
    session.expire_all()
    assigned = {i.id for i in session.scalars(select(WorkItem).where(
        WorkItem.assignee_id == ann.id))}
    assert assigned == {items[4].id, items[3].id, items[2].id}


@pytest.mark.parametrize("count, message", [("0", "Between 1 and 500"), ("abc", "integer"),
                                            ("501", "Between 1 and 500")])
def test_bulk_assign_bad_count_shows_field_error_and_assigns_nothing(
        session, client, auth, boss, count, message):
    ann = make_user(session, "ar_specialist")
    queue = make_queue(session, [ann])
    make_work_item(session)
    auth.login(boss.username)
    response = _post(client, auth, "/board/assign",
                     {"queue_id": queue.id, "count": count, "assignee_id": ann.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="count"[^>]*aria-invalid="true"', html) or re.search(
        r'aria-invalid="true"[^>]*id="count"', html)
    assert 'id="count-error"' in html and message in html
    assert session.scalar(select(WorkItem.assignee_id)) is None


def test_routing_rule_edit_routes_the_next_new_item(session, client, auth, boss):
    ann = make_user(session, "ar_specialist")
    bob = make_user(session, "ar_specialist")
    queue = make_queue(session, [ann, bob], kinds=["ar_followup"])
    auth.login(boss.username)
    response = _post(client, auth, f"/board/queues/{queue.id}/routing", {
        f"q{queue.id}-strategy": "round_robin", f"q{queue.id}-member_ids": [bob.id]})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Queue, queue.id).strategy == "round_robin"
    assert make_work_item(session, auto_assign=True).assignee_id == bob.id
    html = client.get("/board/").get_data(as_text=True)
    assert re.search(r'value="round_robin"\s+selected|selected[^>]*value="round_robin"', html)


def test_routing_rule_with_unknown_strategy_saves_nothing(session, client, auth, boss):
    queue = make_queue(session)
    auth.login(boss.username)
    response = _post(client, auth, f"/board/queues/{queue.id}/routing",
                     {f"q{queue.id}-strategy": "fastest"})
    assert response.status_code == 422
    assert f'id="q{queue.id}-strategy-error"' in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Queue, queue.id).strategy == "manual"


def test_board_csv_export_is_audited(session, client, auth, boss):
    ann = make_user(session, "ar_specialist", display_name="Ann Arlo")
    make_work_item(session, assignee_id=ann.id)
    auth.login(boss.username)
    response = client.get("/board/load.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "Person,Role,Open,Overdue,Due today,Closed today,Idle claims"
    assert "Ann Arlo,ar_specialist,1,0,0,0,0" in lines
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.user_id == boss.id and event.object_id == "board-load"
