"""The decisions a report needs: finalising (with an optional critical finding) and addenda.

The addendum dialog saves through the report service itself, so a refused
replacement PDF (wrong type, encrypted, empty, too large) is said next to the
file and nothing is stored; the dialog closes only when the addendum is saved.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.errors import ValidationError
from mic_desktop.services.reporting.detail import ReportDetail
from mic_desktop.services.reporting.reports import ReportService
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.tasks import run_task

from . import context


def _field_error() -> QLabel:
    label = QLabel()
    label.setProperty("role", "field-error")
    label.setWordWrap(True)
    label.hide()
    return label


def _show(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class FinaliseDialog(QDialog):
    """Confirm signing; optionally flag a critical finding with its description."""

    def __init__(self, detail: ReportDetail, signer: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Finalise the report")
        self.setMinimumWidth(520)
        headline = QLabel(f"Sign and finalise the report for {detail.patient_name}?")
        headline.setProperty("role", "section-title")
        explain = QLabel(
            f"{detail.scan_type} · {detail.reference}\n"
            f"The report will be signed “{signer}” with today's date and time and locked: "
            "later corrections are added as addenda. The patient and the referring doctor "
            "are told it is ready."
        )
        explain.setWordWrap(True)
        self.critical = QCheckBox("Flag a critical finding (the referring doctor must be told)")
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText(
            "What was found, e.g. “Large right-sided tension pneumothorax”"
        )
        self.description.setFixedHeight(90)
        self.description.setEnabled(False)
        self.description_error = _field_error()
        self.critical.toggled.connect(self.description.setEnabled)
        self.critical.toggled.connect(lambda on: on and self.description.setFocus())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_button = self.buttons.addButton(
            "Sign and finalise", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_button.setIcon(icon("mdi6.draw-pen"))
        self.sign_button.setDefault(True)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(explain)
        layout.addSpacing(8)
        layout.addWidget(self.critical)
        layout.addWidget(self.description)
        layout.addWidget(self.description_error)
        layout.addWidget(self.buttons)

    def critical_finding(self) -> str | None:
        if not self.critical.isChecked():
            return None
        return self.description.toPlainText().strip() or None

    def _check(self) -> None:
        if self.critical.isChecked() and not self.description.toPlainText().strip():
            _show(self.description_error, "Describe the critical finding, or untick the flag.")
            self.description.setFocus()
            return
        self.accept()


class AddendumDialog(QDialog):
    """Write a dated, signed addendum to a final report, optionally with a replacement PDF."""

    added = Signal(object)  # the ReportDetail after the addendum

    def __init__(
        self,
        service: ReportService,
        detail: ReportDetail,
        pdf: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._report_id = detail.id
        self.pdf_path: Path | None = None
        self.setWindowTitle("Add an addendum")
        self.setMinimumWidth(560)
        explain = QLabel(
            f"The report for {detail.patient_name} ({detail.scan_type}) is final and stays as "
            "it is. The addendum is added below it, dated and signed with your name."
        )
        explain.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("The correction or the additional finding")
        self.text.setMinimumHeight(140)
        self.text_error = _field_error()
        self.pdf_label = QLabel("No replacement PDF (optional)")
        self.pdf_label.setProperty("role", "muted")
        self.choose_button = QPushButton(icon("mdi6.paperclip"), "Replacement PDF…")
        self.choose_button.clicked.connect(self.choose_pdf)
        self.clear_button = QPushButton("Remove")
        self.clear_button.clicked.connect(lambda: self.set_pdf(None))
        self.pdf_error = _field_error()
        pdf_row = QHBoxLayout()
        pdf_row.addWidget(self.pdf_label, 1)
        pdf_row.addWidget(self.choose_button)
        pdf_row.addWidget(self.clear_button)
        self.error = _field_error()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton(
            "Sign and add", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addWidget(self.text)
        layout.addWidget(self.text_error)
        layout.addLayout(pdf_row)
        layout.addWidget(self.pdf_error)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.set_pdf(pdf)

    def set_pdf(self, path: Path | None) -> None:
        self.pdf_path = path
        _show(self.pdf_error, "")
        self.clear_button.setVisible(path is not None)
        if path is None:
            self.pdf_label.setText("No replacement PDF (optional)")
        else:
            self.pdf_label.setText(f"Replacement PDF: {path.name}")

    def choose_pdf(self) -> None:
        path = context.choose_pdf_file(self)
        if path is not None:
            self.set_pdf(path)

    def save(self) -> None:
        body = self.text.toPlainText().strip()
        for label in (self.text_error, self.pdf_error, self.error):
            _show(label, "")
        if not body:
            _show(self.text_error, "Write the addendum before saving it.")
            self.text.setFocus()
            return
        self.save_button.setEnabled(False)
        service, report_id, path = self._service, self._report_id, self.pdf_path

        def work() -> ReportDetail:
            if path is None:
                return service.add_addendum(report_id, body)
            return service.add_addendum(
                report_id, body, pdf=path.read_bytes(), pdf_filename=path.name
            )

        run_task(work, self._saved, self._failed, receiver=self)

    def _saved(self, detail: ReportDetail) -> None:
        self.added.emit(detail)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, OSError):
            _show(self.pdf_error, f"This file cannot be read: {error.strerror or error}.")
        elif isinstance(error, ValidationError) and error.field == "pdf":
            _show(self.pdf_error, str(error))
        elif isinstance(error, ValidationError) and error.field == "addendum":
            _show(self.text_error, str(error))
        else:
            _show(self.error, describe_error(error))


def read_only_text(parent: QWidget | None = None) -> QPlainTextEdit:
    edit = QPlainTextEdit(parent)
    edit.setReadOnly(True)
    edit.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return edit
