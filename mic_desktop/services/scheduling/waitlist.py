"""Reception's waitlist: patients who want a scan sooner, and offering them a slot by hand.

An entry names a scan type (any room of its modality fits), the earliest and latest
acceptable dates, a preferred time of day and a priority; the list is read by
priority, then by time on the list. Freed slots are offered automatically
(:mod:`.freed_slots`); reception can also offer a free time of the book to one
waitlisted patient by hand (:meth:`WaitlistService.offer_by_hand`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
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
from mic_desktop.services import live
from mic_desktop.services.base import ClinicService
from mic_desktop.services.errors import NotFoundError, ServiceError, ValidationError
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.records import check_version, clinic_zone, utc
from mic_desktop.services.scheduling.appointments import clean_text
from mic_desktop.services.scheduling.freed_slots import MIN_NOTICE, fits, offer_slot
from mic_desktop.services.scheduling.slots import check_slot

PRIORITY_LABELS = {1: "Urgent", 2: "Normal", 3: "Low"}
TIME_OF_DAY_LABELS = {
    TimeOfDay.ANY: "Any time",
    TimeOfDay.MORNING: "Mornings",
    TimeOfDay.AFTERNOON: "Afternoons",
}
MAX_WAIT_DAYS = 366


@dataclass(frozen=True)
class WaitlistLine:
    id: int
    patient_id: int
    patient_name: str
    mrn: str
    phone: str | None
    scan_type_id: int
    scan_name: str
    earliest_date: dt.date
    latest_date: dt.date
    time_of_day: TimeOfDay
    priority: int
    notes: str
    created_at: dt.datetime
    version: int
    offer_status: str | None  # the newest offer: offered, expired, too_late ...
    offer_start_at: dt.datetime | None
    offer_expires_at: dt.datetime | None

    @property
    def priority_label(self) -> str:
        return PRIORITY_LABELS.get(self.priority, str(self.priority))

    @property
    def time_of_day_label(self) -> str:
        return TIME_OF_DAY_LABELS[self.time_of_day]


class WaitlistService(ClinicService):
    """Adding, listing and removing waitlist entries; offering a slot by hand."""

    def add(
        self,
        patient_id: int,
        scan_type_id: int,
        earliest_date: dt.date,
        latest_date: dt.date,
        *,
        time_of_day: TimeOfDay = TimeOfDay.ANY,
        priority: int = 2,
        notes: str | None = None,
    ) -> WaitlistLine:
        if priority not in PRIORITY_LABELS:
            raise ValidationError("Choose urgent, normal or low priority.", "priority")
        if latest_date < earliest_date:
            raise ValidationError(
                "The latest date must be on or after the earliest date.", "latest_date"
            )
        today = self._clock().astimezone(self._zone()).date()
        if latest_date < today:
            raise ValidationError("The latest date has already passed.", "latest_date")
        if (latest_date - max(earliest_date, today)).days > MAX_WAIT_DAYS:
            raise ValidationError("A waitlist entry may cover at most a year.", "latest_date")
        with self._sessions.begin() as session:
            patient = session.get(Patient, patient_id)
            if patient is None or patient.deleted_at is not None:
                raise NotFoundError("This patient no longer exists.")
            scan = session.get(ScanType, scan_type_id)
            if scan is None or not scan.is_active:
                raise ValidationError("This scan type is no longer offered.", "scan_type")
            duplicate = session.scalar(
                select(WaitlistEntry.id).where(
                    WaitlistEntry.patient_id == patient_id,
                    WaitlistEntry.scan_type_id == scan_type_id,
                    WaitlistEntry.status == WaitlistStatus.WAITING.value,
                )
            )
            if duplicate is not None:
                raise ValidationError(
                    f"{patient.full_name} is already on the waitlist for {scan.name}.",
                    "scan_type",
                )
            entry = WaitlistEntry(
                patient_id=patient_id,
                scan_type_id=scan_type_id,
                earliest_date=earliest_date,
                latest_date=latest_date,
                time_of_day=TimeOfDay(time_of_day).value,
                priority=priority,
                notes=clean_text(notes, 2000) or "",
                status=WaitlistStatus.WAITING.value,
                created_by_id=self._actor.id if self._actor else None,
                created_at=self._clock(),
            )
            session.add(entry)
            session.flush()
            self._audit_change(
                session,
                "waitlist_added",
                "waitlist_entry",
                entry.id,
                {"patient": patient.mrn, "scan": scan.code, "priority": priority},
            )
            live.notify(session, LiveChannel.APPOINTMENT, 0)
            return _lines(session, [entry.id])[0]

    def waiting(self) -> list[WaitlistLine]:
        """Everyone waiting, by priority and then the longest waiting first."""
        with self._sessions() as session:
            ids = session.scalars(
                select(WaitlistEntry.id)
                .where(WaitlistEntry.status == WaitlistStatus.WAITING.value)
                .order_by(WaitlistEntry.priority, WaitlistEntry.created_at, WaitlistEntry.id)
            ).all()
            return _lines(session, list(ids))

    def remove(self, entry_id: int, expected_version: int) -> None:
        with self._sessions.begin() as session:
            entry = self._locked(session, entry_id, expected_version)
            entry.status = WaitlistStatus.REMOVED.value
            session.flush()
            self._audit_change(session, "waitlist_removed", "waitlist_entry", entry.id)
            live.notify(session, LiveChannel.APPOINTMENT, 0)

    def offer_by_hand(
        self, entry_id: int, expected_version: int, room_id: int, start_at: dt.datetime
    ) -> WaitlistLine:
        """Offer the room's free time at ``start_at`` to this patient by SMS now."""
        start_at = utc(start_at)
        now = self._clock()
        with self._sessions.begin() as session:
            entry = self._locked(session, entry_id, expected_version)
            room = session.get(Room, room_id)
            if room is None:
                raise NotFoundError("This room no longer exists.")
            scan = entry.scan_type
            if room.modality_id != scan.modality_id:
                raise ValidationError(
                    f"{room.name} does not do {scan.modality.name} scans.", "room"
                )
            if start_at - now < MIN_NOTICE:
                raise ValidationError(
                    "That time is too close (or past) to offer by SMS.", "start_at"
                )
            if entry.patient.phone is None or not entry.patient.sms_opt_in:
                raise ServiceError(
                    f"{entry.patient.full_name} cannot get SMS (no number or opted out): "
                    "call them instead."
                )
            check_slot(session, scan, room, start_at)  # open then, radiologist on site
            end_at = start_at + dt.timedelta(minutes=scan.duration_minutes)
            busy = session.scalar(
                select(Appointment.id).where(
                    Appointment.room_id == room.id,
                    Appointment.status.not_in(("cancelled", "no_show")),
                    Appointment.start_at < end_at,
                    Appointment.end_at > start_at,
                )
            )
            if busy is not None:
                raise ValidationError("That time of the room is booked.", "start_at")
            slot = session.scalars(  # a time freed by a cancellation is offered as that slot
                select(FreedSlot)
                .where(
                    FreedSlot.room_id == room.id,
                    FreedSlot.start_at == start_at,
                    FreedSlot.status.in_(
                        (FreedSlotStatus.OPEN.value, FreedSlotStatus.LAPSED.value)
                    ),
                )
                .with_for_update()
            ).first()
            if slot is None:
                slot = FreedSlot(
                    room_id=room.id,
                    start_at=start_at,
                    end_at=end_at,
                    reason="offered by hand",
                    status=FreedSlotStatus.OPEN.value,
                )
                session.add(slot)
                session.flush()
            waiting = session.scalar(
                select(WaitlistOffer.id).where(
                    WaitlistOffer.slot_id == slot.id,
                    WaitlistOffer.status == OfferStatus.OFFERED.value,
                )
            )
            if waiting is not None:
                raise ServiceError(
                    "This slot is already offered to another patient; their answer is awaited."
                )
            slot.status = FreedSlotStatus.OPEN.value
            offer_slot(
                session,
                slot,
                entry,
                now,
                self._workstation,
                staff_id=self._actor.id if self._actor else None,
            )
            return _lines(session, [entry.id])[0]

    def candidates(
        self, room_id: int, start_at: dt.datetime, end_at: dt.datetime
    ) -> list[WaitlistLine]:
        """The waiting patients a room's time fits, first to be offered first."""
        with self._sessions() as session:
            probe = FreedSlot(room_id=room_id, start_at=utc(start_at), end_at=utc(end_at))
            probe.id = -1  # not stored: no offers of it yet
            return _lines(session, [entry.id for entry in fits(session, probe)])

    def _locked(self, session: Session, entry_id: int, expected_version: int) -> WaitlistEntry:
        entry = session.scalars(
            select(WaitlistEntry).where(WaitlistEntry.id == entry_id).with_for_update()
        ).one_or_none()
        if entry is None or entry.status != WaitlistStatus.WAITING.value:
            raise NotFoundError("This patient is no longer on the waitlist.")
        check_version(
            session,
            entry.version,
            expected_version,
            "This waitlist entry",
            "waitlist_entry",
            entry_id,
        )
        return entry

    def _zone(self):  # type: ignore[no-untyped-def]
        with self._sessions() as session:
            return clinic_zone(session)


def _lines(session: Session, ids: list[int]) -> list[WaitlistLine]:
    if not ids:
        return []
    entries = {
        entry.id: entry
        for entry in session.scalars(select(WaitlistEntry).where(WaitlistEntry.id.in_(ids)))
    }
    newest: dict[int, tuple[WaitlistOffer, FreedSlot]] = {}
    for offer, slot in session.execute(
        select(WaitlistOffer, FreedSlot)
        .join(FreedSlot, FreedSlot.id == WaitlistOffer.slot_id)
        .where(WaitlistOffer.entry_id.in_(ids))
        .order_by(WaitlistOffer.offered_at, WaitlistOffer.id)
    ).all():
        newest[offer.entry_id] = (offer, slot)
    lines = []
    for entry_id in ids:
        entry = entries[entry_id]
        offer, slot = newest.get(entry_id, (None, None))
        lines.append(
            WaitlistLine(
                id=entry.id,
                patient_id=entry.patient_id,
                patient_name=entry.patient.full_name,
                mrn=entry.patient.mrn,
                phone=entry.patient.phone,
                scan_type_id=entry.scan_type_id,
                scan_name=entry.scan_type.name,
                earliest_date=entry.earliest_date,
                latest_date=entry.latest_date,
                time_of_day=TimeOfDay(entry.time_of_day),
                priority=entry.priority,
                notes=entry.notes,
                created_at=entry.created_at,
                version=entry.version,
                offer_status=offer.status if offer is not None else None,
                offer_start_at=slot.start_at if slot is not None else None,
                offer_expires_at=(
                    offer.expires_at
                    if offer is not None and offer.status == OfferStatus.OFFERED.value
                    else None
                ),
            )
        )
    return lines
