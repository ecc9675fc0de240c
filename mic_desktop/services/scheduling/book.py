"""The appointment book: free slots for a scan, and what is booked between two instants.

The slot finder is one SQL query per fortnight searched. It lays a grid of
``granularity`` minutes (from local midnight) over the opening hours of every
active room of the scan's modality, in the clinic's time zone, and keeps the
starts where the whole scan fits before closing, no appointment holding its slot
overlaps, and - when the modality needs a radiologist on site - a radiologist is
working that weekday for the whole scan, is not on leave and is not assigned to
another appointment at the same time (the first such radiologist by name is
assigned). The same rules check a slot chosen by hand when it is booked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    Modality,
    Patient,
    Room,
    RoomOpeningHours,
    ScanType,
    StaffUser,
    Urgency,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.documents.day_sheet import DaySheet, DaySheetLine, render_day_sheet
from mic_desktop.services.documents.letterhead import load_letterhead
from mic_desktop.services.errors import NotFoundError, ValidationError
from mic_desktop.services.formats import local_day_bounds
from mic_desktop.services.patients.contact_details import display_phone
from mic_desktop.services.records import clinic_settings, clinic_zone, utc

DEFAULT_GRANULARITY = 15
SEARCH_HORIZON_DAYS = 92
_CHUNK_DAYS = 14
# An appointment never lasts longer than this; bounds the scans of "what overlaps".
MAX_APPOINTMENT = dt.timedelta(days=1)

# A radiologist free for candidate slot c (c.day local date, c.start_at, c.end_at):
# working that weekday for the whole slot, not on leave, not with another patient.
_RADIOLOGIST_FREE = """
    su.role = 'radiologist' AND su.is_active
    AND EXISTS (
        SELECT 1 FROM radiologist_availability av
        WHERE av.radiologist_id = su.id
          AND av.weekday = CAST(EXTRACT(ISODOW FROM c.day) AS integer) - 1
          AND ((c.day + av.starts_at) AT TIME ZONE :tz) <= c.start_at
          AND ((c.day + av.ends_at) AT TIME ZONE :tz) >= c.end_at)
    AND NOT EXISTS (
        SELECT 1 FROM radiologist_leave lv
        WHERE lv.radiologist_id = su.id AND lv.starts_at < c.end_at AND lv.ends_at > c.start_at)
    AND NOT EXISTS (
        SELECT 1 FROM appointment b
        WHERE b.radiologist_id = su.id
          AND b.status NOT IN ('cancelled', 'no_show')
          AND b.start_at < c.end_at AND b.end_at > c.start_at
          AND b.start_at > c.start_at - CAST(:max_length AS interval)
          AND b.id IS DISTINCT FROM CAST(:ignore_appointment AS integer))
"""

_ROOM_FREE = """
    NOT EXISTS (
        SELECT 1 FROM appointment a
        WHERE a.room_id = c.room_id
          AND a.status NOT IN ('cancelled', 'no_show')
          AND tstzrange(a.start_at, a.end_at, '[)') && tstzrange(c.start_at, c.end_at, '[)')
          AND a.id IS DISTINCT FROM CAST(:ignore_appointment AS integer))
"""

_FIND_SLOTS = text(
    f"""
WITH days AS (
    SELECT CAST(day AS date) AS day
    FROM generate_series(CAST(:day_from AS date), CAST(:day_to AS date), interval '1 day') AS day
),
windows AS (
    SELECT r.id AS room_id, r.name AS room_name, r.sort_order, d.day, h.opens_at,
           ((d.day + h.closes_at) AT TIME ZONE :tz) AS closes
    FROM room r
    JOIN room_opening_hours h ON h.room_id = r.id
    JOIN days d ON h.weekday = CAST(EXTRACT(ISODOW FROM d.day) AS integer) - 1
    WHERE r.is_active AND r.modality_id = :modality_id
      AND (CAST(:room_id AS integer) IS NULL OR r.id = CAST(:room_id AS integer))
),
c AS (
    SELECT w.room_id, w.room_name, w.sort_order, w.day, s AS start_at,
           s + CAST(:duration AS interval) AS end_at
    FROM windows w
    CROSS JOIN LATERAL generate_series(
        ((w.day + make_interval(mins => CAST(
            ceil(EXTRACT(EPOCH FROM w.opens_at) / 60.0 / :step) * :step AS integer)))
            AT TIME ZONE :tz),
        w.closes - CAST(:duration AS interval),
        make_interval(mins => :step)) AS s
    WHERE s >= :not_before
)
SELECT c.room_id, c.room_name, c.start_at, c.end_at, rad.id AS radiologist_id,
       rad.full_name AS radiologist_name
FROM c
LEFT JOIN LATERAL (
    SELECT su.id, su.full_name FROM staff_user su
    WHERE :needs_radiologist AND {_RADIOLOGIST_FREE}
    ORDER BY su.full_name, su.id
    LIMIT 1
) AS rad ON true
WHERE {_ROOM_FREE}
  AND (NOT :needs_radiologist OR rad.id IS NOT NULL)
ORDER BY c.start_at, c.sort_order, c.room_name
LIMIT :count
"""
)

_OPEN_FOR = text(
    """
SELECT EXISTS (
    SELECT 1 FROM room_opening_hours h
    WHERE h.room_id = :room_id AND h.weekday = :weekday
      AND ((CAST(:day AS date) + h.opens_at) AT TIME ZONE :tz) <= :start_at
      AND ((CAST(:day AS date) + h.closes_at) AT TIME ZONE :tz) >= :end_at)
"""
)

_FREE_RADIOLOGISTS = text(
    f"""
WITH c AS (SELECT CAST(:day AS date) AS day, CAST(:start_at AS timestamptz) AS start_at,
                  CAST(:end_at AS timestamptz) AS end_at)
SELECT su.id, su.full_name FROM staff_user su, c
WHERE {_RADIOLOGIST_FREE}
  AND (CAST(:radiologist_id AS integer) IS NULL OR su.id = CAST(:radiologist_id AS integer))
ORDER BY su.full_name, su.id
LIMIT 1
"""
)


@dataclass(frozen=True)
class Slot:
    """A free time for a scan: the room, and the radiologist on site when one is needed."""

    room_id: int
    room_name: str
    start_at: dt.datetime
    end_at: dt.datetime
    radiologist_id: int | None
    radiologist_name: str | None


@dataclass(frozen=True)
class OpeningPeriod:
    weekday: int  # 0 = Monday
    opens_at: dt.time
    closes_at: dt.time


@dataclass(frozen=True)
class RoomInfo:
    id: int
    name: str
    modality_id: int
    modality_code: str
    modality_name: str
    sort_order: int
    is_active: bool
    opening_hours: tuple[OpeningPeriod, ...]


@dataclass(frozen=True)
class ScanTypeInfo:
    id: int
    code: str
    name: str
    modality_id: int
    modality_code: str
    duration_minutes: int
    price: Decimal
    preparation: str
    requires_preauthorisation: bool
    needs_radiologist_on_site: bool


@dataclass(frozen=True)
class BookEntry:
    """One appointment block of the day or week view."""

    id: int
    reference: str
    room_id: int
    room_name: str
    start_at: dt.datetime
    end_at: dt.datetime
    patient_id: int
    patient_name: str
    mrn: str
    scan_code: str
    scan_name: str
    modality_code: str
    status: AppointmentStatus
    urgency: Urgency
    radiologist_name: str | None
    version: int

    @property
    def is_urgent(self) -> bool:
        return self.urgency is Urgency.URGENT


@dataclass(frozen=True)
class SlotCheck:
    """A slot chosen by hand that passed the rules, with the radiologist assigned."""

    radiologist_id: int | None
    radiologist_name: str | None


def check_slot(
    session: Session,
    scan: ScanType,
    room: Room,
    start_at: dt.datetime,
    *,
    radiologist_id: int | None = None,
    ignore_appointment_id: int | None = None,
) -> SlotCheck:
    """Refuse a slot outside the room's hours or without a radiologist on site.

    A clash with another booking is left to the database's exclusion constraint,
    which is the only check that holds against a booking committed a moment ago.
    """
    zone = clinic_zone(session)
    end_at = start_at + dt.timedelta(minutes=scan.duration_minutes)
    if room.modality_id != scan.modality_id:
        raise ValidationError(
            f"{room.name} does not do {scan.modality.name} scans: choose another room.", "room"
        )
    if not room.is_active:
        raise ValidationError(f"{room.name} is not in use: choose another room.", "room")
    local = start_at.astimezone(zone)
    params = {"tz": zone.key, "day": local.date(), "start_at": start_at, "end_at": end_at}
    is_open = session.execute(
        _OPEN_FOR, {**params, "room_id": room.id, "weekday": local.weekday()}
    ).scalar_one()
    if not is_open:
        raise ValidationError(f"{room.name} is closed at that time.", "start_at")
    if not scan.modality.needs_radiologist_on_site:
        return SlotCheck(None, None)
    row = session.execute(
        _FREE_RADIOLOGISTS,
        {
            **params,
            "radiologist_id": radiologist_id,
            "max_length": MAX_APPOINTMENT,
            "ignore_appointment": ignore_appointment_id,
        },
    ).first()
    if row is None:
        who = "The chosen radiologist is" if radiologist_id else "No radiologist is"
        raise ValidationError(
            f"{who} not available for the whole scan at that time "
            "(off duty, on leave or with another patient).",
            "radiologist",
        )
    return SlotCheck(row.id, row.full_name)


class SchedulingService:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        actor: StaffAccount | None = None,
        workstation: str = "",
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = session_factory
        self._actor = actor
        self._workstation = workstation
        self._clock = clock

    def next_available(
        self,
        scan_type_id: int,
        *,
        count: int = 10,
        after: dt.datetime | None = None,
        granularity_minutes: int = DEFAULT_GRANULARITY,
        room_id: int | None = None,
        horizon_days: int = SEARCH_HORIZON_DAYS,
        ignore_appointment_id: int | None = None,
    ) -> list[Slot]:
        """The earliest ``count`` free slots for the scan, from ``after`` (default now)."""
        if not 1 <= granularity_minutes <= 240:
            raise ValidationError("The slot step must be 1 to 240 minutes.", "granularity")
        not_before = self._clock() if after is None else max(utc(after), self._clock())
        with self._sessions() as session:
            scan = session.get(ScanType, scan_type_id)
            if scan is None:
                raise NotFoundError("This scan type no longer exists.")
            zone = clinic_zone(session)
            first_day = not_before.astimezone(zone).date()
            last_day = first_day + dt.timedelta(days=horizon_days)
            slots: list[Slot] = []
            day = first_day
            while day <= last_day and len(slots) < count:
                chunk_end = min(day + dt.timedelta(days=_CHUNK_DAYS - 1), last_day)
                rows = session.execute(
                    _FIND_SLOTS,
                    {
                        "day_from": day,
                        "day_to": chunk_end,
                        "tz": zone.key,
                        "modality_id": scan.modality_id,
                        "room_id": room_id,
                        "duration": dt.timedelta(minutes=scan.duration_minutes),
                        "step": granularity_minutes,
                        "not_before": not_before,
                        "needs_radiologist": scan.modality.needs_radiologist_on_site,
                        "max_length": MAX_APPOINTMENT,
                        "ignore_appointment": ignore_appointment_id,
                        "count": count - len(slots),
                    },
                ).all()
                slots += [
                    Slot(row.room_id, row.room_name, row.start_at, row.end_at,
                         row.radiologist_id, row.radiologist_name)
                    for row in rows
                ]  # fmt: skip
                day = chunk_end + dt.timedelta(days=1)
            return slots

    def appointment_book(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        room_ids: list[int] | None = None,
        modality_id: int | None = None,
    ) -> list[BookEntry]:
        """Appointments overlapping [start, end), cancelled ones included, in one query."""
        start, end = utc(start), utc(end)
        query = (
            select(
                Appointment.id,
                Appointment.reference,
                Appointment.room_id,
                Room.name.label("room_name"),
                Appointment.start_at,
                Appointment.end_at,
                Appointment.patient_id,
                Patient.first_name,
                Patient.last_name,
                Patient.mrn,
                ScanType.code.label("scan_code"),
                ScanType.name.label("scan_name"),
                Modality.code.label("modality_code"),
                Appointment.status,
                Appointment.urgency,
                StaffUser.full_name.label("radiologist_name"),
                Appointment.version,
            )
            .join(Room, Room.id == Appointment.room_id)
            .join(Patient, Patient.id == Appointment.patient_id)
            .join(ScanType, ScanType.id == Appointment.scan_type_id)
            .join(Modality, Modality.id == ScanType.modality_id)
            .outerjoin(StaffUser, StaffUser.id == Appointment.radiologist_id)
            .where(
                Appointment.start_at >= start - MAX_APPOINTMENT,
                Appointment.start_at < end,
                Appointment.end_at > start,
            )
            .order_by(Room.sort_order, Room.name, Appointment.start_at, Appointment.id)
        )
        if room_ids is not None:
            query = query.where(Appointment.room_id.in_(room_ids))
        if modality_id is not None:
            query = query.where(Room.modality_id == modality_id)
        with self._sessions() as session:
            rows = session.execute(query).all()
        return [
            BookEntry(
                id=row.id,
                reference=row.reference,
                room_id=row.room_id,
                room_name=row.room_name,
                start_at=row.start_at,
                end_at=row.end_at,
                patient_id=row.patient_id,
                patient_name=f"{row.first_name} {row.last_name}",
                mrn=row.mrn,
                scan_code=row.scan_code,
                scan_name=row.scan_name,
                modality_code=row.modality_code,
                status=AppointmentStatus(row.status),
                urgency=Urgency(row.urgency),
                radiologist_name=row.radiologist_name,
                version=row.version,
            )
            for row in rows
        ]

    def rooms(self, *, modality_id: int | None = None, active_only: bool = True) -> list[RoomInfo]:
        """Rooms in book order with their opening hours (the day view's columns)."""
        with self._sessions() as session:
            query = select(Room).order_by(Room.sort_order, Room.name)
            if modality_id is not None:
                query = query.where(Room.modality_id == modality_id)
            if active_only:
                query = query.where(Room.is_active)
            rooms = session.scalars(query).all()
            hours: dict[int, list[OpeningPeriod]] = {room.id: [] for room in rooms}
            for row in session.scalars(
                select(RoomOpeningHours)
                .where(RoomOpeningHours.room_id.in_(list(hours)))
                .order_by(RoomOpeningHours.weekday, RoomOpeningHours.opens_at)
            ):
                hours[row.room_id].append(OpeningPeriod(row.weekday, row.opens_at, row.closes_at))
            return [
                RoomInfo(
                    id=room.id,
                    name=room.name,
                    modality_id=room.modality_id,
                    modality_code=room.modality.code,
                    modality_name=room.modality.name,
                    sort_order=room.sort_order,
                    is_active=room.is_active,
                    opening_hours=tuple(hours[room.id]),
                )
                for room in rooms
            ]

    def scan_types(self, *, active_only: bool = True) -> list[ScanTypeInfo]:
        with self._sessions() as session:
            query = select(ScanType).order_by(ScanType.name)
            if active_only:
                query = query.where(ScanType.is_active)
            return [
                ScanTypeInfo(
                    id=scan.id,
                    code=scan.code,
                    name=scan.name,
                    modality_id=scan.modality_id,
                    modality_code=scan.modality.code,
                    duration_minutes=scan.duration_minutes,
                    price=scan.price,
                    preparation=scan.preparation,
                    requires_preauthorisation=scan.requires_preauthorisation,
                    needs_radiologist_on_site=scan.modality.needs_radiologist_on_site,
                )
                for scan in session.scalars(query)
            ]

    def today(self) -> dt.date:
        """Today's date in the clinic's time zone."""
        with self._sessions() as session:
            return self._clock().astimezone(clinic_zone(session)).date()

    def day_sheet(self, day: dt.date | None = None) -> DaySheet:
        """The day's appointments per room (cancelled ones left out), for the day sheet."""
        with self._sessions() as session:
            zone = clinic_zone(session)
            return self._day_sheet(session, day or self._clock().astimezone(zone).date(), zone)

    def day_sheet_pdf(self, day: dt.date | None = None) -> bytes:
        """Today's (or ``day``'s) list per room as PDF bytes."""
        with self._sessions() as session:
            zone = clinic_zone(session)
            sheet = self._day_sheet(session, day or self._clock().astimezone(zone).date(), zone)
            letterhead = load_letterhead(session)
        return render_day_sheet(sheet, letterhead, printed_at=self._clock())

    def _day_sheet(self, session: Session, day: dt.date, zone: ZoneInfo) -> DaySheet:
        start, end = local_day_bounds(day, zone)
        rows = session.execute(
            select(
                Room.name.label("room"),
                Appointment.reference,
                Appointment.start_at,
                Appointment.end_at,
                Patient.first_name,
                Patient.last_name,
                Patient.mrn,
                Patient.phone,
                ScanType.name.label("scan"),
                Appointment.status,
                Appointment.urgency,
                Appointment.patient_copay,
            )
            .select_from(Room)
            .outerjoin(
                Appointment,
                (Appointment.room_id == Room.id)
                & (Appointment.start_at >= start)
                & (Appointment.start_at < end)
                & (Appointment.status != AppointmentStatus.CANCELLED.value),
            )
            .outerjoin(Patient, Patient.id == Appointment.patient_id)
            .outerjoin(ScanType, ScanType.id == Appointment.scan_type_id)
            .where(Room.is_active | Appointment.id.is_not(None))
            .order_by(Room.sort_order, Room.name, Appointment.start_at)
        ).all()
        region = clinic_settings(session).phone_region
        rooms: dict[str, list[DaySheetLine]] = {}
        for row in rows:
            lines = rooms.setdefault(row.room, [])
            if row.reference is not None:
                lines.append(_sheet_line(row, region))
        return DaySheet(day=day, rooms=tuple((room, tuple(lines)) for room, lines in rooms.items()))


def _sheet_line(row: Any, region: str) -> DaySheetLine:
    return DaySheetLine(
        reference=row.reference,
        start_at=row.start_at,
        end_at=row.end_at,
        patient_name=f"{row.first_name} {row.last_name}",
        mrn=row.mrn,
        phone=display_phone(row.phone, region) or None,
        scan=row.scan,
        status=AppointmentStatus(row.status),
        urgency=Urgency(row.urgency),
        patient_copay=row.patient_copay,
    )
