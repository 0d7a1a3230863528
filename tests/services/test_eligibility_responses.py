"""271 import service: the coverage is updated from the benefits, the eligibility item moves
through its status table (closed when active, left open and flagged when inactive or
rejected), unknown members are reported per row, and importing again changes nothing."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from tests.factories import NOW, make_coverage, make_patient, make_payer, make_work_item
from tests.x12.edi_samples_27x import file_271, member_271
from workqueue.models import Activity, AuditEvent, Coverage, ImportRun, WorkItem
from workqueue.services.audit import Actor
from workqueue.services.eligibility_responses import import_eligibility

ACTOR = Actor.system("cli")
ACTIVE = ["DTP*356*D8*20260101", "EB*1*IND*30^98**PPO GOLD", "EB*C*IND*30***23*1000",
          "EB*C*IND*30***29*283*****Y", "EB*G*IND*30***29*2400*****Y",
          "EB*A*IND*98***27**0.2***Y*Y", "EB*A*IND*98***27**0.4****N",
          "EB*B*IND*98***27*35*****Y"]


def _import(session, text, **kwargs):
    return import_eligibility(session, io.BytesIO(text.encode()), ACTOR, NOW, **kwargs)


def _setup(session, member_id="MEM001", **coverage):
    payer = make_payer(session, name="NORTHWIND HEALTH PLAN", edi_payer_id="NWHP01")
    patient = make_patient(session, last_name="SAMPLE", birth_date=date(1960, 1, 1))
    cov = make_coverage(session, patient=patient, payer=payer, member_id=member_id, **coverage)
    item = make_work_item(session, "eligibility", title="Verify eligibility",
                          patient_id=patient.id, coverage_id=cov.id, payer_id=payer.id)
    return payer, cov, item


def test_an_active_answer_updates_the_coverage_and_closes_the_eligibility_item(session):
    _, coverage, item = _setup(session)
    result = _import(session, file_271(member_271(3, "MEM001", ACTIVE)))
    assert result.counts["applied"] == 1 and result.counts["items_moved"] == 1
    session.refresh(coverage)
    assert coverage.eligibility_status == "active"
    assert coverage.verified_at == datetime(2026, 11, 27, 8, 15, tzinfo=UTC)
    assert coverage.effective_from == date(2026, 1, 1)
    assert (coverage.deductible_remaining, coverage.oop_remaining, coverage.coinsurance_pct,
            coverage.copay, coverage.is_pa_required, coverage.benefit) == (
        Decimal("283.00"), Decimal("2400.00"), 20, Decimal("35.00"), True, "medical")
    session.refresh(item)
    assert item.status == "closed" and not item.is_open
    steps = session.scalars(select(Activity.to_status).where(
        Activity.work_item_id == item.id, Activity.kind == "status_change")
        .order_by(Activity.id)).all()
    assert steps == ["verifying", "active", "closed"]
    event = session.scalar(select(AuditEvent).where(AuditEvent.object_type == "coverage"))
    assert event.patient_id == coverage.patient_id and event.action == "import"


def test_an_inactive_answer_leaves_the_item_open_due_today_with_a_note(session):
    _, coverage, item = _setup(session)
    item.pended_until = date(2026, 12, 20)
    item.pended_at = NOW
    result = _import(session, file_271(member_271(3, "MEM001", [
        "DTP*347*D8*20261031", "EB*6**30"])))
    assert result.rows[0].needs_action and result.counts["inactive"] == 1
    session.refresh(coverage)
    session.refresh(item)
    assert coverage.eligibility_status == "inactive"
    assert coverage.effective_to == date(2026, 10, 31)
    assert item.status == "inactive" and item.is_open
    assert item.pended_until is None and item.due_on == NOW.date()
    bodies = session.scalars(select(Activity.body).where(Activity.work_item_id == item.id)).all()
    assert any("coverage inactive (EB01 6)" in b and "other coverage" in b for b in bodies)


def test_a_rejection_moves_the_item_to_needs_info_with_the_reason(session):
    _, coverage, item = _setup(session)
    _import(session, file_271(member_271(3, "MEM001", ["AAA*N**72*C"])))
    session.refresh(coverage)
    session.refresh(item)
    assert coverage.eligibility_status == "needs_info" and coverage.verified_at is None
    assert item.status == "needs_info" and item.is_open
    bodies = session.scalars(select(Activity.body).where(Activity.work_item_id == item.id)).all()
    assert any("AAA 72: invalid/missing subscriber/insured ID" in b for b in bodies)


def test_an_unknown_member_is_a_row_error_and_the_others_are_applied(session):
    _, coverage, _ = _setup(session)
    result = _import(session, file_271(member_271(3, "NOBODY", ["EB*1**30"]),
                                       member_271(4, "MEM001", ["EB*1**30"])))
    assert result.counts["unmatched"] == 1 and result.counts["applied"] == 1
    (error,) = result.errors
    assert error["segment"] == 9
    assert error["message"].startswith("member at segment ")
    assert ": no coverage with this member ID at NORTHWIND" in error["message"]
    assert "NOBODY" not in error["message"]  # the member ID is the row's key, not the message
    session.refresh(coverage)
    assert coverage.eligibility_status == "active"


def test_an_unknown_payer_is_a_row_error(session):
    make_coverage(session, member_id="MEM001")
    result = _import(session, file_271(member_271(3, "MEM001", ["EB*1**30"])))
    assert "payer NORTHWIND HEALTH PLAN (NWHP01) is not on file" in result.errors[0]["message"]


def test_a_shared_member_id_is_resolved_by_name_and_birth_date(session):
    payer, coverage, _ = _setup(session, member_id="FAM100")
    other = make_patient(session, last_name="SAMPLE", birth_date=date(2010, 5, 5))
    child = make_coverage(session, patient=other, payer=payer, member_id="FAM100")
    _import(session, file_271(member_271(3, "FAM100", ["EB*1**30"], birth="20100505")))
    session.refresh(child)
    session.refresh(coverage)
    assert child.eligibility_status == "active" and coverage.eligibility_status == "unverified"


def test_importing_the_same_file_again_changes_nothing_and_says_so(session):
    _, coverage, item = _setup(session)
    text = file_271(member_271(3, "MEM001", ["EB*6**30"]))
    _import(session, text)
    counts = {m: session.scalar(select(func.count()).select_from(m))
              for m in (Activity, AuditEvent, WorkItem)}
    run = ImportRun(kind="271", file_name="again.271", sha256="", counts={}, payments=[],
                    errors=[])
    session.add(run)
    session.flush()
    again = _import(session, text, run=run)
    assert again.already_imported and again.counts["already"] == 1
    assert again.counts["applied"] == 0
    assert "this answer was applied on 2026-11-27" in again.rows[0].message
    assert run.status == "done" and run.message.startswith("Already imported")
    assert counts == {m: session.scalar(select(func.count()).select_from(m)) for m in counts}


def test_an_older_answer_does_not_overwrite_a_later_verification(session):
    _, coverage, _ = _setup(session, eligibility_status="active",
                            verified_at=datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    result = _import(session, file_271(member_271(3, "MEM001", ["EB*6**30"])))
    assert result.rows[0].result == "stale"
    session.refresh(coverage)
    assert coverage.eligibility_status == "active"


def test_the_coverage_is_updated_even_without_an_open_item(session):
    payer = make_payer(session, name="NORTHWIND HEALTH PLAN")
    coverage = make_coverage(session, payer=payer, member_id="MEM009")
    result = _import(session, file_271(member_271(3, "MEM009", ["EB*1**30"])))
    assert result.rows[0].items == [] and result.counts["applied"] == 1
    assert session.get(Coverage, coverage.id).eligibility_status == "active"


def test_a_synthetic_271_updates_each_members_coverage(session):
    from workqueue.x12.synthetic import SyntheticMember, build_271

    payer = make_payer(session, name="BLUE HERON MUTUAL", edi_payer_id="BHM552")
    members, coverages = [], []
    for index in range(6):
        patient = make_patient(session)
        coverages.append(make_coverage(session, patient=patient, payer=payer,
                                       member_id=f"ZZSYN{index}"))
        members.append(SyntheticMember(f"ZZSYN{index}", patient.last_name, patient.first_name,
                                       patient.birth_date))
    text = build_271(members=members, count=6, payer=("BLUE HERON MUTUAL", "BHM552"))
    result = _import(session, text)
    assert result.errors == [] and result.counts["applied"] == 6
    assert (result.counts["active"], result.counts["inactive"], result.counts["rejected"]) == (
        2, 2, 2)
    statuses = [session.get(Coverage, c.id).eligibility_status for c in coverages]
    assert statuses == ["active", "inactive", "needs_info"] * 2
    active = session.get(Coverage, coverages[0].id)
    assert active.coinsurance_pct == 20 and active.copay == Decimal("35.00")
    assert active.is_pa_required is True and active.oop_remaining is not None
