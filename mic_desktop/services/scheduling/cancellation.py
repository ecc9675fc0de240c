"""Cancelling an appointment, and the late-cancellation rule.

Cancelling less than the clinic's ``late_cancellation_hours`` before the start needs
a reason and a manager's password (:class:`ManagerAuthorisation`) and is recorded as
a late cancellation with the manager who authorised it. The password is checked
before anything is locked; a wrong one raises AuthenticationError and changes
nothing. When the limit passes while the dialog is open, the cancellation is
refused as late rather than saved without an authorisation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import Appointment, AppointmentStatus, Role
from mic_desktop.services import live
from mic_desktop.services.accounts.auth import AuthService, StaffAccount
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.errors import NotFoundError, PermissionDeniedError, ValidationError
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.messaging import notifications
from mic_desktop.services.records import clinic_settings, stale_guard
from mic_desktop.services.scheduling.appointments import (
    AppointmentDetails,
    AppointmentService,
    appointment_details,
    clean_text,
)
from mic_desktop.services.scheduling.freed_slots import free_slot
from mic_desktop.services.text_checks import NOTES_MAX, check_text

S = AppointmentStatus


class LateCancellationError(PermissionDeniedError):
    """The cancellation is late: ask for a reason and a manager's authorisation."""


@dataclass(frozen=True)
class ManagerAuthorisation:
    """A manager's username and password typed into the authorisation dialog."""

    username: str
    password: str


class CancellationService(AppointmentService):
    """Cancelling appointments; a late one needs a manager's authorisation."""

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
        reason = clean_text(check_text(reason, "reason", "The reason", NOTES_MAX))
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
            free_slot(session, appointment, "cancelled", now)
            details: dict[str, Any] = {"reference": appointment.reference, "reason": reason}
            if late:
                details |= {"late": True, "authorised_by": manager.username if manager else None}
            self._audit(session, "appointment_cancelled", appointment, details)
            live.notify(session, LiveChannel.APPOINTMENT, appointment.id)
            return appointment_details(session, appointment.id)

    def _late(self, session: Session, appointment: Appointment) -> bool:
        hours = clinic_settings(session).late_cancellation_hours
        return appointment.start_at - self._clock() < dt.timedelta(hours=hours)
