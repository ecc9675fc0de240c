"""Patient search-as-you-type: results while typing, off the GUI thread, stale ones dropped."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHeaderView, QLabel, QLineEdit, QVBoxLayout, QWidget

from mic_desktop.services.patients.details import PatientSummary
from mic_desktop.services.patients.registry import SEARCH_LIMIT, PatientService
from mic_desktop.services.text_checks import SEARCH_MAX, SearchTextTooLongError
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_date
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import ROW_ROLE, Column, RowTableModel, make_table_view
from mic_desktop.ui.common.tasks import run_task

DEBOUNCE_MS = 150


NAME_WIDTH = 134  # the Name column's first width; a width the person drags to is kept


def search_columns() -> list[Column]:
    return [
        Column(
            "Name",
            lambda p: f"{p.last_name}, {p.first_name}",
            tooltip=lambda p: " · ".join(
                x
                for x in (
                    p.full_name,
                    p.mrn,
                    format_date(p.date_of_birth),
                    p.phone_display,
                    p.plan_name or "private",
                    p.national_id,
                )
                if x
            ),
            width=NAME_WIDTH,
        ),
        Column("MRN", lambda p: p.mrn, tooltip=lambda p: p.mrn, width=100),
        Column(
            "Born",
            lambda p: p.date_of_birth.strftime("%d/%m/%Y"),
            tooltip=lambda p: format_date(p.date_of_birth),
            stretch=True,
        ),
    ]


class PatientSearch(QWidget):
    """A search box over a result table; ``chosen`` when a row is picked (Enter or click)."""

    chosen = Signal(object)  # PatientSummary
    results_shown = Signal(int)

    def __init__(self, patients: PatientService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._patients = patients
        self._generation = 0
        self._applying = False
        self.edit = QLineEdit()
        self.edit.setObjectName("PatientSearchEdit")
        self.edit.setPlaceholderText("Find patient: name, MRN, phone, ID or member number")
        self.edit.setClearButtonEnabled(True)
        self.edit.addAction(icon("mdi6.magnify"), QLineEdit.ActionPosition.LeadingPosition)
        self.model = RowTableModel(search_columns(), parent=self)
        self.view = make_table_view(self)
        self.view.setSortingEnabled(False)
        self.view.setModel(self.model)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(48)
        self._widths = {n: c.width for n, c in enumerate(self.model.columns) if c.width}
        self._apply_widths()
        header.sectionResized.connect(self._resized)
        self.model.modelReset.connect(self._apply_widths)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.view.verticalHeader().setDefaultSectionSize(30)
        self.hint = QLabel("Type at least two letters or digits to find a patient.")
        self.hint.setProperty("role", "muted")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.hint)
        layout.addWidget(self.view, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)
        self.edit.textChanged.connect(lambda _t: self._timer.start())
        self.edit.returnPressed.connect(self._choose_first)
        self.edit.installEventFilter(self)
        self.view.activated.connect(self._choose_index)
        self.view.clicked.connect(self._choose_index)

    def _resized(self, number: int, _old: int, new: int) -> None:
        if number in self._widths and not self._applying:
            self._widths[number] = new

    def _apply_widths(self) -> None:
        """The widths the person chose survive every new search (a reset of the model)."""
        self._applying = True
        for number, width in self._widths.items():
            self.view.setColumnWidth(number, width)
        self._applying = False

    def focus(self) -> None:
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def search_now(self) -> None:
        self._timer.stop()
        text = self.edit.text().strip()
        self._generation += 1
        generation = self._generation
        if len(text) < 2:
            self.model.set_rows([])
            self.hint.setText("Type at least two letters or digits to find a patient.")
            return
        if len(text) > SEARCH_MAX:  # a pasted page: said at once, never sent to the database
            self.model.set_rows([])
            self.hint.setText(str(SearchTextTooLongError("search", len(text))))
            return
        self.hint.setText("Searching…")
        run_task(
            lambda: self._patients.search(text),
            lambda rows: self._show(generation, text, rows),
            lambda error: self._failed(generation, error),
            receiver=self,
        )

    @property
    def busy(self) -> bool:
        return self._timer.isActive() or self.hint.text() == "Searching…"

    def _show(self, generation: int, text: str, rows: Sequence[PatientSummary]) -> None:
        if generation != self._generation:
            return  # a newer search is on its way: this one is stale
        self.model.set_rows(rows)
        if len(rows) >= SEARCH_LIMIT:
            self.hint.setText(
                f"{len(rows)} shown — refine the search. Enter opens the first, ↓ another."
            )
            self.view.selectRow(0)
        elif rows:
            self.hint.setText(f"{len(rows)} found. Enter opens the first, ↓ another.")
            self.view.selectRow(0)
        else:
            self.hint.setText(
                f"Nobody matches “{text}”. Check the spelling, or register a new patient (Ctrl+N)."
            )
        self.results_shown.emit(len(rows))

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self.model.set_rows([])
            self.hint.setText(describe_error(error))

    def _choose_first(self) -> None:
        if self._timer.isActive():
            self.search_now()
            return
        index = self.view.currentIndex()
        if not index.isValid() and self.model.rowCount():
            index = self.model.index(0, 0)
        if index.isValid():
            self._choose_index(index)

    def _choose_index(self, index: object) -> None:
        row = self.model.data(index, ROW_ROLE)  # type: ignore[arg-type]
        if row is not None:
            self.chosen.emit(row)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            key = event.key() if isinstance(event, QKeyEvent) else None
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.model.rowCount():
                row = self.view.currentIndex().row()
                step = 1 if key == Qt.Key.Key_Down else -1
                row = max(0, min(self.model.rowCount() - 1, row + step))
                self.view.selectRow(row)
                return True
        return super().eventFilter(watched, event)
