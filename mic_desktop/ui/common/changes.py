"""One change signal per person: what changed on this PC and on the other desks.

Every view that shows a record subscribes to :class:`Changes` (``session.changes``)
instead of being refreshed by whoever made a change. Two sources feed it:

- this workstation's own commits, handed over by the services right after they
  commit (:func:`mic_desktop.services.live.watch_commits`), so a view shows a
  check-in, a payment or a booking made here at once;
- the live updates from the other desks (:class:`~.live.LiveUpdates`), already
  coalesced; a reconnect of the listener becomes ``reset`` (reload everything).

A change made here also comes back through the listener a moment later; it is not
filtered out (another desk may have changed the same record in between), views
simply reload again. ``changed(channel, ids)`` carries the channel name and a
frozenset of payload strings, the same shape as ``LiveUpdates.changed``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal


class Changes(QObject):
    changed = Signal(str, object)  # channel, frozenset[str] of payloads
    reset = Signal()
    _committed = Signal(str, str)  # from a worker thread, queued to the GUI thread

    def __init__(self, quiet_ms: int = 0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: dict[str, set[str]] = {}
        self._timer = QTimer(self, singleShot=True, interval=quiet_ms)
        self._timer.timeout.connect(self._flush)
        self._committed.connect(self.announce)

    def committed(self, channel: str, payload: str) -> None:
        """A commit on this PC (any thread): views hear of it on the GUI thread."""
        self._committed.emit(channel, payload)

    def announce(self, channel: str, *payloads: object) -> None:
        """Tell the views about a change that sent no notification (GUI thread)."""
        for payload in payloads:
            self._pending.setdefault(channel, set()).add(str(payload))
        self._timer.start()

    def from_other_desks(self, channel: str, payloads: frozenset[str]) -> None:
        """The listener's coalesced burst from the other desks (GUI thread)."""
        self.changed.emit(channel, payloads)

    def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        for channel, payloads in pending.items():
            self.changed.emit(channel, frozenset(payloads))
