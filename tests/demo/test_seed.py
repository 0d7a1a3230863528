"""The demo data set: enough of everything, real codes, valid identifiers, working logins.

The seed runs once for the module on one connection whose transaction is rolled back at
the end, so the shared test database stays empty for everyone else.
"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import AuthActions, app_config
from tests.factories import NOW
from workqueue import clock, create_app
from workqueue.domain.deadlines import is_deadline_missed
from workqueue.domain.identifiers import (
    is_valid_cpt,
    is_valid_hcpcs,
    is_valid_icd10_shape,
    is_valid_mbi,
    is_valid_npi,
)
from workqueue.domain.reason_codes import load_reason_codes
from workqueue.domain.roles import Role
from workqueue.models import (
    Activity,
    Administration,
    AuditEvent,
    Authorization,
    Claim,
    ClaimLine,
    Coverage,
    Denial,
    InfusionVisit,
    Payer,
    PayerType,
    Provider,
    Queue,
    TherapyOrder,
    User,
    WorkItem,
)
from workqueue.models.base import Base, UTCDateTime
from workqueue.services.audit_seals import SEAL_LAG, seal_pending
from workqueue.services.coding import visit_payer

TODAY = NOW.date()


@pytest.fixture(scope="module")
def seeded(engine):
    from workqueue.demo.seed import seed_demo

    conn = engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint",
                      expire_on_commit=False)
    report = seed_demo(session, NOW, fast_hash=True)
    yield conn, session, report
    session.close()
    outer.rollback()
    conn.close()


@pytest.fixture(scope="module")
def db(seeded) -> Session:
    return seeded[1]


def _count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def test_at_least_a_thousand_open_items_across_the_four_kinds(db, seeded):
    by_kind = dict(db.execute(select(WorkItem.kind, func.count())
                              .where(WorkItem.is_open).group_by(WorkItem.kind)).all())
    assert sum(by_kind.values()) >= 1000
    assert set(by_kind) == {"prior_auth", "eligibility", "denial", "ar_followup"}
    assert min(by_kind.values()) >= 150
    assert seeded[2].counts["open_items"] == sum(by_kind.values())


def test_items_are_in_many_states_some_assigned_pended_overdue_or_in_the_pool(db):
    open_ = WorkItem.is_open
    assert _count(db, WorkItem, open_, WorkItem.assignee_id.is_not(None)) >= 100
    assert _count(db, WorkItem, open_, WorkItem.assignee_id.is_(None)) >= 100
    assert _count(db, WorkItem, open_, WorkItem.pended_until > TODAY) >= 30
    assert _count(db, WorkItem, open_, WorkItem.due_on < TODAY) >= 30
    assert _count(db, WorkItem, open_, WorkItem.claimed_at.is_not(None)) >= 6
    assert _count(db, WorkItem, ~WorkItem.is_open) >= 20
    for kind in ("prior_auth", "eligibility", "denial", "ar_followup"):
        statuses = db.scalars(select(WorkItem.status).distinct()
                              .where(WorkItem.kind == kind, open_)).all()
        assert len(statuses) >= 4, kind


def test_every_open_item_has_a_due_date_and_denials_an_appeal_deadline(db):
    open_ = WorkItem.is_open
    assert _count(db, WorkItem, open_, WorkItem.due_on.is_(None)) == 0
    assert _count(db, WorkItem, open_, WorkItem.kind == "denial",
                  WorkItem.deadline_on.is_(None)) == 0
    assert _count(db, WorkItem, open_, WorkItem.priority_score == 0) == 0


def test_nothing_in_the_demo_is_dated_after_the_moment_it_is_read(db):
    """Items, timelines and audit events are all in the past of the product clock (the seed
    once put "today's" items at working hours still to come, seven hours ahead)."""
    now = clock.utcnow()
    later, checked = {}, []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, UTCDateTime):
                checked.append(column)
                count = db.scalar(select(func.count()).select_from(table).where(column > now))
                if count:
                    later[f"{table.name}.{column.name}"] = count
    assert later == {}
    assert len(checked) >= 30  # every timestamp column was looked at


def test_the_audit_seal_covers_every_demo_event_once_they_settle(db):
    last_id = db.scalar(select(func.max(AuditEvent.id)))
    result = seal_pending(db, clock.utcnow() + SEAL_LAG + timedelta(seconds=1),
                          serialize=False)
    assert result.last_id == last_id
    assert result.events == _count(db, AuditEvent)


def test_demo_items_past_their_deadline_wait_in_the_missed_view(db):
    missed = _count(db, WorkItem, WorkItem.is_open, WorkItem.is_deadline_missed)
    assert missed >= 10
    assert _count(db, WorkItem, WorkItem.is_open, WorkItem.is_deadline_missed,
                  WorkItem.assignee_id.is_not(None), WorkItem.claimed_at > NOW -
                  timedelta(hours=1)) == 0  # today's Get next claims skipped them
    top = db.scalars(select(WorkItem).where(WorkItem.is_open).order_by(
        WorkItem.priority_score.desc()).limit(50)).all()
    assert not any(is_deadline_missed(i.kind, i.status, i.deadline_on, TODAY) for i in top)


def test_timelines_have_notes_calls_and_status_changes(db):
    kinds = dict(db.execute(select(Activity.kind, func.count()).group_by(Activity.kind)).all())
    assert kinds["note"] >= 100 and kinds["call"] >= 50 and kinds["status_change"] >= 500
    assert kinds["assignment"] >= 100 and kinds["pend"] >= 30


def test_payers_have_the_domain_rule_tables(db):
    payers = db.scalars(select(Payer)).all()
    assert len(payers) >= 5
    types = {str(p.payer_type) for p in payers}
    assert types == {t.value for t in PayerType}
    medicare = next(p for p in payers if p.payer_type == PayerType.MEDICARE)
    windows = [(lvl.level, lvl.window_days) for lvl in medicare.appeal_levels]
    assert windows == [(1, 120), (2, 180), (3, 60), (4, 60), (5, 60)]
    assert medicare.timely_filing_days == 365
    medicaid = next(p for p in payers if p.payer_type == PayerType.MEDICAID)
    assert medicaid.appeal_window_days(1) == 60
    ma = next(p for p in payers if p.payer_type == PayerType.MEDICARE_ADVANTAGE)
    assert ma.appeal_window_days(1) == 60
    assert all(p.edi_payer_id for p in payers)
    commercial = [p for p in payers if p.payer_type == PayerType.COMMERCIAL]
    assert {p.timely_filing_days for p in commercial} & {90, 120, 180}


def test_identifiers_are_valid_npis_and_medicare_mbis(db):
    npis = db.scalars(select(Provider.npi)).all()
    assert len(npis) >= 10 and all(is_valid_npi(npi) for npi in npis)
    mbis = db.scalars(select(Coverage.member_id).join(Payer, Payer.id == Coverage.payer_id)
                      .where(Payer.payer_type == PayerType.MEDICARE)).all()
    assert len(mbis) >= 50 and all(is_valid_mbi(m) for m in mbis)


def test_patients_orders_and_claims_carry_real_code_shapes(db, seeded):
    assert seeded[2].counts["patients"] >= 300
    for codes in db.scalars(select(TherapyOrder.icd10_codes)):
        for code in codes.split(","):
            assert is_valid_icd10_shape(code) and code != "G35"
    assert all(is_valid_hcpcs(c) for c in db.scalars(select(TherapyOrder.drug_code)))
    line_codes = set(db.scalars(select(ClaimLine.procedure_code).distinct()))
    assert all(is_valid_cpt(c) or is_valid_hcpcs(c) for c in line_codes)
    assert {"96413", "96365", "J9312", "J1745"} <= line_codes


def test_denials_use_catalogued_carc_and_rarc_codes(db):
    catalog = load_reason_codes()
    denials = db.scalars(select(Denial)).all()
    assert len(denials) >= 150
    for denial in denials:
        assert all(catalog.carc(code) for code in denial.carc_codes.split(",") if code)
        assert all(catalog.rarc(code) for code in denial.rarc_codes.split(",") if code)
    assert len({str(d.category) for d in denials}) >= 8


def test_authorizations_expire_soon_or_run_out_of_units(db):
    auths = db.scalars(select(Authorization)
                       .where(Authorization.authorized_units.is_not(None))).all()
    soon = [a for a in auths if a.end_date <= TODAY + timedelta(days=30)]
    nearly_used = [a for a in auths if a.units_remaining <= a.authorized_units * 0.2]
    assert len(soon) >= 10 and len(nearly_used) >= 10
    assert all(0 <= a.units_used <= a.authorized_units for a in auths)


def test_visits_are_scheduled_around_today_with_timed_administrations(db):
    assert _count(db, InfusionVisit, InfusionVisit.scheduled_date > TODAY) >= 100
    assert _count(db, InfusionVisit, InfusionVisit.scheduled_date < TODAY) >= 300
    given = db.scalars(select(Administration)).all()
    timed = [a for a in given if a.stop_at is not None]
    assert given and all(a.start_at < a.stop_at for a in timed)
    # A few records miss a stop time on purpose: the coding check flags those visits.
    assert 0 < len(given) - len(timed) < len(given) * 0.05
    stopless = {a.visit_id for a in given if a.stop_at is None}
    flagged = set(db.scalars(select(InfusionVisit.id).where(
        InfusionVisit.has_coding_errors.is_(True))))
    # (a push needs no stop time, so not every such record is an error)
    assert flagged & stopless
    # The Medicaid plan needs an NDC on every drug line, which the demo records carry only
    # where the catalog has the package (DOMAIN.md 2.4).
    without_ndc = {a.visit_id for a in given if a.drug_code and a.ndc is None}
    medicaid = {visit.id for visit in db.scalars(select(InfusionVisit))
                if (payer := visit_payer(visit)) is not None and payer.requires_ndc}
    assert flagged & medicaid
    # Claims bill what the record codes to, but a few bill one unit of a multi-unit drug on
    # purpose: the coding check flags those visits for their claim.
    billed = set(db.scalars(select(Claim.visit_id).where(Claim.visit_id.is_not(None))))
    misbilled = flagged - stopless - (medicaid & without_ndc)
    assert misbilled and misbilled <= billed and len(misbilled) <= len(billed) * 0.05


def test_queues_with_members_and_an_auto_assigning_rule(db):
    queues = db.scalars(select(Queue)).all()
    assert len(queues) >= 6 and all(q.members for q in queues)
    assert any(str(q.strategy) != "manual" for q in queues)
    assert {"Prior auth — all payers", "Denials — Medicare", "Denials — commercial"} <= {
        q.name for q in queues}


def test_users_of_every_role_with_skills(db):
    users = db.scalars(select(User)).all()
    by_role = {role: [u for u in users if u.role == role] for role in Role}
    assert all(by_role[role] for role in Role)
    for role in (Role.COORDINATOR, Role.DENIAL_SPECIALIST, Role.AR_SPECIALIST):
        assert len(by_role[role]) >= 2
        assert all(u.skills for u in by_role[role])


@pytest.mark.parametrize("username", ["coord1", "denials1", "ar1", "super1", "admin1"])
def test_demo_logins_work_through_the_login_form(seeded, database_url, redis_url, username):
    conn = seeded[0]
    app = create_app(app_config(database_url, redis_url))
    app.extensions["workqueue.db"] = sessionmaker(
        bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    response = AuthActions(app.test_client()).login(username, "demo-password-1")
    assert response.status_code == 302, username


def test_wrong_demo_password_is_refused(seeded, database_url, redis_url):
    app = create_app(app_config(database_url, redis_url))
    app.extensions["workqueue.db"] = sessionmaker(
        bind=seeded[0], join_transaction_mode="create_savepoint", expire_on_commit=False)
    response = AuthActions(app.test_client()).login("coord1", "not-the-password")
    assert response.status_code == 422


def _cli(args, db_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": db_url, "WORKQUEUE_VAR_DIR": str(tmp_path)}
    env.pop("REDIS_URL", None)
    return subprocess.run([str(Path(sys.executable).parent / "workqueue"), *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_refuses_a_database_with_data_unless_reset(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert _cli(["db", "upgrade"], db_url, tmp_path).returncode == 0
    first = _cli(["seed-demo", "--patients", "60", "--items", "500"], db_url, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "demo-password-1" in first.stdout and "coord1" in first.stdout
    assert "Bulk-inserted 500" in first.stdout
    again = _cli(["seed-demo", "--patients", "60"], db_url, tmp_path)
    assert again.returncode != 0
    assert "already has data" in again.stderr and "--reset" in again.stderr
    assert "Traceback" not in again.stderr
    reset = _cli(["seed-demo", "--reset", "--patients", "60"], db_url, tmp_path)
    assert reset.returncode == 0, reset.stderr
    assert "Deleted all existing rows" in reset.stdout
