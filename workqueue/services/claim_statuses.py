"""277 claim-status import: record the payer's last status on the claim and tell its open AR
follow-up item — once per status.

What an import does, claim by claim (each in its own savepoint):

* **Match**: by REF*EJ (the patient account number we sent, ``Claim.claim_number``). No
  REF*EJ or no such claim → an error row in the run, nothing changed.
* **Claim**: ``last_status_code`` = STC01-1 category, ``last_status_at`` = STC02 (else the
  response's BHT time); the payer's claim number (REF*1K) when the claim has none yet.
* **AR item**: every open AR follow-up of the claim gets a timeline line with the status in
  plain words and what to do (DOMAIN.md §9.3). When the category needs a person now
  (rejections A3/A4/A6/A7/A8, records or patient information asked for P3/P4, requests for
  information R*, finalized denied F2 or with no payment F4) the item comes back from
  pending, is due today, and leaves ``waiting_payer`` for ``in_progress``.
* **Once**: a status applied before (same claim, category:code:entity, date and trace —
  its audit event says so) changes nothing; a status older than the one on the claim
  changes nothing either ("stale").
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from workqueue.domain.claim_status import status_category
from workqueue.domain.status import WorkItemKind, WorkItemStatus
from workqueue.models import Claim, WorkItem
from workqueue.services import audit
from workqueue.services.audit import Actor
from workqueue.services.imports import (
    RowApplier,
    RowImportResult,
    RowOutcome,
    import_rows,
)
from workqueue.services.work_items import add_note, transition_work_item
from workqueue.x12 import status277 as x12


def import_claim_statuses(session: Session, stream: BinaryIO, actor: Actor, now: datetime,
                          **options: Any) -> RowImportResult:
    """Read a 277 from ``stream`` and apply it (see the module docstring). ``options`` are
    the driver's: ``progress``, ``run``, ``collect``. Flushes; the caller commits.

    :raise X12Error: the file cannot be read as X12 at all (nothing was changed).
    """
    applier = _Applier(session, actor, now)
    return import_rows(session, stream, now, kind="277",
                       events=x12.iter_claim_statuses, apply=applier.apply, count=_count,
                       **options)


def _count(outcome: RowOutcome, counts: dict[str, int]) -> None:
    if outcome.result == "applied":
        counts["claims_updated"] = counts.get("claims_updated", 0) + 1
        counts["items_noted"] += len(outcome.items)


class _Applier(RowApplier):
    def apply(self, found: x12.ClaimStatusResult) -> RowOutcome:
        session = self.session
        status = found.status
        category = status_category(status.category)
        assert category is not None  # the parser drops claims without a 5010 category
        outcome = RowOutcome(found.segment, found.patient_account, "error",
                             status=status.category)
        if not found.patient_account:
            outcome.message = (f"claim at segment {found.segment} (trace "
                               f"{found.trace_number or '?'}): no REF*EJ patient account "
                               "number; no claim could be matched")
            return outcome
        claim = session.scalar(select(Claim).where(
            Claim.claim_number == found.patient_account).with_for_update())
        if claim is None:
            outcome.message = (f"claim {found.patient_account}: no claim with this number "
                               "(REF*EJ); nothing changed")
            return outcome
        outcome.record_id, outcome.patient_id = claim.id, claim.patient_id
        status_at = datetime.combine(status.effective_on, time(0, 0), UTC) \
            if status.effective_on else found.responded_at
        answer = (f"277 {status.label} {status_at:%Y-%m-%d} trace "
                  f"{found.trace_number[:50] or '-'}")
        if self.already_applied(outcome, "claim", answer,
                                f"claim {claim.claim_number}: status {status.label}"):
            return outcome
        if claim.last_status_at is not None and claim.last_status_at > status_at:
            outcome.result = "stale"
            outcome.message = (f"claim {claim.claim_number}: a later status "
                               f"({claim.last_status_code} of {claim.last_status_at:%Y-%m-%d})"
                               f" is on file; {status.label} of {status_at:%Y-%m-%d} changes "
                               "nothing")
            return outcome
        claim.last_status_code = category.code[:10]
        claim.last_status_at = status_at
        if found.payer_claim_number and not claim.payer_claim_number:
            claim.payer_claim_number = found.payer_claim_number[:50]
        audit.record(session, self.actor, "import", "claim", claim.id, now=self.now,
                     patient_id=claim.patient_id, context=answer)
        line = _timeline_line(found, status, category, status_at)
        outcome.items = self._tell_ar_items(claim, line, category.needs_action)
        outcome.result = "applied"
        outcome.needs_action = category.needs_action
        outcome.message = line if outcome.items else \
            f"{line} (no open AR follow-up item; recorded on the claim)"
        session.flush()
        return outcome

    def _tell_ar_items(self, claim: Claim, line: str, needs_action: bool) -> list[int]:
        session, now = self.session, self.now
        items = self.open_items(WorkItem.claim_id == claim.id, WorkItemKind.AR_FOLLOWUP)
        for item in items:
            if needs_action and item.status == WorkItemStatus.WAITING_PAYER:
                transition_work_item(session, item, WorkItemStatus.IN_PROGRESS, self.system,
                                     now, note=line)
            else:
                add_note(session, item, line, self.system, now)
            if needs_action:
                self.bring_to_a_person(item, "Back from pending: the payer's claim status "
                                       "needs a person.")
        return [item.id for item in items]


def _timeline_line(found: x12.ClaimStatusResult, status: x12.StatusInfo, category,
                   status_at: datetime) -> str:
    parts = [f"277 claim status {status.label} ({category.meaning}) as of "
             f"{status_at:%Y-%m-%d}: {category.action}."]
    if category.needs_action:
        parts.append("Needs a person now.")
    money = []
    if status.charge is not None:
        money.append(f"charge ${status.charge:,.2f}")
    if status.paid is not None and status.paid:
        money.append(f"paid ${status.paid:,.2f}")
    if status.check_number:
        money.append(f"check/EFT {status.check_number}")
    if found.payer_claim_number:
        money.append(f"payer claim number {found.payer_claim_number}")
    if money:
        text = "; ".join(money)
        parts.append(text[0].upper() + text[1:] + ".")
    others = [s.label for s in found.statuses[1:]]
    if others:
        parts.append("Further statuses: " + ", ".join(others) + ".")
    return " ".join(parts)
