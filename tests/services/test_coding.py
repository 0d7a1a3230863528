"""Coding a stored infusion visit: the service maps rows to the domain and flags error visits."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.factories import make_authorization, make_patient
from workqueue.domain.coding import InvalidVisit
from workqueue.models import Administration, CareSetting, InfusionVisit
from workqueue.services.coding import code_infusion_visit


def _visit(session, *, stop: datetime | None, start: datetime | None = None,
           units: int = 100) -> InfusionVisit:
    patient = make_patient(session)
    auth = make_authorization(session, drug_code="J1745", authorized_units=units)
    visit = InfusionVisit(patient_id=patient.id, authorization_id=auth.id,
                          scheduled_date=date(2026, 11, 2), setting=CareSetting.OFFICE)
    visit.administrations.append(Administration(
        label="a1", kind="therapeutic", route="iv_infusion", drug_code="J1745",
        dose=Decimal("415"), dose_unit="mg", discarded=Decimal("85"),
        start_at=start or datetime(2026, 11, 2, 15, 0, tzinfo=UTC), stop_at=stop,
    ))
    session.add(visit)
    session.flush()
    return visit


def test_stored_visit_is_coded_and_not_flagged(session) -> None:
    visit = _visit(session, stop=datetime(2026, 11, 2, 17, 0, tzinfo=UTC))
    result = code_infusion_visit(session, visit.id)
    assert [(line.code, line.units, line.modifiers) for line in result.lines] == [
        ("96365", 1, ()), ("96366", 1, ()), ("J1745", 42, ()), ("J1745", 8, ("JW",)),
    ]
    assert result.findings == ()
    assert visit.has_coding_errors is False


def test_visit_with_error_findings_is_flagged(session) -> None:
    visit = _visit(session, stop=None, units=40)
    result = code_infusion_visit(session, visit.id)
    assert {f.code for f in result.findings} == {"missing_stop_time", "units_exceed_authorization"}
    assert visit.has_coding_errors is True


def test_stored_row_without_start_time_is_invalid(session) -> None:
    visit = _visit(session, stop=None)
    visit.administrations[0].start_at = None
    session.flush()
    with pytest.raises(InvalidVisit, match='"start" is required'):
        code_infusion_visit(session, visit.id)


def test_unknown_visit_id(session) -> None:
    with pytest.raises(LookupError):
        code_infusion_visit(session, 999_999)
