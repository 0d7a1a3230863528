"""The tables the demo is generated from: payers and their rules, therapies, denial reasons.

Rule values follow DOMAIN.md §6 (appeal windows, timely filing) and §7/§8 (auth turnaround,
re-verification); drug and diagnosis codes follow §2.3 and §3.2. Payer names other than
Original Medicare are invented; EDI payer ids of invented plans are invented too.
"""

from dataclasses import dataclass
from decimal import Decimal

from workqueue.models import PayerType


@dataclass(frozen=True)
class DemoPayer:
    key: str
    name: str
    payer_type: PayerType
    edi_payer_id: str
    plan_name: str
    member_prefix: str  # "" for Medicare: the member id is an MBI
    timely_filing_days: int
    auth_lead_days: int
    auth_turnaround_days: int
    reverify_days: int
    ar_followup_days: int
    # (level, name, filing window days, decision days)
    appeal_levels: tuple[tuple[int, str, int, int | None], ...]
    share: int  # relative weight of primary coverages
    coinsurance_pct: int | None
    copay: Decimal | None


PAYERS: tuple[DemoPayer, ...] = (
    DemoPayer(
        "medicare", "Original Medicare Part B (MAC Jurisdiction L)", PayerType.MEDICARE,
        "12502", "Medicare Part B", "",
        timely_filing_days=365, auth_lead_days=14, auth_turnaround_days=10, reverify_days=30,
        ar_followup_days=30,
        appeal_levels=(
            (1, "Redetermination (MAC)", 120, 60),
            (2, "Reconsideration (QIC)", 180, 60),
            (3, "ALJ hearing (OMHA)", 60, 90),
            (4, "Medicare Appeals Council review", 60, 90),
            (5, "Judicial review (federal district court)", 60, None),
        ),
        share=34, coinsurance_pct=20, copay=None,
    ),
    DemoPayer(
        "ma", "Harborview Medicare Advantage HMO", PayerType.MEDICARE_ADVANTAGE,
        "HMA01", "Harborview Advantage Plus (HMO)", "HVA",
        timely_filing_days=180, auth_lead_days=21, auth_turnaround_days=3, reverify_days=30,
        ar_followup_days=30,
        appeal_levels=(
            (1, "Plan reconsideration", 60, 60),
            (2, "ALJ hearing after IRE decision", 60, 90),
            (3, "Medicare Appeals Council review", 60, 90),
            (4, "Judicial review (federal district court)", 60, None),
        ),
        share=20, coinsurance_pct=None, copay=Decimal("50.00"),
    ),
    DemoPayer(
        "medicaid", "Riverbend Community Medicaid Plan", PayerType.MEDICAID,
        "RCM77", "Riverbend Medicaid Managed Care", "RB",
        timely_filing_days=180, auth_lead_days=14, auth_turnaround_days=7, reverify_days=30,
        ar_followup_days=30,
        appeal_levels=(
            (1, "Plan appeal", 60, 30),
            (2, "State fair hearing", 120, 90),
        ),
        share=12, coinsurance_pct=0, copay=Decimal("0.00"),
    ),
    DemoPayer(
        "summit", "Summit Blue Cross PPO", PayerType.COMMERCIAL,
        "SBC10", "Summit Blue PPO 1500", "SBX",
        timely_filing_days=90, auth_lead_days=28, auth_turnaround_days=15, reverify_days=30,
        ar_followup_days=30,
        appeal_levels=(
            (1, "First-level provider appeal", 180, 60),
            (2, "Second-level provider appeal", 60, 30),
            (3, "External review", 120, 45),
        ),
        share=18, coinsurance_pct=20, copay=None,
    ),
    DemoPayer(
        "keystone", "Keystone Health Partners", PayerType.COMMERCIAL,
        "KHP22", "Keystone Choice POS", "KHP",
        timely_filing_days=120, auth_lead_days=21, auth_turnaround_days=10, reverify_days=30,
        ar_followup_days=45,
        appeal_levels=(
            (1, "Provider payment dispute", 90, 45),
            (2, "Second-level dispute", 60, 45),
        ),
        share=16, coinsurance_pct=10, copay=Decimal("35.00"),
    ),
    DemoPayer(
        "medigap", "Liberty Mutual Aid Medigap Plan G", PayerType.COMMERCIAL,
        "LMG05", "Medigap Plan G", "LMG",
        timely_filing_days=365, auth_lead_days=14, auth_turnaround_days=7, reverify_days=90,
        ar_followup_days=30,
        appeal_levels=((1, "Supplement claim review", 180, 30),),
        share=0, coinsurance_pct=0, copay=None,
    ),
)


@dataclass(frozen=True)
class Therapy:
    """One drug regimen as an infusion center orders it (DOMAIN.md §2.3 units, §3.2 dx)."""

    hcpcs: str
    name: str
    dose: Decimal
    dose_unit: str
    unit_size: Decimal  # HCPCS billing unit, in dose_unit
    every_days: int
    frequency: str
    infusions_per_auth: int
    family: str  # chemo | therapeutic (administration family)
    route: str  # iv_infusion | iv_push | sc | on_body
    minutes: int  # administration time
    admin_codes: tuple[str, ...]  # initial code first, then add-ons
    icd10: tuple[str, ...]
    specialty: str
    charge_per_unit: Decimal
    ndc: str | None = None


THERAPIES: tuple[Therapy, ...] = (
    Therapy("J9312", "rituximab (Rituxan)", Decimal(700), "mg", Decimal(10), 21,
            "every 3 weeks", 6, "chemo", "iv_infusion", 240, ("96413", "96415"),
            ("C83.30",), "Hematology/Oncology", Decimal("96.40")),
    Therapy("Q5119", "rituximab-pvvr (Ruxience)", Decimal(1000), "mg", Decimal(10), 14,
            "two doses 2 weeks apart, every 6 months", 2, "chemo", "iv_infusion", 255,
            ("96413", "96415"), ("M05.79",), "Rheumatology", Decimal("71.20")),
    Therapy("J1745", "infliximab (Remicade)", Decimal(400), "mg", Decimal(10), 56,
            "every 8 weeks", 6, "therapeutic", "iv_infusion", 120, ("96365", "96366"),
            ("K50.90", "K51.90"), "Gastroenterology", Decimal("118.00")),
    Therapy("Q5103", "infliximab-dyyb (Inflectra)", Decimal(500), "mg", Decimal(10), 56,
            "every 8 weeks", 6, "therapeutic", "iv_infusion", 120, ("96365", "96366"),
            ("M05.79", "K50.90"), "Rheumatology", Decimal("64.50")),
    Therapy("J3380", "vedolizumab (Entyvio)", Decimal(300), "mg", Decimal(1), 56,
            "every 8 weeks", 6, "therapeutic", "iv_infusion", 30, ("96365",),
            ("K51.90", "K50.90"), "Gastroenterology", Decimal("52.30")),
    Therapy("J2350", "ocrelizumab (Ocrevus)", Decimal(600), "mg", Decimal(1), 182,
            "every 6 months", 2, "chemo", "iv_infusion", 210, ("96413", "96415"),
            ("G35.A", "G35.D"), "Neurology", Decimal("128.00"), ndc="50242015001"),
    Therapy("J2323", "natalizumab (Tysabri)", Decimal(300), "mg", Decimal(1), 28,
            "every 4 weeks", 12, "therapeutic", "iv_infusion", 60, ("96365",),
            ("G35.A",), "Neurology", Decimal("41.90")),
    Therapy("J0129", "abatacept (Orencia)", Decimal(750), "mg", Decimal(10), 28,
            "every 4 weeks", 12, "therapeutic", "iv_infusion", 30, ("96365",),
            ("M05.79",), "Rheumatology", Decimal("112.60")),
    Therapy("J3262", "tocilizumab (Actemra)", Decimal(560), "mg", Decimal(1), 28,
            "every 4 weeks", 12, "therapeutic", "iv_infusion", 60, ("96365",),
            ("M05.79",), "Rheumatology", Decimal("9.80")),
    Therapy("J1756", "iron sucrose (Venofer)", Decimal(200), "mg", Decimal(1), 7,
            "weekly for 5 doses", 5, "therapeutic", "iv_push", 5, ("96374",),
            ("D50.9", "D63.1"), "Nephrology", Decimal("1.10")),
    Therapy("J1439", "ferric carboxymaltose (Injectafer)", Decimal(750), "mg", Decimal(1), 7,
            "two doses 7 days apart", 2, "therapeutic", "iv_infusion", 20, ("96365",),
            ("D50.0", "D50.9"), "Hematology/Oncology", Decimal("3.40")),
    Therapy("J0897", "denosumab (Prolia)", Decimal(60), "mg", Decimal(1), 182,
            "every 6 months", 2, "therapeutic", "sc", 5, ("96372",),
            ("M81.0",), "Endocrinology", Decimal("31.80")),
    Therapy("J3489", "zoledronic acid (Reclast)", Decimal(5), "mg", Decimal(1), 365,
            "once a year", 1, "therapeutic", "iv_infusion", 20, ("96365",),
            ("M81.0",), "Endocrinology", Decimal("42.00")),
    Therapy("J9271", "pembrolizumab (Keytruda)", Decimal(200), "mg", Decimal(1), 21,
            "every 3 weeks", 8, "chemo", "iv_infusion", 30, ("96413",),
            ("C50.911",), "Hematology/Oncology", Decimal("61.50")),
    Therapy("J9355", "trastuzumab (Herceptin)", Decimal(420), "mg", Decimal(10), 21,
            "every 3 weeks", 8, "chemo", "iv_infusion", 45, ("96413",),
            ("C50.911",), "Hematology/Oncology", Decimal("119.00")),
    Therapy("J2506", "pegfilgrastim (Neulasta Onpro)", Decimal(6), "mg", Decimal("0.5"), 21,
            "day after each chemo cycle", 8, "therapeutic", "on_body", 5, ("96377",),
            ("D70.1",), "Hematology/Oncology", Decimal("540.00")),
    Therapy("J1569", "immune globulin (Gammagard Liquid)", Decimal(35000), "mg",
            Decimal(500), 28, "every 4 weeks", 6, "therapeutic", "iv_infusion", 180,
            ("96365", "96366"), ("G61.81",), "Neurology", Decimal("98.00")),
)

ADMIN_CHARGES: dict[str, Decimal] = {
    "96365": Decimal("265.00"), "96366": Decimal("72.00"), "96367": Decimal("118.00"),
    "96372": Decimal("48.00"), "96374": Decimal("132.00"), "96375": Decimal("54.00"),
    "96377": Decimal("64.00"), "96413": Decimal("362.00"), "96415": Decimal("81.00"),
    "96360": Decimal("178.00"),
}

# Premedications given as IV pushes before biologic infusions: (HCPCS, name, dose, unit).
PREMEDS: tuple[tuple[str, str, Decimal, str, Decimal], ...] = (
    ("J1200", "diphenhydramine", Decimal(50), "mg", Decimal("14.00")),
    ("J2405", "ondansetron", Decimal(8), "mg", Decimal("2.10")),
    ("J1100", "dexamethasone sodium phosphate", Decimal(10), "mg", Decimal("1.20")),
)


@dataclass(frozen=True)
class DenialReason:
    carc: str
    rarc: str
    category: str
    is_preventable: bool
    group_code: str = "CO"


# Real CARC/RARC pairings from DOMAIN.md §5, weighted by how often each kind of denial
# reaches an infusion center's desk (authorization and eligibility lead).
DENIAL_REASONS: tuple[tuple[DenialReason, int], ...] = (
    (DenialReason("197", "N54", "authorization", True), 14),
    (DenialReason("198", "N362", "authorization", True), 8),
    (DenialReason("284", "N54", "authorization", True), 4),
    (DenialReason("27", "", "eligibility", True), 6),
    (DenialReason("31", "", "eligibility", True), 4),
    (DenialReason("109", "", "eligibility", True), 3),
    (DenialReason("50", "N115", "medical_necessity", False), 8),
    (DenialReason("167", "N386", "medical_necessity", True), 4),
    (DenialReason("151", "N640", "medical_necessity", False), 3),
    (DenialReason("4", "N657", "coding", True), 4),
    (DenialReason("B15", "N122", "coding", True), 3),
    (DenialReason("189", "N657", "coding", True), 2),
    (DenialReason("16", "M119", "missing_information", True), 5),
    (DenialReason("16", "M123", "missing_information", True), 3),
    (DenialReason("252", "M127", "missing_information", True), 3),
    (DenialReason("29", "", "timely_filing", True), 2),
    (DenialReason("18", "N522", "duplicate", True, "OA"), 2),
    (DenialReason("22", "MA04", "cob", True), 4),
    (DenialReason("96", "N130", "non_covered", False), 3),
    (DenialReason("204", "N130", "non_covered", True), 2),
)

# 277 claim status categories an unanswered claim sits in (DOMAIN.md §9.3).
AR_STATUS_CODES: tuple[tuple[str, int], ...] = (
    ("A1", 2), ("A2", 6), ("P1", 6), ("P2", 3), ("P3", 3), ("A4", 2), ("", 5),
)

DEMO_PASSWORD = "demo-password-1"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    # (skill kind, value); "payer:<key>" values are resolved to payer ids when seeded.
    skills: tuple[tuple[str, str], ...] = ()


USERS: tuple[DemoUser, ...] = (
    DemoUser("coord1", "Maya Lindgren", "coordinator",
             (("work_kind", "prior_auth"), ("drug_family", "chemo"), ("payer", "medicare"),
              ("payer", "ma"))),
    DemoUser("coord2", "Diego Ferreira", "coordinator",
             (("work_kind", "prior_auth"), ("drug_family", "therapeutic"),
              ("payer", "summit"), ("payer", "keystone"))),
    DemoUser("coord3", "Amara Osei", "coordinator",
             (("work_kind", "eligibility"), ("payer", "medicaid"), ("payer", "medicare"))),
    DemoUser("denials1", "Ruth Kowalski", "denial_specialist",
             (("work_kind", "denial"), ("denial_category", "authorization"),
              ("denial_category", "medical_necessity"), ("payer", "medicare"))),
    DemoUser("denials2", "Tomas Herrera", "denial_specialist",
             (("work_kind", "denial"), ("denial_category", "coding"),
              ("denial_category", "missing_information"), ("payer", "summit"),
              ("payer", "keystone"))),
    DemoUser("denials3", "Priya Raman", "denial_specialist",
             (("work_kind", "denial"), ("denial_category", "eligibility"),
              ("denial_category", "cob"), ("denial_category", "authorization"),
              ("payer", "keystone"))),
    DemoUser("ar1", "Grace Whitaker", "ar_specialist",
             (("work_kind", "ar_followup"), ("payer", "medicare"), ("payer", "ma"),
              ("payer", "medicaid"))),
    DemoUser("ar2", "Samuel Adeyemi", "ar_specialist",
             (("work_kind", "ar_followup"), ("payer", "summit"), ("payer", "keystone"))),
    DemoUser("ar3", "Lena Fischer", "ar_specialist",
             (("work_kind", "ar_followup"), ("work_kind", "denial"), ("payer", "medigap"))),
    DemoUser("super1", "Helen Marsh", "supervisor"),
    DemoUser("super2", "Victor Nguyen", "supervisor"),
    DemoUser("admin1", "Irene Castillo", "admin"),
)


@dataclass(frozen=True)
class DemoQueue:
    slug: str
    name: str
    description: str
    kinds: tuple[str, ...]
    payer_keys: tuple[str, ...]
    categories: tuple[str, ...]
    members: tuple[str, ...]
    strategy: str = "manual"
    is_skill_matched: bool = False


QUEUES: tuple[DemoQueue, ...] = (
    DemoQueue("prior-auth", "Prior auth — all payers",
              "New authorizations and re-authorizations before the next infusion.",
              ("prior_auth",), (), (), ("coord1", "coord2")),
    DemoQueue("eligibility", "Eligibility — upcoming infusions",
              "Re-verify coverage before each scheduled infusion (DOMAIN.md §8.3).",
              ("eligibility",), (), (), ("coord1", "coord2", "coord3")),
    DemoQueue("denials-medicare", "Denials — Medicare",
              "Original Medicare and Medicare Advantage denials; five-level appeal clock.",
              ("denial",), ("medicare", "ma"), (), ("denials1", "denials3")),
    DemoQueue("denials-commercial", "Denials — commercial",
              "Commercial denials, routed to the least-loaded specialist with the payer skill.",
              ("denial",), ("summit", "keystone", "medigap"), (),
              ("denials2", "denials3", "ar3"), "least_loaded", True),
    DemoQueue("denials-medicaid", "Denials — Medicaid",
              "Medicaid managed-care denials: 60-day plan appeal window.",
              ("denial",), ("medicaid",), (), ("denials1", "denials2"), "round_robin"),
    DemoQueue("denials-auth", "Denials — authorization (all payers)",
              "Missing, exceeded or mismatched authorizations (CARC 197/198/284).",
              ("denial",), (), ("authorization",), ("denials1", "denials3")),
    DemoQueue("ar-government", "AR follow-up — government payers",
              "Unanswered Medicare, Medicare Advantage and Medicaid claims.",
              ("ar_followup",), ("medicare", "ma", "medicaid"), (), ("ar1", "ar3")),
    DemoQueue("ar-commercial", "AR follow-up — commercial",
              "Unanswered commercial claims, round robin between the AR team.",
              ("ar_followup",), ("summit", "keystone", "medigap"), (), ("ar2", "ar3"),
              "round_robin"),
)
