"""Demo patients and what happened to them: coverages, orders, authorizations, visits, claims.

Dates are placed around ``today``: past visits were given and billed (paid, denied or still
unanswered), upcoming ones are scheduled, and authorizations run out at different speeds.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from workqueue.demo import names
from workqueue.demo.catalog import (
    ADMIN_CHARGES,
    AR_STATUS_CODES,
    DENIAL_REASONS,
    PAYERS,
    PREMEDS,
    THERAPIES,
    DemoPayer,
    Therapy,
)
from workqueue.domain.coding import InvalidVisit, Line
from workqueue.models import (
    Administration,
    Authorization,
    AuthorizationStatus,
    CareSetting,
    Claim,
    ClaimLine,
    ClaimStatus,
    Coverage,
    Denial,
    EligibilityStatus,
    InfusionVisit,
    Patient,
    Payer,
    PayerType,
    Provider,
    TherapyOrder,
    VisitStatus,
)
from workqueue.services.catalog import coding_rules, load_drug_catalog
from workqueue.services.coding import code_stored_visit

_CENTS = Decimal("0.01")
_OTHER_CHARGE = Decimal("60.00")  # a code the demo charge lists do not price


@dataclass
class Course:
    """One therapy order of one patient with the rows generated for it."""

    patient: Patient
    coverage: Coverage
    payer: Payer
    demo_payer: DemoPayer
    therapy: Therapy
    order: TherapyOrder
    authorization: Authorization | None
    past_visits: list[InfusionVisit] = field(default_factory=list)
    upcoming_visits: list[InfusionVisit] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)

    @property
    def units_per_dose(self) -> int:
        return drug_units(self.therapy)

    @property
    def charge_per_visit(self) -> Decimal:
        return visit_charge(self.therapy)


@dataclass
class ClinicalData:
    courses: list[Course]
    denials: list[tuple[Course, Claim, Denial]]
    unanswered: list[tuple[Course, Claim]]
    patients: list[Patient]


def drug_units(therapy: Therapy) -> int:
    """HCPCS units: dose over the descriptor dose, rounded up, at least 1 (DOMAIN.md §2.1)."""
    return max(1, math.ceil(therapy.dose / therapy.unit_size))


def added_hours(minutes: int) -> int:
    """Add-on hour units after the first hour: each needs more than 30 minutes."""
    return 0 if minutes <= 90 else (minutes - 60 + 29) // 60


def visit_charge(therapy: Therapy) -> Decimal:
    initial, *addons = therapy.admin_codes
    total = ADMIN_CHARGES[initial] + drug_units(therapy) * therapy.charge_per_unit
    for code in addons:
        total += ADMIN_CHARGES[code] * added_hours(therapy.minutes)
    return total.quantize(_CENTS)


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _primary_payer(rng: random.Random) -> DemoPayer:
    return _weighted(rng, [(p, p.share) for p in PAYERS if p.share])


def _ages_for(payer: DemoPayer) -> tuple[int, int]:
    if payer.payer_type in (PayerType.MEDICARE, PayerType.MEDICARE_ADVANTAGE):
        return 66, 91
    return 24, 63


def _member_id(rng: random.Random, payer: DemoPayer) -> str:
    if payer.payer_type is PayerType.MEDICARE:
        return names.mbi(rng)
    if payer.payer_type is PayerType.MEDICAID:
        return names.member_id(rng, payer.member_prefix, 8) + rng.choice("ABCDEFGH")
    return names.member_id(rng, payer.member_prefix)


def _coverage(rng, patient, demo_payer, payer, rank, today) -> Coverage:
    status = EligibilityStatus.ACTIVE
    effective_to = None
    if rank == 1 and rng.random() < 0.04:  # coverage that ended: eligibility work finds it
        effective_to = today - timedelta(days=rng.randint(3, 40))
        status = EligibilityStatus.INACTIVE
    deductible = Decimal(rng.choice([0, 0, 150, 283, 500, 1200])).quantize(_CENTS)
    if demo_payer.payer_type is PayerType.MEDICARE:
        deductible = Decimal(rng.choice([0, 0, 0, 283])).quantize(_CENTS)
    return Coverage(
        patient=patient,
        payer_id=payer.id,
        plan_name=demo_payer.plan_name,
        member_id=_member_id(rng, demo_payer),
        group_number=(names.group_number(rng)
                      if demo_payer.payer_type is PayerType.COMMERCIAL else None),
        rank=rank,
        effective_from=date(today.year - rng.randint(0, 6), 1, 1),
        effective_to=effective_to,
        eligibility_status=status,
        verified_at=datetime.combine(today - timedelta(days=rng.randint(1, 75)),
                                     time(15, rng.randint(0, 59)), UTC),
        deductible_remaining=deductible,
        oop_remaining=Decimal(rng.choice([0, 1500, 3400, 6000])).quantize(_CENTS),
        coinsurance_pct=demo_payer.coinsurance_pct,
        copay=demo_payer.copay,
        is_pa_required=demo_payer.payer_type is not PayerType.MEDICARE,
        benefit="medical",
    )


def _administrations(rng, therapy: Therapy, visit_date: date) -> list[Administration]:
    start = datetime.combine(visit_date, time(13, 0), UTC) + timedelta(
        minutes=rng.randrange(0, 300, 15))
    rows = []
    if therapy.route == "iv_infusion" and (therapy.family == "chemo" or rng.random() < 0.35):
        code, _name, dose, unit, _charge = rng.choice(PREMEDS)
        rows.append(Administration(label="a1", kind="therapeutic", route="iv_push",
                                   drug_code=code, dose=dose, dose_unit=unit, start_at=start,
                                   stop_at=start + timedelta(minutes=3), site=1))
        start += timedelta(minutes=20)
    rows.append(Administration(
        label=f"a{len(rows) + 1}", kind=therapy.family, route=therapy.route,
        drug_code=therapy.hcpcs, dose=therapy.dose, dose_unit=therapy.dose_unit,
        discarded=Decimal(0), ndc=therapy.ndc, start_at=start,
        stop_at=start + timedelta(minutes=therapy.minutes + rng.randint(0, 10)), site=1,
        is_primary=True,
    ))
    return rows


def _claim_lines(rng: random.Random, therapy: Therapy, visit: InfusionVisit,
                 coded: tuple[Line, ...]) -> list[ClaimLine]:
    """The claim bills what the coding check computes from the record, priced from the demo
    charge lists; a few claims bill one unit of a multi-unit drug line on purpose (the
    dose-versus-unit slip a biller makes), which the coding check then flags on the claim."""
    premeds = {code: charge for code, _name, _dose, _unit, charge in PREMEDS}
    slip = None
    if rng.random() < 0.03:
        slip = next((line for line in coded if line.units > 1 and line.code[0] in "JQ"), None)
    lines: list[ClaimLine] = []
    for line in coded:
        units = 1 if line is slip else line.units
        if line.code == therapy.hcpcs:
            price, ndc = therapy.charge_per_unit, therapy.ndc
        else:
            price, ndc = premeds.get(line.code, ADMIN_CHARGES.get(line.code, _OTHER_CHARGE)), None
        lines.append(ClaimLine(line_number=len(lines) + 1, procedure_code=line.code,
                               modifiers=",".join(line.modifiers), units=Decimal(units),
                               charge=(price * units).quantize(_CENTS),
                               service_date=visit.scheduled_date, ndc=ndc))
    return lines


class _Sequences:
    def __init__(self):
        self.claim = 0
        self.auth = 0

    def claim_number(self) -> str:
        self.claim += 1
        return f"ICN26{self.claim:07d}"

    def auth_number(self) -> str:
        self.auth += 1
        return f"PA{26000000 + self.auth * 13}"


def seed_clinical(
    session: Session,
    rng: random.Random,
    today: date,
    payers: dict[str, Payer],
    providers: dict[str, list[Provider]],
    patient_count: int,
) -> ClinicalData:
    """Patients, coverages, orders, authorizations, visits, claims and denials."""
    demo_payers = {p.key: p for p in PAYERS}
    seq = _Sequences()
    courses: list[Course] = []
    patients: list[Patient] = []
    for index in range(1, patient_count + 1):
        primary = _primary_payer(rng)
        first, last, sex = names.person(rng)
        low, high = _ages_for(primary)
        patient = Patient(mrn=names.mrn(index), first_name=first, last_name=last,
                          birth_date=names.birth_date(rng, today, low, high), sex=sex)
        coverage = _coverage(rng, patient, primary, payers[primary.key], 1, today)
        session.add_all([patient, coverage])
        if primary.key == "medicare" and rng.random() < 0.45:
            gap = demo_payers["medigap"]
            session.add(_coverage(rng, patient, gap, payers[gap.key], 2, today))
        patients.append(patient)
        for _ in range(1 if rng.random() < 0.7 else 2):
            therapy = rng.choice(THERAPIES)
            course = _course(session, rng, today, seq, patient, coverage, primary,
                             payers[primary.key], therapy, providers)
            courses.append(course)
    session.flush()
    denials, unanswered = _bill(session, rng, today, seq, courses)
    return ClinicalData(courses, denials, unanswered, patients)


def _course(session, rng, today, seq, patient, coverage, demo_payer, payer, therapy,
            providers) -> Course:
    span = therapy.every_days * therapy.infusions_per_auth
    started = today - timedelta(days=rng.randint(20, min(400, max(60, span + 40))))
    order = TherapyOrder(
        patient=patient,
        provider_id=rng.choice(providers[therapy.specialty]).id,
        drug_code=therapy.hcpcs, drug_name=therapy.name, dose=therapy.dose,
        dose_unit=therapy.dose_unit, frequency=therapy.frequency,
        planned_infusions=therapy.infusions_per_auth,
        icd10_codes=",".join(rng.sample(therapy.icd10, k=1)),
        site_of_care=rng.choice(["hospital outpatient", "hospital outpatient",
                                 "physician office", "ambulatory infusion suite"]),
        start_date=started,
    )
    session.add(order)
    auth = None
    if demo_payer.payer_type is not PayerType.MEDICARE:
        auth = _authorization(rng, today, seq, patient, coverage, order, therapy, started)
        session.add(auth)
    session.flush()  # visits link to the order by id
    course = Course(patient, coverage, payer, demo_payer, therapy, order, auth)
    _visits(session, rng, today, course, order.start_date)
    return course


def _authorization(rng, today, seq, patient, coverage, order, therapy, started) -> Authorization:
    units = drug_units(therapy) * therapy.infusions_per_auth
    roll = rng.random()
    if roll < 0.12:  # a new order still waiting on the payer
        return Authorization(
            patient=patient, coverage=coverage, order=order, drug_code=therapy.hcpcs,
            status=rng.choice([AuthorizationStatus.DRAFT, AuthorizationStatus.SUBMITTED,
                               AuthorizationStatus.PENDING]),
            authorized_units=None, authorized_visits=None,
            submitted_at=datetime.combine(today - timedelta(days=rng.randint(1, 9)),
                                          time(16, 0), UTC),
        )
    length = max(90, min(365, therapy.every_days * therapy.infusions_per_auth + 14))
    offset = rng.randint(10, length - 3)
    if rng.random() < 0.2:  # runs out within the month: re-authorization work
        offset = length - rng.randint(1, 30)
    start = today - timedelta(days=offset)
    order.start_date = min(started, start)
    status = AuthorizationStatus.APPROVED
    if roll > 0.95:
        status = AuthorizationStatus.PARTIALLY_APPROVED
        units = max(drug_units(therapy), units // 2)
    return Authorization(
        patient=patient, coverage=coverage, order=order, auth_number=seq.auth_number(),
        drug_code=therapy.hcpcs, status=status, authorized_units=units,
        authorized_visits=therapy.infusions_per_auth, units_used=0, visits_used=0,
        start_date=start, end_date=start + timedelta(days=length),
        submitted_at=datetime.combine(start - timedelta(days=12), time(15, 30), UTC),
        decided_at=datetime.combine(start - timedelta(days=4), time(18, 0), UTC),
        payer_reference=f"REF{rng.randint(1000000, 9999999)}",
    )


def _visits(session, rng, today, course: Course, started: date) -> None:
    therapy = course.therapy
    auth = course.authorization
    approved = auth is not None and auth.authorized_units is not None
    day = started
    past: list[date] = []
    while day < today:
        past.append(day)
        day += timedelta(days=therapy.every_days)
    upcoming = [day] if day <= today + timedelta(days=21) else []
    if therapy.every_days <= 14 and upcoming:
        nxt = day + timedelta(days=therapy.every_days)
        if nxt <= today + timedelta(days=21):
            upcoming.append(nxt)
    if therapy.every_days <= 14:  # a fixed course (IV iron), not maintenance: it ends
        past = past[:therapy.infusions_per_auth]
        if len(past) == therapy.infusions_per_auth:
            upcoming = []
    past = past[-4:]
    setting = (CareSetting.OFFICE if course.order.site_of_care == "physician office"
               else CareSetting.FACILITY)
    used = 0  # units the earlier doses take; the seed posts them through the auth ledger
    for visit_date in past:
        # A dose the auth has no units left for goes out unauthorized (a CARC 198 later).
        in_span = (approved and auth.start_date <= visit_date <= auth.end_date
                   and used + drug_units(therapy) <= auth.authorized_units)
        visit = InfusionVisit(patient=course.patient, order_id=course.order.id,
                              authorization=auth if in_span else None,
                              scheduled_date=visit_date, setting=setting,
                              status=VisitStatus.COMPLETED)
        visit.administrations = _administrations(rng, therapy, visit_date)
        if rng.random() < 0.06:
            # The documentation gap that most often sinks an infusion claim: no stop time.
            visit.administrations[-1].stop_at = None
        session.add(visit)
        course.past_visits.append(visit)
        if in_span:
            used += drug_units(therapy)
    if approved and rng.random() < 0.15:
        # Dose escalations and extra doses eat into the auth: some are nearly used up.
        spare = auth.authorized_units - used
        auth.units_used += max(0, spare - drug_units(therapy) // 2)
    for visit_date in upcoming:
        visit = InfusionVisit(patient=course.patient, order_id=course.order.id,
                              authorization=auth if approved else None,
                              scheduled_date=visit_date, setting=setting,
                              status=VisitStatus.SCHEDULED)
        session.add(visit)
        course.upcoming_visits.append(visit)


def _bill(session, rng, today, seq, courses):
    denials: list[tuple[Course, Claim, Denial]] = []
    unanswered: list[tuple[Course, Claim]] = []
    catalog, rules = load_drug_catalog(session), coding_rules()
    for course in courses:
        for visit in course.past_visits:
            age = (today - visit.scheduled_date).days
            if age < 3:
                continue  # not billed yet
            try:
                coded = code_stored_visit(session, visit, catalog, rules).lines
            except InvalidVisit:
                continue  # a record that cannot be coded is not billed
            lines = _claim_lines(rng, course.therapy, visit, coded)
            billed = sum((line.charge for line in lines), Decimal(0))
            submitted = visit.scheduled_date + timedelta(days=rng.randint(1, 4))
            claim = Claim(
                claim_number=seq.claim_number(), patient=course.patient,
                coverage=course.coverage, payer=course.payer, visit_id=visit.id,
                authorization_id=visit.authorization.id if visit.authorization else None,
                service_from=visit.scheduled_date, service_to=visit.scheduled_date,
                submitted_on=min(submitted, today), billed_amount=billed, balance=billed,
                status=ClaimStatus.SUBMITTED,
            )
            claim.lines = lines
            session.add(claim)
            course.claims.append(claim)
            outcome = _claim_outcome(rng, age)
            if outcome == "paid":
                _pay(rng, claim, course.demo_payer)
            elif outcome == "denied":
                denial = _deny(rng, today, claim)
                session.add(denial)
                denials.append((course, claim, denial))
            elif outcome == "unanswered":
                claim.payer_claim_number = None
                code = _weighted(rng, AR_STATUS_CODES)
                claim.last_status_code = code or None
                if code:
                    claim.last_status_at = datetime.combine(
                        today - timedelta(days=rng.randint(2, 25)), time(12, 0), UTC)
                unanswered.append((course, claim))
    session.flush()
    return denials, unanswered


def _claim_outcome(rng, age: int) -> str:
    if age < 25:
        return "pending"
    roll = rng.random()
    if roll < 0.24:
        return "denied"
    if roll < 0.50 or (age > 120 and roll < 0.58):
        return "unanswered"
    return "paid"


def _pay(rng, claim: Claim, payer: DemoPayer) -> None:
    allowed = (claim.billed_amount * Decimal(rng.choice(["0.42", "0.48", "0.55", "0.61"])))
    patient_share = (allowed * Decimal(payer.coinsurance_pct or 0) / 100).quantize(_CENTS)
    paid = (allowed - patient_share).quantize(_CENTS)
    claim.status = ClaimStatus.PAID
    claim.paid_amount = paid
    claim.patient_responsibility = patient_share
    claim.adjustment_amount = (claim.billed_amount - allowed).quantize(_CENTS)
    claim.balance = Decimal(0)
    claim.payer_claim_number = f"{rng.randint(10**12, 10**13 - 1)}"
    claim.last_status_code = "F1"
    for line in claim.lines:
        line.paid = (line.charge * paid / claim.billed_amount).quantize(_CENTS)


def _deny(rng, today: date, claim: Claim) -> Denial:
    reason = _weighted(rng, DENIAL_REASONS)
    claim.status = ClaimStatus.DENIED
    claim.payer_claim_number = f"{rng.randint(10**12, 10**13 - 1)}"
    claim.last_status_code = "F2"
    denied_on = min(claim.submitted_on + timedelta(days=rng.randint(12, 30)),
                    today - timedelta(days=1))
    denial = Denial(claim=claim, denied_on=denied_on, group_code=reason.group_code,
                    carc_codes=reason.carc, rarc_codes=reason.rarc, category=reason.category,
                    is_preventable=reason.is_preventable, amount=claim.billed_amount,
                    appeal_level=1)
    return denial
