"""The authorization unit ledger: drug units each completed visit used on its authorization."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workqueue.clock import utcnow
from workqueue.models.base import Base
from workqueue.models.clinical import Authorization, InfusionVisit


class AuthLedgerEntry(Base):
    """Units of one HCPCS code one visit drew from one authorization.

    Unique per (authorization, visit, code): posting a visit twice cannot count it twice.
    """

    __tablename__ = "auth_ledger_entries"
    __table_args__ = (
        sa.UniqueConstraint("authorization_id", "visit_id", "code", name="auth_visit_code"),
        sa.CheckConstraint("units >= 0", name="units_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authorization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("authorizations.id", ondelete="CASCADE"), index=True
    )
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("infusion_visits.id", ondelete="CASCADE"),
                                          index=True)
    code: Mapped[str] = mapped_column(sa.String(5))
    units: Mapped[int]
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)

    authorization: Mapped[Authorization] = relationship()
    visit: Mapped[InfusionVisit] = relationship()
