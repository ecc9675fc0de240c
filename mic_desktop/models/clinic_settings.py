"""The clinic's own settings, shared by every workstation (one row)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Integer, LargeBinary, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from mic_desktop.models.base import Base


class ClinicSettings(Base):
    __tablename__ = "clinic_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("idle_lock_minutes BETWEEN 1 AND 240", name="idle_lock_minutes"),
        CheckConstraint("report_pdf_max_mb BETWEEN 1 AND 200", name="report_pdf_max_mb"),
        CheckConstraint("backup_keep BETWEEN 1 AND 365", name="backup_keep"),
        CheckConstraint("check_in_minutes_before BETWEEN 0 AND 1440", name="check_in_window"),
        CheckConstraint("dicom_port BETWEEN 1 AND 65535", name="dicom_port"),
        CheckConstraint("waitlist_offer_minutes BETWEEN 5 AND 1440", name="waitlist_offer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    name: Mapped[str] = mapped_column(String(120), default="MIC Medical Imaging Centre")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    time_zone: Mapped[str] = mapped_column(String(64), default="Africa/Harare")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    phone_region: Mapped[str] = mapped_column(String(2), default="ZW")
    quiet_hours_start: Mapped[dt.time] = mapped_column(default=dt.time(20, 0))
    quiet_hours_end: Mapped[dt.time] = mapped_column(default=dt.time(7, 0))
    reminder_offsets_hours: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=lambda: [24])
    late_cancellation_hours: Mapped[int] = mapped_column(default=24)
    idle_lock_minutes: Mapped[int] = mapped_column(default=5)
    report_pdf_max_mb: Mapped[int] = mapped_column(default=20)
    report_overdue_hours: Mapped[int] = mapped_column(default=48)
    critical_escalation_minutes: Mapped[int] = mapped_column(default=60)
    # Reception may check a patient in from this many minutes before the start.
    check_in_minutes_before: Mapped[int] = mapped_column(default=120, server_default=text("120"))
    # The daily backup: written at this clinic time into this folder (empty: none), the
    # newest ``backup_keep`` kept; ``backup_schedule_since`` is when it was last set.
    backup_folder: Mapped[str] = mapped_column(Text, default="", server_default="")
    backup_time: Mapped[dt.time] = mapped_column(
        default=dt.time(22, 0), server_default=text("'22:00'")
    )
    backup_keep: Mapped[int] = mapped_column(default=14, server_default=text("14"))
    backup_schedule_since: Mapped[dt.datetime | None]
    # A slot offered to a waitlisted patient waits this long for YES before the next.
    waitlist_offer_minutes: Mapped[int] = mapped_column(default=30, server_default=text("30"))
    # DICOM worklist/MPPS: the PC that runs the service (None: off), its AE title and
    # port, whether unknown calling AE titles are let in, and the root of the UIDs made.
    dicom_workstation: Mapped[str | None] = mapped_column(String(64))
    dicom_ae_title: Mapped[str] = mapped_column(
        String(16), default="MIC_RIS", server_default="MIC_RIS"
    )
    dicom_port: Mapped[int] = mapped_column(default=11112, server_default=text("11112"))
    dicom_allow_any_ae: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    dicom_uid_root: Mapped[str] = mapped_column(String(44), default=lambda: new_uid_root())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


def new_uid_root() -> str:
    """A DICOM UID root of the clinic's own, derived from a random UUID (``2.25.<int>``)."""
    return f"2.25.{uuid.uuid4().int}"
