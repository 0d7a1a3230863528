"""Payers and their rule tables: the numbers deadlines and due dates are computed from."""

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workqueue.models.base import Base, enum_column_type


class PayerType(StrEnum):
    MEDICARE = "medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage"
    MEDICAID = "medicaid"
    COMMERCIAL = "commercial"


class Payer(Base):
    __tablename__ = "payers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    payer_type: Mapped[PayerType] = mapped_column(enum_column_type(PayerType, "payer_type"))
    # X12 payer identifier (N1*PR N104 / NM1*PR NM109) used to match remittances.
    edi_payer_id: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    timely_filing_days: Mapped[int] = mapped_column(default=365)
    auth_lead_days: Mapped[int] = mapped_column(default=14)  # start re-auth this long before expiry
    auth_turnaround_days: Mapped[int] = mapped_column(default=7)  # expected PA decision time
    reverify_days: Mapped[int] = mapped_column(default=30)  # eligibility re-verification cadence
    auth_units_warn_pct: Mapped[int] = mapped_column(default=80)
    ar_followup_days: Mapped[int] = mapped_column(default=30)  # no response after this: follow up
    # Every drug line needs its NDC (Medicaid, for drug rebates); seeded from the payer type.
    requires_ndc: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)

    appeal_levels: Mapped[list["PayerAppealLevel"]] = relationship(
        back_populates="payer", cascade="all, delete-orphan", order_by="PayerAppealLevel.level"
    )

    def appeal_window_days(self, level: int) -> int | None:
        for row in self.appeal_levels:
            if row.level == level:
                return row.window_days
        return None


class PayerAppealLevel(Base):
    """One appeal level of one payer: how long after the decision it may be filed."""

    __tablename__ = "payer_appeal_levels"
    __table_args__ = (
        sa.UniqueConstraint("payer_id", "level", name="payer_level"),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        sa.CheckConstraint("window_days > 0", name="window_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payer_id: Mapped[int] = mapped_column(sa.ForeignKey("payers.id", ondelete="CASCADE"))
    level: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(80))  # e.g. "Redetermination"
    window_days: Mapped[int]
    decision_days: Mapped[int | None]

    payer: Mapped[Payer] = relationship(back_populates="appeal_levels")
