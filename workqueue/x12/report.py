"""The ``import-835 --json`` report: a pure function from a parsed `Remittance` to JSON data,
and `RemittanceReport`, the same report built while the file streams, with bounded memory.

The shape is a contract other tools read (issue 5): every amount a string with two
decimals, payments in file order, ``patient_responsibility`` "0.00" when CLP05 is absent,
``category`` null unless the claim carries a denial. The streamed report adds ``totals``
(everything in the file) and ``truncated`` (how many payments, claims and problems the
printed report left out: it holds the first ``report_rows`` of each); the full report, in
the same shape, goes to a file as it is read.

``denied`` is true when the claim is denied whole *or* any of its lines is: the report
answers "is there denial work on this claim?"; ``status`` and ``paid`` tell whole from
partial. ``category`` is that of the whole-claim denial, else of the line denial with the
largest amount at stake.
"""

from __future__ import annotations

import json
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any, TextIO

from workqueue.domain.import_limits import DEFAULT_LIMITS, ImportLimits
from workqueue.x12.remit835 import (
    ClaimPayment,
    Payment,
    PaymentFinished,
    PaymentStarted,
    Remittance,
    RemittanceEvent,
)
from workqueue.x12.transactions import ParseIssue

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
        "provider_adjustments": _provider_adjustments(payment),
    }


def _provider_adjustments(payment: Payment) -> list[dict[str, Any]]:
    return [{"reason": plb.reason, "reference": plb.reference or None,
             "amount": format_amount(plb.amount)} for plb in payment.provider_adjustments]


def claim_weight(claim: ClaimPayment) -> int:
    """About how many segments a claim holds (it, its lines and its adjustments): what a
    report may keep is counted in these."""
    return 1 + len(claim.lines) + len(claim.adjustments) + sum(
        len(line.adjustments) for line in claim.lines)


class RemittanceReport:
    """The ``--json`` report of an 835 built event by event (`add`), memory bounded.

    It keeps the first ``limits.report_rows`` payments, claims and problems (and claims only
    while they hold no more than one claim's worth of segments in all, the per-claim limit),
    counts everything, and when ``full`` is given writes the whole report there as it goes —
    claims as they come, problems kept in a temporary file (on disk past a megabyte) until
    the end, where the contract puts them.
    """

    def __init__(self, limits: ImportLimits = DEFAULT_LIMITS, full: TextIO | None = None):
        self.limits = limits
        self.full = full
        self.payments: list[tuple[Payment, dict[str, Any]]] = []  # the first ones
        self.errors: list[dict[str, Any]] = []
        self.totals = {"transactions": 0, "payments": 0, "claims": 0, "denied_claims": 0,
                       "problems": 0}
        self._kept_claims = self._kept_weight = 0
        self._open: Payment | None = None
        self._first_payment = self._first_claim = True
        self._problems: IO[str] | None = None
        if full is not None:
            full.write('{"payments": [')
            self._problems = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+",
                                                           encoding="utf-8")

    def add(self, event: RemittanceEvent) -> None:
        if isinstance(event, ClaimPayment):
            self._claim(event)
        elif isinstance(event, PaymentStarted):
            self._start(event.payment)
        elif isinstance(event, PaymentFinished):
            self._finish(event.payment)
        elif isinstance(event, ParseIssue):
            self._problem(event)

    def _start(self, payment: Payment) -> None:
        self.totals["payments"] += 1
        self._open = payment
        head = {"payer": payment.payer.name, "trace_number": payment.trace_number,
                "amount": format_amount(payment.amount), "claims": []}
        if len(self.payments) < self.limits.report_rows:
            self.payments.append((payment, head))
        if self.full is not None:
            text = json.dumps(head)
            self.full.write(("" if self._first_payment else ", ") + text[:-2])  # opens "claims"
            self._first_payment = False
            self._first_claim = True

    def _claim(self, claim: ClaimPayment) -> None:
        self.totals["claims"] += 1
        if claim.denials:
            self.totals["denied_claims"] += 1
        data = _claim(claim)
        weight = claim_weight(claim)
        kept = self.payments and self.payments[-1][0] is self._open
        if kept and self._kept_claims < self.limits.report_rows and \
                self._kept_weight + weight <= self.limits.max_segments_per_claim:
            self.payments[-1][1]["claims"].append(data)
            self._kept_claims += 1
            self._kept_weight += weight
        if self.full is not None:
            self.full.write(("" if self._first_claim else ", ") + json.dumps(data))
            self._first_claim = False

    def _finish(self, payment: Payment) -> None:
        self.totals["transactions"] += 1
        if payment is not self._open:
            return  # a skipped transaction: reported as a problem, no payment
        self._open = None
        adjustments = _provider_adjustments(payment)
        if self.payments and self.payments[-1][0] is payment:
            self.payments[-1][1]["provider_adjustments"] = adjustments
        if self.full is not None:
            self.full.write(f'], "provider_adjustments": {json.dumps(adjustments)}}}')

    def _problem(self, issue: ParseIssue) -> None:
        self.totals["problems"] += 1
        data = {"segment": issue.segment, "message": issue.message}
        if len(self.errors) < self.limits.report_rows:
            self.errors.append(data)
        if self._problems is not None:
            self._problems.write(json.dumps(data) + "\n")

    def finish(self) -> dict[str, Any]:
        """The printed report: the kept payments, claims and problems, with ``totals`` and
        ``truncated``; the full report (if any) is complete when this returns."""
        totals = self.totals
        report = {
            "transactions": totals["transactions"],
            "payments": [data for _, data in self.payments],
            "errors": self.errors,
            "totals": dict(totals),
            "truncated": {"payments": totals["payments"] - len(self.payments),
                          "claims": totals["claims"] - self._kept_claims,
                          "errors": totals["problems"] - len(self.errors)},
        }
        if self.full is not None and self._problems is not None:
            self.full.write('], "errors": [')
            with self._problems as problems:
                problems.seek(0)
                for index, line in enumerate(problems):
                    self.full.write((", " if index else "") + line.rstrip("\n"))
            self.full.write(f'], "transactions": {totals["transactions"]}, '
                            f'"totals": {json.dumps(totals)}}}\n')
        return report

    def summary(self, report: dict[str, Any]) -> list[str]:
        """The text summary of ``report`` (from `finish`), line by line."""
        totals, left_out = report["totals"], report["truncated"]
        rows = [f"{totals['transactions']} transaction(s), {totals['payments']} payment(s), "
                f"{totals['claims']} claim(s), {totals['denied_claims']} with denials, "
                f"{totals['problems']} problem(s)"]
        for payment, _ in self.payments:
            rows.append(f"  {payment.payer.name or '(no payer name)'}  trace "
                        f"{payment.trace_number}  {format_amount(payment.amount)}  "
                        f"{payment.claim_count} claim(s)  {len(payment.provider_adjustments)} "
                        "provider adjustment(s)")
        if left_out["payments"]:
            rows.append(f"  … and {left_out['payments']:,} more payment(s)")
        rows += [f"  problem at segment {e['segment']}: {e['message']}" for e in report["errors"]]
        if left_out["errors"]:
            rows.append(f"  … and {left_out['errors']:,} more problem(s)")
        return rows


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
