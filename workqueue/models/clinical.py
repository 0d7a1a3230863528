"""Therapy orders, authorizations with their unit ledger, and infusion visits."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workqueue.clock import utcnow
from workqueue.domain.coding import Access, Device, Service
from workqueue.models.base import Base, enum_column_type
from workqueue.models.patients import Coverage, Patient, Provider


class AuthorizationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PENDING = "pending"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    DENIED = "denied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    NOT_REQUIRED = "not_required"


class VisitStatus(StrEnum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class CareSetting(StrEnum):
    FACILITY = "facility"
    OFFICE = "office"


class TherapyOrder(Base):
    __tablename__ = "therapy_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id"))
    drug_code: Mapped[str] = mapped_column(sa.String(5))  # HCPCS, e.g. J9312
    drug_name: Mapped[str] = mapped_column(sa.String(120))
    dose: Mapped[Decimal] = mapped_column(sa.Numeric(10, 3))
    dose_unit: Mapped[str] = mapped_column(sa.String(8))
    frequency: Mapped[str] = mapped_column(sa.String(60))  # e.g. "every 8 weeks"
    planned_infusions: Mapped[int]
    icd10_codes: Mapped[str] = mapped_column(sa.String(120))  # comma-separated
    site_of_care: Mapped[str] = mapped_column(sa.String(40))
    start_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship()
    provider: Mapped[Provider] = relationship()


class Authorization(Base):
    """A payer's approval of a drug for a patient: units and visits over a date span."""

    __tablename__ = "authorizations"
    __table_args__ = (
        sa.CheckConstraint("units_used >= 0", name="units_used_nonneg"),
        sa.CheckConstraint("visits_used >= 0", name="visits_used_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    coverage_id: Mapped[int] = mapped_column(sa.ForeignKey("coverages.id"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("therapy_orders.id"))
    auth_number: Mapped[str | None] = mapped_column(sa.String(50))
    drug_code: Mapped[str] = mapped_column(sa.String(5))
    status: Mapped[AuthorizationStatus] = mapped_column(
        enum_column_type(AuthorizationStatus, "authorization_status"),
        default=AuthorizationStatus.DRAFT,
    )
    authorized_units: Mapped[int | None]
    authorized_visits: Mapped[int | None]
    units_used: Mapped[int] = mapped_column(default=0)
    visits_used: Mapped[int] = mapped_column(default=0)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    payer_reference: Mapped[str | None] = mapped_column(sa.String(80))

    patient: Mapped[Patient] = relationship()
    coverage: Mapped[Coverage] = relationship()
    order: Mapped[TherapyOrder | None] = relationship()

    @property
    def units_remaining(self) -> int | None:
        if self.authorized_units is None:
            return None
        return self.authorized_units - self.units_used


class InfusionVisit(Base):
    __tablename__ = "infusion_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("therapy_orders.id"))
    authorization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorizations.id"))
    scheduled_date: Mapped[date] = mapped_column(index=True)
    setting: Mapped[CareSetting] = mapped_column(
        enum_column_type(CareSetting, "care_setting"), default=CareSetting.FACILITY
    )
    status: Mapped[VisitStatus] = mapped_column(
        enum_column_type(VisitStatus, "visit_status"), default=VisitStatus.SCHEDULED
    )
    # Set by the coding check: the visit has findings that would get the claim denied.
    has_coding_errors: Mapped[bool] = mapped_column(default=False)

    patient: Mapped[Patient] = relationship()
    authorization: Mapped[Authorization | None] = relationship()
    administrations: Mapped[list["Administration"]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="Administration.id"
    )


class Administration(Base):
    """One drug or fluid given during a visit, with the times the coding rules need."""

    __tablename__ = "administrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("infusion_visits.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(sa.String(20))  # "a1", "a2" within the visit
    kind: Mapped[str] = mapped_column(sa.String(12))  # chemo | therapeutic | hydration
    # iv_infusion | iv_push | sc | im | on_body | ia_push | ia_infusion
    route: Mapped[str] = mapped_column(sa.String(12))
    # What was done and with what, as the coding contract names them (domain/coding/model.py).
    service: Mapped[Service] = mapped_column(
        enum_column_type(Service, "administration_service"), default=Service.ADMINISTRATION)
    device: Mapped[Device | None] = mapped_column(enum_column_type(Device, "infusion_device"))
    access: Mapped[Access | None] = mapped_column(enum_column_type(Access, "vascular_access"))
    drug_code: Mapped[str | None] = mapped_column(sa.String(5))
    drug_name: Mapped[str | None] = mapped_column(sa.String(120))  # for unclassified codes
    ndc: Mapped[str | None] = mapped_column(sa.String(20))  # as recorded; coding normalizes
    dose: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 3))
    dose_unit: Mapped[str | None] = mapped_column(sa.String(8))
    discarded: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 3))
    start_at: Mapped[datetime | None]
    stop_at: Mapped[datetime | None]
    site: Mapped[int] = mapped_column(default=1)
    is_primary: Mapped[bool] = mapped_column(default=False)

    visit: Mapped[InfusionVisit] = relationship(back_populates="administrations")
