"""Queues: the ones the user works, with counts, and get-next (atomic claim)."""

from flask import Response, g, jsonify

from workqueue.clock import utcnow
from workqueue.db import commit, get_session
from workqueue.domain.errors import NotFound
from workqueue.domain.roles import Permission
from workqueue.models import Queue, WorkItem
from workqueue.queries import active_queue, open_counts_by_queue, queues_for_user
from workqueue.security import current_actor, requires
from workqueue.services.get_next import claim_next
from workqueue.views.api import bp
from workqueue.views.api.openapi import operation
from workqueue.views.api.serialization import queue_json, work_item_detail_json


def load_queue(session, ref: str) -> Queue:
    """An active queue by id or slug, or NotFound."""
    queue = active_queue(session, ref)
    if queue is None:
        raise NotFound("There is no such queue.")
    return queue


@bp.get("/queues")
@requires(Permission.VIEW_WORK)
def list_queues():
    db = get_session()
    queues = queues_for_user(db, g.api_user)
    counts = open_counts_by_queue(db, queues, utcnow().date())
    return jsonify(queues=[queue_json(q, counts[q.id]) for q in queues])


@bp.post("/queues/<ref>/next")
@requires(Permission.WORK_ITEMS)
def claim_next_item(ref: str):
    db = get_session()
    queue = load_queue(db, ref)
    now = utcnow()
    item_id = claim_next(db, g.api_user, queue, current_actor(), now)
    commit(db)
    if item_id is None:
        return Response(status=204)
    return jsonify(work_item_detail_json(db, db.get(WorkItem, item_id), now.date()))


QUEUE_REF = {"name": "ref", "in": "path", "required": True,
             "schema": {"type": "string", "minLength": 1, "maxLength": 60},
             "description": "The queue's id or slug."}


def openapi_paths() -> dict:
    return {
        "/api/v1/queues": {"get": operation(
            "listQueues", "Queues the user works (supervisors and admins: all), with open, "
            "unassigned, overdue and deadline-missed counts.", permission=Permission.VIEW_WORK,
            ok={200: "QueueList"}, tag="queues")},
        "/api/v1/queues/{ref}/next": {"post": operation(
            "claimNext", "Get next: atomically claim the queue's highest-priority available "
            "item.", permission=Permission.WORK_ITEMS, path=(QUEUE_REF,),
            ok={200: "WorkItemDetail", 204: None}, errors=(404,), tag="queues",
            description="200 with the claimed item (now assigned to you), 204 when nothing "
            "you may work is left. Two callers never receive the same item. 403 if you are "
            "not a member of the queue.")},
    }
