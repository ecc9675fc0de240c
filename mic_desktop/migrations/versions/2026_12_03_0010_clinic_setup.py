"""clinic set-up: modalities managed, round-the-clock rooms, closures, check-in window

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "modality",
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
    )
    # closes_at 00:00 is midnight at the end of the day (00:00-00:00: open 24 hours).
    op.drop_constraint(op.f("ck_room_opening_hours_period"), "room_opening_hours", type_="check")
    op.create_check_constraint(
        op.f("ck_room_opening_hours_period"),
        "room_opening_hours",
        "closes_at > opens_at OR closes_at = '00:00'",
    )
    op.create_table(
        "closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("last_day >= first_day", name=op.f("ck_closure_days")),
        sa.ForeignKeyConstraint(
            ["room_id"], ["room.id"], name=op.f("fk_closure_room_id_room"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure")),
    )
    op.create_index(op.f("ix_closure_first_day"), "closure", ["first_day"])
    op.add_column(
        "clinic_settings",
        sa.Column(
            "check_in_minutes_before",
            sa.Integer(),
            nullable=False,
            server_default=sa.text("120"),
        ),
    )
    op.create_check_constraint(
        op.f("ck_clinic_settings_check_in_window"),
        "clinic_settings",
        "check_in_minutes_before BETWEEN 0 AND 1440",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_clinic_settings_check_in_window"), "clinic_settings", type_="check")
    op.drop_column("clinic_settings", "check_in_minutes_before")
    op.drop_index(op.f("ix_closure_first_day"), table_name="closure")
    op.drop_table("closure")
    op.execute("DELETE FROM room_opening_hours WHERE closes_at = '00:00'")
    op.drop_constraint(op.f("ck_room_opening_hours_period"), "room_opening_hours", type_="check")
    op.create_check_constraint(
        op.f("ck_room_opening_hours_period"), "room_opening_hours", "closes_at > opens_at"
    )
    op.drop_column("modality", "is_active")
