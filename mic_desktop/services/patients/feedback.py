"""Patient feedback after a completed visit: one per appointment, ratings from 1 to 5.

The kiosk shows only :class:`FeedbackVisit` (the patient's first name, the scan and
the day) so no other patient's data reaches the screen the patient touches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mic_desktop.models import Appointment, AppointmentStatus, PatientFeedback
from mic_desktop.services import audit
from mic_desktop.services.base import ClinicService
from mic_desktop.services.errors import NotFoundError, ServiceError, ValidationError
from mic_desktop.services.text_checks import NOTES_MAX, check_text

MAX_COMMENT_LENGTH = NOTES_MAX


class FeedbackRefusedError(ServiceError):
    """The visit is not completed, or it already has its feedback."""


@dataclass(frozen=True)
class FeedbackVisit:
    """What the kiosk may show about the visit being rated."""

    appointment_id: int
    first_name: str
    scan_name: str
    visit_start: dt.datetime
    already_given: bool


@dataclass(frozen=True)
class FeedbackInput:
    overall: int
    professionalism: int
    cleanliness: int
    report_clarity: int | None  # None: no report seen yet
    would_recommend: bool
    comments: str = ""


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    appointment_id: int
    overall: int
    professionalism: int
    cleanliness: int
    report_clarity: int | None
    would_recommend: bool
    comments: str
    submitted_at: dt.datetime


class FeedbackService(ClinicService):
    def visit(self, appointment_id: int) -> FeedbackVisit:
        """The visit the kiosk opens for; refused unless it is completed."""
        with self._sessions() as session:
            appointment = self._completed(session, appointment_id)
            given = session.scalar(
                select(PatientFeedback.id).where(PatientFeedback.appointment_id == appointment_id)
            )
            return FeedbackVisit(
                appointment_id=appointment.id,
                first_name=appointment.patient.first_name,
                scan_name=appointment.scan_type.name,
                visit_start=appointment.start_at,
                already_given=given is not None,
            )

    def submit(self, appointment_id: int, answers: FeedbackInput) -> FeedbackRecord:
        """Save the patient's feedback; a second one for the same visit is refused."""
        ratings = {
            "overall": answers.overall,
            "professionalism": answers.professionalism,
            "cleanliness": answers.cleanliness,
            "report_clarity": answers.report_clarity,
        }
        for field, value in ratings.items():
            if value is None and field == "report_clarity":
                continue
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                raise ValidationError("Choose a rating from 1 to 5.", field)
        comments = check_text(
            (answers.comments or "").strip(), "comments", "The comment", MAX_COMMENT_LENGTH
        )
        refusal = FeedbackRefusedError("Feedback for this visit has already been given. Thank you!")
        with self._sessions.begin() as session:
            appointment = self._completed(session, appointment_id)
            exists = session.scalar(
                select(PatientFeedback.id).where(PatientFeedback.appointment_id == appointment_id)
            )
            if exists is not None:
                raise refusal
            row = PatientFeedback(
                appointment_id=appointment.id,
                **ratings,
                would_recommend=bool(answers.would_recommend),
                comments=comments,
                submitted_at=self._clock(),
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError:  # the same visit submitted on another screen just now
                raise refusal from None
            audit.record(
                session,
                "feedback_submitted",
                staff_id=self._actor.id,
                username=self._actor.username,
                entity="appointment",
                entity_id=appointment.id,
                details={"feedback": row.id},
                workstation=self._workstation,
            )
            return FeedbackRecord(
                id=row.id,
                appointment_id=row.appointment_id,
                overall=row.overall,
                professionalism=row.professionalism,
                cleanliness=row.cleanliness,
                report_clarity=row.report_clarity,
                would_recommend=row.would_recommend,
                comments=row.comments,
                submitted_at=row.submitted_at,
            )

    @staticmethod
    def _completed(session: Session, appointment_id: int) -> Appointment:
        appointment = session.get(Appointment, appointment_id)
        if appointment is None:
            raise NotFoundError("This appointment no longer exists.")
        if appointment.status != AppointmentStatus.COMPLETED.value:
            raise FeedbackRefusedError("Feedback can be given only after a completed visit.")
        return appointment
