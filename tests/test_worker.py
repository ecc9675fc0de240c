"""The scheduler that runs the notification jobs, and stopping it without stuck rows."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from argparse import ArgumentParser

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from notification_fakes import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    FakeClock,
    FakeTwilio,
    RecordedRequest,
    add_appointment,
    configure_clinic,
)
from sqlalchemy import URL, func, insert, select

from mic_desktop.cli import worker as worker_cli
from mic_desktop.config import DatabaseKind, DatabaseTarget
from mic_desktop.db import Database
from mic_desktop.models import OutboxMessage
from mic_desktop.services.messaging.sms import TwilioSms
from mic_desktop.worker import (
    JOB_BACKUP,
    JOB_BALANCES,
    JOB_DELIVERY,
    JOB_DISPATCH,
    JOB_REMINDERS,
    JOB_REPLIES,
    NotificationWorker,
    WorkerIntervals,
    run_worker,
)

NOON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
WAIT = 30  # seconds: generous upper bounds for events that come in milliseconds


class BlockingTwilio(FakeTwilio):
    """Answers the first two messages at once, then holds the third until released."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.in_flight = threading.Event()
        self.proceed = threading.Event()
        self.script.extend(["ok", "ok", self._hold])

    def _hold(self, _request: RecordedRequest) -> str:
        self.in_flight.set()
        assert self.proceed.wait(WAIT)
        return "ok"


def _queue(database: Database, count: int) -> None:
    with database.session() as session:
        configure_clinic(session, quiet_hours_start=dt.time(0, 0), quiet_hours_end=dt.time(0, 0))
        session.execute(
            insert(OutboxMessage),
            [
                {
                    "idempotency_key": f"w:{n}",
                    "kind": "test",
                    "channel": "sms",
                    "recipient": "+263771234567",
                    "subject": "",
                    "body": f"Message {n}",
                    "due_at": NOON - dt.timedelta(minutes=count - n),
                    "status": "queued",
                    "attempts": 0,
                }
                for n in range(count)
            ],
        )


def _statuses(database: Database) -> dict[str, int]:
    with database.session() as session:
        return dict(
            session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )


def _sms(twilio: FakeTwilio) -> TwilioSms:
    return TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, http_client=twilio, timeout=5)


def test_the_jobs_keep_time_only_in_memory_and_never_overlap(database: Database) -> None:
    worker = NotificationWorker(
        database.session_factory, workstation="desk-1", clock=FakeClock(NOON)
    )
    worker.start()
    try:
        scheduler = worker.scheduler
        assert isinstance(scheduler, BackgroundScheduler) and worker.running
        assert isinstance(scheduler._lookup_jobstore("default"), MemoryJobStore)
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {
            JOB_REMINDERS,
            JOB_DISPATCH,
            JOB_DELIVERY,
            JOB_BALANCES,
            JOB_BACKUP,
            JOB_REPLIES,
        }
        for job in jobs.values():
            assert (job.coalesce, job.max_instances) == (True, 1)
        assert jobs[JOB_DISPATCH].trigger.interval == dt.timedelta(seconds=30)
    finally:
        worker.stop()
    assert not worker.running


def test_stop_lets_the_message_in_hand_finish_and_gives_the_rest_back(
    database: Database,
) -> None:
    _queue(database, 20)
    twilio = BlockingTwilio(clock=FakeClock(NOON))
    worker = NotificationWorker(
        database.session_factory,
        workstation="desk-1",
        sms=_sms(twilio),
        clock=FakeClock(NOON),
        intervals=WorkerIntervals(dispatch=3600, delivery=3600, reminders=3600, balances=3600),
    )
    worker.start()
    assert twilio.in_flight.wait(WAIT)
    assert _statuses(database) == {"sent": 2, "sending": 8, "queued": 10}
    stopper = threading.Thread(target=worker.stop)
    stopper.start()
    # The claims not yet in flight go back at once, while the message in hand still waits
    # for Twilio: other PCs may send them now.
    deadline = time.monotonic() + WAIT
    while _statuses(database) != {"sent": 2, "sending": 1, "queued": 17}:
        assert time.monotonic() < deadline and stopper.is_alive()
        threading.Event().wait(0.01)
    twilio.proceed.set()
    stopper.join(WAIT)
    assert not stopper.is_alive()
    assert _statuses(database) == {"sent": 3, "queued": 17}
    with database.session() as session:
        waiting = session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == "queued")
        ).all()
    assert {
        (m.attempts, m.claimed_by, m.claim_token, m.lease_expires_at, m.in_flight) for m in waiting
    } == {(0, None, None, None, False)}
    assert len(twilio.posts()) == 3


def test_the_headless_worker_stops_on_sigterm_with_no_row_left_in_sending(
    database: Database,
) -> None:
    _queue(database, 20)
    twilio = BlockingTwilio(clock=FakeClock(NOON))
    stop = threading.Event()

    def terminate() -> None:
        assert twilio.in_flight.wait(WAIT)
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(WAIT)  # the handler ran in the main thread
        twilio.proceed.set()

    before = signal.getsignal(signal.SIGTERM)
    killer = threading.Thread(target=terminate)
    killer.start()
    status = run_worker(
        database.session_factory,
        workstation="server",
        sms=_sms(twilio),
        clock=FakeClock(NOON),
        intervals=WorkerIntervals(dispatch=3600, delivery=3600, reminders=3600, balances=3600),
        stop_event=stop,
    )
    killer.join(WAIT)
    assert status == 0
    assert signal.getsignal(signal.SIGTERM) is before
    assert _statuses(database) == {"sent": 3, "queued": 17}


def test_worker_once_from_the_command_line_queues_due_reminders(
    database: Database, db_url: URL
) -> None:
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    with database.session() as session:
        configure_clinic(session, reminder_offsets_hours=[24])
        appointment = add_appointment(
            session, now + dt.timedelta(hours=25), created_at=now - dt.timedelta(days=7)
        )
    parser = ArgumentParser()
    worker_cli.register(parser.add_subparsers(dest="command"), ArgumentParser(add_help=False))
    args = parser.parse_args(["worker", "--once"])
    target = DatabaseTarget(
        DatabaseKind.SERVER, db_url.render_as_string(hide_password=False), "test"
    )
    assert worker_cli.HANDLERS["worker"](args, target) == 0
    with database.session() as session:
        (row,) = session.scalars(select(OutboxMessage))
    assert row.kind == "reminder_24h" and row.appointment_id == appointment.id
    assert row.status == "queued"  # no SMS account on this PC: it waits for one that has
