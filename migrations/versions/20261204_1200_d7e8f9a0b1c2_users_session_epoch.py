"""users.session_epoch: a server-side generation number that ends every copied session cookie

Revision ID: d7e8f9a0b1c2
Revises: d7e1a9c3b5f2
Create Date: 2026-12-04 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d7e8f9a0b1c2"
down_revision = "d7e1a9c3b5f2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False,
                                   server_default="0"))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("session_epoch", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
