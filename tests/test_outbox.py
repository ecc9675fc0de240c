"""Queueing messages: templates, the clinic's hooks, reminders, and reception's outbox view."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from notification_fakes import FakeClock, add_appointment, add_patient, configure_clinic
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from mic_desktop.db import Database
from mic_desktop.models import (
    Appointment,
    AuditLog,
    Channel,
    NotificationTemplate,
    OutboxMessage,
    Payment,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.errors import (
    PermissionDeniedError,
    StaleRecordError,
    ValidationError,
)
from mic_desktop.services.messaging.notifications import (
    appointment_cancelled,
    appointment_rescheduled,
    queue_booking_confirmation,
    queue_payment_confirmation,
)
from mic_desktop.services.messaging.outbox import OutboxService, enqueue
from mic_desktop.services.messaging.reminders import ReminderService, reminder_key
from mic_desktop.services.messaging.template_editor import TemplateService
from mic_desktop.services.messaging.templates import DEFAULT_TEMPLATES, render, template_text

# Wed 25 Nov 2026 10:00 in Harare (UTC+2), booked ten days before.
START = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
BOOKED = START - dt.timedelta(days=10)


def _rows(database: Database, **where: object) -> list[OutboxMessage]:
    with database.session() as session:
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            statement = statement.where(getattr(OutboxMessage, name) == value)
        return list(session.scalars(statement))


def _appointment(database: Database, **kwargs: object) -> int:
    with database.session() as session:
        configure_clinic(
            session,
            name="MIC Harare",
            phone="+263242700000",
            time_zone="Africa/Harare",
            currency="USD",
        )
        return add_appointment(session, kwargs.pop("start", START), created_at=BOOKED, **kwargs).id  # type: ignore[arg-type]


# --- enqueue -------------------------------------------------------------------------------


def _enqueue(session: Session, key: str) -> bool:
    return enqueue(
        session,
        idempotency_key=key,
        kind="test",
        channel=Channel.SMS,
        recipient="+263771234567",
        body="hello",
        due_at=START,
    )


def test_one_key_is_one_message_even_from_four_connections_at_once(database: Database) -> None:
    with database.session() as session:
        assert _enqueue(session, "k-1") is True
        assert _enqueue(session, "k-1") is False
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def insert() -> None:
        session = database.session_factory()
        try:
            barrier.wait()
            results.append(_enqueue(session, "k-2"))
            session.commit()
        finally:
            session.close()

    threads = [threading.Thread(target=insert) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert len(_rows(database, idempotency_key="k-2")) == 1


# --- templates -----------------------------------------------------------------------------


def test_the_migration_stores_the_default_templates_and_code_falls_back(
    database: Database,
) -> None:
    with database.session() as session:
        stored = {row.key: row for row in session.scalars(select(NotificationTemplate))}
        assert set(stored) == {template.key for template in DEFAULT_TEMPLATES}
        for template in DEFAULT_TEMPLATES:
            assert (stored[template.key].body, stored[template.key].channel) == (
                template.body,
                template.channel.value,
            )
        session.execute(
            delete(NotificationTemplate).where(NotificationTemplate.key == "reminder_2h")
        )
        channel, _subject, body = template_text(session, "reminder_2h")  # type: ignore[misc]
        assert channel is Channel.SMS and body.startswith("{first_name}, see you at {time}")
        # An offset without its own template uses the nearest kind of reminder.
        assert template_text(session, "reminder_48h")[2] == stored["reminder_24h"].body  # type: ignore[index]


def test_saving_a_template_checks_its_placeholders(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    service = TemplateService(database.session_factory, staff["manager"], "desk-m")
    with pytest.raises(ValidationError, match=r"Unknown placeholder \{firstname\}") as error:
        service.save_template("reminder_24h", subject="", body="Hi {firstname}", expected_version=1)
    assert error.value.field == "body"
    with pytest.raises(ValidationError, match="not closed") as error:
        service.save_template("reminder_24h", subject="", body="Hi {first_name", expected_version=1)
    with pytest.raises(ValidationError, match=r"\{scan_type!r\}"):
        service.save_template("reminder_24h", subject="", body="{scan_type!r}", expected_version=1)
    with pytest.raises(ValidationError) as error:
        service.save_template(
            "report_ready_doctor", subject="Report {patient}", body="{doctor_name}"
        )
    assert error.value.field == "subject"
    saved = service.save_template(
        "reminder_24h",
        subject="",
        body="{first_name}: {scan_type} on {date} at {time}, {room}. {preparation} {{{amount}}}",
        expected_version=1,
    )
    assert saved.version == 2 and not saved.is_default_text
    assert saved.placeholders == (
        "first_name", "scan_type", "date", "time", "room", "preparation", "amount",
    )  # fmt: skip
    with pytest.raises(StaleRecordError, match="changed by someone else"):
        service.save_template("reminder_24h", subject="", body="{first_name}", expected_version=1)
    reception = TemplateService(database.session_factory, staff["reception"], "desk-r")
    with pytest.raises(PermissionDeniedError):
        reception.save_template("reminder_24h", subject="", body="Hi", expected_version=2)
    reset = service.reset_to_default("reminder_24h", expected_version=2)
    assert reset.is_default_text and reset.version == 3
    with database.session() as session:
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.entity == "notification_template")
        ).all()
    assert actions == ["notification_template_saved", "notification_template_saved"]


def test_preview_renders_a_template_on_a_real_appointment(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    appointment_id = _appointment(database)
    service = TemplateService(database.session_factory, staff["manager"], "desk-m")
    preview = service.preview(
        "booking_confirmation",
        subject="",
        body="Hi {first_name}, {scan_type} on {date} at {time} in {room}. {preparation} "
        "Bring {amount}. {clinic_name} {clinic_phone}",
        appointment_id=appointment_id,
    )
    assert preview.body == (
        "Hi Tendai, CT head on Wed 25 Nov 2026 at 10:00 in CT 1. Please arrive 15 minutes "
        "early. Bring USD 40.00. MIC Harare +263242700000"
    )
    assert preview.recipient == "+263771234567"
    assert preview.sms_segments == 1 and preview.characters == len(preview.body)
    long = service.preview(
        "reminder_2h", subject="", body="{first_name} " * 40, appointment_id=appointment_id
    )
    assert long.sms_segments == 2  # 279 characters
    with pytest.raises(ValidationError):
        service.preview("reminder_2h", subject="", body="{nope}", appointment_id=appointment_id)


def test_rendering_closes_the_gap_of_an_empty_placeholder() -> None:
    assert render("Hi {first_name}. {preparation} Call {clinic_phone}", {"first_name": "Ann"}) == (
        "Hi Ann. Call"
    )
    assert render("Dear {doctor_name},\n\nDone.", {"doctor_name": "Dr X"}) == "Dear Dr X,\n\nDone."


# --- hooks ---------------------------------------------------------------------------------


def test_booking_confirmation_uses_the_clinics_template_and_respects_opt_out(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    TemplateService(database.session_factory, staff["manager"], "desk-m").save_template(
        "booking_confirmation", subject="", body="Booked: {first_name}, {date} {time}"
    )
    appointment_id = _appointment(database)
    with database.session() as session:
        opted_out = add_patient(session, first_name="Farai", sms_opt_in=False)
        other = add_appointment(
            session, START + dt.timedelta(hours=1), patient=opted_out, created_at=BOOKED
        )
        appointment = session.get(Appointment, appointment_id)
        assert queue_booking_confirmation(session, appointment) is True  # type: ignore[arg-type]
        assert queue_booking_confirmation(session, appointment) is False  # type: ignore[arg-type]
        assert queue_booking_confirmation(session, other) is False
    (row,) = _rows(database, channel="sms")  # the e-mail with the calendar file aside
    assert row.body == "Booked: Tendai, Wed 25 Nov 2026 10:00"
    assert (row.kind, row.idempotency_key, row.appointment_start_at) == (
        "booking_confirmation",
        f"booking:{appointment_id}",
        START,
    )


def test_a_switched_off_template_sends_nothing(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    TemplateService(database.session_factory, staff["manager"], "desk-m").save_template(
        "booking_confirmation", subject="", body="{first_name}", is_active=False
    )
    appointment_id = _appointment(database)
    with database.session() as session:
        assert not queue_booking_confirmation(session, session.get(Appointment, appointment_id))  # type: ignore[arg-type]


def test_payment_confirmation(database: Database) -> None:
    appointment_id = _appointment(database)
    with database.session() as session:
        appointment = session.get(Appointment, appointment_id)
        assert appointment is not None
        payment = Payment(
            receipt_number="R000001",
            patient_id=appointment.patient_id,
            appointment_id=appointment_id,
            method="cash",
            amount=Decimal("1250.50"),
        )
        session.add(payment)
        session.flush()
        assert queue_payment_confirmation(session, payment, "USD")
    (row,) = _rows(database)
    assert "USD 1,250.50 (receipt R000001)" in row.body and row.appointment_id == appointment_id


# --- reminders -----------------------------------------------------------------------------


def test_reminders_come_due_24_and_2_hours_before(database: Database) -> None:
    appointment_id = _appointment(database)
    with database.session() as session:
        configure_clinic(session, reminder_offsets_hours=[24, 2])
    clock = FakeClock(START - dt.timedelta(hours=30, minutes=1))
    reminders = ReminderService(database.session_factory, clock=clock)
    assert reminders.enqueue_due_reminders() == 0  # more than 6 h before it is due
    clock.set(START - dt.timedelta(hours=30))
    assert reminders.enqueue_due_reminders() == 1
    assert reminders.enqueue_due_reminders() == 0  # the next run, on any PC, adds nothing
    (day_before,) = _rows(database)
    assert day_before.idempotency_key == f"reminder-24h:{appointment_id}:20261125T0800"
    assert day_before.due_at == START - dt.timedelta(hours=24)
    assert day_before.body.startswith("Reminder: Tendai, your CT head is tomorrow, Wed 25 Nov")
    clock.set(START - dt.timedelta(hours=8))
    assert reminders.enqueue_due_reminders() == 1
    two_hours = _rows(database, kind="reminder_2h")[0]
    assert two_hours.due_at == START - dt.timedelta(hours=2)
    assert two_hours.body == "Tendai, see you at 10:00 today for your CT head. MIC Harare"


def test_no_reminder_for_opted_out_unreachable_late_booked_or_cancelled(
    database: Database,
) -> None:
    with database.session() as session:
        configure_clinic(session, reminder_offsets_hours=[24])
        hour = dt.timedelta(hours=1)
        add_appointment(
            session, START, patient=add_patient(session, sms_opt_in=False), created_at=BOOKED
        )
        add_appointment(
            session, START + hour, patient=add_patient(session, phone=None), created_at=BOOKED
        )
        add_appointment(session, START + 2 * hour, created_at=START - dt.timedelta(hours=20))
        add_appointment(session, START + 3 * hour, status="cancelled", created_at=BOOKED)
        add_appointment(session, START + 4 * hour, status="arrived", created_at=BOOKED)
    clock = FakeClock(START - dt.timedelta(hours=20))
    assert ReminderService(database.session_factory, clock=clock).enqueue_due_reminders() == 0


def test_four_pcs_running_the_reminder_job_at_once_make_one_reminder_each(
    database: Database, db_url: object
) -> None:
    with database.session() as session:
        configure_clinic(session, reminder_offsets_hours=[24], time_zone="Africa/Harare")
        for n in range(40):
            add_appointment(session, START + dt.timedelta(minutes=30 * n), created_at=BOOKED)
    clock = FakeClock(START - dt.timedelta(hours=24))
    barrier = threading.Barrier(4)
    counts: list[int] = []

    def run() -> None:
        pc = Database(database.connection)
        try:
            barrier.wait()
            counts.append(
                ReminderService(
                    pc.session_factory, clock=clock, batch_size=7
                ).enqueue_due_reminders()
            )
        finally:
            pc.dispose()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Reminders due within the next 6 hours: appointments starting in 24-30 h.
    assert sum(counts) == len(_rows(database)) == 13


def test_cancelling_cancels_pending_reminders_and_tells_the_patient(database: Database) -> None:
    appointment_id = _appointment(database)
    clock = FakeClock(START - dt.timedelta(hours=25))
    reminders = ReminderService(database.session_factory, clock=clock)
    assert reminders.enqueue_due_reminders() == 1
    with database.session() as session:
        appointment = session.get(Appointment, appointment_id)
        assert appointment is not None
        appointment.status = "cancelled"
        assert appointment_cancelled(session, appointment, now=clock())
    reminder, notice = _rows(database, channel="sms")
    assert (reminder.status, reminder.last_error) == ("cancelled", "appointment cancelled")
    assert notice.kind == "cancellation" and "is cancelled" in notice.body
    assert reminders.enqueue_due_reminders() == 0


def test_moving_an_appointment_re_times_its_reminders(database: Database) -> None:
    appointment_id = _appointment(database)
    clock = FakeClock(START - dt.timedelta(hours=25))
    assert ReminderService(database.session_factory, clock=clock).enqueue_due_reminders() == 1
    later = START + dt.timedelta(hours=3)

    def move(to: dt.datetime) -> None:
        with database.session() as session:
            appointment = session.get(Appointment, appointment_id)
            assert appointment is not None
            appointment.start_at, appointment.end_at = to, to + dt.timedelta(minutes=30)
            session.flush()
            assert appointment_rescheduled(session, appointment, now=clock())

    move(later)
    old, notice, new = _rows(database, channel="sms")
    assert (old.status, old.last_error) == ("cancelled", "appointment moved")
    assert notice.kind == "reschedule" and "moved to Wed 25 Nov 2026 at 13:00" in notice.body
    assert new.status == "queued" and new.due_at == later - dt.timedelta(hours=24)
    assert new.idempotency_key == reminder_key(24, appointment_id, later)
    assert new.appointment_start_at == later and "13:00" in new.body

    move(START)  # and back: the first reminder is queued again, the second cancelled
    by_key = {row.idempotency_key: row for row in _rows(database)}
    first = by_key[reminder_key(24, appointment_id, START)]
    second = by_key[reminder_key(24, appointment_id, later)]
    assert (first.status, first.last_error, first.due_at) == (
        "queued",
        None,
        START - dt.timedelta(hours=24),
    )
    assert second.status == "cancelled"
    assert len(_rows(database, kind="reschedule")) == 2


def test_weekly_outstanding_balance_reminder(database: Database) -> None:
    with database.session() as session:
        configure_clinic(session, time_zone="Africa/Harare", currency="USD", name="MIC")
        owing = add_patient(session, first_name="Owes")
        paid_up = add_patient(session, first_name="Paid")
        opted_out = add_patient(session, first_name="Quiet", sms_opt_in=False)
        for n, patient in enumerate((owing, paid_up, opted_out)):
            add_appointment(
                session,
                START - dt.timedelta(days=3, hours=n),
                patient=patient,
                status="completed",
                copay=Decimal("40.00"),
            )
        add_appointment(session, START, patient=owing, status="confirmed")  # not owed yet
        for patient, amount in ((owing, "15.00"), (paid_up, "40.00")):
            session.add(
                Payment(
                    receipt_number=f"R{patient.id:06d}",
                    patient_id=patient.id,
                    method="cash",
                    amount=Decimal(amount),
                )
            )
    # Mon 30 Nov 2026: nothing before 10:00 clinic time, then once that week.
    clock = FakeClock(dt.datetime(2026, 11, 30, 7, 59, tzinfo=dt.UTC))
    reminders = ReminderService(database.session_factory, clock=clock)
    assert reminders.enqueue_balance_reminders() == 0
    clock.set(dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC))
    assert reminders.enqueue_balance_reminders() == 1
    clock.advance(days=3)
    assert reminders.enqueue_balance_reminders() == 0
    clock.advance(days=4)
    assert reminders.enqueue_balance_reminders() == 1
    first, second = _rows(database)
    assert first.body == (
        "Owes, your balance at MIC is USD 25.00. Please pay at reception or call ."
    )
    assert first.idempotency_key.endswith(":2026-W49") and second.idempotency_key.endswith(
        ":2026-W50"
    )


# --- what reception sees -------------------------------------------------------------------


def _failed_message(database: Database, appointment_id: int, **values: object) -> int:
    with database.session() as session:
        appointment = session.get(Appointment, appointment_id)
        assert appointment is not None
        queue_booking_confirmation(session, appointment)
        # Only the SMS: the e-mail with the calendar file is not what these tests follow.
        session.execute(delete(OutboxMessage).where(OutboxMessage.channel == "email"))
        session.execute(update(OutboxMessage).values(**values))
        return session.scalars(select(OutboxMessage.id)).one()


def test_failures_are_listed_by_when_they_went_wrong_not_when_they_were_queued(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    """A reminder queued at booking, weeks ago, that fails this morning is on the list."""
    appointment_id = _appointment(database)
    failed_today = _failed_message(
        database,
        appointment_id,
        status="failed",
        last_error="The phone number is not a valid number.",
        attempts=1,
        created_at=START - dt.timedelta(days=30),
        due_at=START - dt.timedelta(hours=1),
        last_attempt_at=START - dt.timedelta(minutes=50),
    )
    service = OutboxService(
        database.session_factory, staff["reception"], "desk-1", clock=FakeClock(START)
    )
    assert [m.id for m in service.failed_messages()] == [failed_today]  # the last 14 days
    later = OutboxService(
        database.session_factory,
        staff["reception"],
        "desk-1",
        clock=FakeClock(START + dt.timedelta(days=15)),
    )
    assert later.failed_messages() == []  # it went wrong 15 days before that "now"


def test_reception_sees_messages_failures_and_can_resend(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    appointment_id = _appointment(database)
    message_id = _failed_message(
        database,
        appointment_id,
        status="failed",
        last_error="The phone number is not a valid number.",
        error_code="21211",
        attempts=1,
    )
    clock = FakeClock(START - dt.timedelta(days=2))
    service = OutboxService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    (message,) = service.messages_for_appointment(appointment_id)
    assert message.state_label == "Failed: The phone number is not a valid number."
    assert message.kind_label == "Booking confirmation" and message.patient_name == "Tendai Moyo"
    assert [m.id for m in service.failed_messages(since=START - dt.timedelta(days=365))] == [
        message_id
    ]

    with pytest.raises(ValidationError, match="international form") as error:
        service.resend(message_id, recipient="0771234567")
    assert error.value.field == "recipient"
    with database.session() as session:  # reception corrects the number on the record
        appointment = session.get(Appointment, appointment_id)
        appointment.patient.phone = "+263772000111"  # type: ignore[union-attr]
    resent = service.resend(message_id)
    assert (resent.status.value, resent.recipient, resent.attempts, resent.last_error) == (
        "queued",
        "+263772000111",
        0,
        None,
    )
    assert resent.due_at == clock()
    with pytest.raises(ValidationError, match="cannot be sent again"):
        service.resend(message_id)  # a second click does nothing twice
    with pytest.raises(PermissionDeniedError):
        OutboxService(database.session_factory, staff["radiologist"], "desk-3").resend(message_id)
    with database.session() as session:
        (entry,) = session.scalars(select(AuditLog).where(AuditLog.action == "message_resent"))
        assert entry.details["error_code"] == "21211" and entry.workstation == "desk-1"


def test_undelivered_is_listed_and_an_opted_out_patient_is_not_messaged_again(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    appointment_id = _appointment(database)
    message_id = _failed_message(
        database,
        appointment_id,
        status="sent",
        delivery_status="undelivered",
        error_code="30003",
        last_error="The phone was off or out of coverage.",
    )
    service = OutboxService(database.session_factory, staff["reception"], "desk-1")
    (message,) = service.failed_messages(since=START - dt.timedelta(days=365))
    assert message.id == message_id and message.undelivered
    assert message.state_label == "Not delivered: The phone was off or out of coverage."
    with database.session() as session:
        session.get(Appointment, appointment_id).patient.sms_opt_in = False  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="opted out"):
        service.resend(message_id)


def test_an_e_mail_in_doubt_is_for_reception_and_a_resend_keeps_its_message_id(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    _appointment(database)
    message_id = "<mic-outbox-1@mic.example>"
    with database.session() as session:
        enqueue(
            session,
            idempotency_key="doubt:email",
            kind="report_ready_doctor",
            channel=Channel.EMAIL,
            recipient="dr@example.org",
            subject="Report ready",
            body="Attached.",
            due_at=START,
        )
        enqueue(
            session,
            idempotency_key="doubt:sms",
            kind="test",
            channel=Channel.SMS,
            recipient="+263771234567",
            body="Hello",
            due_at=START,
        )
        session.execute(
            update(OutboxMessage).values(
                status="unknown",
                attempts=1,
                last_error="The connection broke; it may have been sent.",
                provider_message_id=message_id,
            )
        )
        ids = dict(session.execute(select(OutboxMessage.channel, OutboxMessage.id)).all())
    service = OutboxService(database.session_factory, staff["reception"], "desk-1")
    (listed,) = service.failed_messages(since=START - dt.timedelta(days=365))
    assert listed.id == ids["email"] and listed.in_doubt and listed.can_resend
    assert listed.state_label == "May have been sent — resend?"
    with pytest.raises(ValidationError, match="checking with twilio"):
        service.resend(ids["sms"])  # an SMS in doubt is looked up at Twilio, not resent
    resent = service.resend(ids["email"])
    assert (resent.status.value, resent.attempts, resent.last_error) == ("queued", 0, None)
    assert resent.provider_message_id == message_id  # the copy is the same message
    with database.session() as session:
        (entry,) = session.scalars(select(AuditLog).where(AuditLog.action == "message_resent"))
        assert entry.details["status"] == "unknown"
