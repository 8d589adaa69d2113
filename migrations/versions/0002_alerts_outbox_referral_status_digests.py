"""alerts outbox, referral status, digests

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

The recipients, alerts and deliveries tables of 0001 were placeholders nothing wrote to (no
command or job created a row): they are replaced rather than altered, which keeps the migration
the same on SQLite and PostgreSQL. Rows put there some other way stop the upgrade instead.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from core.store.migrate import refuse_to_drop_rows

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TS = sa.DateTime(timezone=True)


def _drop_placeholders() -> None:
    refuse_to_drop_rows(op.get_bind(), "0002", ("deliveries", "alerts", "recipients"))
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_alert_id")
    op.drop_table("deliveries")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_desa_code")
    op.drop_table("alerts")
    with op.batch_alter_table("recipients") as batch:
        batch.drop_index("ix_recipients_wilayah_code")
    op.drop_table("recipients")


def upgrade() -> None:
    _drop_placeholders()
    op.create_table(
        "recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("wilayah_code", sa.String(length=13), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index("ix_recipients_wilayah_code", "recipients", ["wilayah_code"])
    op.create_table(
        "alerts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("finding_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("desa_code", sa.String(length=13), nullable=False),
        sa.Column("rw", sa.String(length=5), nullable=True),
        sa.Column("rt", sa.String(length=5), nullable=True),
        sa.Column("family_id", BIG_ID, nullable=True),
        sa.Column("imp_code", sa.String(length=40), nullable=True),
        sa.Column("submission_id", BIG_ID, nullable=True),
        sa.Column("text_id", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("referral", sa.String(length=20), nullable=True),
        sa.Column("referral_by", sa.String(length=120), nullable=True),
        sa.Column("referral_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["family_id"], ["families.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alerts_finding", "alerts", ["finding_key", "created_at"])
    op.create_index("ix_alerts_kind", "alerts", ["kind"])
    op.create_index("ix_alerts_desa_code", "alerts", ["desa_code"])
    op.create_index("ix_alerts_family_id", "alerts", ["family_id"])
    op.create_table(
        "alert_status_changes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("alert_id", BIG_ID, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_status_changes_alert_id", "alert_status_changes", ["alert_id"])
    op.create_table(
        "digests",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("text_id", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recipient_id", "week"),
    )
    op.create_index("ix_digests_recipient_id", "digests", ["recipient_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("alert_id", BIG_ID, nullable=True),
        sa.Column("digest_id", BIG_ID, nullable=True),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"]),
        sa.ForeignKeyConstraint(["digest_id"], ["digests.id"]),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alert_id", "recipient_id"),
        sa.UniqueConstraint("digest_id", "recipient_id"),
    )
    op.create_index("ix_deliveries_alert_id", "deliveries", ["alert_id"])
    op.create_index("ix_deliveries_digest_id", "deliveries", ["digest_id"])
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    raise NotImplementedError("0002 replaced placeholder tables: restore a backup instead")
