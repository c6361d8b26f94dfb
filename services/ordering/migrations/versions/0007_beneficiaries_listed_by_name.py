"""beneficiaries listed by name from an index (a page stops after its rows instead of sorting them all)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.create_index(
            'ix_beneficiaries_entity_by_name',
            ['entity_id', 'last_name', 'first_name', 'id'],
            unique=False,
            sqlite_where=sa.text('deleted_at IS NULL'),
            postgresql_where=sa.text('deleted_at IS NULL'),
        )


def downgrade() -> None:
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.drop_index('ix_beneficiaries_entity_by_name')
