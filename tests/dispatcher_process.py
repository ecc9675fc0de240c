"""A dispatcher in a process of its own, for the tests that kill it (``kill -9``) mid-send.

    python tests/dispatcher_process.py DATABASE_URL WORKSTATION LEASE_SECONDS \\
        (--twilio-url URL | --smtp-port PORT)

It sends the outbox every 0.1 s until it is killed: SMS through the real twilio SDK
and HTTP client, to the local :class:`notification_fakes.TwilioOverHttp` instead of
api.twilio.com; e-mail through :class:`SmtpMailer` to a local SMTP server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import make_url
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

sys.path.insert(0, str(Path(__file__).resolve().parent))

from notification_fakes import ACCOUNT_SID, AUTH_TOKEN, SENDER

from mic_desktop.config import DatabaseKind, SmtpSecurity, SmtpSettings
from mic_desktop.db import Connection, Database
from mic_desktop.services.messaging.dispatcher import Dispatcher
from mic_desktop.services.messaging.email import SmtpMailer
from mic_desktop.services.messaging.sms import TwilioSms

TWILIO = "https://api.twilio.com"


class LocalTwilio(TwilioHttpClient):
    """The SDK's own HTTP client, sending to the local stand-in instead of Twilio."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=15)
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, url.replace(TWILIO, self.base_url), *args, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("workstation")
    parser.add_argument("lease_seconds", type=float)
    parser.add_argument("--twilio-url")
    parser.add_argument("--smtp-port", type=int)
    args = parser.parse_args()
    database = Database(Connection(make_url(args.database_url), DatabaseKind.SERVER))
    sms = mailer = None
    if args.twilio_url:
        sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, http_client=LocalTwilio(args.twilio_url))
    if args.smtp_port:
        settings = SmtpSettings(
            "127.0.0.1", args.smtp_port, "", "reports@mic.example", SmtpSecurity.NONE, 15
        )
        mailer = SmtpMailer(settings, None)
    dispatcher = Dispatcher(
        database.session_factory,
        workstation=args.workstation,
        sms=sms,
        mailer=mailer,
        lease=dt.timedelta(seconds=args.lease_seconds),
    )
    while True:
        dispatcher.dispatch_due()
        time.sleep(0.1)


if __name__ == "__main__":
    main()
