"""DICOM modality worklist and MPPS

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 11:00:00

The clinic's scanners (AE title, room, host), the MPPS steps they report, the DICOM
settings (service PC, AE title, port, UID root) and a Study Instance UID on every
appointment: made once by the database from the clinic's UID root and a sequence,
filled in here for the appointments that already exist, never changed.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("clinic_settings", sa.Column("dicom_workstation", sa.String(64), nullable=True))
    op.add_column(
        "clinic_settings",
        sa.Column("dicom_ae_title", sa.String(16), nullable=False, server_default="MIC_RIS"),
    )
    op.add_column(
        "clinic_settings",
        sa.Column("dicom_port", sa.Integer(), nullable=False, server_default=sa.text("11112")),
    )
    op.add_column(
        "clinic_settings",
        sa.Column(
            "dicom_allow_any_ae", sa.Boolean(), nullable=False, server_default=sa.text("false")
        ),
    )
    op.add_column("clinic_settings", sa.Column("dicom_uid_root", sa.String(44), nullable=True))
    op.execute(
        sa.text("UPDATE clinic_settings SET dicom_uid_root = :root").bindparams(
            root=f"2.25.{uuid.uuid4().int}"
        )
    )
    op.alter_column("clinic_settings", "dicom_uid_root", nullable=False)
    op.create_check_constraint(
        op.f("ck_clinic_settings_dicom_port"), "clinic_settings", "dicom_port BETWEEN 1 AND 65535"
    )

    op.execute("CREATE SEQUENCE dicom_uid_seq")
    op.execute(
        """
        CREATE FUNCTION mic_study_instance_uid() RETURNS text
        LANGUAGE sql VOLATILE AS $$
            SELECT (SELECT dicom_uid_root FROM clinic_settings WHERE id = 1)
                   || '.1.' || nextval('dicom_uid_seq')::text
        $$
        """
    )
    op.add_column("appointment", sa.Column("study_instance_uid", sa.String(64), nullable=True))
    op.execute("UPDATE appointment SET study_instance_uid = mic_study_instance_uid()")
    op.alter_column(
        "appointment",
        "study_instance_uid",
        nullable=False,
        server_default=sa.text("mic_study_instance_uid()"),
    )
    op.create_unique_constraint(
        op.f("uq_appointment_study_instance_uid"), "appointment", ["study_instance_uid"]
    )
    op.add_column(
        "appointment_status_change",
        sa.Column("changed_by_modality", sa.String(120), nullable=True),
    )

    op.create_table(
        "dicom_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ae_title", sa.String(16), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["room.id"], name=op.f("fk_dicom_device_room_id_room")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dicom_device")),
        sa.UniqueConstraint("ae_title", name=op.f("uq_dicom_device_ae_title")),
    )
    op.create_index(op.f("ix_dicom_device_room_id"), "dicom_device", ["room_id"])

    op.create_table(
        "performed_procedure_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sop_instance_uid", sa.String(64), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("ae_title", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("discontinued_reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('in_progress', 'completed', 'discontinued')",
            name=op.f("ck_performed_procedure_step_status"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_performed_procedure_step_appointment_id_appointment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performed_procedure_step")),
        sa.UniqueConstraint(
            "sop_instance_uid", name=op.f("uq_performed_procedure_step_sop_instance_uid")
        ),
    )
    op.create_index(
        op.f("ix_performed_procedure_step_appointment_id"),
        "performed_procedure_step",
        ["appointment_id"],
    )


def downgrade() -> None:
    op.drop_table("performed_procedure_step")
    op.drop_table("dicom_device")
    op.drop_column("appointment_status_change", "changed_by_modality")
    op.drop_constraint(op.f("uq_appointment_study_instance_uid"), "appointment", type_="unique")
    op.drop_column("appointment", "study_instance_uid")
    op.execute("DROP FUNCTION mic_study_instance_uid()")
    op.execute("DROP SEQUENCE dicom_uid_seq")
    op.drop_constraint(op.f("ck_clinic_settings_dicom_port"), "clinic_settings", type_="check")
    for column in (
        "dicom_uid_root",
        "dicom_allow_any_ae",
        "dicom_port",
        "dicom_ae_title",
        "dicom_workstation",
    ):
        op.drop_column("clinic_settings", column)
