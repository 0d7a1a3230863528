"""Claims, their service lines, and denials found on them."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workqueue.clock import utcnow
from workqueue.models.base import Base, Money, enum_column_type
from workqueue.models.patients import Coverage, Patient
from workqueue.models.payers import Payer


class ClaimStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    REVERSED = "reversed"
    CLOSED = "closed"


class DenialCategory(StrEnum):
    AUTHORIZATION = "authorization"
    ELIGIBILITY = "eligibility"
    MEDICAL_NECESSITY = "medical_necessity"
    CODING = "coding"
    MISSING_INFORMATION = "missing_information"
    TIMELY_FILING = "timely_filing"
    DUPLICATE = "duplicate"
    COB = "cob"
    NON_COVERED = "non_covered"
    PRICING = "pricing"
    OTHER = "other"


class DenialDecision(StrEnum):
    APPEAL = "appeal"
    CORRECTED_CLAIM = "corrected_claim"
    WRITE_OFF = "write_off"


class DenialOutcome(StrEnum):
    OVERTURNED = "overturned"
    PARTIALLY_OVERTURNED = "partially_overturned"
    UPHELD = "upheld"


class Claim(Base):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Patient control number (CLM01), echoed back as CLP01 on the 835.
    claim_number: Mapped[str] = mapped_column(sa.String(38), unique=True)
    payer_claim_number: Mapped[str | None] = mapped_column(sa.String(50))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    coverage_id: Mapped[int | None] = mapped_column(sa.ForeignKey("coverages.id"))
    payer_id: Mapped[int] = mapped_column(sa.ForeignKey("payers.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("infusion_visits.id"))
    authorization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorizations.id"))
    service_from: Mapped[date]
    service_to: Mapped[date]
    submitted_on: Mapped[date | None]
    status: Mapped[ClaimStatus] = mapped_column(
        enum_column_type(ClaimStatus, "claim_status"), default=ClaimStatus.SUBMITTED
    )
    billed_amount: Mapped[Decimal] = mapped_column(Money)
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    adjustment_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    patient_responsibility: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    balance: Mapped[Decimal] = mapped_column(Money)
    last_status_code: Mapped[str | None] = mapped_column(sa.String(10))  # 277 STC01-1
    last_status_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship()
    payer: Mapped[Payer] = relationship()
    coverage: Mapped[Coverage | None] = relationship()
    lines: Mapped[list["ClaimLine"]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="ClaimLine.line_number"
    )


class ClaimLine(Base):
    __tablename__ = "claim_lines"
    __table_args__ = (sa.UniqueConstraint("claim_id", "line_number", name="claim_line_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id", ondelete="CASCADE"))
    line_number: Mapped[int]
    procedure_code: Mapped[str] = mapped_column(sa.String(5))
    modifiers: Mapped[str] = mapped_column(sa.String(20), default="")  # comma-separated
    units: Mapped[Decimal] = mapped_column(sa.Numeric(10, 3))
    charge: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    service_date: Mapped[date]
    ndc: Mapped[str | None] = mapped_column(sa.String(11))

    claim: Mapped[Claim] = relationship(back_populates="lines")


class Denial(Base):
    """A claim (or one of its lines) the payer refused, and what the team did about it."""

    __tablename__ = "denials"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id"), index=True)
    claim_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claim_lines.id"))
    denied_on: Mapped[date]
    group_code: Mapped[str] = mapped_column(sa.String(2))  # CO, PR, OA, PI
    carc_codes: Mapped[str] = mapped_column(sa.String(60))  # comma-separated, first is primary
    rarc_codes: Mapped[str] = mapped_column(sa.String(60), default="")
    category: Mapped[DenialCategory] = mapped_column(
        enum_column_type(DenialCategory, "denial_category")
    )
    is_preventable: Mapped[bool] = mapped_column(default=False)
    amount: Mapped[Decimal] = mapped_column(Money)
    appeal_level: Mapped[int] = mapped_column(default=1)
    decision: Mapped[DenialDecision | None] = mapped_column(
        enum_column_type(DenialDecision, "denial_decision")
    )
    outcome: Mapped[DenialOutcome | None] = mapped_column(
        enum_column_type(DenialOutcome, "denial_outcome")
    )
    recovered_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    claim: Mapped[Claim] = relationship()
    claim_line: Mapped[ClaimLine | None] = relationship()
