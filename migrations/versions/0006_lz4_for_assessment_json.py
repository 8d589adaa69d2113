"""lz4 for the scores' big JSON columns on PostgreSQL

A tier's explanation is ~9 KB of JSON (every criterion in both languages), and a district's
year is ~30,000 of them. PostgreSQL compressed each with its default, pglz: measured here,
inserting a year's explanations took 11-13 s with pglz and 4-6 s with lz4, for the same size
on disk. Only where the server was built with lz4 (PostgreSQL 14 and later, as Debian's);
elsewhere, and on SQLite, nothing changes. Rows already stored keep their compression until
they are rewritten (the next re-score). A dump of such a database restores only onto a
server that has lz4 too (pg_dump writes the columns' SET COMPRESSION lz4).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (('tier_assessments', 'explanation'), ('risk_assessments', 'details'))


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return False
    # The setting exists from PostgreSQL 14; lz4 is among its values if the server has it.
    found = bind.execute(
        sa.text(
            "SELECT 1 FROM pg_settings "
            "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
        )
    ).first()
    return found is not None


def _set(method: str) -> None:
    if _lz4_available():
        for table, column in COLUMNS:
            op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}')


def upgrade() -> None:
    _set('lz4')


def downgrade() -> None:
    _set('DEFAULT')  # back to following the server's default_toast_compression, as before
