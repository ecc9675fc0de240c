"""A waitlisted patient's YES: book the offered slot, or say it has been taken.

The first YES books it; the database makes sure there is only one: the freed slot's
row is locked while it is taken, one offer per slot may be ``accepted`` (a partial
unique index), and the booking itself meets the appointments' exclusion constraint,
which also stops a desk that booked the room meanwhile. A later YES (or one for a
slot that went) is answered "Sorry, that slot has been taken" and the patient stays
on the list. Everything happens in the caller's transaction: the one that stores
the reply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    AppointmentStatusChange,
    FreedSlot,
    FreedSlotStatus,
    OfferStatus,
    Room,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from mic_desktop.services import audit
from mic_desktop.services.billing.pricing import quote_in
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging import notifications
from mic_desktop.services.messaging.compose import queue_from_template
from mic_desktop.services.records import clinic_settings, next_document_number
from mic_desktop.services.scheduling.freed_slots import MIN_NOTICE
from mic_desktop.services.scheduling.slots import check_slot

RADIOLOGIST_LOCK = 7301  # the same advisory-lock namespace as the desk's bookings
OFFER_MEMORY = dt.timedelta(hours=24)


@dataclass(frozen=True)
class OfferAnswer:
    """What a YES to an offer came to: the booking, or too late."""

    offer_id: int
    booked_appointment_id: int | None

    @property
    def booked(self) -> bool:
        return self.booked_appointment_id is not None


def answerable_offer(
    session: Session, patient_ids: list[int], now: dt.datetime
) -> WaitlistOffer | None:
    """The newest offer to one of these patients that a YES answers now, if any.

    An offer that expired still counts while its slot has not gone (for a day): the
    first YES wins.
    """
    return session.scalars(
        select(WaitlistOffer)
        .join(WaitlistEntry, WaitlistEntry.id == WaitlistOffer.entry_id)
        .join(FreedSlot, FreedSlot.id == WaitlistOffer.slot_id)
        .where(
            WaitlistEntry.patient_id.in_(patient_ids),
            WaitlistOffer.status.in_((OfferStatus.OFFERED.value, OfferStatus.EXPIRED.value)),
            FreedSlot.start_at > now,
            # A YES a day later is about something else (e.g. a reminder).
            WaitlistOffer.offered_at > now - OFFER_MEMORY,
        )
        .order_by(WaitlistOffer.offered_at.desc(), WaitlistOffer.id.desc())
        .limit(1)
    ).first()


def take_offer(
    session: Session, offer: WaitlistOffer, now: dt.datetime, workstation: str
) -> OfferAnswer:
    """Book the offer's slot for its patient, or answer that it has been taken."""
    slot = session.scalars(
        select(FreedSlot).where(FreedSlot.id == offer.slot_id).with_for_update()
    ).one()
    entry = session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.id == offer.entry_id).with_for_update()
    ).one()
    session.refresh(offer)
    open_statuses = (FreedSlotStatus.OPEN.value, FreedSlotStatus.LAPSED.value)
    appointment_id = None
    if (
        slot.status in open_statuses
        and entry.status == WaitlistStatus.WAITING.value
        and slot.start_at - now >= MIN_NOTICE / 3
    ):
        appointment_id = _book(session, slot, entry, now, workstation)
    if appointment_id is None:
        offer.status = OfferStatus.TOO_LATE.value
        offer.answered_at = now
        _tell_taken(session, offer, entry, now)
        return OfferAnswer(offer.id, None)
    slot.status = FreedSlotStatus.FILLED.value
    slot.filled_appointment_id = appointment_id
    slot.filled_at = now
    session.execute(
        update(WaitlistOffer)
        .where(
            WaitlistOffer.slot_id == slot.id,
            WaitlistOffer.id != offer.id,
            WaitlistOffer.status == OfferStatus.OFFERED.value,
        )
        .values(status=OfferStatus.WITHDRAWN.value)
    )
    offer.status = OfferStatus.ACCEPTED.value
    offer.answered_at = now
    entry.status = WaitlistStatus.BOOKED.value
    entry.booked_appointment_id = appointment_id
    session.flush()
    return OfferAnswer(offer.id, appointment_id)


def _book(
    session: Session, slot: FreedSlot, entry: WaitlistEntry, now: dt.datetime, workstation: str
) -> int | None:
    """The appointment for ``entry`` in ``slot``, or None when the room's time is gone."""
    scan = entry.scan_type
    room = session.get(Room, slot.room_id)
    assert room is not None
    savepoint = session.begin_nested()
    try:
        checked = check_slot(session, scan, room, slot.start_at)
        if checked.radiologist_id is not None:
            session.execute(
                text("SELECT pg_advisory_xact_lock(:space, :id)"),
                {"space": RADIOLOGIST_LOCK, "id": checked.radiologist_id},
            )
        patient = entry.patient
        quote = quote_in(session, scan.id, patient.medical_aid_plan_id)
        number = next_document_number(session, "appointment")
        appointment = Appointment(
            reference=f"A{number:07d}",
            patient_id=patient.id,
            scan_type_id=scan.id,
            room_id=room.id,
            radiologist_id=checked.radiologist_id,
            start_at=slot.start_at,
            end_at=slot.start_at + dt.timedelta(minutes=scan.duration_minutes),
            status=AppointmentStatus.CONFIRMED.value,
            clinical_notes=entry.notes,
            price=quote.price,
            medical_aid_plan_id=quote.plan_id,
            medical_aid_cover=quote.medical_aid_cover,
            patient_copay=quote.patient_copay,
        )
        session.add(appointment)
        session.flush()
    except (IntegrityError, ValidationError):
        savepoint.rollback()
        return None
    savepoint.commit()
    session.add(
        AppointmentStatusChange(
            appointment_id=appointment.id,
            from_status=None,
            to_status=AppointmentStatus.CONFIRMED.value,
            changed_at=now,
            reason="Booked from the waitlist by patient reply",
            workstation=workstation,
        )
    )
    notifications.queue_booking_confirmation(session, appointment, now=now)
    audit.record(
        session,
        "appointment_booked_from_waitlist",
        username="(patient reply)",
        entity="appointment",
        entity_id=appointment.id,
        details={
            "reference": appointment.reference,
            "patient": patient.mrn,
            "slot": slot.id,
            "price": str(quote.price),
        },
        workstation=workstation,
    )
    notify(session, LiveChannel.APPOINTMENT, appointment.id)
    return appointment.id


def _tell_taken(
    session: Session, offer: WaitlistOffer, entry: WaitlistEntry, now: dt.datetime
) -> None:
    clinic = clinic_settings(session)
    queue_from_template(
        session,
        "waitlist_taken",
        f"waitlist-taken:{offer.id}",
        entry.patient,
        {"first_name": entry.patient.first_name, "clinic_name": clinic.name},
        now,
    )
