"""The addendum dialog and the small pieces the report dialogs share.

The addendum dialog saves through the report service itself, so a refused
replacement PDF (wrong type, encrypted, empty, too large, another patient's) is said
next to the file and nothing is stored; a replacement PDF that does not name the
patient is saved only once "This is the right patient's report" is ticked with a
reason. Ctrl+Enter signs and adds; the dialog closes only when the addendum is saved.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import ReportDelivery
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.reporting.detail import ReportDetail
from mic_desktop.services.reporting.identity import IdentityConfirmationRequiredError
from mic_desktop.services.reporting.reports import ReportService
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.tasks import run_task

from . import context


def field_error() -> QLabel:
    """A red line under a field, hidden until it has something to say."""
    label = QLabel()
    label.setProperty("role", "field-error")
    label.setWordWrap(True)
    label.hide()
    return label


def show_text(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class AddendumDialog(QDialog):
    """Write a dated, signed addendum to a final report, optionally with a replacement PDF."""

    added = Signal(object)  # the ReportDetail after the addendum

    def __init__(
        self,
        service: ReportService,
        detail: ReportDetail,
        username: str,
        pdf: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._report_id = detail.id
        self._username = username
        self._delivers = detail.delivers
        self.pdf_path: Path | None = None
        self.setWindowTitle("Add an addendum")
        self.setMinimumWidth(600)
        self.resize(640, 420)
        explain = QLabel(
            f"The report for {detail.patient_name} ({detail.scan_type}) is final and stays as "
            "it is. The addendum is added below it, dated and signed with your name."
        )
        explain.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("The correction or the additional finding")
        self.text.setMinimumHeight(140)
        self.text_error = field_error()
        self.pdf_label = QLabel()
        self.pdf_label.setProperty("role", "muted")
        self.pdf_label.setWordWrap(True)
        self.choose_button = QPushButton(icon("mdi6.paperclip"), "Replacement PDF…")
        self.choose_button.clicked.connect(self.choose_pdf)
        self.clear_button = QPushButton("Remove")
        self.clear_button.clicked.connect(lambda: self.set_pdf(None))
        self.pdf_error = field_error()
        pdf_row = QHBoxLayout()
        pdf_row.addWidget(self.choose_button)
        pdf_row.addWidget(self.clear_button)
        pdf_row.addStretch(1)
        self.identity_box = QWidget()
        identity = QVBoxLayout(self.identity_box)
        identity.setContentsMargins(0, 0, 0, 0)
        self.identity_message = QLabel()
        self.identity_message.setProperty("role", "error")
        self.identity_message.setWordWrap(True)
        self.identity_confirm = QCheckBox("This is the right patient's report")
        self.identity_reason = QLineEdit()
        self.identity_reason.setPlaceholderText("Why you are sure")
        identity.addWidget(self.identity_message)
        identity.addWidget(self.identity_confirm)
        identity.addWidget(self.identity_reason)
        self.identity_box.hide()
        self.error = field_error()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton(
            "Sign and add", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setDefault(True)
        self.save_button.setToolTip("Sign and add the addendum (Ctrl+Enter)")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.save)
        self.text.installEventFilter(self)  # the text box keeps Ctrl+Enter for itself
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addWidget(self.text)
        layout.addWidget(self.text_error)
        layout.addLayout(pdf_row)
        layout.addWidget(self.pdf_label)
        layout.addWidget(self.pdf_error)
        layout.addWidget(self.identity_box)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.set_pdf(pdf)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.text
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.save()
            return True
        return super().eventFilter(watched, event)

    def set_pdf(self, path: Path | None) -> None:
        self.pdf_path = path
        show_text(self.pdf_error, "")
        self.identity_box.hide()
        self.identity_confirm.setChecked(False)
        self.identity_reason.clear()
        self.clear_button.setVisible(path is not None)
        if path is None:
            self.pdf_label.setText("No replacement PDF (optional)")
        elif self._delivers is ReportDelivery.ATTACHED_PDF:
            self.pdf_label.setText(
                f"Replacement PDF: {path.name} — it replaces the delivered PDF from now on."
            )
        else:
            self.pdf_label.setText(
                f"Replacement PDF: {path.name} — delivered as the appendix of the typed report."
            )

    def _grow_to_fit(self) -> None:
        """Make room for lines that appeared (the wrapped labels need height for their width)."""
        layout = self.layout()
        layout.activate()
        needed = layout.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def choose_pdf(self) -> None:
        path = context.choose_pdf_file(self, self._username)
        if path is not None:
            self.set_pdf(path)

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return  # already saving
        body = self.text.toPlainText().strip()
        for label in (self.text_error, self.pdf_error, self.error):
            show_text(label, "")
        if not body:
            show_text(self.text_error, "Write the addendum before saving it.")
            self.text.setFocus()
            return
        reason = None
        if self.identity_box.isVisible():
            reason = self.identity_reason.text().strip()
            if not self.identity_confirm.isChecked() or not reason:
                show_text(self.error, "Tick “This is the right patient's report” and say why.")
                return
        self.save_button.setEnabled(False)
        service, report_id, path = self._service, self._report_id, self.pdf_path

        def work() -> ReportDetail:
            if path is None:
                return service.add_addendum(report_id, body)
            return service.add_addendum(
                report_id,
                body,
                pdf=service.read_pdf_file(path),
                pdf_filename=path.name,
                identity_confirmation=reason,
            )

        run_task(work, self._saved, self._failed, receiver=self)

    def _saved(self, detail: ReportDetail) -> None:
        self.added.emit(detail)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, OSError):
            show_text(self.pdf_error, f"This file cannot be read: {error.strerror or error}.")
        elif isinstance(error, IdentityConfirmationRequiredError):
            self.identity_message.setText(str(error))
            self.identity_box.show()
            self.identity_confirm.setFocus()
            self._grow_to_fit()
        elif isinstance(error, ValidationError) and error.field == "pdf":
            show_text(self.pdf_error, str(error))
        elif isinstance(error, ValidationError) and error.field == "addendum":
            show_text(self.text_error, str(error))
        else:
            show_text(self.error, describe_error(error))


def read_only_text(parent: QWidget | None = None) -> QPlainTextEdit:
    edit = QPlainTextEdit(parent)
    edit.setReadOnly(True)
    edit.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return edit
