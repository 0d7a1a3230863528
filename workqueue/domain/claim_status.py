"""277 claim status categories (STC01-1, DOMAIN.md §9.3): what each means in plain words,
what the AR specialist does about it, and whether it needs a person now.

Pure data and one lookup; the 277 import reads it to word timeline lines and to decide
which claims come back to the top of the AR worklist.
"""

import re
from dataclasses import dataclass

_CATEGORY = re.compile(r"A[0-8]|D0|E[0-4]|F[0-4]|F3F|F3N|P[0-5]|R(?:1[0-6]|[0-9])")


@dataclass(frozen=True)
class StatusCategory:
    code: str
    meaning: str
    action: str
    needs_action: bool  # a person must act now: the item comes back, due today


_TABLE: dict[str, tuple[str, str, bool]] = {
    "A0": ("forwarded to another entity", "watch", False),
    "A1": ("received, not yet accepted for adjudication", "wait", False),
    "A2": ("accepted into the adjudication system", "wait", False),
    "A3": ("returned as unprocessable", "fix and resubmit", True),
    "A4": ("not found", "resubmit or investigate", True),
    "A5": ("split on acceptance", "track each piece", False),
    "A6": ("rejected for missing information", "fix and resubmit", True),
    "A7": ("rejected for invalid information", "fix and resubmit", True),
    "A8": ("rejected for a relational field error", "fix and resubmit", True),
    "P0": ("pending", "wait, then follow up", False),
    "P1": ("pending, in process", "wait", False),
    "P2": ("pending payer review", "may need records", False),
    "P3": ("pending information requested from the provider", "send the records now", True),
    "P4": ("pending information from the patient", "contact the patient", True),
    "P5": ("pending, payer administrative hold", "follow up", False),
    "F0": ("finalized", "expect the 835", False),
    "F1": ("finalized, paid", "post the 835 payment", False),
    "F2": ("finalized, denied", "work the denial", True),
    "F3": ("finalized, revised", "re-post", False),
    "F3F": ("finalized, revised and forwarded", "re-post", False),
    "F3N": ("finalized, revised and not forwarded", "re-post", False),
    "F4": ("finalized, no payment forthcoming", "review", True),
    "D0": ("data search unsuccessful", "retry with other keys", False),
}


def status_category(code: str) -> StatusCategory | None:
    """The category for an STC01-1 code, or None when it is not a 5010 category."""
    code = code.strip().upper()
    if not _CATEGORY.fullmatch(code):
        return None
    if code in _TABLE:
        return StatusCategory(code, *_TABLE[code])
    if code.startswith("R"):
        return StatusCategory(code, "request for additional information", "respond", True)
    return StatusCategory(code, "response not possible (system status)", "retry later", False)
