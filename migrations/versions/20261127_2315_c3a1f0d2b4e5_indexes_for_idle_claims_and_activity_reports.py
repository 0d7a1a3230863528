"""indexes for idle claims and activity reports

Revision ID: c3a1f0d2b4e5
Revises: 2b9e6c48f506
Create Date: 2026-11-27 23:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c3a1f0d2b4e5"
down_revision = "2b9e6c48f506"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_work_items_claimed_touched",
        "work_items",
        ["last_touched_at"],
        unique=False,
        postgresql_where=sa.text("is_open AND claimed_at IS NOT NULL"),
        sqlite_where=sa.text("is_open AND claimed_at IS NOT NULL"),
    )
    op.create_index("ix_activities_at", "activities", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_activities_at", table_name="activities")
    op.drop_index("ix_work_items_claimed_touched", table_name="work_items")
