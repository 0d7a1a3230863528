"""import_lines: every problem and row of an import, for its downloads (bounded reports)

Revision ID: e8f9a0b1c2d3
Revises: d7e8f9a0b1c2
Create Date: 2026-12-04 12:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e8f9a0b1c2d3"
down_revision = "d7e8f9a0b1c2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("problem", "row", name="import_line_kind", native_enum=False,
                                  create_constraint=True), nullable=False),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=True),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["import_run_id"], ["import_runs.id"],
                                name=op.f("fk_import_lines_import_run_id_import_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_lines")),
    )
    op.create_index(op.f("ix_import_lines_import_run_id"), "import_lines", ["import_run_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_import_lines_import_run_id"), table_name="import_lines")
    op.drop_table("import_lines")
