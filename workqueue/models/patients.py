"""Patients, their coverages, and providers (NPI checked)."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workqueue.clock import utcnow
from workqueue.models.base import Base, Money, enum_column_type
from workqueue.models.payers import Payer


class EligibilityStatus(StrEnum):
    UNVERIFIED = "unverified"
    ACTIVE = "active"
    INACTIVE = "inactive"
    NEEDS_INFO = "needs_info"


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(sa.String(32), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    birth_date: Mapped[date]
    sex: Mapped[str | None] = mapped_column(sa.String(1))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    coverages: Mapped[list["Coverage"]] = relationship(
        back_populates="patient", order_by="Coverage.rank"
    )

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


class Coverage(Base):
    """One insurance plan of a patient, with what the last eligibility check found."""

    __tablename__ = "coverages"
    __table_args__ = (sa.CheckConstraint("rank BETWEEN 1 AND 3", name="rank_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    payer_id: Mapped[int] = mapped_column(sa.ForeignKey("payers.id"))
    plan_name: Mapped[str] = mapped_column(sa.String(120))
    member_id: Mapped[str] = mapped_column(sa.String(80))
    group_number: Mapped[str | None] = mapped_column(sa.String(50))
    rank: Mapped[int] = mapped_column(default=1)  # 1 primary, 2 secondary, 3 tertiary
    effective_from: Mapped[date | None]
    effective_to: Mapped[date | None]
    eligibility_status: Mapped[EligibilityStatus] = mapped_column(
        enum_column_type(EligibilityStatus, "eligibility_status"),
        default=EligibilityStatus.UNVERIFIED,
    )
    verified_at: Mapped[datetime | None]
    deductible_remaining: Mapped[Decimal | None] = mapped_column(Money)
    oop_remaining: Mapped[Decimal | None] = mapped_column(Money)
    coinsurance_pct: Mapped[int | None]
    copay: Mapped[Decimal | None] = mapped_column(Money)
    is_pa_required: Mapped[bool | None]
    benefit: Mapped[str | None] = mapped_column(sa.String(20))  # medical | pharmacy

    patient: Mapped[Patient] = relationship(back_populates="coverages")
    payer: Mapped[Payer] = relationship()


class Provider(Base):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    npi: Mapped[str] = mapped_column(sa.String(10), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    specialty: Mapped[str | None] = mapped_column(sa.String(80))
