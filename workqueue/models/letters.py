"""Appeal letters: admin-editable templates, the letter per denial item and appeal level, and
every saved version of its draft."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workqueue.clock import utcnow
from workqueue.models.base import Base, enum_column_type
from workqueue.models.claims import Denial
from workqueue.models.payers import Payer
from workqueue.models.people import User


class LetterStatus(StrEnum):
    REQUESTED = "requested"  # waiting for a worker
    GENERATING = "generating"
    GENERATED = "generated"  # a draft the specialist may edit
    FINAL = "final"  # frozen, with its PDF
    FAILED = "failed"  # see ``error``; may be retried


class LetterTemplate(Base):
    """Jinja source of a letter for one denial category, optionally for one payer and level.

    Resolution picks the most specific active template: payer+level, payer, level, default.
    """

    __tablename__ = "letter_templates"
    __table_args__ = (
        sa.UniqueConstraint("category", "payer_id", "appeal_level", "name",
                            name="category_payer_level_name"),
        sa.CheckConstraint("appeal_level IS NULL OR appeal_level BETWEEN 1 AND 5",
                           name="level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(40))  # a DenialCategory value
    payer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payers.id", ondelete="CASCADE"))
    appeal_level: Mapped[int | None]
    name: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    payer: Mapped[Payer | None] = relationship()


class Letter(Base):
    """The appeal letter of one denial item at one appeal level (one row, so one final PDF)."""

    __tablename__ = "letters"
    __table_args__ = (
        # Regenerating reuses this row: a second final letter for the same level cannot exist.
        sa.UniqueConstraint("work_item_id", "appeal_level", name="item_level"),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(sa.ForeignKey("work_items.id", ondelete="CASCADE"),
                                              index=True)
    denial_id: Mapped[int] = mapped_column(sa.ForeignKey("denials.id"))
    template_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("letter_templates.id", ondelete="SET NULL"))
    appeal_level: Mapped[int] = mapped_column(default=1)
    status: Mapped[LetterStatus] = mapped_column(
        enum_column_type(LetterStatus, "letter_status"), default=LetterStatus.REQUESTED
    )
    progress: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.String(200))
    # Finalize as soon as the draft is generated (API clients and bulk runs that don't edit).
    is_auto_final: Mapped[bool] = mapped_column(default=False)
    draft: Mapped[str | None] = mapped_column(sa.Text)
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    finalized_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    generated_at: Mapped[datetime | None]
    finalized_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    denial: Mapped[Denial] = relationship()
    template: Mapped[LetterTemplate | None] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    versions: Mapped[list["LetterVersion"]] = relationship(
        back_populates="letter", cascade="all, delete-orphan", order_by="LetterVersion.number"
    )


class LetterVersion(Base):
    """One saved state of a letter's draft: the generated text, then each edit."""

    __tablename__ = "letter_versions"
    __table_args__ = (sa.UniqueConstraint("letter_id", "number", name="letter_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letters.id", ondelete="CASCADE"))
    number: Mapped[int]
    source: Mapped[str] = mapped_column(sa.String(20))  # generated | edited
    body: Mapped[str] = mapped_column(sa.Text)
    saved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)

    letter: Mapped[Letter] = relationship(back_populates="versions")
    saved_by: Mapped[User | None] = relationship()
