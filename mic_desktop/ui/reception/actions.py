"""The selected appointment: its details and the actions reception takes on it.

Confirm, check in, start and complete the scan, mark a no-show (only after the
start time), reschedule, cancel (with a manager's authorisation when late), the
status history, the slip and payments. The dialogs it opens are in
:mod:`.appointment_dialogs`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import AppointmentStatus
from mic_desktop.services.errors import SlotTakenError, ValidationError
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.scheduling.appointments import AppointmentDetails
from mic_desktop.ui.common.colours import status_colour
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime, format_money, format_time
from mic_desktop.ui.common.tasks import run_task

from .appointment_dialogs import CancelDialog, HistoryDialog, RescheduleDialog
from .context import ReceptionContext
from .fields import error_label
from .pdfs import open_pdf
from .replies import AppointmentReplies
from .waitlist_dialogs import offer_freed_slot_dialog

S = AppointmentStatus


class AppointmentPanel(QWidget):
    """Details of the selected appointment and buttons for what can happen next."""

    changed = Signal(object)  # AppointmentDetails after an action
    moved = Signal(object, object)  # AppointmentDetails after a move; where it was (or None)
    payment_requested = Signal(object)  # AppointmentDetails
    kiosk_requested = Signal(object)  # AppointmentDetails

    def __init__(self, context: ReceptionContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.appointment: AppointmentDetails | None = None
        self._generation = 0
        self._then: tuple[int, Callable[[], None]] | None = None
        self.title = QLabel("No appointment selected")
        self.title.setProperty("role", "section-title")
        self.title.setStyleSheet("font-weight: 700; font-size: 15px;")
        self.title.setWordWrap(True)
        self.details = QLabel(
            "Click an appointment in the book, or one in the patient's list, to see it here."
        )
        self.details.setWordWrap(True)
        self.details.setMinimumWidth(1)  # a long UID must not widen the panel: tooltip has it
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.error = error_label("action")
        self.buttons: dict[str, QPushButton] = {}
        self.actions_by_name: dict[str, QAction] = {}
        self.grid = QGridLayout()
        for name, text, slot in self._specs():
            button = QPushButton(text)
            button.setObjectName(f"Action_{name}")
            button.clicked.connect(slot)
            button.setEnabled(False)
            self.buttons[name] = button
            action = QAction(text.replace(" (F6)", "").replace(" (F8)", ""), self)
            action.setObjectName(f"MenuAction_{name}")
            action.triggered.connect(slot)
            action.setEnabled(False)
            self.actions_by_name[name] = action
        self.menu = QMenu(self)
        self.menu.setObjectName("AppointmentMenu")
        for name, action in self.actions_by_name.items():
            if name in ("history", "slip"):
                self.menu.addSeparator()
            self.menu.addAction(action)
        self._lay_out_buttons()
        self.messages_action = QAction("Messages of the selected &appointment…", self)
        self.messages_action.triggered.connect(self.messages)
        self.messages_action.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        self.replies = AppointmentReplies(context)
        layout.addWidget(self.replies)
        layout.addLayout(self.grid)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.dialog: QDialog | None = None
        changes = context.changes
        if changes is not None:
            changes.changed.connect(self._changed_elsewhere)  # type: ignore[attr-defined]
            changes.reset.connect(self.reload)  # type: ignore[attr-defined]

    def _changed_elsewhere(self, channel: str, ids: frozenset[str]) -> None:
        a = self.appointment
        if a is None or self._context.session.closed:
            return
        if (channel == LiveChannel.APPOINTMENT.value and str(a.id) in ids) or (
            channel == LiveChannel.PAYMENT.value and str(a.patient_id) in ids
        ):
            self.reload()

    def _specs(self) -> list[tuple[str, str, Callable[[], None]]]:
        booking = self._context.booking
        return [
            ("confirm", "Con&firm", lambda: self._move(booking.confirm)),
            ("check_in", "Check &in (F6)", lambda: self._move(booking.check_in)),
            ("start", "&Start scan", lambda: self._move(booking.start_scan)),
            ("complete", "Com&plete scan", lambda: self._move(booking.complete_scan)),
            ("no_show", "No-sho&w", lambda: self._move(booking.mark_no_show)),
            ("reschedule", "&Reschedule…", self.reschedule),
            ("cancel", "&Cancel…", self.cancel),
            ("history", "Histor&y…", self.history),
            ("slip", "Sli&p (PDF)", self.slip),
            ("pay", "Take pa&yment… (F8)", lambda: self._emit(self.payment_requested)),
            ("kiosk", "Feedbac&k kiosk…", lambda: self._emit(self.kiosk_requested)),
            ("messages", "Messa&ges…", self.messages),
            ("claim", "Medical-aid c&laim…", self.claims),
            ("waitlist", "Offer to wai&tlist…", self.offer_to_waitlist),
        ]

    def _lay_out_buttons(self) -> None:
        """Only what can be done now takes room; the right-click menu lists every action."""
        for button in self.buttons.values():
            self.grid.removeWidget(button)
        shown = [b for b in self.buttons.values() if b.isEnabled()]
        for button in self.buttons.values():
            button.setVisible(button in shown)
        for number, button in enumerate(shown):  # one column: every label whole
            self.grid.addWidget(button, number, 0)

    def popup_menu(self, appointment_id: int, where: QPoint) -> None:
        """The actions of an appointment at ``where`` (a right-click), once it is loaded."""
        self.load(appointment_id, then=lambda: self.menu.popup(where))

    # -- showing ----------------------------------------------------------------------

    def load(self, appointment_id: int | None, then: Callable[[], None] | None = None) -> None:
        self._generation += 1
        generation = self._generation
        if then is not None:  # kept across a reload that overtakes this load
            self._then = (appointment_id, then)
        if appointment_id is None:
            self.show_appointment(None)
            return

        def loaded(details: AppointmentDetails) -> None:
            if generation == self._generation:
                self.show_appointment(details)
                pending, self._then = self._then, None
                if pending is not None and pending[0] == details.id:
                    pending[1]()

        run_task(
            lambda: self._context.booking.get(appointment_id),
            loaded,
            self._failed,
            receiver=self,
        )

    def reload(self) -> None:
        if self.appointment is not None:
            self.load(self.appointment.id)

    def show_appointment(self, a: AppointmentDetails | None) -> None:
        self.appointment = a
        self.replies.show_for(a)
        self.error.hide()
        if a is None:
            self.title.setText("No appointment selected")
            self.details.setText(
                "Click an appointment in the book, or one in the patient's list, to see it here."
            )
            for button in self.buttons.values():
                button.setEnabled(False)
            for action in self.actions_by_name.values():
                action.setEnabled(False)
            self.messages_action.setEnabled(False)
            self._lay_out_buttons()
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
        lines.extend(scanner_lines(a))
        self.details.setText("<br>".join(lines))
        self.details.setToolTip(re.sub(r"<[^>]+>", "", "\n".join(lines)).strip())
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
            "waitlist": a.status in (S.CANCELLED, S.NO_SHOW) and not started,
        }
        for name, on in enable.items():
            self.buttons[name].setEnabled(on)
            self.actions_by_name[name].setEnabled(on)
        self.messages_action.setEnabled(True)
        self._lay_out_buttons()
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

    def offer_to_waitlist(self) -> None:
        """A cancelled appointment's time, offered by hand to a waitlisted patient."""
        a = self.appointment
        if a is not None:
            dialog = offer_freed_slot_dialog(self._context, a, self)
            window = self.window()
            if isinstance(window, QMainWindow):
                dialog.done_text.connect(lambda text: window.statusBar().showMessage(text, 10_000))
            self._show(dialog)

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
        before = self.appointment
        dialog = RescheduleDialog(self._context, before, self)
        dialog.moved.connect(lambda details: self._moved(details, before))
        self._show(dialog)

    def move_to(
        self,
        appointment_id: int,
        version: int,
        room_id: int,
        start: dt.datetime,
        before: object = None,
    ) -> None:
        """Reschedule from a drag in the book (``before``: where it was, for the message)."""
        self.error.hide()
        run_task(
            lambda: self._context.booking.reschedule(appointment_id, version, room_id, start),
            lambda details: self._moved(details, before),
            self._move_refused,
            receiver=self,
        )

    def _moved(self, details: AppointmentDetails, before: object) -> None:
        self.show_appointment(details)
        self.moved.emit(details, before)

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
            lambda pdf: open_pdf(pdf, f"slip-{a.reference}", self),
            self._failed,
            receiver=self,
        )


def scanner_lines(a: AppointmentDetails) -> list[str]:
    """What the scanners know of the visit: on their DICOM worklist, what one reported,
    and the Study Instance UID the images will carry."""
    lines = []
    if a.on_worklist:
        lines.append("On the scanners' worklist (DICOM)")
    if a.modality_step:
        lines.append(f"Scanner: {a.modality_step}")
    if a.study_instance_uid:
        breakable = a.study_instance_uid.replace(".", ".\u200b")  # wraps at its dots
        lines.append(f'<span style="color:#5b6472">Study UID {breakable}</span>')
    return lines
