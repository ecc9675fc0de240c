"""backups: the record of each backup and its verification

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "backup_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled_day", sa.Date(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workstation", sa.String(length=100), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("server_version", sa.String(length=80), nullable=True),
        sa.Column("tools", sa.Text(), nullable=True),
        sa.Column("dump_seconds", sa.Float(), nullable=True),
        sa.Column("verify_seconds", sa.Float(), nullable=True),
        sa.Column("verified_on", sa.Text(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("contents", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('manual', 'scheduled')", name=op.f("ck_backup_record_kind")),
        sa.CheckConstraint(
            "status IN ('running', 'verified', 'failed')", name=op.f("ck_backup_record_status")
        ),
        sa.CheckConstraint(
            "kind = 'scheduled' OR scheduled_day IS NULL",
            name=op.f("ck_backup_record_scheduled_day"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name=op.f("fk_backup_record_staff_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_record")),
    )
    op.create_index("ix_backup_record_started_at", "backup_record", ["started_at"])
    op.create_index(
        "ux_backup_record_scheduled_day",
        "backup_record",
        ["scheduled_day"],
        unique=True,
        postgresql_where=sa.text("scheduled_day IS NOT NULL AND status <> 'failed'"),
    )
    op.add_column(
        "clinic_settings",
        sa.Column("backup_folder", sa.Text(), server_default="", nullable=False),
    )
    op.add_column(
        "clinic_settings",
        sa.Column("backup_time", sa.Time(), server_default=sa.text("'22:00'"), nullable=False),
    )
    op.add_column(
        "clinic_settings",
        sa.Column("backup_keep", sa.Integer(), server_default=sa.text("14"), nullable=False),
    )
    op.add_column(
        "clinic_settings",
        sa.Column("backup_schedule_since", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_check_constraint(
        op.f("ck_clinic_settings_backup_keep"), "clinic_settings", "backup_keep BETWEEN 1 AND 365"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_clinic_settings_backup_keep"), "clinic_settings", type_="check")
    for column in ("backup_schedule_since", "backup_keep", "backup_time", "backup_folder"):
        op.drop_column("clinic_settings", column)
    op.drop_index("ux_backup_record_scheduled_day", table_name="backup_record")
    op.drop_index("ix_backup_record_started_at", table_name="backup_record")
    op.drop_table("backup_record")
