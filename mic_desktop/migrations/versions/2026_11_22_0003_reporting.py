"""reporting: worklist claims, report documents and access additions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Who saved a report last and when, for "changed by X at T; reload" messages.
    op.add_column(
        "report",
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.add_column("report", sa.Column("updated_by_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_report_updated_by_id_staff_user"),
        "report",
        "staff_user",
        ["updated_by_id"],
        ["id"],
    )
    # The worklist: open reports, and completed scans checked for a missing report row.
    op.create_index(
        "ix_report_open",
        "report",
        ["appointment_id"],
        postgresql_where=sa.text("status IN ('pending', 'in_progress')"),
    )
    op.create_index(
        "ix_appointment_completed",
        "appointment",
        ["id"],
        postgresql_where=sa.text("status = 'completed'"),
    )


def downgrade() -> None:
    op.drop_index("ix_appointment_completed", table_name="appointment")
    op.drop_index("ix_report_open", table_name="report")
    op.drop_constraint(op.f("fk_report_updated_by_id_staff_user"), "report", type_="foreignkey")
    op.drop_column("report", "updated_by_id")
    op.drop_column("report", "updated_at")
