"""The waitlist's dialogs: add a patient, offer a slot by hand, offer a cancelled slot.

Each runs its service call off the GUI thread and reports problems next to its
buttons; the page (or the appointment panel) shows what was done in the status bar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import TimeOfDay
from mic_desktop.services.patients.details import PatientDetails
from mic_desktop.services.scheduling.appointments import AppointmentDetails
from mic_desktop.services.scheduling.book import RoomInfo, ScanTypeInfo
from mic_desktop.services.scheduling.slots import Slot
from mic_desktop.services.scheduling.waitlist import (
    PRIORITY_LABELS,
    TIME_OF_DAY_LABELS,
    WaitlistLine,
    WaitlistService,
)
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime
from mic_desktop.ui.common.tasks import run_task

from .context import ReceptionContext
from .fields import error_label


class _ServiceDialog(QDialog):
    done_text = Signal(str)

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.error = error_label("dialog")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        raise NotImplementedError

    def _run(self, call: Callable[[], object], text: str) -> None:
        self.buttons.setEnabled(False)

        def done(_result: object) -> None:
            self.done_text.emit(text)
            self.accept()

        def failed(error: BaseException) -> None:
            self.buttons.setEnabled(True)
            self.error.setText(describe_error(error))
            self.error.show()

        run_task(call, done, failed, receiver=self)


class AddToWaitlistDialog(_ServiceDialog):
    def __init__(
        self,
        context: ReceptionContext,
        service: WaitlistService,
        patient: PatientDetails,
        scans: list[ScanTypeInfo],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Add to the waitlist", parent)
        self._service = service
        self._patient = patient
        today = context.session.clock().astimezone(context.zone).date()
        self.scan = QComboBox()
        self.scan.setObjectName("WaitlistScan")
        for scan in scans:
            self.scan.addItem(f"{scan.name} ({scan.modality_code})", scan.id)
        self.earliest = QDateEdit(QDate(today.year, today.month, today.day))
        self.latest = QDateEdit(self.earliest.date().addDays(28))
        for edit in (self.earliest, self.latest):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("ddd dd MMM yyyy")
        self.time_of_day = QComboBox()
        for value, label in TIME_OF_DAY_LABELS.items():
            self.time_of_day.addItem(label, value.value)
        self.priority = QComboBox()
        for value, label in PRIORITY_LABELS.items():
            self.priority.addItem(label, value)
        self.priority.setCurrentIndex(1)
        self.notes = QLineEdit()
        self.notes.setPlaceholderText("e.g. can come at short notice")
        self.form.addRow("Patient", QLabel(f"{patient.full_name} ({patient.mrn})"))
        self.form.addRow("&Scan", self.scan)
        self.form.addRow("&Earliest date", self.earliest)
        self.form.addRow("&Latest date", self.latest)
        self.form.addRow("&Time of day", self.time_of_day)
        self.form.addRow("&Priority", self.priority)
        self.form.addRow("&Notes", self.notes)

    def submit(self) -> None:
        scan_id = self.scan.currentData()
        earliest = self.earliest.date().toPython()
        latest = self.latest.date().toPython()
        time_of_day = TimeOfDay(self.time_of_day.currentData())
        priority = int(self.priority.currentData())
        notes = self.notes.text()
        patient = self._patient
        self._run(
            lambda: self._service.add(
                patient.id,
                scan_id,
                earliest,  # type: ignore[arg-type]
                latest,  # type: ignore[arg-type]
                time_of_day=time_of_day,
                priority=priority,
                notes=notes,
            ),
            f"Added {patient.full_name} to the waitlist.",
        )


class OfferSlotDialog(_ServiceDialog):
    def __init__(
        self,
        context: ReceptionContext,
        service: WaitlistService,
        line: WaitlistLine,
        scans: list[ScanTypeInfo],
        rooms: list[RoomInfo],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Offer a slot by SMS", parent)
        self._service = service
        self._line = line
        self._zone = context.zone
        by_id = {scan.id: scan for scan in scans}
        modality = by_id[line.scan_type_id].modality_id if line.scan_type_id in by_id else None
        self.room = QComboBox()
        for room in rooms:
            if room.modality_id == modality:
                self.room.addItem(room.name, room.id)
        today = context.session.clock().astimezone(context.zone).date()
        first = max(today, line.earliest_date)
        self.day = QDateEdit(QDate(first.year, first.month, first.day))
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd dd MMM yyyy")
        self.time = QTimeEdit(QTime(10, 0))
        self.time.setDisplayFormat("HH:mm")
        self.form.addRow("Patient", QLabel(f"{line.patient_name} · {line.scan_name}"))
        self.form.addRow("&Room", self.room)
        self.form.addRow("&Day", self.day)
        self.form.addRow("&Time", self.time)
        note = QLabel(
            "Shows the earliest free time for this scan in the patient's dates. The patient "
            "gets an SMS and has the clinic's set time to reply YES."
        )
        note.setWordWrap(True)
        self.form.addRow(note)
        scheduling = context.scheduling
        after = max(
            dt.datetime.combine(first, dt.time(0), self._zone),
            context.session.clock() + dt.timedelta(hours=1),
        )
        run_task(
            lambda: scheduling.next_available(line.scan_type_id, count=1, after=after),
            self._suggest,
            receiver=self,
        )

    def _suggest(self, slots: list[Slot]) -> None:
        if not slots:
            return
        local = slots[0].start_at.astimezone(self._zone)
        if local.date() > self._line.latest_date:
            return
        index = self.room.findData(slots[0].room_id)
        if index >= 0:
            self.room.setCurrentIndex(index)
        self.day.setDate(QDate(local.year, local.month, local.day))
        self.time.setTime(QTime(local.hour, local.minute))

    def submit(self) -> None:
        start = dt.datetime.combine(
            self.day.date().toPython(),  # type: ignore[arg-type]
            self.time.time().toPython(),  # type: ignore[arg-type]
            self._zone,
        )
        room_id = self.room.currentData()
        line = self._line
        self._run(
            lambda: self._service.offer_by_hand(line.id, line.version, room_id, start),
            f"Offered {format_datetime(start, self._zone)} to {line.patient_name} by SMS.",
        )


class OfferFreedSlotDialog(_ServiceDialog):
    """From the book: offer a cancelled appointment's time to one waitlisted patient."""

    def __init__(
        self,
        context: ReceptionContext,
        service: WaitlistService,
        room_id: int,
        start_at: dt.datetime,
        end_at: dt.datetime,
        where: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Offer this slot to the waitlist", parent)
        self._service = service
        self._room_id = room_id
        self._start_at = start_at
        self.lines: list[WaitlistLine] = []
        self.patients = QComboBox()
        self.patients.setObjectName("WaitlistCandidates")
        self.patients.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setMinimumWidth(520)
        self.patients.setEnabled(False)
        self.form.addRow("Slot", QLabel(f"{format_datetime(start_at, context.zone)} · {where}"))
        self.form.addRow("&Patient", self.patients)
        self.hint = QLabel("Looking for waitlisted patients this slot fits…")
        self.hint.setWordWrap(True)
        self.form.addRow(self.hint)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        run_task(
            lambda: service.candidates(room_id, start_at, end_at),
            self._loaded,
            lambda error: self._show_error(describe_error(error)),
            receiver=self,
        )

    def _loaded(self, lines: list[WaitlistLine]) -> None:
        self.lines = lines
        for index, line in enumerate(lines):
            text = f"{line.priority_label} · {line.patient_name} ({line.scan_name})"
            self.patients.addItem(text, line.id)
            self.patients.setItemData(index, text, Qt.ItemDataRole.ToolTipRole)
        if not lines:
            self.hint.setText("Nobody on the waitlist fits this slot (scan, dates or time of day).")
            self.adjustSize()
            return
        self.hint.setText(
            "The first is who the waitlist would ask first. The patient gets an SMS and has "
            "the clinic's set time to reply YES."
        )
        self.patients.setEnabled(True)
        self.patients.setToolTip(self.patients.currentText())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
        self.adjustSize()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def submit(self) -> None:
        index = self.patients.currentIndex()
        if index < 0 or index >= len(self.lines):
            return
        line = self.lines[index]
        room_id, start_at = self._room_id, self._start_at
        self._run(
            lambda: self._service.offer_by_hand(line.id, line.version, room_id, start_at),
            f"Offered the slot to {line.patient_name} by SMS.",
        )


def offer_freed_slot_dialog(
    context: ReceptionContext, appointment: AppointmentDetails, parent: QWidget
) -> OfferFreedSlotDialog:
    s = context.session
    service = WaitlistService(s.database.session_factory, s.account, s.workstation, s.clock)
    return OfferFreedSlotDialog(
        context,
        service,
        appointment.room_id,
        appointment.start_at,
        appointment.end_at,
        appointment.room_name,
        parent,
    )
