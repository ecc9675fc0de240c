"""Twilio through the real SDK with canned answers; credentials and where secrets may go."""

from __future__ import annotations

import datetime as dt
import io
import logging
from argparse import ArgumentParser, Namespace

import keyring
import pytest
from keyring.backends import fail
from notification_fakes import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BAD_CREDENTIALS,
    CONNECT_ERROR,
    INVALID_NUMBER,
    INVALID_NUMBER_PROBLEM,
    SENDER,
    SERVER_ERROR,
    TIMEOUT_AFTER_CREATE,
    TIMEOUT_BEFORE_CREATE,
    TOO_MANY_REQUESTS,
    UNSUBSCRIBED,
    FakeClock,
    FakeTwilio,
)
from sqlalchemy import select, text

from mic_desktop.cli import credentials as credentials_cli
from mic_desktop.config import DatabaseKind, DatabaseTarget, Settings, settings_path
from mic_desktop.db import Database
from mic_desktop.models import AuditLog
from mic_desktop.secrets import SERVICE, get_secret
from mic_desktop.services.messaging.setup import (
    CredentialsError,
    MessagingSetupService,
    TestMessageError,
    build_sms_gateway,
    messaging_status,
    save_twilio_credentials,
)
from mic_desktop.services.messaging.sms import (
    AmbiguousSmsError,
    PermanentSmsError,
    QuietTwilioHttpClient,
    SmsConfigurationError,
    TemporarySmsError,
    TwilioSms,
)

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
PATIENT = "+263771234567"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def twilio(clock: FakeClock) -> FakeTwilio:
    return FakeTwilio(clock=clock)


@pytest.fixture
def sms(twilio: FakeTwilio) -> TwilioSms:
    return TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, http_client=twilio, timeout=7.5)


def test_a_message_is_created_through_the_sdk(sms: TwilioSms, twilio: FakeTwilio) -> None:
    sent = sms.send(PATIENT, "Your CT head is tomorrow at 09:00.")
    assert sent.sid.startswith("SM") and sent.status == "queued" and not sent.is_final
    (request,) = twilio.posts()
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.data == {
        "To": PATIENT,
        "From": SENDER,
        "Body": "Your CT head is tomorrow at 09:00.",
    }
    assert (request.auth_user, request.auth_password) == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.timeout == 7.5  # the provider call always has a timeout


@pytest.mark.parametrize(
    ("answer", "error", "code", "reason"),
    [
        (INVALID_NUMBER, PermanentSmsError, 21211, "not a valid number"),
        (INVALID_NUMBER_PROBLEM, PermanentSmsError, 21211, "not a valid number"),
        (UNSUBSCRIBED, PermanentSmsError, 21610, "unsubscribed"),
        (TOO_MANY_REQUESTS, TemporarySmsError, 20429, "slow down"),
        (SERVER_ERROR, TemporarySmsError, 20500, "server error (500)"),
        (BAD_CREDENTIALS, SmsConfigurationError, 20003, "account SID or auth token"),
    ],
)
def test_twilio_errors_are_sorted_by_what_to_do_next(
    sms: TwilioSms,
    twilio: FakeTwilio,
    answer: object,
    error: type[Exception],
    code: int,
    reason: str,
) -> None:
    twilio.script.append(answer)
    with pytest.raises(error) as raised:
        sms.send(PATIENT, "Hello")
    assert raised.value.code == code  # type: ignore[attr-defined]
    assert reason in raised.value.reason  # type: ignore[attr-defined]
    assert (code == 21610) == getattr(raised.value, "unsubscribed", False)
    assert twilio.messages == {}


def test_network_failures_before_and_after_the_request_left(
    sms: TwilioSms, twilio: FakeTwilio
) -> None:
    twilio.script.extend([CONNECT_ERROR, TIMEOUT_BEFORE_CREATE, TIMEOUT_AFTER_CREATE])
    with pytest.raises(TemporarySmsError, match="could not be reached"):
        sms.send(PATIENT, "one")  # no connection: certainly not sent, plain retry
    with pytest.raises(AmbiguousSmsError, match="did not answer in time"):
        sms.send(PATIENT, "two")  # may or may not be at Twilio
    with pytest.raises(AmbiguousSmsError):
        sms.send(PATIENT, "three")
    assert twilio.created_bodies() == ["three"]


def test_a_message_is_found_by_recipient_time_and_body(
    sms: TwilioSms, twilio: FakeTwilio, clock: FakeClock
) -> None:
    twilio.script.append(TIMEOUT_AFTER_CREATE)
    with pytest.raises(AmbiguousSmsError):
        sms.send(PATIENT, "Reminder: CT head tomorrow")
    sms.send("+263772222222", "Reminder: CT head tomorrow")  # same text, someone else
    clock.advance(minutes=1)
    found = sms.find_sent(PATIENT, "Reminder:  CT head tomorrow ", NOW, clock())
    assert found is not None and found.to == PATIENT
    assert sms.find_sent(PATIENT, "Another text", NOW, clock()) is None
    later = NOW + dt.timedelta(hours=1)
    assert sms.find_sent(PATIENT, "Reminder: CT head tomorrow", later, later) is None
    lookup = next(r for r in twilio.requests if r.method == "GET")
    assert lookup.params["To"] == PATIENT and lookup.params["From"] == SENDER


def test_delivery_status_is_fetched(sms: TwilioSms, twilio: FakeTwilio) -> None:
    sent = sms.send(PATIENT, "Hello")
    twilio.set_delivery(sent.sid, "sent", ("undelivered", 30003))
    assert sms.fetch(sent.sid).status == "sent"
    final = sms.fetch(sent.sid)
    assert final.is_final and final.error_code == 30003
    assert final.error_reason == "The phone was off or out of coverage."


def test_credentials_go_to_the_keyring_and_never_to_the_settings_file_or_logs(
    isolated_workstation: keyring.backend.KeyringBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    save_twilio_credentials(ACCOUNT_SID, SENDER, AUTH_TOKEN)
    assert get_secret(f"twilio:{ACCOUNT_SID}") == AUTH_TOKEN
    assert isolated_workstation.store == {(SERVICE, f"twilio:{ACCOUNT_SID}"): AUTH_TOKEN}  # type: ignore[attr-defined]
    written = settings_path().read_text()
    assert ACCOUNT_SID in written and SENDER in written and AUTH_TOKEN not in written
    assert Settings.load().twilio.account_sid == ACCOUNT_SID  # type: ignore[union-attr]
    status = messaging_status()
    assert status.sms_ready and status.twilio_secret_stored

    # The SDK's own request logging is on (DEBUG) while messages go out and fail.
    http = FakeTwilio()
    sms = build_sms_gateway(http_client=http)
    assert sms is not None
    sms.send(PATIENT, "Hello")
    http.script.append(BAD_CREDENTIALS)
    with pytest.raises(SmsConfigurationError):
        sms.send(PATIENT, "Hello")
    logging.getLogger("mic_desktop.test").warning("token was %s", AUTH_TOKEN)
    # The production HTTP client logs method and path only (no numbers, bodies, tokens).
    QuietTwilioHttpClient(timeout=5).log_request(
        {
            "method": "GET",
            "url": "https://api.twilio.com/x.json?To=%2B263",
            "params": {"To": PATIENT},
            "headers": {"Authorization": AUTH_TOKEN},
        }
    )
    assert "GET https://api.twilio.com/x.json" in caplog.text and PATIENT not in caplog.text
    assert caplog.records, "nothing was logged, so nothing was tested"
    assert AUTH_TOKEN not in caplog.text
    assert "[redacted]" in caplog.text


def test_a_secret_key_in_the_settings_file_is_refused() -> None:
    settings = Settings()
    settings.extra["twilio"] = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    with pytest.raises(ValueError, match=r"twilio\.auth_token"):
        settings.save()
    assert not settings_path().exists()


def test_without_a_safe_keyring_nothing_is_stored() -> None:
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(CredentialsError, match="No secure OS keyring"):
        save_twilio_credentials(ACCOUNT_SID, SENDER, AUTH_TOKEN)
    assert not settings_path().exists()


def _cli(argv: list[str]) -> Namespace:
    parser = ArgumentParser()
    common = ArgumentParser(add_help=False)
    credentials_cli.register(parser.add_subparsers(dest="command"), common)
    return parser.parse_args(argv)


def test_credentials_command_stores_twilio_and_smtp_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = DatabaseTarget(DatabaseKind.EMBEDDED)
    args = _cli(
        [
            *("credentials", "set", "twilio", "--account-sid", ACCOUNT_SID),
            *("--from", SENDER, "--secret-stdin"),
        ]
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(AUTH_TOKEN + "\n"))
    assert credentials_cli.HANDLERS[args.command](args, target) == 0
    args = _cli(
        [
            *("credentials", "set", "smtp", "--host", "mail.example.org", "--user", "mic"),
            *("--from", "reports@example.org", "--secret-stdin"),
        ]
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("smtp-pass-123\n"))
    assert credentials_cli.HANDLERS[args.command](args, target) == 0
    args = _cli(["credentials", "show"])
    assert credentials_cli.HANDLERS[args.command](args, target) == 0
    out = capsys.readouterr().out
    assert "auth token stored" in out and "password stored" in out
    assert AUTH_TOKEN not in out and "smtp-pass-123" not in out
    assert get_secret("smtp:mic@mail.example.org") == "smtp-pass-123"
    written = settings_path().read_text()
    assert "smtp-pass-123" not in written and AUTH_TOKEN not in written
    assert 'security = "starttls"' in written and "port = 587" in written

    keyring.set_keyring(fail.Keyring())
    args = _cli(["credentials", "set", "twilio", "--secret-stdin"])
    with pytest.raises(CredentialsError, match="No secure OS keyring"):
        credentials_cli.HANDLERS[args.command](args, target)


def test_send_a_test_message_reports_success_and_the_reason_of_a_failure(
    database: Database, staff: dict[str, object], twilio: FakeTwilio, sms: TwilioSms
) -> None:
    manager = staff["manager"]
    service = MessagingSetupService(database.session_factory, manager, "desk-9")  # type: ignore[arg-type]
    result = service.send_test_sms(PATIENT, sms=sms)
    assert result.provider_id.startswith("SM")
    assert "Test SMS from" in twilio.created_bodies()[0]
    twilio.script.append(INVALID_NUMBER)
    with pytest.raises(TestMessageError, match="not a valid number"):
        service.send_test_sms(PATIENT, sms=sms)
    with database.session() as session:
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        stored = session.execute(text("SELECT details::text FROM audit_log")).scalars().all()
    assert actions[-2:] == ["test_message_sent", "test_message_failed"]
    assert not any(AUTH_TOKEN in row for row in stored)
    reception = MessagingSetupService(database.session_factory, staff["reception"], "desk-1")  # type: ignore[arg-type]
    with pytest.raises(Exception, match="Only a manager"):
        reception.send_test_sms(PATIENT, sms=sms)
