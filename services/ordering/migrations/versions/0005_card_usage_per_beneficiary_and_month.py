"""card usage per beneficiary and month: what cards spent, as operators import
it, shown next to the loads in the statistics

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:01:06.360576
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('card_usage',
    sa.Column('entity_id', sa.String(length=32), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('beneficiary_id', sa.String(length=32), nullable=False),
    sa.Column('employee_number', sa.String(length=32), nullable=False),
    sa.Column('beneficiary_name', sa.String(length=201), nullable=False),
    sa.Column('spent_cents', sa.BigInteger(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('entity_id', 'month', 'beneficiary_id', name=op.f('pk_card_usage'))
    )


def downgrade() -> None:
    op.drop_table('card_usage')
