"""Reminders that come due with time: before appointments, and weekly for balances.

Every workstation runs these jobs; the idempotency key of each message makes N
runs one message (``reminder-24h:<appointment>:<start>``,
``balance:<patient>:<ISO week>``). Candidate appointments are taken with
``FOR SHARE SKIP LOCKED``, so a reminder is never queued from a stale read of an
appointment that reception is moving or cancelling at that moment (that change
waits for, or is skipped by, this job, and its hook then cancels or re-times what
was queued). Patients who opted out, have no number, or were deleted get nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, String, and_, cast, exists, func, literal, select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    ClinicSettings,
    OutboxMessage,
    OutboxStatus,
    Patient,
)
from mic_desktop.services.billing.balances import owing_patients
from mic_desktop.services.clock import utc_now
from mic_desktop.services.messaging.compose import queue_from_template
from mic_desktop.services.messaging.templates import (
    REMINDER_KIND_PREFIX,
    appointment_context,
    money,
    template_text,
)

Clock = Callable[[], dt.datetime]

REMINDED_STATUSES = (AppointmentStatus.PENDING.value, AppointmentStatus.CONFIRMED.value)
# Reminders are queued this long before they are due, so reception sees them coming.
LOOKAHEAD = dt.timedelta(hours=6)
BALANCE_WEEKDAY = 0  # Monday
BALANCE_HOUR = 10  # clinic time
BATCH = 200


def reminder_kind(hours: int) -> str:
    return f"{REMINDER_KIND_PREFIX}{hours}h"


def reminder_key(hours: int, appointment_id: int, start_at: dt.datetime) -> str:
    return f"reminder-{hours}h:{appointment_id}:{start_at.astimezone(dt.UTC):%Y%m%dT%H%M}"


def _key_sql(hours: int) -> ColumnElement[str]:
    """``reminder_key`` computed by PostgreSQL for the anti-join."""
    return (
        literal(f"reminder-{hours}h:")
        + cast(Appointment.id, String)
        + literal(":")
        + func.to_char(func.timezone("UTC", Appointment.start_at), 'YYYYMMDD"T"HH24MI')
    )


def _offsets(session: Session) -> list[int]:
    clinic = session.get(ClinicSettings, 1)
    offsets = clinic.reminder_offsets_hours if clinic is not None else None
    return sorted({int(hours) for hours in (offsets or [24]) if int(hours) > 0}, reverse=True)


def reminder_margin(hours: int) -> dt.timedelta:
    """How long before the start a reminder still makes sense to send.

    A day-before reminder ("tomorrow") until 12 h before; a short one (2 h) until
    30 minutes before, so one due in the quiet hours still goes at 07:00 for an
    08:00 scan.
    """
    offset = dt.timedelta(hours=hours)
    return offset / 2 if hours >= 12 else offset / 4


def reminder_useful_until(start_at: dt.datetime, hours: int) -> dt.datetime:
    return start_at - reminder_margin(hours)


def _applies(appointment: Appointment, hours: int, now: dt.datetime) -> bool:
    due = appointment.start_at - dt.timedelta(hours=hours)
    return (
        appointment.status in REMINDED_STATUSES
        and appointment.created_at <= due  # booked later: the confirmation said it all
        and due <= now + LOOKAHEAD
        and now < reminder_useful_until(appointment.start_at, hours)
    )


def _queue_reminder(
    session: Session, appointment: Appointment, hours: int, now: dt.datetime
) -> bool:
    due = appointment.start_at - dt.timedelta(hours=hours)
    return queue_from_template(
        session,
        reminder_kind(hours),
        reminder_key(hours, appointment.id, appointment.start_at),
        appointment.patient,
        appointment_context(session, appointment),
        max(due, now),
        appointment=appointment,
        revive_cancelled=True,
    )


def queue_reminders_for(session: Session, appointment: Appointment, now: dt.datetime) -> int:
    """Queue the reminders one appointment needs now (used when it has just moved)."""
    session.flush()
    if appointment.patient.deleted_at is not None:
        return 0
    return sum(
        _queue_reminder(session, appointment, hours, now)
        for hours in _offsets(session)
        if _applies(appointment, hours, now)
    )


@dataclass(frozen=True)
class ReminderRun:
    appointment_reminders: int = 0
    balance_reminders: int = 0


class ReminderService:
    """The jobs that queue reminders; safe to run on every PC at once."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        clock: Clock = utc_now,
        batch_size: int = BATCH,
    ) -> None:
        self._sessions = session_factory
        self._clock = clock
        self._batch = batch_size

    def enqueue_due_reminders(self) -> int:
        """Queue the appointment reminders due within the look-ahead; returns how many."""
        now = self._clock()
        with self._sessions.begin() as session:
            offsets = _offsets(session)
        queued = 0
        for hours in offsets:
            after_id = 0
            while True:
                with self._sessions.begin() as session:
                    found = template_text(session, reminder_kind(hours))
                    if found is None:  # the clinic switched this reminder off
                        break
                    batch = self._candidates(session, hours, found[0], now, after_id)
                    for appointment in batch:
                        queued += _queue_reminder(session, appointment, hours, now)
                if len(batch) < self._batch:
                    break
                after_id = batch[-1].id
        return queued

    def _candidates(
        self, session: Session, hours: int, channel: Channel, now: dt.datetime, after_id: int
    ) -> list[Appointment]:
        offset = dt.timedelta(hours=hours)
        contact = (
            and_(Patient.sms_opt_in.is_(True), Patient.phone.is_not(None), Patient.phone != "")
            if channel is Channel.SMS
            else and_(
                Patient.email_opt_in.is_(True), Patient.email.is_not(None), Patient.email != ""
            )
        )
        already = exists().where(
            OutboxMessage.idempotency_key == _key_sql(hours),
            OutboxMessage.status != OutboxStatus.CANCELLED.value,
        )
        statement = (
            select(Appointment)
            .join(Patient, Patient.id == Appointment.patient_id)
            .where(
                Appointment.id > after_id,
                Appointment.status.in_(REMINDED_STATUSES),
                Appointment.start_at <= now + LOOKAHEAD + offset,
                Appointment.start_at > now + reminder_margin(hours),
                Appointment.created_at <= Appointment.start_at - offset,
                Patient.deleted_at.is_(None),
                contact,
                ~already,
            )
            .order_by(Appointment.id)
            .limit(self._batch)
            .options(
                joinedload(Appointment.patient),
                joinedload(Appointment.scan_type),
                joinedload(Appointment.room),
            )
            .with_for_update(of=Appointment, read=True, skip_locked=True)
        )
        return list(session.scalars(statement).unique())

    def enqueue_balance_reminders(self) -> int:
        """Once per ISO week (from Monday 10:00 clinic time): patients who owe money."""
        now = self._clock()
        with self._sessions.begin() as session:
            clinic = session.get(ClinicSettings, 1) or ClinicSettings(
                time_zone="UTC", currency="", name="", phone=""
            )
            zone = ZoneInfo(clinic.time_zone or "UTC")
            currency = clinic.currency or ""
            found = template_text(session, "balance_reminder")
        if found is None:
            return 0
        local = now.astimezone(zone)
        week_start = (local - dt.timedelta(days=local.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        send_from = week_start + dt.timedelta(days=BALANCE_WEEKDAY, hours=BALANCE_HOUR)
        if local < send_from:
            return 0
        year, week, _ = local.isocalendar()
        week_label = f"{year}-W{week:02d}"
        queued = 0
        after_id = 0
        while True:
            with self._sessions.begin() as session:
                rows = session.execute(
                    balances_query(after_id, week_label, found[0]).limit(self._batch)
                ).all()
                for patient_id, balance in rows:
                    patient = session.get(Patient, patient_id)
                    assert patient is not None
                    context = {
                        "first_name": patient.first_name,
                        "patient_name": patient.full_name,
                        "amount": money(currency, balance),
                        "clinic_name": clinic.name,
                        "clinic_phone": clinic.phone,
                    }
                    queued += queue_from_template(
                        session,
                        "balance_reminder",
                        f"balance:{patient_id}:{week_label}",
                        patient,
                        context,
                        now,
                    )
            if len(rows) < self._batch:
                break
            after_id = rows[-1][0]
        return queued

    def run(self) -> ReminderRun:
        return ReminderRun(self.enqueue_due_reminders(), self.enqueue_balance_reminders())


def balances_query(
    after_id: int = 0, week_label: str | None = None, channel: Channel = Channel.SMS
) -> Select[tuple[int, Decimal]]:
    """(patient_id, balance) of patients who owe the clinic money and can be told, by id.

    The owed rule is :func:`mic_desktop.services.billing.balances.owing_patients`;
    deleted patients and those without an opted-in number (or address) are left
    out, and with ``week_label`` those already reminded that week.
    """
    contact = (
        and_(Patient.sms_opt_in.is_(True), Patient.phone.is_not(None), Patient.phone != "")
        if channel is Channel.SMS
        else and_(Patient.email_opt_in.is_(True), Patient.email.is_not(None), Patient.email != "")
    )
    statement = owing_patients(after_id).where(Patient.deleted_at.is_(None), contact)
    if week_label is not None:
        key = literal("balance:") + cast(Patient.id, String) + literal(f":{week_label}")
        statement = statement.where(~exists().where(OutboxMessage.idempotency_key == key))
    return statement
