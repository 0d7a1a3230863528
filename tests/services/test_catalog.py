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
    JobRequest,
)
from workqueue.services.audit import Actor
from workqueue.services.catalog import (
    DrugEntryData,
    add_seed_codes,
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


# --- round two: packages (NDC), prices and where unit sizes come from ------------------------


def test_seed_records_where_each_unit_size_came_from(session) -> None:
    seed_drug_catalog(session)
    hizentra, xembify = _entry(session, "J1559"), _entry(session, "J1558")
    assert (hizentra.unit_size, hizentra.is_unit_verified) == (Decimal(100), True)
    assert "J1559" in hizentra.unit_source
    assert xembify.is_unit_verified is False and "not checked" in xembify.unit_source
    ocrevus = _entry(session, "J2350")
    assert (ocrevus.ndc, ocrevus.package_amount, ocrevus.package_quantity,
            ocrevus.package_unit) == ("50242015001", Decimal(300), Decimal(10), "ML")


def test_seed_fills_a_missing_source_but_never_over_an_admin_edit(session) -> None:
    session.add_all([
        DrugCatalogEntry(hcpcs="J1745", description="infliximab", unit_size=Decimal(10),
                         unit="mg", family="therapeutic", is_single_dose=True),
        DrugCatalogEntry(hcpcs="J1756", description="iron sucrose", unit_size=Decimal(5),
                         unit="mg", family="therapeutic", is_single_dose=True),
    ])
    session.flush()
    seed_drug_catalog(session)
    assert _entry(session, "J1745").unit_source.startswith("DOMAIN.md")
    assert _entry(session, "J1745").is_unit_verified is True
    edited = _entry(session, "J1756")  # its unit size is no longer the seed's
    assert (edited.unit_size, edited.unit_source, edited.is_unit_verified) == (
        Decimal(5), "", False)


def test_package_is_stored_in_11_digits_and_lines_carry_its_ndc(session) -> None:
    seed_drug_catalog(session)
    entry = _entry(session, "J1745")
    data = _data(hcpcs="J1745", description=entry.description, unit_size=Decimal(10),
                 ndc="0002-7597-01", package_amount=Decimal(100), package_quantity=Decimal(1),
                 package_unit="UN", price=Decimal("118.00"), unit_source="checked in clinic")
    save_drug_entry(session, entry.id, data, Actor.system("cli"), NOW)
    assert (entry.ndc, entry.price, entry.unit_source) == (
        "00002759701", Decimal("118.00"), "checked in clinic")
    visit = _infliximab_visit(session, dose="400")
    lines = [(line.code, line.ndc, line.ndc_quantity, line.ndc_unit)
             for line in code_infusion_visit(session, visit.id).lines if line.code == "J1745"]
    assert lines == [("J1745", "00002759701", Decimal(4), "UN")]


@pytest.mark.parametrize(("overrides", "fields", "message"), [
    ({"ndc": "0002759701", "package_amount": Decimal(100), "package_quantity": Decimal(1),
      "package_unit": "UN"}, {"ndc"}, "ambiguous"),
    ({"ndc": "0002-7597-01"}, {"package_amount", "package_quantity", "package_unit"},
     "a package needs all four"),
    ({"ndc": "0002-7597-01", "package_amount": Decimal(0), "package_quantity": Decimal(1),
      "package_unit": "UN"}, {"package_amount"}, "more than zero"),
    ({"ndc": "0002-7597-01", "package_amount": Decimal(100), "package_quantity": Decimal(1),
      "package_unit": "XX"}, {"package_unit"}, "UN, ML, GR, F2, ME"),
    ({"price": Decimal("-1")}, {"price"}, "cannot be negative"),
])
def test_bad_package_or_price_is_refused_naming_the_fields(session, overrides, fields,
                                                          message) -> None:
    with pytest.raises(ValidationFailed, match=message) as refused:
        save_drug_entry(session, None, _data(hcpcs="J9998", **overrides), Actor.system("cli"),
                        NOW)
    assert set(refused.value.details) == fields
    assert _entry(session, "J9998") is None


def test_seed_codes_of_a_new_release_reach_an_existing_catalog(session) -> None:
    session.add(DrugCatalogEntry(hcpcs="J1745", description="infliximab", unit_size=Decimal(7),
                                 unit="mg", family="therapeutic", is_single_dose=True))
    session.flush()
    added = add_seed_codes(session, Actor.system("cli"), NOW)
    assert "J1559" in added and "J1745" not in added
    assert _entry(session, "J1745").unit_size == Decimal(7)  # the admin's value stays
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "seed"))
    assert event.context == f"{len(added)} seed codes added"
    [request] = session.scalars(select(JobRequest).where(
        JobRequest.function == "workqueue.jobs.recoding.recode_visits")).all()
    assert request.args == ["all", event.id]
    assert add_seed_codes(session, Actor.system("cli"), NOW) == []
