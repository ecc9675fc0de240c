"""Booking appointments and moving them through the day.

Booking writes the appointment with the money quoted at that moment (service
charge, medical-aid cover, co-payment), a reference ``A0000001``... from a gapless
series, the first status-history row, an optional referral letter, the booking
confirmation for the patient, the audit row and a NOTIFY for the other desks, all
in one transaction. Two desks booking the same room at the same time: the
database's exclusion constraint lets one through, the other gets
:class:`SlotTakenError` with nothing saved.

Status moves follow :data:`ALLOWED_MOVES`; each is written to the status history
with who, when and the workstation. Cancelling less than the clinic's
``late_cancellation_hours`` before the start needs a reason and a manager's
password (:class:`ManagerAuthorisation`) and is recorded as a late cancellation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import (
    Appointment,
    AppointmentAttachment,
    AppointmentStatus,
    AppointmentStatusChange,
    MedicalAidPlan,
    Patient,
    ReferringDoctor,
    Report,
    ReportStatus,
    Role,
    Room,
    ScanType,
    StaffUser,
    Urgency,
)
from mic_desktop.services import audit, live
from mic_desktop.services.accounts.auth import AuthService, StaffAccount
from mic_desktop.services.base import ClinicService
from mic_desktop.services.billing.pricing import quote_in
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.documents.letterhead import load_letterhead
from mic_desktop.services.documents.slip import SlipData, render_slip
from mic_desktop.services.errors import (
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
    SlotTakenError,
    ValidationError,
)
from mic_desktop.services.formats import format_datetime, format_time
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.messaging import notifications
from mic_desktop.services.patients.contact_details import normalise_email, normalise_phone
from mic_desktop.services.records import (
    check_version,
    clinic_settings,
    clinic_zone,
    next_document_number,
    stale_guard,
    utc,
)
from mic_desktop.services.scheduling.book import SlotCheck, check_slot

S = AppointmentStatus
ALLOWED_MOVES: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    S.PENDING: frozenset({S.CONFIRMED, S.ARRIVED, S.CANCELLED, S.NO_SHOW}),
    S.CONFIRMED: frozenset({S.ARRIVED, S.CANCELLED, S.NO_SHOW}),
    S.ARRIVED: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}
RESCHEDULABLE = frozenset({S.PENDING, S.CONFIRMED})
_VERBS = {
    S.CONFIRMED: "confirmed",
    S.ARRIVED: "checked in",
    S.IN_PROGRESS: "started",
    S.COMPLETED: "completed",
    S.CANCELLED: "cancelled",
    S.NO_SHOW: "marked as a no-show",
}
# Referral letters: what a file must start with to be the type it claims.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_RADIOLOGIST_LOCK = 7301  # pg_advisory_xact_lock namespace: one radiologist's bookings


class LateCancellationError(PermissionDeniedError):
    """The cancellation is late: ask for a reason and a manager's authorisation."""


@dataclass(frozen=True)
class ReferralLetter:
    filename: str
    content: bytes


@dataclass(frozen=True)
class ManagerAuthorisation:
    """A manager's username and password typed into the authorisation dialog."""

    username: str
    password: str


@dataclass(frozen=True)
class BookingRequest:
    patient_id: int
    scan_type_id: int
    room_id: int
    start_at: dt.datetime  # aware; the end follows from the scan's duration
    referring_doctor_id: int | None = None
    radiologist_id: int | None = None  # None: the first free one when the modality needs one
    clinical_notes: str = ""
    urgency: Urgency | str = Urgency.ROUTINE
    preauthorisation_number: str | None = None
    referral_letter: ReferralLetter | None = None
    use_medical_aid: bool = True  # False: the patient pays the whole price


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: dt.datetime


@dataclass(frozen=True)
class StatusChangeLine:
    from_status: AppointmentStatus | None
    to_status: AppointmentStatus
    changed_at: dt.datetime
    changed_by: str | None
    reason: str | None
    workstation: str | None


@dataclass(frozen=True)
class AppointmentDetails:
    id: int
    reference: str
    patient_id: int
    patient_name: str
    mrn: str
    scan_type_id: int
    scan_code: str
    scan_name: str
    modality_code: str
    preparation: str
    room_id: int
    room_name: str
    radiologist_id: int | None
    radiologist_name: str | None
    referring_doctor_id: int | None
    referring_doctor_name: str | None
    start_at: dt.datetime
    end_at: dt.datetime
    status: AppointmentStatus
    urgency: Urgency
    clinical_notes: str
    preauthorisation_number: str | None
    medical_aid_plan_id: int | None
    plan_name: str | None
    price: Decimal
    medical_aid_cover: Decimal
    patient_copay: Decimal
    checked_in_at: dt.datetime | None
    scan_started_at: dt.datetime | None
    scan_completed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancellation_reason: str | None
    is_late_cancellation: bool
    cancellation_authorised_by: str | None
    created_at: dt.datetime
    version: int
    attachments: tuple[AttachmentInfo, ...]

    @property
    def next_statuses(self) -> frozenset[AppointmentStatus]:
        """Where this appointment may move next (for enabling the desk's actions)."""
        return ALLOWED_MOVES[self.status]

    @property
    def can_reschedule(self) -> bool:
        return self.status in RESCHEDULABLE


@dataclass(frozen=True)
class DoctorInfo:
    id: int
    full_name: str
    practice_name: str | None
    practice_number: str | None
    phone: str | None
    email: str | None


def _clean(value: str | None, limit: int | None = None) -> str | None:
    cleaned = " ".join(unicodedata.normalize("NFC", value or "").split())
    if limit is not None:
        cleaned = cleaned[:limit]
    return cleaned or None


def _is_exclusion_violation(error: IntegrityError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "23P01"


def check_referral_letter(letter: ReferralLetter, max_mb: int) -> tuple[str, str, str]:
    """(file name, content type, SHA-256) of a real PDF or image within the size limit."""
    size = len(letter.content)
    if size == 0:
        raise ValidationError("The referral letter is an empty file.", "referral_letter")
    if size > max_mb * 1024 * 1024:
        raise ValidationError(
            f"The referral letter is {size / 1024 / 1024:.1f} MB; the limit is {max_mb} MB.",
            "referral_letter",
        )
    content_type = next(
        (kind for signature, kind in _SIGNATURES if letter.content.startswith(signature)), None
    )
    if content_type is None:
        raise ValidationError(
            "The referral letter must be a PDF or an image (PNG, JPEG or TIFF).",
            "referral_letter",
        )
    name = unicodedata.normalize("NFC", PurePath(letter.filename.replace("\\", "/")).name)
    return name[-255:] or "referral", content_type, hashlib.sha256(letter.content).hexdigest()


class BookingService(ClinicService):
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        actor: StaffAccount,
        workstation: str,
        clock: Clock = utc_now,
        auth: AuthService | None = None,
    ) -> None:
        super().__init__(session_factory, actor, workstation, clock)
        self._auth = auth or AuthService(session_factory, workstation, clock)

    # ----------------------------------------------------------------- booking

    def book(self, request: BookingRequest) -> AppointmentDetails:
        """Book a scan; SlotTakenError when another desk took the room's time first."""
        start_at = utc(request.start_at)
        try:
            urgency = Urgency(request.urgency)
        except ValueError:
            raise ValidationError("Choose routine or urgent.", "urgency") from None
        notes = (request.clinical_notes or "").strip()
        preauthorisation = _clean(request.preauthorisation_number, 40)
        now = self._clock()
        with self._sessions.begin() as session:
            settings = clinic_settings(session)
            letter = (
                check_referral_letter(request.referral_letter, settings.report_pdf_max_mb)
                if request.referral_letter is not None
                else None
            )
            patient = session.get(Patient, request.patient_id)
            if patient is None or patient.deleted_at is not None:
                raise NotFoundError("This patient no longer exists.")
            scan = session.get(ScanType, request.scan_type_id)
            if scan is None or not scan.is_active:
                raise ValidationError("This scan type is no longer offered.", "scan_type")
            room = _room(session, request.room_id)
            if start_at + dt.timedelta(minutes=scan.duration_minutes) <= now:
                raise ValidationError("That time has already passed.", "start_at")
            if request.referring_doctor_id is not None:
                _doctor(session, request.referring_doctor_id)
            plan_id = patient.medical_aid_plan_id if request.use_medical_aid else None
            quote = quote_in(session, scan.id, plan_id)
            if quote.requires_preauthorisation and preauthorisation is None:
                raise ValidationError(
                    f"{quote.plan_name} needs a pre-authorisation number for {scan.name}.",
                    "preauthorisation_number",
                )
            radiologist = self._choose_radiologist(
                session, scan, room, start_at, request.radiologist_id, None
            )
            number = next_document_number(session, "appointment")
            appointment = Appointment(
                reference=f"A{number:07d}",
                patient_id=patient.id,
                scan_type_id=scan.id,
                room_id=room.id,
                radiologist_id=radiologist.radiologist_id,
                referring_doctor_id=request.referring_doctor_id,
                start_at=start_at,
                end_at=start_at + dt.timedelta(minutes=scan.duration_minutes),
                status=S.PENDING.value,
                urgency=urgency.value,
                clinical_notes=notes,
                preauthorisation_number=preauthorisation,
                price=quote.price,
                medical_aid_plan_id=quote.plan_id,
                medical_aid_cover=quote.medical_aid_cover,
                patient_copay=quote.patient_copay,
                created_by_id=self._actor.id,
            )
            session.add(appointment)
            self._flush_slot(session)  # the room first: its constraint is the final word
            self._recheck_radiologist(session, appointment, radiologist)
            self._history(session, appointment, None, S.PENDING, None, now)
            if letter is not None and request.referral_letter is not None:
                self._attach(session, appointment, request.referral_letter, letter)
            notifications.queue_booking_confirmation(session, appointment, now=now)
            self._audit(
                session,
                "appointment_booked",
                appointment,
                {
                    "reference": appointment.reference,
                    "patient": patient.mrn,
                    "scan": scan.code,
                    "room": room.name,
                    "start_at": start_at.isoformat(),
                    "price": str(quote.price),
                    "cover": str(quote.medical_aid_cover),
                    "copay": str(quote.patient_copay),
                },
            )
            live.notify(session, LiveChannel.APPOINTMENT, appointment.id)
            return _details(session, appointment.id)

    def reschedule(
        self,
        appointment_id: int,
        expected_version: int,
        room_id: int,
        start_at: dt.datetime,
        *,
        radiologist_id: int | None = None,
    ) -> AppointmentDetails:
        """Move a pending or confirmed appointment to another slot (same rules as booking)."""
        start_at = utc(start_at)
        now = self._clock()
        with self._sessions.begin() as session:
            appointment = self._locked(session, appointment_id, expected_version)
            status = S(appointment.status)
            if status not in RESCHEDULABLE:
                raise ServiceError(f"A {status.label.lower()} appointment cannot be moved.")
            scan = appointment.scan_type
            room = _room(session, room_id)
            if start_at + dt.timedelta(minutes=scan.duration_minutes) <= now:
                raise ValidationError("That time has already passed.", "start_at")
            radiologist = self._choose_radiologist(
                session, scan, room, start_at, radiologist_id, appointment.id
            )
            zone = clinic_zone(session)
            before = f"{format_datetime(appointment.start_at, zone)} ({appointment.room.name})"
            old_start = appointment.start_at
            appointment.room_id = room.id
            appointment.start_at = start_at
            appointment.end_at = start_at + dt.timedelta(minutes=scan.duration_minutes)
            appointment.radiologist_id = radiologist.radiologist_id
            self._flush_slot(session)
            session.refresh(appointment, ["room"])
            self._recheck_radiologist(session, appointment, radiologist)
            after = f"{format_datetime(start_at, zone)} ({room.name})"
            self._history(
                session, appointment, status, status, f"Moved from {before} to {after}", now
            )
            notifications.appointment_rescheduled(session, appointment, now=now)
            self._audit(
                session,
                "appointment_rescheduled",
                appointment,
                {
                    "reference": appointment.reference,
                    "from": old_start.isoformat(),
                    "to": start_at.isoformat(),
                    "room": room.name,
                },
            )
            live.notify(session, LiveChannel.APPOINTMENT, appointment.id)
            return _details(session, appointment.id)

    # ---------------------------------------------------------- status moves

    def confirm(self, appointment_id: int, expected_version: int) -> AppointmentDetails:
        return self._move(appointment_id, expected_version, S.CONFIRMED, "appointment_confirmed")

    def check_in(self, appointment_id: int, expected_version: int) -> AppointmentDetails:
        """The patient has arrived at the desk."""
        return self._move(appointment_id, expected_version, S.ARRIVED, "appointment_checked_in")

    def start_scan(self, appointment_id: int, expected_version: int) -> AppointmentDetails:
        return self._move(appointment_id, expected_version, S.IN_PROGRESS, "scan_started")

    def complete_scan(self, appointment_id: int, expected_version: int) -> AppointmentDetails:
        """The scan is done: a pending report appears on the radiologists' worklist."""
        return self._move(appointment_id, expected_version, S.COMPLETED, "scan_completed")

    def mark_no_show(self, appointment_id: int, expected_version: int) -> AppointmentDetails:
        """The patient did not come; only once the start time has passed."""
        return self._move(appointment_id, expected_version, S.NO_SHOW, "appointment_no_show")

    def is_late_cancellation(self, appointment_id: int) -> bool:
        """Whether cancelling now needs a reason and a manager's authorisation."""
        with self._sessions() as session:
            appointment = session.get(Appointment, appointment_id)
            if appointment is None:
                raise NotFoundError("This appointment no longer exists.")
            return self._late(session, appointment)

    def cancel(
        self,
        appointment_id: int,
        expected_version: int,
        reason: str | None = None,
        authorisation: ManagerAuthorisation | None = None,
    ) -> AppointmentDetails:
        """Cancel; late (inside the clinic's limit) needs a reason and a manager's password.

        A wrong manager password raises AuthenticationError and changes nothing.
        """
        reason = _clean(reason)
        with self._sessions() as session:
            appointment = session.get(Appointment, appointment_id)
            if appointment is None:
                raise NotFoundError("This appointment no longer exists.")
            self._check_move(appointment, S.CANCELLED)
            late = self._late(session, appointment)
            hours = clinic_settings(session).late_cancellation_hours
        manager: StaffAccount | None = None
        if late:
            if reason is None:
                raise ValidationError(
                    f"Cancelling less than {hours} hours before the start needs a reason.",
                    "reason",
                )
            if authorisation is None:
                raise LateCancellationError(
                    f"Cancelling less than {hours} hours before the start needs a "
                    "manager's authorisation."
                )
            manager = self._auth.verify_credentials(
                authorisation.username, authorisation.password, Role.MANAGER
            )
        now = self._clock()
        with self._sessions.begin() as session:
            appointment = self._locked(session, appointment_id, expected_version)
            self._check_move(appointment, S.CANCELLED)
            late = self._late(session, appointment)
            if late and manager is None:  # the limit passed while the dialog was open
                raise LateCancellationError(
                    "It is now a late cancellation: a reason and a manager's authorisation "
                    "are needed."
                )
            previous = S(appointment.status)
            appointment.status = S.CANCELLED.value
            appointment.cancelled_at = now
            appointment.cancellation_reason = reason
            appointment.is_late_cancellation = late
            appointment.cancellation_authorised_by_id = manager.id if late and manager else None
            with stale_guard("This appointment"):
                session.flush()
            self._history(session, appointment, previous, S.CANCELLED, reason, now)
            notifications.appointment_cancelled(session, appointment, now=now)
            details: dict[str, Any] = {"reference": appointment.reference, "reason": reason}
            if late:
                details |= {"late": True, "authorised_by": manager.username if manager else None}
            self._audit(session, "appointment_cancelled", appointment, details)
            live.notify(session, LiveChannel.APPOINTMENT, appointment.id)
            return _details(session, appointment.id)

    # ------------------------------------------------------------------- read

    def get(self, appointment_id: int) -> AppointmentDetails:
        with self._sessions() as session:
            return _details(session, appointment_id)

    def history(self, appointment_id: int) -> list[StatusChangeLine]:
        """Every status change of the appointment, oldest first."""
        with self._sessions() as session:
            rows = session.execute(
                select(AppointmentStatusChange, StaffUser.full_name)
                .outerjoin(StaffUser, StaffUser.id == AppointmentStatusChange.changed_by_id)
                .where(AppointmentStatusChange.appointment_id == appointment_id)
                .order_by(AppointmentStatusChange.changed_at, AppointmentStatusChange.id)
            ).all()
        return [
            StatusChangeLine(
                from_status=S(change.from_status) if change.from_status else None,
                to_status=S(change.to_status),
                changed_at=change.changed_at,
                changed_by=name,
                reason=change.reason,
                workstation=change.workstation,
            )
            for change, name in rows
        ]

    def attach_referral_letter(self, appointment_id: int, letter: ReferralLetter) -> AttachmentInfo:
        """Add a referral letter (PDF or image) to an existing appointment."""
        with self._sessions.begin() as session:
            appointment = session.get(Appointment, appointment_id)
            if appointment is None:
                raise NotFoundError("This appointment no longer exists.")
            checked = check_referral_letter(letter, clinic_settings(session).report_pdf_max_mb)
            row = self._attach(session, appointment, letter, checked)
            self._audit(session, "referral_letter_attached", appointment, {"file": row.filename})
            live.notify(session, LiveChannel.APPOINTMENT, appointment.id)
            return _attachment_info(row)

    def referral_letter(self, attachment_id: int) -> tuple[str, str, bytes]:
        """(file name, content type, bytes) of an attached referral letter."""
        with self._sessions() as session:
            row = session.get(AppointmentAttachment, attachment_id)
            if row is None:
                raise NotFoundError("This referral letter no longer exists.")
            return row.filename, row.content_type, row.content

    def slip(self, appointment_id: int) -> SlipData:
        with self._sessions() as session:
            return _slip(session, appointment_id)

    def slip_pdf(self, appointment_id: int) -> bytes:
        """The appointment slip (date, time, room, preparation, QR code) as PDF bytes."""
        with self._sessions() as session:
            slip = _slip(session, appointment_id)
            letterhead = load_letterhead(session)
        return render_slip(slip, letterhead)

    # --------------------------------------------------------------- internal

    def _move(
        self, appointment_id: int, expected_version: int, target: AppointmentStatus, action: str
    ) -> AppointmentDetails:
        now = self._clock()
        with self._sessions.begin() as session:
            appointment = self._locked(session, appointment_id, expected_version)
            self._check_move(appointment, target)
            if target is S.NO_SHOW and now < appointment.start_at:
                zone = clinic_zone(session)
                raise ServiceError(
                    "A patient can be marked as a no-show only after the start time "
                    f"({format_time(appointment.start_at, zone)})."
                )
            previous = S(appointment.status)
            appointment.status = target.value
            if target is S.ARRIVED:
                appointment.checked_in_at = now
            elif target is S.IN_PROGRESS:
                appointment.scan_started_at = now
            elif target is S.COMPLETED:
                appointment.scan_completed_at = now
            with stale_guard("This appointment"):
                session.flush()
            self._history(session, appointment, previous, target, None, now)
            if target is S.COMPLETED:
                report_id = session.execute(
                    insert(Report)
                    .values(appointment_id=appointment.id, status=ReportStatus.PENDING.value)
                    .on_conflict_do_nothing(index_elements=["appointment_id"])
                    .returning(Report.id)
                ).scalar_one_or_none()
                if report_id is not None:
                    live.notify(session, LiveChannel.REPORT, report_id)
            self._audit(session, action, appointment, {"reference": appointment.reference})
            live.notify(session, LiveChannel.APPOINTMENT, appointment.id)
            return _details(session, appointment.id)

    @staticmethod
    def _check_move(appointment: Appointment, target: AppointmentStatus) -> None:
        current = S(appointment.status)
        if target not in ALLOWED_MOVES[current]:
            raise ServiceError(f"A {current.label.lower()} appointment cannot be {_VERBS[target]}.")

    def _locked(self, session: Session, appointment_id: int, expected_version: int) -> Appointment:
        appointment = session.scalars(
            select(Appointment).where(Appointment.id == appointment_id).with_for_update()
        ).one_or_none()
        if appointment is None:
            raise NotFoundError("This appointment no longer exists.")
        check_version(
            session,
            appointment.version,
            expected_version,
            "This appointment",
            "appointment",
            appointment.id,
        )
        return appointment

    def _late(self, session: Session, appointment: Appointment) -> bool:
        hours = clinic_settings(session).late_cancellation_hours
        return appointment.start_at - self._clock() < dt.timedelta(hours=hours)

    def _choose_radiologist(
        self,
        session: Session,
        scan: ScanType,
        room: Room,
        start_at: dt.datetime,
        wanted: int | None,
        appointment_id: int | None,
    ) -> SlotCheck:
        """Check the slot's rules and lock the radiologist it needs, if any.

        The lock makes desks assigning the same radiologist take turns until commit;
        :meth:`_recheck_radiologist` then sees what the other desk committed.
        """
        checked = check_slot(
            session,
            scan,
            room,
            start_at,
            radiologist_id=wanted,
            ignore_appointment_id=appointment_id,
        )
        if checked.radiologist_id is not None:
            session.execute(
                text("SELECT pg_advisory_xact_lock(:space, :id)"),
                {"space": _RADIOLOGIST_LOCK, "id": checked.radiologist_id},
            )
        return checked

    @staticmethod
    def _recheck_radiologist(
        session: Session, appointment: Appointment, checked: SlotCheck
    ) -> None:
        if checked.radiologist_id is None:
            return
        try:
            check_slot(
                session,
                appointment.scan_type,
                appointment.room,
                appointment.start_at,
                radiologist_id=checked.radiologist_id,
                ignore_appointment_id=appointment.id,
            )
        except ValidationError:
            raise SlotTakenError(
                f"{checked.radiologist_name} was just booked for that time at another desk. "
                "Please choose another slot."
            ) from None

    @staticmethod
    def _flush_slot(session: Session) -> None:
        try:
            with stale_guard("This appointment"):
                session.flush()
        except IntegrityError as error:
            if _is_exclusion_violation(error):
                raise SlotTakenError(
                    "This slot was just taken by another booking. Please choose another."
                ) from None
            raise

    def _history(
        self,
        session: Session,
        appointment: Appointment,
        previous: AppointmentStatus | None,
        target: AppointmentStatus,
        reason: str | None,
        now: dt.datetime,
    ) -> None:
        session.add(
            AppointmentStatusChange(
                appointment_id=appointment.id,
                from_status=previous.value if previous else None,
                to_status=target.value,
                changed_by_id=self._actor.id,
                changed_at=now,
                reason=reason,
                workstation=self._workstation,
            )
        )

    def _attach(
        self,
        session: Session,
        appointment: Appointment,
        letter: ReferralLetter,
        checked: tuple[str, str, str],
    ) -> AppointmentAttachment:
        filename, content_type, sha256 = checked
        row = AppointmentAttachment(
            appointment_id=appointment.id,
            filename=filename,
            content_type=content_type,
            content=letter.content,
            size_bytes=len(letter.content),
            sha256=sha256,
            uploaded_by_id=self._actor.id,
        )
        session.add(row)
        session.flush()
        return row

    def _audit(
        self, session: Session, action: str, appointment: Appointment, details: dict[str, Any]
    ) -> None:
        self._audit_change(session, action, "appointment", appointment.id, details)


class ReferringDoctorDirectory:
    """The doctors who refer patients: search as you type, quick add from the booking dialog."""

    def __init__(
        self, session_factory: sessionmaker[Session], actor: StaffAccount, workstation: str
    ) -> None:
        self._sessions = session_factory
        self._actor = actor
        self._workstation = workstation

    def search(self, typed: str = "", limit: int = 50) -> list[DoctorInfo]:
        """Active doctors whose name, practice or practice number contains every typed word."""
        query = select(ReferringDoctor).where(ReferringDoctor.is_active)
        for word in (typed or "").split():
            key = select(func.mic_search_key(word)).scalar_subquery()
            pattern = "%" + key + "%"
            query = query.where(
                func.mic_search_key(ReferringDoctor.full_name).like(pattern)
                | func.mic_search_key(func.coalesce(ReferringDoctor.practice_name, "")).like(
                    pattern
                )
                | func.mic_id_key(func.coalesce(ReferringDoctor.practice_number, "")).like(
                    "%" + func.mic_id_key(word) + "%"
                )
            )
        with self._sessions() as session:
            rows = session.scalars(query.order_by(ReferringDoctor.full_name).limit(limit)).all()
            return [_doctor_info(row) for row in rows]

    def add(
        self,
        full_name: str,
        *,
        practice_name: str | None = None,
        practice_number: str | None = None,
        phone: str | None = None,
        email: str | None = None,
    ) -> DoctorInfo:
        """Add a doctor; one practice number belongs to one doctor."""
        name = _clean(full_name)
        if name is None:
            raise ValidationError("Enter the doctor's name.", "full_name")
        if len(name) > 120:
            raise ValidationError("The name is longer than 120 characters.", "full_name")
        number = _clean(practice_number, 40)
        with self._sessions.begin() as session:
            region = clinic_settings(session).phone_region
            values = {
                "full_name": name,
                "practice_name": _clean(practice_name, 120),
                "practice_number": number,
                "phone": normalise_phone(phone, region),
                "email": normalise_email(email),
            }
            if number is not None:
                existing = session.scalars(
                    select(ReferringDoctor).where(
                        func.mic_id_key(ReferringDoctor.practice_number) == func.mic_id_key(number)
                    )
                ).first()
                if existing is not None:
                    raise ValidationError(
                        f"Practice number {number} is already in the directory: "
                        f"{existing.full_name}.",
                        "practice_number",
                    )
            doctor = ReferringDoctor(**values)
            session.add(doctor)
            session.flush()
            audit.record(
                session,
                "referring_doctor_added",
                staff_id=self._actor.id,
                username=self._actor.username,
                entity="referring_doctor",
                entity_id=doctor.id,
                details={"name": name, "practice_number": number},
                workstation=self._workstation,
            )
            return _doctor_info(doctor)


def _doctor_info(row: ReferringDoctor) -> DoctorInfo:
    return DoctorInfo(
        row.id, row.full_name, row.practice_name, row.practice_number, row.phone, row.email
    )


def _room(session: Session, room_id: int) -> Room:
    room = session.get(Room, room_id)
    if room is None:
        raise NotFoundError("This room no longer exists.")
    return room


def _doctor(session: Session, doctor_id: int) -> ReferringDoctor:
    doctor = session.get(ReferringDoctor, doctor_id)
    if doctor is None or not doctor.is_active:
        raise ValidationError("This referring doctor is not in the directory.", "referring_doctor")
    return doctor


def _attachment_info(row: AppointmentAttachment) -> AttachmentInfo:
    return AttachmentInfo(
        row.id, row.filename, row.content_type, row.size_bytes, row.sha256, row.uploaded_at
    )


def _details(session: Session, appointment_id: int) -> AppointmentDetails:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFoundError("This appointment no longer exists.")
    names = dict(
        session.execute(
            select(StaffUser.id, StaffUser.full_name).where(
                StaffUser.id.in_(
                    [
                        i
                        for i in (
                            appointment.radiologist_id,
                            appointment.cancellation_authorised_by_id,
                        )
                        if i is not None
                    ]
                )
            )
        ).all()
    )
    plan = (
        session.get(MedicalAidPlan, appointment.medical_aid_plan_id)
        if appointment.medical_aid_plan_id
        else None
    )
    attachments = session.scalars(
        select(AppointmentAttachment)
        .where(AppointmentAttachment.appointment_id == appointment.id)
        .order_by(AppointmentAttachment.id)
    ).all()
    patient, scan = appointment.patient, appointment.scan_type
    doctor = appointment.referring_doctor
    return AppointmentDetails(
        id=appointment.id,
        reference=appointment.reference,
        patient_id=patient.id,
        patient_name=patient.full_name,
        mrn=patient.mrn,
        scan_type_id=scan.id,
        scan_code=scan.code,
        scan_name=scan.name,
        modality_code=scan.modality.code,
        preparation=scan.preparation,
        room_id=appointment.room_id,
        room_name=appointment.room.name,
        radiologist_id=appointment.radiologist_id,
        radiologist_name=names.get(appointment.radiologist_id),
        referring_doctor_id=appointment.referring_doctor_id,
        referring_doctor_name=doctor.full_name if doctor is not None else None,
        start_at=appointment.start_at,
        end_at=appointment.end_at,
        status=S(appointment.status),
        urgency=Urgency(appointment.urgency),
        clinical_notes=appointment.clinical_notes,
        preauthorisation_number=appointment.preauthorisation_number,
        medical_aid_plan_id=appointment.medical_aid_plan_id,
        plan_name=plan.display_name if plan is not None else None,
        price=appointment.price,
        medical_aid_cover=appointment.medical_aid_cover,
        patient_copay=appointment.patient_copay,
        checked_in_at=appointment.checked_in_at,
        scan_started_at=appointment.scan_started_at,
        scan_completed_at=appointment.scan_completed_at,
        cancelled_at=appointment.cancelled_at,
        cancellation_reason=appointment.cancellation_reason,
        is_late_cancellation=appointment.is_late_cancellation,
        cancellation_authorised_by=names.get(appointment.cancellation_authorised_by_id),
        created_at=appointment.created_at,
        version=appointment.version,
        attachments=tuple(_attachment_info(row) for row in attachments),
    )


def _slip(session: Session, appointment_id: int) -> SlipData:
    details = _details(session, appointment_id)
    return SlipData(
        reference=details.reference,
        patient_name=details.patient_name,
        mrn=details.mrn,
        scan_name=details.scan_name,
        room_name=details.room_name,
        start_at=details.start_at,
        end_at=details.end_at,
        preparation=details.preparation,
        price=details.price,
        medical_aid_cover=details.medical_aid_cover,
        patient_copay=details.patient_copay,
        plan_name=details.plan_name,
        referring_doctor=details.referring_doctor_name,
        late_cancellation_hours=clinic_settings(session).late_cancellation_hours,
    )
