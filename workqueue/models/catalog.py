"""The drug catalog: HCPCS drug codes with the billing unit the coding check divides doses by,
the package (NDC) the center stocks, its charge, and where the unit size came from."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workqueue.clock import utcnow
from workqueue.domain.coding import Family
from workqueue.domain.coding.tables import NDC_UNITS
from workqueue.models.base import Base, Money, enum_column_type

# The four package columns describe one package: all of them, or none.
PACKAGE_COMPLETE = (
    "(ndc IS NULL AND package_amount IS NULL AND package_quantity IS NULL"
    " AND package_unit IS NULL) OR (ndc IS NOT NULL AND package_amount > 0"
    " AND package_quantity > 0 AND package_unit IS NOT NULL)"
)


class DrugCatalogEntry(Base):
    """One HCPCS drug code as billed here; admins edit it when a payer or CMS changes a unit."""

    __tablename__ = "drug_catalog_entries"
    __table_args__ = (
        sa.CheckConstraint("unit_size > 0", name="unit_size_positive"),
        sa.CheckConstraint(PACKAGE_COMPLETE, name="package_complete"),
        sa.CheckConstraint(f"package_unit IN ({', '.join(repr(u) for u in NDC_UNITS)})",
                           name="package_unit_known"),
        sa.CheckConstraint("price >= 0", name="price_nonneg"),
    )

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
    # The package stocked: 11-digit NDC, drug per package (in ``unit``), and the NDC quantity
    # and unit qualifier of one package (UN, ML, GR, F2, ME).
    ndc: Mapped[str | None] = mapped_column(sa.String(11))
    package_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4))
    package_quantity: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4))
    package_unit: Mapped[str | None] = mapped_column(sa.String(2))
    price: Mapped[Decimal | None] = mapped_column(Money)  # the center's charge per billing unit
    # Where the unit size came from; unverified until checked against the HCPCS descriptor.
    unit_source: Mapped[str] = mapped_column(sa.String(200), default="")
    is_unit_verified: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
