"""Bulk synthetic work items for load tests: Core ``insert()`` executemany in batches.

The ORM path (``create_work_item``) writes an activity and an audit row per item and routes
it, which is right for real work but takes hours for a million rows. Here each row gets its
deadline, due date and priority from the same domain functions, and is written in batches;
one audit event records the bulk load. Items link to the demo's patients, coverages and
payers, so worklists show real names and payer rules.
"""

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from workqueue.domain.deadlines import binding_deadline, is_deadline_missed
from workqueue.domain.roles import WORKABLE_KINDS, Role
from workqueue.domain.rules import compute_deadline, priority_score
from workqueue.domain.status import TRANSITIONS, WorkItemKind, is_terminal
from workqueue.models import Coverage, DenialCategory, Payer, User, WorkItem
from workqueue.services import audit
from workqueue.services.audit import Actor
from workqueue.services.payers import rules_for

KIND_WEIGHTS = {
    WorkItemKind.PRIOR_AUTH: 20,
    WorkItemKind.ELIGIBILITY: 25,
    WorkItemKind.DENIAL: 25,
    WorkItemKind.AR_FOLLOWUP: 30,
}
_FAMILIES = ("chemo", "therapeutic", "hydration")


def _open_statuses(kind: WorkItemKind) -> list[str]:
    return [s.value for s in TRANSITIONS[kind] if not is_terminal(kind, s)]


def bulk_insert_work_items(
    session: Session,
    count: int,
    now: datetime,
    *,
    seed: int = 1,
    batch_size: int = 10_000,
    assigned_share: float = 0.25,
    pended_share: float = 0.08,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert ``count`` open work items spread over the existing patients and payers.

    Needs the demo (or any) patients with a primary coverage and at least one user.
    :raise ValueError: there are no coverages to attach items to.
    """
    rng = random.Random(seed)
    payers = {p.id: p for p in session.scalars(select(Payer))}
    rules = {pid: rules_for(p) for pid, p in payers.items()}
    coverages = session.execute(
        select(Coverage.patient_id, Coverage.id, Coverage.payer_id).where(Coverage.rank == 1)
    ).all()
    if not coverages:
        raise ValueError("no patients with coverage to attach the items to; seed the demo first")
    workers: dict[WorkItemKind, list[int]] = {k: [] for k in WorkItemKind}
    for user_id, role in session.execute(select(User.id, User.role)):
        if Role(role) in (Role.SUPERVISOR, Role.ADMIN):
            continue
        for kind in WORKABLE_KINDS[Role(role)]:
            workers[kind].append(user_id)
    kinds, weights = zip(*KIND_WEIGHTS.items(), strict=True)
    statuses = {k: _open_statuses(k) for k in WorkItemKind}
    categories = [c.value for c in DenialCategory]
    today = now.date()
    table = WorkItem.__table__
    inserted = 0
    while inserted < count:
        rows = []
        for _ in range(min(batch_size, count - inserted)):
            kind = rng.choices(kinds, weights)[0]
            patient_id, coverage_id, payer_id = rng.choice(coverages)
            rows.append(_row(rng, kind, statuses[kind], categories, workers[kind], patient_id,
                             coverage_id, payer_id, rules[payer_id], now, today,
                             assigned_share, pended_share))
        session.execute(insert(table), rows)
        inserted += len(rows)
        if progress:
            progress(inserted)
    audit.record(session, Actor.system("cli"), "bulk_create", "work_item", None, now=now,
                 context=f"{count} synthetic items")
    session.flush()
    return inserted


def _row(rng, kind, statuses, categories, workers, patient_id, coverage_id, payer_id, rules,
         now, today, assigned_share, pended_share) -> dict:
    created = now - timedelta(days=rng.randint(0, 150), minutes=rng.randint(0, 600))
    created_on = created.date()
    amount = Decimal(rng.randint(80, 60_000)) + Decimal(rng.randint(0, 99)) / 100
    service_date = denied_on = submitted_on = auth_end = None
    category = rng.choice(_FAMILIES)
    if kind is WorkItemKind.DENIAL:
        service_date = created_on - timedelta(days=rng.randint(20, 60))
        denied_on = created_on - timedelta(days=rng.randint(1, 5))
        category = rng.choice(categories)
    elif kind is WorkItemKind.AR_FOLLOWUP:
        service_date = created_on - timedelta(days=rng.randint(25, 60))
        submitted_on = service_date + timedelta(days=2)
    elif kind is WorkItemKind.ELIGIBILITY:
        service_date = created_on + timedelta(days=rng.randint(1, 14))
    elif rng.random() < 0.5:
        auth_end = created_on + timedelta(days=rng.randint(15, 60))
    else:
        service_date = created_on + timedelta(days=rng.randint(5, 30))
    deadline = compute_deadline(kind, rules, today=created_on, service_date=service_date,
                                denied_on=denied_on, submitted_on=submitted_on,
                                auth_end=auth_end)
    assignee = rng.choice(workers) if workers and rng.random() < assigned_share else None
    pended = rng.random() < pended_share
    status = rng.choice(statuses)
    missed = is_deadline_missed(kind, status, deadline.on, today)
    return {
        "kind": kind.value,
        "status": status,
        "is_open": True,
        "title": f"Synthetic {kind.value.replace('_', ' ')} item",
        "patient_id": patient_id,
        "coverage_id": coverage_id,
        "payer_id": payer_id,
        "category": category,
        "amount": amount,
        "service_date": service_date,
        "deadline_on": deadline.on,
        "deadline_kind": deadline.kind,
        "due_on": deadline.due_on,
        "pended_until": today + timedelta(days=rng.randint(1, 20)) if pended else None,
        "pended_at": now if pended else None,
        "assignee_id": assignee,
        "claimed_at": None,
        "last_touched_at": created,
        "priority_score": priority_score(amount, binding_deadline(kind, status, deadline.on),
                                         created_on, missed=missed),
        "is_deadline_missed": missed,
        "priority_override": 0,
        "created_at": created,
        "updated_at": created,
        "version": 1,
    }
