"""The DICOM service's settings on the manager's Scanners page: which PC runs it, its
AE title and port, whether unknown scanners are let in, and the clinic's UID root.

The PC named here starts the service when someone logs in on it (or runs
``mic-desktop dicom serve``); "This PC" fills in the name of the PC in front of the
manager. A stale save is refused with who saved and when.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.dicom.settings import DicomSettings, DicomSettingsService
from mic_desktop.ui.common.tasks import run_task

from .forms import FieldForm, Notice


class DicomServiceBox(QGroupBox):
    """The service's settings with their own Save."""

    saved = Signal(object)  # DicomSettings

    def __init__(
        self, service: DicomSettingsService, this_pc: str, parent: QWidget | None = None
    ) -> None:
        super().__init__("DICOM service (worklist and MPPS for the scanners)", parent)
        self._service = service
        self._this_pc = this_pc
        self.settings: DicomSettings | None = None
        self.dirty = False  # unsaved edits: a reload from another desk leaves them be
        self._filling = False
        self.notice = Notice()
        self.form = FieldForm()
        self.enabled = QCheckBox("Answer the scanners from one PC of the clinic")
        self.workstation = QLineEdit()
        self.workstation.setPlaceholderText("PC name")
        self.workstation.setMaxLength(64)
        self.use_this_pc = QPushButton("This PC")
        self.use_this_pc.setToolTip(f"Run the service on this PC ({this_pc})")
        self.use_this_pc.clicked.connect(lambda: self.workstation.setText(self._this_pc))
        pc_row = QWidget()
        row = QHBoxLayout(pc_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.workstation, 1)
        row.addWidget(self.use_this_pc)
        self.ae_title = QLineEdit()
        self.ae_title.setMaxLength(16)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setMaximumWidth(120)
        self.allow_any = QCheckBox("Let in scanners that are not in the list above")
        self.uid_root = QLineEdit()
        self.uid_root.setMaxLength(44)
        self.form.add_field("enabled", "", self.enabled)
        self.form.add_field(
            "workstation",
            "Runs on PC",
            pc_row,
            "That PC starts the service when someone logs in on it; a server can run "
            "`mic-desktop dicom serve` instead.",
        )
        self.form.add_field("ae_title", "AE title", self.ae_title, "What the scanners call.")
        self.form.add_field("port", "Port", self.port)
        self.form.add_field("allow_any_ae", "", self.allow_any)
        self.form.add_field(
            "uid_root",
            "UID root",
            self.uid_root,
            "Study Instance UIDs of new appointments start with it; existing ones never change.",
        )
        self.save_button = QPushButton("Save DICOM settings")
        self.save_button.clicked.connect(self.save)
        self.enabled.toggled.connect(self._enable_fields)
        for signal in (
            self.enabled.toggled,
            self.allow_any.toggled,
            self.workstation.textChanged,
            self.ae_title.textChanged,
            self.uid_root.textChanged,
            self.port.valueChanged,
        ):
            signal.connect(self._edited)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(self.form.general)
        layout.addLayout(self.form)
        layout.addLayout(buttons)

    def refresh(self) -> None:
        if not self.dirty:
            run_task(self._service.get, self._reloaded, self.notice_error, receiver=self)

    def _reloaded(self, settings: DicomSettings) -> None:
        if not self.dirty:  # edited while the reload was on its way
            self.fill(settings)

    def _edited(self) -> None:
        if not self._filling:
            self.dirty = True

    def fill(self, settings: DicomSettings) -> None:
        self._filling = True
        self.settings = settings
        self.enabled.setChecked(settings.enabled)
        self.workstation.setText(settings.workstation or "")
        self.ae_title.setText(settings.ae_title)
        self.port.setValue(settings.port)
        self.allow_any.setChecked(settings.allow_any_ae)
        self.uid_root.setText(settings.uid_root)
        self._enable_fields()
        self._filling = False
        self.dirty = False

    def _enable_fields(self) -> None:
        on = self.enabled.isChecked()
        self.workstation.setEnabled(on)
        self.use_this_pc.setEnabled(on)
        if on and not self.workstation.text().strip():
            self.workstation.setText(self._this_pc)

    def save(self) -> None:
        service = self._service
        values = {
            "workstation": self.workstation.text() if self.enabled.isChecked() else None,
            "ae_title": self.ae_title.text(),
            "port": self.port.value(),
            "allow_any_ae": self.allow_any.isChecked(),
            "uid_root": self.uid_root.text(),
            "expected_version": self.settings.version if self.settings else None,
        }
        self.form.clear_errors()
        self.notice.clear()
        self.save_button.setEnabled(False)
        run_task(lambda: service.update(**values), self._saved, self._failed, receiver=self)

    def _saved(self, settings: DicomSettings) -> None:
        self.save_button.setEnabled(True)
        self.fill(settings)
        where = (
            f"runs on {settings.workstation} as {settings.ae_title}, port {settings.port}"
            if settings.enabled
            else "is off"
        )
        self.notice.success(f"Saved: the DICOM service {where}.")
        self.saved.emit(settings)

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.form.show_error(error)

    def notice_error(self, error: BaseException) -> None:
        self.notice.error(str(error))
