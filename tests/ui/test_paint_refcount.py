"""Painting the appointment book must not corrupt the reference count of ``None``.

PySide6-Essentials 6.12.0 drops a reference to ``None`` on every Qt call that returns
nothing (``fillRect``, ``drawLine``, ``update`` ...). On Python 3.12+ ``None`` is
immortal; on 3.11 the count reaches zero after a few dozen paints of a busy day and
the process aborts (``none_dealloc``) or crashes in the garbage collector. This test
paints the busiest day thousands of times, scrolling and hovering, and fails as soon
as the count falls; a cushion of extra references keeps a bad binding from killing
the whole test run before the assertion can say so.
"""

from __future__ import annotations

import collections
import datetime as dt
import gc
import sys
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mic_desktop.db import Database
from mic_desktop.services.accounts.auth import AuthService
from mic_desktop.services.demo.loader import load_demo
from mic_desktop.services.demo.spec import DemoSpec
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.reception.window import ReceptionWindow
from tests.ui.helpers import HARARE, wait_for_tasks_delivered

DEMO_TODAY = dt.date(2026, 11, 18)
PAINTS = 2_000
ALLOWED_DRIFT = 200
"""References to None that ordinary objects created and freed may still hold."""


@pytest.fixture
def busy_book(qtbot: QtBot, database: Database) -> Iterator[ReceptionWindow]:
    load_demo(
        database.session_factory, DemoSpec(patients=1500, months=2, seed=11, today=DEMO_TODAY)
    )
    account = AuthService(database.session_factory, "test-pc").login("reception", "reception-demo")
    session = UserSession.open(account, database.connection, "test-pc")
    window = ReceptionWindow(session)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    wait_for_tasks_delivered(qtbot)
    yield window
    window.close()
    wait_for_tasks_delivered(qtbot)
    session.close()


def _busiest_day(window: ReceptionWindow) -> tuple[dt.date, int]:
    scheduling = window.context.scheduling
    start = dt.datetime.combine(DEMO_TODAY - dt.timedelta(days=30), dt.time(), HARARE)
    end = dt.datetime.combine(DEMO_TODAY + dt.timedelta(days=14), dt.time(), HARARE)
    per_day = collections.Counter(
        entry.start_at.astimezone(HARARE).date()
        for entry in scheduling.appointment_book(start, end)
    )
    return per_day.most_common(1)[0]


def test_painting_the_busiest_book_keeps_none_alive(
    qtbot: QtBot, busy_book: ReceptionWindow
) -> None:
    day, count = _busiest_day(busy_book)
    assert count >= 25, "the demo's busiest day should be a busy one"
    book = busy_book.home.book
    book.go_to(day)
    qtbot.waitUntil(lambda: len(book.canvas.entries) == count, timeout=10_000)
    canvas = book.canvas
    scroll = book.scroll.verticalScrollBar()
    assert scroll.maximum() > 0, "the day must be taller than the view, so it scrolls"
    blocks = [rect.center() for e in canvas.entries if (rect := canvas.block_rect(e))]

    cushion = [None] * 5_000_000  # keeps a leaking binding from aborting the run
    QApplication.processEvents()
    gc.collect()
    before = sys.getrefcount(None)
    for paint in range(PAINTS):
        scroll.setValue((paint * 37) % (scroll.maximum() + 1))
        point = blocks[paint % len(blocks)]
        hover = QMouseEvent(
            QEvent.Type.MouseMove,
            QPointF(point.x(), point.y()),
            canvas.mapToGlobal(QPoint(int(point.x()), int(point.y()))).toPointF(),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(canvas, hover)
        canvas.repaint()
        if paint % 100 == 99:
            QApplication.processEvents()
            lost = before - sys.getrefcount(None)
            assert lost <= ALLOWED_DRIFT, (
                f"{lost} references to None lost after {paint + 1} paints: this Qt binding "
                "corrupts None's reference count (see pyproject.toml)"
            )
    gc.collect()
    assert before - sys.getrefcount(None) <= ALLOWED_DRIFT
    del cushion
