"""The services the reception window uses, built once from the person's session."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject

from mic_desktop.services.billing.payments import PaymentService
from mic_desktop.services.billing.pricing import PricingService
from mic_desktop.services.patients.feedback import FeedbackService
from mic_desktop.services.patients.registry import PatientService
from mic_desktop.services.scheduling.book import SchedulingService
from mic_desktop.services.scheduling.booking import BookingService
from mic_desktop.services.scheduling.referring_doctors import ReferringDoctorDirectory
from mic_desktop.ui.common.session import UserSession


@dataclass
class ReceptionContext:
    """Services plus what screens need to show dates and money the clinic's way."""

    session: UserSession
    patients: PatientService
    pricing: PricingService
    scheduling: SchedulingService
    booking: BookingService
    doctors: ReferringDoctorDirectory
    payments: PaymentService
    feedback: FeedbackService

    @classmethod
    def from_session(cls, session: UserSession) -> ReceptionContext:
        sf = session.database.session_factory
        actor, pc, clock = session.account, session.workstation, session.clock
        return cls(
            session=session,
            patients=PatientService(sf, actor, pc, clock),
            pricing=PricingService(sf, actor, pc),
            scheduling=SchedulingService(sf, actor, pc, clock),
            booking=BookingService(sf, actor, pc, clock, session.auth_service()),
            doctors=ReferringDoctorDirectory(sf, actor, pc),
            payments=PaymentService(sf, actor, pc, clock),
            feedback=FeedbackService(sf, actor, pc, clock),
        )

    @property
    def zone(self) -> ZoneInfo:
        return self.session.clinic.zone

    @property
    def currency(self) -> str:
        return self.session.clinic.currency

    @property
    def changes(self) -> QObject | None:
        """The session's change signal (this PC's commits and the other desks'), if any."""
        return getattr(self.session, "changes", None)
