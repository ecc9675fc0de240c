"""Two-way SMS: replies fetched from Twilio through the real SDK, stored once, acted on once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from inbound_fakes import InboundTwilio
from notification_fakes import ACCOUNT_SID, AUTH_TOKEN, SENDER
from sqlalchemy import func, select

from mic_desktop.db import Database
from mic_desktop.models import (
    Appointment,
    AppointmentStatusChange,
    AuditLog,
    FreedSlot,
    OutboxMessage,
    Patient,
    SmsReply,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.analytics.reply_queries import ReplyAnalytics
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.messaging import replies as replies_module
from mic_desktop.services.messaging.replies import ReplyFetcher
from mic_desktop.services.messaging.reply_actions import CANCEL_KEYWORD_NOTE, keyword
from mic_desktop.services.messaging.reply_inbox import ReplyInbox
from mic_desktop.services.messaging.sms import TwilioSms
from mic_desktop.services.messaging.template_editor import TemplateService
from mic_desktop.services.messaging.templates import DEFAULT_TEMPLATES
from mic_desktop.services.scheduling.booking import BookingService
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, book, build_clinic, register

TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)


@pytest.fixture
def clinic(database: Database, staff: dict[str, StaffAccount]) -> Clinic:
    return build_clinic(database, staff)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(MONDAY, 9))


@pytest.fixture
def twilio(clock: FakeClock) -> InboundTwilio:
    return InboundTwilio(clock=clock)


def gateway(twilio: InboundTwilio) -> TwilioSms:
    return TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, http_client=twilio)


def fetcher(
    database: Database, twilio: InboundTwilio, clock: FakeClock, pc: str = "desk-1"
) -> ReplyFetcher:
    return ReplyFetcher(database.session_factory, workstation=pc, sms=gateway(twilio), clock=clock)


def patient_with_booking(
    database: Database,
    staff: dict[str, StaffAccount],
    clinic: Clinic,
    clock: FakeClock,
    number: int,
    start: dt.datetime,
) -> tuple[str, int]:
    phone = f"+26377100{number:04d}"
    patient = register(database, staff["reception"], f"Patient{number}", "Moyo", phone=phone)
    booked = book(
        database, staff["reception"], clock, patient.id, clinic.ct_head, clinic.ct_room, start
    )
    return phone, booked.id


def appointment(database: Database, appointment_id: int) -> Appointment:
    with database.session() as session:
        row = session.get(Appointment, appointment_id)
        assert row is not None
        session.expunge(row)
        return row


def test_the_reply_words_are_read_like_twilio_reads_them() -> None:
    assert keyword(" yes. ") == "YES"
    assert keyword("Y") == "Y" and keyword("1") == "1" and keyword("Confirm!") == "CONFIRM"
    assert keyword("c") == "C" and keyword("No") == "NO"
    assert keyword("Yes but can I come later") == ""


def test_each_keyword_does_what_the_issue_says(
    database: Database,
    staff: dict[str, StaffAccount],
    clinic: Clinic,
    clock: FakeClock,
    twilio: InboundTwilio,
) -> None:
    yes, to_confirm = patient_with_booking(database, staff, clinic, clock, 1, at(TUESDAY, 10))
    c, to_cancel = patient_with_booking(database, staff, clinic, clock, 2, at(WEDNESDAY, 10))
    no, late = patient_with_booking(database, staff, clinic, clock, 3, at(MONDAY, 13))
    stop, _ = patient_with_booking(database, staff, clinic, clock, 4, at(TUESDAY, 11))
    cancel, flagged = patient_with_booking(database, staff, clinic, clock, 5, at(TUESDAY, 12))
    other, chatty = patient_with_booking(database, staff, clinic, clock, 6, at(TUESDAY, 13))
    clock.now = at(MONDAY, 10)
    twilio.receive(yes, "Yes", at(MONDAY, 9, 30))
    twilio.receive(c, "c", at(MONDAY, 9, 31))
    twilio.receive(no, "NO", at(MONDAY, 9, 32))
    twilio.receive(stop, "STOP", at(MONDAY, 9, 33))
    twilio.receive(cancel, "CANCEL", at(MONDAY, 9, 34))
    twilio.receive(other, "Can I come at 11 instead?", at(MONDAY, 9, 35))
    twilio.receive("+447700900123", "Hello?", at(MONDAY, 9, 36))

    summary = fetcher(database, twilio, clock).fetch_replies()

    assert summary.listed == 7 and summary.stored == 7
    assert summary.actions == {
        "confirmed": 1,
        "cancelled": 2,
        "opted_out": 2,
        "other": 1,
        "unknown_sender": 1,
    }
    (list_request,) = twilio.list_requests()
    assert list_request.params["To"] == SENDER and "DateSent>" in list_request.params
    assert appointment(database, to_confirm).status == "confirmed"
    assert appointment(database, to_cancel).status == "cancelled"
    assert not appointment(database, to_cancel).is_late_cancellation
    late_row = appointment(database, late)
    assert late_row.status == "cancelled" and late_row.is_late_cancellation
    assert late_row.cancellation_authorised_by_id is None  # the patient needs no manager
    assert appointment(database, flagged).status == "pending"  # CANCEL only opted out
    with database.session() as session:
        reasons = session.scalars(
            select(AppointmentStatusChange.reason).where(
                AppointmentStatusChange.appointment_id.in_([to_confirm, to_cancel, late]),
                AppointmentStatusChange.from_status.is_not(None),
            )
        ).all()
        assert reasons == ["by patient reply"] * 3
        opted = dict(session.execute(select(Patient.phone, Patient.sms_opt_in)).all())
        assert opted[stop] is False and opted[cancel] is False and opted[yes] is True
        slots = session.scalars(select(FreedSlot.freed_appointment_id)).all()
        assert sorted(slots) == [to_cancel, late]  # free for the waitlist
        assert (
            session.scalar(select(func.count()).where(AuditLog.action == "sms_reply_received")) == 7
        )
    analytics = ReplyAnalytics(database.session_factory, actor=staff["manager"], clock=clock)
    figures = analytics.figures(Period.custom(MONDAY, WEDNESDAY))
    assert (figures.confirmed_by_reply, figures.cancelled_by_reply) == (1, 2)
    inbox = ReplyInbox(database.session_factory, staff["reception"], "desk-1", clock)
    unread = inbox.unread()
    assert [(line.action, line.appointment_id) for line in unread] == [
        ("opted_out", flagged),
        ("other", chatty),
        ("unknown_sender", None),
    ]
    assert unread[0].note == CANCEL_KEYWORD_NOTE
    assert inbox.unread_count() == 3
    inbox.mark_read(unread[1].id)
    assert inbox.unread_count() == 2
    assert [line.body for line in inbox.for_appointment(chatty)] == ["Can I come at 11 instead?"]

    # START turns SMS back on; the same replies fetched again change nothing.
    twilio.receive(stop, "start", at(MONDAY, 9, 50))
    again = fetcher(database, twilio, clock, "desk-2").fetch_replies()
    assert again.listed == 8 and again.stored == 1 and again.actions == {"opted_in": 1}
    with database.session() as session:
        assert session.scalar(select(Patient.sms_opt_in).where(Patient.phone == stop)) is True
        assert session.scalar(select(func.count(SmsReply.id))) == 8


def test_replies_come_page_by_page_oldest_first(
    database: Database, clinic: Clinic, clock: FakeClock, twilio: InboundTwilio
) -> None:
    sids = [twilio.receive("+263771000099", f"message {n}", at(MONDAY, 8, n)) for n in range(5)]
    twilio.receive("+263771000099", "too old", at(MONDAY, 7, 0))
    found = gateway(twilio).received(at(MONDAY, 7, 30), page_size=2)
    assert [message.sid for message in found] == sids
    assert len(twilio.list_requests()) == 3  # three pages of two


def test_a_reply_matches_the_next_appointment_of_whoever_has_the_number(
    database: Database,
    staff: dict[str, StaffAccount],
    clinic: Clinic,
    clock: FakeClock,
    twilio: InboundTwilio,
) -> None:
    phone = "+263771000777"
    mother = register(database, staff["reception"], "Rudo", "Moyo", phone=phone)
    child = register(database, staff["reception"], "Tino", "Moyo", phone=phone)
    later = book(
        database, staff["reception"], clock, mother.id, clinic.ct_head, clinic.ct_room,
        at(WEDNESDAY, 9),
    )  # fmt: skip
    sooner = book(
        database, staff["reception"], clock, child.id, clinic.ct_head, clinic.ct_room,
        at(TUESDAY, 9),
    )  # fmt: skip
    twilio.receive(phone, "YES", at(MONDAY, 8, 55))
    fetcher(database, twilio, clock).fetch_replies()
    assert appointment(database, sooner.id).status == "confirmed"
    assert appointment(database, later.id).status == "pending"


def test_two_pcs_fetching_at_once_act_on_each_reply_once(
    database: Database,
    staff: dict[str, StaffAccount],
    clinic: Clinic,
    clock: FakeClock,
    twilio: InboundTwilio,
) -> None:
    phones = {}
    for number in range(8):
        day = TUESDAY if number % 2 else WEDNESDAY
        phones[number] = patient_with_booking(
            database, staff, clinic, clock, number, at(day, 8 + number)
        )
    for number, (phone, _appointment) in phones.items():
        twilio.receive(phone, "YES" if number % 2 else "C", at(MONDAY, 8, number))
    barrier = threading.Barrier(3)
    results: dict[str, object] = {}

    def run(pc: str) -> None:
        one = fetcher(database, twilio, clock, pc)  # its own sessions and connections
        barrier.wait()
        try:
            results[pc] = one.fetch_replies().stored
        except Exception as exc:  # pragma: no cover - shown by the assertion
            results[pc] = exc

    threads = [threading.Thread(target=run, args=(f"pc-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(results.values()) == 8, results  # type: ignore[arg-type]
    with database.session() as session:
        assert session.scalar(select(func.count(SmsReply.id))) == 8
        changes = session.execute(
            select(AppointmentStatusChange.appointment_id, func.count())
            .where(AppointmentStatusChange.reason == "by patient reply")
            .group_by(AppointmentStatusChange.appointment_id)
        ).all()
        assert sorted(count for _id, count in changes) == [1] * 8
        cancellations = session.scalar(
            select(func.count()).where(OutboxMessage.kind == "cancellation")
        )
        assert cancellations == 4  # one "is cancelled" SMS per reply C
        assert (
            session.scalar(select(func.count()).where(AuditLog.action == "sms_reply_received")) == 8
        )


def test_sms_templates_never_suggest_replying_cancel(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    for template in DEFAULT_TEMPLATES:
        assert "CANCEL" not in template.body
    asks = [t.key for t in DEFAULT_TEMPLATES if "Reply YES to confirm or C to cancel" in t.body]
    assert asks == ["booking_confirmation", "reminder_24h"]
    editor = TemplateService(database.session_factory, staff["manager"], "office")
    for text in ("Reply CANCEL to cancel.", "Reply Yes to confirm, reply cancel to cancel"):
        with pytest.raises(ValidationError, match="must not ask patients to reply CANCEL"):
            editor.save_template("reminder_2h", subject="", body=text, expected_version=1)
    saved = editor.save_template(
        "reminder_2h", subject="", body="Reply C to cancel {first_name}.", expected_version=1
    )
    assert saved.body == "Reply C to cancel {first_name}."


def test_desk_services_keep_working_with_replies_on(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock
) -> None:
    """A desk's stale version check still holds after a reply confirmed the appointment."""
    twilio = InboundTwilio(clock=clock)
    phone, booked = patient_with_booking(database, staff, clinic, clock, 50, at(TUESDAY, 9))
    version = appointment(database, booked).version
    twilio.receive(phone, "Y", at(MONDAY, 8, 59))
    fetcher(database, twilio, clock).fetch_replies()
    desk = BookingService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    with pytest.raises(Exception, match="changed"):
        desk.confirm(booked, version)


def test_a_reply_that_cannot_be_acted_on_leaves_nothing_and_is_tried_again(
    database: Database,
    staff: dict[str, StaffAccount],
    clinic: Clinic,
    clock: FakeClock,
    twilio: InboundTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, to_confirm = patient_with_booking(database, staff, clinic, clock, 60, at(TUESDAY, 9))
    second, other = patient_with_booking(database, staff, clinic, clock, 61, at(TUESDAY, 10))
    broken = twilio.receive(first, "YES", at(MONDAY, 8, 40))
    twilio.receive(second, "YES\x00", at(MONDAY, 8, 41))  # a NUL PostgreSQL cannot store
    real = replies_module.act_on_reply

    def failing(session, reply, now, workstation):  # type: ignore[no-untyped-def]
        if reply.message_sid == broken:
            raise RuntimeError("a bug while acting")
        return real(session, reply, now, workstation)

    monkeypatch.setattr(replies_module, "act_on_reply", failing)
    clock.now += dt.timedelta(hours=3)  # later than the overlap: only the cursor keeps it
    summary = fetcher(database, twilio, clock).fetch_replies()
    assert (summary.stored, summary.failed) == (1, 1)
    assert appointment(database, to_confirm).status == "pending"  # nothing half-done
    assert appointment(database, other).status == "confirmed"
    monkeypatch.setattr(replies_module, "act_on_reply", real)
    clock.now += dt.timedelta(hours=3)
    again = fetcher(database, twilio, clock).fetch_replies()
    assert (again.stored, again.failed) == (1, 0)
    assert appointment(database, to_confirm).status == "confirmed"
    with database.session() as session:
        assert session.scalar(select(SmsReply.body).where(SmsReply.from_number == second)) == "YES"
