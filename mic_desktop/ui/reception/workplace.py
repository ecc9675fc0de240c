"""Reception's workplace: find a patient, their panel, the book and the selected appointment."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from mic_desktop.services.patients.details import PatientDetails, PatientSummary
from mic_desktop.services.patients.panel import PatientPanel
from mic_desktop.services.scheduling.appointments import AppointmentDetails
from mic_desktop.services.scheduling.book import BookEntry
from mic_desktop.ui.common.errors import describe_error
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
        self.today = TodayPage(context.session.overview_service(), context.zone)
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
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 12, 12, 8)
        right_layout.addWidget(self.appointment_panel)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.centre)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([290, 830, 246])
        self.splitter = splitter
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
        self.appointment_panel.changed.connect(self._appointment_changed)
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
        self._open(PatientDialog(self.context.patients, parent=self), "saved", self._registered)

    def edit_patient(self, patient: PatientDetails) -> None:
        self._open(PatientDialog(self.context.patients, patient, self), "saved", self._registered)

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
        dialog = BookingDialog(self.context, patient, self)
        dialog.slot_taken.connect(self.book.reload)
        self._open(dialog, "booked", self._booked)

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

    def _appointment_changed(self, details: AppointmentDetails | None) -> None:
        self.book.reload()
        self.patient_panel.reload()
        if details is not None:
            self.message.emit(f"{details.reference} is now {details.status.label.lower()}.")

    def _drag_moved(self, entry: BookEntry, room_id: int, start: dt.datetime) -> None:
        self.appointment_panel.move_to(entry.id, entry.version, room_id, start)

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
        self._open(dialog, "paid", lambda _r: self.patient_panel.reload())

    def _pay_from_panel(self, panel: PatientPanel) -> None:
        p = panel.patient
        dialog = PaymentDialog(self.context, p.id, p.full_name, parent=self)
        self._open(dialog, "paid", lambda _r: self.patient_panel.reload())

    def day_sheet(self) -> None:
        day = self.book.day
        run_task(
            lambda: self.context.scheduling.day_sheet_pdf(day),
            lambda pdf: open_pdf(pdf, f"day-sheet-{day.isoformat()}"),
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
