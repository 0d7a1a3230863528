"""Coding a stored infusion visit: the service maps rows to the domain and flags error visits."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.factories import make_authorization, make_coverage, make_patient, make_payer
from workqueue.domain.coding import Access, InvalidVisit, Service
from workqueue.models import Administration, CareSetting, InfusionVisit, PayerType
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


# --- round two: the payer's NDC flag and the new administration fields ----------------------


def _medicaid_visit(session, **administration) -> InfusionVisit:
    payer = make_payer(session, payer_type=PayerType.MEDICAID, requires_ndc=True)
    coverage = make_coverage(session, payer=payer)
    visit = InfusionVisit(patient_id=coverage.patient_id, scheduled_date=date(2026, 11, 2),
                          setting=CareSetting.OFFICE)
    fields = dict(label="a1", kind="therapeutic", route="iv_infusion", drug_code="J2350",
                  dose=Decimal(600), dose_unit="mg", discarded=Decimal(0),
                  start_at=datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
                  stop_at=datetime(2026, 11, 2, 18, 30, tzinfo=UTC))
    visit.administrations.append(Administration(**(fields | administration)))
    session.add(visit)
    session.flush()
    return visit


def test_payer_requiring_ndcs_flags_a_drug_line_without_one(session) -> None:
    visit = _medicaid_visit(session, drug_code="J1745", dose=Decimal(400), discarded=None)
    result = code_infusion_visit(session, visit.id)
    assert "ndc_missing" in {f.code for f in result.findings}
    assert visit.has_coding_errors is True


def test_recorded_ndc_of_the_stocked_package_codes_clean(session) -> None:
    visit = _medicaid_visit(session, ndc="50242-150-01")
    result = code_infusion_visit(session, visit.id)
    drug = [line for line in result.lines if line.code == "J2350"]
    assert [(d.units, d.ndc, d.ndc_quantity, d.ndc_unit) for d in drug] == [
        (600, "50242015001", Decimal(20), "ML")]
    assert result.findings == () and visit.has_coding_errors is False


def test_stored_port_flush_and_sc_infusion_are_coded(session) -> None:
    flush = _medicaid_visit(session, route="iv_push", service=Service.FLUSH,
                            access=Access.PORT, drug_code=None, dose=None, dose_unit=None,
                            discarded=None, stop_at=None)
    assert [line.code for line in code_infusion_visit(session, flush.id).lines] == ["96523"]
    scig = _medicaid_visit(session, route="sc", drug_code="J1559", dose=Decimal(10),
                           dose_unit="g", ndc=None,
                           stop_at=datetime(2026, 11, 2, 15, 55, tzinfo=UTC))
    assert [line.code for line in code_infusion_visit(session, scig.id).lines] == [
        "96369", "J1559"]
