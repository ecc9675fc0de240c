"""reporting: the report of record and the identity check

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Which document a final report delivers, and typed text kept out of it.
    op.add_column("report", sa.Column("delivery", sa.String(length=30), nullable=True))
    op.add_column("report", sa.Column("private_note", sa.Text(), server_default="", nullable=False))
    op.create_check_constraint(
        op.f("ck_report_delivery"),
        "report",
        "delivery IS NULL OR delivery IN ('report', 'attached_pdf', 'report_with_appendix')",
    )
    # Final reports so far delivered their current PDF when they had one.
    op.execute(
        "UPDATE report SET delivery = CASE WHEN EXISTS (SELECT 1 FROM report_document d"
        " WHERE d.report_id = report.id AND d.is_current) THEN 'attached_pdf' ELSE 'report' END"
        " WHERE status IN ('completed', 'reviewed')"
    )

    # Whether an attached PDF names the patient, and who confirmed it when it does not.
    op.add_column(
        "report_document", sa.Column("identity_check", sa.String(length=20), nullable=True)
    )
    op.add_column(
        "report_document", sa.Column("identity_confirmed_by_id", sa.Integer(), nullable=True)
    )
    op.add_column(
        "report_document",
        sa.Column("identity_confirmed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "report_document", sa.Column("identity_confirmation_reason", sa.Text(), nullable=True)
    )
    op.create_foreign_key(
        op.f("fk_report_document_identity_confirmed_by_id_staff_user"),
        "report_document",
        "staff_user",
        ["identity_confirmed_by_id"],
        ["id"],
    )
    op.create_check_constraint(
        op.f("ck_report_document_identity_check"),
        "report_document",
        "identity_check IS NULL OR identity_check IN ('named', 'not_named', 'other_exam')",
    )
    op.create_check_constraint(
        op.f("ck_report_document_identity_confirmation"),
        "report_document",
        "identity_confirmed_at IS NULL OR (identity_confirmed_by_id IS NOT NULL"
        " AND length(btrim(identity_confirmation_reason)) > 0)",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_report_document_identity_confirmation"), "report_document", type_="check"
    )
    op.drop_constraint(op.f("ck_report_document_identity_check"), "report_document", type_="check")
    op.drop_constraint(
        op.f("fk_report_document_identity_confirmed_by_id_staff_user"),
        "report_document",
        type_="foreignkey",
    )
    for column in (
        "identity_confirmation_reason",
        "identity_confirmed_at",
        "identity_confirmed_by_id",
        "identity_check",
    ):
        op.drop_column("report_document", column)
    op.drop_constraint(op.f("ck_report_delivery"), "report", type_="check")
    op.drop_column("report", "private_note")
    op.drop_column("report", "delivery")
