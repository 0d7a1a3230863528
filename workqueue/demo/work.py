"""Demo work items, opened and worked through the real services so every rule applies.

Items are opened at the moment they would have been (a denial when its remit was posted,
an AR follow-up when the payer went quiet), then walked through ``transition_work_item``
by a user allowed to work them, with notes and call logs between the steps. Deadlines,
due dates, priorities, pends and follow-up items all come from the services.
"""

import random
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from workqueue.demo.clinical import ClinicalData, Course
from workqueue.domain.roles import can_work_kind
from workqueue.domain.status import WorkItemKind
from workqueue.models import AuthorizationStatus, DenialDecision, DenialOutcome, User, WorkItem
from workqueue.services.assignment import assign_work_item
from workqueue.services.audit import Actor
from workqueue.services.work_items import (
    CallLog,
    NewWorkItem,
    add_note,
    create_work_item,
    log_call,
    transition_work_item,
)

# Where each kind's items are left, with relative weights: [] stays new.
WALKS: dict[WorkItemKind, tuple[tuple[tuple[str, ...], int], ...]] = {
    WorkItemKind.PRIOR_AUTH: (
        ((), 30), (("gathering_info",), 20), (("submitted",), 14),
        (("submitted", "pending_payer"), 8), (("gathering_info", "submitted", "denied"), 5),
        (("submitted", "denied", "peer_to_peer"), 4), (("submitted", "denied", "appeal"), 3),
        (("submitted", "approved", "closed"), 8), (("cancelled",), 2),
    ),
    WorkItemKind.ELIGIBILITY: (
        ((), 40), (("verifying",), 25), (("verifying", "needs_info"), 12),
        (("verifying", "active", "closed"), 12), (("verifying", "inactive"), 5),
        (("cancelled",), 2),
    ),
    WorkItemKind.DENIAL: (
        ((), 30), (("triaged",), 25), (("triaged", "appeal_drafting"), 15),
        (("triaged", "appeal_drafting", "appeal_submitted"), 12),
        (("triaged", "corrected_claim"), 6),
        (("triaged", "appeal_drafting", "appeal_submitted", "upheld"), 4),
        (("triaged", "appeal_drafting", "appeal_submitted", "overturned", "closed"), 5),
        (("write_off", "closed"), 3),
    ),
    WorkItemKind.AR_FOLLOWUP: (
        ((), 35), (("in_progress",), 25), (("in_progress", "waiting_payer"), 20),
        (("in_progress", "resolved_paid", "closed"), 12),
        (("in_progress", "resolved_denied", "closed"), 3), (("write_off",), 2),
    ),
}

NOTES: dict[str, tuple[str, ...]] = {
    "gathering_info": (
        "Requested last two office notes and recent labs from the ordering office.",
        "Waiting on weight and current dose from the infusion nurse to recalc units.",
        "Payer policy needs documented failure of a first-line agent; asked the MA.",
    ),
    "submitted": (
        "Submitted on the payer portal with clinicals and the LMN attached.",
        "Faxed the request with the payer's drug-specific form.",
    ),
    "denied": ("Denied: payer says step therapy not documented. Discussing P2P with MD.",),
    "peer_to_peer": ("Peer-to-peer requested; MD available Tue/Thu afternoons.",),
    "appeal": ("Expedited appeal filed with the chart notes and compendia citation.",),
    "verifying": (
        "Ran a 270 (STC 30 + 98); response sparse on drug benefit, checking the portal.",
        "Portal shows active coverage; confirming secondary before the visit.",
    ),
    "needs_info": ("Member ID on file rejected (AAA 72); asked front desk for a new card.",),
    "triaged": (
        "Reviewed the ERA: CARC and RARC match the auth on file; appeal is worth it.",
        "Checked the claim lines against the visit record and the auth units.",
    ),
    "appeal_drafting": ("Drafting the appeal; attaching the infusion record with times.",),
    "appeal_submitted": ("Appeal sent with proof of timely filing and the auth letter.",),
    "corrected_claim": ("Corrected claim (frequency 7) sent with the fixed modifier.",),
    "in_progress": (
        "No 277 response since submission; checking status on the payer portal.",
        "Claim shows in process at the payer; will call if no movement.",
    ),
    "waiting_payer": ("Payer rep says claim is in medical review; records requested.",),
}

CALL_OUTCOMES = (
    ("Claim is in process, no issues found", "Check again in 14 days"),
    ("Payer needs the infusion record with start and stop times", "Fax records today"),
    ("Rep confirmed receipt, adjudication within 30 days", "Follow up after 30 days"),
    ("Auth is still in clinical review", "Call back in 3 business days"),
)


def _at(moment: datetime, rng: random.Random, latest: datetime | None = None) -> datetime:
    """A working-hours time on the same day (14:00-22:00 UTC is 9-5 Eastern), never after
    ``latest``: on the seed's own day those hours may not have come yet, and nothing in the
    demo (an item, its timeline, its audit events) may be dated after the moment it is seeded.
    """
    at = datetime.combine(moment.date(), time(14 + rng.randint(0, 7), rng.randint(0, 59)), UTC)
    if latest is not None and at > latest:
        at = latest - timedelta(minutes=rng.randint(0, 59))
    return at


class _Worker:
    """Who opens, works and talks about the items; round-robin over each role."""

    def __init__(self, users: dict[str, User], rng: random.Random):
        self.rng = rng
        self.users = [u for u in users.values() if str(u.role) not in ("supervisor", "admin")]

    def for_kind(self, kind: WorkItemKind) -> User:
        fits = [u for u in self.users if can_work_kind(u.role, kind)]
        return self.rng.choice(fits)


def seed_work(session: Session, rng: random.Random, now: datetime, clinical: ClinicalData,
              users: dict[str, User]) -> Counter:
    """Open and work the demo items; counts of items opened per kind."""
    workers = _Worker(users, rng)
    opened: Counter = Counter()
    system = Actor.system("cli")
    for course in clinical.courses:
        for new, created in _prior_auth_items(course, rng, now):
            _open_and_walk(session, rng, now, new, created, system, workers, course)
            opened[WorkItemKind.PRIOR_AUTH] += 1
        for visit in course.upcoming_visits:
            created = _at(datetime.combine(visit.scheduled_date, time(12), UTC)
                          - timedelta(days=rng.randint(4, 10)), rng, now - timedelta(hours=2))
            new = NewWorkItem(
                kind=WorkItemKind.ELIGIBILITY,
                title=f"Verify {course.demo_payer.plan_name} before {course.therapy.hcpcs}",
                patient_id=course.patient.id, coverage_id=course.coverage.id,
                payer_id=course.payer.id, visit_id=visit.id, category=course.therapy.family,
                amount=course.charge_per_visit, service_date=visit.scheduled_date,
            )
            _open_and_walk(session, rng, now, new, min(created, now - timedelta(hours=2)),
                           system, workers, course)
            opened[WorkItemKind.ELIGIBILITY] += 1
    for course, claim, denial in clinical.denials:
        created = _at(datetime.combine(denial.denied_on, time(12), UTC)
                      + timedelta(days=rng.randint(1, 3)), rng, now - timedelta(hours=3))
        new = NewWorkItem(
            kind=WorkItemKind.DENIAL,
            title=f"CARC {denial.carc_codes} on {claim.claim_number} ({course.therapy.hcpcs})",
            patient_id=course.patient.id, coverage_id=course.coverage.id,
            payer_id=course.payer.id, claim_id=claim.id, denial_id=denial.id,
            authorization_id=claim.authorization_id, category=str(denial.category),
            amount=denial.amount, service_date=claim.service_from, denied_on=denial.denied_on,
        )
        item, path = _open_and_walk(session, rng, now, new,
                                    min(created, now - timedelta(hours=3)), system, workers,
                                    course)
        _record_denial_outcome(item, denial, set(path))
        opened[WorkItemKind.DENIAL] += 1
    for course, claim in clinical.unanswered:
        wait = course.demo_payer.ar_followup_days
        # The aged-AR report picks a claim up a few days before its follow-up date.
        created = _at(datetime.combine(claim.submitted_on, time(12), UTC)
                      + timedelta(days=wait - rng.randint(0, 10)), rng)
        if created > now:
            continue
        new = NewWorkItem(
            kind=WorkItemKind.AR_FOLLOWUP,
            title=f"No response on {claim.claim_number} ({course.therapy.hcpcs})",
            patient_id=course.patient.id, coverage_id=course.coverage.id,
            payer_id=course.payer.id, claim_id=claim.id, category=course.therapy.family,
            amount=claim.balance, service_date=claim.service_from,
            submitted_on=claim.submitted_on,
        )
        _open_and_walk(session, rng, now, new, created, system, workers, course)
        opened[WorkItemKind.AR_FOLLOWUP] += 1
    return opened


def _prior_auth_items(course: Course, rng: random.Random, now: datetime):
    """The PA work an order needs: a first request, a renewal, or units running out."""
    auth = course.authorization
    if auth is None:
        return
    today = now.date()
    therapy = course.therapy
    base = dict(patient_id=course.patient.id, coverage_id=course.coverage.id,
                payer_id=course.payer.id, authorization_id=auth.id, category=therapy.family,
                amount=course.charge_per_visit * therapy.infusions_per_auth)
    next_visit = course.upcoming_visits[0].scheduled_date if course.upcoming_visits else None
    if auth.authorized_units is None:
        created = datetime.combine(course.order.start_date, time(15), UTC)
        yield NewWorkItem(kind=WorkItemKind.PRIOR_AUTH,
                          title=f"Initial auth {therapy.hcpcs} {therapy.name}",
                          service_date=next_visit or today + timedelta(days=14),
                          **base), _at(created, rng, now - timedelta(days=2))
        return
    lead = course.payer.auth_lead_days
    if auth.end_date is not None and auth.end_date <= today + timedelta(days=lead + 30):
        created = datetime.combine(auth.end_date - timedelta(days=lead + rng.randint(5, 25)),
                                   time(15), UTC)
        yield NewWorkItem(kind=WorkItemKind.PRIOR_AUTH,
                          title=f"Re-authorization {therapy.hcpcs} before auth ends",
                          auth_end=auth.end_date, **base), _at(
                              created, rng, now - timedelta(hours=5))
    elif auth.units_remaining is not None and (
            auth.units_remaining < course.units_per_dose * 2):
        created = now - timedelta(days=rng.randint(1, 12))
        yield NewWorkItem(kind=WorkItemKind.PRIOR_AUTH,
                          title=f"Auth units nearly used: {auth.units_remaining} of "
                                f"{auth.authorized_units} left ({therapy.hcpcs})",
                          service_date=next_visit, **base), _at(
                              created, rng, now - timedelta(hours=1))


def _open_and_walk(session, rng, now, new: NewWorkItem, created: datetime, system: Actor,
                   workers: _Worker, course: Course) -> tuple[WorkItem, tuple[str, ...]]:
    item = create_work_item(session, new, system, created, auto_assign=True)
    kind = WorkItemKind(item.kind)
    paths, weights = zip(*WALKS[kind], strict=True)
    path = rng.choices(paths, weights=weights)[0]
    if not path:
        if item.assignee_id is None and rng.random() < 0.12:
            worker = workers.for_kind(kind)
            when = created + (now - created) / 2
            assign_work_item(session, item, worker.id, Actor.for_user(worker, "web"), when)
        return item, path
    worker = item.assignee or workers.for_kind(kind)
    if not can_work_kind(worker.role, kind):
        worker = workers.for_kind(kind)
    actor = Actor.for_user(worker, "web")
    span = now - created
    step = min(span / (len(path) + 2), timedelta(days=3))
    moment = created + step / 2
    if item.assignee_id != worker.id:
        assign_work_item(session, item, worker.id, actor, moment)
    for target in path:
        moment += step
        transition_work_item(session, item, target, actor, moment)
        _after_step(session, rng, item, target, actor, moment, now, course)
    return item, path


def _after_step(session, rng, item, target, actor, moment, now, course) -> None:
    texts = NOTES.get(target)
    if texts and rng.random() < 0.7:
        add_note(session, item, rng.choice(texts), actor, moment + timedelta(minutes=7))
    if target in ("in_progress", "waiting_payer", "submitted", "verifying") and \
            rng.random() < 0.5:
        outcome, next_step = rng.choice(CALL_OUTCOMES)
        follow = (moment + timedelta(days=rng.randint(3, 14))).date()
        log_call(
            session, item,
            CallLog(party=f"{course.demo_payer.name} provider services", outcome=outcome,
                    reference=f"CR{rng.randint(100000, 999999)}", next_step=next_step,
                    follow_up_on=follow if item.is_open and target != "verifying" else None),
            actor, moment + timedelta(minutes=25),
        )
    if target in ("approved", "partially_approved") and item.authorization is not None:
        item.authorization.status = AuthorizationStatus(target)


def _record_denial_outcome(item: WorkItem, denial, walked: set[str]) -> None:
    status = str(item.status)
    if "write_off" in walked:
        denial.decision = DenialDecision.WRITE_OFF
        return
    if status in ("appeal_drafting", "appeal_submitted", "upheld", "overturned", "closed"):
        denial.decision = DenialDecision.APPEAL
    elif status == "corrected_claim":
        denial.decision = DenialDecision.CORRECTED_CLAIM
    if status == "upheld":
        denial.outcome = DenialOutcome.UPHELD
    if status in ("overturned", "closed") and denial.decision == DenialDecision.APPEAL:
        denial.outcome = DenialOutcome.OVERTURNED
        denial.recovered_amount = (denial.amount * Decimal("0.55")).quantize(Decimal("0.01"))
