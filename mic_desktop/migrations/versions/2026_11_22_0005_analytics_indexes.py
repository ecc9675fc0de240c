"""analytics: indexes for the manager's dashboard periods

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_payment_received_at", "payment", ["received_at"])
    op.create_index("ix_report_finalised_at", "report", ["finalised_at"])
    op.create_index("ix_patient_feedback_submitted_at", "patient_feedback", ["submitted_at"])


def downgrade() -> None:
    op.drop_index("ix_patient_feedback_submitted_at", table_name="patient_feedback")
    op.drop_index("ix_report_finalised_at", table_name="report")
    op.drop_index("ix_payment_received_at", table_name="payment")
