"""Patient feedback after a completed visit (one per appointment)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from mic_desktop.models.base import Base, created_at_column

RATING_COLUMNS = ("overall", "professionalism", "cleanliness", "report_clarity")


class PatientFeedback(Base):
    __tablename__ = "patient_feedback"
    __table_args__ = (
        *(CheckConstraint(f"{name} BETWEEN 1 AND 5", name=name) for name in RATING_COLUMNS),
        Index("ix_patient_feedback_submitted_at", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), unique=True)
    overall: Mapped[int] = mapped_column(SmallInteger)
    professionalism: Mapped[int] = mapped_column(SmallInteger)
    cleanliness: Mapped[int] = mapped_column(SmallInteger)
    report_clarity: Mapped[int | None] = mapped_column(SmallInteger)
    would_recommend: Mapped[bool]
    comments: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime] = created_at_column()
