"""The authorization unit ledger: posting a completed visit's drug units, warning before a
scheduled infusion, and opening re-authorization work when an auth runs low or nears expiry.

Units come from the coding check's drug lines (DOMAIN.md §2), never from a second formula;
whether JW waste units count against the auth is the rules flag
``authorization_counts_waste`` (DOMAIN.md §7.5: payer-specific). Functions flush; the edge
commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workqueue.domain.coding import CodingResult, InvalidVisit
from workqueue.domain.coding.drugs import billing_units
from workqueue.domain.errors import Conflict, NotFound, ValidationFailed
from workqueue.domain.status import WorkItemKind
from workqueue.models import (
    AuthLedgerEntry,
    Authorization,
    AuthorizationStatus,
    InfusionVisit,
    Payer,
    TherapyOrder,
    VisitStatus,
    WorkItem,
)
from workqueue.services import audit
from workqueue.services.audit import Actor
from workqueue.services.catalog import coding_rules, load_drug_catalog
from workqueue.services.coding import code_stored_visit
from workqueue.services.work_items import NewWorkItem, create_work_item

USABLE_STATUSES = frozenset({AuthorizationStatus.APPROVED, AuthorizationStatus.PARTIALLY_APPROVED})
DEFAULT_WARN_PCT = 80
DEFAULT_LEAD_DAYS = 14


def units_by_code(result: CodingResult) -> dict[str, int]:
    """Drug units per HCPCS code that count against an authorization."""
    rules = coding_rules()
    units: dict[str, int] = {}
    for line in result.lines:
        if line.code[0].isdigit():  # CPT administration codes draw no drug units
            continue
        if rules.waste_modifier in line.modifiers and not rules.authorization_counts_waste:
            continue
        units[line.code] = units.get(line.code, 0) + line.units
    return units


def _lock_authorization(session: Session, auth_id: int) -> Authorization:
    # Two visits of one auth completing at once must not both read the old units_used.
    return session.scalars(
        select(Authorization).where(Authorization.id == auth_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def post_visit_units(session: Session, visit: InfusionVisit, result: CodingResult,
                     now: datetime) -> list[AuthLedgerEntry]:
    """Post the visit's units of the authorized drug to its auth; returns new entries only.

    Idempotent: a code already posted for this (auth, visit) is skipped, so running it twice
    changes neither the ledger nor ``units_used``.
    """
    if visit.authorization_id is None:
        return []
    auth = _lock_authorization(session, visit.authorization_id)
    posted = set(session.scalars(select(AuthLedgerEntry.code).where(
        AuthLedgerEntry.authorization_id == auth.id, AuthLedgerEntry.visit_id == visit.id)))
    first_posting = not posted
    entries = []
    for code, units in sorted(units_by_code(result).items()):
        if code != auth.drug_code or code in posted:
            continue
        entry = AuthLedgerEntry(authorization_id=auth.id, visit_id=visit.id, code=code,
                                units=units, posted_at=now)
        session.add(entry)
        auth.units_used += units
        entries.append(entry)
    if first_posting:
        auth.visits_used += 1
        if not entries:  # a visit with none of the drug still used a visit: keep it once
            entry = AuthLedgerEntry(authorization_id=auth.id, visit_id=visit.id,
                                    code=auth.drug_code, units=0, posted_at=now)
            session.add(entry)
            entries.append(entry)
    session.flush()
    return entries


def complete_visit(session: Session, visit: InfusionVisit, actor: Actor,
                   now: datetime) -> CodingResult:
    """Mark a visit completed, code it, post its units, and open re-auth work if now due.

    Completing an already completed visit re-posts nothing (the ledger is idempotent).

    :raise Conflict: the visit was cancelled.
    :raise ValidationFailed: the infusion record cannot be coded (e.g. a missing start time).
    """
    if visit.status == VisitStatus.CANCELLED:
        raise Conflict("A cancelled visit cannot be completed.")
    try:
        result = code_stored_visit(session, visit)
    except InvalidVisit as invalid:
        raise ValidationFailed(
            "The infusion record cannot be coded: " + "; ".join(invalid.errors),
            {"administrations": invalid.errors},
        ) from None
    visit.status = VisitStatus.COMPLETED
    post_visit_units(session, visit, result, now)
    audit.record(session, actor, "complete", "infusion_visit", visit.id, now=now,
                 patient_id=visit.patient_id)
    if visit.authorization is not None:
        open_reauthorization_if_due(session, visit.authorization, actor, now)
    return result


# --- before a scheduled infusion -----------------------------------------------------------


@dataclass(frozen=True)
class LedgerWarning:
    """Something that would get the infusion's claim denied if nobody acts first."""

    code: str  # no_approved_auth | outside_auth_span | units_exceed_remaining | visits_exhausted
    message: str


def planned_units(session: Session, visit: InfusionVisit) -> int | None:
    """Units of the authorized drug this visit will use: from its documented administrations,
    else from the therapy order's dose; None when neither says."""
    auth = visit.authorization
    code = auth.drug_code if auth is not None else None
    if any(adm.dose is not None for adm in visit.administrations):
        try:
            units = units_by_code(code_stored_visit(session, visit))
        except InvalidVisit:
            return None
        return units.get(code, 0) if code else sum(units.values())
    order = session.get(TherapyOrder, visit.order_id) if visit.order_id else None
    if order is None or (code is not None and order.drug_code != code):
        return None
    entry = load_drug_catalog(session).get(order.drug_code)
    factors = coding_rules().dose_units
    given, wanted = factors.get(order.dose_unit), factors.get(entry.unit) if entry else None
    if entry is None or given is None or wanted is None or given[0] != wanted[0]:
        return None
    return billing_units(order.dose * given[1] / wanted[1], entry.unit_size)


def check_scheduled_visit(session: Session, visit: InfusionVisit) -> list[LedgerWarning]:
    """Warnings before a scheduled infusion: no approved auth, date outside the auth's span,
    planned units beyond what remains, or no visits left.

    Changes nothing but the visit's ``has_coding_errors`` flag (planned units are coded).
    """
    auth = visit.authorization
    if auth is None or auth.status not in USABLE_STATUSES:
        state = ("no authorization is linked" if auth is None
                 else f"the authorization is {auth.status}")
        return [LedgerWarning("no_approved_auth",
                              f"No approved authorization: {state}. Do not infuse until one is.")]
    warnings = []
    day = visit.scheduled_date
    if (auth.start_date and day < auth.start_date) or (auth.end_date and day > auth.end_date):
        warnings.append(LedgerWarning(
            "outside_auth_span",
            f"The visit on {day:%Y-%m-%d} is outside the authorization's dates "
            f"({_span(auth)}); the claim would be denied (CARC 198 / N54)."))
    if visit.status == VisitStatus.SCHEDULED:
        units = planned_units(session, visit)
        remaining = auth.units_remaining
        if units is not None and remaining is not None and units > remaining:
            warnings.append(LedgerWarning(
                "units_exceed_remaining",
                f"This visit needs {units} units of {auth.drug_code} but only {remaining} "
                "remain on the authorization."))
        if auth.authorized_visits is not None and auth.visits_used >= auth.authorized_visits:
            warnings.append(LedgerWarning(
                "visits_exhausted",
                f"All {auth.authorized_visits} authorized visits have been used."))
    return warnings


def _span(auth: Authorization) -> str:
    start = f"{auth.start_date:%Y-%m-%d}" if auth.start_date else "open"
    end = f"{auth.end_date:%Y-%m-%d}" if auth.end_date else "open"
    return f"{start} to {end}"


# --- re-authorization ----------------------------------------------------------------------


def _payer_of(session: Session, auth: Authorization) -> Payer | None:
    return session.get(Payer, auth.coverage.payer_id) if auth.coverage else None


def reauthorization_reason(auth: Authorization, payer: Payer | None, today: date) -> str | None:
    """Why the auth needs renewing now (units at the payer's warn % or expiry within its lead
    days), or None."""
    if auth.status not in USABLE_STATUSES:
        return None
    pct = payer.auth_units_warn_pct if payer is not None else DEFAULT_WARN_PCT
    lead = payer.auth_lead_days if payer is not None else DEFAULT_LEAD_DAYS
    if auth.authorized_units and auth.units_used * 100 >= pct * auth.authorized_units:
        return f"{auth.units_used} of {auth.authorized_units} units used (≥ {pct}%)"
    if auth.end_date is not None and auth.end_date - timedelta(days=lead) <= today:
        return f"expires {auth.end_date:%Y-%m-%d} (within {lead} days)"
    return None


def open_reauthorization_if_due(session: Session, auth: Authorization, actor: Actor,
                                now: datetime) -> WorkItem | None:
    """Open one re-authorization ``prior_auth`` item when due; None if not due or one is open.

    "Once" means: no second item while any ``prior_auth`` item for this auth is still open
    (including the one the engine opens when the auth is approved).
    """
    payer = _payer_of(session, auth)
    reason = reauthorization_reason(auth, payer, now.date())
    if reason is None:
        return None
    already = session.scalar(select(func.count()).select_from(WorkItem).where(
        WorkItem.authorization_id == auth.id, WorkItem.kind == WorkItemKind.PRIOR_AUTH,
        WorkItem.is_open))
    if already:
        return None
    return create_work_item(
        session,
        NewWorkItem(
            kind=WorkItemKind.PRIOR_AUTH, title=f"Re-authorization {auth.drug_code}: {reason}",
            patient_id=auth.patient_id, coverage_id=auth.coverage_id,
            payer_id=payer.id if payer else None, authorization_id=auth.id,
            auth_end=auth.end_date,
        ),
        Actor.system(actor.channel), now,
    )


def open_due_reauthorizations(session: Session, actor: Actor, now: datetime) -> list[WorkItem]:
    """Sweep: re-authorization items for every usable auth that is due and has none open.

    For the periodic reminders sweep, so an auth nearing expiry with no visit completing is
    still caught.
    """
    auths = session.scalars(select(Authorization).where(
        Authorization.status.in_(list(USABLE_STATUSES))).order_by(Authorization.id))
    opened = [open_reauthorization_if_due(session, auth, actor, now) for auth in auths]
    return [item for item in opened if item is not None]


def ledger_entries_for_visit(session: Session, visit: InfusionVisit) -> list[AuthLedgerEntry]:
    return list(session.scalars(select(AuthLedgerEntry).where(
        AuthLedgerEntry.visit_id == visit.id).order_by(AuthLedgerEntry.code)))


def get_visit(session: Session, visit_id: int) -> InfusionVisit:
    """:raise NotFound: no visit with that id."""
    visit = session.get(InfusionVisit, visit_id)
    if visit is None:
        raise NotFound(f"Infusion visit {visit_id} does not exist.")
    return visit
