"""Remitted claims held for review (a payer the claim was not billed to) or flagged

Revision ID: 9a7e5c3b1d20
Revises: c4d2e3f5a6b7
Create Date: 2026-11-28 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "9a7e5c3b1d20"
down_revision = "c4d2e3f5a6b7"
branch_labels = None
depends_on = None

_CHECK = "ck_remittance_claims_remittance_claim_result"
_BEFORE = ("posted", "reversal", "unmatched", "error")
_AFTER = (*_BEFORE, "review")


def _allow(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{v}'" for v in values)
    with op.batch_alter_table("remittance_claims", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(_CHECK), f"result IN ({listed})")


def upgrade() -> None:
    with op.batch_alter_table("remittance_claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_reason", sa.String(length=300), nullable=True))
    _allow(_AFTER)


def downgrade() -> None:
    # Held rows become unmatched-for-review rows: the closest the old values can say.
    op.execute("UPDATE remittance_claims SET result = 'unmatched' WHERE result = 'review'")
    _allow(_BEFORE)
    with op.batch_alter_table("remittance_claims", schema=None) as batch_op:
        batch_op.drop_column("review_reason")
