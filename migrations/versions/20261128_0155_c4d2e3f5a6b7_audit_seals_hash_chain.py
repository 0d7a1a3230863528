"""audit seals: hash-chained seals over ranges of audit events

Revision ID: c4d2e3f5a6b7
Revises: b3f1c2d4e5a6
Create Date: 2026-11-28 01:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c4d2e3f5a6b7"
down_revision = "b3f1c2d4e5a6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_seals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("rows_digest", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("encoding", sa.Integer(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("last_id >= first_id", name=op.f("ck_audit_seals_range_ordered")),
        sa.CheckConstraint("row_count >= 1", name=op.f("ck_audit_seals_row_count_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_seals")),
        sa.UniqueConstraint("first_id", name=op.f("uq_audit_seals_first_id")),
    )


def downgrade() -> None:
    op.drop_table("audit_seals")
