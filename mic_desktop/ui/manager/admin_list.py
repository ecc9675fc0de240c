"""The base of the manager's administration lists: action buttons, a notice and one dialog.

:class:`AdminListPage` is a :class:`ListPage` with buttons that need a selected
row, a notice line for what just happened, one form dialog at a time, and the
changed row selected again after the list reloads.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton

from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import ListPage

from .forms import FormDialog, Notice


class AdminListPage(ListPage):
    """A list page with a notice, action buttons and one dialog at a time."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.dialog: FormDialog | None = None
        self.notice = Notice()
        self.layout().insertWidget(1, self.notice)  # type: ignore[union-attr]
        self.buttons = QHBoxLayout()
        self.header_row.addLayout(self.buttons)
        self._reselect: Callable[[object], bool] | None = None
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self.selection_changed())

    def button(
        self, icon_name: str, text: str, slot: Callable[[], None], needs_row: bool
    ) -> QPushButton:
        button = QPushButton(icon(icon_name), text)
        button.clicked.connect(slot)
        button.setProperty("needs_row", needs_row)
        self.buttons.addWidget(button)
        return button

    def selected(self) -> object | None:
        indexes = self.view.selectionModel().selectedRows()
        if not indexes:
            return None
        return self.model.row_at(self.proxy.mapToSource(indexes[0]).row())

    def select_where(self, test: Callable[[object], bool]) -> None:
        for number, row in enumerate(self.model.rows()):
            if test(row):
                self.view.selectRow(self.proxy.mapFromSource(self.model.index(number, 0)).row())
                return

    def selection_changed(self) -> None:
        row = self.selected()
        for button in self.findChildren(QPushButton):
            if button.property("needs_row"):
                button.setEnabled(row is not None)

    def show_rows(self, rows: object) -> None:  # type: ignore[override]
        super().show_rows(rows)  # type: ignore[arg-type]
        if self._reselect is not None:
            self.select_where(self._reselect)
            self._reselect = None
        if not self.view.selectionModel().hasSelection() and self.proxy.rowCount():
            self.view.selectRow(0)  # the details below show something from the start
        self.selection_changed()

    def open_dialog(self, dialog: FormDialog, done: Callable[[FormDialog], None]) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: done(dialog))
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def changed(self, text: str, keep: Callable[[object], bool] | None = None) -> None:
        self.notice.success(text)
        self._reselect = keep
        self.refresh()
