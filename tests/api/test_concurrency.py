"""Two clients saving the same version of an item at once: one wins, the other gets 409."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from tests.factories import make_user, make_work_item
from workqueue.clock import utcnow
from workqueue.db import session_scope
from workqueue.models import WorkItem
from workqueue.services.users import issue_api_token


def test_concurrent_patches_of_one_version_one_wins_one_gets_409(committed_app):
    with session_scope(committed_app) as session:
        user = make_user(session, "supervisor")
        token = issue_api_token(user)
        item = make_work_item(session, "ar_followup")
        item_id, version = item.id, item.version
    headers = {"Authorization": f"Bearer {token}"}

    def save(days: int):
        client = committed_app.test_client()
        return client.patch(f"/api/v1/work-items/{item_id}", headers=headers, json={
            "version": version, "due_on": str(utcnow().date() + timedelta(days=days))})

    with ThreadPoolExecutor(max_workers=2) as pool:
        # Both dates differ from the computed due date (+30 days), so both saves change it.
        responses = list(pool.map(save, [5, 9]))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.get_json() for r in responses]
    winner = next(r for r in responses if r.status_code == 200).get_json()
    loser = next(r for r in responses if r.status_code == 409).get_json()
    assert loser["error"]["code"] == "stale_version"
    assert loser["error"]["details"]["current"]["version"] == winner["version"]
    with session_scope(committed_app) as session:
        saved = session.get(WorkItem, item_id)
        assert saved.version == winner["version"]
        assert str(saved.due_on) == winner["due_on"]


def test_a_save_that_loses_the_race_at_flush_is_409_with_the_current_item(api_as, session,
                                                                           monkeypatch):
    """The version matched when read, but another save landed before ours was written."""
    from sqlalchemy.orm.exc import StaleDataError

    api = api_as("supervisor")
    item = make_work_item(session, "ar_followup")
    session.commit()

    def overtaken(*_args, **_kwargs):
        raise StaleDataError("UPDATE statement on table 'work_items' expected to update 1 row")

    monkeypatch.setattr("workqueue.services.work_items.update_work_item", overtaken)
    response = api.patch(f"/api/v1/work-items/{item.id}",
                         json={"version": item.version, "due_on": "2027-01-05"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "stale_version"
    assert error["details"]["current"]["id"] == item.id
