"""Reception's waitlist page: who waits for an earlier slot, adding them, offering a slot by hand.

The list reads by priority, then by time on the list. Freed slots are offered by
SMS automatically; "Offer a slot…" sends one free time of the book to the selected
patient now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.live import LiveChannel
from mic_desktop.services.patients.details import PatientDetails
from mic_desktop.services.scheduling.book import RoomInfo, ScanTypeInfo
from mic_desktop.services.scheduling.waitlist import (
    WaitlistLine,
    WaitlistService,
)
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.tasks import run_task

from .context import ReceptionContext
from .fields import error_label
from .waitlist_dialogs import AddToWaitlistDialog, OfferSlotDialog

COLUMNS = ("Priority", "Patient", "Scan", "Wanted", "Added", "Offer")
OFFER_LABELS = {
    "offered": "Offered {start}; answer by {until}",
    "expired": "No answer to {start}",
    "too_late": "Too late for {start}",
    "withdrawn": "{start} went to another patient",
}


def _date(value: dt.date) -> str:
    return f"{value:%a} {value.day} {value:%b}"


class WaitlistPage(QWidget):
    """The waitlist, with Add, Remove and Offer a slot."""

    message = Signal(str)

    def __init__(
        self,
        context: ReceptionContext,
        current_patient: Callable[[], PatientDetails | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._current_patient = current_patient
        s = context.session
        self.service = WaitlistService(
            s.database.session_factory, s.account, s.workstation, s.clock
        )
        self.lines: list[WaitlistLine] = []
        self.dialog: QDialog | None = None
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("WaitlistTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2, 5):  # patient, scan, offer share what is left, wrapped
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        self.empty = QLabel(
            "Nobody is on the waitlist. Find a patient, then press “Add to waitlist…” to "
            "offer them the next slot that frees up."
        )
        self.empty.setWordWrap(True)
        self.add_button = QPushButton("&Add to waitlist…")
        self.add_button.setToolTip("Add the patient shown on the left to the waitlist")
        self.add_button.clicked.connect(self.add)
        self.offer_button = QPushButton("O&ffer a slot…")
        self.offer_button.setToolTip("Offer a free time of the book to the selected patient by SMS")
        self.offer_button.clicked.connect(self.offer)
        self.remove_button = QPushButton("&Remove")
        self.remove_button.clicked.connect(self.remove)
        self.error = error_label("waitlist")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.offer_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self._selection_changed()
        changes = context.changes
        if changes is not None:
            changes.changed.connect(self._changed_elsewhere)  # type: ignore[attr-defined]
            changes.reset.connect(self.reload)  # type: ignore[attr-defined]
        self.scans: list[ScanTypeInfo] = []
        self.rooms: list[RoomInfo] = []
        run_task(self._catalogue, self._catalogue_loaded, self._failed, receiver=self)
        self.reload()

    def _catalogue(self) -> tuple[list[ScanTypeInfo], list[RoomInfo]]:
        scheduling = self._context.scheduling
        return scheduling.scan_types(), scheduling.rooms()

    def _catalogue_loaded(self, loaded: tuple[list[ScanTypeInfo], list[RoomInfo]]) -> None:
        self.scans, self.rooms = loaded

    def _changed_elsewhere(self, channel: str, _ids: frozenset[str]) -> None:
        if channel in (LiveChannel.APPOINTMENT.value, LiveChannel.OUTBOX.value):
            self.reload()

    def reload(self) -> None:
        if self._context.session.closed:
            return
        run_task(self.service.waiting, self.show_lines, self._failed, receiver=self)

    def show_lines(self, lines: list[WaitlistLine]) -> None:
        zone = self._context.zone
        selected = self.selected()
        self.lines = lines
        self.table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            offer = ""
            if line.offer_status in OFFER_LABELS and line.offer_start_at is not None:
                start = line.offer_start_at.astimezone(zone)
                offer = OFFER_LABELS[line.offer_status].format(
                    start=f"{_date(start.date())} {start:%H:%M}",
                    until=(
                        line.offer_expires_at.astimezone(zone).strftime("%H:%M")
                        if line.offer_expires_at
                        else ""
                    ),
                )
            values = (
                line.priority_label,
                f"{line.patient_name}\n{line.mrn}",
                line.scan_name,
                f"{_date(line.earliest_date)} – {_date(line.latest_date)}\n"
                f"{line.time_of_day_label}",
                _date(line.created_at.astimezone(zone).date()),
                offer or "—",
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                tip = f"{value}\n{line.notes}".strip() if column == 1 else value
                item.setToolTip(tip)
                if column == 0 and line.priority == 1:
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(row, column, item)
            if selected is not None and line.id == selected.id:
                self.table.selectRow(row)
        self.table.resizeRowsToContents()
        self.empty.setVisible(not lines)
        self.table.setVisible(bool(lines))
        self._selection_changed()

    def selected(self) -> WaitlistLine | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.lines):
            return None
        return self.lines[rows[0].row()]

    def _selection_changed(self) -> None:
        chosen = self.selected() is not None
        self.offer_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def _failed(self, error: BaseException) -> None:
        self.error.setText(describe_error(error))
        self.error.show()

    def _done(self, text: str) -> None:
        self.error.hide()
        self.message.emit(text)
        self.reload()

    def add(self) -> None:
        patient = self._current_patient()
        if patient is None:
            self._failed(ValueError("Find the patient first (Ctrl+F), then add them."))
            return
        self._open(AddToWaitlistDialog(self._context, self.service, patient, self.scans, self))

    def offer(self) -> None:
        line = self.selected()
        if line is not None:
            self._open(
                OfferSlotDialog(self._context, self.service, line, self.scans, self.rooms, self)
            )

    def remove(self) -> None:
        line = self.selected()
        if line is None:
            return
        run_task(
            lambda: self.service.remove(line.id, line.version),
            lambda _none: self._done(f"Removed {line.patient_name} from the waitlist."),
            self._failed,
            receiver=self,
        )

    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.reload)
        dialog.done_text.connect(self._done)  # type: ignore[attr-defined]
        self.dialog = dialog
        dialog.open()
