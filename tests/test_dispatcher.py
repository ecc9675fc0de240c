"""Dispatching the outbox: exactly once from four PCs, retries, lookups, quiet hours, polling."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import pytest
from notification_fakes import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BAD_CREDENTIALS,
    CONNECT_ERROR,
    INVALID_NUMBER,
    SENDER,
    SERVER_ERROR,
    TIMEOUT_AFTER_CREATE,
    TIMEOUT_BEFORE_CREATE,
    TOO_MANY_REQUESTS,
    UNSUBSCRIBED,
    FakeClock,
    FakeTwilio,
    add_appointment,
    add_patient,
    configure_clinic,
)
from sqlalchemy import delete, func, insert, select, update

from mic_desktop.db import Database
from mic_desktop.models import (
    Appointment,
    AuditLog,
    Channel,
    OutboxMessage,
    OutboxStatus,
    Patient,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.messaging.dispatcher import Dispatcher
from mic_desktop.services.messaging.email import Attachment
from mic_desktop.services.messaging.notifications import queue_booking_confirmation
from mic_desktop.services.messaging.outbox import OutboxService, enqueue
from mic_desktop.services.messaging.quiet_hours import quiet_until
from mic_desktop.services.messaging.reminders import ReminderService
from mic_desktop.services.messaging.sms import TwilioSms
from mic_desktop.worker import WorkerIntervals

HARARE = ZoneInfo("Africa/Harare")
# Mon 23 Nov 2026 12:00 in Harare: well outside the quiet hours (20:00-07:00).
NOON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
PHONE = "+263771234567"


class RecordingMailer:
    sender = "reports@mic.example"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(
        self,
        to: str,
        subject: str,
        body: str,
        attachments: Sequence[Attachment] = (),
        *,
        message_id: str | None = None,
    ) -> str:
        self.sent.append((to, subject))
        return message_id or "<x@mic.example>"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOON)


@pytest.fixture
def twilio(clock: FakeClock) -> FakeTwilio:
    return FakeTwilio(clock=clock)


@pytest.fixture
def clinic(database: Database) -> Database:
    with database.session() as session:
        configure_clinic(
            session,
            name="MIC Harare",
            time_zone="Africa/Harare",
            quiet_hours_start=dt.time(20, 0),
            quiet_hours_end=dt.time(7, 0),
        )
    return database


def _dispatcher(
    database: Database, twilio: FakeTwilio, clock: FakeClock, **kwargs: object
) -> Dispatcher:
    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, http_client=twilio, timeout=5)
    return Dispatcher(
        database.session_factory,
        workstation=str(kwargs.pop("workstation", "desk-1")),
        sms=sms,
        clock=clock,
        **kwargs,  # type: ignore[arg-type]
    )


def _queue_sms(database: Database, due: dt.datetime, body: str = "Hello", **extra: object) -> int:
    with database.session() as session:
        enqueue(
            session,
            idempotency_key=f"test:{body}:{due.isoformat()}",
            kind=str(extra.pop("kind", "test")),
            channel=Channel.SMS,
            recipient=str(extra.pop("recipient", PHONE)),
            body=body,
            due_at=due,
            **extra,  # type: ignore[arg-type]
        )
        return session.scalars(select(OutboxMessage.id).where(OutboxMessage.body == body)).one()


def _row(database: Database, message_id: int) -> OutboxMessage:
    with database.session() as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        return row


# --- exactly once --------------------------------------------------------------------------


def test_four_dispatchers_send_a_thousand_messages_exactly_once(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio, capsys: pytest.CaptureFixture[str]
) -> None:
    messages, dispatchers = 1000, 4
    with clinic.session() as session:
        session.execute(
            insert(OutboxMessage),
            [
                {
                    "idempotency_key": f"bulk:{n}",
                    "kind": "test",
                    "channel": "sms",
                    "recipient": f"+2637712{n:05d}",
                    "subject": "",
                    "body": f"Message number {n}",
                    "due_at": NOON - dt.timedelta(seconds=n),
                    "status": "queued",
                    "attempts": 0,
                }
                for n in range(messages)
            ],
        )
    barrier = threading.Barrier(dispatchers)
    sent_by: dict[str, int] = {}
    failures: list[BaseException] = []

    def run(pc: str) -> None:
        database = Database(clinic.connection)  # its own engine: its own connections
        try:
            dispatcher = _dispatcher(database, twilio, clock, workstation=pc, batch_size=10)
            barrier.wait()
            sent_by[pc] = dispatcher.dispatch_due().sent
        except BaseException as exc:
            failures.append(exc)
        finally:
            database.dispose()

    threads = [threading.Thread(target=run, args=(f"pc-{n}",)) for n in range(1, 5)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    assert failures == []

    sends = Counter(twilio.created_bodies())
    duplicates = sum(count - 1 for count in sends.values() if count > 1)
    with clinic.session() as session:
        statuses = dict(
            session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        distinct_ids = session.scalar(
            select(func.count(func.distinct(OutboxMessage.provider_message_id)))
        )
    with capsys.disabled():
        print(
            f"\nexactly-once: {messages} messages, {dispatchers} dispatchers, "
            f"{len(twilio.posts())} sends, duplicates found = {duplicates}, "
            f"left behind = {messages - statuses.get('sent', 0)}, {seconds:.2f} s; "
            f"per dispatcher {dict(sorted(sent_by.items()))}"
        )
    assert duplicates == 0
    assert set(sends) == {f"Message number {n}" for n in range(messages)}
    assert len(twilio.posts()) == messages
    assert statuses == {"sent": messages}
    assert distinct_ids == messages
    assert sum(sent_by.values()) == messages


# --- quiet hours, opt-out, stale reminders -----------------------------------------------


def test_quiet_hours_are_the_clinics() -> None:
    start, end = dt.time(20, 0), dt.time(7, 0)
    evening = dt.datetime(2026, 11, 23, 19, 30, tzinfo=dt.UTC)  # 21:30 in Harare
    morning = dt.datetime(2026, 11, 24, 5, 0, tzinfo=HARARE)
    assert quiet_until(evening, start, end, HARARE) == dt.datetime(
        2026, 11, 24, 5, 0, tzinfo=dt.UTC
    )
    assert quiet_until(morning - dt.timedelta(minutes=1), start, end, HARARE) == morning.replace(
        hour=7
    )
    assert quiet_until(morning.replace(hour=7), start, end, HARARE) is None
    assert quiet_until(NOON, start, end, HARARE) is None
    lunch = (dt.time(13, 0), dt.time(14, 0))
    assert quiet_until(dt.datetime(2026, 11, 23, 11, 30, tzinfo=dt.UTC), *lunch, HARARE)
    assert quiet_until(NOON, dt.time(0, 0), dt.time(0, 0), HARARE) is None


def test_sms_due_in_quiet_hours_wait_until_the_morning(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio, staff: dict[str, StaffAccount]
) -> None:
    evening = dt.datetime(2026, 11, 23, 19, 30, tzinfo=dt.UTC)  # 21:30 in Harare
    clock.set(evening)
    with clinic.session() as session:
        patient_id = add_patient(session).id
    sms_id = _queue_sms(clinic, evening - dt.timedelta(minutes=5), patient_id=patient_id)
    with clinic.session() as session:
        enqueue(
            session,
            idempotency_key="doctor-mail",
            kind="report_ready_doctor",
            channel=Channel.EMAIL,
            recipient="dr@example.org",
            subject="Report ready",
            body="Attached.",
            due_at=evening,
        )
    mailer = RecordingMailer()
    dispatcher = _dispatcher(clinic, twilio, clock, mailer=mailer)
    assert dispatcher.dispatch_due().sent == 1  # e-mail is not held back
    assert mailer.sent == [("dr@example.org", "Report ready")] and twilio.posts() == []
    reception = OutboxService(clinic.session_factory, staff["reception"], "desk-1", clock=clock)
    (waiting,) = reception.messages_for_patient(patient_id)
    assert waiting.state_label == "Waiting for the quiet hours to end"
    assert waiting.held_until == dt.datetime(2026, 11, 24, 5, 0, tzinfo=dt.UTC)  # 07:00
    clock.set(dt.datetime(2026, 11, 24, 4, 59, tzinfo=dt.UTC))  # 06:59
    assert dispatcher.dispatch_due().claimed == 0
    assert _row(clinic, sms_id).status == "queued"
    clock.set(dt.datetime(2026, 11, 24, 5, 0, tzinfo=dt.UTC))  # 07:00
    assert dispatcher.dispatch_due().sent == 1
    assert len(twilio.posts()) == 1 and _row(clinic, sms_id).status == "sent"


def test_a_2_hour_reminder_due_in_the_quiet_hours_goes_at_7_for_an_8_oclock_scan(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio
) -> None:
    start = dt.datetime(2026, 11, 24, 8, 0, tzinfo=HARARE)
    with clinic.session() as session:
        configure_clinic(session, reminder_offsets_hours=[2])
        add_appointment(session, start, created_at=NOON - dt.timedelta(days=3))
    clock.set(start - dt.timedelta(hours=3))  # 05:00
    assert ReminderService(clinic.session_factory, clock=clock).enqueue_due_reminders() == 1
    dispatcher = _dispatcher(clinic, twilio, clock)
    clock.set(start - dt.timedelta(hours=2))  # 06:00, due but quiet
    assert dispatcher.dispatch_due().claimed == 0
    clock.set(start - dt.timedelta(hours=1))  # 07:00
    assert dispatcher.dispatch_due().sent == 1
    assert twilio.created_bodies() == [
        "Tendai, see you at 08:00 today for your CT head. MIC Harare"
    ]


def test_a_patient_who_opted_out_after_queueing_gets_nothing(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio
) -> None:
    with clinic.session() as session:
        patient = add_patient(session)
        patient_id = patient.id
    message_id = _queue_sms(clinic, NOON, patient_id=patient_id)
    with clinic.session() as session:
        session.execute(update(Patient).values(sms_opt_in=False))
    assert _dispatcher(clinic, twilio, clock).dispatch_due().cancelled == 1
    row = _row(clinic, message_id)
    assert (row.status, row.last_error) == ("cancelled", "the patient opted out of SMS")
    assert twilio.posts() == []


def test_reminders_that_no_longer_fit_the_appointment_are_not_sent(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio
) -> None:
    start = NOON + dt.timedelta(hours=30)  # Tue 18:00 in Harare
    with clinic.session() as session:
        moved = add_appointment(session, start, created_at=NOON - dt.timedelta(days=5))
        late = add_appointment(
            session, start + dt.timedelta(hours=1), created_at=NOON - dt.timedelta(days=5)
        )
        moved_id, late_id = moved.id, late.id
    clock.set(start - dt.timedelta(hours=24, minutes=30))
    assert ReminderService(clinic.session_factory, clock=clock).enqueue_due_reminders() == 2
    with clinic.session() as session:  # moved without the hook being told
        session.execute(
            update(Appointment)
            .where(Appointment.id == moved_id)
            .values(
                start_at=start + dt.timedelta(days=2),
                end_at=start + dt.timedelta(days=2, minutes=30),
            )
        )
    clock.set(start - dt.timedelta(hours=11))  # 07:00: the PCs were off all night
    assert _dispatcher(clinic, twilio, clock).dispatch_due().cancelled == 2
    with clinic.session() as session:
        reasons = dict(
            session.execute(select(OutboxMessage.appointment_id, OutboxMessage.last_error)).all()
        )
    assert reasons == {moved_id: "appointment moved", late_id: "too late for this reminder"}
    assert twilio.posts() == []


# --- failures ------------------------------------------------------------------------------


def test_temporary_failures_back_off_exponentially_then_give_up(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio
) -> None:
    message_id = _queue_sms(clinic, NOON)
    twilio.script.extend([SERVER_ERROR, TOO_MANY_REQUESTS, CONNECT_ERROR, SERVER_ERROR])
    twilio.script.extend([SERVER_ERROR, SERVER_ERROR])
    dispatcher = _dispatcher(clinic, twilio, clock)
    delays, errors = [], []
    for attempt in range(1, 6):
        assert dispatcher.dispatch_due().retried == 1
        row = _row(clinic, message_id)
        assert (row.status, row.attempts) == ("queued", attempt)
        delays.append((row.due_at - clock()).total_seconds() / 60)
        errors.append(row.last_error)
        clock.set(row.due_at - dt.timedelta(seconds=1))
        assert dispatcher.dispatch_due().claimed == 0  # not a second early
        clock.set(row.due_at)
    assert delays == [1, 2, 4, 8, 16]
    assert errors[:3] == [
        "Twilio had a server error (500).",
        "Twilio asked to slow down (too many requests).",
        "Twilio could not be reached.",
    ]
    assert dispatcher.dispatch_due().failed == 1  # the sixth and last attempt
    row = _row(clinic, message_id)
    assert row.status == "failed" and row.attempts == 6
    assert (
        row.last_error == "Gave up after 6 attempts. Last error: Twilio had a server error (500)."
    )
    assert len(twilio.posts()) == 6


def test_a_retry_that_succeeds_is_sent_once(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio
) -> None:
    message_id = _queue_sms(clinic, NOON)
    twilio.script.append(TOO_MANY_REQUESTS)
    dispatcher = _dispatcher(clinic, twilio, clock)
    dispatcher.dispatch_due()
    assert _row(clinic, message_id).last_error == "Twilio asked to slow down (too many requests)."
    clock.advance(minutes=1)
    assert dispatcher.dispatch_due().sent == 1
    row = _row(clinic, message_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert row.provider_message_id in twilio.messages


def test_permanent_failures_are_failed_with_a_reason_and_21610_opts_the_patient_out(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio, staff: dict[str, StaffAccount]
) -> None:
    with clinic.session() as session:
        patient_id = add_patient(session).id
    invalid = _queue_sms(clinic, NOON - dt.timedelta(minutes=1), "first", patient_id=patient_id)
    unsubscribed = _queue_sms(clinic, NOON, "second", patient_id=patient_id)
    later = _queue_sms(clinic, NOON + dt.timedelta(minutes=5), "third", patient_id=patient_id)
    twilio.script.extend([INVALID_NUMBER, UNSUBSCRIBED])
    summary = _dispatcher(clinic, twilio, clock).dispatch_due()
    assert summary.failed == 2
    first, second = _row(clinic, invalid), _row(clinic, unsubscribed)
    assert (first.status, first.error_code, first.attempts) == ("failed", "21211", 1)
    assert first.last_error == "The phone number is not a valid number."
    assert (second.status, second.error_code) == ("failed", "21610")
    assert second.last_error == "The patient has unsubscribed from the clinic's SMS (replied STOP)."
    with clinic.session() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None and patient.sms_opt_in is False and patient.version == 2
        (entry,) = session.scalars(select(AuditLog).where(AuditLog.action == "patient_sms_opt_out"))
        assert entry.entity_id == str(patient_id)
    clock.advance(minutes=5)
    assert _dispatcher(clinic, twilio, clock).dispatch_due().cancelled == 1
    assert _row(clinic, later).last_error == "the patient opted out of SMS"
    assert len(twilio.posts()) == 2
    failed = OutboxService(clinic.session_factory, staff["reception"], "desk-1", clock=clock)
    assert {m.id for m in failed.failed_messages(since=NOON - dt.timedelta(days=1))} == {
        invalid,
        unsubscribed,
    }


def test_refused_credentials_give_the_message_back_and_rest_the_channel(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio
) -> None:
    message_id = _queue_sms(clinic, NOON)
    twilio.script.append(BAD_CREDENTIALS)
    dispatcher = _dispatcher(clinic, twilio, clock)
    assert dispatcher.dispatch_due().released == 1
    row = _row(clinic, message_id)
    assert (row.status, row.attempts, row.claimed_by) == ("queued", 0, None)
    assert row.last_error == "Twilio refused the account SID or auth token."
    clock.advance(minutes=4)
    assert dispatcher.dispatch_due().claimed == 0 and len(twilio.posts()) == 1
    clock.advance(minutes=1)
    assert dispatcher.dispatch_due().sent == 1


# --- the ambiguous timeout -----------------------------------------------------------------


def test_a_timeout_after_the_request_left_is_looked_up_not_resent(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio
) -> None:
    message_id = _queue_sms(clinic, NOON)
    twilio.script.append(TIMEOUT_AFTER_CREATE)
    dispatcher = _dispatcher(clinic, twilio, clock)
    assert dispatcher.dispatch_due().unknown == 1
    row = _row(clinic, message_id)
    assert row.status == "unknown" and row.last_error == "Twilio did not answer in time."
    assert dispatcher.dispatch_due().claimed == 0  # it waits a minute before asking
    clock.advance(minutes=1)
    summary = dispatcher.dispatch_due()
    assert (summary.found_at_provider, summary.sent) == (1, 1)
    row = _row(clinic, message_id)
    (sid,) = twilio.messages
    assert (row.status, row.provider_message_id, row.delivery_status) == ("sent", sid, "queued")
    assert len(twilio.posts()) == 1
    assert [r.method for r in twilio.requests] == ["POST", "GET"]


def test_a_timeout_whose_message_never_arrived_is_sent_again(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio
) -> None:
    message_id = _queue_sms(clinic, NOON)
    twilio.script.append(TIMEOUT_BEFORE_CREATE)
    dispatcher = _dispatcher(clinic, twilio, clock)
    dispatcher.dispatch_due()
    clock.advance(minutes=1)
    assert dispatcher.dispatch_due().sent == 1
    assert [r.method for r in twilio.requests] == ["POST", "GET", "POST"]
    assert len(twilio.messages) == 1 and _row(clinic, message_id).status == "sent"


@pytest.mark.parametrize("request_reached_twilio", [True, False])
def test_a_pc_that_died_holding_a_message_is_taken_over_after_its_lease(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio, request_reached_twilio: bool
) -> None:
    message_id = _queue_sms(clinic, NOON, "Reminder text")
    crashed = _dispatcher(clinic, twilio, clock, workstation="desk-dead")
    (claim,) = crashed.claim()
    if request_reached_twilio:  # it died during the provider call
        assert crashed.leases.begin_send(claim) is not None
        TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, http_client=twilio).send(PHONE, claim.body)
    row = _row(clinic, message_id)
    assert (row.status, row.claimed_by, row.in_flight) == (
        "sending",
        "desk-dead",
        request_reached_twilio,
    )
    # Its lease and the next dispatch round of another PC: looked up within a minute.
    assert row.lease_expires_at is not None
    taken_over_by = row.lease_expires_at + dt.timedelta(seconds=WorkerIntervals().dispatch)
    assert taken_over_by - NOON <= dt.timedelta(minutes=1)
    other = _dispatcher(clinic, twilio, clock, workstation="desk-2")
    clock.set(row.lease_expires_at - dt.timedelta(seconds=1))  # type: ignore[operator]
    assert other.dispatch_due().claimed == 0
    clock.set(row.lease_expires_at)  # type: ignore[arg-type]
    summary = other.dispatch_due()
    assert summary.sent == 1 and summary.found_at_provider == int(request_reached_twilio)
    assert len(twilio.messages) == 1 and len(twilio.posts()) == 1
    row = _row(clinic, message_id)
    assert row.status == "sent" and row.provider_message_id == next(iter(twilio.messages))


# --- delivery status -----------------------------------------------------------------------


def test_delivery_is_polled_until_final_and_undelivered_shows_for_reception(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio, staff: dict[str, StaffAccount]
) -> None:
    with clinic.session() as session:
        appointment = add_appointment(session, NOON + dt.timedelta(days=3))
        queue_booking_confirmation(session, appointment, now=NOON)
        appointment_id = appointment.id
        # Only the SMS: the e-mail with the calendar file is not what this test follows.
        session.execute(delete(OutboxMessage).where(OutboxMessage.channel == "email"))
    dispatcher = _dispatcher(clinic, twilio, clock)
    dispatcher.dispatch_due()
    (sid,) = twilio.messages
    twilio.set_delivery(sid, "sent", ("undelivered", 30003))
    assert dispatcher.poll_delivery() == 0  # the first look is 30 s after sending
    clock.advance(seconds=30)
    assert dispatcher.poll_delivery() == 1
    reception = OutboxService(clinic.session_factory, staff["reception"], "desk-1", clock=clock)
    (message,) = reception.messages_for_appointment(appointment_id)
    assert message.state_label == "Sent to the phone network"
    clock.advance(seconds=30)
    assert dispatcher.poll_delivery() == 1
    (message,) = reception.messages_for_appointment(appointment_id)
    assert message.delivery_status == "undelivered" and message.error_code == "30003"
    assert message.state_label == "Not delivered: The phone was off or out of coverage."
    assert [m.id for m in reception.failed_messages()] == [message.id]
    fetches = sum(1 for r in twilio.requests if "/Messages/" in r.path)
    clock.advance(hours=2)
    assert dispatcher.poll_delivery() == 0  # final: never asked again
    assert sum(1 for r in twilio.requests if "/Messages/" in r.path) == fetches == 2
    assert _row(clinic, message.id).next_poll_at is None


def test_four_dispatchers_poll_each_message_once_per_round(
    clinic: Database, clock: FakeClock, twilio: FakeTwilio
) -> None:
    for n in range(30):
        _queue_sms(clinic, NOON, f"poll {n}")
    _dispatcher(clinic, twilio, clock).dispatch_due()
    clock.advance(seconds=30)
    polled: list[int] = []
    barrier = threading.Barrier(4)

    def run(pc: str) -> None:
        database = Database(clinic.connection)
        try:
            barrier.wait()
            polled.append(_dispatcher(database, twilio, clock, workstation=pc).poll_delivery())
        finally:
            database.dispose()

    threads = [threading.Thread(target=run, args=(f"pc-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(polled) == 30
    assert sum(1 for r in twilio.requests if "/Messages/" in r.path) == 30
    with clinic.session() as session:
        assert (
            session.scalar(
                select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT.value)
            )
            == 30
        )
