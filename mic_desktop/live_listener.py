"""The LISTEN side of live updates: one thread, one dedicated autocommit connection.

The connection is never shared with the ORM. The thread loops on
``conn.notifies(timeout=...)``, sends a heartbeat, and after a lost connection
reconnects with back-off, LISTENs again and calls ``on_reconnect`` so views reload
everything (notifications sent while it was away are lost). No Qt here: the UI
wraps it (``ui/common/live.py``) and the headless worker could use it too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

log = logging.getLogger(__name__)

APPLICATION_NAME = "mic-desktop-listener"


def libpq_conninfo(url: URL) -> str:
    """A libpq URI for psycopg from an SQLAlchemy URL (password included, never logged)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class NotificationListener(threading.Thread):
    """Calls ``on_notify(channel, payload)`` for every NOTIFY on ``channels``.

    Callbacks run on this thread: keep them short (the UI hands them to Qt).
    """

    def __init__(
        self,
        url: URL,
        channels: Iterable[str],
        on_notify: Callable[[str, str], None],
        on_reconnect: Callable[[], None] = lambda: None,
        *,
        poll_seconds: float = 1.0,
        heartbeat_seconds: float = 30.0,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        super().__init__(name="mic-live-listener", daemon=True)
        self._conninfo = libpq_conninfo(url)
        self._channels = tuple(dict.fromkeys(channels))
        self._on_notify = on_notify
        self._on_reconnect = on_reconnect
        self._poll = poll_seconds
        self._heartbeat = heartbeat_seconds
        self._max_backoff = max_backoff_seconds
        self._stopping = threading.Event()
        self.listening = threading.Event()  # set while LISTENing; for tests and status
        self.connections = 0  # how many times it connected

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                with psycopg.connect(
                    self._conninfo,
                    autocommit=True,
                    application_name=APPLICATION_NAME,
                    connect_timeout=10,
                ) as conn:
                    for channel in self._channels:
                        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self.connections += 1
                    self.listening.set()
                    backoff = 0.5
                    if self.connections > 1:
                        self._on_reconnect()
                    self._listen(conn)
            except psycopg.Error as exc:
                if self._stopping.is_set():
                    break
                log.warning("Live updates lost their connection (%s); retrying", type(exc).__name__)
            finally:
                self.listening.clear()
            if self._stopping.wait(backoff):
                break
            backoff = min(backoff * 2, self._max_backoff)

    def _listen(self, conn: psycopg.Connection) -> None:
        last_beat = time.monotonic()
        while not self._stopping.is_set():
            for notify in conn.notifies(timeout=self._poll):
                self._on_notify(notify.channel, notify.payload)
                if self._stopping.is_set():
                    return
            if time.monotonic() - last_beat >= self._heartbeat:
                conn.execute("SELECT 1")  # finds a dead connection that would wait forever
                last_beat = time.monotonic()
