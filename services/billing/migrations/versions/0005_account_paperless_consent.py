"""account projection: paperless consent and whether online payment requires it
(identity's AccountUpdated fields 7 and 13); accounts known before: neither, until
their next snapshot

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 05:58:03.677284
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('entity_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paperless_consent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('paperless_consent_required', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('entity_accounts', schema=None) as batch_op:
        batch_op.drop_column('paperless_consent_required')
        batch_op.drop_column('paperless_consent')
