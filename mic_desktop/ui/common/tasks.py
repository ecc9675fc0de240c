"""Run service calls off the GUI thread and hand the outcome back to it.

Every database, keyring or network call a widget makes goes through :func:`run_task`:
the callable runs on a :class:`QThreadPool`; its result (or the exception it raised)
comes back on the GUI thread through a queued signal. When the receiving widget has
been deleted in the meantime, the outcome is dropped instead of touching a dead
object. Work never touches widgets: it returns data, the callbacks show it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThreadPool, Signal, Slot

if TYPE_CHECKING:
    from mic_desktop.startup import Progress

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_THREADS = 4  # a Database's pool has 4 connections (db.make_engine)

_pool: QThreadPool | None = None
_lanes: dict[str, QThreadPool] = {}
_pending: set[_Relay] = set()


def task_pool() -> QThreadPool:
    """The pool all UI work runs on (its own, so waiting for it waits only for our work)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(MAX_THREADS)
    return _pool


def task_lane(name: str) -> QThreadPool:
    """A pool of one thread that is kept, for work of one kind done one at a time.

    Chart drawing runs on one: matplotlib's fonts are cached per thread, and each
    thread's allocator keeps its own freed buffers, so one thread holds one set.
    """
    lane = _lanes.get(name)
    if lane is None:
        lane = _lanes[name] = QThreadPool()
        lane.setMaxThreadCount(1)
        lane.setExpiryTimeout(-1)
    return lane


def log_error(error: BaseException) -> None:
    log.error("Background task failed", exc_info=error)


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits on it, the queued slot delivers."""

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        receiver: QObject | None,
        on_result: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
    ) -> None:
        super().__init__()
        self._receiver = receiver
        self._on_result = on_result
        self._on_error = on_error or log_error
        queued = Qt.ConnectionType.QueuedConnection
        self.succeeded.connect(self._deliver_result, queued)
        self.failed.connect(self._deliver_error, queued)

    def _receiver_alive(self) -> bool:
        return self._receiver is None or shiboken6.isValid(self._receiver)

    def _finish(self) -> bool:
        _pending.discard(self)
        self.deleteLater()
        alive = self._receiver_alive()
        self._receiver = None
        return alive

    @Slot(object)
    def _deliver_result(self, result: object) -> None:
        if self._finish() and self._on_result is not None:
            self._on_result(result)

    @Slot(object)
    def _deliver_error(self, error: BaseException) -> None:
        if self._finish():
            self._on_error(error)
        else:
            log_error(error)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], object], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:
            self._relay.failed.emit(exc)
        else:
            self._relay.succeeded.emit(result)
        finally:
            self._fn = None  # type: ignore[assignment]  # drop captured objects on the worker


def run_task(
    fn: Callable[[], T],
    on_result: Callable[[T], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    receiver: QObject | None = None,
    pool: QThreadPool | None = None,
) -> None:
    """Run ``fn()`` on the pool (or ``pool``); call ``on_result``/``on_error`` on the GUI thread.

    ``receiver`` is the widget the callbacks belong to: once it is deleted the
    outcome is dropped (errors are still logged). Errors without ``on_error`` are
    logged.
    """
    relay = _Relay(receiver, on_result, on_error)
    _pending.add(relay)
    (pool or task_pool()).start(_Task(fn, relay))


def pending_task_count() -> int:
    """Tasks started whose outcome has not been delivered yet."""
    return len(_pending)


def wait_for_tasks(timeout_ms: int = 10_000) -> bool:
    """Block until every running task has finished (shutdown and tests); False on timeout.

    Outcomes still queued for the GUI thread are delivered by the next event loop
    pass, or dropped when the program is ending.
    """
    done = all([pool.waitForDone(timeout_ms) for pool in (task_pool(), *_lanes.values())])
    QCoreApplication.sendPostedEvents()
    return done


class ProgressRelay(QObject):
    """Turns a service's ``Progress`` callback, called on a worker, into a GUI signal."""

    progress = Signal(int, int, str)

    def callback(self) -> Progress:
        def report(done: int, total: int, what: str) -> None:
            self.progress.emit(done, total, what)

        return report
