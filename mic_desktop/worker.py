"""The notification jobs on a timer: inside the desktop app, or headless on a server.

APScheduler only keeps time here: a ``BackgroundScheduler`` with its default
in-memory job store (never one shared between PCs), fixed job ids,
``coalesce=True`` and ``max_instances=1``. PostgreSQL does the coordination (see
:mod:`mic_desktop.services.messaging.dispatcher`), so every PC may run the same jobs at once.
Stopping gives every claimed row not yet in flight back at once, lets the message
in hand finish, and records it: none is left in ``sending``.

The daily backup (:class:`~mic_desktop.services.admin.backup_schedule.DailyBackup`)
is one more job here, coordinated the same way; stopping stops a backup in progress,
which is then recorded as failed.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.config import Settings
from mic_desktop.services.admin.backup_schedule import DailyBackup
from mic_desktop.services.clock import utc_now
from mic_desktop.services.messaging.dispatcher import Dispatcher
from mic_desktop.services.messaging.reminders import ReminderService
from mic_desktop.services.messaging.replies import InboundGateway, ReplyFetcher
from mic_desktop.services.messaging.sending import Mailer
from mic_desktop.services.messaging.setup import build_mailer, build_sms_gateway
from mic_desktop.services.messaging.sms import SmsGateway

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

JOB_REMINDERS = "mic-enqueue-reminders"
JOB_DISPATCH = "mic-dispatch-outbox"
JOB_DELIVERY = "mic-poll-delivery"
JOB_BALANCES = "mic-balance-reminders"
JOB_BACKUP = "mic-daily-backup"
JOB_REPLIES = "mic-fetch-replies"  # patients' SMS replies, then the waitlist offers


@dataclass(frozen=True)
class WorkerIntervals:
    """Seconds between runs of each job."""

    reminders: float = 300
    dispatch: float = 30
    delivery: float = 120
    balances: float = 3600
    backup: float = 300  # is the daily backup due? (one PC makes it, see DailyBackup)
    replies: float = 60


class NotificationWorker:
    """The four notification jobs of one PC; :meth:`start` and :meth:`stop` them."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        workstation: str,
        sms: SmsGateway | None = None,
        mailer: Mailer | None = None,
        clock: Clock = utc_now,
        intervals: WorkerIntervals | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.intervals = intervals or WorkerIntervals()
        self.dispatcher = dispatcher or Dispatcher(
            session_factory, workstation=workstation, sms=sms, mailer=mailer, clock=clock
        )
        self.reminders = ReminderService(session_factory, clock=clock)
        self.replies = ReplyFetcher(
            session_factory,
            workstation=workstation,
            sms=sms if isinstance(sms, InboundGateway) else None,
            clock=clock,
        )
        bind = session_factory.kw.get("bind")
        self.daily_backup = (
            DailyBackup(session_factory, bind.url, workstation=workstation, clock=clock)
            if bind is not None
            else None
        )
        self._backup_stop = threading.Event()
        self._scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        session_factory: sessionmaker[Session],
        workstation: str,
        settings: Settings | None = None,
        **kwargs: object,
    ) -> NotificationWorker:
        """A worker with this PC's SMS and e-mail senders (none when not set up)."""
        settings = settings if settings is not None else Settings.load()
        return cls(
            session_factory,
            workstation=workstation,
            sms=build_sms_gateway(settings),
            mailer=build_mailer(settings),
            **kwargs,  # type: ignore[arg-type]
        )

    @property
    def scheduler(self) -> BackgroundScheduler | None:
        """The running scheduler (for a status view), or None."""
        return self._scheduler

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self.dispatcher.resume()
            self._backup_stop.clear()
            scheduler = BackgroundScheduler(
                timezone=dt.UTC,
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
            )
            now = dt.datetime.now(dt.UTC)
            jobs: list[tuple[str, Callable[[], object], float]] = [
                (JOB_REMINDERS, self.enqueue_reminders, self.intervals.reminders),
                (JOB_DISPATCH, self.dispatch, self.intervals.dispatch),
                (JOB_DELIVERY, self.poll_delivery, self.intervals.delivery),
                (JOB_BALANCES, self.enqueue_balance_reminders, self.intervals.balances),
                (JOB_BACKUP, self.back_up_if_due, self.intervals.backup),
                (JOB_REPLIES, self.fetch_replies, self.intervals.replies),
            ]
            for job_id, function, seconds in jobs:
                scheduler.add_job(
                    function,
                    IntervalTrigger(seconds=seconds, timezone=dt.UTC),
                    id=job_id,
                    name=job_id,
                    replace_existing=True,
                    next_run_time=now,
                )
            scheduler.start()
            self._scheduler = scheduler
            log.info("Notification jobs started")

    def stop(self, wait: bool = True) -> None:
        """Stop the jobs: the other claims go back at once, the message being sent finishes."""
        with self._lock:
            scheduler, self._scheduler = self._scheduler, None
            self.dispatcher.request_stop()
            self._backup_stop.set()  # a backup in progress stops and is recorded as failed
            if scheduler is not None and scheduler.running:
                scheduler.shutdown(wait=wait)
            if wait:
                released = self.dispatcher.release_held()
                if released:
                    log.info("Gave back %d claimed messages", released)
            log.info("Notification jobs stopped")

    def wake_dispatch(self) -> None:
        """Send now rather than at the next tick (e.g. right after a booking)."""
        scheduler = self._scheduler
        if scheduler is not None and scheduler.running:
            scheduler.modify_job(JOB_DISPATCH, next_run_time=dt.datetime.now(dt.UTC))

    def run_all_once(self) -> None:
        """Every job once, in this thread (``mic-desktop worker --once``)."""
        self.enqueue_reminders()
        self.enqueue_balance_reminders()
        self.dispatch()
        self.poll_delivery()
        self.fetch_replies()
        self.back_up_if_due()

    # The jobs: an error is logged and the next tick tries again.

    def enqueue_reminders(self) -> None:
        with _logged("enqueue reminders"):
            queued = self.reminders.enqueue_due_reminders()
            if queued:
                log.info("Queued %d appointment reminders", queued)

    def enqueue_balance_reminders(self) -> None:
        with _logged("enqueue balance reminders"):
            queued = self.reminders.enqueue_balance_reminders()
            if queued:
                log.info("Queued %d balance reminders", queued)

    def dispatch(self) -> None:
        with _logged("dispatch the outbox"):
            summary = self.dispatcher.dispatch_due()
            if summary.claimed:
                log.info(
                    "Outbox: %d sent, %d to retry, %d failed, %d unknown, %d cancelled",
                    summary.sent,
                    summary.retried,
                    summary.failed,
                    summary.unknown,
                    summary.cancelled,
                )

    def poll_delivery(self) -> None:
        with _logged("poll delivery statuses"):
            self.dispatcher.poll_delivery()

    def fetch_replies(self) -> None:
        with _logged("fetch SMS replies"):
            summary = self.replies.fetch_replies()
            if summary.stored:
                log.info("Acted on %d SMS replies: %s", summary.stored, summary.actions)
        with _logged("offer freed slots to the waitlist"):
            offers = self.replies.advance_offers()
            if offers.offered or offers.expired:
                log.info("Waitlist: %d offered, %d expired", offers.offered, offers.expired)

    def back_up_if_due(self) -> None:
        if self.daily_backup is None:
            return
        with _logged("make the daily backup"):
            outcome = self.daily_backup.run_if_due(cancel=self._backup_stop)
            if outcome is not None:
                log.info(
                    "Daily backup %s: %s",
                    outcome.entry.status.value,
                    outcome.entry.failure_reason or outcome.entry.file_path,
                )


@contextmanager
def _logged(what: str) -> Iterator[None]:
    """Log a job's exception instead of letting it reach the scheduler thread."""
    try:
        yield
    except Exception:
        log.exception("Could not %s", what)


def run_worker(
    session_factory: sessionmaker[Session],
    *,
    workstation: str,
    sms: SmsGateway | None = None,
    mailer: Mailer | None = None,
    clock: Clock = utc_now,
    intervals: WorkerIntervals | None = None,
    stop_event: threading.Event | None = None,
    install_signal_handlers: bool = True,
    on_started: Callable[[NotificationWorker], None] | None = None,
) -> int:
    """Run the jobs until Ctrl+C, SIGTERM or ``stop_event``; then stop cleanly. Returns 0."""
    stop = stop_event or threading.Event()
    worker = NotificationWorker(
        session_factory,
        workstation=workstation,
        sms=sms,
        mailer=mailer,
        clock=clock,
        intervals=intervals,
    )
    previous: dict[int, object] = {}

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("Signal %s: stopping", signal.Signals(signum).name)
        stop.set()

    if install_signal_handlers and threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handle)
    try:
        worker.start()
        if on_started is not None:
            on_started(worker)
        while not stop.wait(0.5):
            pass
    finally:
        worker.stop(wait=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
    return 0
