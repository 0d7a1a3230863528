"""partial indexes spelled as queries render them

Queries filter on the bare ``is_open`` column, which PostgreSQL renders ``is_open`` and SQLite
``is_open = 1``; a partial index is only used when the query repeats its predicate. This
re-creates the SQLite partial indexes with ``is_open = 1`` and turns the four full indexes that
led with ``is_open`` into partial indexes over open items on both backends.

Revision ID: 5d2c8e91a7b3
Revises: 17b43fc96d94
Create Date: 2026-11-27 23:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5d2c8e91a7b3"
down_revision = "17b43fc96d94"
branch_labels = None
depends_on = None

OPEN = {"postgresql": "is_open", "sqlite": "is_open = 1"}

# name: (table, columns, extra predicate)
PARTIAL = {
    "ix_work_items_pool": ("work_items", ["kind", "priority_score", "id"], "assignee_id IS NULL"),
    "ix_work_items_pool_all": ("work_items", ["priority_score", "id"], "assignee_id IS NULL"),
    "ix_work_items_open_kind_priority": ("work_items", ["kind", "priority_score", "id"], None),
    "ix_work_items_open_assignee_priority": (
        "work_items", ["assignee_id", "priority_score", "id"], None),
    "ix_work_items_open_kind_payer_priority": (
        "work_items", ["kind", "payer_id", "priority_score", "id"], None),
    "ix_work_items_open_kind_category_deadline": (
        "work_items", ["kind", "category", "deadline_on"], None),
    "ix_work_items_open_kind_service_date": ("work_items", ["kind", "service_date"], None),
    "ix_work_items_claimed_touched": ("work_items", ["last_touched_at"], "claimed_at IS NOT NULL"),
    "ix_work_items_open_deadline": ("work_items", ["deadline_kind", "deadline_on"], None),
}
# Full indexes that led with is_open, and the partial ones that replace them.
FULL_BEFORE = {
    "ix_work_items_open_priority": ["is_open", "priority_score", "id"],
    "ix_work_items_open_kind_status": ["is_open", "kind", "status"],
    "ix_work_items_open_due": ["is_open", "due_on"],
    "ix_work_items_assignee_open": ["assignee_id", "is_open", "due_on"],
}
PARTIAL_AFTER = {
    "ix_work_items_open_priority": ["priority_score", "id"],
    "ix_work_items_open_kind_status": ["kind", "status"],
    "ix_work_items_open_due": ["due_on"],
    "ix_work_items_assignee_open": ["assignee_id", "due_on"],
}


def _where(dialect: str, also: str | None) -> dict:
    open_ = OPEN.get(dialect, "is_open")
    text = sa.text(f"{open_} AND {also}" if also else open_)
    return {"postgresql_where": text, "sqlite_where": text}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name, (table, columns, also) in PARTIAL.items():
            op.drop_index(name, table_name=table)
            op.create_index(name, table, columns, **_where(dialect, also))
    for name, columns in PARTIAL_AFTER.items():
        op.drop_index(name, table_name="work_items")
        op.create_index(name, "work_items", columns, **_where(dialect, None))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, columns in FULL_BEFORE.items():
        op.drop_index(name, table_name="work_items")
        op.create_index(name, "work_items", columns)
    if dialect == "sqlite":
        for name, (table, columns, also) in PARTIAL.items():
            op.drop_index(name, table_name=table)
            where = sa.text(f"is_open AND {also}" if also else "is_open")
            op.create_index(name, table, columns, sqlite_where=where)
