"""Reception's workplace: find a patient, their panel, the book and the selected appointment."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget

from mic_desktop.models import AppointmentStatus
from mic_desktop.services.analytics.overview import DayAppointment
from mic_desktop.services.billing.payments import PaymentResult
from mic_desktop.services.patients.details import PatientDetails, PatientSummary
from mic_desktop.services.patients.panel import PatientPanel
from mic_desktop.services.scheduling.appointments import AppointmentDetails
from mic_desktop.services.scheduling.book import BookEntry
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime, format_money
from mic_desktop.ui.common.tasks import run_task
from mic_desktop.ui.common.window import HomePage

from .actions import AppointmentPanel
from .book import BookView
from .booking_dialog import BookingDialog
from .context import ReceptionContext
from .home import TodayPage
from .patient_dialog import PatientDialog
from .payment_dialog import PaymentDialog
from .pdfs import open_pdf
from .search import PatientSearch
from .waitlist_page import WaitlistPage

UNDO_MS = 10_000  # how long a move in the book can be undone from the status bar

_DONE = {
    AppointmentStatus.CONFIRMED: "confirmed",
    AppointmentStatus.ARRIVED: "checked in",
    AppointmentStatus.IN_PROGRESS: "scan started",
    AppointmentStatus.COMPLETED: "scan completed",
    AppointmentStatus.NO_SHOW: "marked as a no-show",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.PENDING: "pending",
}


def _done(details: AppointmentDetails) -> str:
    """What just happened to the appointment, in the desk's words ("checked in")."""
    return _DONE.get(details.status, details.status.label.lower())


class ReceptionHome(HomePage):
    """Left: search and patient panel; centre: the book (and today's list); right: actions."""

    message = Signal(str)  # for the window's status bar

    def __init__(self, context: ReceptionContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.dialog: QWidget | None = None
        self.search = PatientSearch(context.patients)
        self.patient_panel = PatientPanelView(context)
        self.book = BookView(context)
        self.today = TodayPage(context.session.overview_service(), context.zone, context.changes)
        for action in self.today.actions():  # Ctrl+F belongs to the patient search here
            if action.shortcut() == QKeySequence(QKeySequence.StandardKey.Find):
                self.today.removeAction(action)
        self.appointment_panel = AppointmentPanel(context)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(12, 12, 6, 8)
        left_layout.addWidget(self.search, 2)
        left_layout.addWidget(self.patient_panel, 3)
        self.centre = QTabWidget()
        self.centre.setDocumentMode(True)
        self.centre.addTab(self.book, "Appointment book")
        self.centre.addTab(self.today, "Today's list")
        self.waitlist = WaitlistPage(context, self.current_patient)
        self.waitlist.message.connect(self.message)
        self.centre.addTab(self.waitlist, "Waitlist")
        right = QWidget()
        right.setObjectName("ActionPanel")
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 12, 12, 8)
        right_layout.addWidget(self.appointment_panel)
        self.right = right
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.centre)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        splitter.setCollapsible(1, False)
        left.setMinimumWidth(280)
        right.setMinimumWidth(220)
        splitter.setSizes([360, 750, 256])
        self.splitter = splitter
        self.panel_action = QAction("&Action panel", self)
        self.panel_action.setObjectName("ToggleActionPanel")
        self.panel_action.setCheckable(True)
        self.panel_action.setChecked(True)
        self.panel_action.setShortcut("F9")
        self.panel_action.setToolTip(
            "Show or hide the panel of the selected appointment; right-click an "
            "appointment for the same actions"
        )
        self.panel_action.toggled.connect(self.right.setVisible)
        self.addAction(self.panel_action)
        self.undo_button = QPushButton("&Undo move")
        self.undo_button.setObjectName("UndoMove")
        self.undo_button.setToolTip("Put the appointment back where it was (for 10 seconds)")
        self.undo_button.hide()
        self.undo_button.clicked.connect(self.undo_move)
        self._undo_timer = QTimer(self, singleShot=True, interval=UNDO_MS)
        self._undo_timer.timeout.connect(self._forget_undo)
        self._undo: tuple[AppointmentDetails, BookEntry | AppointmentDetails] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.search.chosen.connect(self.show_patient)
        self.patient_panel.appointment_chosen.connect(self.show_appointment)
        self.patient_panel.edit_requested.connect(self.edit_patient)
        self.patient_panel.book_requested.connect(self.new_booking)
        self.patient_panel.pay_requested.connect(self._pay_from_panel)
        self.book.selected.connect(self._book_selected)
        self.book.activated.connect(self._book_selected)
        self.book.move_requested.connect(self._drag_moved)
        self.book.menu_requested.connect(
            lambda entry, where: self.appointment_panel.popup_menu(entry.id, where)
        )
        self.today.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.today.view.customContextMenuRequested.connect(self._today_menu)
        self.today.view.activated.connect(self._today_chosen)
        self.patient_panel.menu_requested.connect(self.appointment_panel.popup_menu)
        self.appointment_panel.changed.connect(self._appointment_changed)
        self.appointment_panel.moved.connect(self._appointment_moved)
        self.appointment_panel.payment_requested.connect(self.take_payment_for)
        self.appointment_panel.kiosk_requested.connect(self.open_kiosk)

    # -- HomePage ---------------------------------------------------------------------

    def refresh(self) -> None:
        self.book.reload()
        self.today.refresh()
        self.patient_panel.reload()
        self.appointment_panel.reload()

    # -- patients ---------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.focus()

    def show_patient(self, patient: PatientSummary | PatientDetails) -> None:
        self.patient_panel.load(patient.id)

    def current_patient(self) -> PatientDetails | None:
        panel = self.patient_panel.panel
        return panel.patient if panel is not None else None

    def new_patient(self) -> None:
        self._patient_dialog(None)

    def edit_patient(self, patient: PatientDetails) -> None:
        self._patient_dialog(patient)

    def _patient_dialog(self, patient: PatientDetails | None) -> None:
        dialog = PatientDialog(
            self.context.patients, patient, self, today=self.context.scheduling.today
        )
        dialog.open_existing.connect(self.show_patient)
        self._open(dialog, "saved", self._registered)

    def _registered(self, details: PatientDetails) -> None:
        self.show_patient(details)
        self.message.emit(f"Saved {details.full_name} ({details.mrn}).")

    def _open(self, dialog: QWidget, signal: str, slot: object) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        getattr(dialog, signal).connect(slot)
        self.dialog = dialog
        dialog.open()  # type: ignore[attr-defined]

    # -- booking ----------------------------------------------------------------------

    def new_booking(self, patient: PatientDetails | None = None) -> None:
        patient = patient or self.current_patient()
        self._open(BookingDialog(self.context, patient, self), "booked", self._booked)

    def _booked(self, details: AppointmentDetails) -> None:
        self.message.emit(
            f"Booked {details.reference}: {details.patient_name}, {details.scan_name}."
        )
        self.book.go_to(details.start_at.astimezone(self.context.zone).date())
        self.appointment_panel.show_appointment(details)
        self.patient_panel.load(details.patient_id)

    # -- appointments -----------------------------------------------------------------

    def _book_selected(self, entry: BookEntry | None) -> None:
        if entry is not None:
            self.show_appointment(entry.id)
            if (
                self.patient_panel.panel is None
                or self.patient_panel.panel.patient.id != entry.patient_id
            ):
                self.patient_panel.load(entry.patient_id)

    def show_appointment(self, appointment_id: int) -> None:
        self.appointment_panel.load(appointment_id)

    def _today_row(self, index: QModelIndex) -> DayAppointment | None:
        source = self.today.proxy.mapToSource(index)
        return self.today.model.row_at(source.row()) if source.isValid() else None

    def _today_chosen(self, index: QModelIndex) -> None:
        row = self._today_row(index)
        if row is not None:
            self.appointment_panel.load(row.id, then=self._show_its_patient)

    def _today_menu(self, point: QPoint) -> None:
        index = self.today.view.indexAt(point)
        row = self._today_row(index) if index.isValid() else None
        if row is not None:
            self.today.view.selectRow(index.row())
            where = self.today.view.viewport().mapToGlobal(point)
            self.appointment_panel.load(
                row.id,
                then=lambda: (self._show_its_patient(), self.appointment_panel.menu.popup(where)),
            )

    def _show_its_patient(self) -> None:
        """The patient panel follows the appointment chosen in a list."""
        a = self.appointment_panel.appointment
        panel = self.patient_panel.panel
        if a is not None and (panel is None or panel.patient.id != a.patient_id):
            self.patient_panel.load(a.patient_id)

    def _appointment_changed(self, details: AppointmentDetails | None) -> None:
        """The views reload through ``session.changes``; here only the status bar."""
        if details is not None:
            self.message.emit(f"{details.reference} {details.patient_name}: {_done(details)}.")

    def _drag_moved(self, entry: BookEntry, room_id: int, start: dt.datetime) -> None:
        self.appointment_panel.move_to(entry.id, entry.version, room_id, start, entry)

    def _appointment_moved(
        self, details: AppointmentDetails, before: BookEntry | AppointmentDetails | None
    ) -> None:
        zone = self.context.zone
        where = f"{format_datetime(details.start_at, zone)}, {details.room_name}"
        text = f"{details.reference} {details.patient_name} moved to {where}"
        if before is not None:
            text += f" (was {format_datetime(before.start_at, zone)}, {before.room_name})"
            self._undo = (details, before)
            self.undo_button.show()
            self._undo_timer.start()
            text += ". Undo within 10 s"
        self.message.emit(text + ".")

    def undo_move(self) -> None:
        if self._undo is None:
            return
        after, before = self._undo
        self._forget_undo()
        self.appointment_panel.move_to(
            after.id, after.version, before.room_id, before.start_at, None
        )

    def _forget_undo(self) -> None:
        self._undo = None
        self._undo_timer.stop()
        self.undo_button.hide()

    def check_in(self) -> None:
        self.appointment_panel.check_in()

    # -- money ------------------------------------------------------------------------

    def take_payment(self) -> None:
        a = self.appointment_panel.appointment
        if a is not None:
            self.take_payment_for(a)
        elif self.patient_panel.panel is not None:
            self._pay_from_panel(self.patient_panel.panel)
        else:
            self.message.emit("Find the patient (Ctrl+F) or select an appointment first.")

    def take_payment_for(self, a: AppointmentDetails) -> None:
        dialog = PaymentDialog(
            self.context,
            a.patient_id,
            a.patient_name,
            appointment_id=a.id,
            suggested=a.patient_copay,
            parent=self,
        )
        self._open(dialog, "paid", self._paid)

    def _pay_from_panel(self, panel: PatientPanel) -> None:
        p = panel.patient
        dialog = PaymentDialog(self.context, p.id, p.full_name, parent=self)
        self._open(dialog, "paid", self._paid)

    def _paid(self, result: PaymentResult) -> None:
        p = result.payment
        amount = format_money(abs(p.amount), self.context.currency)
        what = "Refunded" if p.amount < 0 else "Received"
        self.message.emit(f"{what} {amount}, receipt {p.receipt_number}.")

    def day_sheet(self) -> None:
        day = self.book.day
        run_task(
            lambda: self.context.scheduling.day_sheet_pdf(day),
            lambda pdf: open_pdf(pdf, f"day-sheet-{day.isoformat()}", self),
            lambda e: self.message.emit(describe_error(e)),
            receiver=self,
        )

    def open_kiosk(self, a: AppointmentDetails) -> None:
        from .kiosk import FeedbackKiosk

        kiosk = FeedbackKiosk(self.context, a.id)
        kiosk.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        kiosk.finished_feedback.connect(lambda: self.message.emit("Thank you: feedback recorded."))
        self.kiosk = kiosk
        kiosk.show_on_best_screen()


from .panel import PatientPanelView  # noqa: E402  (kept last: panel imports context only)
