"""Booking a visit: the request, the money quoted at booking, rescheduling, referral
letters and the appointment slip.

Booking writes the appointment with the money quoted at that moment (service
charge, medical-aid cover, co-payment), a reference ``A0000001``... from a gapless
series, the first status-history row, an optional referral letter, the booking
confirmation for the patient, the audit row and a NOTIFY for the other desks, all
in one transaction. Two desks booking the same room at the same time: the
database's exclusion constraint lets one through, the other gets
:class:`SlotTakenError` with nothing saved. Rescheduling moves a pending or
confirmed appointment under the same slot rules.

:class:`BookingService` is the desk's one service for an appointment: it adds
booking to the status moves of :class:`~.visit_status.VisitStatusService` and the
cancellation rules of :class:`~.cancellation.CancellationService`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    AppointmentAttachment,
    AppointmentStatus,
    Patient,
    ReferringDoctor,
    Room,
    ScanType,
    Urgency,
)
from mic_desktop.services import live
from mic_desktop.services.billing.pricing import quote_in
from mic_desktop.services.documents.letterhead import load_letterhead
from mic_desktop.services.documents.slip import SlipData, render_slip
from mic_desktop.services.errors import (
    NotFoundError,
    ServiceError,
    SlotTakenError,
    ValidationError,
)
from mic_desktop.services.formats import format_datetime
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.messaging import notifications
from mic_desktop.services.records import (
    clinic_settings,
    clinic_zone,
    next_document_number,
    stale_guard,
    utc,
)
from mic_desktop.services.scheduling.appointments import (
    RESCHEDULABLE,
    AppointmentDetails,
    AttachmentInfo,
    appointment_details,
    attachment_info,
    clean_text,
)
from mic_desktop.services.scheduling.cancellation import CancellationService
from mic_desktop.services.scheduling.freed_slots import free_slot
from mic_desktop.services.scheduling.referral_letters import (
    ReferralLetter,
    check_referral_letter,
    read_referral_letter,
)
from mic_desktop.services.scheduling.slots import SlotCheck, check_slot
from mic_desktop.services.scheduling.visit_status import VisitStatusService
from mic_desktop.services.text_checks import NOTES_MAX, check_text

S = AppointmentStatus

_RADIOLOGIST_LOCK = 7301  # pg_advisory_xact_lock namespace: one radiologist's bookings


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


def _is_exclusion_violation(error: IntegrityError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "23P01"


class BookingService(VisitStatusService, CancellationService):
    """Booking and rescheduling; confirming, checking in, ... and cancelling come with it."""

    def book(self, request: BookingRequest) -> AppointmentDetails:
        """Book a scan; SlotTakenError when another desk took the room's time first."""
        start_at = utc(request.start_at)
        try:
            urgency = Urgency(request.urgency)
        except ValueError:
            raise ValidationError("Choose routine or urgent.", "urgency") from None
        notes = check_text(
            (request.clinical_notes or "").strip(), "clinical_notes", "The notes", NOTES_MAX
        )
        preauthorisation = clean_text(request.preauthorisation_number, 40)
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
            return appointment_details(session, appointment.id)

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
            old_start, old_end, old_room = (
                appointment.start_at,
                appointment.end_at,
                appointment.room_id,
            )
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
            appointment.calendar_sequence += 1
            notifications.appointment_rescheduled(session, appointment, now=now)
            free_slot(
                session,
                appointment,
                "moved",
                now,
                start_at=old_start,
                end_at=old_end,
                room_id=old_room,
            )
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
            return appointment_details(session, appointment.id)

    # ------------------------------------------------------- referral letters and slip

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
            return attachment_info(row)

    def read_referral_letter(self, path: Path) -> ReferralLetter:
        """Read a letter from the disk and check it; its size is checked before reading."""
        with self._sessions() as session:
            max_mb = clinic_settings(session).report_pdf_max_mb
        letter = read_referral_letter(path, max_mb)
        check_referral_letter(letter, max_mb)
        return letter

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


def _slip(session: Session, appointment_id: int) -> SlipData:
    details = appointment_details(session, appointment_id)
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
