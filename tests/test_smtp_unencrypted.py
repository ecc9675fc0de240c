"""A login to the mail server without encryption needs the manager's explicit opt-in: the
settings refuse it, the command line refuses it, and the sender itself refuses it."""

from __future__ import annotations

import io
import socket
from argparse import ArgumentParser, Namespace
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from notification_fakes import SmtpServer

from mic_desktop.cli import credentials as credentials_cli
from mic_desktop.config import (
    DatabaseKind,
    DatabaseTarget,
    Settings,
    SmtpSecurity,
    SmtpSettings,
    settings_path,
)
from mic_desktop.secrets import get_secret
from mic_desktop.services.messaging.email import EmailConfigurationError, SmtpMailer
from mic_desktop.services.messaging.setup import (
    UnencryptedLoginError,
    build_mailer,
    check_smtp,
    forget_secrets_for_this_run,
    messaging_status,
    save_smtp_credentials,
    use_secret_for_this_run,
)

USER, PASSWORD = "relay-user", "relay-secret-42"


def _plain_login(port: int = 25, **extra: object) -> SmtpSettings:
    return SmtpSettings(
        "mail.clinic.lan", port, USER, "reports@clinic.example", SmtpSecurity.NONE, **extra
    )  # type: ignore[arg-type]


def test_a_login_without_encryption_is_refused_unless_allowed() -> None:
    with pytest.raises(UnencryptedLoginError, match="Allow unencrypted login") as refused:
        check_smtp(_plain_login())
    assert refused.value.field == "allow_unencrypted"
    assert check_smtp(_plain_login(allow_unencrypted=True)).allow_unencrypted
    relay = SmtpSettings("mail.clinic.lan", 25, "", "r@clinic.example", SmtpSecurity.NONE)
    assert check_smtp(relay) == relay  # no login: nothing secret crosses the network
    tls = SmtpSettings("smtp.example", 587, USER, "r@clinic.example", SmtpSecurity.STARTTLS)
    assert check_smtp(tls) == tls


def test_a_refused_setting_stores_nothing_and_the_opt_in_is_kept_in_the_settings() -> None:
    with pytest.raises(UnencryptedLoginError):
        save_smtp_credentials(_plain_login(), PASSWORD)
    assert not settings_path().exists()
    assert get_secret(f"smtp:{USER}@mail.clinic.lan") is None

    save_smtp_credentials(_plain_login(allow_unencrypted=True), PASSWORD)
    assert "allow_unencrypted = true" in settings_path().read_text()
    assert Settings.load().smtp == _plain_login(allow_unencrypted=True)
    mailer = build_mailer()
    assert mailer is not None and mailer.settings.allow_unencrypted


def _cli(argv: list[str]) -> Namespace:
    parser = ArgumentParser()
    credentials_cli.register(parser.add_subparsers(dest="command"), ArgumentParser(add_help=False))
    return parser.parse_args(argv)


def test_the_command_line_needs_allow_unencrypted(monkeypatch: pytest.MonkeyPatch) -> None:
    target = DatabaseTarget(DatabaseKind.EMBEDDED)
    argv = [
        *("credentials", "set", "smtp", "--host", "mail.clinic.lan", "--user", USER),
        *("--security", "none", "--from", "r@clinic.example", "--secret-stdin"),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    args = _cli(argv)
    with pytest.raises(UnencryptedLoginError):
        credentials_cli.HANDLERS[args.command](args, target)
    assert not settings_path().exists()
    args = _cli([*argv, "--allow-unencrypted"])
    assert credentials_cli.HANDLERS[args.command](args, target) == 0
    smtp = Settings.load().smtp
    assert smtp is not None and smtp.allow_unencrypted and smtp.security is SmtpSecurity.NONE
    assert get_secret(f"smtp:{USER}@mail.clinic.lan") == PASSWORD


class _LoginInbox:
    def __init__(self) -> None:
        self.logins: list[str] = []
        self.messages = 0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages += 1
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def plain_login_server() -> Iterator[tuple[_LoginInbox, int]]:
    """A server that takes a login over a plain connection (a careless relay)."""
    inbox, port = _LoginInbox(), _free_port()

    def authenticate(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        inbox.logins.append(auth_data.login.decode())
        return AuthResult(success=auth_data.password.decode() == PASSWORD)

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield inbox, port
    controller.stop()


def test_the_sender_refuses_before_connecting_unless_allowed(
    plain_login_server: tuple[_LoginInbox, int],
) -> None:
    inbox, port = plain_login_server
    settings = SmtpSettings("127.0.0.1", port, USER, "r@clinic.example", SmtpSecurity.NONE, 5)
    with pytest.raises(EmailConfigurationError, match="without encryption, which was not"):
        SmtpMailer(settings, PASSWORD).send("dr@example.org", "Report", "Hello")
    assert (inbox.logins, inbox.messages) == ([], 0)  # the password never left
    allowed = SmtpSettings(
        "127.0.0.1", port, USER, "r@clinic.example", SmtpSecurity.NONE, 5, allow_unencrypted=True
    )
    SmtpMailer(allowed, PASSWORD).send("dr@example.org", "Report", "Hello")
    assert (inbox.logins, inbox.messages) == ([USER], 1)


def test_a_relay_without_login_needs_no_opt_in() -> None:
    with SmtpServer() as server:
        server.mailer().send("dr@example.org", "Report", "Hello")
        assert len(server.messages) == 1


def test_a_login_without_encryption_set_up_before_the_opt_in_is_not_ready() -> None:
    settings = Settings.load()
    settings.smtp = _plain_login()  # as an older version saved it, without the opt-in
    settings.save()
    use_secret_for_this_run(f"smtp:{USER}@mail.clinic.lan", PASSWORD)
    try:
        assert messaging_status().smtp_secret_stored
        assert not messaging_status().email_ready
    finally:
        forget_secrets_for_this_run()
