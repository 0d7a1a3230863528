"""drug catalog packages (NDC), unit-size provenance, administration service/device/access/NDC,
payers that require NDCs

Revision ID: d7e1a9c3b5f2
Revises: 9a7e5c3b1d20
Create Date: 2026-11-28 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d7e1a9c3b5f2"
down_revision = "9a7e5c3b1d20"
branch_labels = None
depends_on = None

PACKAGE_COMPLETE = (
    "(ndc IS NULL AND package_amount IS NULL AND package_quantity IS NULL"
    " AND package_unit IS NULL) OR (ndc IS NOT NULL AND package_amount > 0"
    " AND package_quantity > 0 AND package_unit IS NOT NULL)"
)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def upgrade() -> None:
    with op.batch_alter_table("drug_catalog_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ndc", sa.String(length=11), nullable=True))
        batch_op.add_column(
            sa.Column("package_amount", sa.Numeric(precision=12, scale=4), nullable=True))
        batch_op.add_column(
            sa.Column("package_quantity", sa.Numeric(precision=12, scale=4), nullable=True))
        batch_op.add_column(sa.Column("package_unit", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=True))
        # Rows already there were entered before anyone recorded a source: unverified.
        batch_op.add_column(sa.Column("unit_source", sa.String(length=200), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("is_unit_verified", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_check_constraint("package_complete", PACKAGE_COMPLETE)
        batch_op.create_check_constraint(
            "package_unit_known", "package_unit IN ('UN', 'ML', 'GR', 'F2', 'ME')")
        batch_op.create_check_constraint("price_nonneg", "price >= 0")
    with op.batch_alter_table("drug_catalog_entries", schema=None) as batch_op:
        batch_op.alter_column("unit_source", server_default=None)
        batch_op.alter_column("is_unit_verified", server_default=None)

    with op.batch_alter_table("administrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "service", _enum("administration_service", "administration", "pump_refill", "flush"),
            nullable=False, server_default="administration"))
        batch_op.add_column(sa.Column(
            "device", _enum("infusion_device", "portable_pump", "implantable_pump"),
            nullable=True))
        batch_op.add_column(sa.Column(
            "access", _enum("vascular_access", "peripheral", "picc", "central_line", "port"),
            nullable=True))
        batch_op.add_column(sa.Column("drug_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("ndc", sa.String(length=20), nullable=True))
    with op.batch_alter_table("administrations", schema=None) as batch_op:
        batch_op.alter_column("service", server_default=None)

    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requires_ndc", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.alter_column("requires_ndc", server_default=None)
    # Medicaid pays no drug line without its NDC (drug rebates, DOMAIN.md 2.4).
    payers = sa.table("payers", sa.column("payer_type", sa.String),
                      sa.column("requires_ndc", sa.Boolean))
    op.execute(payers.update().where(payers.c.payer_type == "medicaid")
               .values(requires_ndc=True))


def downgrade() -> None:
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.drop_column("requires_ndc")
    with op.batch_alter_table("administrations", schema=None) as batch_op:
        # SQLite rebuilds the table: the enums' CHECKs must go before their columns.
        batch_op.drop_constraint("vascular_access", type_="check")
        batch_op.drop_constraint("infusion_device", type_="check")
        batch_op.drop_constraint("administration_service", type_="check")
        batch_op.drop_column("ndc")
        batch_op.drop_column("drug_name")
        batch_op.drop_column("access")
        batch_op.drop_column("device")
        batch_op.drop_column("service")
    with op.batch_alter_table("drug_catalog_entries", schema=None) as batch_op:
        batch_op.drop_constraint("price_nonneg", type_="check")
        batch_op.drop_constraint("package_unit_known", type_="check")
        batch_op.drop_constraint("package_complete", type_="check")
        batch_op.drop_column("is_unit_verified")
        batch_op.drop_column("unit_source")
        batch_op.drop_column("price")
        batch_op.drop_column("package_unit")
        batch_op.drop_column("package_quantity")
        batch_op.drop_column("package_amount")
        batch_op.drop_column("ndc")
