"""SQLAlchemy models, one module per area; import from here."""

from workqueue.models.audit_seals import AuditEventImmutable, AuditSeal
from workqueue.models.base import Base
from workqueue.models.catalog import DrugCatalogEntry
from workqueue.models.claims import (
    Claim,
    ClaimLine,
    ClaimStatus,
    Denial,
    DenialCategory,
    DenialDecision,
    DenialOutcome,
)
from workqueue.models.clinical import (
    Administration,
    Authorization,
    AuthorizationStatus,
    CareSetting,
    InfusionVisit,
    TherapyOrder,
    VisitStatus,
)
from workqueue.models.jobs import JobRequest, JobRequestStatus, SweepRun
from workqueue.models.ledger import AuthLedgerEntry
from workqueue.models.letters import Letter, LetterStatus, LetterTemplate, LetterVersion
from workqueue.models.notifications import (
    EmailMode,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderReason,
    ReminderRule,
)
from workqueue.models.patients import Coverage, EligibilityStatus, Patient, Provider
from workqueue.models.payers import Payer, PayerAppealLevel, PayerType
from workqueue.models.people import Skill, SkillKind, Team, User
from workqueue.models.reason_codes import ReasonCode
from workqueue.models.remittances import (
    ImportLine,
    ImportLineKind,
    ImportRun,
    ImportRunStatus,
    ProviderAdjustment,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceClaimResult,
)
from workqueue.models.views import SavedView
from workqueue.models.work import (
    Activity,
    ActivityKind,
    AssignmentStrategy,
    AuditEvent,
    Queue,
    WorkItem,
    queue_members,
)

__all__ = [
    "Activity",
    "ActivityKind",
    "Administration",
    "AssignmentStrategy",
    "AuditEvent",
    "AuditEventImmutable",
    "AuditSeal",
    "AuthLedgerEntry",
    "Authorization",
    "AuthorizationStatus",
    "Base",
    "CareSetting",
    "Claim",
    "ClaimLine",
    "ClaimStatus",
    "Coverage",
    "Denial",
    "DenialCategory",
    "DenialDecision",
    "DenialOutcome",
    "DrugCatalogEntry",
    "EligibilityStatus",
    "EmailMode",
    "ImportLine",
    "ImportLineKind",
    "ImportRun",
    "ImportRunStatus",
    "InfusionVisit",
    "JobRequest",
    "JobRequestStatus",
    "Letter",
    "LetterStatus",
    "LetterTemplate",
    "LetterVersion",
    "Notification",
    "NotificationPreference",
    "Patient",
    "Payer",
    "PayerAppealLevel",
    "PayerType",
    "Provider",
    "ProviderAdjustment",
    "Queue",
    "ReasonCode",
    "Reminder",
    "ReminderReason",
    "ReminderRule",
    "Remittance",
    "RemittanceAdjustment",
    "RemittanceClaim",
    "RemittanceClaimResult",
    "SavedView",
    "Skill",
    "SkillKind",
    "SweepRun",
    "Team",
    "TherapyOrder",
    "User",
    "VisitStatus",
    "WorkItem",
    "queue_members",
]
