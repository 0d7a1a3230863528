"""The drug catalog in the database: seeding, the coding check reading it, admin edits."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import NOW, make_patient, make_user
from workqueue.domain.errors import ValidationFailed
from workqueue.models import (
    Administration,
    AuditEvent,
    CareSetting,
    DrugCatalogEntry,
    InfusionVisit,
)
from workqueue.services.audit import Actor
from workqueue.services.catalog import (
    DrugEntryData,
    load_drug_catalog,
    save_drug_entry,
    seed_drug_catalog,
)
from workqueue.services.coding import code_infusion_visit


def _infliximab_visit(session, dose="415") -> InfusionVisit:
    visit = InfusionVisit(patient_id=make_patient(session).id, scheduled_date=date(2026, 11, 2),
                          setting=CareSetting.OFFICE)
    visit.administrations.append(Administration(
        label="a1", kind="therapeutic", route="iv_infusion", drug_code="J1745",
        dose=Decimal(dose), dose_unit="mg", discarded=Decimal("0"),
        start_at=datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
        stop_at=datetime(2026, 11, 2, 17, 0, tzinfo=UTC)))
    session.add(visit)
    session.flush()
    return visit


def _drug_units(result, code):
    return [(line.units, line.modifiers) for line in result.lines if line.code == code]


def _entry(session, hcpcs):
    return session.scalar(select(DrugCatalogEntry).where(DrugCatalogEntry.hcpcs == hcpcs))


def test_seed_loads_every_csv_code_and_is_idempotent(session) -> None:
    added = seed_drug_catalog(session)
    assert added >= 40
    assert _entry(session, "J9312").unit_size == Decimal("10")
    assert seed_drug_catalog(session) == 0
    assert len(load_drug_catalog(session)) == added


def test_seed_keeps_an_admin_edit(session) -> None:
    seed_drug_catalog(session)
    _entry(session, "J1745").unit_size = Decimal("5")
    session.flush()
    seed_drug_catalog(session)
    assert _entry(session, "J1745").unit_size == Decimal("5")


def test_empty_table_falls_back_to_the_seed_file(session) -> None:
    visit = _infliximab_visit(session)
    assert _drug_units(code_infusion_visit(session, visit.id), "J1745") == [(42, ("JZ",))]


def test_unit_size_changed_in_the_database_changes_the_units(session) -> None:
    seed_drug_catalog(session)
    visit = _infliximab_visit(session)
    assert _drug_units(code_infusion_visit(session, visit.id), "J1745") == [(42, ("JZ",))]
    _entry(session, "J1745").unit_size = Decimal("100")
    session.flush()
    assert _drug_units(code_infusion_visit(session, visit.id), "J1745") == [(5, ("JZ",))]


def test_inactive_entry_is_an_unknown_drug(session) -> None:
    seed_drug_catalog(session)
    _entry(session, "J1745").is_active = False
    session.flush()
    visit = _infliximab_visit(session)
    result = code_infusion_visit(session, visit.id)
    assert "unknown_drug" in {f.code for f in result.findings}
    assert visit.has_coding_errors is True


def _data(**overrides) -> DrugEntryData:
    values = dict(hcpcs="J9999", description="test biologic", unit_size=Decimal("5"), unit="mg",
                  family="therapeutic", is_single_dose=True)
    return DrugEntryData(**(values | overrides))


def test_admin_adds_an_entry_and_it_is_audited(session) -> None:
    admin = make_user(session, "admin")
    entry = save_drug_entry(session, None, _data(hcpcs=" j9999 "), Actor.for_user(admin), NOW)
    assert entry.hcpcs == "J9999"
    assert load_drug_catalog(session)["J9999"].unit_size == Decimal("5")
    event = session.scalar(select(AuditEvent).where(AuditEvent.object_type == "drug_catalog_entry"))
    assert (event.action, event.object_id, event.user_id) == ("create", str(entry.id), admin.id)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"hcpcs": "96413"}, "hcpcs"),
    ({"unit_size": Decimal("0")}, "unit_size"),
    ({"unit": "tablets"}, "unit"),
    ({"family": "vitamin"}, "family"),
    ({"description": "  "}, "description"),
])
def test_bad_entry_is_refused_naming_the_field(session, overrides, field) -> None:
    with pytest.raises(ValidationFailed) as refused:
        save_drug_entry(session, None, _data(**overrides), Actor.system("cli"), NOW)
    assert field in refused.value.details
    assert _entry(session, "J9999") is None


def test_duplicate_code_is_refused(session) -> None:
    seed_drug_catalog(session)
    with pytest.raises(ValidationFailed, match="already in the catalog"):
        save_drug_entry(session, None, _data(hcpcs="J1745"), Actor.system("cli"), NOW)
