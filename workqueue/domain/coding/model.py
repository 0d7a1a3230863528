"""Value types of the infusion coding check: the visit going in, the lines and findings coming out.

Everything here is a frozen dataclass or a string enum so a coded visit can be compared, hashed
and sorted; the rules that turn one into the other live in the sibling modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class InvalidVisit(ValueError):
    """The visit cannot be coded at all (as opposed to a finding on a codable visit).

    ``errors`` lists every problem, each naming the administration and field, so an operator
    can fix the input in one pass.
    """

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class Setting(StrEnum):
    FACILITY = "facility"
    OFFICE = "office"


class Family(StrEnum):
    """Administration family; chemo includes 'highly complex' biologics when the payer allows."""

    CHEMO = "chemo"
    THERAPEUTIC = "therapeutic"
    HYDRATION = "hydration"


class Route(StrEnum):
    IV_INFUSION = "iv_infusion"
    IV_PUSH = "iv_push"
    # SC is an injection (96372/96401/96402) unless it ran longer than an injection with a
    # documented stop time: then it is a subcutaneous infusion (96369-96371).
    SC = "sc"
    IM = "im"
    # Not in the route list: needed for worked example G (96377); additive, so the
    # CLI contract for the four routes above is unchanged.
    ON_BODY = "on_body"
    # Intra-arterial, split like IV into technique (push) and timed infusion (96420-96425).
    IA_PUSH = "ia_push"
    IA_INFUSION = "ia_infusion"


class Service(StrEnum):
    """What was done: the drug given (the default), a pump refilled, or an access flushed."""

    ADMINISTRATION = "administration"
    PUMP_REFILL = "pump_refill"
    FLUSH = "flush"


class Device(StrEnum):
    """The pump an infusion runs on: it makes a long chemo infusion a pump start (96416/96425)
    and picks the refill code (96521 portable, 96522 implantable)."""

    PORTABLE_PUMP = "portable_pump"
    IMPLANTABLE_PUMP = "implantable_pump"


class Access(StrEnum):
    """The vascular access used; only a flush of an implanted port is billable (96523)."""

    PERIPHERAL = "peripheral"
    PICC = "picc"
    CENTRAL_LINE = "central_line"
    PORT = "port"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


IV_ROUTES = frozenset({Route.IV_INFUSION, Route.IV_PUSH})
IA_ROUTES = frozenset({Route.IA_INFUSION, Route.IA_PUSH})
INFUSION_ROUTES = frozenset({Route.IV_INFUSION, Route.IA_INFUSION})
TIMED_ROUTES = IV_ROUTES | IA_ROUTES  # coded by their documented minutes, per access site


@dataclass(frozen=True, slots=True)
class Administration:
    """One drug or fluid given during the visit, as documented in the infusion record."""

    id: str
    kind: Family
    route: Route
    start: datetime
    stop: datetime | None = None
    drug: str | None = None
    dose: Decimal | None = None
    dose_unit: str | None = None
    discarded: Decimal | None = None
    site: int = 1
    primary: bool = False
    # NDC as typed (10 digits with hyphens, or 11); the coding check normalizes it and
    # reports a malformed one as a finding rather than refusing the visit.
    ndc: str | None = None
    # The drug's name, needed in the narrative of an unclassified code (J3490 and the like).
    drug_name: str | None = None
    service: Service = Service.ADMINISTRATION
    device: Device | None = None
    access: Access | None = None


@dataclass(frozen=True, slots=True)
class Authorization:
    code: str
    units_remaining: int


@dataclass(frozen=True, slots=True)
class Visit:
    """One visit to code. ``ndc_required`` is the payer's own flag; when it is None the
    ``payer_type`` decides, through ``CodingRules.ndc_required_payer_types`` (Medicaid)."""

    setting: Setting
    administrations: tuple[Administration, ...]
    authorization: Authorization | None = None
    payer_type: str | None = None
    ndc_required: bool | None = None


@dataclass(frozen=True, slots=True)
class DrugEntry:
    """One HCPCS drug code: billing units are multiples of ``unit_size`` ``unit``."""

    hcpcs: str
    description: str
    unit_size: Decimal
    unit: str
    family: Family
    single_dose: bool
    hormonal: bool = False
    # The package the center stocks for this code: its 11-digit NDC, how much drug one package
    # holds (in ``unit``), and its NDC quantity and unit (10 ML for a 100 mg/10 mL vial).
    ndc: str | None = None
    package_amount: Decimal | None = None
    package_quantity: Decimal | None = None
    package_unit: str | None = None
    # The center's charge per billing unit; the coding check does not read it.
    price: Decimal | None = None
    # Where ``unit_size`` came from, and whether someone checked it against the HCPCS
    # descriptor; the catalog page flags the unchecked ones.
    unit_source: str = ""
    unit_verified: bool = False
    has_package: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Read for every drug line: computed once rather than on each read.
        object.__setattr__(self, "has_package", None not in (
            self.ndc, self.package_amount, self.package_quantity, self.package_unit))


DrugCatalog = Mapping[str, DrugEntry]
"""HCPCS code -> DrugEntry; the domain only reads it."""


@dataclass(frozen=True, slots=True)
class AdminCode:
    """One drug-administration CPT code and the role it plays in code selection.

    ``kind`` is initial, add_on or standalone; ``primaries`` are the codes an add-on needs
    beside it on the claim; ``setting`` is ``any`` or the only setting that may report it.
    """

    code: str
    label: str
    family: str
    role: str
    kind: str
    setting: str
    primaries: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CodingRules:
    """Thresholds and code tables, loaded from data files so payers and admins can change them."""

    push_max_minutes: int
    hydration_min_minutes: int
    first_hour_minutes: int
    additional_hour_threshold_minutes: int
    same_drug_push_min_gap_minutes: int
    concurrent_max_units_per_visit: int
    separate_site_modifier: str
    waste_modifier: str
    no_waste_modifier: str
    authorization_counts_waste: bool
    facility_hierarchy: tuple[tuple[Family, str], ...]
    dose_units: Mapping[str, tuple[str, Decimal]]
    finding_severity: Mapping[str, Severity]
    admin_codes: Mapping[tuple[str, str], AdminCode] = field(default_factory=dict)
    # An SC administration longer than this (with a stop time) is an SC infusion.
    sc_injection_max_minutes: int = 15
    sc_extra_setup_max_units_per_visit: int = 1
    # A pump infusion must run longer than this to be a prolonged pump start (96416/96425).
    prolonged_infusion_min_minutes: int = 480
    flush_billable_access: frozenset[str] = frozenset({"port"})
    # NDC: the segment patterns printed on packages, the 11-digit billing pattern they are
    # padded to, and the decimals of an NDC quantity (its unit qualifiers are the fixed X12
    # list in tables.NDC_UNITS, which the catalog table also CHECKs).
    ndc_label_formats: tuple[tuple[int, ...], ...] = ((4, 4, 2), (5, 3, 2), (5, 4, 1), (5, 4, 2))
    ndc_billing_format: tuple[int, ...] = (5, 4, 2)
    ndc_quantity_places: int = 3
    ndc_required_payer_types: frozenset[str] = frozenset({"medicaid"})
    unclassified_drug_codes: frozenset[str] = frozenset()
    narrative_route_labels: Mapping[str, str] = field(default_factory=dict)

    def code_for(self, family: Family | str, role: str) -> AdminCode | None:
        """The code for a family and role, falling back to a family-independent ``any`` row."""
        return self.admin_codes.get((family, role)) or self.admin_codes.get(("any", role))


@dataclass(frozen=True, slots=True)
class Line:
    """One claim line. Drug lines may carry the NDC with its quantity and unit (837 loop
    2410 LIN/CTP); an unclassified drug code carries the narrative its claim line needs."""

    code: str
    units: int
    modifiers: tuple[str, ...] = ()
    ndc: str | None = None
    ndc_quantity: Decimal | None = None
    ndc_unit: str | None = None
    narrative: str | None = None


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    code: str
    severity: Severity
    administration: str | None
    message: str


@dataclass(frozen=True, slots=True)
class CodingResult:
    lines: tuple[Line, ...]
    findings: tuple[Finding, ...]
