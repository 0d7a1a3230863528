"""The ``import-835 --json`` report: a pure function from a parsed `Remittance` to JSON data.

The shape is a contract other tools read (issue 5): every amount a string with two
decimals, payments in file order, ``patient_responsibility`` "0.00" when CLP05 is absent,
``category`` null unless the claim carries a denial.

``denied`` is true when the claim is denied whole *or* any of its lines is: the report
answers "is there denial work on this claim?"; ``status`` and ``paid`` tell whole from
partial. ``category`` is that of the whole-claim denial, else of the line denial with the
largest amount at stake.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from workqueue.x12.remit835 import ClaimPayment, Payment, Remittance

_CENTS = Decimal("0.01")


def build_report(remittance: Remittance) -> dict[str, Any]:
    """Return the JSON-ready report for one parsed 835 file."""
    return {
        "transactions": remittance.transactions,
        "payments": [_payment(payment) for payment in remittance.payments],
        "errors": [{"segment": issue.segment, "message": issue.message}
                   for issue in remittance.errors],
    }


def format_amount(amount: Decimal) -> str:
    """Two decimals, half-up, no exponent: ``Decimal("1E+2")`` becomes ``"100.00"``."""
    return f"{amount.quantize(_CENTS, rounding=ROUND_HALF_UP):f}"


def _payment(payment: Payment) -> dict[str, Any]:
    return {
        "payer": payment.payer.name,
        "trace_number": payment.trace_number,
        "amount": format_amount(payment.amount),
        "claims": [_claim(claim) for claim in payment.claims],
        "provider_adjustments": [
            {"reason": plb.reason, "reference": plb.reference or None,
             "amount": format_amount(plb.amount)}
            for plb in payment.provider_adjustments
        ],
    }


def _claim(claim: ClaimPayment) -> dict[str, Any]:
    denials = claim.denials
    main = max(denials, key=lambda d: d.amount) if denials else None
    responsibility = claim.patient_responsibility
    return {
        "claim_id": claim.claim_id,
        "status": claim.status,
        "charge": format_amount(claim.charge),
        "paid": format_amount(claim.paid),
        "patient_responsibility": format_amount(responsibility if responsibility is not None
                                                else Decimal(0)),
        "payer_claim_number": claim.payer_claim_number,
        "patient_name": claim.patient_name,
        "adjustments": [
            {"level": a.level, "procedure": a.procedure, "group": a.group, "reason": a.reason,
             "amount": format_amount(a.amount)}
            for a in claim.all_adjustments
        ],
        "remarks": claim.all_remarks,
        "denied": main is not None,
        "category": main.category if main is not None else None,
    }
