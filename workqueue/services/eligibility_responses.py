"""271 eligibility-response import: update the matching coverage and move its open
eligibility work item — once per answer.

What an import does, member by member (each in its own savepoint):

* **Match**: the payer by NM1*PR identifier (``Payer.edi_payer_id``) or name; the coverage
  by that payer and the member ID (NM1*IL NM109). When several coverages share the member
  ID (a dependent under the subscriber's ID), the name and birth date from the file pick
  one. No payer or no coverage → an error row in the run, nothing changed.
* **Coverage**: eligibility status (EB01 1-5 active, 6-8 inactive; AAA → needs info),
  verified at the response's BHT time, effective dates (DTP 356/357, else 346/347/291),
  and for the infusion benefit (service types 98, 50, 78, 1, 30, in that order, in-network
  and individual first): deductible and out-of-pocket remaining (EB06 = 29), coinsurance
  (EB08), copay, whether PA is required (EB11) and medical vs pharmacy benefit. Values the
  file does not give are left as they were.
* **Work item**: the coverage's open eligibility items move through the status table:
  active → verified active and closed; inactive → ``inactive`` and left open, back from
  pending and due today, with a note for a person; rejected (AAA) → ``needs_info``, same.
* **Once**: an answer applied before (same coverage, same response time and status — its
  audit event says so) changes nothing; an answer older than the coverage's last
  verification changes nothing either ("stale").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from workqueue.domain.status import WorkItemKind, WorkItemStatus
from workqueue.models import Coverage, EligibilityStatus, Patient, Payer, WorkItem
from workqueue.services import audit
from workqueue.services.audit import Actor
from workqueue.services.imports import (
    RowApplier,
    RowImportResult,
    RowOutcome,
    import_rows,
    match_payer,
)
from workqueue.services.work_items import add_note, transition_work_item
from workqueue.x12 import elig271 as x12

S = WorkItemStatus
# Service types that speak for an infusion visit, most specific first (DOMAIN.md §8.1).
INFUSION_SERVICE_TYPES = ("98", "50", "78", "1", "30")
_PHARMACY_SERVICE_TYPES = frozenset({"88", "89", "90", "91", "92"})
_COVERAGE_STATUS = {"active": EligibilityStatus.ACTIVE, "inactive": EligibilityStatus.INACTIVE,
                    "rejected": EligibilityStatus.NEEDS_INFO}
# Where an open eligibility item goes from each status, per answer; read left to right.
_PATHS: dict[str, dict[WorkItemStatus, tuple[WorkItemStatus, ...]]] = {
    "active": {S.NEW: (S.VERIFYING, S.ACTIVE, S.CLOSED), S.VERIFYING: (S.ACTIVE, S.CLOSED),
               S.NEEDS_INFO: (S.VERIFYING, S.ACTIVE, S.CLOSED), S.ACTIVE: (S.CLOSED,),
               S.INACTIVE: (S.VERIFYING, S.ACTIVE, S.CLOSED)},
    "inactive": {S.NEW: (S.VERIFYING, S.INACTIVE), S.VERIFYING: (S.INACTIVE,),
                 S.NEEDS_INFO: (S.VERIFYING, S.INACTIVE), S.ACTIVE: (S.VERIFYING, S.INACTIVE),
                 S.INACTIVE: ()},
    "rejected": {S.NEW: (S.VERIFYING, S.NEEDS_INFO), S.VERIFYING: (S.NEEDS_INFO,),
                 S.NEEDS_INFO: (), S.ACTIVE: (S.VERIFYING, S.NEEDS_INFO),
                 S.INACTIVE: (S.VERIFYING, S.NEEDS_INFO)},
}
_CENTS = Decimal("0.01")


@dataclass
class BenefitFacts:
    """What a 271 member's benefits say about the infusion benefit (None: not said)."""

    deductible_remaining: Decimal | None = None
    oop_remaining: Decimal | None = None
    coinsurance_pct: int | None = None
    copay: Decimal | None = None
    is_pa_required: bool | None = None
    benefit: str | None = None
    described: list[str] = field(default_factory=list)


def import_eligibility(session: Session, stream: BinaryIO, actor: Actor, now: datetime,
                       **options: Any) -> RowImportResult:
    """Read a 271 from ``stream`` and apply it (see the module docstring). ``options`` are
    the driver's: ``progress``, ``run``, ``collect``. Flushes; the caller commits.

    :raise X12Error: the file cannot be read as X12 at all (nothing was changed).
    """
    applier = _Applier(session, actor, now)
    return import_rows(session, stream, now, kind="271", events=x12.iter_eligibility,
                       apply=applier.apply, count=_count, **options)


def benefit_facts(member: x12.EligibilityResult) -> BenefitFacts:
    """Pick the infusion benefit's numbers out of a member's EB segments (pure)."""
    facts = BenefitFacts()
    benefits = member.benefits
    deductible = _pick(benefits, "C", remaining=True)
    if deductible is not None and deductible.amount is not None:
        facts.deductible_remaining = deductible.amount.quantize(_CENTS)
        facts.described.append(f"deductible remaining ${facts.deductible_remaining:,.2f}")
    oop = _pick(benefits, "G", remaining=True)
    if oop is not None and oop.amount is not None:
        facts.oop_remaining = oop.amount.quantize(_CENTS)
        facts.described.append(f"out-of-pocket remaining ${facts.oop_remaining:,.2f}")
    coinsurance = _pick(benefits, "A", needs=lambda b: b.percent is not None)
    if coinsurance is not None and coinsurance.percent is not None:
        facts.coinsurance_pct = int((coinsurance.percent * 100).quantize(Decimal(1),
                                                                         ROUND_HALF_UP))
        facts.described.append(f"coinsurance {facts.coinsurance_pct}%")
    copay = _pick(benefits, "B", needs=lambda b: b.amount is not None)
    if copay is not None and copay.amount is not None:
        facts.copay = copay.amount.quantize(_CENTS)
        facts.described.append(f"copay ${facts.copay:,.2f}")
    flags = {b.authorization_required for b in benefits
             if _is_infusion(b) and b.authorization_required in ("Y", "N")}
    if flags:
        facts.is_pa_required = "Y" in flags
        facts.described.append("prior authorization required" if facts.is_pa_required
                               else "no prior authorization required")
    active_types = {t for b in benefits if b.code in x12.ACTIVE_CODES for t in b.service_types}
    if active_types & set(INFUSION_SERVICE_TYPES):
        facts.benefit = "medical"
    elif active_types & _PHARMACY_SERVICE_TYPES:
        facts.benefit = "pharmacy"
    return facts


def _is_infusion(benefit: x12.Benefit) -> bool:
    return not benefit.service_types or bool(set(benefit.service_types)
                                             & set(INFUSION_SERVICE_TYPES))


def _pick(benefits: list[x12.Benefit], code: str, *, remaining: bool = False,
          needs=lambda b: b.amount is not None) -> x12.Benefit | None:
    """The EB of ``code`` that best describes an in-network infusion for one person."""
    found = [b for b in benefits if b.code == code and needs(b) and _is_infusion(b)
             and b.in_network != "N" and b.coverage_level in ("", "IND")
             and (not remaining or b.time_period == "29")]

    def rank(benefit: x12.Benefit) -> tuple[int, int, int]:
        types = [INFUSION_SERVICE_TYPES.index(t) for t in benefit.service_types
                 if t in INFUSION_SERVICE_TYPES]
        return (benefit.in_network != "Y", benefit.coverage_level != "IND",
                min(types, default=len(INFUSION_SERVICE_TYPES)))

    return min(found, key=rank) if found else None


def _count(outcome: RowOutcome, counts: dict[str, int]) -> None:
    if outcome.result == "applied":
        counts["coverages_updated"] = counts.get("coverages_updated", 0) + 1
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        counts["items_moved"] += len(outcome.items)


class _Applier(RowApplier):
    def __init__(self, session: Session, actor: Actor, now: datetime) -> None:
        super().__init__(session, actor, now)
        self.payers: dict[tuple[str, str], Payer | None] = {}

    def apply(self, member: x12.EligibilityResult) -> RowOutcome:
        session = self.session
        status = member.status
        outcome = RowOutcome(member.segment, member.member_id, "error", status=status)
        payer = match_payer(session, member.payer_id, member.payer_name, self.payers)
        if payer is None:
            outcome.message = (f"member at segment {member.segment}: payer "
                               f"{member.payer_name or '?'} ({member.payer_id or 'no id'}) "
                               "is not on file; no coverage could be matched")
            return outcome
        coverage, problem = self._coverage(payer, member)
        if coverage is None:
            outcome.message = f"member at segment {member.segment}: {problem}"
            return outcome
        outcome.record_id, outcome.patient_id = coverage.id, coverage.patient_id
        answer = (f"271 {member.responded_at:%Y-%m-%dT%H:%M:%SZ} {status}"
                  f"{' EB01 ' + member.status_code if member.status_code else ''}")
        if self.already_applied(outcome, "coverage", answer,
                                f"member at segment {member.segment}: this answer"):
            return outcome
        if coverage.verified_at is not None and coverage.verified_at > member.responded_at \
                and status in ("active", "inactive"):
            outcome.result = "stale"
            outcome.message = (f"member at segment {member.segment}: the coverage was "
                               f"verified later ({coverage.verified_at:%Y-%m-%d %H:%M} UTC) "
                               f"than this answer ({member.responded_at:%Y-%m-%d %H:%M}); "
                               "nothing changed")
            return outcome
        summary = self._update_coverage(coverage, member)
        audit.record(session, self.actor, "import", "coverage", coverage.id, now=self.now,
                     patient_id=coverage.patient_id, context=answer)
        outcome.items = self._move_items(coverage, status, summary)
        outcome.result = "applied"
        outcome.needs_action = status != "active"
        outcome.message = summary
        session.flush()
        return outcome

    def _coverage(self, payer: Payer, member: x12.EligibilityResult
                  ) -> tuple[Coverage | None, str]:
        found = list(self.session.scalars(
            select(Coverage).where(Coverage.payer_id == payer.id,
                                   Coverage.member_id == member.member_id)
            .order_by(Coverage.id).with_for_update()))
        if not found:
            return None, f"no coverage with this member ID at {payer.name}"
        if len(found) == 1:
            return found[0], ""
        patients = {p.id: p for p in self.session.scalars(
            select(Patient).where(Patient.id.in_({c.patient_id for c in found})))}
        chosen = [c for c in found if _same_person(patients[c.patient_id], member)]
        if len(chosen) == 1:
            return chosen[0], ""
        return None, (f"{len(found)} coverages at {payer.name} have this member ID and the "
                      "name and birth date in the file do not pick one; update it by hand")

    def _update_coverage(self, coverage: Coverage, member: x12.EligibilityResult) -> str:
        status = member.status
        words = {"active": "coverage active", "inactive": "coverage inactive",
                 "rejected": "the payer could not answer", "unknown": "no coverage status"}
        parts = [words[status] + (f" (EB01 {member.status_code})" if member.status_code
                                  else "")]
        if status in _COVERAGE_STATUS:
            coverage.eligibility_status = _COVERAGE_STATUS[status]
        if status != "rejected":
            coverage.verified_at = member.responded_at
            begin, end = member.effective
            if begin is not None:
                coverage.effective_from = begin
            if end is not None:
                coverage.effective_to = end
            if begin or end:
                parts.append(f"effective {begin or '?'} to {end or 'open'}")
        if status == "rejected":
            parts += [f"AAA {r.reason}: {r.reason_words}" for r in member.rejections]
        facts = benefit_facts(member)
        for name in ("deductible_remaining", "oop_remaining", "coinsurance_pct", "copay",
                     "is_pa_required", "benefit"):
            value = getattr(facts, name)
            if value is not None:
                setattr(coverage, name, value)
        parts += facts.described
        return "; ".join(parts)

    def _move_items(self, coverage: Coverage, status: str, summary: str) -> list[int]:
        session, now = self.session, self.now
        items = self.open_items(WorkItem.coverage_id == coverage.id, WorkItemKind.ELIGIBILITY)
        note = f"271 eligibility response: {summary}."
        if status == "inactive":
            note += " Check for other coverage or a plan change before the infusion."
        elif status == "rejected":
            note += " Correct the member details or ask the payer again."
        moved = []
        for item in items:
            path = _PATHS.get(status, {}).get(WorkItemStatus(item.status), ())
            for step, target in enumerate(path, start=1):
                transition_work_item(session, item, target, self.system, now,
                                     note=note if step == len(path) else "271 received.")
            if not path:  # already where the answer puts it: say so on the timeline
                add_note(session, item, note, self.system, now)
            if status in ("inactive", "rejected"):
                self.bring_to_a_person(item, "Back from pending: the payer's answer needs a "
                                       "person.")
            moved.append(item.id)
        return moved


def _same_person(patient: Patient, member: x12.EligibilityResult) -> bool:
    if member.birth_date is not None and patient.birth_date != member.birth_date:
        return False
    return not member.last_name or patient.last_name.strip().upper() == \
        member.last_name.strip().upper()
