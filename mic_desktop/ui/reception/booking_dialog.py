"""The booking dialog: patient, scan, slot, referral, notes, urgency and the money up front.

The payment panel (:class:`~.quote_panel.QuotePanel`: service charge, medical-aid
cover, co-payment) is filled from a quote before anything is saved. When another
desk takes the chosen slot first, the dialog says so, reloads the free slots and
saves nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.billing.pricing import Quote
from mic_desktop.services.errors import SlotTakenError, ValidationError
from mic_desktop.services.patients.details import PatientDetails, PatientSummary
from mic_desktop.services.scheduling.appointments import AppointmentDetails
from mic_desktop.services.scheduling.book import ScanTypeInfo
from mic_desktop.services.scheduling.booking import BookingRequest, ReferralLetter
from mic_desktop.services.scheduling.referring_doctors import DoctorInfo
from mic_desktop.services.scheduling.slots import Slot
from mic_desktop.services.text_checks import NOTES_MAX
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime, format_time
from mic_desktop.ui.common.tasks import run_task
from mic_desktop.ui.common.text_limits import LengthCounter

from .context import ReceptionContext
from .doctor_dialog import DoctorDialog
from .fields import SLOT_ROLE, error_label
from .patient_dialog import PatientDialog
from .quote_panel import QuotePanel
from .search import PatientSearch

SLOT_COUNT = 12
LETTER_FILTER = "Referral letters (*.pdf *.png *.jpg *.jpeg *.tif *.tiff)"


class BookingDialog(QDialog):
    """``booked`` carries the AppointmentDetails; ``slot_taken`` asks the book to reload."""

    booked = Signal(object)
    slot_taken = Signal()

    def __init__(
        self,
        context: ReceptionContext,
        patient: PatientSummary | PatientDetails | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._patient_id: int | None = None
        self._scans: list[ScanTypeInfo] = []
        self._letter: ReferralLetter | None = None
        self._slot_generation = 0
        self._busy = False
        self.setWindowTitle("New booking")
        self.setMinimumSize(900, 640)
        self.errors: dict[str, QLabel] = {}

        # -- patient
        self.patient_label = QLabel("No patient chosen")
        self.patient_label.setObjectName("BookingPatient")
        self.patient_label.setStyleSheet("font-weight: 600;")
        self.change_patient = QPushButton("C&hange…")
        self.change_patient.clicked.connect(self._show_search)
        self.new_patient = QPushButton("Ne&w patient…")
        self.new_patient.clicked.connect(self._register_inline)
        self.search = PatientSearch(context.patients)
        self.search.setMaximumHeight(200)
        self.search.chosen.connect(self.set_patient)
        # -- scan and slot
        self.scan = QComboBox()
        self.scan.setObjectName("BookingScan")
        self.scan.setMinimumContentsLength(28)
        self.scan.currentIndexChanged.connect(self._scan_changed)
        self.after = QDateEdit()
        self.after.setCalendarPopup(True)
        self.after.setDisplayFormat("ddd d MMM yyyy")
        self.after.setDate(QDate(context.scheduling.today()))
        self.after.setToolTip("Look for free slots from this date")
        self.after.dateChanged.connect(lambda _d: self.load_slots())
        self.slots = QListWidget()
        self.slots.setObjectName("BookingSlots")
        self.slots.setMinimumHeight(150)
        self.slots_hint = QLabel()
        self.slots_hint.setProperty("role", "muted")
        self.slots_hint.setWordWrap(True)
        # -- referral, notes, urgency, pre-authorisation
        self.doctor = QComboBox()
        self.doctor.setObjectName("BookingDoctor")
        self.doctor.addItem("None (self-referred)", None)
        self.doctor.setMinimumContentsLength(22)
        self.add_doctor = QPushButton("&Add doctor…")
        self.add_doctor.clicked.connect(self._quick_add_doctor)
        self.letter_label = QLabel("No letter attached")
        self.letter_label.setProperty("role", "muted")
        self.attach = QPushButton("Attach &letter…")
        self.attach.clicked.connect(self._attach_letter)
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("BookingNotes")
        self.notes.setTabChangesFocus(True)
        self.notes.setPlaceholderText("Clinical notes from the referral (optional)")
        self.notes.setMaximumHeight(70)
        self.notes_counter = LengthCounter(self.notes, NOTES_MAX)
        self.urgent = QCheckBox("&Urgent")
        self.use_aid = QCheckBox("Bill the &medical aid")
        self.use_aid.setChecked(True)
        self.use_aid.toggled.connect(lambda _on: self.load_quote())
        self.preauth = QLineEdit()
        self.preauth.setObjectName("BookingPreauth")
        self.preauth.setPlaceholderText("Pre-authorisation number from the medical aid")
        self.preauth_label = QLabel("&Pre-auth number")
        self.preauth_label.setBuddy(self.preauth)
        # -- payment panel
        self.money = QuotePanel()
        self.money.quoted.connect(lambda q: self._set_preauth_visible(q.requires_preauthorisation))
        self.money.failed.connect(self._load_failed)
        self.charge, self.cover, self.copay = self.money.charge, self.money.cover, self.money.copay
        self.general_error = error_label("general")

        left = QFormLayout()
        self.patient_label.setWordWrap(True)
        patient_buttons = QHBoxLayout()
        patient_buttons.addWidget(self.change_patient)
        patient_buttons.addWidget(self.new_patient)
        patient_buttons.addStretch(1)
        patient_box = QVBoxLayout()
        patient_box.addWidget(self.patient_label)
        patient_box.addLayout(patient_buttons)
        left.addRow("Patient", self._with_error("patient", patient_box))
        left.addRow(self.search)
        left.addRow("&Scan", self._with_error("scan_type", self.scan))
        left.addRow("Free &from", self.after)
        left.addRow("S&lot", self._with_error("start_at", self.slots))
        left.addRow(self.slots_hint)

        right = QFormLayout()
        doctor_row = QHBoxLayout()
        doctor_row.addWidget(self.doctor, 1)
        doctor_row.addWidget(self.add_doctor)
        right.addRow("Referred by", self._with_error("referring_doctor", doctor_row))
        letter_row = QHBoxLayout()
        letter_row.addWidget(self.letter_label, 1)
        letter_row.addWidget(self.attach)
        right.addRow("Referral letter", self._with_error("referral_letter", letter_row))
        notes_box = QVBoxLayout()
        notes_box.setSpacing(0)
        notes_box.addWidget(self.notes)
        notes_box.addWidget(self.notes_counter)
        right.addRow("&Notes", self._with_error("clinical_notes", notes_box))
        self.errors["clinical_notes"].parentWidget().setFocusProxy(self.notes)
        flags = QHBoxLayout()
        flags.addWidget(self.urgent)
        flags.addWidget(self.use_aid)
        flags.addStretch(1)
        right.addRow("", self._with_error("urgency", flags))
        right.addRow(self.preauth_label, self._with_error("preauthorisation_number", self.preauth))
        right.addRow(self.money)

        columns = QHBoxLayout()
        left_box, right_box = QWidget(), QWidget()
        left_box.setLayout(left)
        right_outer = QVBoxLayout(right_box)
        right_outer.setContentsMargins(0, 0, 0, 0)
        right_outer.addLayout(right)
        right_outer.addStretch(1)
        columns.addWidget(left_box, 1)
        columns.addWidget(right_box, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.book_button = self.buttons.addButton("&Book", QDialogButtonBox.ButtonRole.AcceptRole)
        self.book_button.setObjectName("BookButton")
        self.buttons.accepted.connect(self.book)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)
        self.book_button.setDefault(True)

        self._set_preauth_visible(False)
        if patient is not None:
            self.set_patient(patient)
        else:
            self._show_search()
        self.setTabOrder(self.scan, self.slots)
        run_task(
            context.scheduling.scan_types, self._scans_loaded, self._load_failed, receiver=self
        )
        run_task(lambda: context.doctors.search("", 500), self._doctors_loaded, receiver=self)

    def _with_error(self, name: str, content: QWidget | QHBoxLayout | QVBoxLayout) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        if isinstance(content, QWidget):
            layout.addWidget(content)
        else:
            layout.addLayout(content)
        self.errors[name] = error_label(name)
        layout.addWidget(self.errors[name])
        return box

    # -- patient ----------------------------------------------------------------------

    def set_patient(self, patient: PatientSummary | PatientDetails) -> None:
        self._patient_id = patient.id
        plan = patient.plan_name
        self.patient_label.setText(
            f"{patient.full_name} · {patient.mrn}" + (f" · {plan}" if plan else " · private")
        )
        self.search.hide()
        self.errors["patient"].hide()
        self.scan.setFocus()
        self.load_quote()

    def _show_search(self) -> None:
        self.search.show()
        self.search.focus()

    def _register_inline(self) -> None:
        dialog = PatientDialog(self._context.patients, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self.set_patient)
        dialog.open()
        self.patient_dialog = dialog

    # -- scan, slots, quote -----------------------------------------------------------

    def _load_failed(self, error: BaseException) -> None:
        self.general_error.setText(describe_error(error))
        self.general_error.show()

    def _scans_loaded(self, scans: list[ScanTypeInfo]) -> None:
        self._scans = scans
        self.scan.blockSignals(True)
        self.scan.addItem("Choose a scan…", None)
        for scan in scans:
            self.scan.addItem(f"{scan.name} ({scan.duration_minutes} min)", scan.id)
        self.scan.blockSignals(False)
        self.slots_hint.setText("Choose a scan to see its free slots.")

    def scan_info(self) -> ScanTypeInfo | None:
        scan_id = self.scan.currentData()
        return next((s for s in self._scans if s.id == scan_id), None)

    def _scan_changed(self, _index: int) -> None:
        self.errors["scan_type"].hide()
        self.load_slots()
        self.load_quote()

    def load_slots(self) -> None:
        scan = self.scan_info()
        self._slot_generation += 1
        generation = self._slot_generation
        self.slots.clear()
        if scan is None:
            self.slots_hint.setText("Choose a scan to see its free slots.")
            return
        self.slots_hint.setText("Looking for free slots…")
        day: dt.date = self.after.date().toPython()  # type: ignore[assignment]
        after = dt.datetime.combine(day, dt.time(), self._context.zone)
        scheduling = self._context.scheduling
        run_task(
            lambda: scheduling.next_available(scan.id, count=SLOT_COUNT, after=after),
            lambda slots: self._slots_loaded(generation, slots),
            lambda e: self._slots_failed(generation, e),
            receiver=self,
        )

    @property
    def loading_slots(self) -> bool:
        return self.slots_hint.text() == "Looking for free slots…"

    def _slots_loaded(self, generation: int, slots: list[Slot]) -> None:
        if generation != self._slot_generation:
            return
        zone = self._context.zone
        for slot in slots:
            when = f"{format_datetime(slot.start_at, zone)}–{format_time(slot.end_at, zone)}"
            item = QListWidgetItem(f"{when}  ·  {slot.room_name}")
            if slot.radiologist_name:
                item.setToolTip(f"Radiologist on site: {slot.radiologist_name}")
            item.setData(SLOT_ROLE, slot)
            self.slots.addItem(item)
        if slots:
            self.slots.setCurrentRow(0)
            self.slots_hint.setText("The earliest free slots; the first is chosen. Enter books it.")
        else:
            self.slots_hint.setText(
                "No free slot in the next weeks for this scan. Try a later date, or ask a "
                "manager about opening hours and radiologists' availability."
            )

    def _slots_failed(self, generation: int, error: BaseException) -> None:
        if generation == self._slot_generation:
            self.slots_hint.setText(describe_error(error))

    def chosen_slot(self) -> Slot | None:
        item = self.slots.currentItem()
        return item.data(SLOT_ROLE) if item is not None else None

    def load_quote(self) -> None:
        scan = self.scan_info()
        self.money.load(
            self._context.pricing,
            None if scan is None else scan.id,
            self._patient_id,
            self.use_aid.isChecked(),
        )

    def _set_preauth_visible(self, visible: bool) -> None:
        self.preauth.setVisible(visible)
        self.preauth_label.setVisible(visible)
        self.preauth.parentWidget().setVisible(visible)

    @property
    def quote(self) -> Quote | None:
        return self.money.quote

    # -- doctor and letter ------------------------------------------------------------

    def _doctors_loaded(self, doctors: list[DoctorInfo], select: int | None = None) -> None:
        for doctor in doctors:
            text = doctor.full_name + (f" · {doctor.practice_name}" if doctor.practice_name else "")
            self.doctor.addItem(text, doctor.id)
        if select is not None:
            self.doctor.setCurrentIndex(self.doctor.findData(select))

    def _quick_add_doctor(self) -> None:
        dialog = DoctorDialog(self._context, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.added.connect(lambda d: self._doctors_loaded([d], select=d.id))
        dialog.open()
        self.doctor_dialog = dialog

    def _attach_letter(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Attach referral letter", "", LETTER_FILTER)
        if path:
            self.attach_letter_file(Path(path))

    def attach_letter_file(self, path: Path) -> None:
        self.errors["referral_letter"].hide()
        booking = self._context.booking
        run_task(
            lambda: booking.read_referral_letter(path),
            self._letter_read,
            lambda e: self._letter_refused(path, e),
            receiver=self,
        )

    def _letter_refused(self, path: Path, error: BaseException) -> None:
        self._letter = None
        self.letter_label.setText("No letter attached")
        self._field_error("referral_letter", _letter_problem(path, error))

    def _letter_read(self, letter: ReferralLetter) -> None:
        self._letter = letter
        self.letter_label.setText(f"{letter.filename} ({len(letter.content) // 1024 + 1} KB)")

    # -- booking ----------------------------------------------------------------------

    def _field_error(self, name: str, text: str) -> None:
        label = self.errors.get(name)
        if label is None:
            self.general_error.setText(text)
            self.general_error.show()
        else:
            label.setText(text)
            label.show()

    def book(self) -> None:
        if self._busy:
            return
        for label in self.errors.values():
            label.hide()
        self.general_error.hide()
        scan, slot = self.scan_info(), self.chosen_slot()
        if self._patient_id is None:
            self._field_error("patient", "Find the patient, or register a new one.")
            return
        if scan is None:
            self._field_error("scan_type", "Choose the scan to book.")
            self.scan.setFocus()
            return
        if slot is None:
            self._field_error("start_at", "Choose a free slot.")
            return
        request = BookingRequest(
            patient_id=self._patient_id,
            scan_type_id=scan.id,
            room_id=slot.room_id,
            start_at=slot.start_at,
            referring_doctor_id=self.doctor.currentData(),
            radiologist_id=slot.radiologist_id,
            clinical_notes=self.notes.toPlainText(),
            urgency="urgent" if self.urgent.isChecked() else "routine",
            preauthorisation_number=self.preauth.text().strip() or None,
            referral_letter=self._letter,
            use_medical_aid=self.use_aid.isChecked(),
        )
        self._busy = True
        self.book_button.setEnabled(False)
        run_task(
            lambda: self._context.booking.book(request),
            self._booked,
            self._refused,
            receiver=self,
        )

    def _booked(self, details: AppointmentDetails) -> None:
        self._busy = False
        self.book_button.setEnabled(True)
        self.booked.emit(details)
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self._busy = False
        self.book_button.setEnabled(True)
        if isinstance(error, SlotTakenError):
            self._field_error("start_at", "This slot was just taken. Choose another free slot.")
            self.slot_taken.emit()
            self.load_slots()
            return
        if isinstance(error, ValidationError) and error.field in ("radiologist", "room"):
            self._field_error("start_at", f"{error} Choose another free slot.")
            self.slot_taken.emit()
            self.load_slots()
            return
        if isinstance(error, ValidationError) and error.field in self.errors:
            self._field_error(error.field, str(error))
            return
        self._field_error("general", describe_error(error))


def _letter_problem(path: Path, error: BaseException) -> str:
    """What is wrong with the chosen letter: the service's reason, or why it cannot be read."""
    if isinstance(error, ValidationError):
        return str(error)
    if isinstance(error, OSError):
        return f"Cannot read {path.name}: {error.strerror or error}."
    return f"Cannot read {path.name}: {error}"
