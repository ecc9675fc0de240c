"""The clinic's shared settings, edited by the manager.

One row for every workstation: name, address and contacts printed on documents,
the logo (a PNG), time zone (validated with ``zoneinfo``), currency, phone
region, quiet hours for SMS, reminder offsets, the late-cancellation window,
idle-lock time, report PDF size limit and the reporting deadlines. A save names
the version it was made from; a save from an older copy is refused with who
changed it and when. Every change is audited (old and new values, never the
logo's bytes) and announced on the settings channel.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from PIL import Image, UnidentifiedImageError

from mic_desktop.models import ClinicSettings
from mic_desktop.services.base import ManagerService
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.patients.contact_details import normalise_email, normalise_phone
from mic_desktop.services.records import check_version, clinic_settings
from mic_desktop.services.text_checks import ADDRESS_MAX, check_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_PIXELS = 4000
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class ClinicSettingsForm:
    """Every setting the manager edits (the logo has its own method)."""

    name: str
    address: str
    phone: str
    email: str
    time_zone: str
    currency: str
    phone_region: str
    quiet_hours_start: dt.time
    quiet_hours_end: dt.time
    reminder_offsets_hours: tuple[int, ...]
    late_cancellation_hours: int
    idle_lock_minutes: int
    report_pdf_max_mb: int
    report_overdue_hours: int
    critical_escalation_minutes: int
    check_in_minutes_before: int = 120
    waitlist_offer_minutes: int = 30  # how long a waitlist offer waits for YES


@dataclass(frozen=True)
class ClinicSettingsInfo:
    form: ClinicSettingsForm
    logo_png: bytes | None
    version: int


_FORM_FIELDS = tuple(field.name for field in fields(ClinicSettingsForm))


class ClinicSettingsService(ManagerService):
    def load(self) -> ClinicSettingsInfo:
        with self._sessions.begin() as session:
            return _info(clinic_settings(session))

    def update(self, form: ClinicSettingsForm, *, expected_version: int) -> ClinicSettingsInfo:
        checked = validate(form)
        with self._sessions.begin() as session:
            row = clinic_settings(session)
            session.refresh(row, with_for_update=True)
            check_version(
                session, row.version, expected_version, "The clinic's setup", "clinic_settings", 1
            )
            changes = {}
            for name in _FORM_FIELDS:
                old, new = getattr(row, name), getattr(checked, name)
                if name == "reminder_offsets_hours":
                    old, new = tuple(old or ()), list(new)
                    if old == tuple(new):
                        continue
                elif old == new:
                    continue
                changes[name] = {"from": _jsonable(old), "to": _jsonable(new)}
                setattr(row, name, new)
            if changes:
                session.flush()
                self._audit(session, "clinic_settings_changed", "clinic_settings", 1, changes)
                notify(session, LiveChannel.SETTINGS, "clinic")
            return _info(row)

    def set_logo(self, png: bytes | None, *, expected_version: int) -> ClinicSettingsInfo:
        """Replace the logo printed on documents (``None`` removes it)."""
        size = check_logo(png) if png is not None else None
        with self._sessions.begin() as session:
            row = clinic_settings(session)
            session.refresh(row, with_for_update=True)
            check_version(
                session, row.version, expected_version, "The clinic's setup", "clinic_settings", 1
            )
            row.logo_png = png
            session.flush()
            details = {"removed": True} if png is None else {"bytes": len(png), "size": size}
            self._audit(session, "clinic_logo_changed", "clinic_settings", 1, details)
            notify(session, LiveChannel.SETTINGS, "clinic")
            return _info(row)


def validate(form: ClinicSettingsForm) -> ClinicSettingsForm:
    """The form cleaned up, or a ValidationError naming the field."""
    name = form.name.strip()
    if not name or len(name) > 120:
        raise ValidationError("Enter the clinic's name (120 characters at most).", "name")
    address = check_text(form.address, "address", "The address")
    address = "\n".join(line.strip() for line in address.strip().splitlines())
    if len(address) > ADDRESS_MAX:
        raise ValidationError(
            f"The address is too long ({ADDRESS_MAX} characters at most).", "address"
        )
    region = form.phone_region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError("Choose the country of the clinic's phone numbers.", "phone_region")
    try:
        phone = normalise_phone(form.phone, region) or ""
    except ValidationError as error:
        raise ValidationError(str(error), "phone") from None
    email = normalise_email(form.email, "email") or ""
    time_zone = form.time_zone.strip()
    if not is_time_zone(time_zone):
        raise ValidationError(
            f"{time_zone or 'An empty name'} is not a time zone; choose one like Africa/Harare.",
            "time_zone",
        )
    currency = form.currency.strip().upper()
    if not _CURRENCY.match(currency):
        raise ValidationError("The currency is a three-letter code such as USD or ZAR.", "currency")
    if form.quiet_hours_start == form.quiet_hours_end:
        raise ValidationError(
            "Quiet hours start and end at the same time; make them differ.", "quiet_hours_end"
        )
    offsets = tuple(sorted(set(form.reminder_offsets_hours), reverse=True))
    if len(offsets) > 3 or any(not 1 <= hours <= 168 for hours in offsets):
        raise ValidationError(
            "Up to three reminders, each 1 to 168 hours before the appointment.",
            "reminder_offsets_hours",
        )
    _between(
        form.late_cancellation_hours,
        0,
        168,
        "late_cancellation_hours",
        "The late-cancellation window is 0 to 168 hours.",
    )
    _between(
        form.idle_lock_minutes,
        1,
        240,
        "idle_lock_minutes",
        "Screens lock after 1 to 240 idle minutes.",
    )
    _between(
        form.report_pdf_max_mb, 1, 200, "report_pdf_max_mb", "A report PDF may be 1 to 200 MB."
    )
    _between(
        form.report_overdue_hours,
        1,
        720,
        "report_overdue_hours",
        "A report is overdue after 1 to 720 hours.",
    )
    _between(
        form.critical_escalation_minutes,
        5,
        1440,
        "critical_escalation_minutes",
        "Critical results escalate after 5 to 1440 minutes.",
    )
    _between(
        form.check_in_minutes_before,
        0,
        1440,
        "check_in_minutes_before",
        "Check-in opens 0 to 1440 minutes before the appointment.",
    )
    _between(
        form.waitlist_offer_minutes,
        5,
        1440,
        "waitlist_offer_minutes",
        "A waitlist offer waits 5 to 1440 minutes for the patient's YES.",
    )
    return ClinicSettingsForm(
        name=name,
        address=address,
        phone=phone,
        email=email,
        time_zone=time_zone,
        currency=currency,
        phone_region=region,
        quiet_hours_start=form.quiet_hours_start,
        quiet_hours_end=form.quiet_hours_end,
        reminder_offsets_hours=offsets,
        late_cancellation_hours=form.late_cancellation_hours,
        idle_lock_minutes=form.idle_lock_minutes,
        report_pdf_max_mb=form.report_pdf_max_mb,
        report_overdue_hours=form.report_overdue_hours,
        critical_escalation_minutes=form.critical_escalation_minutes,
        check_in_minutes_before=form.check_in_minutes_before,
        waitlist_offer_minutes=form.waitlist_offer_minutes,
    )


def is_time_zone(name: str) -> bool:
    """A IANA zone ``zoneinfo`` can load (not a file path, not a POSIX TZ string)."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def time_zone_choices() -> list[str]:
    """The zones offered in the settings form."""
    return sorted(zone for zone in available_timezones() if "/" in zone and zone[0].isupper())


def check_logo(png: bytes) -> tuple[int, int]:
    """The logo's size in pixels, or a ValidationError when it is not a sensible PNG."""
    if len(png) > MAX_LOGO_BYTES:
        raise ValidationError("The logo is larger than 1 MB; use a smaller PNG.", "logo")
    if not png.startswith(PNG_SIGNATURE):
        raise ValidationError("The logo must be a PNG image.", "logo")
    try:
        with Image.open(io.BytesIO(png)) as image:
            image.verify()
            size = image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ValidationError("The logo file is damaged; save it again as PNG.", "logo") from None
    if max(size) > MAX_LOGO_PIXELS or min(size) < 16:
        raise ValidationError(
            f"The logo is {size[0]} x {size[1]} pixels; use 16 to {MAX_LOGO_PIXELS}.", "logo"
        )
    return size


def _between(value: int, low: int, high: int, field: str, message: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(message, field)


def _jsonable(value: object) -> object:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, tuple):
        return list(value)
    return value


def _info(row: ClinicSettings) -> ClinicSettingsInfo:
    form = ClinicSettingsForm(
        **{
            name: tuple(getattr(row, name) or ())
            if name == "reminder_offsets_hours"
            else getattr(row, name)
            for name in _FORM_FIELDS
        }
    )
    return ClinicSettingsInfo(form=form, logo_png=row.logo_png, version=row.version)
