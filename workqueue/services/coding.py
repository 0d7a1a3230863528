"""Run the infusion coding check on a stored infusion visit and flag it for the worklist.

The catalog and rules are passed in (default: the seed files in ``workqueue/data``); a
database-backed, admin-editable drug catalog can replace that argument without touching the
domain module. Flushes only; the caller's edge commits.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from workqueue.domain.coding import (
    CodingResult,
    CodingRules,
    DrugCatalog,
    Severity,
    code_visit,
    load_default_tables,
    parse_visit,
)
from workqueue.models import InfusionVisit


def _local(value: datetime | None) -> str | None:
    # Stored times are UTC; durations and overlaps are all the rules use, so UTC wall-clock
    # minutes code exactly like local ones (a DST change mid-visit would be the only gap).
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _visit_payload(visit: InfusionVisit) -> dict:
    auth = visit.authorization
    authorization = None
    if auth is not None and auth.units_remaining is not None:
        authorization = {"code": auth.drug_code, "units_remaining": auth.units_remaining}
    return {
        "setting": str(visit.setting),
        "authorization": authorization,
        "administrations": [
            {
                "id": adm.label, "kind": adm.kind, "route": adm.route, "drug": adm.drug_code,
                "dose": float(adm.dose) if adm.dose is not None else None,
                "dose_unit": adm.dose_unit,
                "discarded": float(adm.discarded) if adm.discarded is not None else None,
                "start": _local(adm.start_at), "stop": _local(adm.stop_at),
                "site": adm.site, "primary": adm.is_primary,
            }
            for adm in visit.administrations
        ],
    }


def code_infusion_visit(
    session: Session, visit_id: int, catalog: DrugCatalog | None = None,
    rules: CodingRules | None = None,
) -> CodingResult:
    """Code a stored visit and set ``has_coding_errors`` from its error findings.

    Goes through ``parse_visit`` so stored rows get the same field checks as CLI input.

    :raise LookupError: no visit with that id.
    :raise InvalidVisit: a stored administration cannot be coded (e.g. no start time).
    """
    visit = session.get(InfusionVisit, visit_id)
    if visit is None:
        raise LookupError(f"infusion visit {visit_id} not found")
    if catalog is None or rules is None:
        default_catalog, default_rules = load_default_tables()
        catalog, rules = catalog or default_catalog, rules or default_rules
    result = code_visit(parse_visit(_visit_payload(visit)), catalog, rules)
    visit.has_coding_errors = any(f.severity is Severity.ERROR for f in result.findings)
    session.flush()
    return result
