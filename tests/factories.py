"""Plain factory functions for test data (synthetic only), with sequences for unique fields."""

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from workqueue.domain.roles import Role
from workqueue.models import (
    Administration,
    Authorization,
    AuthorizationStatus,
    CareSetting,
    Claim,
    ClaimLine,
    Coverage,
    Denial,
    InfusionVisit,
    Patient,
    Payer,
    PayerAppealLevel,
    PayerType,
    Queue,
    User,
    VisitStatus,
    WorkItem,
)
from workqueue.services.audit import Actor
from workqueue.services.users import create_user
from workqueue.services.work_items import NewWorkItem, create_work_item

_seq = itertools.count(1)
PASSWORD = "demo-password-1"
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def n() -> int:
    return next(_seq)


def make_user(session, role: str = Role.COORDINATOR, **overrides) -> User:
    username = overrides.pop("username", f"user{n()}")
    user = create_user(session, username, str(role), overrides.pop("password", PASSWORD),
                       display_name=overrides.pop("display_name", username.title()),
                       fast_hash=True)
    for key, value in overrides.items():
        setattr(user, key, value)
    session.flush()
    return user


def make_payer(session, **overrides) -> Payer:
    levels = overrides.pop("appeal_levels", [(1, "First level", 180, 30), (2, "Second", 60, 30)])
    payer = Payer(name=overrides.pop("name", f"Test Health Plan {n()}"),
                  payer_type=overrides.pop("payer_type", PayerType.COMMERCIAL), **overrides)
    payer.appeal_levels = [PayerAppealLevel(level=lv, name=nm, window_days=w, decision_days=d)
                           for lv, nm, w, d in levels]
    session.add(payer)
    session.flush()
    return payer


def make_patient(session, **overrides) -> Patient:
    i = n()
    patient = Patient(mrn=overrides.pop("mrn", f"MRN{i:07d}"),
                      first_name=overrides.pop("first_name", "Testa"),
                      last_name=overrides.pop("last_name", f"Synthetic{i}"),
                      birth_date=overrides.pop("birth_date", date(1960, 1, 1)), **overrides)
    session.add(patient)
    session.flush()
    return patient


def make_coverage(session, patient=None, payer=None, **overrides) -> Coverage:
    patient = patient or make_patient(session)
    payer = payer or make_payer(session)
    coverage = Coverage(patient_id=patient.id, payer_id=payer.id,
                        plan_name=overrides.pop("plan_name", "PPO Gold"),
                        member_id=overrides.pop("member_id", f"XZT{n():09d}"), **overrides)
    session.add(coverage)
    session.flush()
    return coverage


def make_claim(session, patient=None, payer=None, **overrides) -> Claim:
    patient = patient or make_patient(session)
    payer = payer or make_payer(session)
    billed = Decimal(overrides.pop("billed_amount", "1200.00"))
    service = overrides.pop("service_from", date(2026, 10, 1))
    claim = Claim(claim_number=overrides.pop("claim_number", f"PCN{n():08d}"),
                  patient_id=patient.id, payer_id=payer.id, service_from=service,
                  service_to=overrides.pop("service_to", service), billed_amount=billed,
                  balance=overrides.pop("balance", billed),
                  submitted_on=overrides.pop("submitted_on", service + timedelta(days=3)),
                  **overrides)
    claim.lines = [ClaimLine(line_number=1, procedure_code="96413", units=Decimal(1),
                             charge=billed, service_date=service)]
    session.add(claim)
    session.flush()
    return claim


def make_denial(session, claim=None, **overrides) -> Denial:
    claim = claim or make_claim(session)
    denial = Denial(claim_id=claim.id, denied_on=overrides.pop("denied_on", date(2026, 11, 1)),
                    group_code=overrides.pop("group_code", "CO"),
                    carc_codes=overrides.pop("carc_codes", "197"),
                    category=overrides.pop("category", "authorization"),
                    amount=overrides.pop("amount", claim.billed_amount), **overrides)
    session.add(denial)
    session.flush()
    return denial


def make_authorization(session, coverage=None, **overrides) -> Authorization:
    coverage = coverage or make_coverage(session)
    auth = Authorization(patient_id=coverage.patient_id, coverage_id=coverage.id,
                         drug_code=overrides.pop("drug_code", "J1745"),
                         status=overrides.pop("status", AuthorizationStatus.APPROVED),
                         authorized_units=overrides.pop("authorized_units", 100),
                         start_date=overrides.pop("start_date", date(2026, 9, 1)),
                         end_date=overrides.pop("end_date", date(2027, 2, 28)), **overrides)
    session.add(auth)
    session.flush()
    return auth


def make_infusion_visit(session, drug: str, dose: str, *, authorized_units: int = 100,
                        stop: bool = True, status: VisitStatus = VisitStatus.SCHEDULED
                        ) -> InfusionVisit:
    """An office visit on 2026-11-30 with one IV infusion of ``dose`` mg of ``drug`` (15:00 to
    17:00, or no stop time), under a new authorization of ``authorized_units``; not coded."""
    auth = make_authorization(session, make_coverage(session), drug_code=drug,
                              authorized_units=authorized_units)
    visit = InfusionVisit(patient_id=auth.patient_id, authorization_id=auth.id,
                          scheduled_date=date(2026, 11, 30), setting=CareSetting.OFFICE,
                          status=status)
    visit.administrations.append(Administration(
        label="a1", kind="therapeutic", route="iv_infusion", drug_code=drug,
        dose=Decimal(dose), dose_unit="mg", discarded=Decimal("0"),
        start_at=datetime(2026, 11, 30, 15, 0, tzinfo=UTC),
        stop_at=datetime(2026, 11, 30, 17, 0, tzinfo=UTC) if stop else None))
    session.add(visit)
    session.flush()
    return visit


def make_work_item(session, kind: str = "ar_followup", *, now: datetime = NOW,
                   actor: Actor | None = None, auto_assign: bool = False, **fields) -> WorkItem:
    fields.setdefault("title", f"Work item {n()}")
    fields.setdefault("amount", Decimal("1000.00"))
    return create_work_item(session, NewWorkItem(kind=kind, **fields),
                            actor or Actor.system("cli"), now, auto_assign=auto_assign)


def make_queue(session, members=(), **overrides) -> Queue:
    queue = Queue(slug=overrides.pop("slug", f"queue-{n()}"),
                  name=overrides.pop("name", "Test queue"), **overrides)
    queue.members = list(members)
    session.add(queue)
    session.flush()
    return queue
