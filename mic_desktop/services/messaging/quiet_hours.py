"""The clinic's quiet hours: no SMS goes out between, say, 20:00 and 07:00 clinic time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from mic_desktop.models import ClinicSettings


def quiet_until(
    now: dt.datetime, start: dt.time, end: dt.time, zone: ZoneInfo
) -> dt.datetime | None:
    """When the quiet hours around ``now`` end, or None when it is not quiet now."""
    if start == end:
        return None
    local = now.astimezone(zone)
    time = local.time().replace(tzinfo=None)
    if start > end:  # over midnight, e.g. 20:00-07:00
        if time >= start:
            day = local.date() + dt.timedelta(days=1)
        elif time < end:
            day = local.date()
        else:
            return None
    elif start <= time < end:
        day = local.date()
    else:
        return None
    return dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.UTC)


def clinic_quiet_hours(session: Session) -> Callable[[dt.datetime], dt.datetime | None]:
    """``quiet_until`` bound to the clinic's settings (no quiet hours without settings)."""
    clinic = session.get(ClinicSettings, 1)
    if clinic is None:
        return lambda _when: None
    start, end = clinic.quiet_hours_start, clinic.quiet_hours_end
    zone = ZoneInfo(clinic.time_zone or "UTC")
    return lambda when: quiet_until(when, start, end, zone)


def clinic_quiet_until(session: Session, now: dt.datetime) -> dt.datetime | None:
    """When the clinic's current quiet hours end, or None when SMS may go out now."""
    return clinic_quiet_hours(session)(now)
