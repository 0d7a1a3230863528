"""drug catalog and auth ledger

Revision ID: 77a7e92ee0dd
Revises: 8eb702a4c2c6
Create Date: 2026-11-27 22:56:33.140853
"""

import sqlalchemy as sa
from alembic import op

revision = "77a7e92ee0dd"
down_revision = "8eb702a4c2c6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drug_catalog_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hcpcs", sa.String(length=5), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("unit_size", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column(
            "family",
            sa.Enum("chemo", "therapeutic", "hydration", name="drug_family",
                    native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("is_single_dose", sa.Boolean(), nullable=False),
        sa.Column("is_hormonal", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("unit_size > 0",
                           name=op.f("ck_drug_catalog_entries_unit_size_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_catalog_entries")),
        sa.UniqueConstraint("hcpcs", name=op.f("uq_drug_catalog_entries_hcpcs")),
    )
    op.create_table(
        "auth_ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authorization_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("units >= 0", name=op.f("ck_auth_ledger_entries_units_nonneg")),
        sa.ForeignKeyConstraint(
            ["authorization_id"], ["authorizations.id"], ondelete="CASCADE",
            name=op.f("fk_auth_ledger_entries_authorization_id_authorizations"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["infusion_visits.id"], ondelete="CASCADE",
            name=op.f("fk_auth_ledger_entries_visit_id_infusion_visits"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_ledger_entries")),
        sa.UniqueConstraint("authorization_id", "visit_id", "code", name="auth_visit_code"),
    )
    with op.batch_alter_table("auth_ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_ledger_entries_authorization_id"),
                              ["authorization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auth_ledger_entries_visit_id"), ["visit_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_ledger_entries_visit_id"))
        batch_op.drop_index(batch_op.f("ix_auth_ledger_entries_authorization_id"))
    op.drop_table("auth_ledger_entries")
    op.drop_table("drug_catalog_entries")
