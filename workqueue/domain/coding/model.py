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
    SC = "sc"
    IM = "im"
    # Not in the route list: needed for worked example G (96377); additive, so the
    # CLI contract for the four routes above is unchanged.
    ON_BODY = "on_body"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


IV_ROUTES = frozenset({Route.IV_INFUSION, Route.IV_PUSH})


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


@dataclass(frozen=True, slots=True)
class Authorization:
    code: str
    units_remaining: int


@dataclass(frozen=True, slots=True)
class Visit:
    setting: Setting
    administrations: tuple[Administration, ...]
    authorization: Authorization | None = None


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

    def code_for(self, family: Family | str, role: str) -> AdminCode | None:
        """The code for a family and role, falling back to a family-independent ``any`` row."""
        return self.admin_codes.get((family, role)) or self.admin_codes.get(("any", role))


@dataclass(frozen=True, slots=True, order=True)
class Line:
    code: str
    units: int
    modifiers: tuple[str, ...] = ()


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
