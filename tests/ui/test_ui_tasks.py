"""The worker helper: results and errors reach the GUI thread, dead receivers get nothing."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from mic_desktop.ui.common.tasks import ProgressRelay, pending_task_count, run_task
from tests.ui.helpers import wait_for_tasks_delivered


def test_result_and_error_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    gui = QThread.currentThread()
    seen: list[tuple[str, object, bool]] = []
    worker_threads: list[int] = []

    def work() -> int:
        worker_threads.append(threading.get_ident())
        return 42

    def fail() -> None:
        raise ValueError("no such patient")

    run_task(work, lambda value: seen.append(("result", value, QThread.currentThread() is gui)))
    run_task(
        fail, on_error=lambda e: seen.append(("error", str(e), QThread.currentThread() is gui))
    )
    wait_for_tasks_delivered(qtbot)

    assert sorted(seen) == [("error", "no such patient", True), ("result", 42, True)]
    assert worker_threads and worker_threads[0] != threading.get_ident()


def test_outcome_for_a_deleted_widget_is_dropped(qtbot: QtBot) -> None:
    release = threading.Event()
    widget = QWidget()
    delivered: list[object] = []
    run_task(lambda: release.wait(5) and "late", delivered.append, receiver=widget)
    widget.deleteLater()
    qtbot.waitUntil(lambda: not _alive(widget))
    release.set()
    wait_for_tasks_delivered(qtbot)
    assert delivered == [] and pending_task_count() == 0


def test_progress_callback_from_a_worker_becomes_a_signal(qtbot: QtBot) -> None:
    relay = ProgressRelay()
    received: list[tuple[int, int, str]] = []
    relay.progress.connect(lambda done, total, what: received.append((done, total, what)))
    report = relay.callback()

    def work() -> None:
        for step in range(1, 4):
            report(step, 3, f"step {step}")

    run_task(work)
    wait_for_tasks_delivered(qtbot)
    qtbot.waitUntil(lambda: len(received) == 3)
    assert received[-1] == (3, 3, "step 3")


def _alive(obj: QObject) -> bool:
    return shiboken6.isValid(obj)
