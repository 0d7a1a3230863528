"""indexes for amount-sorted and single-payer worklists

Revision ID: e41b7c2d9f60
Revises: 5d2c8e91a7b3
Create Date: 2026-11-28 00:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e41b7c2d9f60"
down_revision = "5d2c8e91a7b3"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_work_items_open_kind_amount": ["kind", "amount", "id"],
    "ix_work_items_open_payer_priority": ["payer_id", "priority_score", "id"],
}


def upgrade() -> None:
    open_ = "is_open = 1" if op.get_bind().dialect.name == "sqlite" else "is_open"
    for name, columns in INDEXES.items():
        op.create_index(name, "work_items", columns, postgresql_where=sa.text(open_),
                        sqlite_where=sa.text(open_))


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="work_items")
