"""What the API returns: work items (with priority parts, deadline, links), timelines, queues.

Plain dicts of JSON types; money as a string with two decimals so no client loses cents to
floating point. The shapes here are the ones ``openapi.py`` declares.
"""

from datetime import date, datetime

from sqlalchemy.orm import Session

from workqueue.domain.status import allowed_targets
from workqueue.models import Activity, Queue, User, WorkItem
from workqueue.queries import item_timeline
from workqueue.screens import priority_text


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: User | None) -> dict | None:
    return {"id": user.id, "display_name": user.display_name} if user is not None else None


def _codes(text: str | None) -> list[str]:
    return [code.strip() for code in (text or "").split(",") if code.strip()]


def work_item_json(item: WorkItem, today: date) -> dict:
    """One item as a worklist row: everything but the timeline and the expanded links."""
    return {
        "id": item.id,
        "kind": str(item.kind),
        "status": str(item.status),
        "is_open": item.is_open,
        "title": item.title,
        "category": item.category,
        "amount": f"{item.amount:.2f}",
        "service_date": _iso(item.service_date),
        "due_on": _iso(item.due_on),
        "deadline": {"on": _iso(item.deadline_on), "kind": item.deadline_kind},
        "pended_until": _iso(item.pended_until),
        "priority": {
            "score": float(item.priority_score),
            "override": item.priority_override,
            "parts": priority_text(item, today),
        },
        "assignee": _person(item.assignee),
        "claimed_at": _iso(item.claimed_at),
        "created_at": _iso(item.created_at),
        "updated_at": _iso(item.updated_at),
        "closed_at": _iso(item.closed_at),
        "version": item.version,
        "allowed_transitions": sorted(s.value for s in allowed_targets(item.kind, item.status)),
        "links": {
            "patient_id": item.patient_id,
            "coverage_id": item.coverage_id,
            "payer": {"id": item.payer.id, "name": item.payer.name} if item.payer else None,
            "authorization_id": item.authorization_id,
            "claim_id": item.claim_id,
            "denial_id": item.denial_id,
            "visit_id": item.visit_id,
        },
    }


def work_item_detail_json(session: Session, item: WorkItem, today: date) -> dict:
    """One item with its claim and denial facts and its timeline, newest first."""
    claim, denial = item.claim, item.denial
    return work_item_json(item, today) | {
        "claim": None if claim is None else {
            "id": claim.id,
            "claim_number": claim.claim_number,
            "payer_claim_number": claim.payer_claim_number,
            "status": str(claim.status),
            "service_from": _iso(claim.service_from),
            "service_to": _iso(claim.service_to),
            "billed_amount": f"{claim.billed_amount:.2f}",
            "balance": f"{claim.balance:.2f}",
        },
        "denial": None if denial is None else {
            "id": denial.id,
            "denied_on": _iso(denial.denied_on),
            "group_code": denial.group_code,
            "carc_codes": _codes(denial.carc_codes),
            "rarc_codes": _codes(denial.rarc_codes),
            "category": str(denial.category),
            "appeal_level": denial.appeal_level,
            "amount": f"{denial.amount:.2f}",
        },
        "timeline": [activity_json(a) for a in item_timeline(session, item.id)],
    }


def activity_json(activity: Activity) -> dict:
    return {
        "id": activity.id,
        "kind": str(activity.kind),
        "at": _iso(activity.at),
        "actor": _person(activity.actor),
        "body": activity.body,
        "from_status": activity.from_status,
        "to_status": activity.to_status,
        "data": activity.data,
    }


def queue_json(queue: Queue, counts: dict) -> dict:
    return {
        "id": queue.id,
        "slug": queue.slug,
        "name": queue.name,
        "description": queue.description,
        "kinds": list(queue.kinds or []),
        "payer_ids": list(queue.payer_ids or []),
        "categories": list(queue.categories or []),
        "strategy": str(queue.strategy),
        "counts": counts,
    }
