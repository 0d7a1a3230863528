"""HCPCS drug lines: billing units from dose and unit size, JW waste lines and the JZ modifier.

DOMAIN.md §2: units = ceil(dose / unit size), never less than one; for single-dose containers
the discarded amount goes on its own JW line (units for everything opened minus units given),
and JZ attests that nothing billable was discarded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from workqueue.domain.coding.findings import make_finding
from workqueue.domain.coding.model import (
    Administration,
    CodingRules,
    DrugCatalog,
    DrugEntry,
    Family,
    Finding,
)


@dataclass(frozen=True, slots=True)
class DrugService:
    """One drug line attributed to one administration, before lines are merged."""

    code: str
    units: int
    administration: str
    modifiers: tuple[str, ...] = ()


def billing_units(amount: Decimal, unit_size: Decimal) -> int:
    """Units for ``amount`` (already in the catalog unit): round up, one unit minimum."""
    return max(1, math.ceil(amount / unit_size))


def _in_catalog_unit(
    amount: Decimal, dose_unit: str | None, entry: DrugEntry, rules: CodingRules
) -> Decimal | None:
    given = rules.dose_units.get(dose_unit or "")
    wanted = rules.dose_units.get(entry.unit)
    if given is None or wanted is None or given[0] != wanted[0]:
        return None
    return amount * given[1] / wanted[1]


def _check_drug(
    adm: Administration, catalog: DrugCatalog, rules: CodingRules, findings: list[Finding]
) -> tuple[DrugEntry, Decimal] | None:
    """The catalog entry and dose in catalog units, or None after recording why not."""
    if adm.drug is None:
        if adm.kind is not Family.HYDRATION:
            findings.append(make_finding(
                rules, "unknown_drug", adm.id,
                f"{adm.kind} administration has no drug code, so no drug line can be billed",
            ))
        return None
    entry = catalog.get(adm.drug)
    if entry is None:
        findings.append(make_finding(
            rules, "unknown_drug", adm.id, f"{adm.drug} is not in the drug catalog",
        ))
        return None
    if adm.dose is None or adm.dose <= 0:
        findings.append(make_finding(
            rules, "dose_missing", adm.id, f"{adm.drug} has no dose, so units cannot be counted",
        ))
        return None
    dose = _in_catalog_unit(adm.dose, adm.dose_unit, entry, rules)
    if dose is None:
        findings.append(make_finding(
            rules, "dose_unit_mismatch", adm.id,
            f"dose in {adm.dose_unit} cannot be converted to the {entry.unit} "
            f"that {adm.drug} is billed in",
        ))
        return None
    return entry, dose


def code_drugs(
    administrations: tuple[Administration, ...], catalog: DrugCatalog, rules: CodingRules,
    findings: list[Finding],
) -> list[DrugService]:
    """Drug lines for each administration with a drug code; appends drug findings."""
    lines: list[DrugService] = []
    for adm in administrations:
        checked = _check_drug(adm, catalog, rules, findings)
        if checked is None:
            continue
        entry, dose = checked
        units = billing_units(dose, entry.unit_size)
        if not entry.single_dose:
            lines.append(DrugService(entry.hcpcs, units, adm.id))
            continue
        if adm.discarded is None:
            findings.append(make_finding(
                rules, "waste_not_documented", adm.id,
                f"{adm.drug} comes in single-dose containers: record the discarded amount "
                f"(0 if none) so the line carries {rules.waste_modifier} or "
                f"{rules.no_waste_modifier}",
            ))
            lines.append(DrugService(entry.hcpcs, units, adm.id))
            continue
        discarded = _in_catalog_unit(adm.discarded, adm.dose_unit, entry, rules) or Decimal(0)
        # JW units are what was opened minus what was given, so total billed never exceeds the
        # labeled amount opened; a discard smaller than one unit leaves nothing billable -> JZ.
        wasted = billing_units(dose + discarded, entry.unit_size) - units if discarded else 0
        if wasted > 0:
            lines.append(DrugService(entry.hcpcs, units, adm.id))
            lines.append(DrugService(entry.hcpcs, wasted, adm.id, (rules.waste_modifier,)))
        else:
            lines.append(DrugService(entry.hcpcs, units, adm.id, (rules.no_waste_modifier,)))
    return lines


def check_authorization(
    lines: list[DrugService], auth_code: str, units_remaining: int, rules: CodingRules,
    findings: list[Finding],
) -> None:
    """Flag a visit whose billed units of the authorized drug exceed what is left on the auth."""
    used = sum(
        line.units for line in lines
        if line.code == auth_code
        and (rules.authorization_counts_waste or rules.waste_modifier not in line.modifiers)
    )
    if used > units_remaining:
        findings.append(make_finding(
            rules, "units_exceed_authorization", None,
            f"{auth_code}: {used} units billed but only {units_remaining} remain "
            "on the authorization",
        ))
