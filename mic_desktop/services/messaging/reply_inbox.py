"""Patients' replies as reception reads them: the unread ones and those of an appointment.

A reply that needs a person (free text, a CANCEL that opted the patient out, a
number no patient has) stays unread until someone at the desk marks it read; the
toolbar shows how many there are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update

from mic_desktop.models import Appointment, Patient, SmsReply
from mic_desktop.services.base import ClinicService
from mic_desktop.services.errors import NotFoundError
from mic_desktop.services.live import LiveChannel, notify

ACTION_LABELS = {
    "confirmed": "Confirmed by reply",
    "already_confirmed": "Confirmed again",
    "cancelled": "Cancelled by reply",
    "opted_out": "Opted out of SMS",
    "opted_in": "Opted in to SMS",
    "offer_taken": "Took a waitlist slot",
    "offer_too_late": "Waitlist slot already taken",
    "other": "Reply to read",
    "no_appointment": "No appointment to act on",
    "unknown_sender": "Unknown number",
}


@dataclass(frozen=True)
class ReplyLine:
    id: int
    received_at: dt.datetime
    from_number: str
    body: str
    action: str
    note: str | None
    patient_id: int | None
    patient_name: str | None
    appointment_id: int | None
    appointment_reference: str | None
    is_read: bool

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


class ReplyInbox(ClinicService):
    """Reading and marking patients' replies."""

    def unread_count(self) -> int:
        with self._sessions() as session:
            return int(
                session.scalar(select(func.count(SmsReply.id)).where(SmsReply.read_at.is_(None)))
                or 0
            )

    def unread(self, limit: int = 200) -> list[ReplyLine]:
        """Unread replies, oldest first."""
        return self._lines(SmsReply.read_at.is_(None), limit, newest_first=False)

    def for_appointment(self, appointment_id: int) -> list[ReplyLine]:
        """Every reply matched to the appointment, newest first."""
        return self._lines(SmsReply.appointment_id == appointment_id, 50, newest_first=True)

    def mark_read(self, reply_id: int) -> None:
        with self._sessions.begin() as session:
            row = session.execute(
                update(SmsReply)
                .where(SmsReply.id == reply_id)
                .values(
                    read_at=func.coalesce(SmsReply.read_at, self._clock()),
                    read_by_id=func.coalesce(
                        SmsReply.read_by_id, self._actor.id if self._actor else None
                    ),
                )
                .returning(SmsReply.appointment_id)
            ).first()
            if row is None:
                raise NotFoundError("This reply no longer exists.")
            self._audit_change(session, "sms_reply_read", "sms_reply", reply_id)
            notify(session, LiveChannel.OUTBOX, row.appointment_id or 0)

    def _lines(self, condition: object, limit: int, *, newest_first: bool) -> list[ReplyLine]:
        order = SmsReply.received_at.desc() if newest_first else SmsReply.received_at
        with self._sessions() as session:
            rows = session.execute(
                select(SmsReply, Patient.first_name, Patient.last_name, Appointment.reference)
                .outerjoin(Patient, Patient.id == SmsReply.patient_id)
                .outerjoin(Appointment, Appointment.id == SmsReply.appointment_id)
                .where(condition)  # type: ignore[arg-type]
                .order_by(order, SmsReply.id)
                .limit(limit)
            ).all()
        return [
            ReplyLine(
                id=reply.id,
                received_at=reply.received_at,
                from_number=reply.from_number,
                body=reply.body,
                action=reply.action,
                note=reply.note,
                patient_id=reply.patient_id,
                patient_name=f"{first} {last}" if first is not None else None,
                appointment_id=reply.appointment_id,
                appointment_reference=reference,
                is_read=reply.read_at is not None,
            )
            for reply, first, last, reference in rows
        ]
