"""order files: a failed import's problems as rows (errors_total), files deleted
once an import no longer needs them (file nullable), account languages

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 05:42:20.530063
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_imports = sa.table(
    'order_imports',
    sa.column('id', sa.String(32)),
    sa.column('errors', sa.JSON()),
    sa.column('errors_total', sa.Integer()),
)
_errors = sa.table(
    'order_import_errors',
    sa.column('import_id', sa.String(32)),
    sa.column('position', sa.Integer()),
    sa.column('field', sa.Text()),
    sa.column('description', sa.Text()),
)


def upgrade() -> None:
    op.create_table('account_languages',
    sa.Column('entity_id', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('entity_id', name=op.f('pk_account_languages'))
    )
    op.create_table('order_import_errors',
    sa.Column('import_id', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('field', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['order_imports.id'], name=op.f('fk_order_import_errors_import_id_order_imports')),
    sa.PrimaryKeyConstraint('import_id', 'position', name=op.f('pk_order_import_errors'))
    )
    with op.batch_alter_table('order_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('errors_total', sa.Integer(), server_default='0', nullable=False))
    # The problems of imports that failed before: from the JSON column to rows.
    bind = op.get_bind()
    failed = bind.execute(sa.select(_imports.c.id, _imports.c.errors)).all()
    for import_id, errors in failed:
        if not errors:
            continue
        op.bulk_insert(_errors, [
            {'import_id': import_id, 'position': n, 'field': error.get('field', ''),
             'description': error.get('description', '')}
            for n, error in enumerate(errors)
        ])
        bind.execute(
            _imports.update().where(_imports.c.id == import_id).values(errors_total=len(errors))
        )
    with op.batch_alter_table('order_imports', schema=None) as batch_op:
        batch_op.alter_column('file', existing_type=sa.LargeBinary(), nullable=True)
        batch_op.drop_column('errors')


def downgrade() -> None:
    with op.batch_alter_table('order_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('errors', sa.JSON(), nullable=False, server_default='[]'))
    op.execute("UPDATE order_imports SET file = '' WHERE file IS NULL")
    with op.batch_alter_table('order_imports', schema=None) as batch_op:
        batch_op.alter_column('file', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('errors_total')
    op.drop_table('order_import_errors')
    op.drop_table('account_languages')
