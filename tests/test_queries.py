"""The worklist read side: filters, sorting, and the capped total."""

from datetime import timedelta
from decimal import Decimal

from tests.factories import NOW, make_payer, make_user, make_work_item
from workqueue import queries
from workqueue.queries import WorklistFilter, worklist
from workqueue.services.audit import Actor
from workqueue.services.work_items import pend_work_item


def test_total_stops_counting_at_the_cap_and_says_so(session, monkeypatch):
    for _ in range(5):
        make_work_item(session)
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    page = worklist(session, WorklistFilter(kinds=("ar_followup",)), NOW.date())
    assert (page.total, page.is_total_capped) == (3, True)
    monkeypatch.setattr(queries, "COUNT_CAP", 10)
    page = worklist(session, WorklistFilter(kinds=("ar_followup",)), NOW.date())
    assert (page.total, page.is_total_capped) == (5, False)


def test_filters_combine_and_pended_items_leave_the_active_list(session):
    payer = make_payer(session)
    big = make_work_item(session, payer_id=payer.id, amount=Decimal("5000"))
    make_work_item(session, payer_id=payer.id, amount=Decimal("50"))
    parked = make_work_item(session, payer_id=payer.id, amount=Decimal("7000"))
    pend_work_item(session, parked, NOW.date() + timedelta(days=3), Actor.system(), NOW)
    base = WorklistFilter(payer_ids=(payer.id,), amount_min=Decimal("1000"))
    assert [i.id for i in worklist(session, base, NOW.date()).items] == [big.id]
    pended = WorklistFilter(payer_ids=(payer.id,), pended=True)
    assert [i.id for i in worklist(session, pended, NOW.date()).items] == [parked.id]


def test_sort_by_amount_ascending_and_assignee_filter(session):
    user = make_user(session, "ar_specialist")
    items = [make_work_item(session, amount=Decimal(a)) for a in ("300", "100", "200")]
    items[0].assignee_id = user.id
    session.flush()
    by_amount = worklist(session, WorklistFilter(sort="amount", direction="asc"), NOW.date())
    assert [i.amount for i in by_amount.items][:3] == sorted(i.amount for i in items)
    mine = worklist(session, WorklistFilter(assignee=user.id), NOW.date())
    assert [i.id for i in mine.items] == [items[0].id]
