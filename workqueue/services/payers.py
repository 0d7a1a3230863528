"""Payer rule tables: reading them as domain rule values, and editing them."""

from sqlalchemy.orm import Session

from workqueue.domain.rules import PayerRules
from workqueue.models import Payer, PayerAppealLevel


def rules_for(payer: Payer | None) -> PayerRules:
    """The payer's rule values; defaults when the item has no payer."""
    if payer is None:
        return PayerRules()
    return PayerRules(
        timely_filing_days=payer.timely_filing_days,
        auth_lead_days=payer.auth_lead_days,
        auth_turnaround_days=payer.auth_turnaround_days,
        reverify_days=payer.reverify_days,
        ar_followup_days=payer.ar_followup_days,
        appeal_windows=tuple((lvl.level, lvl.window_days) for lvl in payer.appeal_levels),
    )


def set_appeal_levels(
    session: Session, payer: Payer, levels: list[tuple[int, str, int, int | None]]
) -> None:
    """Replace the payer's appeal levels with ``(level, name, window_days, decision_days)``."""
    payer.appeal_levels[:] = [
        PayerAppealLevel(level=level, name=name, window_days=window, decision_days=decision)
        for level, name, window, decision in sorted(levels)
    ]
    session.flush()
