"""Reading the clinic's shared settings (name, time zone, currency, idle lock ...)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import ClinicSettings


@dataclass(frozen=True)
class ClinicInfo:
    """A detached copy of the clinic settings for display and rules."""

    name: str
    address: str
    phone: str
    email: str
    time_zone: str
    currency: str
    phone_region: str
    idle_lock_minutes: int
    late_cancellation_hours: int
    report_pdf_max_mb: int
    report_overdue_hours: int
    critical_escalation_minutes: int
    quiet_hours_start: dt.time
    quiet_hours_end: dt.time
    reminder_offsets_hours: tuple[int, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def load_clinic_info(session_factory: sessionmaker[Session]) -> ClinicInfo:
    with session_factory() as session:
        row = session.get(ClinicSettings, 1)
        if row is None:  # the first migration inserts it; a restored partial dump may not
            row = ClinicSettings(id=1)
            session.add(row)
            session.commit()
        return ClinicInfo(
            name=row.name,
            address=row.address,
            phone=row.phone,
            email=row.email,
            time_zone=row.time_zone,
            currency=row.currency,
            phone_region=row.phone_region,
            idle_lock_minutes=row.idle_lock_minutes,
            late_cancellation_hours=row.late_cancellation_hours,
            report_pdf_max_mb=row.report_pdf_max_mb,
            report_overdue_hours=row.report_overdue_hours,
            critical_escalation_minutes=row.critical_escalation_minutes,
            quiet_hours_start=row.quiet_hours_start,
            quiet_hours_end=row.quiet_hours_end,
            reminder_offsets_hours=tuple(row.reminder_offsets_hours or ()),
        )
