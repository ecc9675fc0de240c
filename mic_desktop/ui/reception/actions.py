"""The selected appointment: its details and the actions reception takes on it.

Confirm, check in, start and complete the scan, mark a no-show (only after the
start time), reschedule, cancel (with a manager's authorisation when late), the
status history, the slip and payments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import AppointmentStatus
from mic_desktop.services.errors import AuthenticationError, SlotTakenError, ValidationError
from mic_desktop.services.scheduling.book import Slot
from mic_desktop.services.scheduling.booking import (
    AppointmentDetails,
    LateCancellationError,
    ManagerAuthorisation,
    StatusChangeLine,
)
from mic_desktop.ui.common.colours import ERROR_TEXT, status_colour
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime, format_money, format_time
from mic_desktop.ui.common.table import Column, RowTableModel, make_table_view
from mic_desktop.ui.common.tasks import run_task

from .booking_dialog import SLOT_ROLE, error_label
from .context import ReceptionContext
from .pdfs import open_pdf

S = AppointmentStatus


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
        self.reason = QLineEdit()
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
                Column("When", lambda h: format_datetime(h.changed_at, zone), width=170),
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
        self.view.horizontalHeader().setStretchLastSection(True)
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


class AppointmentPanel(QWidget):
    """Details of the selected appointment and buttons for what can happen next."""

    changed = Signal(object)  # AppointmentDetails after an action
    payment_requested = Signal(object)  # AppointmentDetails
    kiosk_requested = Signal(object)  # AppointmentDetails

    def __init__(self, context: ReceptionContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.appointment: AppointmentDetails | None = None
        self._generation = 0
        self.title = QLabel("No appointment selected")
        self.title.setProperty("role", "section-title")
        self.title.setStyleSheet("font-weight: 700; font-size: 15px;")
        self.title.setWordWrap(True)
        self.details = QLabel(
            "Click an appointment in the book, or one in the patient's list, to see it here."
        )
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.error = error_label("action")
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        specs: list[tuple[str, str, Callable[[], None]]] = [
            ("confirm", "Con&firm", lambda: self._move(self._context.booking.confirm)),
            ("check_in", "Check &in (F6)", lambda: self._move(self._context.booking.check_in)),
            ("start", "&Start scan", lambda: self._move(self._context.booking.start_scan)),
            ("complete", "Com&plete scan", lambda: self._move(self._context.booking.complete_scan)),
            ("no_show", "No-sho&w", lambda: self._move(self._context.booking.mark_no_show)),
            ("reschedule", "&Reschedule…", self.reschedule),
            ("cancel", "&Cancel…", self.cancel),
            ("history", "Histor&y…", self.history),
            ("slip", "Sli&p (PDF)", self.slip),
            ("pay", "Take pa&yment… (F8)", lambda: self._emit(self.payment_requested)),
            ("kiosk", "Feedbac&k kiosk…", lambda: self._emit(self.kiosk_requested)),
            ("messages", "Messa&ges…", self.messages),
            ("claim", "Medical-aid c&laim…", self.claims),
        ]
        for number, (name, text, slot) in enumerate(specs):
            button = QPushButton(text)
            button.setObjectName(f"Action_{name}")
            button.clicked.connect(slot)
            button.setEnabled(False)
            self.buttons[name] = button
            grid.addWidget(button, number // 2, number % 2)
        self.messages_action = QAction("Messages of the selected &appointment…", self)
        self.messages_action.triggered.connect(self.messages)
        self.messages_action.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addLayout(grid)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.dialog: QDialog | None = None

    # -- showing ----------------------------------------------------------------------

    def load(self, appointment_id: int | None) -> None:
        self._generation += 1
        generation = self._generation
        if appointment_id is None:
            self.show_appointment(None)
            return
        run_task(
            lambda: self._context.booking.get(appointment_id),
            lambda details: generation == self._generation and self.show_appointment(details),
            self._failed,
            receiver=self,
        )

    def reload(self) -> None:
        if self.appointment is not None:
            self.load(self.appointment.id)

    def show_appointment(self, a: AppointmentDetails | None) -> None:
        self.appointment = a
        self.error.hide()
        if a is None:
            self.title.setText("No appointment selected")
            self.details.setText(
                "Click an appointment in the book, or one in the patient's list, to see it here."
            )
            for button in self.buttons.values():
                button.setEnabled(False)
            self.messages_action.setEnabled(False)
            return
        zone, currency = self._context.zone, self._context.currency
        colour = status_colour(a.status)
        self.title.setText(f"{a.patient_name} · {a.reference}")
        urgent = ' <b style="color:#c81e1e">URGENT</b>' if a.urgency == "urgent" else ""
        lines = [
            f'<span style="background:{colour.background};color:{colour.foreground};'
            f'padding:2px 6px"> {a.status.label} </span>{urgent}',
            f"{a.scan_name} · {a.room_name}",
            f"{format_datetime(a.start_at, zone)}–{format_time(a.end_at, zone)}",
            f"MRN {a.mrn}"
            + (f" · referred by {a.referring_doctor_name}" if a.referring_doctor_name else ""),
            f"Charge {format_money(a.price, currency)}"
            f" · aid {format_money(a.medical_aid_cover, currency)}"
            f" · patient {format_money(a.patient_copay, currency)}",
        ]
        if a.preauthorisation_number:
            lines.append(f"Pre-auth {a.preauthorisation_number}")
        if a.cancellation_reason:
            late = (
                " (late, authorised by " + (a.cancellation_authorised_by or "—") + ")"
                if a.is_late_cancellation
                else ""
            )
            lines.append(f"Cancelled: {a.cancellation_reason}{late}")
        if a.attachments:
            lines.append("Letter: " + ", ".join(x.filename for x in a.attachments))
        self.details.setText("<br>".join(lines))
        nexts = a.next_statuses
        started = self._context.session.clock() >= a.start_at
        enable = {
            "confirm": S.CONFIRMED in nexts,
            "check_in": S.ARRIVED in nexts,
            "start": S.IN_PROGRESS in nexts,
            "complete": S.COMPLETED in nexts,
            "no_show": S.NO_SHOW in nexts and started,
            "reschedule": a.can_reschedule,
            "cancel": S.CANCELLED in nexts,
            "history": True,
            "slip": a.status not in (S.CANCELLED, S.NO_SHOW),
            "pay": True,
            "kiosk": a.status is S.COMPLETED,
            "messages": True,
            "claim": a.medical_aid_plan_id is not None and a.medical_aid_cover > 0,
        }
        for name, on in enable.items():
            self.buttons[name].setEnabled(on)
        self.messages_action.setEnabled(True)
        self.buttons["no_show"].setToolTip(
            "" if started else "A no-show can be marked only after the start time."
        )

    def _failed(self, error: BaseException) -> None:
        self.error.setText(describe_error(error))
        self.error.show()

    def _emit(self, signal: Signal) -> None:
        if self.appointment is not None:
            signal.emit(self.appointment)  # type: ignore[attr-defined]

    # -- actions ----------------------------------------------------------------------

    def _move(self, call: Callable[[int, int], AppointmentDetails]) -> None:
        a = self.appointment
        if a is None:
            return
        self.error.hide()
        run_task(lambda: call(a.id, a.version), self._changed, self._failed, receiver=self)

    def _changed(self, details: AppointmentDetails) -> None:
        self.show_appointment(details)
        self.changed.emit(details)

    def check_in(self) -> None:
        if self.buttons["check_in"].isEnabled():
            self.buttons["check_in"].click()

    def cancel(self) -> None:
        a = self.appointment
        if a is None:
            return
        run_task(
            lambda: self._context.booking.is_late_cancellation(a.id),
            lambda late: self._open_cancel(a, late),
            self._failed,
            receiver=self,
        )

    def _show(self, dialog: QDialog) -> None:
        """Open an appointment's dialog (one at a time; it deletes itself when closed)."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def _open_cancel(self, a: AppointmentDetails, late: bool) -> None:
        dialog = CancelDialog(self._context, a, late, self)
        dialog.cancelled.connect(self._changed)
        self._show(dialog)

    def reschedule(self) -> None:
        if self.appointment is None:
            return
        dialog = RescheduleDialog(self._context, self.appointment, self)
        dialog.moved.connect(self._changed)
        self._show(dialog)

    def move_to(self, appointment_id: int, version: int, room_id: int, start: dt.datetime) -> None:
        """Reschedule from a drag in the book."""
        self.error.hide()
        run_task(
            lambda: self._context.booking.reschedule(appointment_id, version, room_id, start),
            self._changed,
            self._move_refused,
            receiver=self,
        )

    def _move_refused(self, error: BaseException) -> None:
        text = describe_error(error)
        if isinstance(error, ValidationError | SlotTakenError):
            text = f"Not moved: {text}"
        self.error.setText(text)
        self.error.show()
        self.changed.emit(self.appointment)

    def history(self) -> None:
        if self.appointment is None:
            return
        dialog = HistoryDialog(self._context, self.appointment, self)
        self._show(dialog)

    def claims(self) -> None:
        a = self.appointment
        if a is None:
            return
        from .claims import ClaimsDialog

        dialog = ClaimsDialog(
            self._context, patient_id=a.patient_id, appointment_id=a.id, parent=self
        )
        dialog.changed.connect(lambda _c: self.changed.emit(self.appointment))
        self._show(dialog)

    def messages(self) -> None:
        """The confirmations and reminders sent about this appointment (issue 6's dialog)."""
        a = self.appointment
        if a is None:
            return
        from .messages import AppointmentMessagesDialog

        dialog = AppointmentMessagesDialog(
            self._context.session, a.id, title=f"Messages about {a.reference}", parent=self
        )
        self._show(dialog)

    def slip(self) -> None:
        a = self.appointment
        if a is None:
            return
        run_task(
            lambda: self._context.booking.slip_pdf(a.id),
            lambda pdf: open_pdf(pdf, f"slip-{a.reference}"),
            self._failed,
            receiver=self,
        )
