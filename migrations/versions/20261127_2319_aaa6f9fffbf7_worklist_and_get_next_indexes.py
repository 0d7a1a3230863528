"""worklist and get-next indexes

Revision ID: aaa6f9fffbf7
Revises: c3a1f0d2b4e5
Create Date: 2026-11-27 23:22:04.720085
"""

import sqlalchemy as sa
from alembic import op

revision = 'aaa6f9fffbf7'
down_revision = 'c3a1f0d2b4e5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.create_index('ix_work_items_open_assignee_priority', ['assignee_id', 'priority_score', 'id'], unique=False, postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))
        batch_op.create_index('ix_work_items_open_kind_category_deadline', ['kind', 'category', 'deadline_on'], unique=False, postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))
        batch_op.create_index('ix_work_items_open_kind_payer_priority', ['kind', 'payer_id', 'priority_score', 'id'], unique=False, postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))
        batch_op.create_index('ix_work_items_open_kind_priority', ['kind', 'priority_score', 'id'], unique=False, postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))
        batch_op.create_index('ix_work_items_open_kind_service_date', ['kind', 'service_date'], unique=False, postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))
        batch_op.create_index('ix_work_items_pool_all', ['priority_score', 'id'], unique=False, postgresql_where=sa.text('is_open AND assignee_id IS NULL'), sqlite_where=sa.text('is_open AND assignee_id IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_index('ix_work_items_pool_all', postgresql_where=sa.text('is_open AND assignee_id IS NULL'), sqlite_where=sa.text('is_open AND assignee_id IS NULL'))
        batch_op.drop_index('ix_work_items_open_kind_service_date', postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))
        batch_op.drop_index('ix_work_items_open_kind_priority', postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))
        batch_op.drop_index('ix_work_items_open_kind_payer_priority', postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))
        batch_op.drop_index('ix_work_items_open_kind_category_deadline', postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))
        batch_op.drop_index('ix_work_items_open_assignee_priority', postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))

