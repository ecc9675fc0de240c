"""Adding a referring doctor from the booking dialog, without leaving it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QWidget

from mic_desktop.services.scheduling.referring_doctors import DoctorInfo
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.tasks import run_task

from .context import ReceptionContext
from .fields import error_label


class DoctorDialog(QDialog):
    """Quick add of a referring doctor."""

    added = Signal(object)  # DoctorInfo

    def __init__(self, context: ReceptionContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.setWindowTitle("Add referring doctor")
        self.full_name = QLineEdit()
        self.practice_name = QLineEdit()
        self.practice_number = QLineEdit()
        self.phone = QLineEdit()
        self.error = error_label("doctor")
        form = QFormLayout(self)
        form.addRow("&Name", self.full_name)
        form.addRow("&Practice", self.practice_name)
        form.addRow("Practice &number", self.practice_number)
        form.addRow("P&hone", self.phone)
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _save(self) -> None:
        name, practice = self.full_name.text(), self.practice_name.text()
        number, phone = self.practice_number.text(), self.phone.text()
        run_task(
            lambda: self._context.doctors.add(
                name, practice_name=practice, practice_number=number, phone=phone
            ),
            self._saved,
            lambda e: (self.error.setText(describe_error(e)), self.error.show()),
            receiver=self,
        )

    def _saved(self, doctor: DoctorInfo) -> None:
        self.added.emit(doctor)
        self.accept()
