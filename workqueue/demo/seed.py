"""The demo data set as a whole: the empty-database guard, reset, and the seeding order.

Order matters: payers and users first, queues next (so new items are routed by their
rules), then patients and their clinical history, then the work items opened from it.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from workqueue.demo.catalog import DEMO_PASSWORD, PAYERS, QUEUES, THERAPIES, USERS
from workqueue.demo.clinical import seed_clinical
from workqueue.demo.work import seed_work
from workqueue.domain.identifiers import make_valid_npi
from workqueue.models import (
    AssignmentStrategy,
    Base,
    Patient,
    Payer,
    PayerType,
    Provider,
    Queue,
    User,
    WorkItem,
)
from workqueue.services.assignment import bulk_assign
from workqueue.services.audit import Actor
from workqueue.services.auth_ledger import post_visit_units
from workqueue.services.catalog import load_drug_catalog, seed_drug_catalog
from workqueue.services.coding import code_stored_visit
from workqueue.services.deadlines import mark_missed_deadlines
from workqueue.services.get_next import claim_next
from workqueue.services.letters import seed_letter_templates
from workqueue.services.payers import set_appeal_levels
from workqueue.services.providers import create_provider
from workqueue.services.reason_codes import seed_reason_codes
from workqueue.services.users import create_user, set_skills
from workqueue.services.work_items import pend_work_item, return_due_pended_items

DEFAULT_SEED = 20261127
DEFAULT_PATIENTS = 450

_PROVIDER_NAMES = (
    "Dr. Elise Marchand", "Dr. Kofi Mensah", "Dr. Hannah Strauss", "Dr. Rafael Ortega",
    "Dr. Mei-Ling Chou", "Dr. Oluwaseun Adebayo", "Dr. Patrick Doherty", "Dr. Anika Sharma",
    "Dr. Jonas Weber", "Dr. Camila Restrepo", "Dr. Theodore Banks", "Dr. Yara Haddad",
    "Dr. Miguel Santos", "Dr. Ingrid Solberg",
)


@dataclass
class SeedReport:
    """What the seed made, for the command's summary and the tests."""

    counts: dict[str, int] = field(default_factory=dict)
    opened: Counter = field(default_factory=Counter)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, name
    password: str = DEMO_PASSWORD


def database_has_data(session: Session) -> bool:
    """True when any of the core tables holds a row: seeding would mix with real data."""
    for model in (User, Payer, Patient, WorkItem):
        if session.scalar(select(func.count()).select_from(model)):
            return True
    return False


def reset_database(session: Session) -> None:
    """Delete every row of every table the models know (the schema stays)."""
    tables = list(reversed(Base.metadata.sorted_tables))
    if session.get_bind().dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            session.execute(table.delete())
    session.flush()


def seed_demo(
    session: Session,
    now: datetime,
    *,
    seed: int = DEFAULT_SEED,
    patients: int = DEFAULT_PATIENTS,
    fast_hash: bool = False,
) -> SeedReport:
    """Fill an empty database with the demo data set; flushes, the caller commits."""
    rng = random.Random(seed)
    report = SeedReport()
    seed_drug_catalog(session)
    seed_reason_codes(session, now)
    seed_letter_templates(session, now)
    payers = _seed_payers(session)
    users = _seed_users(session, payers, fast_hash)
    providers = _seed_providers(session, rng)
    queues = _seed_queues(session, payers, users)
    clinical = seed_clinical(session, rng, now.date(), payers, providers, patients)
    _code_visits(session, clinical, now)
    report.opened = seed_work(session, rng, now, clinical, users)
    return_due_pended_items(session, now, limit=100_000)
    mark_missed_deadlines(session, now)  # what the periodic sweep would have marked by today
    _finish_the_day(session, rng, now, users, queues)
    report.logins = [(u.username, u.role, u.display_name) for u in USERS]
    report.counts = _counts(session, now)
    return report


def _code_visits(session: Session, clinical, now: datetime) -> None:
    """Run the coding check on every demo visit, oldest first, and post the given doses to
    their authorizations through the ledger, as completing each visit would have."""
    catalog = load_drug_catalog(session)
    for course in clinical.courses:
        for visit in sorted(course.past_visits, key=lambda v: v.scheduled_date):
            result = code_stored_visit(session, visit, catalog)
            post_visit_units(session, visit, result, now)
        for visit in course.upcoming_visits:
            code_stored_visit(session, visit, catalog)
    session.flush()


def _seed_payers(session: Session) -> dict[str, Payer]:
    payers = {}
    for demo in PAYERS:
        payer = Payer(
            name=demo.name, payer_type=demo.payer_type, edi_payer_id=demo.edi_payer_id,
            timely_filing_days=demo.timely_filing_days, auth_lead_days=demo.auth_lead_days,
            auth_turnaround_days=demo.auth_turnaround_days, reverify_days=demo.reverify_days,
            ar_followup_days=demo.ar_followup_days,
            requires_ndc=demo.payer_type is PayerType.MEDICAID,  # DOMAIN.md 2.4
        )
        session.add(payer)
        set_appeal_levels(session, payer, list(demo.appeal_levels))
        payers[demo.key] = payer
    session.flush()
    return payers


def _seed_users(session: Session, payers: dict[str, Payer], fast_hash: bool) -> dict[str, User]:
    users = {}
    for demo in USERS:
        user = create_user(session, demo.username, demo.role, DEMO_PASSWORD,
                           display_name=demo.display_name,
                           email=f"{demo.username}@demo.invalid", fast_hash=fast_hash)
        skills = [(kind, str(payers[value.split(":")[-1]].id) if kind == "payer" else value)
                  for kind, value in demo.skills]
        set_skills(user, skills)
        users[demo.username] = user
    session.flush()
    return users


def _seed_providers(session: Session, rng: random.Random) -> dict[str, list[Provider]]:
    specialties = sorted({t.specialty for t in THERAPIES})
    by_specialty: dict[str, list[Provider]] = {s: [] for s in specialties}
    for index, name in enumerate(_PROVIDER_NAMES):
        specialty = specialties[index % len(specialties)]
        npi = make_valid_npi(f"1{rng.randint(10_000_000, 99_999_999)}")
        by_specialty[specialty].append(create_provider(session, npi, name, specialty=specialty))
    return by_specialty


def _seed_queues(session: Session, payers: dict[str, Payer],
                 users: dict[str, User]) -> dict[str, Queue]:
    queues = {}
    for demo in QUEUES:
        queue = Queue(
            slug=demo.slug, name=demo.name, description=demo.description,
            kinds=list(demo.kinds), payer_ids=[payers[k].id for k in demo.payer_keys],
            categories=list(demo.categories), strategy=AssignmentStrategy(demo.strategy),
            is_skill_matched=demo.is_skill_matched,
        )
        queue.members = [users[name] for name in demo.members]
        session.add(queue)
        queues[demo.slug] = queue
    session.flush()
    return queues


def _finish_the_day(session: Session, rng: random.Random, now: datetime,
                    users: dict[str, User], queues: dict[str, Queue]) -> None:
    """Today's activity: a few get-next claims, a bulk assignment, items pended for later."""
    for username, slug in (("coord1", "prior-auth"), ("coord2", "prior-auth"),
                           ("coord3", "eligibility"), ("denials1", "denials-medicare"),
                           ("ar1", "ar-government"), ("ar3", "ar-government")):
        user = users[username]
        for minutes in (5, 35):
            claim_next(session, user, queues[slug], Actor.for_user(user, "web"),
                       now - timedelta(minutes=minutes))
    boss = users["super1"]
    pool = session.scalars(
        select(WorkItem.id)
        .where(WorkItem.kind == "denial", WorkItem.is_open,
               WorkItem.assignee_id.is_(None))
        .order_by(WorkItem.priority_score.desc())
        .limit(12)
    ).all()
    bulk_assign(session, list(pool), users["denials2"].id, Actor.for_user(boss, "web"),
                now - timedelta(minutes=50))
    candidates = session.scalars(
        select(WorkItem)
        .where(WorkItem.is_open, WorkItem.pended_until.is_(None),
               WorkItem.status != "new")
        .order_by(WorkItem.id)
    ).all()
    for item in rng.sample(list(candidates), k=min(40, len(candidates))):
        until = now.date() + timedelta(days=rng.randint(2, 12))
        pend_work_item(session, item, until, Actor.system("cli"), now - timedelta(hours=1),
                       note="Waiting on records from the ordering office.")


def _counts(session: Session, now: datetime) -> dict[str, int]:
    today = now.date()
    open_items = select(func.count()).select_from(WorkItem).where(WorkItem.is_open)
    counts = {
        "payers": session.scalar(select(func.count()).select_from(Payer)),
        "patients": session.scalar(select(func.count()).select_from(Patient)),
        "providers": session.scalar(select(func.count()).select_from(Provider)),
        "users": session.scalar(select(func.count()).select_from(User)),
        "queues": session.scalar(select(func.count()).select_from(Queue)),
        "open_items": session.scalar(open_items),
        "assigned": session.scalar(open_items.where(WorkItem.assignee_id.is_not(None))),
        "pended": session.scalar(open_items.where(WorkItem.pended_until > today)),
        "overdue": session.scalar(open_items.where(WorkItem.due_on < today)),
        "closed_items": session.scalar(
            select(func.count()).select_from(WorkItem).where(~WorkItem.is_open)),
    }
    for kind, count in session.execute(
        select(WorkItem.kind, func.count()).where(WorkItem.is_open)
        .group_by(WorkItem.kind)
    ):
        counts[f"open_{kind}"] = count
    return counts
