"""Every window, page, tab and dialog of the three roles, readable at 1366x768 on the demo.

One demo clinic is loaded for the module. Each role's window is opened at 1366x768;
every page and tab is brought to the front, and every dialog the window offers
(its "…" buttons and menu entries) is opened, looked at and closed again, up to a
dialog opened from a dialog. :func:`tests.ui.clipping.clipped_texts` lists any text
that is elided or clipped without a tooltip carrying it, and any literal mnemonic
'&'. Nothing is saved: dialogs are cancelled, file dialogs and questions answered
"no". Pictures of each role at 1366x768 and 1920x1080 go to ``screenshots/``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QFileDialog,
    QMenu,
    QMessageBox,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot
from sqlalchemy.engine import URL

from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database
from mic_desktop.models import Role
from mic_desktop.services.accounts.auth import AuthService
from mic_desktop.services.demo.loader import load_demo
from mic_desktop.services.demo.spec import DEMO_ACCOUNTS, DemoSpec
from mic_desktop.services.errors import ServiceError, SlotTakenError, ValidationError
from mic_desktop.services.patients.registry import PatientService
from mic_desktop.services.reporting.worklist import WorklistFilter
from mic_desktop.services.scheduling.book import SchedulingService
from mic_desktop.services.scheduling.booking import BookingRequest, BookingService
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.common.window import RoleWindow
from tests.conftest import create_database, drop_database
from tests.fixed_time import DEMO_TODAY, demo_clock
from tests.ui.clipping import Finding, clipped_texts
from tests.ui.helpers import SCREENSHOTS, wait_for_tasks_delivered
from tests.ui.test_radiologist_screenshots import reopen_reports

SIZE = (1366, 768)
LARGE = (1920, 1080)
# Opening these would leave the window (log out, lock, quit), start a full-screen kiosk
# or replace the database; everything else that ends in "…" opens a dialog to look at.
NOT_OPENED = ("log out", "lock", "quit", "kiosk", "restore", "workstation connection")


@pytest.fixture(scope="module")
def demo_url(server_url: URL, template_database: str) -> Iterator[URL]:
    url = create_database(server_url, template_database)
    database = Database(Connection(url, DatabaseKind.EMBEDDED))
    load_demo(database.session_factory, DemoSpec(patients=60, months=2, seed=7, today=DEMO_TODAY))
    fill_next_days(database)
    reopen_reports(database)
    database.dispose()
    yield url
    drop_database(url)


def fill_next_days(database: Database) -> None:
    """The demo has history only: book the coming days the way a busy desk would."""
    clock = demo_clock()
    sf = database.session_factory
    account = AuthService(sf, "desk-2", clock).login("manager", "manager-demo")
    booking = BookingService(sf, account, "desk-2", clock)
    scheduling = SchedulingService(sf, account, "desk-2", clock)
    people = PatientService(sf, account, "desk-2", clock).search("ma", limit=40)
    made = []
    for number, scan in enumerate(scheduling.scan_types()):
        for slot in scheduling.next_available(scan.id, count=3):
            request = BookingRequest(
                people[(number * 3 + len(made)) % len(people)].id,
                scan.id,
                slot.room_id,
                slot.start_at,
                radiologist_id=slot.radiologist_id,
                use_medical_aid=len(made) % 2 == 0,
                urgency="urgent" if len(made) % 7 == 3 else "routine",
            )
            try:
                made.append(booking.book(request))
            except (SlotTakenError, ValidationError):
                continue
    for details in made[1::3]:
        booking.confirm(details.id, details.version)
    for details in made[2::9]:
        with contextlib.suppress(ServiceError):  # a late one needs a manager's password
            booking.cancel(details.id, details.version, "Patient asked to cancel")


@pytest.fixture
def answer_no(monkeypatch: pytest.MonkeyPatch) -> None:
    """File dialogs are cancelled and questions answered "no"; PDFs are not shown."""
    for name in ("getOpenFileName", "getSaveFileName", "getOpenFileNames"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
    for name in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(
            QMessageBox, name, staticmethod(lambda *a, **k: QMessageBox.StandardButton.No)
        )
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: True))


def open_role_window(qtbot: QtBot, url: URL, role: Role) -> tuple[RoleWindow, UserSession]:
    from mic_desktop.ui.shell import role_window_class

    demo = next(a for a in DEMO_ACCOUNTS if a.role is role)
    database = Database(Connection(url, DatabaseKind.DEMO))
    clock = demo_clock()
    account = AuthService(database.session_factory, "test-pc", clock).login(
        demo.username, demo.password
    )
    database.dispose()
    session = UserSession.open(account, Connection(url, DatabaseKind.DEMO), "test-pc", clock)
    window = role_window_class(role)(session)
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    qtbot.waitExposed(window)
    settle(qtbot)
    return window, session


def settle(qtbot: QtBot) -> None:
    for _ in range(3):
        wait_for_tasks_delivered(qtbot, 15_000)
        QApplication.processEvents()
        qtbot.wait(20)


class Walk:
    """Looks at what a window shows, its tabs and the dialogs it opens; collects findings."""

    def __init__(self, qtbot: QtBot, name: str) -> None:
        self.qtbot = qtbot
        self.name = name
        self.findings: list[Finding] = []
        self.looked_at: list[str] = []
        self.opened: set[str] = set()

    def look(self, widget: QWidget, context: str) -> None:
        settle(self.qtbot)
        self.looked_at.append(context)
        self.findings += clipped_texts(widget, context)

    def tabs(self, root: QWidget, context: str) -> None:
        """Every tab of every tab widget under ``root``, one after the other."""
        self.look(root, context)
        seen: set[int] = set()
        while True:
            todo = [t for t in root.findChildren(QTabWidget) if t.isVisible() and id(t) not in seen]
            if not todo:
                return
            for tabs in todo:
                seen.add(id(tabs))
                first = tabs.currentIndex()
                for index in range(tabs.count()):
                    if index != first and tabs.isTabEnabled(index):
                        tabs.setCurrentIndex(index)
                        self.look(root, f"{context} › tab {tabs.tabText(index)!r}")
                tabs.setCurrentIndex(first)

    def dialogs(self, root: QWidget, context: str, depth: int = 0) -> None:
        """Open each dialog ``root`` offers ("…" buttons and actions), look at it, close it."""
        for trigger, text in self._openers(root):
            key = f"{type(root).__name__}:{text}"
            if key in self.opened:
                continue
            self.opened.add(key)
            before = {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}
            trigger()
            settle(self.qtbot)
            new = [
                w
                for w in QApplication.topLevelWidgets()
                if w.isVisible() and id(w) not in before and not isinstance(w, QMenu)
            ]
            for window in new:
                where = f"{context} › {text}: {window.windowTitle() or type(window).__name__}"
                self.tabs(window, where)
                if depth < 1:
                    self.dialogs(window, where, depth + 1)
                if isinstance(window, QDialog):
                    window.reject()
                window.close()
                settle(self.qtbot)

    def _openers(self, root: QWidget) -> list[tuple[Callable[[], Any], str]]:
        found: list[tuple[Callable[[], Any], str]] = []
        for button in root.findChildren(QAbstractButton):
            text = button.text().replace("&", "")
            wanted = text.endswith("…") and not any(w in text.lower() for w in NOT_OPENED)
            if wanted and button.isVisible() and button.isEnabled():
                found.append((button.click, text))
        if isinstance(root, RoleWindow):
            for action in root.findChildren(QAction):
                text = action.text().replace("&", "")
                wanted = text.endswith("…") and not any(w in text.lower() for w in NOT_OPENED)
                if wanted and action.isEnabled() and action.isVisible():
                    found.append((action.trigger, text))
        return found

    def report(self) -> str:
        lines = sorted({str(f) for f in self.findings})
        return f"{len(lines)} unreadable text(s) in the {self.name} window:\n" + "\n".join(lines)


def shoot(qtbot: QtBot, window: QWidget, name: str) -> None:
    for size, suffix in ((SIZE, "1366x768"), (LARGE, "1920x1080")):
        window.resize(*size)
        settle(qtbot)
        window.grab().save(str(SCREENSHOTS / f"readable-{name}-{suffix}.png"))
    window.resize(*SIZE)
    settle(qtbot)


def test_reception_is_readable_at_1366x768(qtbot: QtBot, demo_url: URL, answer_no: None) -> None:
    window, session = open_role_window(qtbot, demo_url, Role.RECEPTION)
    try:
        home = window.home  # type: ignore[attr-defined]
        home.search.edit.setText("mo")
        home.search.search_now()
        qtbot.waitUntil(lambda: home.search.model.rowCount() > 0, timeout=10_000)
        home.search.chosen.emit(home.search.model.row_at(0))
        qtbot.waitUntil(lambda: home.patient_panel.panel is not None, timeout=10_000)
        home.book.step(1)
        while home.book.day.weekday() >= 5:
            home.book.step(1)
        qtbot.waitUntil(lambda: bool(home.book.canvas.entries), timeout=10_000)
        entries = [e for e in home.book.canvas.entries if e.status.value == "confirmed"]
        home.show_appointment((entries or home.book.canvas.entries)[0].id)
        qtbot.waitUntil(lambda: home.appointment_panel.appointment is not None)
        shoot(qtbot, window, "reception")
        walk = Walk(qtbot, "reception")
        walk.tabs(window, "Reception")
        home.book.set_week_mode(True)
        walk.look(window, "Reception › week")
        home.book.set_week_mode(False)
        walk.dialogs(window, "Reception")
        assert len(walk.looked_at) > 20
        assert not walk.findings, walk.report()
    finally:
        window.close()
        settle(qtbot)
        session.close()


def test_radiologist_is_readable_at_1366x768(qtbot: QtBot, demo_url: URL, answer_no: None) -> None:
    window, session = open_role_window(qtbot, demo_url, Role.RADIOLOGIST)
    try:
        shoot(qtbot, window, "radiologist")
        walk = Walk(qtbot, "radiologist")
        walk.tabs(window, "Radiologist")
        walk.dialogs(window, "Radiologist")
        window.show_critical_results()  # type: ignore[attr-defined]
        for dialog in QApplication.topLevelWidgets():
            if dialog.isVisible() and dialog is not window and not isinstance(dialog, QMenu):
                walk.tabs(dialog, f"Radiologist › {dialog.windowTitle()}")
                dialog.close()
        # A study claimed from the worklist, open in the report editor with its dialogs.
        items = session.worklist_service().items(WorklistFilter())
        claim = session.worklist_service().claim(items[0].appointment_id)
        editor = window.open_report(claim.report_id)  # type: ignore[attr-defined]
        editor.resize(*SIZE)
        qtbot.waitUntil(lambda: editor.detail is not None, timeout=10_000)
        shoot(qtbot, editor, "radiologist-editor")
        walk.tabs(editor, "Report editor")
        walk.dialogs(editor, "Report editor")
        editor.close()
        assert len(walk.looked_at) > 6
        assert not walk.findings, walk.report()
    finally:
        window.close()
        settle(qtbot)
        session.close()


def test_manager_is_readable_at_1366x768(qtbot: QtBot, demo_url: URL, answer_no: None) -> None:
    window, session = open_role_window(qtbot, demo_url, Role.MANAGER)
    try:
        shoot(qtbot, window, "manager")
        walk = Walk(qtbot, "manager")
        home = window.home  # type: ignore[attr-defined]
        for row in range(home.sidebar.count()):
            home.sidebar.setCurrentRow(row)
            name = home.sidebar.item(row).text()
            page = home.stack.currentWidget()
            walk.tabs(window, f"Manager › {name}")
            walk.dialogs(page, f"Manager › {name}")
        walk.dialogs(window, "Manager")
        assert len(walk.looked_at) > 15
        assert not walk.findings, walk.report()
    finally:
        window.close()
        settle(qtbot)
        session.close()
