"""``mic-desktop worker [--once]``: the reminder and outbox jobs without a window."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from mic_desktop.cli.common import open_checked
from mic_desktop.config import DatabaseTarget, Settings, workstation_name

WORKER_HELP = """\
Run the notification jobs without a window, e.g. on the clinic server: queue
appointment and balance reminders, send the outbox (SMS through Twilio, e-mail
through SMTP) and follow SMS delivery; make the daily backup when it is due (set on
the manager's Backup page). Every front-desk PC runs the same jobs while the app is
open; the database makes sure each message goes out once and one PC makes the day's
backup. Stops cleanly on Ctrl+C or SIGTERM.
"""


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``worker`` to the ``mic-desktop`` subcommands."""
    worker = commands.add_parser(
        "worker",
        help="send reminders and messages (headless, for the clinic server)",
        description=WORKER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    worker.add_argument("--once", action="store_true", help="run every job once, then exit")


def worker_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    from mic_desktop.services.messaging.setup import build_mailer, build_sms_gateway
    from mic_desktop.worker import NotificationWorker, run_worker

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not every tick
    settings = Settings.load()
    sms, mailer = build_sms_gateway(settings), build_mailer(settings)
    print(
        f"SMS: {'Twilio ' + sms.sender if sms else 'not set up'}; "
        f"e-mail: {mailer.settings.host if mailer else 'not set up'}",
        file=sys.stderr,
    )
    database = open_checked(target)
    try:
        if args.once:
            worker = NotificationWorker(
                database.session_factory,
                workstation=workstation_name(),
                sms=sms,
                mailer=mailer,
            )
            worker.run_all_once()
            return 0
        print("Worker running; Ctrl+C stops it.", file=sys.stderr)
        return run_worker(
            database.session_factory, workstation=workstation_name(), sms=sms, mailer=mailer
        )
    finally:
        database.dispose()


HANDLERS = {"worker": worker_command}
