"""The dialogs of one appointment: cancel it, reschedule it, and read its status history.

A late cancellation asks the reason and a manager's username and password; a
reschedule offers the next free slots for the scan and reloads them when another
desk took the chosen one first.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.errors import AuthenticationError, SlotTakenError
from mic_desktop.services.scheduling.appointments import AppointmentDetails, StatusChangeLine
from mic_desktop.services.scheduling.cancellation import LateCancellationError, ManagerAuthorisation
from mic_desktop.services.scheduling.slots import Slot
from mic_desktop.services.text_checks import NOTES_MAX
from mic_desktop.ui.common.colours import ERROR_TEXT
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime, format_time
from mic_desktop.ui.common.table import (
    EVERY_DATETIME,
    Column,
    RowTableModel,
    make_table_view,
    size_columns,
)
from mic_desktop.ui.common.tasks import run_task
from mic_desktop.ui.common.text_limits import limit_line

from .context import ReceptionContext
from .fields import SLOT_ROLE, error_label


class CancelDialog(QDialog):
    """Cancel an appointment; a late one asks a reason and a manager's username and password."""

    cancelled = Signal(object)

    def __init__(
        self,
        context: ReceptionContext,
        appointment: AppointmentDetails,
        late: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._appointment = appointment
        self.late = late
        self.setWindowTitle("Late cancellation" if late else "Cancel appointment")
        self.setMinimumWidth(480)
        zone = context.zone
        intro = QLabel(
            f"Cancel {appointment.scan_name} for {appointment.patient_name} on "
            f"{format_datetime(appointment.start_at, zone)}?"
        )
        intro.setWordWrap(True)
        self.reason = limit_line(QLineEdit(), NOTES_MAX)
        self.reason.setObjectName("CancelReason")
        self.reason.setPlaceholderText("Why the patient cancels")
        self.manager = QLineEdit()
        self.manager.setObjectName("ManagerUsername")
        self.password = QLineEdit()
        self.password.setObjectName("ManagerPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = error_label("cancel")
        form = QFormLayout(self)
        form.addRow(intro)
        if late:
            hours = context.session.clinic.late_cancellation_hours
            note = QLabel(
                f"This is less than {hours} hours before the start: it is recorded as a late "
                "cancellation and needs a manager's authorisation."
            )
            note.setWordWrap(True)
            note.setStyleSheet(f"color: {ERROR_TEXT};")
            form.addRow(note)
        form.addRow("&Reason", self.reason)
        if late:
            form.addRow("&Manager", self.manager)
            form.addRow("Manager's &password", self.password)
        else:
            self.manager.hide()
            self.password.hide()
        form.addRow(self.error)
        self.buttons = QDialogButtonBox()
        self.ok = self.buttons.addButton(
            "Cancel &appointment", QDialogButtonBox.ButtonRole.AcceptRole
        )
        keep = self.buttons.addButton("&Keep it", QDialogButtonBox.ButtonRole.RejectRole)
        keep.setAutoDefault(False)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.ok.setDefault(True)

    def _submit(self) -> None:
        self.error.hide()
        reason = self.reason.text().strip()
        if self.late and not reason:
            self._show("Enter the reason for the late cancellation.")
            self.reason.setFocus()
            return
        authorisation = None
        if self.late:
            if not self.manager.text().strip() or not self.password.text():
                self._show("A manager enters their username and password to authorise this.")
                self.manager.setFocus()
                return
            authorisation = ManagerAuthorisation(self.manager.text().strip(), self.password.text())
        appointment = self._appointment
        self.ok.setEnabled(False)
        run_task(
            lambda: self._context.booking.cancel(
                appointment.id, appointment.version, reason or None, authorisation
            ),
            self._done,
            self._refused,
            receiver=self,
        )

    def _show(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _done(self, details: AppointmentDetails) -> None:
        self.cancelled.emit(details)
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self.ok.setEnabled(True)
        if isinstance(error, LateCancellationError) and not self.late:
            self._show(f"{error} Close this dialog and choose Cancel again.")
            return
        if isinstance(error, AuthenticationError):
            self.password.clear()
            self.password.setFocus()
        self._show(describe_error(error))


class RescheduleDialog(QDialog):
    """Move an appointment to one of the next free slots for its scan."""

    moved = Signal(object)

    def __init__(
        self,
        context: ReceptionContext,
        appointment: AppointmentDetails,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._appointment = appointment
        self.setWindowTitle("Reschedule")
        self.setMinimumSize(520, 380)
        zone = context.zone
        intro = QLabel(
            f"Move {appointment.patient_name}'s {appointment.scan_name} from "
            f"{format_datetime(appointment.start_at, zone)} to:"
        )
        intro.setWordWrap(True)
        self.slots = QListWidget()
        self.error = error_label("reschedule")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton("&Move", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.slots, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.ok.setDefault(True)
        self.load()

    def load(self) -> None:
        a, scheduling = self._appointment, self._context.scheduling
        self.slots.clear()
        run_task(
            lambda: scheduling.next_available(a.scan_type_id, count=15, ignore_appointment_id=a.id),
            self._loaded,
            lambda e: (self.error.setText(describe_error(e)), self.error.show()),
            receiver=self,
        )

    def _loaded(self, slots: list[Slot]) -> None:
        zone = self._context.zone
        for slot in slots:
            item = QListWidgetItem(
                f"{format_datetime(slot.start_at, zone)}–{format_time(slot.end_at, zone)}"
                f"  ·  {slot.room_name}"
            )
            item.setData(SLOT_ROLE, slot)
            self.slots.addItem(item)
        if slots:
            self.slots.setCurrentRow(0)
        else:
            self.error.setText("No free slot for this scan in the next weeks.")
            self.error.show()

    def _submit(self) -> None:
        item = self.slots.currentItem()
        if item is None:
            return
        slot: Slot = item.data(SLOT_ROLE)
        a = self._appointment
        self.ok.setEnabled(False)
        run_task(
            lambda: self._context.booking.reschedule(
                a.id, a.version, slot.room_id, slot.start_at, radiologist_id=slot.radiologist_id
            ),
            self._done,
            self._refused,
            receiver=self,
        )

    def _done(self, details: AppointmentDetails) -> None:
        self.moved.emit(details)
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self.ok.setEnabled(True)
        self.error.setText(describe_error(error))
        self.error.show()
        if isinstance(error, SlotTakenError):
            self.load()


class HistoryDialog(QDialog):
    """Who moved the appointment to which status, and when."""

    def __init__(
        self,
        context: ReceptionContext,
        appointment: AppointmentDetails,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"History of {appointment.reference}")
        self.setMinimumSize(640, 320)
        zone = context.zone
        self.model = RowTableModel(
            [
                Column("When", lambda h: format_datetime(h.changed_at, zone), fits=EVERY_DATETIME),
                Column(
                    "Status",
                    lambda h: h.to_status.label,
                    badge=lambda h: h.to_status.value,
                    width=120,
                ),
                Column("By", lambda h: h.changed_by or "—", width=140),
                Column("Reason", lambda h: h.reason or "", stretch=True),
            ],
            parent=self,
        )
        self.view = make_table_view(self)
        self.view.setModel(self.model)
        size_columns(self.view, self.model.columns)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(buttons)
        run_task(lambda: context.booking.history(appointment.id), self._loaded, receiver=self)

    def _loaded(self, rows: list[StatusChangeLine]) -> None:
        self.model.set_rows(rows)
        for column in range(3):
            self.view.resizeColumnToContents(column)
