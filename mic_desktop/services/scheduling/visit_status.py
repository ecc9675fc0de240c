"""The status moves of a visit: confirm, check in, start the scan, complete it, no-show.

Each move follows :data:`~.appointments.ALLOWED_MOVES`, stamps its time on the
appointment (checked in, scan started, scan completed) and is written to the status
history with who, when and the workstation. A patient is a no-show only once the start
time has passed, and checked in only from the clinic's check-in window before the
start (``check_in_minutes_before``, 2 hours unless set). Completing the scan opens the
pending report on the radiologists' worklist, once, whichever desk completes it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects.postgresql import insert

from mic_desktop.models import AppointmentStatus, Report, ReportStatus
from mic_desktop.services import live
from mic_desktop.services.errors import ServiceError
from mic_desktop.services.formats import format_datetime, format_time
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.records import clinic_settings, clinic_zone, stale_guard
from mic_desktop.services.scheduling.appointments import (
    AppointmentDetails,
    AppointmentService,
    appointment_details,
)
from mic_desktop.services.scheduling.freed_slots import free_slot

S = AppointmentStatus


class VisitStatusService(AppointmentService):
    """Moving an appointment through the day."""

    # A scanner reporting over DICOM that it started is proof the patient is there.
    _check_in_window_applies = True

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

    def _move(
        self,
        appointment_id: int,
        expected_version: int | None,
        target: AppointmentStatus,
        action: str,
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
            if target is S.ARRIVED and self._check_in_window_applies:
                window = clinic_settings(session).check_in_minutes_before
                opens = appointment.start_at - dt.timedelta(minutes=window)
                if now < opens:
                    zone = clinic_zone(session)
                    raise ServiceError(
                        f"Check-in opens {_window_text(window)} before the appointment, "
                        f"at {format_datetime(opens, zone)}; this patient is booked for "
                        f"{format_datetime(appointment.start_at, zone)}."
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
            if target is S.NO_SHOW:  # what is left of a long slot may still be offered
                free_slot(
                    session, appointment, "no-show", now, start_at=max(now, appointment.start_at)
                )
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
            return appointment_details(session, appointment.id)


def _window_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if rest or not hours:
        return f"{minutes} minutes"
    return f"{hours} hour{'s' if hours != 1 else ''}"
