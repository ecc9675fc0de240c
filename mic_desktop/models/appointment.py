"""Appointments, their status history and the referral letters attached to them.

Double booking is impossible in the database: an exclusion constraint over
``(room_id, tstzrange(start_at, end_at))`` for appointments that still hold their slot.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mic_desktop.models.base import Base, Money, created_at_column, enum_check
from mic_desktop.models.facility import Room, ScanType
from mic_desktop.models.patient import Patient, ReferringDoctor


class AppointmentStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    ARRIVED = "arrived"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return {"in_progress": "In scan", "no_show": "No-show"}.get(
            self.value, self.value.capitalize()
        )


# Statuses that no longer hold a room's time.
SLOT_RELEASING_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)


class Urgency(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"


class Appointment(Base):
    __tablename__ = "appointment"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="period"),
        CheckConstraint(f"status IN ({enum_check(AppointmentStatus)})", name="status"),
        CheckConstraint(f"urgency IN ({enum_check(Urgency)})", name="urgency"),
        ExcludeConstraint(
            ("room_id", "="),
            (literal_column("tstzrange(start_at, end_at, '[)')"), "&&"),
            name="appointment_no_double_booking",
            using="gist",
            where="status NOT IN ('cancelled', 'no_show')",
        ),
        Index("ix_appointment_start_at", "start_at"),
        Index("ix_appointment_patient_start", "patient_id", "start_at"),
        Index("ix_appointment_radiologist_start", "radiologist_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    scan_type_id: Mapped[int] = mapped_column(ForeignKey("scan_type.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"))
    radiologist_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    referring_doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("referring_doctor.id"), index=True
    )
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(20), default=AppointmentStatus.PENDING.value)
    urgency: Mapped[str] = mapped_column(String(10), default=Urgency.ROUTINE.value)
    clinical_notes: Mapped[str] = mapped_column(Text, default="")
    preauthorisation_number: Mapped[str | None] = mapped_column(String(40))
    # The money as quoted at booking; later price changes do not touch it.
    price: Mapped[Money]
    medical_aid_plan_id: Mapped[int | None] = mapped_column(ForeignKey("medical_aid_plan.id"))
    medical_aid_cover: Mapped[Money] = mapped_column(default=0)
    patient_copay: Mapped[Money]
    checked_in_at: Mapped[dt.datetime | None]
    scan_started_at: Mapped[dt.datetime | None]
    scan_completed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    is_late_cancellation: Mapped[bool] = mapped_column(default=False)
    cancellation_authorised_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    # The SEQUENCE of the appointment's calendar event (.ics): up by one at every move.
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # DICOM Study Instance UID, made once by the database (under the clinic's UID root).
    study_instance_uid: Mapped[str] = mapped_column(
        String(64), unique=True, server_default=text("mic_study_instance_uid()")
    )
    version: Mapped[int] = mapped_column(default=1)

    patient: Mapped[Patient] = relationship()
    scan_type: Mapped[ScanType] = relationship()
    room: Mapped[Room] = relationship()
    referring_doctor: Mapped[ReferringDoctor | None] = relationship()
    history: Mapped[list[AppointmentStatusChange]] = relationship(
        back_populates="appointment", order_by="AppointmentStatusChange.changed_at"
    )

    __mapper_args__ = {"version_id_col": version}


class AppointmentStatusChange(Base):
    """Who moved an appointment from one status to another, and when."""

    __tablename__ = "appointment_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    changed_at: Mapped[dt.datetime] = created_at_column()
    reason: Mapped[str | None] = mapped_column(Text)
    workstation: Mapped[str | None] = mapped_column(String(64))
    # A move reported by a scanner over DICOM (MPPS): "CT 1 (CT1)", room and AE title.
    changed_by_modality: Mapped[str | None] = mapped_column(String(120))

    appointment: Mapped[Appointment] = relationship(back_populates="history")


class AppointmentAttachment(Base):
    """A referral letter (PDF or image) stored in the database for every workstation."""

    __tablename__ = "appointment_attachment"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    uploaded_at: Mapped[dt.datetime] = created_at_column()
