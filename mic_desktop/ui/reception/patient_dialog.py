"""Register or edit a patient: validation next to the fields, a duplicate as a decision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models.patient import Sex
from mic_desktop.services.errors import StaleRecordError, ValidationError
from mic_desktop.services.patients.details import PatientDetails, PatientInput, PatientSummary
from mic_desktop.services.patients.registry import (
    PatientService,
    PlanOption,
    PossibleDuplicateError,
)
from mic_desktop.services.text_checks import ADDRESS_MAX
from mic_desktop.ui.common.colours import ERROR_TEXT
from mic_desktop.ui.common.date_field import DateField
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.tasks import run_task
from mic_desktop.ui.common.text_limits import limit_line

_SEX_LABELS = {
    Sex.UNKNOWN: "Not stated",
    Sex.FEMALE: "Female",
    Sex.MALE: "Male",
    Sex.OTHER: "Other",
}
# Service field names -> the form field a message is shown under.
_FIELD_ALIASES = {"medical_aid_plan_id": "medical_aid_member_number", "sex": "first_name"}


class PatientDialog(QDialog):
    """``saved`` carries the PatientDetails once registered or updated."""

    saved = Signal(object)
    open_existing = Signal(object)  # PatientSummary: the duplicate the person chose instead

    def __init__(
        self,
        patients: PatientService,
        existing: PatientDetails | None = None,
        parent: QWidget | None = None,
        *,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        super().__init__(parent)
        self._patients = patients
        self._existing = existing
        self._busy = False
        self.setWindowTitle("Edit patient" if existing else "New patient")
        self.setMinimumWidth(560)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)

        self.first_name = self._line(form, "first_name", "&First name")
        self.last_name = self._line(form, "last_name", "&Last name")
        self.date_of_birth = DateField(today)
        self.date_of_birth.setObjectName("date_of_birth")
        self._add(form, "date_of_birth", "&Date of birth", self.date_of_birth)
        self.errors["date_of_birth"] = self.date_of_birth.error
        self.sex = QComboBox()
        for sex, label in _SEX_LABELS.items():
            self.sex.addItem(label, sex.value)
        self._add(form, "sex", "Se&x", self.sex)
        self.phone = self._line(form, "phone", "&Phone")
        self.phone.setPlaceholderText("Any format, e.g. 077 123 4567")
        self.email = self._line(form, "email", "&E-mail")
        self.national_id = self._line(form, "national_id", "National &ID")
        self.address = limit_line(self._line(form, "address", "&Address"), ADDRESS_MAX)
        self.plan = QComboBox()
        self.plan.addItem("No medical aid (private)", None)
        self._add(form, "medical_aid_plan_id", "&Medical aid", self.plan)
        self.member_number = self._line(form, "medical_aid_member_number", "Member &number")
        opt_row = QHBoxLayout()
        self.sms_opt_in = QCheckBox("SMS")
        self.sms_opt_in.setChecked(True)
        self.email_opt_in = QCheckBox("E-mail")
        self.email_opt_in.setChecked(True)
        opt_row.addWidget(self.sms_opt_in)
        opt_row.addWidget(self.email_opt_in)
        opt_row.addStretch(1)
        form.addRow("Messages", opt_row)

        self.duplicate_box = QFrame()
        self.duplicate_box.setObjectName("DuplicateWarning")
        self.duplicate_box.setStyleSheet(
            "#DuplicateWarning { background: #fff4e5; border: 1px solid #f0b35a; "
            "border-radius: 6px; }"
        )
        dup_layout = QVBoxLayout(self.duplicate_box)
        self.duplicate_text = QLabel()
        self.duplicate_text.setWordWrap(True)
        dup_buttons = QHBoxLayout()
        self._duplicates: tuple[PatientSummary, ...] = ()
        self.open_existing_button = QPushButton("Open the registered patient")
        self.open_existing_button.setObjectName("OpenExistingPatient")
        self.open_existing_button.clicked.connect(self._open_existing)
        # A duplicate record is created only by a deliberate click: no Enter, no mnemonic.
        self.register_anyway = QPushButton("Register anyway")
        self.register_anyway.setAutoDefault(False)
        self.register_anyway.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.register_anyway.clicked.connect(lambda: self._save(allow_duplicate=True))
        dup_buttons.addWidget(self.open_existing_button)
        dup_buttons.addWidget(self.register_anyway)
        dup_buttons.addStretch(1)
        dup_layout.addWidget(self.duplicate_text)
        dup_layout.addLayout(dup_buttons)
        self.duplicate_box.hide()

        self.general_error = QLabel()
        self.general_error.setStyleSheet(f"color: {ERROR_TEXT};")
        self.general_error.setWordWrap(True)
        self.general_error.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Save" if existing else "Register")
        self.buttons.accepted.connect(lambda: self._save(allow_duplicate=False))
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.duplicate_box)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)
        self.save_button.setDefault(True)  # only once the button sits in the dialog
        if existing is not None:
            self._fill(existing)
        run_task(self._patients.medical_aid_plans, self._plans_loaded, receiver=self)

    # -- building ---------------------------------------------------------------------

    def _line(self, form: QFormLayout, name: str, label: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        self._add(form, name, label, edit)
        return edit

    def _add(self, form: QFormLayout, name: str, text: str, widget: QWidget) -> None:
        label = QLabel(text)
        label.setBuddy(widget)  # the & in the text is then a shortcut, not a character
        error = QLabel()
        error.setObjectName(f"{name}_error")
        error.setStyleSheet(f"color: {ERROR_TEXT};")
        error.setWordWrap(True)
        error.hide()
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(widget)
        box.addWidget(error)
        form.addRow(label, box)
        self.fields[name] = widget
        self.errors[name] = error

    def _fill(self, p: PatientDetails) -> None:
        self.first_name.setText(p.first_name)
        self.last_name.setText(p.last_name)
        self.date_of_birth.setDate(p.date_of_birth)
        self.sex.setCurrentIndex(max(0, self.sex.findData(p.sex)))
        self.phone.setText(p.phone_display or p.phone or "")
        self.email.setText(p.email or "")
        self.national_id.setText(p.national_id or "")
        self.address.setText(p.address or "")
        self.member_number.setText(p.medical_aid_member_number or "")
        self.sms_opt_in.setChecked(p.sms_opt_in)
        self.email_opt_in.setChecked(p.email_opt_in)

    def _plans_loaded(self, plans: list[PlanOption]) -> None:
        for plan in plans:
            self.plan.addItem(plan.name, plan.id)
        # Long plan names get the width they need (the dialog grows a little for them).
        self.plan.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.plan.setToolTip(self.plan.currentText())
        self.plan.currentTextChanged.connect(self.plan.setToolTip)
        if self._existing is not None and self._existing.medical_aid_plan_id is not None:
            self.plan.setCurrentIndex(
                max(0, self.plan.findData(self._existing.medical_aid_plan_id))
            )

    # -- saving -----------------------------------------------------------------------

    def data(self, born: dt.date) -> PatientInput:
        return PatientInput(
            first_name=self.first_name.text(),
            last_name=self.last_name.text(),
            date_of_birth=born,
            sex=self.sex.currentData(),
            phone=self.phone.text().strip() or None,
            email=self.email.text().strip() or None,
            national_id=self.national_id.text().strip() or None,
            address=self.address.text().strip() or None,
            medical_aid_plan_id=self.plan.currentData(),
            medical_aid_member_number=self.member_number.text().strip() or None,
            sms_opt_in=self.sms_opt_in.isChecked(),
            email_opt_in=self.email_opt_in.isChecked(),
        )

    def clear_errors(self) -> None:
        for label in self.errors.values():
            label.hide()
        self.general_error.hide()

    def _save(self, *, allow_duplicate: bool) -> None:
        if self._busy:
            return
        self.clear_errors()
        self.duplicate_box.hide()
        self.save_button.setDefault(True)
        if not self.date_of_birth.check():
            self.date_of_birth.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        born = self.date_of_birth.date()
        if born is None:
            self.date_of_birth.show_error("Enter the date of birth, e.g. 15/06/1985.")
            self.date_of_birth.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        data = self.data(born)
        existing = self._existing
        if existing is None:
            work = lambda: self._patients.register(data, allow_duplicate=allow_duplicate)  # noqa: E731
        else:
            work = lambda: self._patients.update(  # noqa: E731
                existing.id, data, existing.version, allow_duplicate=allow_duplicate
            )
        self._set_busy(True)
        run_task(work, self._saved, self._refused, receiver=self)

    def _open_existing(self) -> None:
        if self._duplicates:
            self.open_existing.emit(self._duplicates[0])
            self.reject()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.save_button.setEnabled(not busy)
        self.register_anyway.setEnabled(not busy)

    def _saved(self, details: PatientDetails) -> None:
        self._set_busy(False)
        self.saved.emit(details)
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, PossibleDuplicateError):
            self._duplicates = error.candidates
            first = error.candidates[0]
            self.duplicate_text.setText(
                str(error).removesuffix(" Register anyway?")
                + " Open the registered patient (Enter), or register a new one anyway."
            )
            self.open_existing_button.setText(f"&Open {first.full_name} ({first.mrn})")
            self.duplicate_box.show()
            self.save_button.setDefault(False)
            self.open_existing_button.setDefault(True)
            self.open_existing_button.setFocus()
            return
        if isinstance(error, ValidationError) and error.field:
            name = _FIELD_ALIASES.get(error.field, error.field)
            if name in self.errors:
                self.errors[name].setText(str(error))
                self.errors[name].show()
                self.fields[name].setFocus(Qt.FocusReason.OtherFocusReason)
                return
        text = describe_error(error)
        if isinstance(error, StaleRecordError):
            text += " Close this dialog and open the patient again to see the latest."
        self.general_error.setText(text)
        self.general_error.show()
