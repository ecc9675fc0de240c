"""The reporting doctors' main window: the worklist, report windows and critical results.

The critical results open in a window of their own (Ctrl+K), closed again with Esc.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QVBoxLayout, QWidget

from mic_desktop.models import Role
from mic_desktop.ui.common.look import icon, window_title
from mic_desktop.ui.common.window import HomePage, RoleWindow

from . import context
from .critical_results import CriticalResultsView
from .editor import ReportEditor
from .home import LIVE_CHANNELS, AwaitingReportsPage


class RadiologistWindow(RoleWindow):
    role = Role.RADIOLOGIST
    home: AwaitingReportsPage

    def build_home(self) -> HomePage:
        clinic = self.session.clinic
        self.editors: dict[int, ReportEditor] = {}
        page = AwaitingReportsPage(
            self.session.worklist_service(), clinic.zone, clinic.report_overdue_hours
        )
        page.open_requested.connect(self.open_report)
        context.connect_live(self.session, LIVE_CHANNELS, page.refresh, page)
        self.critical_window = QWidget(self, Qt.WindowType.Window)
        self.critical_window.setWindowTitle(
            window_title("Critical results", demo=self.session.is_demo)
        )
        self.critical_window.resize(1320, 560)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.critical_window, self.critical_window.close)
        self.critical = CriticalResultsView(self.session, self.critical_window)
        QVBoxLayout(self.critical_window).addWidget(self.critical)
        self.critical_window.layout().setContentsMargins(0, 0, 0, 0)
        return page

    def extra_toolbar_actions(self) -> list[QAction]:
        self.critical_action = self.make_action(
            "Critical results",
            self.show_critical_results,
            shortcut="Ctrl+K",
            icon_name="mdi6.alert-octagon-outline",
            tip="Critical findings nobody has recorded as communicated",
        )
        self.critical.count_changed.connect(self._critical_count)
        return [self.critical_action]

    def _critical_count(self, open_count: int, escalated: int) -> None:
        self.critical_action.setText(
            f"Critical results ({open_count})" if open_count else "Critical results"
        )
        colour = "#c81e1e" if open_count else "#5f6b7a"
        self.critical_action.setIcon(icon("mdi6.alert-octagon-outline", colour))
        if escalated:
            self.critical_action.setToolTip(f"{escalated} escalated critical results (Ctrl+K)")

    def refresh(self) -> None:
        super().refresh()
        if not self.is_locked:
            self.critical.refresh()
            for editor in self.editors.values():
                editor._changed_elsewhere()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        first = not self._shown_once
        super().showEvent(event)
        if first:
            self.critical.refresh()

    def show_critical_results(self) -> None:
        self.critical.refresh()
        self.critical_window.show()
        self.critical_window.raise_()
        self.critical_window.activateWindow()

    def open_report(self, report_id: int) -> ReportEditor:
        """Show the report's window (one per report), bringing an open one forward."""
        editor = self.editors.get(report_id)
        if editor is None:
            editor = ReportEditor(self.session, report_id, self)
            editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            editor.destroyed.connect(lambda _obj=None, rid=report_id: self.editors.pop(rid, None))
            editor.changed.connect(lambda _detail: self.home.refresh())
            self.editors[report_id] = editor
        editor.show()
        editor.raise_()
        editor.activateWindow()
        return editor

    def closeEvent(self, event: QCloseEvent) -> None:
        # Logging out or quitting keeps what was typed: drafts are saved, not discarded.
        for editor in list(self.editors.values()):
            editor.save_before_closing()
            editor._dirty = False
            editor.close()
        self.critical_window.close()
        super().closeEvent(event)
