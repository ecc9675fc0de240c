"""``mic-desktop credentials set | show | test``: Twilio (SMS) and SMTP (e-mail) settings.

The auth token and the SMTP password go to the OS keyring, never to the settings file.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from mic_desktop.cli.common import open_checked
from mic_desktop.config import (
    DatabaseTarget,
    Settings,
    SmtpSecurity,
    SmtpSettings,
    workstation_name,
)


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``credentials`` and its actions to the ``mic-desktop`` subcommands."""
    credentials = commands.add_parser(
        "credentials", help="Twilio (SMS) and SMTP (e-mail) credentials", parents=[common]
    )
    actions = credentials.add_subparsers(
        dest="credentials_command", metavar="ACTION", required=True
    )
    set_ = actions.add_parser(
        "set", help="store a provider's settings and its secret (in the OS keyring)"
    )
    providers = set_.add_subparsers(dest="provider", metavar="PROVIDER", required=True)
    twilio = providers.add_parser("twilio", help="Twilio account for SMS")
    twilio.add_argument("--account-sid", help="AC... (default: the one already set)")
    twilio.add_argument(
        "--from", dest="from_number", help="sender: a Twilio number, e.g. +15017122661"
    )
    twilio.add_argument(
        "--secret-stdin", action="store_true", help="read the auth token from stdin"
    )
    smtp = providers.add_parser("smtp", help="mail server for e-mail")
    smtp.add_argument("--host")
    smtp.add_argument("--port", type=int)
    smtp.add_argument("--user", help="login name (leave out for a relay without login)")
    smtp.add_argument("--from", dest="from_address", help="sender address")
    smtp.add_argument("--security", choices=[choice.value for choice in SmtpSecurity])
    smtp.add_argument(
        "--allow-unencrypted",
        action="store_true",
        help="allow a login with --security none (the password crosses the network readable)",
    )
    smtp.add_argument("--secret-stdin", action="store_true", help="read the password from stdin")
    actions.add_parser("show", help="show what is configured (never a secret)")
    test = actions.add_parser("test", help="send a test message now", parents=[common])
    test.add_argument("channel", choices=["sms", "email"])
    test.add_argument("--to", required=True, help="phone number (+...) or e-mail address")


def credentials_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    if args.credentials_command == "set":
        return _set(args)
    if args.credentials_command == "show":
        return _show()
    return _test(args, target)


def _read_secret(args: argparse.Namespace, what: str) -> str:
    from mic_desktop.secrets import keyring_available
    from mic_desktop.services.messaging import setup  # loads twilio

    if not keyring_available():
        raise setup.CredentialsError(
            f"No secure OS keyring is available on this PC, so the {what} cannot be stored. "
            "Install or unlock the system keyring and try again; the settings file never "
            "holds secrets."
        )
    if args.secret_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        secret = getpass.getpass(f"{what.capitalize()}: ")
    else:
        raise setup.CredentialsError(f"No terminal to ask for the {what}: use --secret-stdin.")
    if not secret:
        raise setup.CredentialsError(f"An empty {what} is not stored.")
    return secret


def _set(args: argparse.Namespace) -> int:
    from mic_desktop.services.messaging import setup  # loads twilio

    settings = Settings.load()
    if args.provider == "twilio":
        current = settings.twilio
        sid = args.account_sid or (current.account_sid if current else None)
        sender = args.from_number or (current.from_number if current else None)
        if not sid or not sender:
            raise setup.CredentialsError("Give --account-sid and --from (nothing is set up yet).")
        token = _read_secret(args, "Twilio auth token")
        twilio = setup.save_twilio_credentials(sid, sender, token)
        print(f"Twilio account {twilio.account_sid} (sender {twilio.from_number}) saved; ")
        print("the auth token is in the OS keyring.")
        return 0
    current_smtp = settings.smtp
    host = args.host or (current_smtp.host if current_smtp else None)
    if not host:
        raise setup.CredentialsError("Give --host (nothing is set up yet).")
    security = SmtpSecurity(
        args.security or (current_smtp.security.value if current_smtp else "starttls")
    )
    default_port = {SmtpSecurity.TLS: 465, SmtpSecurity.STARTTLS: 587}.get(security, 25)
    user = args.user if args.user is not None else (current_smtp.user if current_smtp else "")
    smtp = SmtpSettings(
        host=host,
        port=args.port or (current_smtp.port if current_smtp else default_port),
        user=user,
        from_address=args.from_address or (current_smtp.from_address if current_smtp else user),
        security=security,
        allow_unencrypted=args.allow_unencrypted,
    )
    setup.check_smtp(smtp)  # before asking for a password it would refuse to use
    password = _read_secret(args, "SMTP password") if user else None
    saved = setup.save_smtp_credentials(smtp, password)
    print(f"Mail server {saved.host}:{saved.port} ({saved.security.value}) saved", end="")
    print("; the password is in the OS keyring." if password else ".")
    return 0


def _show() -> int:
    from mic_desktop.services.messaging import setup  # loads twilio

    status = setup.messaging_status()
    if status.twilio is None:
        print("SMS:    not set up")
    else:
        token = "auth token stored" if status.twilio_secret_stored else "NO auth token stored"
        print(
            f"SMS:    Twilio {status.twilio.account_sid}, from {status.twilio.from_number}, {token}"
        )
    if status.smtp is None:
        print("E-mail: not set up")
    else:
        smtp = status.smtp
        secret = (
            "password stored"
            if status.smtp_secret_stored
            else ("no login" if not smtp.user else "NO password stored")
        )
        print(
            f"E-mail: {smtp.user or '(no login)'} at {smtp.host}:{smtp.port} "
            f"({smtp.security.value}), from {smtp.from_address}, {secret}"
        )
    print(f"Keyring: {'available' if status.keyring_available else 'NOT available'}")
    return 0


def _test(args: argparse.Namespace, target: DatabaseTarget) -> int:
    from mic_desktop.services.messaging import setup  # loads twilio

    database = open_checked(target)
    try:
        service = setup.MessagingSetupService(database.session_factory, None, workstation_name())
        if args.channel == "sms":
            result = service.send_test_sms(args.to)
        else:
            result = service.send_test_email(args.to)
        print(f"Test {result.channel} sent to {result.recipient} ({result.provider_id}).")
        return 0
    finally:
        database.dispose()


HANDLERS = {"credentials": credentials_command}
