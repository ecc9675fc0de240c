"""Faults around a send, injected for real, counted at the provider: no message twice, none lost.

Each test makes the fault happen at the moment that used to send messages twice:
an exception once the provider has the message, the database refusing or losing
the connection while the outcome is written, a mail server that takes the message
and then drops the line, a send that lasts longer than a lease. Every status change
of the row is recorded by a trigger, so the tests also see that a message the
provider may have is never queued again. (``test_message_crashes`` kills the
sending process and restarts the database server.)
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from notification_fakes import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    FakeClock,
    FakeTwilio,
    SmtpServer,
    configure_clinic,
)
from outbox_faults import (
    FAULT,
    HANG,
    HISTORY,
    RAISE,
    WAIT,
    ConnectionCutter,
    Hold,
    execute,
    history,
    row,
)
from sqlalchemy import select

from mic_desktop.db import Database
from mic_desktop.models import Channel, OutboxMessage
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.messaging.dispatcher import Dispatcher
from mic_desktop.services.messaging.email import Attachment, SmtpMailer
from mic_desktop.services.messaging.outbox import OutboxService, enqueue
from mic_desktop.services.messaging.sms import TwilioSms

NOON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
PHONE = "+263771234567"
DOCTOR = "dr.chikore@example.org"

QUEUED_SENDING = ("queued", "sending")
SENDING_SENT = ("sending", "sent")
SENDING_UNKNOWN = ("sending", "unknown")


# --- the dispatcher and its messages -------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOON)


@pytest.fixture
def clinic(database: Database) -> Database:
    with database.session() as session:
        configure_clinic(
            session,
            name="MIC Harare",
            time_zone="Africa/Harare",
            quiet_hours_start=dt.time(0, 0),
            quiet_hours_end=dt.time(0, 0),
        )
    execute(database, HISTORY)
    return database


@pytest.fixture
def smtp() -> Any:
    with SmtpServer() as server:
        yield server


def queue(database: Database, channel: Channel, due: dt.datetime = NOON) -> int:
    with database.session() as session:
        enqueue(
            session,
            idempotency_key=f"fault:{channel.value}",
            kind="test",
            channel=channel,
            recipient=PHONE if channel is Channel.SMS else DOCTOR,
            subject="Report ready" if channel is Channel.EMAIL else "",
            body=f"One {channel.value} message",
            due_at=due,
        )
        return session.scalars(select(OutboxMessage.id)).one()


def dispatcher(
    database: Database,
    clock: Callable[[], dt.datetime],
    *,
    twilio: FakeTwilio | None = None,
    mailer: Any = None,
    **options: Any,
) -> Dispatcher:
    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, http_client=twilio) if twilio else None
    return Dispatcher(
        database.session_factory,
        workstation=options.pop("workstation", "desk-1"),
        sms=sms,
        mailer=mailer,
        clock=clock,
        **options,
    )


class AcceptedThenCrashed:
    """The real SMTP sender, and then an error in our own code before the outcome."""

    def __init__(self, mailer: SmtpMailer) -> None:
        self.mailer = mailer
        self.sender = mailer.sender

    def send(
        self,
        to: str,
        subject: str,
        body: str,
        attachments: Sequence[Attachment] = (),
        *,
        message_id: str | None = None,
    ) -> str:
        self.mailer.send(to, subject, body, attachments, message_id=message_id)
        raise RuntimeError("injected fault after the mail server accepted the message")


def _crash_once(twilio: FakeTwilio) -> None:
    def crash(_message: dict[str, Any]) -> None:
        twilio.on_create = None
        raise RuntimeError("injected fault after Twilio created the message")

    twilio.on_create = crash


# --- an exception once the provider has the message ----------------------------------------------


def test_an_sms_whose_send_ends_in_an_exception_is_looked_up_not_resent(
    clinic: Database, clock: FakeClock
) -> None:
    twilio = FakeTwilio(clock=clock)
    _crash_once(twilio)
    message_id = queue(clinic, Channel.SMS)
    sender = dispatcher(clinic, clock, twilio=twilio)
    summary = sender.dispatch_due()
    assert (summary.unknown, summary.retried, summary.sent) == (1, 0, 0)
    assert row(clinic, message_id).status == "unknown"
    assert sender.dispatch_due().claimed == 0  # a minute before the look-up
    clock.advance(minutes=1)
    summary = sender.dispatch_due()
    assert (summary.found_at_provider, summary.sent) == (1, 1)
    (sid,) = twilio.messages
    assert len(twilio.posts()) == 1  # 0 duplicates, 0 lost
    assert row(clinic, message_id).provider_message_id == sid
    assert history(clinic, message_id) == [
        QUEUED_SENDING,
        SENDING_UNKNOWN,
        ("unknown", "sending"),
        SENDING_SENT,
    ]


def test_an_e_mail_whose_send_ends_in_an_exception_waits_for_reception(
    clinic: Database, clock: FakeClock, smtp: SmtpServer, staff: dict[str, StaffAccount]
) -> None:
    message_id = queue(clinic, Channel.EMAIL)
    sender = dispatcher(clinic, clock, mailer=AcceptedThenCrashed(smtp.mailer()))
    assert sender.dispatch_due().unknown == 1
    for _ in range(3):  # hours later: never sent again by itself
        clock.advance(hours=2)
        assert sender.dispatch_due().claimed == 0
    assert len(smtp.messages) == 1
    assert history(clinic, message_id) == [QUEUED_SENDING, SENDING_UNKNOWN]
    reception = OutboxService(clinic.session_factory, staff["reception"], "desk-1", clock=clock)
    (listed,) = reception.failed_messages(since=NOON - dt.timedelta(days=1))
    assert listed.id == message_id and listed.can_resend
    assert listed.state_label == "May have been sent — resend?"


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.EMAIL])
def test_an_outcome_the_database_refuses_is_written_again_not_sent_again(
    clinic: Database, clock: FakeClock, smtp: SmtpServer, channel: Channel
) -> None:
    execute(clinic, FAULT.format(action=RAISE))
    twilio = FakeTwilio(clock=clock)
    message_id = queue(clinic, channel)
    sender = dispatcher(clinic, clock, twilio=twilio, mailer=smtp.mailer())
    summary = sender.dispatch_due()
    assert summary.retried == 0 and summary.errors == []
    for _ in range(3):
        clock.advance(minutes=10)
        sender.dispatch_due()
    sent = row(clinic, message_id)
    assert sent.status == "sent" and sender.leases.pending_ids() == []
    if channel is Channel.SMS:
        assert len(twilio.posts()) == 1 and sent.provider_message_id in twilio.messages
    else:
        assert smtp.message_ids() == [sent.provider_message_id]
    assert history(clinic, message_id) == [QUEUED_SENDING, SENDING_SENT]


# --- the connection lost while the outcome is written --------------------------------------------


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.EMAIL])
def test_a_connection_cut_while_the_outcome_is_written_sends_nothing_twice(
    clinic: Database, clock: FakeClock, smtp: SmtpServer, channel: Channel
) -> None:
    execute(clinic, FAULT.format(action=HANG))
    twilio = FakeTwilio(clock=clock)
    message_id = queue(clinic, channel)
    own = Database(clinic.connection)  # the dispatcher's connections, and nobody else's
    cutter = ConnectionCutter(clinic)
    cutter.start()
    try:
        sender = dispatcher(own, clock, twilio=twilio, mailer=smtp.mailer())
        sender.dispatch_due()
        assert cutter.cut.is_set()  # pg_terminate_backend hit the write of ``sent``
        for _ in range(3):
            clock.advance(minutes=10)
            sender.dispatch_due()
    finally:
        cutter.done.set()
        own.dispose()
    sent = row(clinic, message_id)
    assert sent.status == "sent"
    if channel is Channel.SMS:
        assert len(twilio.posts()) == 1 and sent.provider_message_id in twilio.messages
    else:
        assert smtp.message_ids() == [sent.provider_message_id]
    assert history(clinic, message_id) == [QUEUED_SENDING, SENDING_SENT]


def test_a_mail_server_that_drops_the_line_after_the_message_is_not_sent_to_again(
    clinic: Database, clock: FakeClock, smtp: SmtpServer
) -> None:
    smtp.drop_after_data = True
    message_id = queue(clinic, Channel.EMAIL)
    sender = dispatcher(clinic, clock, mailer=smtp.mailer())
    assert sender.dispatch_due().unknown == 1
    clock.advance(hours=6)
    assert sender.dispatch_due().claimed == 0
    assert len(smtp.messages) == 1
    doubtful = row(clinic, message_id)
    assert doubtful.status == "unknown"
    assert "may have been sent" in (doubtful.last_error or "")


# --- a long send keeps its lease -----------------------------------------------------------------


def test_a_send_longer_than_the_lease_keeps_it_and_nobody_else_sends(clinic: Database) -> None:
    hold, twilio = Hold(), FakeTwilio()
    twilio.on_create = hold
    message_id = queue(clinic, Channel.SMS, due=dt.datetime.now(dt.UTC))
    lease = dt.timedelta(seconds=1)
    first = dispatcher(clinic, lambda: dt.datetime.now(dt.UTC), twilio=twilio, lease=lease)
    other = dispatcher(clinic, lambda: dt.datetime.now(dt.UTC), twilio=twilio, workstation="desk-2")
    sending = threading.Thread(target=first.dispatch_due)
    sending.start()
    try:
        assert hold.in_flight.wait(WAIT)
        first_lease = row(clinic, message_id).lease_expires_at
        assert first_lease is not None
        deadline = time.monotonic() + WAIT
        while dt.datetime.now(dt.UTC) <= first_lease + lease:  # its first lease is long over
            assert time.monotonic() < deadline
            time.sleep(0.05)
        renewed = row(clinic, message_id)
        assert renewed.status == "sending" and renewed.lease_expires_at > first_lease  # type: ignore[operator]
        assert other.dispatch_due().claimed == 0
    finally:
        hold.proceed.set()
        sending.join(WAIT)
    assert row(clinic, message_id).status == "sent"
    assert len(twilio.posts()) == 1
