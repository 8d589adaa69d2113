"""drop the lone asset_uid index of submissions

Every query by asset also names the server, which ix_submissions_server_record serves. On a
new table without statistics, PostgreSQL looked for other versions of a delivered record
through the lone asset_uid index instead, reading every stored row of the form on every
delivery (and for every row a pull inserted).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_asset_uid')


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_asset_uid', ['asset_uid'], unique=False)
