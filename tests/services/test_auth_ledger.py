"""The auth ledger: posting completed visits, warnings before a scheduled one, re-auth items."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from tests.factories import NOW, make_authorization, make_coverage, make_payer
from workqueue.models import (
    Administration,
    AuthLedgerEntry,
    AuthorizationStatus,
    CareSetting,
    InfusionVisit,
    TherapyOrder,
    VisitStatus,
    WorkItem,
)
from workqueue.services.audit import Actor
from workqueue.services.auth_ledger import (
    check_scheduled_visit,
    complete_visit,
    open_due_reauthorizations,
)

ACTOR = Actor.system("cli")


def _visit(session, auth, *, dose="415", discarded="85", day=date(2026, 11, 2),
           with_admin=True, order_id=None, patient_id=None) -> InfusionVisit:
    visit = InfusionVisit(patient_id=auth.patient_id if auth else patient_id,
                          authorization_id=auth.id if auth else None, scheduled_date=day,
                          setting=CareSetting.OFFICE, order_id=order_id)
    if with_admin:
        visit.administrations.append(Administration(
            label="a1", kind="therapeutic", route="iv_infusion", drug_code="J1745",
            dose=Decimal(dose), dose_unit="mg", discarded=Decimal(discarded),
            start_at=datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC),
            stop_at=datetime(day.year, day.month, day.day, 17, 0, tzinfo=UTC)))
    session.add(visit)
    session.flush()
    return visit


def _auth(session, **overrides):
    payer = overrides.pop("payer", None) or make_payer(session)
    coverage = make_coverage(session, payer=payer)
    return make_authorization(session, coverage, **overrides)


def _open_reauths(session, auth) -> int:
    return session.scalar(select(func.count()).select_from(WorkItem).where(
        WorkItem.authorization_id == auth.id, WorkItem.is_open))


def test_completing_posts_the_drug_units_including_waste(session) -> None:
    auth = _auth(session, authorized_units=500)
    visit = _visit(session, auth)
    result = complete_visit(session, visit, ACTOR, NOW)
    drug_units = sum(line.units for line in result.lines if line.code == "J1745")
    assert drug_units == 50  # 42 given + 8 wasted (JW counts per coding_rules.json)
    assert auth.units_used == drug_units
    assert auth.visits_used == 1
    assert visit.status == VisitStatus.COMPLETED
    entries = session.scalars(select(AuthLedgerEntry)).all()
    assert [(e.code, e.units, e.visit_id) for e in entries] == [("J1745", 50, visit.id)]


def test_posting_twice_changes_nothing(session) -> None:
    auth = _auth(session, authorized_units=500)
    visit = _visit(session, auth)
    complete_visit(session, visit, ACTOR, NOW)
    complete_visit(session, visit, ACTOR, NOW)
    assert (auth.units_used, auth.visits_used) == (50, 1)
    assert session.scalar(select(func.count()).select_from(AuthLedgerEntry)) == 1


def test_units_used_is_the_sum_over_visits(session) -> None:
    auth = _auth(session, authorized_units=1000)
    first = _visit(session, auth, dose="415", discarded="85")
    second = _visit(session, auth, dose="300", discarded="0", day=date(2026, 11, 16))
    complete_visit(session, first, ACTOR, NOW)
    complete_visit(session, second, ACTOR, NOW)
    posted = session.scalar(select(func.sum(AuthLedgerEntry.units)))
    assert auth.units_used == posted == 50 + 30
    assert auth.visits_used == 2


def test_scheduled_visit_outside_the_span_is_warned(session) -> None:
    auth = _auth(session, start_date=date(2026, 9, 1), end_date=date(2026, 12, 31))
    visit = _visit(session, auth, day=date(2027, 1, 5))
    assert [w.code for w in check_scheduled_visit(session, visit)] == ["outside_auth_span"]


def test_scheduled_visit_over_the_remaining_units_is_warned(session) -> None:
    auth = _auth(session, authorized_units=100, units_used=60)
    visit = _visit(session, auth)  # needs 50
    warnings = check_scheduled_visit(session, visit)
    assert [w.code for w in warnings] == ["units_exceed_remaining"]
    assert "needs 50 units" in warnings[0].message and "only 40" in warnings[0].message


def test_planned_units_come_from_the_order_when_nothing_is_documented(session) -> None:
    auth = _auth(session, authorized_units=100, units_used=70)
    order = TherapyOrder(patient_id=auth.patient_id, provider_id=_provider(session).id,
                         drug_code="J1745", drug_name="infliximab", dose=Decimal("400"),
                         dose_unit="mg", frequency="every 8 weeks", planned_infusions=6,
                         icd10_codes="K50.90", site_of_care="office",
                         start_date=date(2026, 9, 1))
    session.add(order)
    session.flush()
    visit = _visit(session, auth, with_admin=False, order_id=order.id)
    warnings = check_scheduled_visit(session, visit)
    assert [w.code for w in warnings] == ["units_exceed_remaining"]
    assert "needs 40 units" in warnings[0].message


def _provider(session):
    from workqueue.models import Provider

    provider = Provider(npi="1234567893", name="Synthetic Clinic")
    session.add(provider)
    session.flush()
    return provider


def test_exhausted_visits_are_warned(session) -> None:
    auth = _auth(session, authorized_visits=2, visits_used=2)
    visit = _visit(session, auth)
    assert "visits_exhausted" in [w.code for w in check_scheduled_visit(session, visit)]


def test_no_approved_auth_is_warned(session) -> None:
    pending = _auth(session, status=AuthorizationStatus.PENDING)
    assert [w.code for w in check_scheduled_visit(session, _visit(session, pending))] == [
        "no_approved_auth"]
    no_auth = _visit(session, None, patient_id=pending.patient_id)
    assert [w.code for w in check_scheduled_visit(session, no_auth)] == ["no_approved_auth"]


def test_a_visit_within_everything_has_no_warnings(session) -> None:
    auth = _auth(session, authorized_units=500, authorized_visits=6)
    assert check_scheduled_visit(session, _visit(session, auth)) == []


def test_reauthorization_opens_once_at_the_warn_percentage(session) -> None:
    payer = make_payer(session, auth_units_warn_pct=80)
    auth = _auth(session, payer=payer, authorized_units=100, units_used=20,
                 end_date=date(2027, 6, 30))
    first = _visit(session, auth, dose="415", discarded="85")  # 50 -> 70%
    complete_visit(session, first, ACTOR, NOW)
    assert _open_reauths(session, auth) == 0
    second = _visit(session, auth, dose="100", discarded="0", day=date(2026, 11, 16))  # 80%
    complete_visit(session, second, ACTOR, NOW)
    assert auth.units_used == 80
    assert _open_reauths(session, auth) == 1
    item = session.scalar(select(WorkItem).where(WorkItem.authorization_id == auth.id))
    assert item.kind == "prior_auth" and item.title.startswith("Re-authorization J1745")
    third = _visit(session, auth, dose="50", discarded="0", day=date(2026, 11, 30))
    complete_visit(session, third, ACTOR, NOW)
    assert open_due_reauthorizations(session, ACTOR, NOW) == []
    assert _open_reauths(session, auth) == 1


def test_reauthorization_opens_within_the_lead_days_of_expiry(session) -> None:
    payer = make_payer(session, auth_lead_days=30)
    near = _auth(session, payer=payer, authorized_units=1000, end_date=date(2026, 12, 20))
    far = _auth(session, payer=payer, authorized_units=1000, end_date=date(2027, 3, 1))
    opened = open_due_reauthorizations(session, ACTOR, NOW)
    assert [item.authorization_id for item in opened] == [near.id]
    assert _open_reauths(session, far) == 0
    assert open_due_reauthorizations(session, ACTOR, NOW) == []


def test_a_completed_visit_is_not_counted_twice_against_its_own_auth(session) -> None:
    auth = _auth(session, authorized_units=50)
    visit = _visit(session, auth)  # uses exactly the 50 units
    result = complete_visit(session, visit, ACTOR, NOW)
    assert auth.units_remaining == 0
    assert "units_exceed_authorization" not in {f.code for f in result.findings}
    again = complete_visit(session, visit, ACTOR, NOW)
    assert "units_exceed_authorization" not in {f.code for f in again.findings}
    assert visit.has_coding_errors is False


def test_two_concurrent_completions_post_the_visit_once(committed_app) -> None:
    import threading

    from workqueue.db import session_scope
    from workqueue.models import Authorization

    with session_scope(committed_app) as setup:
        auth = _auth(setup, authorized_units=500)
        visit_id, auth_id = _visit(setup, auth).id, auth.id
    barrier, errors = threading.Barrier(2), []

    def complete() -> None:
        try:
            barrier.wait()
            with session_scope(committed_app) as db:
                complete_visit(db, db.get(InfusionVisit, visit_id), ACTOR, NOW)
        except Exception as error:  # an IntegrityError here would mean a double post
            errors.append(error)

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(committed_app) as check:
        stored = check.get(Authorization, auth_id)
        assert (stored.units_used, stored.visits_used) == (50, 1)
        assert check.scalar(select(func.count()).select_from(AuthLedgerEntry)) == 1
