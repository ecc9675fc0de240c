"""What a patient's SMS reply does, inside the transaction that stores it.

The reply is matched by sender number to the patients with that number and their
next appointment (pending or confirmed, not yet started). Keywords, as the reply
invitations ask (never CANCEL: Twilio treats it as an opt-out):

- YES / Y / 1 / CONFIRM: takes a waitlist offer when one is open for the patient
  (:mod:`..scheduling.waitlist_booking`), otherwise confirms the appointment
  "by patient reply";
- C / NO: cancels the appointment "by patient reply" (inside the late window it is a
  late cancellation by the patient, needing no manager), frees its slot for the
  waitlist;
- Twilio's opt-out keywords (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) turn the
  patient's SMS off; a CANCEL also flags the appointment for reception;
  START / UNSTOP turn it back on;
- anything else is an unread reply on the appointment, for reception.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    AppointmentStatusChange,
    Patient,
    ReplyAction,
    SmsReply,
    WaitlistEntry,
)
from mic_desktop.services import audit
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging import notifications
from mic_desktop.services.records import clinic_settings
from mic_desktop.services.scheduling.freed_slots import free_slot
from mic_desktop.services.scheduling.waitlist_booking import answerable_offer, take_offer

S = AppointmentStatus
YES_WORDS = frozenset({"YES", "Y", "1", "CONFIRM"})
CANCEL_WORDS = frozenset({"C", "NO"})
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
CANCEL_KEYWORD_NOTE = (
    "Patient replied CANCEL — opted out of SMS; did they mean to cancel the visit?"
)
REPLY_USER = "(patient reply)"


def keyword(body: str) -> str:
    """The reply as one upper-case word ("yes." -> "YES"), or "" when it is more."""
    words = re.sub(r"[.!,;:\s]+$", "", body.strip()).split()
    return words[0].upper() if len(words) == 1 else ""


def next_appointment(
    session: Session, patient_ids: list[int], now: dt.datetime
) -> Appointment | None:
    """The soonest appointment of these patients still to come (pending or confirmed)."""
    return session.scalars(
        select(Appointment)
        .where(
            Appointment.patient_id.in_(patient_ids),
            Appointment.status.in_((S.PENDING.value, S.CONFIRMED.value)),
            Appointment.start_at > now,
        )
        .order_by(Appointment.start_at, Appointment.id)
        .limit(1)
        .with_for_update(of=Appointment)
    ).first()


def act_on_reply(session: Session, reply: SmsReply, now: dt.datetime, workstation: str) -> None:
    """Set the stored reply's action, patient, appointment and note, and do what it says."""
    patients = session.scalars(
        select(Patient)
        .where(Patient.phone == reply.from_number, Patient.deleted_at.is_(None))
        .order_by(Patient.id)
    ).all()
    word = keyword(reply.body)
    if not patients:
        reply.action = ReplyAction.UNKNOWN_SENDER.value
        reply.note = "No patient has this number."
        return
    ids = [patient.id for patient in patients]
    if word in OPT_OUT_WORDS or word in OPT_IN_WORDS:
        _opt(session, reply, patients, word in OPT_IN_WORDS, now, workstation)
        appointment = next_appointment(session, ids, now)
        reply.appointment_id = appointment.id if appointment else None
        if word == "CANCEL" and appointment is not None:
            reply.note = CANCEL_KEYWORD_NOTE
            reply.read_at = None
        return
    if word in YES_WORDS:
        offer = answerable_offer(session, ids, now)
        if offer is not None:
            answer = take_offer(session, offer, now, workstation)
            reply.patient_id = offer_patient(session, offer.entry_id)
            reply.appointment_id = answer.booked_appointment_id
            reply.action = (
                ReplyAction.OFFER_TAKEN if answer.booked else ReplyAction.OFFER_TOO_LATE
            ).value
            reply.read_at = now
            return
    appointment = next_appointment(session, ids, now)
    reply.patient_id = appointment.patient_id if appointment else ids[0]
    reply.appointment_id = appointment.id if appointment else None
    if word in YES_WORDS | CANCEL_WORDS and appointment is None:
        reply.action = ReplyAction.NO_APPOINTMENT.value
        reply.note = "The patient has no appointment to come."
        return
    if appointment is not None and word in YES_WORDS:
        _confirm(session, reply, appointment, now, workstation)
    elif appointment is not None and word in CANCEL_WORDS:
        _cancel(session, reply, appointment, now, workstation)
    else:
        reply.action = ReplyAction.OTHER.value
    if appointment is not None:
        notify(session, LiveChannel.APPOINTMENT, appointment.id)


def offer_patient(session: Session, entry_id: int) -> int | None:
    entry = session.get(WaitlistEntry, entry_id)
    return entry.patient_id if entry is not None else None


def _opt(
    session: Session,
    reply: SmsReply,
    patients: list[Patient],
    opt_in: bool,
    now: dt.datetime,
    workstation: str,
) -> None:
    reply.action = (ReplyAction.OPTED_IN if opt_in else ReplyAction.OPTED_OUT).value
    reply.patient_id = patients[0].id
    reply.read_at = now
    for patient in patients:
        changed = session.execute(
            update(Patient)
            .where(Patient.id == patient.id, Patient.sms_opt_in.is_(not opt_in))
            .values(sms_opt_in=opt_in, version=Patient.version + 1)
            .returning(Patient.id)
        ).first()
        if changed is None:
            continue
        audit.record(
            session,
            "patient_sms_opt_in" if opt_in else "patient_sms_opt_out",
            username=REPLY_USER,
            entity="patient",
            entity_id=patient.id,
            details={"reply": reply.message_sid, "keyword": keyword(reply.body)},
            workstation=workstation,
        )
        notify(session, LiveChannel.PATIENT, patient.id)


def _history(
    session: Session,
    appointment: Appointment,
    previous: AppointmentStatus,
    target: AppointmentStatus,
    reason: str,
    now: dt.datetime,
    workstation: str,
) -> None:
    session.add(
        AppointmentStatusChange(
            appointment_id=appointment.id,
            from_status=previous.value,
            to_status=target.value,
            changed_at=now,
            reason=reason,
            workstation=workstation,
        )
    )


def _confirm(
    session: Session,
    reply: SmsReply,
    appointment: Appointment,
    now: dt.datetime,
    workstation: str,
) -> None:
    reply.read_at = now
    if appointment.status == S.CONFIRMED.value:
        reply.action = ReplyAction.ALREADY_CONFIRMED.value
        return
    appointment.status = S.CONFIRMED.value
    session.flush()
    _history(session, appointment, S.PENDING, S.CONFIRMED, "by patient reply", now, workstation)
    reply.action = ReplyAction.CONFIRMED.value
    audit.record(
        session,
        "appointment_confirmed",
        username=REPLY_USER,
        entity="appointment",
        entity_id=appointment.id,
        details={"reference": appointment.reference, "reply": reply.message_sid},
        workstation=workstation,
    )


def _cancel(
    session: Session,
    reply: SmsReply,
    appointment: Appointment,
    now: dt.datetime,
    workstation: str,
) -> None:
    hours = clinic_settings(session).late_cancellation_hours
    late = appointment.start_at - now < dt.timedelta(hours=hours)
    previous = S(appointment.status)
    appointment.status = S.CANCELLED.value
    appointment.cancelled_at = now
    appointment.cancellation_reason = "by patient reply" + (" (late)" if late else "")
    appointment.is_late_cancellation = late
    appointment.cancellation_authorised_by_id = None
    session.flush()
    _history(session, appointment, previous, S.CANCELLED, "by patient reply", now, workstation)
    notifications.appointment_cancelled(session, appointment, now=now)
    free_slot(session, appointment, "reply C", now)
    reply.action = ReplyAction.CANCELLED.value
    reply.read_at = now
    audit.record(
        session,
        "appointment_cancelled",
        username=REPLY_USER,
        entity="appointment",
        entity_id=appointment.id,
        details={
            "reference": appointment.reference,
            "reason": "by patient reply",
            "late": late,
            "reply": reply.message_sid,
        },
        workstation=workstation,
    )
