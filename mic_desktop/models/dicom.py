"""The clinic's scanners on the DICOM network and what they report (MPPS).

A :class:`DicomDevice` is a modality the worklist service knows by its AE title and
the room it stands in. A :class:`PerformedProcedureStep` is one MPPS instance a
scanner created for an appointment: in progress, then completed or discontinued.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mic_desktop.models.base import Base, created_at_column, enum_check
from mic_desktop.models.facility import Room


class StepStatus(StrEnum):
    """A performed procedure step's status, as the DICOM value reads (``IN PROGRESS``)."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DISCONTINUED = "discontinued"

    @property
    def dicom(self) -> str:
        return self.value.replace("_", " ").upper()

    @property
    def label(self) -> str:
        return {"in_progress": "started"}.get(self.value, self.value)


class DicomDevice(Base):
    __tablename__ = "dicom_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    ae_title: Mapped[str] = mapped_column(String(16), unique=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), index=True)
    host: Mapped[str | None] = mapped_column(String(255))
    port: Mapped[int | None]
    created_at: Mapped[dt.datetime] = created_at_column()

    room: Mapped[Room] = relationship(lazy="joined")


class PerformedProcedureStep(Base):
    __tablename__ = "performed_procedure_step"
    __table_args__ = (CheckConstraint(f"status IN ({enum_check(StepStatus)})", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sop_instance_uid: Mapped[str] = mapped_column(String(64), unique=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    ae_title: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    discontinued_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
