"""Imported 835 remittances: the payment, its claims and adjustments, PLB, and import runs."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workqueue.clock import utcnow
from workqueue.models.base import Base, Money, enum_column_type
from workqueue.models.claims import Claim
from workqueue.models.payers import Payer
from workqueue.models.people import User


class ImportRunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RemittanceClaimResult(StrEnum):
    POSTED = "posted"  # matched and posted to the claim
    REVERSAL = "reversal"  # CLP02 = 22: took back an earlier posting
    UNMATCHED = "unmatched"  # no claim with this patient control number: for review
    REVIEW = "review"  # our claim, but remitted by a payer it was not billed to: not posted
    ERROR = "error"  # could not be posted; the message says why


class ImportRun(Base):
    """One import of one file (web upload, CLI or job): what happened and how far it got.

    ``counts`` holds the totals shown on the page; ``payments`` one line per BPR/TRN (posted
    or already imported); ``errors`` the per-row problems with segment positions.
    """

    __tablename__ = "import_runs"
    __table_args__ = (sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default="835")
    file_name: Mapped[str] = mapped_column(sa.String(200))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    status: Mapped[ImportRunStatus] = mapped_column(
        enum_column_type(ImportRunStatus, "import_run_status"), default=ImportRunStatus.QUEUED)
    progress: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    payments: Mapped[list] = mapped_column(sa.JSON, default=list)
    errors: Mapped[list] = mapped_column(sa.JSON, default=list)
    message: Mapped[str | None] = mapped_column(sa.String(300))  # why a run failed
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(sa.String(10), default="web")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    actor: Mapped[User | None] = relationship()


class ImportLineKind(StrEnum):
    PROBLEM = "problem"  # a problem found in the file or while applying it
    ROW = "row"  # what a 271/277 import did with one member or claim


class ImportLine(Base):
    """One line of an import's full report, written as the import goes (a few hundred rows
    per statement), so that no report is ever held whole in memory or in one JSON value.

    The run keeps the first ``IMPORT_REPORT_MAX_ROWS`` problems and rows for its page
    (``ImportRun.errors``/``payments``); these rows keep every one, for the run's downloads.
    ``key`` is the member ID or claim number from the file (rows only).
    """

    __tablename__ = "import_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("import_runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ImportLineKind] = mapped_column(
        enum_column_type(ImportLineKind, "import_line_kind"))
    segment: Mapped[int] = mapped_column(default=0)
    key: Mapped[str | None] = mapped_column(sa.String(80))
    result: Mapped[str | None] = mapped_column(sa.String(20))
    status: Mapped[str | None] = mapped_column(sa.String(40))
    message: Mapped[str] = mapped_column(sa.String(500), default="")


class Remittance(Base):
    """One payment (BPR/TRN) from one payer; the payer key and trace number make it unique.

    ``payer_key`` is the matched payer (``payer-<id>``) or, unmatched, the N1*PR identifier
    or name: a second file carrying the same payment is refused by the UNIQUE constraint.
    """

    __tablename__ = "remittances"
    __table_args__ = (sa.UniqueConstraint("payer_key", "trace_number", name="payer_trace"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_runs.id"),
                                                      index=True)
    payer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payers.id"))
    payer_key: Mapped[str] = mapped_column(sa.String(130))
    payer_name: Mapped[str] = mapped_column(sa.String(120), default="")
    payer_identifier: Mapped[str] = mapped_column(sa.String(80), default="")  # N1*PR N104
    trace_number: Mapped[str] = mapped_column(sa.String(50))  # TRN02
    amount: Mapped[Decimal] = mapped_column(Money)  # BPR02
    credit_debit: Mapped[str] = mapped_column(sa.String(1), default="")
    method: Mapped[str] = mapped_column(sa.String(3), default="")  # BPR04: ACH, CHK, NON...
    payment_date: Mapped[date | None]  # BPR16
    source_sha256: Mapped[str] = mapped_column(sa.String(64))
    segment: Mapped[int] = mapped_column(default=0)  # ST position in the file
    claim_count: Mapped[int] = mapped_column(default=0)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    payer: Mapped[Payer | None] = relationship()
    claims: Mapped[list["RemittanceClaim"]] = relationship(
        back_populates="remittance", order_by="RemittanceClaim.id")
    provider_adjustments: Mapped[list["ProviderAdjustment"]] = relationship(
        back_populates="remittance", order_by="ProviderAdjustment.id")


class RemittanceClaim(Base):
    """One CLP as received, and what the import did with it.

    The ``posted_*`` amounts and ``line_postings`` are exactly what was added to the claim
    and its lines, so a later reversal (CLP02 = 22) can take back that posting and nothing
    else.
    """

    __tablename__ = "remittance_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("remittances.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claims.id"), index=True)
    patient_control_number: Mapped[str] = mapped_column(sa.String(38))  # CLP01
    status_code: Mapped[str] = mapped_column(sa.String(2))  # CLP02
    charge: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money)
    patient_responsibility: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    payer_claim_number: Mapped[str] = mapped_column(sa.String(50), default="")  # CLP07
    patient_name: Mapped[str] = mapped_column(sa.String(120), default="")  # for review
    is_denied: Mapped[bool] = mapped_column(default=False)
    category: Mapped[str | None] = mapped_column(sa.String(30))
    denied_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    result: Mapped[RemittanceClaimResult] = mapped_column(
        enum_column_type(RemittanceClaimResult, "remittance_claim_result"))
    posted_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    posted_adjustment: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    posted_patient_responsibility: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    line_postings: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{line_id, paid}]
    is_reversed: Mapped[bool] = mapped_column(default=False)  # a later CLP02=22 took it back
    denial_item_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    unknown_codes: Mapped[list] = mapped_column(sa.JSON, default=list)  # ["CARC 999", ...]
    segment: Mapped[int] = mapped_column(default=0)  # CLP position in the file
    message: Mapped[str | None] = mapped_column(sa.String(300))
    # Why a person must look at it: held (result "review", nothing posted) or posted but
    # flagged (charge or patient differs). Rule: domain/remittance_matching.py.
    review_reason: Mapped[str | None] = mapped_column(sa.String(300))

    remittance: Mapped[Remittance] = relationship(back_populates="claims")
    claim: Mapped[Claim | None] = relationship()
    adjustments: Mapped[list["RemittanceAdjustment"]] = relationship(
        back_populates="remittance_claim", order_by="RemittanceAdjustment.id",
        cascade="all, delete-orphan")


class RemittanceAdjustment(Base):
    """One CAS triplet at claim or line level, as received."""

    __tablename__ = "remittance_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_claim_id: Mapped[int] = mapped_column(
        sa.ForeignKey("remittance_claims.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(sa.String(5))  # claim | line
    procedure: Mapped[str | None] = mapped_column(sa.String(48))
    claim_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claim_lines.id"))
    group_code: Mapped[str] = mapped_column(sa.String(2))
    reason: Mapped[str] = mapped_column(sa.String(10))
    amount: Mapped[Decimal] = mapped_column(Money)
    quantity: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3))
    is_known_reason: Mapped[bool] = mapped_column(default=True)

    remittance_claim: Mapped[RemittanceClaim] = relationship(back_populates="adjustments")


class ProviderAdjustment(Base):
    """One PLB reason/amount pair (positive: money taken back from the provider)."""

    __tablename__ = "provider_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("remittances.id", ondelete="CASCADE"), index=True)
    provider_identifier: Mapped[str] = mapped_column(sa.String(50), default="")
    fiscal_period: Mapped[date | None]
    reason: Mapped[str] = mapped_column(sa.String(2))
    reference: Mapped[str] = mapped_column(sa.String(50), default="")
    amount: Mapped[Decimal] = mapped_column(Money)

    remittance: Mapped[Remittance] = relationship(back_populates="provider_adjustments")
