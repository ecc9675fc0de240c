"""Freed slots and the offers that hand them to the waitlist, one patient at a time.

A cancellation (at the desk or by reply C), a no-show, or a move records the room's
time it gave up (:func:`free_slot`, in the same transaction). The offer job
(:func:`advance_offers`, run by every PC) takes open slots with ``FOR UPDATE SKIP
LOCKED``: an offer that waited the clinic's ``waitlist_offer_minutes`` expires, and
the next waitlisted patient the slot fits (by priority, then time on the list) is
offered it by SMS. The database keeps one offer waiting per slot (a partial unique
index); a slot nobody fits or takes before it starts lapses. Taking a slot is
:mod:`.waitlist_booking`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    FreedSlot,
    FreedSlotStatus,
    OfferStatus,
    Patient,
    Room,
    ScanType,
    TimeOfDay,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from mic_desktop.services import audit
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging.compose import queue_from_template
from mic_desktop.services.messaging.quiet_hours import clinic_quiet_until
from mic_desktop.services.records import clinic_settings, clinic_zone

log = logging.getLogger(__name__)

# A slot starting sooner than this is not worth offering: nobody could get there.
MIN_NOTICE = dt.timedelta(minutes=45)
NOON = dt.time(12, 0)


def free_slot(
    session: Session,
    appointment: Appointment,
    reason: str,
    now: dt.datetime,
    *,
    start_at: dt.datetime | None = None,
    end_at: dt.datetime | None = None,
    room_id: int | None = None,
) -> int | None:
    """Record the time ``appointment`` gave up (its own, or the old one of a move).

    Nothing when the time is too close to offer; returns the freed slot's id.
    """
    start_at = start_at or appointment.start_at
    end_at = end_at or appointment.end_at
    if start_at - now < MIN_NOTICE:
        return None
    slot_id = session.execute(
        insert(FreedSlot)
        .values(
            room_id=room_id or appointment.room_id,
            start_at=start_at,
            end_at=end_at,
            freed_appointment_id=appointment.id,
            reason=reason,
            status=FreedSlotStatus.OPEN.value,
        )
        .on_conflict_do_nothing(constraint="uq_freed_slot_once")
        .returning(FreedSlot.id)
    ).scalar_one_or_none()
    if slot_id is not None:
        notify(session, LiveChannel.APPOINTMENT, appointment.id)
    return slot_id


def fits(session: Session, slot: FreedSlot) -> list[WaitlistEntry]:
    """The waiting entries ``slot`` suits, first to be offered first (priority, then age)."""
    room = session.get(Room, slot.room_id)
    assert room is not None
    zone = clinic_zone(session)
    local = slot.start_at.astimezone(zone)
    length = (slot.end_at - slot.start_at).total_seconds() / 60
    already = select(WaitlistOffer.entry_id).where(WaitlistOffer.slot_id == slot.id)
    time_of_day = TimeOfDay.MORNING if local.time() < NOON else TimeOfDay.AFTERNOON
    return list(
        session.scalars(
            select(WaitlistEntry)
            .join(ScanType, ScanType.id == WaitlistEntry.scan_type_id)
            .join(Patient, Patient.id == WaitlistEntry.patient_id)
            .where(
                WaitlistEntry.status == WaitlistStatus.WAITING.value,
                ScanType.modality_id == room.modality_id,
                ScanType.is_active.is_(True),
                ScanType.duration_minutes <= length,
                WaitlistEntry.earliest_date <= local.date(),
                WaitlistEntry.latest_date >= local.date(),
                WaitlistEntry.time_of_day.in_((TimeOfDay.ANY.value, time_of_day.value)),
                Patient.deleted_at.is_(None),
                Patient.phone.is_not(None),  # an offer is an SMS: others are called by hand
                Patient.sms_opt_in.is_(True),
                WaitlistEntry.id.not_in(already),
            )
            .order_by(WaitlistEntry.priority, WaitlistEntry.created_at, WaitlistEntry.id)
        )
    )


@dataclass(frozen=True)
class OfferRound:
    """What one run of the offer job did."""

    offered: int = 0
    expired: int = 0
    lapsed: int = 0


def advance_offers(
    session: Session, now: dt.datetime, workstation: str, limit: int = 20
) -> OfferRound:
    """Expire unanswered offers and offer open slots to the next patient (caller's transaction)."""
    slots = session.scalars(
        select(FreedSlot)
        .where(FreedSlot.status == FreedSlotStatus.OPEN.value)
        .order_by(FreedSlot.start_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not slots:
        return OfferRound()
    quiet = clinic_quiet_until(session, now) is not None
    offered = expired = lapsed = 0
    for slot in slots:
        expired += len(
            session.scalars(
                update(WaitlistOffer)
                .where(
                    WaitlistOffer.slot_id == slot.id,
                    WaitlistOffer.status == OfferStatus.OFFERED.value,
                    WaitlistOffer.expires_at <= now,
                )
                .values(status=OfferStatus.EXPIRED.value)
                .returning(WaitlistOffer.id)
            ).all()
        )
        waiting = session.scalar(
            select(WaitlistOffer.id).where(
                WaitlistOffer.slot_id == slot.id,
                WaitlistOffer.status == OfferStatus.OFFERED.value,
            )
        )
        if waiting is not None:
            continue
        if slot.start_at - now < MIN_NOTICE:
            slot.status = FreedSlotStatus.LAPSED.value
            lapsed += 1
            continue
        if quiet:
            continue  # offers wait for the morning: nobody could answer in time
        candidates = fits(session, slot)
        if not candidates:
            if not _ever_offered(session, slot):
                continue  # someone may join the waitlist before it starts
            slot.status = FreedSlotStatus.LAPSED.value
            lapsed += 1
            continue
        offer_slot(session, slot, candidates[0], now, workstation)
        offered += 1
    return OfferRound(offered, expired, lapsed)


def _ever_offered(session: Session, slot: FreedSlot) -> bool:
    return (
        session.scalar(select(WaitlistOffer.id).where(WaitlistOffer.slot_id == slot.id).limit(1))
        is not None
    )


def offer_slot(
    session: Session,
    slot: FreedSlot,
    entry: WaitlistEntry,
    now: dt.datetime,
    workstation: str,
    *,
    staff_id: int | None = None,
) -> WaitlistOffer:
    """Offer ``slot`` to ``entry``'s patient by SMS; the timeout starts now."""
    minutes = clinic_settings(session).waitlist_offer_minutes
    offer = WaitlistOffer(
        slot_id=slot.id,
        entry_id=entry.id,
        status=OfferStatus.OFFERED.value,
        offered_at=now,
        expires_at=now + dt.timedelta(minutes=minutes),
        offered_by_id=staff_id,
    )
    session.add(offer)
    session.flush()
    zone = clinic_zone(session)
    local = slot.start_at.astimezone(zone)
    clinic = clinic_settings(session)
    room = session.get(Room, slot.room_id)
    patient, scan = entry.patient, entry.scan_type
    context = {
        "first_name": patient.first_name,
        "patient_name": patient.full_name,
        "scan_type": scan.name,
        "modality": room.modality.code if room is not None else scan.modality.code,
        "date": local.strftime("%a %d %b"),
        "time": local.strftime("%H:%M"),
        "room": room.name if room is not None else "",
        "minutes": minutes,
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
    }
    queue_from_template(
        session, "waitlist_offer", f"waitlist-offer:{offer.id}", patient, context, now
    )
    audit.record(
        session,
        "waitlist_slot_offered",
        staff_id=staff_id,
        entity="waitlist_entry",
        entity_id=entry.id,
        details={
            "slot": slot.id,
            "start_at": slot.start_at.isoformat(),
            "expires_at": offer.expires_at.isoformat(),
        },
        workstation=workstation,
    )
    notify(session, LiveChannel.APPOINTMENT, 0)
    return offer
