"""When a remitted claim or service line counts as denied, and under which category.

The rule (kept here so the 835 parser, the import service and the reports agree):

* A **denial adjustment** is a CAS adjustment in group CO, PI or OA (the provider, not
  the patient, carries it) whose CARC is a denial reason in the catalog
  (`ReasonCode.is_denial_reason`: its default action is appeal, corrected claim,
  write-off or resubmit) — or whose CARC is not in the catalog at all, because an
  unknown code with nothing paid is safer in front of a person than silently posted.
  Routine adjustments (CO-45 contractual, CO-253 sequestration, OA-23 prior payer,
  PR cost share) are never denial adjustments.
* A **service line is denied** when it paid nothing (SVC03 = 0) and carries at least one
  denial adjustment.
* A **claim is denied** when CLP02 = 4, or when it paid nothing (CLP04 = 0) and carries a
  denial adjustment at claim or line level.
* Reversals (CLP02 = 22), predetermination-only claims (25) and claims forwarded as not
  the payer's (23) are never denials: they move money or routing, not a decision.
* The **category** comes from the denial adjustment with the largest amount (first one
  on a tie). When that CARC's category is "other" (A1 and friends, "see the remark"), the
  first remark code with a more specific category decides.
* **CLP02 = 4** is "patient not found" in the TR3, but payers send it for denials of every
  kind (CO-197, CO-50...): the reason codes decide, as for any denial. Only when they say
  nothing more specific than "other" (no denial adjustment, or only generic ones) does the
  status code decide: the category of CARC 31 (member not found) in the catalog, i.e.
  eligibility (DOMAIN.md §4.2 and §12).
* The **amount at stake** is the sum of denial adjustments (for CLP02 = 4 with none,
  the claim charge).

Partial payment with some lines denied is a *line* denial: the claim is not denied, its
denied lines are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from workqueue.domain.reason_codes import ReasonCatalog

DENIAL_GROUPS = frozenset({"CO", "PI", "OA"})
MEMBER_NOT_FOUND = "4"
MEMBER_NOT_FOUND_CARC = "31"  # what CLP02 = 4 means when the reason codes do not say
NEVER_DENIED_STATUSES = frozenset({"22", "23", "25"})
_ZERO = Decimal("0")


class AdjustmentLike(Protocol):
    group: str
    reason: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Denial:
    """Why and how much: the CARC that decided it, its category and the amount at stake."""

    category: str
    reason: str
    amount: Decimal


def is_denial_adjustment(adjustment: AdjustmentLike, catalog: ReasonCatalog) -> bool:
    if adjustment.group not in DENIAL_GROUPS or adjustment.amount <= _ZERO:
        return False
    code = catalog.carc(adjustment.reason)
    return code is None or code.is_denial_reason


def decide_line_denial(paid: Decimal, adjustments: Iterable[AdjustmentLike],
                       remarks: Sequence[str], catalog: ReasonCatalog) -> Denial | None:
    """Return the line's `Denial`, or ``None`` when the line is not denied."""
    if paid != _ZERO:
        return None
    return _denial_from([a for a in adjustments if is_denial_adjustment(a, catalog)],
                        remarks, catalog)


def decide_claim_denial(status: str, charge: Decimal, paid: Decimal,
                        adjustments: Iterable[AdjustmentLike], remarks: Sequence[str],
                        catalog: ReasonCatalog) -> Denial | None:
    """Return the whole claim's `Denial`, or ``None`` when the claim is not denied.

    ``adjustments`` are claim- and line-level adjustments together.
    """
    if status in NEVER_DENIED_STATUSES:
        return None
    denials = [a for a in adjustments if is_denial_adjustment(a, catalog)]
    if status == MEMBER_NOT_FOUND:
        found = _denial_from(denials, remarks, catalog)
        if found is not None and found.category != "other":
            return found  # the CARC (or its remark) says why: trust it over the status code
        not_found = catalog.carc(MEMBER_NOT_FOUND_CARC)
        return Denial(category=not_found.category if not_found else "eligibility",
                      reason=found.reason if found else MEMBER_NOT_FOUND_CARC,
                      amount=found.amount if found else charge)
    if paid != _ZERO:
        return None
    return _denial_from(denials, remarks, catalog)


def _denial_from(denials: list[AdjustmentLike], remarks: Sequence[str],
                 catalog: ReasonCatalog) -> Denial | None:
    if not denials:
        return None
    main = max(denials, key=lambda a: a.amount)  # max() keeps the first of equal amounts
    known = catalog.carc(main.reason)
    category = known.category if known else "other"
    if category == "other":
        for remark in remarks:
            rarc = catalog.rarc(remark)
            if rarc is not None and rarc.category != "other":
                category = rarc.category
                break
    return Denial(category=category, reason=main.reason,
                  amount=sum((a.amount for a in denials), _ZERO))
