"""Building findings: the problems on a visit that would get its claim denied or returned.

Severities come from the rules data, so a payer that treats a warning as fatal is a data change.
"""

from __future__ import annotations

from workqueue.domain.coding.model import CodingRules, Finding, Severity


def make_finding(
    rules: CodingRules, code: str, administration: str | None, message: str
) -> Finding:
    """A finding with the severity configured for its code (error when not configured)."""
    severity = rules.finding_severity.get(code, Severity.ERROR)
    return Finding(code=code, severity=severity, administration=administration, message=message)


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    """Visit-level findings first, then by administration id and code, so output is stable."""
    unique = set(findings)
    return tuple(
        sorted(unique, key=lambda f: (f.administration or "", f.code, f.message, f.severity))
    )
