"""The CARC/RARC catalog as admin-editable rows, seeded from ``data/reason_codes.csv``."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from workqueue.clock import utcnow
from workqueue.domain.reason_codes import CodeType
from workqueue.models.base import Base, enum_column_type


class ReasonCode(Base):
    """One adjustment reason (CARC) or remark (RARC) code and what the team does about it.

    ``is_known`` is false for a code first met in a remittance file and not yet described by
    an admin: it is kept (never dropped), flagged on the admin page, and treated as unknown by
    the denial rule until someone fills it in.
    """

    __tablename__ = "reason_codes"
    __table_args__ = (sa.UniqueConstraint("code_type", "code", name="reason_code_type_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code_type: Mapped[CodeType] = mapped_column(enum_column_type(CodeType, "reason_code_type"))
    code: Mapped[str] = mapped_column(sa.String(10))
    meaning: Mapped[str] = mapped_column(sa.String(300), default="")
    category: Mapped[str] = mapped_column(sa.String(30), default="other")
    is_usually_preventable: Mapped[bool] = mapped_column(default=False)
    default_action: Mapped[str] = mapped_column(sa.String(20), default="appeal")
    letter_template: Mapped[str] = mapped_column(sa.String(30), default="none")
    is_known: Mapped[bool] = mapped_column(default=True)
    first_seen_at: Mapped[datetime | None]  # when an import first met an unknown code
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
