"""HCPCS drug lines: billing units from dose and unit size, JW waste lines and the JZ modifier,
the NDC each line carries, and the narrative of unclassified codes.

DOMAIN.md §2: units = ceil(dose / unit size), never less than one; for single-dose containers
the discarded amount goes on its own JW line (units for everything opened minus units given),
and JZ attests that nothing billable was discarded.

NDC (§2.4): a line carries the administration's NDC, or else the catalog's package NDC, with
its quantity in the package's unit. A line whose NDC has no package on file, or whose given
plus discarded amount is not whole single-dose packages, gets ``ndc_quantity_mismatch`` (the
claim would carry a quantity nobody can reconcile with what was opened); a payer that
requires NDCs (Medicaid by default) gets ``ndc_missing`` for a line without one.

Unclassified codes (J3490, J3590, J9999, C9399) bill one unit with a narrative of drug name,
dose, route and NDC (837 SV101-7); a missing part is an error, and a catalog code for the same
drug (same NDC, or its name in the description) is a warning that CARC 189 will follow.
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
    Service,
)
from workqueue.domain.coding.ndc import InvalidNdc, format_ndc, ndc_quantity, normalize_ndc

MAX_SPECIFIC_CODES = 3  # a CARC 189 warning names at most this many catalog codes


@dataclass(frozen=True, slots=True)
class DrugService:
    """One drug line attributed to one administration, before lines are merged."""

    code: str
    units: int
    administration: str
    modifiers: tuple[str, ...] = ()
    ndc: str | None = None
    ndc_quantity: Decimal | None = None
    ndc_unit: str | None = None
    narrative: str | None = None


def billing_units(amount: Decimal, unit_size: Decimal) -> int:
    """Units for ``amount`` (already in the catalog unit): round up, one unit minimum."""
    return max(1, math.ceil(amount / unit_size))


def _in_catalog_unit(
    amount: Decimal, dose_unit: str | None, entry: DrugEntry, rules: CodingRules
) -> Decimal | None:
    if dose_unit == entry.unit and dose_unit in rules.dose_units:
        return amount  # the common case: dose recorded in the billing unit
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
        # Fluids, a flush and a pump refill can happen with no drug to bill.
        if adm.kind is not Family.HYDRATION and adm.service is Service.ADMINISTRATION:
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


def _administration_ndc(
    adm: Administration, rules: CodingRules, findings: list[Finding]
) -> tuple[str | None, bool]:
    """The administration's NDC in 11 digits (None if not given) and whether it was usable."""
    if adm.ndc is None:
        return None, True
    try:
        return normalize_ndc(adm.ndc, rules.ndc_label_formats, rules.ndc_billing_format), True
    except InvalidNdc as error:
        findings.append(make_finding(rules, "ndc_invalid", adm.id, str(error)))
        return None, False


def _check_ndc(
    adm: Administration, ndc: str | None, package: DrugEntry | None, dose: Decimal,
    discarded: Decimal | None, rules: CodingRules, findings: list[Finding],
) -> None:
    """``package`` is the catalog entry when its package is the one ``ndc`` names."""
    if ndc is None:
        return
    entry = package
    if entry is None:
        findings.append(make_finding(
            rules, "ndc_quantity_mismatch", adm.id,
            f"NDC {format_ndc(ndc, rules.ndc_billing_format)} has no package on file for "
            f"{adm.drug}, so its quantity cannot be computed: check the NDC or put its "
            "package in the drug catalog",
        ))
        return
    if not entry.single_dose or discarded is None:
        return
    assert entry.package_amount is not None
    opened = (dose + discarded) / entry.package_amount
    if opened != opened.to_integral_value():
        amount = f"{entry.package_amount.normalize():f} {entry.unit}"
        findings.append(make_finding(
            rules, "ndc_quantity_mismatch", adm.id,
            f"given plus discarded is {opened.normalize():f} packages of {amount}, but "
            "single-dose packages are opened whole: check the dose, the discarded amount or "
            "the package on file",
        ))


@dataclass(frozen=True, slots=True)
class _DescriptionIndex:
    """Every specific (not unclassified) catalog code's NDC and lower-cased description: one
    "CODE<tab>description" line per code, searched in one pass."""

    catalog: DrugCatalog
    text: str
    by_ndc: dict[str, str]


# Kept for the last catalog seen: a batch codes thousands of visits against one catalog, and
# a scan of a hundred descriptions per unclassified line would dominate its time. One tuple
# swapped whole, so a thread never sees one catalog's text with another's NDCs; holding the
# catalog keeps the identity check meaningful.
_last_index: list[_DescriptionIndex] = []


def _description_index(catalog: DrugCatalog, rules: CodingRules) -> _DescriptionIndex:
    if _last_index and _last_index[0].catalog is catalog:
        return _last_index[0]
    specific = [entry for code, entry in catalog.items()
                if code not in rules.unclassified_drug_codes]
    index = _DescriptionIndex(
        catalog, "\n".join(f"{e.hcpcs}\t{e.description.lower()}" for e in specific),
        {e.ndc: e.hcpcs for e in specific if e.ndc})
    _last_index[:] = [index]
    return index


def _whole_word_at(text: str, start: int, end: int) -> bool:
    return (start == 0 or not text[start - 1].isalnum()) and (
        end == len(text) or not text[end].isalnum())


def _specific_codes(
    adm: Administration, ndc: str | None, catalog: DrugCatalog, rules: CodingRules
) -> list[str]:
    """Catalog codes (not unclassified) for the same drug: the same NDC, or the drug's name
    as whole words in their description."""
    index = _description_index(catalog, rules)
    found = {index.by_ndc[ndc]} if ndc in index.by_ndc else set()
    name = " ".join((adm.drug_name or "").lower().split())
    if len(name) >= 3:
        # str.find, not a regex: a leading \b keeps re from its fast literal scan.
        text = index.text
        at = text.find(name)
        while at != -1:
            if _whole_word_at(text, at, at + len(name)):
                line_start = text.rfind("\n", 0, at) + 1
                code, tab, _description = text[line_start:at].partition("\t")
                if tab:  # the name was in the description, not in the code itself
                    found.add(code)
            at = text.find(name, at + 1)
    return sorted(found)


def _unclassified_line(
    adm: Administration, entry: DrugEntry, ndc: str | None, catalog: DrugCatalog,
    rules: CodingRules, findings: list[Finding],
) -> DrugService:
    missing = [part for part, present in (
        ("drug name", bool(adm.drug_name and adm.drug_name.strip())),
        ("NDC", ndc is not None),
        ("dose", adm.dose is not None and adm.dose > 0 and bool(adm.dose_unit)),
    ) if not present]
    narrative = None
    if missing:
        findings.append(make_finding(
            rules, "unclassified_narrative_missing", adm.id,
            f"{entry.hcpcs} is an unclassified code: its claim line needs the drug name, NDC, "
            f"dose and route; missing: {', '.join(missing)}",
        ))
    else:
        route = rules.narrative_route_labels.get(adm.route, str(adm.route))
        assert adm.drug_name and adm.dose is not None
        narrative = (f"{' '.join(adm.drug_name.split())} {adm.dose.normalize():f} "
                     f"{adm.dose_unit} {route} NDC {ndc}")
    specific = _specific_codes(adm, ndc, catalog, rules)
    if specific:
        listed = ", ".join(specific[:MAX_SPECIFIC_CODES])
        more = f" and {len(specific) - MAX_SPECIFIC_CODES} more" if (
            len(specific) > MAX_SPECIFIC_CODES) else ""
        findings.append(make_finding(
            rules, "specific_code_exists", adm.id,
            f"the catalog has a specific code for this drug ({listed}{more}); billing "
            f"{entry.hcpcs} instead is denied with CARC 189",
        ))
    ndc_fields = {}
    if ndc is not None:
        ndc_fields = {"ndc": ndc}
        if entry.has_package and entry.ndc == ndc and adm.dose and adm.dose_unit:
            dose = _in_catalog_unit(adm.dose, adm.dose_unit, entry, rules)
            if dose is not None:
                ndc_fields |= {"ndc_unit": entry.package_unit, "ndc_quantity": ndc_quantity(
                    dose, entry, rules.ndc_quantity_places)}
    return DrugService(entry.hcpcs, 1, adm.id, narrative=narrative, **ndc_fields)


class _LineMaker:
    """Drug lines of one administration: same code, NDC and package, own units and amount."""

    __slots__ = ("code", "adm_id", "ndc", "package", "places")

    def __init__(self, code: str, adm_id: str, ndc: str | None, package: DrugEntry | None,
                 places: int) -> None:
        self.code, self.adm_id, self.ndc = code, adm_id, ndc
        self.package, self.places = package, places

    def __call__(self, units: int, modifiers: tuple[str, ...], amount: Decimal) -> DrugService:
        package = self.package
        if package is None:
            return DrugService(self.code, units, self.adm_id, modifiers, self.ndc)
        return DrugService(self.code, units, self.adm_id, modifiers, self.ndc,
                           ndc_quantity(amount, package, self.places), package.package_unit)


def code_drugs(
    administrations: tuple[Administration, ...], catalog: DrugCatalog, rules: CodingRules,
    findings: list[Finding], *, ndc_required: bool = False,
) -> list[DrugService]:
    """Drug lines for each administration with a drug code; appends drug findings.

    ``ndc_required``: the payer wants an NDC on every drug line (``ndc_missing`` otherwise).
    """
    lines: list[DrugService] = []
    places = rules.ndc_quantity_places
    for adm in administrations:
        ndc, ndc_usable = _administration_ndc(adm, rules, findings)
        entry = catalog.get(adm.drug) if adm.drug else None
        if entry is not None and entry.hcpcs in rules.unclassified_drug_codes:
            lines.append(_unclassified_line(adm, entry, ndc, catalog, rules, findings))
            continue
        checked = _check_drug(adm, catalog, rules, findings)
        if checked is None:
            continue
        entry, dose = checked
        ndc = ndc or entry.ndc
        # The catalog knows the package only of the NDC it stocks.
        package = entry if entry.has_package and ndc == entry.ndc else None
        line = _LineMaker(entry.hcpcs, adm.id, ndc, package, places)
        if ndc_required and ndc is None and ndc_usable:
            findings.append(make_finding(
                rules, "ndc_missing", adm.id,
                f"this payer needs the NDC on every drug line: record the NDC of the "
                f"{adm.drug} package used",
            ))
        units = billing_units(dose, entry.unit_size)
        if not entry.single_dose or adm.discarded is None:
            if entry.single_dose:
                findings.append(make_finding(
                    rules, "waste_not_documented", adm.id,
                    f"{adm.drug} comes in single-dose containers: record the discarded amount "
                    f"(0 if none) so the line carries {rules.waste_modifier} or "
                    f"{rules.no_waste_modifier}",
                ))
            _check_ndc(adm, ndc, package, dose, None, rules, findings)
            lines.append(line(units, (), dose))
            continue
        discarded = _in_catalog_unit(adm.discarded, adm.dose_unit, entry, rules) or Decimal(0)
        _check_ndc(adm, ndc, package, dose, discarded, rules, findings)
        # JW units are what was opened minus what was given, so total billed never exceeds the
        # labeled amount opened; a discard smaller than one unit leaves nothing billable -> JZ.
        wasted = billing_units(dose + discarded, entry.unit_size) - units if discarded else 0
        if wasted > 0:
            lines.append(line(units, (), dose))
            lines.append(line(wasted, (rules.waste_modifier,), discarded))
        else:
            lines.append(line(units, (rules.no_waste_modifier,), dose))
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
