"""Parse the coding data files (rules JSON, drug catalog CSV, admin code CSV) into domain types.

The parsers take text, not paths, so the same code serves the packaged seed files, a database
export or a test fixture; ``load_default_tables`` reads the seed files shipped in
``workqueue/data``.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from importlib import resources
from types import MappingProxyType

from workqueue.domain.coding.model import AdminCode, CodingRules, DrugEntry, Family, Severity
from workqueue.domain.coding.ndc import InvalidNdc, normalize_ndc, parse_format

# NDC unit qualifiers (DOMAIN.md 2.4; CTP05-1 of 837 loop 2410): a fixed X12 list.
NDC_UNITS = ("UN", "ML", "GR", "F2", "ME")


def _parse_bool(value: str) -> bool:
    if value.strip().lower() in {"true", "1", "yes"}:
        return True
    if value.strip().lower() in {"false", "0", "no", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _optional_decimal(row: dict[str, str], key: str) -> Decimal | None:
    value = (row.get(key) or "").strip()
    return Decimal(value) if value else None


def _package(row: dict[str, str], hcpcs: str) -> dict:
    """The package columns of one catalog row: all four given, or none."""
    raw_ndc = (row.get("ndc") or "").strip()
    amount = _optional_decimal(row, "package_amount")
    quantity = _optional_decimal(row, "package_quantity")
    unit = (row.get("package_unit") or "").strip().upper() or None
    given = [raw_ndc or None, amount, quantity, unit]
    if not any(value is not None for value in given):
        return {}
    if any(value is None for value in given):
        raise ValueError(f"drug {hcpcs}: ndc, package_amount, package_quantity and "
                         "package_unit go together (all four or none)")
    try:
        ndc = normalize_ndc(raw_ndc)
    except InvalidNdc as error:
        raise ValueError(f"drug {hcpcs}: {error}") from None
    if unit not in NDC_UNITS:
        raise ValueError(f"drug {hcpcs}: package_unit must be one of {', '.join(NDC_UNITS)}")
    if amount <= 0 or quantity <= 0:
        raise ValueError(f"drug {hcpcs}: package_amount and package_quantity must be positive")
    return {"ndc": ndc, "package_amount": amount, "package_quantity": quantity,
            "package_unit": unit}


def parse_drug_catalog(text: str) -> MappingProxyType[str, DrugEntry]:
    """Build the HCPCS -> DrugEntry mapping from catalog CSV text.

    Only ``hcpcs, description, unit_size, unit, family, single_dose`` are required; the
    package columns (``ndc, package_amount, package_quantity, package_unit``), ``price``,
    ``hormonal``, ``unit_source`` and ``unit_verified`` may be missing or empty.
    """
    catalog: dict[str, DrugEntry] = {}
    for row in csv.DictReader(io.StringIO(text)):
        hcpcs = row["hcpcs"].strip().upper()
        entry = DrugEntry(
            hcpcs=hcpcs,
            description=row["description"].strip(),
            unit_size=Decimal(row["unit_size"]),
            unit=row["unit"].strip(),
            family=Family(row["family"].strip()),
            single_dose=_parse_bool(row["single_dose"]),
            hormonal=_parse_bool(row.get("hormonal") or ""),
            price=_optional_decimal(row, "price"),
            unit_source=(row.get("unit_source") or "").strip(),
            unit_verified=_parse_bool(row.get("unit_verified") or ""),
            **_package(row, hcpcs),
        )
        if entry.unit_size <= 0:
            raise ValueError(f"drug {entry.hcpcs}: unit_size must be positive")
        if hcpcs in catalog:
            raise ValueError(f"drug {hcpcs}: listed twice")
        catalog[hcpcs] = entry
    return MappingProxyType(catalog)


def parse_admin_codes(text: str) -> MappingProxyType[tuple[str, str], AdminCode]:
    """Build the (family, role) -> AdminCode table from admin code CSV text."""
    table: dict[tuple[str, str], AdminCode] = {}
    for row in csv.DictReader(io.StringIO(text)):
        code = AdminCode(
            code=row["code"].strip(),
            label=row["label"].strip(),
            family=row["family"].strip(),
            role=row["role"].strip(),
            kind=row["kind"].strip(),
            setting=row["setting"].strip(),
            primaries=frozenset(row["primaries"].split()),
        )
        table[(code.family, code.role)] = code
    return MappingProxyType(table)


def parse_rules(
    text: str, admin_codes: MappingProxyType[tuple[str, str], AdminCode]
) -> CodingRules:
    """Build CodingRules from the rules JSON text and an already parsed admin code table."""
    raw = json.loads(text)
    return CodingRules(
        push_max_minutes=int(raw["push_max_minutes"]),
        hydration_min_minutes=int(raw["hydration_min_minutes"]),
        first_hour_minutes=int(raw["first_hour_minutes"]),
        additional_hour_threshold_minutes=int(raw["additional_hour_threshold_minutes"]),
        same_drug_push_min_gap_minutes=int(raw["same_drug_push_min_gap_minutes"]),
        concurrent_max_units_per_visit=int(raw["concurrent_max_units_per_visit"]),
        separate_site_modifier=str(raw["separate_site_modifier"]),
        waste_modifier=str(raw["waste_modifier"]),
        no_waste_modifier=str(raw["no_waste_modifier"]),
        authorization_counts_waste=bool(raw["authorization_counts_waste"]),
        facility_hierarchy=tuple(
            (Family(family), mode) for family, mode in raw["facility_hierarchy"]
        ),
        dose_units=MappingProxyType(
            {unit: (dimension, Decimal(factor)) for unit, (dimension, factor) in
             raw["dose_units"].items()}
        ),
        finding_severity=MappingProxyType(
            {code: Severity(severity) for code, severity in raw["finding_severity"].items()}
        ),
        admin_codes=admin_codes,
        sc_injection_max_minutes=int(raw["sc_injection_max_minutes"]),
        sc_extra_setup_max_units_per_visit=int(raw["sc_extra_setup_max_units_per_visit"]),
        prolonged_infusion_min_minutes=int(raw["prolonged_infusion_min_minutes"]),
        flush_billable_access=frozenset(raw["flush_billable_access"]),
        ndc_label_formats=tuple(parse_format(text) for text in raw["ndc_label_formats"]),
        ndc_billing_format=parse_format(raw["ndc_billing_format"]),
        ndc_quantity_places=int(raw["ndc_quantity_places"]),
        ndc_required_payer_types=frozenset(raw["ndc_required_payer_types"]),
        unclassified_drug_codes=frozenset(code.upper() for code in
                                          raw["unclassified_drug_codes"]),
        narrative_route_labels=MappingProxyType(dict(raw["narrative_route_labels"])),
    )


def _read_seed(name: str) -> str:
    return resources.files("workqueue").joinpath("data", name).read_text(encoding="utf-8")


def load_default_tables() -> tuple[MappingProxyType[str, DrugEntry], CodingRules]:
    """The seeded drug catalog and rules shipped with the package (no database needed)."""
    admin_codes = parse_admin_codes(_read_seed("admin_codes.csv"))
    rules = parse_rules(_read_seed("coding_rules.json"), admin_codes)
    return parse_drug_catalog(_read_seed("drug_catalog.csv")), rules
