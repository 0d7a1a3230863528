"""The drug catalog in the database: seeding it, reading it for the coding check, editing it.

The coding check reads the catalog from the ``drug_catalog_entries`` table; the CSV shipped in
``workqueue/data`` is the seed, and stands in only while the table is still empty (a fresh
install before ``seed_drug_catalog`` ran). Functions flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from types import MappingProxyType

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from workqueue.domain.coding import CodingRules, DrugCatalog, DrugEntry, Family, load_default_tables
from workqueue.domain.coding.ndc import InvalidNdc, normalize_ndc
from workqueue.domain.coding.tables import NDC_UNITS
from workqueue.domain.errors import NotFound, ValidationFailed
from workqueue.domain.identifiers import is_valid_hcpcs
from workqueue.models import DrugCatalogEntry
from workqueue.services import audit
from workqueue.services.audit import Actor


@cache
def default_tables() -> tuple[DrugCatalog, CodingRules]:
    """The seed catalog and the coding rules from the package data (parsed once per process)."""
    return load_default_tables()


def coding_rules() -> CodingRules:
    return default_tables()[1]


def seed_drug_catalog(session: Session) -> int:
    """Insert the seed CSV's codes that the table does not have yet; returns how many.

    Idempotent, and never overwrites what an admin entered: an existing row only gets the
    seed's unit-size source (and verified flag) when it has none and its unit size and unit are
    still the seed's, so it is safe to run on every deploy or demo seed.
    """
    return len(_seed_codes(session))


def _seed_codes(session: Session) -> list[str]:
    seed, _rules = default_tables()
    present = {row.hcpcs: row for row in session.scalars(select(DrugCatalogEntry))}
    added = []
    for hcpcs, entry in seed.items():
        row = present.get(hcpcs)
        if row is None:
            session.add(DrugCatalogEntry(
                hcpcs=hcpcs, description=entry.description, unit_size=entry.unit_size,
                unit=entry.unit, family=entry.family, is_single_dose=entry.single_dose,
                is_hormonal=entry.hormonal, is_active=True, ndc=entry.ndc,
                package_amount=entry.package_amount, package_quantity=entry.package_quantity,
                package_unit=entry.package_unit, price=entry.price,
                unit_source=entry.unit_source, is_unit_verified=entry.unit_verified,
            ))
            added.append(hcpcs)
        elif (not row.unit_source and Decimal(row.unit_size) == entry.unit_size
              and row.unit == entry.unit):
            row.unit_source = entry.unit_source
            row.is_unit_verified = entry.unit_verified
    session.flush()
    return added


def add_seed_codes(session: Session, actor: Actor, now: datetime) -> list[str]:
    """:func:`seed_drug_catalog` for an install that already has a catalog (a new release's
    seed codes), audited; returns the codes added.

    Visits using an added code were coded without it (``unknown_drug``), so a re-code of the
    open visits is requested for after the caller commits (one job for all of them: a release
    may add a hundred codes). Nothing changes for coding when the table was empty, since the
    seed file stood in for it.
    """
    from workqueue.services.recoding import request_recode

    was_empty = not session.scalar(select(exists().select_from(DrugCatalogEntry)))
    added = _seed_codes(session)
    event = audit.record(session, actor, "seed", "drug_catalog", None, now=now,
                         context=f"{len(added)} seed codes added")
    if added and not was_empty:
        session.flush()  # the event's id names the jobs
        request_recode(session, [None], event.id, now)
    return added


def _optional_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def _to_domain(row: DrugCatalogEntry) -> DrugEntry:
    return DrugEntry(
        hcpcs=row.hcpcs, description=row.description, unit_size=Decimal(row.unit_size),
        unit=row.unit, family=Family(row.family), single_dose=row.is_single_dose,
        hormonal=row.is_hormonal, ndc=row.ndc,
        package_amount=_optional_decimal(row.package_amount),
        package_quantity=_optional_decimal(row.package_quantity),
        package_unit=row.package_unit, price=_optional_decimal(row.price),
        unit_source=row.unit_source, unit_verified=row.is_unit_verified,
    )


def load_drug_catalog(session: Session) -> DrugCatalog:
    """Active catalog entries as the coding check's mapping; the seed CSV if the table is empty.

    An inactive entry is left out, so a visit using that code gets an ``unknown_drug`` finding.
    """
    if not session.scalar(select(exists().select_from(DrugCatalogEntry))):
        return default_tables()[0]
    rows = session.scalars(select(DrugCatalogEntry).where(DrugCatalogEntry.is_active.is_(True)))
    return MappingProxyType({row.hcpcs: _to_domain(row) for row in rows})


def list_drug_entries(session: Session) -> list[DrugCatalogEntry]:
    return list(session.scalars(select(DrugCatalogEntry).order_by(DrugCatalogEntry.hcpcs)))


def get_drug_entry(session: Session, entry_id: int) -> DrugCatalogEntry:
    entry = session.get(DrugCatalogEntry, entry_id)
    if entry is None:
        raise NotFound(f"Drug catalog entry {entry_id} does not exist.")
    return entry


@dataclass(frozen=True)
class DrugEntryData:
    """What an admin enters for one catalog code (the form's data, already typed)."""

    hcpcs: str
    description: str
    unit_size: Decimal
    unit: str
    family: str
    is_single_dose: bool
    is_hormonal: bool = False
    is_active: bool = True
    ndc: str | None = None  # as typed: 10 digits with hyphens, or 11
    package_amount: Decimal | None = None
    package_quantity: Decimal | None = None
    package_unit: str | None = None
    price: Decimal | None = None
    unit_source: str = ""
    is_unit_verified: bool = False


def dose_units() -> list[str]:
    """The units a catalog entry may be billed in: those the coding rules can convert doses to."""
    return list(coding_rules().dose_units)


def _validate(
    session: Session, data: DrugEntryData, entry_id: int | None
) -> tuple[str, str | None]:
    hcpcs = data.hcpcs.strip().upper()
    problems: dict[str, str] = {}
    if not is_valid_hcpcs(hcpcs):
        problems["hcpcs"] = "Enter a HCPCS Level II code: a letter A-V then four digits (J9312)."
    elif session.scalar(select(func.count()).select_from(DrugCatalogEntry).where(
            DrugCatalogEntry.hcpcs == hcpcs, DrugCatalogEntry.id != (entry_id or 0))):
        problems["hcpcs"] = f"{hcpcs} is already in the catalog; edit that entry instead."
    if not data.description.strip():
        problems["description"] = "Describe the drug."
    if data.unit_size is None or data.unit_size <= 0:
        problems["unit_size"] = "The unit size must be more than zero."
    if data.unit not in dose_units():
        problems["unit"] = f"Choose one of: {', '.join(dose_units())}."
    if data.family not in {f.value for f in Family}:
        problems["family"] = "Choose chemo, therapeutic or hydration."
    ndc = _validate_package(data, problems)
    if data.price is not None and data.price < 0:
        problems["price"] = "The price cannot be negative."
    if len((data.unit_source or "").strip()) > 200:
        problems["unit_source"] = "Say where the unit size came from in at most 200 characters."
    if problems:
        raise ValidationFailed("The catalog entry was not saved: "
                               + " ".join(problems.values()), problems)
    return hcpcs, ndc


_PACKAGE_LABELS = {"ndc": "the NDC", "package_amount": "the drug per package",
                   "package_quantity": "the NDC quantity of a package",
                   "package_unit": "the NDC unit"}


def _validate_package(data: DrugEntryData, problems: dict[str, str]) -> str | None:
    """The package's NDC in 11 digits; the four package fields go together or not at all."""
    ndc_text = (data.ndc or "").strip()
    given = {"ndc": ndc_text or None, "package_amount": data.package_amount,
             "package_quantity": data.package_quantity, "package_unit": data.package_unit or None}
    if all(value is None for value in given.values()):
        return None
    for name, value in given.items():
        if value is None:
            problems[name] = (f"Enter {_PACKAGE_LABELS[name]} too, or clear the package "
                              "fields: a package needs all four.")
    for name in ("package_amount", "package_quantity"):
        if given[name] is not None and given[name] <= 0:
            problems[name] = f"{_PACKAGE_LABELS[name].capitalize()} must be more than zero."
    if data.package_unit and data.package_unit not in NDC_UNITS:
        problems["package_unit"] = f"Choose one of: {', '.join(NDC_UNITS)}."
    if not ndc_text:
        return None
    try:
        return normalize_ndc(ndc_text)
    except InvalidNdc as error:
        problems["ndc"] = f"{str(error)[0].upper()}{str(error)[1:]}."
        return None


def save_drug_entry(
    session: Session, entry_id: int | None, data: DrugEntryData, actor: Actor, now: datetime
) -> DrugCatalogEntry:
    """Add a catalog entry (``entry_id`` None) or change one, and audit it.

    When the change can alter how visits code (anything but the description), the open visits
    using the old and the new code are re-coded by a background job once the caller commits
    (``services.recoding``), so their stored ``has_coding_errors`` stays true. The first entry
    added to an empty table replaces the seed file, so then every open visit is re-coded.

    :raise ValidationFailed: bad code shape, duplicate code, non-positive unit size, unknown
        unit or family, a malformed or ambiguous NDC, a package with some of its four fields
        missing, a negative price; ``details`` maps each field name to its message.
    :raise NotFound: no entry with ``entry_id``.
    """
    from workqueue.services.recoding import request_recode

    hcpcs, ndc = _validate(session, data, entry_id)
    entry = get_drug_entry(session, entry_id) if entry_id is not None else DrugCatalogEntry()
    before = _coding_fields(entry) if entry_id is not None else None
    was_empty = entry_id is None and not session.scalar(
        select(exists().select_from(DrugCatalogEntry)))
    entry.hcpcs = hcpcs
    entry.description = data.description.strip()[:200]
    entry.unit_size = data.unit_size
    entry.unit = data.unit
    entry.family = Family(data.family)
    entry.is_single_dose = data.is_single_dose
    entry.is_hormonal = data.is_hormonal
    entry.is_active = data.is_active
    entry.ndc = ndc
    entry.package_amount = data.package_amount if ndc else None
    entry.package_quantity = data.package_quantity if ndc else None
    entry.package_unit = data.package_unit if ndc else None
    entry.price = data.price
    entry.unit_source = (data.unit_source or "").strip()
    entry.is_unit_verified = data.is_unit_verified
    entry.updated_at = now
    if entry_id is None:
        session.add(entry)
    session.flush()
    event = audit.record(session, actor, "create" if entry_id is None else "update",
                         "drug_catalog_entry", entry.id, now=now, context=hcpcs)
    if before is None or before != _coding_fields(entry):
        codes: list[str | None] = [None] if was_empty else [before[0] if before else hcpcs,
                                                           hcpcs]
        session.flush()  # the event's id names the job
        request_recode(session, codes, event.id, now)
    return entry


def _coding_fields(entry: DrugCatalogEntry) -> tuple:
    """What the coding check reads from an entry (description, price and the unit size's
    source are for people only)."""
    return (entry.hcpcs, Decimal(entry.unit_size), entry.unit, str(entry.family),
            entry.is_single_dose, entry.is_hormonal, entry.is_active, entry.ndc,
            _optional_decimal(entry.package_amount), _optional_decimal(entry.package_quantity),
            entry.package_unit)
