"""missed deadlines: work_items.is_deadline_missed, out of the get-next pool

An item whose outside deadline passed while it still binds waits for a decision in its own
view instead of topping worklists and Get next. The get-next pool indexes leave such items out,
and two new partial indexes serve the "Deadline missed" view and the sweep that marks them.
Existing rows start unmarked; the sweep (every five minutes) marks and rescores them.

Revision ID: d7a1e5b3c9f2
Revises: e8f9a0b1c2d3
Create Date: 2026-12-05 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d7a1e5b3c9f2"
down_revision = "e8f9a0b1c2d3"
branch_labels = None
depends_on = None

OPEN = {"postgresql": "is_open", "sqlite": "is_open = 1"}
LIVE = {"postgresql": "NOT is_deadline_missed", "sqlite": "is_deadline_missed = 0"}
MISSED = {"postgresql": "is_deadline_missed", "sqlite": "is_deadline_missed = 1"}

POOL = {
    "ix_work_items_pool": ["kind", "priority_score", "id"],
    "ix_work_items_pool_all": ["priority_score", "id"],
}


def _where(predicate: str) -> dict:
    return {"postgresql_where": sa.text(predicate), "sqlite_where": sa.text(predicate)}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    open_ = OPEN.get(dialect, "is_open")
    op.add_column("work_items", sa.Column("is_deadline_missed", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    if dialect != "sqlite":  # SQLite keeps the default: dropping it means rebuilding the table
        op.alter_column("work_items", "is_deadline_missed", server_default=None)
    for name, columns in POOL.items():
        op.drop_index(name, table_name="work_items")
        op.create_index(name, "work_items", columns,
                        **_where(f"{open_} AND assignee_id IS NULL AND {LIVE[dialect]}"))
    op.create_index("ix_work_items_missed", "work_items", ["priority_score", "id"],
                    **_where(f"{open_} AND {MISSED[dialect]}"))
    op.create_index("ix_work_items_live_deadline", "work_items", ["deadline_on"],
                    **_where(f"{open_} AND {LIVE[dialect]}"))


def downgrade() -> None:
    open_ = OPEN.get(op.get_bind().dialect.name, "is_open")
    op.drop_index("ix_work_items_live_deadline", table_name="work_items")
    op.drop_index("ix_work_items_missed", table_name="work_items")
    for name, columns in POOL.items():
        op.drop_index(name, table_name="work_items")
        op.create_index(name, "work_items", columns,
                        **_where(f"{open_} AND assignee_id IS NULL"))
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild would lose the partial indexes.
    op.drop_column("work_items", "is_deadline_missed")
