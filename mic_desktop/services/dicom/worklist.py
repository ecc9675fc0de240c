"""The modality worklist: confirmed and arrived appointments as scheduled procedure steps.

:class:`WorklistQuery` holds what a scanner asked for (its station AE title, modality,
a day or a range of days in the clinic's time zone, patient ID, patient name with
``*``/``?`` wildcards); :func:`find_worklist` answers it in one query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    DicomDevice,
    Modality,
    Patient,
    ReferringDoctor,
    Room,
    ScanType,
    StaffUser,
)
from mic_desktop.services.records import clinic_zone

ON_WORKLIST = (AppointmentStatus.CONFIRMED.value, AppointmentStatus.ARRIVED.value)


@dataclass(frozen=True)
class WorklistQuery:
    station_ae_title: str | None = None
    modality: str | None = None
    first_day: dt.date | None = None  # clinic days, both ends included; None: open
    last_day: dt.date | None = None
    patient_id: str | None = None  # may hold * and ? wildcards
    patient_name: str | None = None  # "Surname^Given" with * and ? wildcards


@dataclass(frozen=True)
class WorklistItem:
    appointment_id: int
    reference: str
    study_instance_uid: str
    status: AppointmentStatus
    mrn: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex: str
    scan_code: str
    scan_name: str
    modality_code: str
    room_name: str
    station_ae_title: str | None
    start_at: dt.datetime  # in the clinic's time zone
    radiologist_name: str | None
    referring_doctor_name: str | None


def like_pattern(value: str) -> str:
    """A DICOM wildcard pattern (``*`` any run, ``?`` one character) as an ILIKE pattern."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _station(room_id):  # type: ignore[no-untyped-def]
    """The first scanner set up in the room: the Scheduled Station AE Title."""
    return (
        select(DicomDevice.ae_title)
        .where(DicomDevice.room_id == room_id)
        .order_by(DicomDevice.id)
        .limit(1)
        .scalar_subquery()
    )


def worklist_select(query: WorklistQuery, zone: ZoneInfo) -> Select:  # type: ignore[type-arg]
    radiologist = aliased(StaffUser)
    station = (
        literal(query.station_ae_title) if query.station_ae_title else _station(Appointment.room_id)
    )
    statement = (
        select(
            Appointment.id,
            Appointment.reference,
            Appointment.study_instance_uid,
            Appointment.status,
            Patient.mrn,
            Patient.first_name,
            Patient.last_name,
            Patient.date_of_birth,
            Patient.sex,
            ScanType.code,
            ScanType.name,
            Modality.code,
            Room.name,
            station,
            Appointment.start_at,
            radiologist.full_name,
            ReferringDoctor.full_name,
        )
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(ScanType, ScanType.id == Appointment.scan_type_id)
        .join(Modality, Modality.id == ScanType.modality_id)
        .join(Room, Room.id == Appointment.room_id)
        .outerjoin(radiologist, radiologist.id == Appointment.radiologist_id)
        .outerjoin(ReferringDoctor, ReferringDoctor.id == Appointment.referring_doctor_id)
        .where(Appointment.status.in_(ON_WORKLIST), Patient.deleted_at.is_(None))
        .order_by(Appointment.start_at, Appointment.id)
    )
    if query.station_ae_title:
        statement = statement.where(
            select(DicomDevice.id)
            .where(
                DicomDevice.room_id == Appointment.room_id,
                DicomDevice.ae_title == query.station_ae_title,
            )
            .exists()
        )
    if query.modality:
        statement = statement.where(Modality.code == query.modality.strip().upper())
    if query.first_day is not None:
        start = dt.datetime.combine(query.first_day, dt.time(0), zone)
        statement = statement.where(Appointment.start_at >= start)
    if query.last_day is not None:
        end = dt.datetime.combine(query.last_day + dt.timedelta(days=1), dt.time(0), zone)
        statement = statement.where(Appointment.start_at < end)
    if query.patient_id:
        statement = statement.where(Patient.mrn.ilike(like_pattern(query.patient_id)))
    if query.patient_name:
        statement = statement.where(_name_matches(query.patient_name))
    return statement


def _name_matches(pattern: str):  # type: ignore[no-untyped-def]
    """Match "Surname^Given", or the surname alone when the pattern has no ``^``;
    case-insensitive, as most scanners expect."""
    like = like_pattern(pattern)
    full = func.concat(Patient.last_name, "^", Patient.first_name)
    return or_(full.ilike(like), Patient.last_name.ilike(like))


def find_worklist(
    session_factory: sessionmaker[Session], query: WorklistQuery
) -> list[WorklistItem]:
    """Every scheduled procedure step that matches ``query``, earliest first."""
    with session_factory() as session:
        zone = clinic_zone(session)
        rows = session.execute(worklist_select(query, zone)).all()
    return [
        WorklistItem(
            appointment_id=row[0],
            reference=row[1],
            study_instance_uid=row[2],
            status=AppointmentStatus(row[3]),
            mrn=row[4],
            first_name=row[5],
            last_name=row[6],
            date_of_birth=row[7],
            sex=row[8],
            scan_code=row[9],
            scan_name=row[10],
            modality_code=row[11],
            room_name=row[12],
            station_ae_title=row[13],
            start_at=row[14].astimezone(zone),
            radiologist_name=row[15],
            referring_doctor_name=row[16],
        )
        for row in rows
    ]
