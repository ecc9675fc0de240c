"""The appointment book: what is booked between two instants, the rooms and scan types
the book shows, and the day sheet; free slots come from :mod:`.slots`.

The day and week views read every appointment overlapping the shown period in one
query, cancelled ones included. The day sheet lists the day's appointments per room,
cancelled ones left out, for printing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
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
from mic_desktop.services.scheduling.closures import ClosureInfo, closures_between
from mic_desktop.services.scheduling.rooms import OpeningPeriod
from mic_desktop.services.scheduling.slots import (
    DEFAULT_GRANULARITY,
    MAX_APPOINTMENT,
    SEARCH_HORIZON_DAYS,
    Slot,
    find_slots,
)


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
    patient_sort_name: str = ""  # "Surname, First": what the book's narrow blocks show first

    @property
    def is_urgent(self) -> bool:
        return self.urgency is Urgency.URGENT


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
            return find_slots(
                session,
                scan,
                not_before,
                count=count,
                granularity_minutes=granularity_minutes,
                room_id=room_id,
                horizon_days=horizon_days,
                ignore_appointment_id=ignore_appointment_id,
            )

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
                patient_sort_name=f"{row.last_name}, {row.first_name}",
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

    def closures(self, first_day: dt.date, last_day: dt.date) -> list[ClosureInfo]:
        """Closures (clinic-wide or of a room) touching these days, for the book's shading."""
        with self._sessions() as session:
            return closures_between(session, first_day, last_day)

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
