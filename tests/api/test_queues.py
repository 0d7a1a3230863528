"""Queues over the API: the list with counts, and get-next (200 with the item, 204 when empty)."""

from datetime import timedelta
from decimal import Decimal

from tests.factories import make_queue, make_work_item
from workqueue.clock import utcnow


def test_workers_see_their_queues_supervisors_see_all(api_as, session, conforms):
    worker = api_as("ar_specialist")
    mine = make_queue(session, [worker.user], slug="ar-mine", name="AR mine",
                      kinds=["ar_followup"])
    make_queue(session, [], slug="other", name="Other")
    make_work_item(session, "ar_followup")
    overdue = make_work_item(session, "ar_followup", assignee_id=worker.user.id)
    overdue.due_on = utcnow().date() - timedelta(days=1)
    session.commit()
    response = worker.get("/api/v1/queues")
    assert response.status_code == 200
    conforms(response, "GET", "/api/v1/queues")
    queues = response.get_json()["queues"]
    assert [q["slug"] for q in queues] == ["ar-mine"]
    assert queues[0]["id"] == mine.id and queues[0]["kinds"] == ["ar_followup"]
    assert queues[0]["counts"] == {"open": 2, "unassigned": 1, "overdue": 1, "missed": 0}
    boss = api_as("supervisor")
    counts = {q["slug"]: q["counts"] for q in boss.get("/api/v1/queues").get_json()["queues"]}
    # Queues overlap: "other" (every kind) counts the same two items as "ar-mine".
    assert counts["ar-mine"] == counts["other"] == {"open": 2, "unassigned": 1, "overdue": 1,
                                                "missed": 0}


def test_next_claims_the_best_item_then_answers_204(api_as, session, conforms):
    worker = api_as("ar_specialist")
    queue = make_queue(session, [worker.user], slug="ar-next", kinds=["ar_followup"],
                       payer_ids=[])
    make_work_item(session, "ar_followup", amount=Decimal("10"))
    big = make_work_item(session, "ar_followup", amount=Decimal("90000"))
    session.commit()
    first = worker.post("/api/v1/queues/ar-next/next")
    assert first.status_code == 200
    conforms(first, "POST", "/api/v1/queues/{ref}/next")
    body = first.get_json()
    assert body["id"] == big.id and body["assignee"]["id"] == worker.user.id
    second = worker.post(f"/api/v1/queues/{queue.id}/next")  # by id this time
    assert second.status_code == 200 and second.get_json()["id"] != big.id
    empty = worker.post("/api/v1/queues/ar-next/next")
    assert empty.status_code == 204 and empty.data == b""


def test_next_on_a_queue_one_is_not_a_member_of_is_403(api_as, session):
    worker = api_as("ar_specialist")
    make_queue(session, [], slug="not-mine")
    session.commit()
    response = worker.post("/api/v1/queues/not-mine/next")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_next_on_an_unknown_queue_is_404(api_as):
    response = api_as("ar_specialist").post("/api/v1/queues/no-such-queue/next")
    assert response.status_code == 404


def test_a_queue_reference_in_other_digits_is_404_not_an_error(api_as):
    response = api_as("ar_specialist").post("/api/v1/queues/%C2%B2/next")  # "²"
    assert response.status_code == 404
