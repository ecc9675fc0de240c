"""Issue 6 in the windows: message statuses, failed messages with Resend, messaging settings,
the notification jobs at login, and the clock warning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select, update

from mic_desktop.config import settings_path
from mic_desktop.db import Connection, Database
from mic_desktop.models import Channel, OutboxMessage, Role
from mic_desktop.secrets import SERVICE
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.clinic import load_clinic_info
from mic_desktop.services.messaging.outbox import OutboxService, enqueue
from mic_desktop.ui.common.messaging_settings import MessagingSettingsDialog
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.reception.messages import (
    AppointmentMessagesDialog,
    FailedMessagesDialog,
)
from tests.conftest import TEST_PASSWORD, MemoryKeyring
from tests.fixed_time import CLINIC_NOW, running_clock
from tests.notification_fakes import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    INVALID_NUMBER,
    SENDER,
    FakeTwilio,
    add_appointment,
    add_patient,
)
from tests.ui.helpers import SCREENSHOTS, wait_for_tasks_delivered
from tests.ui.test_ui_login import logged_in

NOW = CLINIC_NOW.astimezone(dt.UTC)  # the sessions' clock starts here


def make_session(database: Database, account: StaffAccount) -> UserSession:
    own = Database(Connection(database.connection.url, database.connection.kind))
    clinic = load_clinic_info(own.session_factory)
    return UserSession(account, own, clinic, "test-pc", running_clock(NOW))


@pytest.fixture
def reception(database: Database, staff: dict[str, StaffAccount]) -> Iterator[UserSession]:
    session = make_session(database, staff["reception"])
    yield session
    session.close()


@pytest.fixture
def manager(database: Database, staff: dict[str, StaffAccount]) -> Iterator[UserSession]:
    session = make_session(database, staff["manager"])
    yield session
    session.close()


def _message(session, appointment, patient, kind: str, **state: object) -> int:  # type: ignore[no-untyped-def]
    key = f"{kind}:{appointment.id}"
    enqueue(
        session,
        idempotency_key=key,
        kind=kind,
        channel=Channel.SMS,
        recipient=patient.phone,
        body=f"{kind} for {patient.first_name}",
        due_at=NOW - dt.timedelta(hours=1),
        patient_id=patient.id,
        appointment_id=appointment.id,
        appointment_start_at=appointment.start_at,
    )
    if state:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.idempotency_key == key).values(**state)
        )
    return session.query(OutboxMessage.id).filter_by(idempotency_key=key).scalar()


@pytest.fixture
def messages(database: Database) -> dict[str, int]:
    """An appointment with a delivered confirmation, an undelivered reminder and a queued one,
    and another patient's failed confirmation."""
    with database.session() as session:
        patient = add_patient(session)
        appointment = add_appointment(session, NOW + dt.timedelta(days=1), patient=patient)
        ids = {
            "confirmation": _message(
                session,
                appointment,
                patient,
                "booking_confirmation",
                status="sent",
                delivery_status="delivered",
                sent_at=NOW - dt.timedelta(hours=1),
                provider_message_id="SM1",
            ),
            "reminder": _message(
                session,
                appointment,
                patient,
                "reminder_24h",
                status="sent",
                delivery_status="undelivered",
                sent_at=NOW - dt.timedelta(minutes=30),
                last_error="the phone was switched off (30003)",
                provider_message_id="SM2",
            ),
            "second": _message(session, appointment, patient, "reminder_2h"),
        }
        other = add_patient(session, first_name="Rudo", last_name="Chikore", phone="+263772000111")
        other_appointment = add_appointment(session, NOW + dt.timedelta(days=2), patient=other)
        ids["failed"] = _message(
            session, other_appointment, other, "booking_confirmation",
            status="failed", attempts=1,
            last_error="The number is not a valid phone number (21211)",
        )  # fmt: skip
        ids["appointment"] = appointment.id
    return ids


def rows_text(view) -> list[str]:  # type: ignore[no-untyped-def]
    model = view.model()
    return [
        " | ".join(str(model.index(r, c).data()) for c in range(model.columnCount()))
        for r in range(model.rowCount())
    ]


def test_appointment_messages_show_each_delivery_status(
    qtbot: QtBot, reception: UserSession, messages: dict[str, int]
) -> None:
    dialog = AppointmentMessagesDialog(reception, messages["appointment"])
    qtbot.addWidget(dialog)
    dialog.resize(1100, 420)
    dialog.open()
    page = dialog.messages
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=5_000)
    text = "\n".join(rows_text(page.view))
    assert "Delivered" in text
    assert "Not delivered: the phone was switched off (30003)" in text
    assert "Waiting to be sent" in text
    assert "1 need attention" in page.subtitle.text()
    dialog.grab().save(f"{SCREENSHOTS}/messages_appointment.png")


def test_failed_list_resend_and_live_update(
    qtbot: QtBot, reception: UserSession, database: Database, staff, messages: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    dialog = FailedMessagesDialog(reception)
    qtbot.addWidget(dialog)
    dialog.open()
    page = dialog.page
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5_000)
    text = "\n".join(rows_text(page.view))
    assert "Failed: The number is not a valid phone number (21211)" in text
    assert "Rudo Chikore" in text
    dialog.grab().save(f"{SCREENSHOTS}/messages_failed.png")

    # Resend the failed confirmation from this desk
    row = next(
        r for r in range(page.proxy.rowCount())
        if "Rudo" in str(page.proxy.index(r, 0).data())
    )  # fmt: skip
    page.view.selectRow(row)
    assert page.resend_button.isEnabled()
    qtbot.mouseClick(page.resend_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Queued again" in page.feedback.text(), timeout=5_000)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5_000)
    dialog.grab().save(f"{SCREENSHOTS}/messages_failed_resent.png")

    # Another desk resends the undelivered reminder: the list follows within 2 s
    other = OutboxService(database.session_factory, staff["reception"], "desk-2", reception.clock)
    other.resend(messages["reminder"])
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=2_000)
    assert page.stack.currentWidget() is page.message
    assert "Every message went out" in page.message.headline.text()


def test_resend_refusal_is_shown_next_to_the_button(
    qtbot: QtBot, reception: UserSession, database: Database, messages: dict[str, int]
) -> None:
    with database.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == messages["failed"])
            .values(recipient="+263772000111")
        )
        from mic_desktop.models import Patient

        session.execute(
            update(Patient).where(Patient.first_name == "Rudo").values(sms_opt_in=False)
        )
    dialog = FailedMessagesDialog(reception)
    qtbot.addWidget(dialog)
    dialog.open()
    page = dialog.page
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5_000)
    row = next(
        r for r in range(page.proxy.rowCount())
        if "Rudo" in str(page.proxy.index(r, 0).data())
    )  # fmt: skip
    page.view.selectRow(row)
    qtbot.mouseClick(page.resend_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "opted out" in page.feedback.text(), timeout=5_000)


def test_an_e_mail_that_may_have_been_sent_asks_reception_before_a_copy_goes(
    qtbot: QtBot, reception: UserSession, database: Database, messages: dict[str, int]
) -> None:
    message_id = "<mic-outbox-report@mic.example>"
    with database.session() as session:
        enqueue(
            session,
            idempotency_key="report-ready-doctor:in-doubt",
            kind="report_ready_doctor",
            channel=Channel.EMAIL,
            recipient="dr.chikore@example.org",
            subject="Report ready: Tendai Moyo, CT head",
            body="Dear Dr Chikore,\n\nThe report is attached.",
            due_at=NOW - dt.timedelta(minutes=20),
            appointment_id=messages["appointment"],
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.idempotency_key == "report-ready-doctor:in-doubt")
            .values(
                status="unknown",
                attempts=1,
                provider_message_id=message_id,
                last_error="The connection to the mail server broke while the message was "
                "being handed over (SMTPServerDisconnected); it may have been sent.",
            )
        )
    dialog = FailedMessagesDialog(reception)
    qtbot.addWidget(dialog)
    dialog.resize(1366, 768)
    dialog.open()
    page = dialog.page
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=5_000)
    row = next(
        r for r in range(page.proxy.rowCount())
        if "dr.chikore@example.org" in rows_text(page.view)[r]
    )  # fmt: skip
    assert "May have been sent — resend?" in rows_text(page.view)[row]
    status = page.proxy.index(row, page.proxy.columnCount() - 1)
    assert "SMTPServerDisconnected" in status.data(Qt.ItemDataRole.ToolTipRole)
    assert "3 need attention" in page.subtitle.text()
    page.view.selectRow(row)
    assert page.resend_button.isEnabled()
    assert "may already have this e-mail" in page.feedback.text()
    assert "same Message-ID" in page.feedback.text()
    dialog.grab().save(f"{SCREENSHOTS}/messages_email_in_doubt.png")

    qtbot.mouseClick(page.resend_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Queued again to dr.chikore" in page.feedback.text(), timeout=5_000)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5_000)
    with database.session() as session:
        resent = session.scalars(
            select(OutboxMessage).where(OutboxMessage.provider_message_id == message_id)
        ).one()
        assert resent.status == "queued"  # the copy goes with the same Message-ID


def open_settings(qtbot: QtBot, session: UserSession, **options) -> MessagingSettingsDialog:  # type: ignore[no-untyped-def]
    dialog = MessagingSettingsDialog(session, **options)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=5_000)
    return dialog


def fill_twilio(qtbot: QtBot, dialog: MessagingSettingsDialog, token: str = AUTH_TOKEN) -> None:
    qtbot.keyClicks(dialog.account_sid, ACCOUNT_SID)
    qtbot.keyClicks(dialog.sender, SENDER)
    qtbot.keyClicks(dialog.auth_token, token)


def test_settings_store_the_token_in_the_keyring_never_in_the_file(
    qtbot: QtBot, manager: UserSession, isolated_workstation: MemoryKeyring
) -> None:
    dialog = open_settings(qtbot, manager)
    fill_twilio(qtbot, dialog)
    qtbot.keyClicks(dialog.smtp_host, "smtp.clinic.example")
    qtbot.keyClicks(dialog.smtp_user, "mailer")
    qtbot.keyClicks(dialog.smtp_from, "appointments@clinic.example")
    qtbot.keyClicks(dialog.smtp_password, "smtp-secret-77")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status_label.text().startswith("Saved"), timeout=5_000)
    assert "SMS: ready · E-mail: ready" in dialog.status_label.text()
    store = isolated_workstation.store
    assert store[(SERVICE, f"twilio:{ACCOUNT_SID}")] == AUTH_TOKEN
    assert store[(SERVICE, "smtp:mailer@smtp.clinic.example")] == "smtp-secret-77"
    saved = settings_path().read_text()
    assert ACCOUNT_SID in saved and "smtp.clinic.example" in saved
    assert AUTH_TOKEN not in saved and "smtp-secret-77" not in saved
    assert dialog.auth_token.text() == "" and "keyring" in dialog.auth_token.placeholderText()
    dialog.grab().save(f"{SCREENSHOTS}/messaging_settings.png")


def test_settings_errors_are_shown_in_their_section(qtbot: QtBot, manager: UserSession) -> None:
    dialog = open_settings(qtbot, manager)
    qtbot.keyClicks(dialog.account_sid, "AC-not-a-sid")
    qtbot.keyClicks(dialog.sender, SENDER)
    qtbot.keyClicks(dialog.auth_token, "x")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.twilio_error.isVisible(), timeout=5_000)
    assert "account SID is AC followed by 32" in dialog.twilio_error.text()
    assert not settings_path().exists()


def test_test_sms_result_is_shown_in_the_dialog(qtbot: QtBot, manager: UserSession) -> None:
    twilio = FakeTwilio()
    dialog = open_settings(qtbot, manager, http_client=twilio)
    fill_twilio(qtbot, dialog)
    qtbot.keyClicks(dialog.test_sms_to, "+263771234567")
    qtbot.mouseClick(dialog.test_sms_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: "Test SMS sent to +263771234567" in dialog.test_result.text(), timeout=5_000
    )
    assert len(twilio.posts()) == 1
    assert "Test SMS from" in twilio.created_bodies()[0]
    dialog.grab().save(f"{SCREENSHOTS}/messaging_settings_test_sent.png")

    twilio.script.append(INVALID_NUMBER)
    qtbot.mouseClick(dialog.test_sms_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "was not sent" in dialog.test_result.text(), timeout=5_000)
    assert dialog.test_result.styleSheet().startswith("color:#b42318")


def test_without_a_keyring_the_token_stays_in_memory(
    qtbot: QtBot, manager: UserSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import fail

    from mic_desktop.services.messaging import setup as messaging_setup

    keyring.set_keyring(fail.Keyring())
    monkeypatch.setattr(messaging_setup, "_memory", {})
    dialog = open_settings(qtbot, manager)
    assert dialog.keyring_note.isVisible()
    assert "kept in memory only" in dialog.keyring_note.text()
    fill_twilio(qtbot, dialog)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status_label.text().startswith("Saved"), timeout=5_000)
    assert "SMS: ready" in dialog.status_label.text()
    assert AUTH_TOKEN not in settings_path().read_text()
    dialog.grab().save(f"{SCREENSHOTS}/messaging_settings_no_keyring.png")


def test_manager_file_menu_opens_messaging_settings(
    qtbot: QtBot, make_shell, database: Database, staff
) -> None:  # type: ignore[no-untyped-def]
    shell = make_shell(database)
    window = logged_in(qtbot, shell, "manager1", TEST_PASSWORD)
    assert window.account.role is Role.MANAGER
    window.messaging_settings_action.trigger()
    dialog = window.findChild(MessagingSettingsDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=5_000)
    dialog.close()
    reception_shell = make_shell(database)
    other = logged_in(qtbot, reception_shell, "reception1", TEST_PASSWORD)
    assert not hasattr(other, "messaging_settings_action")


def test_notification_jobs_run_while_logged_in_and_stop_at_logout(
    qtbot: QtBot, make_shell, database: Database, staff
) -> None:  # type: ignore[no-untyped-def]
    shell = make_shell(database, run_notifications=True)
    logged_in(qtbot, shell, "reception1", TEST_PASSWORD)
    qtbot.waitUntil(lambda: shell.notifications.running, timeout=10_000)
    shell.logout()
    assert not shell.notifications.running
    wait_for_tasks_delivered(qtbot, 20_000)


def test_no_notification_jobs_on_the_demo(
    qtbot: QtBot, make_shell, demo_database: Database, staff
) -> None:  # type: ignore[no-untyped-def]
    shell = make_shell(demo_database, run_notifications=True)
    logged_in(qtbot, shell, "reception1", TEST_PASSWORD)
    wait_for_tasks_delivered(qtbot)
    assert not shell.notifications.running


def test_clock_difference_is_shown_in_the_status_bar(
    qtbot: QtBot, make_shell, database: Database, staff, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from mic_desktop import diagnostics

    monkeypatch.setattr(diagnostics, "clock_offset", lambda _engine: dt.timedelta(minutes=3))
    shell = make_shell(database)
    window = logged_in(qtbot, shell, "reception1", TEST_PASSWORD)
    qtbot.waitUntil(lambda: hasattr(window, "clock_warning"), timeout=5_000)
    assert "3 min 0 s behind the clinic database server" in window.clock_warning.text()
    assert window.clock_warning.isVisible()


def test_no_clock_warning_when_the_clocks_agree(
    qtbot: QtBot, make_shell, database: Database, staff
) -> None:  # type: ignore[no-untyped-def]
    shell = make_shell(database)
    window = logged_in(qtbot, shell, "reception1", TEST_PASSWORD)
    wait_for_tasks_delivered(qtbot)
    assert not hasattr(window, "clock_warning")
