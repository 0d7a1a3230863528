"""Queue and admin services: validation, audit, routing edits, payer rules; the report reads."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import (
    NOW,
    make_claim,
    make_denial,
    make_payer,
    make_queue,
    make_user,
    make_work_item,
)
from workqueue import reports
from workqueue.domain.errors import Conflict, NotPermitted, ValidationFailed
from workqueue.models import AuditEvent, Payer, Queue
from workqueue.services import admin, queues
from workqueue.services.audit import Actor
from workqueue.services.get_next import claim_next
from workqueue.services.work_items import transition_work_item


def _events(session, action=None, object_type=None):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    return list(session.scalars(stmt))


def test_queue_slug_and_name_must_be_unique(session):
    boss = make_user(session, "admin")
    make_queue(session, slug="denials-medicare", name="Denials Medicare")
    actor = Actor.for_user(boss)
    with pytest.raises(Conflict) as taken:
        queues.create_queue(session, queues.QueueSpec("Other", "denials-medicare"), actor, NOW)
    assert taken.value.details == {"slug": "taken"}
    with pytest.raises(Conflict) as named:
        queues.create_queue(session, queues.QueueSpec("denials medicare", "x"), actor, NOW)
    assert named.value.details == {"name": "taken"}


def test_queue_rejects_unknown_kinds_payers_and_members(session):
    actor = Actor.system("cli")
    for spec, field in [
        (queues.QueueSpec("A", "a", kinds=("surgery",)), "kinds"),
        (queues.QueueSpec("A", "a", payer_ids=(999999,)), "payer_ids"),
        (queues.QueueSpec("A", "a", member_ids=(999999,)), "member_ids"),
        (queues.QueueSpec("A", "Not A Slug"), "slug"),
        (queues.QueueSpec("A", "a", strategy="fastest"), "strategy"),
    ]:
        with pytest.raises(ValidationFailed) as error:
            queues.create_queue(session, spec, actor, NOW)
        assert field in error.value.details
    assert session.scalar(select(Queue).where(Queue.slug == "a")) is None


def test_routing_edit_changes_who_gets_the_next_new_item(session):
    boss = make_user(session, "supervisor")
    ann, bob = make_user(session, "ar_specialist"), make_user(session, "ar_specialist")
    queue = make_queue(session, [ann, bob], kinds=["ar_followup"])
    assert make_work_item(session, auto_assign=True).assignee_id is None  # manual queue
    queues.set_routing(session, queue, "least_loaded", False, (bob.id,), Actor.for_user(boss),
                       NOW)
    assert make_work_item(session, auto_assign=True).assignee_id == bob.id
    assert [m.id for m in queue.members] == [bob.id]
    event = _events(session, "update", "queue")[-1]
    assert "least_loaded" in event.context and event.user_id == boss.id


def test_only_supervisors_change_routing(session):
    worker = make_user(session, "coordinator")
    queue = make_queue(session)
    with pytest.raises(NotPermitted):
        queues.set_routing(session, queue, "round_robin", False, (), Actor.for_user(worker), NOW)


def test_bulk_assign_from_queue_takes_best_items_the_assignee_may_work(session):
    boss, coordinator = make_user(session, "supervisor"), make_user(session, "coordinator")
    queue = make_queue(session)
    low = make_work_item(session, "prior_auth", amount=Decimal("10"))
    high = make_work_item(session, "prior_auth", amount=Decimal("90000"))
    mid = make_work_item(session, "prior_auth", amount=Decimal("5000"))
    make_work_item(session, "denial", amount=Decimal("999999"))  # a coordinator can't work it
    result = queues.assign_top_unassigned(session, queue, 2, coordinator.id,
                                          Actor.for_user(boss), NOW)
    assert sorted(result["assigned"]) == sorted([high.id, mid.id])
    assert low.assignee_id is None
    with pytest.raises(ValidationFailed):
        queues.assign_top_unassigned(session, queue, 0, coordinator.id, Actor.for_user(boss), NOW)


def test_role_change_is_audited_as_a_permission_change(session):
    root, user = make_user(session, "admin"), make_user(session, "coordinator")
    admin.update_account(session, user, display_name="New Name", email="n@example.org",
                         role="supervisor", is_active=True, actor=Actor.for_user(root), now=NOW)
    assert user.role == "supervisor" and user.display_name == "New Name"
    change = _events(session, "permission_change")[-1]
    assert change.object_id == str(user.id) and "coordinator->supervisor" in change.context


def test_admin_cannot_remove_their_own_administration(session):
    root = make_user(session, "admin")
    with pytest.raises(ValidationFailed):
        admin.update_account(session, root, display_name="x", email=None, role="supervisor",
                             is_active=True, actor=Actor.for_user(root), now=NOW)
    assert root.role == "admin"


def test_skills_refuse_unknown_payers(session):
    user, payer = make_user(session), make_payer(session)
    with pytest.raises(ValidationFailed) as error:
        admin.set_user_skills(session, user, [("payer", "999999")], Actor.system("cli"), NOW)
    assert "payer" in error.value.details and user.skills == []
    admin.set_user_skills(session, user, [("payer", str(payer.id)), ("drug_family", "biologic")],
                          Actor.system("cli"), NOW)
    assert {(str(s.kind), s.value) for s in user.skills} == {("payer", str(payer.id)),
                                                              ("drug_family", "biologic")}


RULES = {"timely_filing_days": 90, "auth_lead_days": 21, "auth_turnaround_days": 5,
         "reverify_days": 30, "auth_units_warn_pct": 75, "ar_followup_days": 21}


def test_payer_rules_replace_appeal_levels_and_are_audited(session):
    payer = make_payer(session)
    levels = [admin.AppealLevelRow(1, "Reconsideration", 60, 30),
              admin.AppealLevelRow(2, "External review", 120, None)]
    admin.save_payer(session, payer, name=payer.name, payer_type="commercial",
                     edi_payer_id="12345", is_active=True, rules=RULES, levels=levels,
                     actor=Actor.system("cli"), now=NOW)
    session.expire_all()
    payer = session.get(Payer, payer.id)
    assert payer.timely_filing_days == 90 and payer.auth_units_warn_pct == 75
    assert [(lv.level, lv.name, lv.window_days) for lv in payer.appeal_levels] == [
        (1, "Reconsideration", 60), (2, "External review", 120)]
    assert "timely_filing_days=90" in _events(session, "update", "payer")[-1].context


@pytest.mark.parametrize("rules, levels, field", [
    (RULES | {"timely_filing_days": 0}, [], "timely_filing_days"),
    (RULES | {"auth_units_warn_pct": 101}, [], "auth_units_warn_pct"),
    (RULES, [admin.AppealLevelRow(6, "Too far", 60)], "levels-0-level"),
    (RULES, [admin.AppealLevelRow(1, "A", 60), admin.AppealLevelRow(1, "B", 60)],
     "levels-1-level"),
    (RULES, [admin.AppealLevelRow(1, "A", -5)], "levels-0-window_days"),
])
def test_payer_rules_out_of_range_save_nothing(session, rules, levels, field):
    payer = make_payer(session)
    before = payer.timely_filing_days
    with pytest.raises(ValidationFailed) as error:
        admin.save_payer(session, payer, name=payer.name, payer_type="commercial",
                         edi_payer_id=None, is_active=True, rules=rules, levels=levels,
                         actor=Actor.system("cli"), now=NOW)
    assert field in error.value.details
    assert payer.timely_filing_days == before and len(payer.appeal_levels) == 2


def test_payer_name_conflict(session):
    make_payer(session, name="Acme Health")
    with pytest.raises(Conflict):
        admin.save_payer(session, None, name="acme health", payer_type="commercial",
                         edi_payer_id=None, is_active=True, rules=RULES, levels=[],
                         actor=Actor.system("cli"), now=NOW)


# --- the report reads -----------------------------------------------------------------------


def test_load_by_person_counts_open_overdue_closed_and_idle(session):
    boss = make_user(session, "supervisor")
    ann = make_user(session, "ar_specialist", display_name="Ann")
    queue = make_queue(session, [ann])
    earlier = NOW - timedelta(hours=6)
    make_work_item(session, assignee_id=ann.id, due_on=NOW.date() - timedelta(days=1))
    make_work_item(session, assignee_id=ann.id, due_on=NOW.date())
    done = make_work_item(session, assignee_id=ann.id)
    for status in ("resolved_paid", "closed"):
        transition_work_item(session, done, status, Actor.for_user(ann), NOW)
    make_work_item(session, now=earlier)
    claim_next(session, ann, queue, Actor.for_user(ann), earlier)
    table = reports.load_by_person(session, NOW, idle_hours=4)
    row = next(r for r in table.rows if r[0] == "Ann")
    # open, overdue, due today, closed today, idle claims
    assert row[2:] == [3, 1, 1, 1, 1]
    assert boss.display_name in [r[0] for r in table.rows]


def test_aging_buckets_and_share_over_90_days(session):
    payer = make_payer(session, name="Aging Payer")
    make_claim(session, payer=payer, billed_amount="100.00", service_from=date(2026, 11, 10))
    make_claim(session, payer=payer, billed_amount="300.00", service_from=date(2026, 7, 1))
    report = reports.ar_aging(session, NOW)
    row = next(r for r in report.table("aging-dollars").rows if r[0] == "Aging Payer")
    assert row[1] == Decimal("100.00") and row[5] == Decimal("300.00")
    assert row[-1] == Decimal("400.00")
    counts = next(r for r in report.table("aging-counts").rows if r[0] == "Aging Payer")
    assert counts[1:] == [1, 0, 0, 0, 1, 2]


def test_denial_report_overturn_rate_and_recovered(session):
    claim = make_claim(session)
    make_denial(session, claim, category="coding", carc_codes="16,M51", amount=Decimal("500"),
                is_preventable=True, outcome="overturned", recovered_amount=Decimal("450"),
                denied_on=date(2026, 11, 20))
    make_denial(session, claim, category="coding", carc_codes="16", amount=Decimal("100"),
                outcome="upheld", denied_on=date(2026, 11, 2))
    report = reports.denial_trends(session, NOW)
    coding = next(r for r in report.table("denials-by-category").rows if r[0] == "coding")
    assert coding[1:] == [2, Decimal("600.00"), 1, 50.0, 2, 1, 50.0, Decimal("450.00")]
    carc = next(r for r in report.table("denials-by-carc").rows if r[0] == "16")
    assert carc[1:] == [2, Decimal("600.00")]
    weekly = next(r for r in report.table("denials-weekly").rows if r[0] == "coding")
    assert weekly[-1] == 2 and sum(weekly[1:-1]) == 2


def test_csv_has_header_rows_and_footer_and_defuses_formulas():
    table = reports.Table("t", "T", [reports.Column("Name"), reports.Column("N", reports.INT)],
                          [["=HYPERLINK()", 2]], footer=["Total", 2])
    assert reports.table_csv(table) == "Name,N\r\n'=HYPERLINK(),2\r\nTotal,2\r\n"
