"""Live updates in the GUI: NOTIFYs from other desks as Qt signals, bursts coalesced.

``changed(channel, ids)`` is emitted on the GUI thread once a burst is over: each
notification restarts a short quiet period (``quiet_ms``), so a burst of fifty
bookings is one reload and a single booking reaches the views ``quiet_ms`` after its
commit; a burst that never pauses is still delivered every ``longest_wait_ms``.
This is the only coalescing step: views reload when ``changed`` arrives.
``reset()`` after the listener reconnected: reload everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy.engine import URL

from mic_desktop.live_listener import NotificationListener
from mic_desktop.services.live import LiveChannel


class LiveUpdates(QObject):
    changed = Signal(str, object)  # channel, frozenset[str] of payloads (ids)
    reset = Signal()
    _received = Signal(str, str)  # from the listener thread, queued to the GUI thread
    _reconnected = Signal()

    def __init__(
        self,
        url: URL,
        channels: Iterable[LiveChannel | str] = tuple(LiveChannel),
        *,
        quiet_ms: int = 60,
        longest_wait_ms: int = 3000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._url = url
        self._channels = tuple(str(getattr(c, "value", c)) for c in channels)
        self._pending: dict[str, set[str]] = {}
        self._timer = QTimer(self, singleShot=True, interval=quiet_ms)
        self._timer.timeout.connect(self._flush)
        self._longest = QTimer(self, singleShot=True, interval=longest_wait_ms)
        self._longest.timeout.connect(self._flush)
        self._received.connect(self._queue)
        self._reconnected.connect(self._on_reconnected)
        self._listener: NotificationListener | None = None

    @property
    def listener(self) -> NotificationListener | None:
        return self._listener

    def start(self) -> None:
        if self._listener is not None:
            return
        self._listener = NotificationListener(
            self._url,
            self._channels,
            on_notify=self._received.emit,
            on_reconnect=self._reconnected.emit,
        )
        self._listener.start()

    def stop(self) -> None:
        """Stop the thread (it notices within about a second) and drop what is pending."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
        self._timer.stop()
        self._longest.stop()
        self._pending.clear()

    def _queue(self, channel: str, payload: str) -> None:
        self._pending.setdefault(channel, set()).add(payload)
        self._timer.start()  # (re)starts the quiet period
        if not self._longest.isActive():
            self._longest.start()

    def _flush(self) -> None:
        self._timer.stop()
        self._longest.stop()
        pending, self._pending = self._pending, {}
        for channel, ids in pending.items():
            self.changed.emit(channel, frozenset(ids))

    def _on_reconnected(self) -> None:
        self._timer.stop()
        self._longest.stop()
        self._pending.clear()
        self.reset.emit()
