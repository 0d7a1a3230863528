"""Whether a remitted claim may be posted onto the claim it names, and what a person must check.

The rule (kept here so the batch and the one-by-one import paths agree):

* A claim is found by its patient control number (CLP01), but it is **posted** only when the
  payer that sent the 835 is one the claim was billed to: the claim's own payer (the coverage
  on the claim), or, for a crossover (CLP02 = 2, 3, 19, 20 or 21), the payer of one of the
  patient's secondary or tertiary coverages. A reversal (CLP02 = 22) is accepted from the
  same payers, and takes back only that payer's own posting.
* Otherwise, and always when the remitting payer is not on file, the claim is **held for
  review**: nothing is posted, no denial is opened, and the reason names both payers
  ("remitted by BLUE HERON MUTUAL, a payer not on file, billed to Original Medicare"). Our
  claim numbers are short and sequential: another payer's file can carry the same numbers.
* A posted claim is **flagged for review** when the payer's account of it differs from ours:
  the total charge (CLP03 against the claim's billed amount), or the patient (NM1*QC against
  the claim's patient: last names differ, or first initials differ when both are given; a
  payer's truncated last name still matches). The reasons name amounts, never names.
* Reversals are not checked for charge or name: they take back what was posted, as posted.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

CROSSOVER_STATUSES = frozenset({"2", "3", "19", "20", "21"})
REVERSAL_STATUS = "22"


def may_post(status: str, remitter_id: int | None, billed_payer_id: int,
             crossover_payer_ids: Collection[int]) -> bool:
    """True when the payer ``remitter_id`` (None: not on file) may post onto the claim."""
    if remitter_id is None:
        return False
    if remitter_id == billed_payer_id:
        return True
    return (status in CROSSOVER_STATUSES or status == REVERSAL_STATUS) \
        and remitter_id in crossover_payer_ids


def hold_reason(status: str, remitter: str, remitter_id: int | None, billed_to: str,
                billed_payer_id: int, crossover_payer_ids: Collection[int]) -> str | None:
    """Why the claim must not be posted (see the module docstring), or None when it may be."""
    if may_post(status, remitter_id, billed_payer_id, crossover_payer_ids):
        return None
    who = remitter or "a payer with no name"
    if remitter_id is None:
        return f"remitted by {who}, a payer not on file, billed to {billed_to}"
    if remitter_id in crossover_payer_ids:
        return (f"remitted by {who} (the patient's secondary or tertiary coverage) as claim "
                f"status {status}, not as a crossover; billed to {billed_to}")
    return f"remitted by {who}, billed to {billed_to}"


def flag_reasons(status: str, charge: Decimal, billed: Decimal, remit_last: str,
                 remit_first: str, last: str, first: str) -> list[str]:
    """What differs between the payer's account of a posted claim and ours (empty: nothing)."""
    if status == REVERSAL_STATUS:
        return []
    reasons = []
    if charge != billed:
        reasons.append(f"billed charge differs: {billed:,.2f} on our claim, {charge:,.2f} on "
                       "the remittance (CLP03)")
    if _names_differ(remit_last, remit_first, last, first):
        reasons.append("the patient named on the remittance (NM1*QC) is not the claim's "
                       "patient")
    return reasons


def _letters(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalpha())


def _names_differ(remit_last: str, remit_first: str, last: str, first: str) -> bool:
    theirs, ours = _letters(remit_last), _letters(last)
    if not theirs or not ours:
        return False  # the payer sent no name: nothing to compare
    if not (theirs.startswith(ours) or ours.startswith(theirs)):
        return True
    initial, our_initial = _letters(remit_first)[:1], _letters(first)[:1]
    return bool(initial and our_initial and initial != our_initial)
