"""The drug catalog: HCPCS drug codes with the billing unit the coding check divides doses by."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workqueue.clock import utcnow
from workqueue.domain.coding import Family
from workqueue.models.base import Base, enum_column_type


class DrugCatalogEntry(Base):
    """One HCPCS drug code as billed here; admins edit it when a payer or CMS changes a unit."""

    __tablename__ = "drug_catalog_entries"
    __table_args__ = (sa.CheckConstraint("unit_size > 0", name="unit_size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hcpcs: Mapped[str] = mapped_column(sa.String(5), unique=True)
    description: Mapped[str] = mapped_column(sa.String(200))
    unit_size: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4))
    unit: Mapped[str] = mapped_column(sa.String(8))  # mg | mcg | g | units | ml
    family: Mapped[Family] = mapped_column(enum_column_type(Family, "drug_family"))
    # Single-dose containers must document waste (JW line or JZ modifier).
    is_single_dose: Mapped[bool] = mapped_column(default=True)
    # Hormonal antineoplastics code as 96402 when injected (DOMAIN.md §1.2).
    is_hormonal: Mapped[bool] = mapped_column(default=False)
    # Inactive codes stay for history but the coding check treats them as unknown.
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
