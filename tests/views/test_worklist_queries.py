"""The worklist page runs the same number of SQL statements whatever its page size (no N+1)."""


import pytest

from tests.factories import (
    make_patient,
    make_payer,
    make_queue,
    make_user,
    make_work_item,
)
from workqueue.clock import utcnow
from workqueue.db import count_statements


@pytest.fixture
def busy_queue(session):
    sup = make_user(session, "supervisor", username="sam")
    workers = [make_user(session, "coordinator") for _ in range(5)]
    queue = make_queue(session, [sup, *workers], slug="pa", kinds=["prior_auth"])
    payers = [make_payer(session) for _ in range(4)]
    for i in range(60):
        make_work_item(session, "prior_auth", title=f"Item {i}", amount=100 + i,
                       payer_id=payers[i % 4].id, patient_id=make_patient(session).id,
                       assignee_id=workers[i % 5].id if i % 3 else None, now=utcnow())
    return queue


@pytest.mark.parametrize("sort", ["priority", "payer", "assignee"])
def test_statement_count_does_not_grow_with_the_page_size(client, auth, engine, busy_queue,
                                                          sort):
    auth.login("sam")
    client.get(f"/queues/pa?sort={sort}&per_page=10")  # warm caches (mappers, templates)
    counts = {}
    for size in (10, 50):
        with count_statements(engine) as statements:
            response = client.get(f"/queues/pa?sort={sort}&per_page={size}")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('class="item-title"') == size
        counts[size] = len(statements)
    assert counts[10] == counts[50] > 0
