"""Finalising a report: choose the document of record, see exactly what leaves, sign.

The right half previews the delivered file page by page, made by the same service
code that hands it out later (:meth:`ReportService.preview`, rendered with pdfium).
With a PDF attached and text typed the radiologist must first choose which one is
the report; a PDF that does not name the patient needs "This is the right patient's
report" ticked and a reason. The sign button says what it delivers and is enabled
only while the preview on screen is the current one. The dialog finalises through
the service itself and closes only when the report is signed.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import ReportDelivery
from mic_desktop.services.documents.page_images import PageImage, render_pages
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.reporting.detail import ReportDetail
from mic_desktop.services.reporting.finalising import DeliveryPreview
from mic_desktop.services.reporting.identity import IdentityConfirmationRequiredError
from mic_desktop.services.reporting.reports import ReportService
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.tasks import run_task

from .dialogs import field_error, show_text
from .pdf_preview import PdfPagesView

REFRESH_MS = 500  # after the critical finding's text stops changing
SIGN_TEXT = {
    ReportDelivery.REPORT: "Sign and deliver the typed report",
    ReportDelivery.ATTACHED_PDF: "Sign and deliver the attached PDF",
    ReportDelivery.REPORT_WITH_APPENDIX: "Sign and deliver the report + PDF appendix",
}


class FinaliseDialog(QDialog):
    """Choose what is delivered, preview it, flag a critical finding, sign."""

    finalised = Signal(object)  # the ReportDetail once signed

    def __init__(
        self,
        service: ReportService,
        detail: ReportDetail,
        findings: str,
        impression: str,
        signer: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._detail = detail
        self._findings = findings
        self._impression = impression
        self._generation = 0
        self._requested_critical: str | None = None
        self.preview: DeliveryPreview | None = None  # the one on screen, when current
        self.page_images: list[PageImage] = []
        document = detail.current_document
        self._pdf_name = document.filename if document is not None else ""
        self._has_text = bool(findings.strip() or impression.strip())
        self.needs_choice = document is not None and self._has_text
        self.setWindowTitle("Finalise the report")
        self.setMinimumSize(900, 560)
        self.resize(1200, 700)
        self._refresh = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._refresh.timeout.connect(self.request_preview)
        self._build(detail, signer)
        self._update_sign_button()
        self._shown = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown:  # the pages are drawn as wide as the laid-out column
            self._shown = True
            QTimer.singleShot(0, self.request_preview)

    # -- building ---------------------------------------------------------------------

    def _build(self, detail: ReportDetail, signer: str) -> None:
        headline = QLabel(f"Sign and finalise the report for {detail.patient_name}?")
        headline.setProperty("role", "section-title")
        headline.setWordWrap(True)
        explain = QLabel(
            f"{detail.scan_type} · {detail.reference} · MRN {detail.mrn}\n"
            f"The report will be signed “{signer}” with today's date and time and locked: "
            "later corrections are added as addenda. The patient and the referring doctor "
            "are told it is ready."
        )
        explain.setWordWrap(True)

        left = QVBoxLayout()
        left.addWidget(headline)
        left.addWidget(explain)
        left.addSpacing(6)
        left.addWidget(self._section("What is delivered"))
        left.addWidget(self._build_choice())
        self.choice_error = field_error()
        left.addWidget(self.choice_error)
        left.addWidget(self._build_identity())
        left.addSpacing(6)
        self.critical = QCheckBox("Flag a critical finding (the referring doctor must be told)")
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText(
            "What was found, e.g. “Large right-sided tension pneumothorax”"
        )
        self.description.setFixedHeight(76)
        self.description.setEnabled(False)
        self.description_error = field_error()
        self.critical.toggled.connect(self.description.setEnabled)
        self.critical.toggled.connect(lambda on: on and self.description.setFocus())
        self.critical.toggled.connect(lambda _on: self._text_changed())
        self.description.textChanged.connect(self._text_changed)
        left.addWidget(self.critical)
        left.addWidget(self.description)
        left.addWidget(self.description_error)
        left.addStretch(1)
        self.error = field_error()
        left.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_button = self.buttons.addButton(
            "Sign and finalise", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_button.setIcon(icon("mdi6.draw-pen"))
        self.sign_button.setDefault(True)
        self.buttons.accepted.connect(self.sign)
        self.buttons.rejected.connect(self.reject)
        left.addWidget(self.buttons)

        self.preview_title = self._section("Preview: exactly what will be delivered")
        self.pages = PdfPagesView()
        self.pages.show_message("Preparing the preview…")
        right = QVBoxLayout()
        right.addWidget(self.preview_title)
        right.addWidget(self.pages, 1)

        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setMinimumWidth(460)
        left_widget.setMaximumWidth(520)
        layout = QHBoxLayout(self)
        layout.addWidget(left_widget)
        layout.addLayout(right, 1)

    def _section(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setProperty("role", "section-title")
        return label

    def _build_choice(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.deliver_pdf = QRadioButton(f"The attached PDF “{self._pdf_name}”")
        self.keep_note = QRadioButton("Keep my typed text as a private note (not delivered)")
        self.clear_text = QRadioButton("Clear my typed text")
        self.deliver_appendix = QRadioButton("My typed report, with the PDF as an appendix")
        self.choice = QButtonGroup(self)
        for button in (self.deliver_pdf, self.deliver_appendix):
            self.choice.addButton(button)
        self.text_choice = QButtonGroup(self)
        for button in (self.keep_note, self.clear_text):
            self.text_choice.addButton(button)
        self.keep_note.setChecked(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        if self.needs_choice:
            self.summary.setText(
                "A PDF is attached and findings are typed; only one can be the report. "
                "Choose which one is delivered:"
            )
            note_box = QVBoxLayout()
            note_box.setContentsMargins(26, 0, 0, 0)
            note_box.addWidget(self.keep_note)
            note_box.addWidget(self.clear_text)
            layout.addWidget(self.summary)
            layout.addWidget(self.deliver_pdf)
            layout.addLayout(note_box)
            layout.addWidget(self.deliver_appendix)
        else:
            if self._pdf_name:
                self.summary.setText(f"The attached PDF “{self._pdf_name}”.")
            else:
                self.summary.setText("The report generated from your findings and impression.")
            layout.addWidget(self.summary)
        for button in (self.deliver_pdf, self.deliver_appendix):
            button.toggled.connect(self._choice_changed)
        for button in (self.keep_note, self.clear_text):
            button.setEnabled(False)
        return box

    def _build_identity(self) -> QWidget:
        self.identity_box = QWidget()
        layout = QVBoxLayout(self.identity_box)
        layout.setContentsMargins(0, 6, 0, 0)
        self.identity_message = QLabel()
        self.identity_message.setWordWrap(True)
        self.identity_message.setProperty("role", "error")
        self.identity_confirm = QCheckBox("This is the right patient's report")
        self.identity_reason = QLineEdit()
        self.identity_reason.setPlaceholderText(
            "Why you are sure, e.g. “My dictation for this exam, printed without labels”"
        )
        self.identity_reason.setEnabled(False)
        self.identity_confirm.toggled.connect(self.identity_reason.setEnabled)
        self.identity_confirm.toggled.connect(lambda on: on and self.identity_reason.setFocus())
        self.identity_error = field_error()
        layout.addWidget(self.identity_message)
        layout.addWidget(self.identity_confirm)
        layout.addWidget(self.identity_reason)
        layout.addWidget(self.identity_error)
        self.identity_box.hide()
        return self.identity_box

    # -- the choice and the preview ----------------------------------------------------

    def delivery(self) -> ReportDelivery | None:
        """What the radiologist chose (None while a needed choice is not made)."""
        if not self.needs_choice:
            return ReportDelivery.ATTACHED_PDF if self._pdf_name else ReportDelivery.REPORT
        if self.deliver_pdf.isChecked():
            return ReportDelivery.ATTACHED_PDF
        if self.deliver_appendix.isChecked():
            return ReportDelivery.REPORT_WITH_APPENDIX
        return None

    def keep_private_note(self) -> bool:
        return not self.clear_text.isChecked()

    def critical_finding(self) -> str | None:
        if not self.critical.isChecked():
            return None
        return self.description.toPlainText().strip() or None

    def _choice_changed(self) -> None:
        pdf = self.deliver_pdf.isChecked()
        for button in (self.keep_note, self.clear_text):
            button.setEnabled(pdf)
        show_text(self.choice_error, "")
        self.request_preview()

    def _text_changed(self) -> None:
        show_text(self.description_error, "")
        if self.delivery() is ReportDelivery.ATTACHED_PDF:
            return  # the attached PDF does not print the critical finding
        if self.preview is not None and self._requested_critical == self.critical_finding():
            self._refresh.stop()  # what the preview on screen already shows
            return
        self._invalidate()
        self._refresh.start()

    def _invalidate(self) -> None:
        self._generation += 1
        self.preview = None
        self._update_sign_button()

    def request_preview(self) -> None:
        """Make the preview for the current choices (a newer request wins)."""
        self._invalidate()
        delivery = self.delivery()
        if delivery is None:
            self.pages.show_message(
                "Choose on the left which document is delivered: its pages appear here."
            )
            self.preview_title.setText("Preview: exactly what will be delivered")
            return
        self.pages.show_message("Preparing the preview…")
        generation = self._generation
        service, report_id = self._service, self._detail.id
        findings, impression = self._findings, self._impression
        critical = self.critical_finding()
        self._requested_critical = critical
        width = self.pages.page_width()

        def work() -> tuple[DeliveryPreview, list[PageImage]]:
            preview = service.preview(
                report_id,
                findings=findings,
                impression=impression,
                delivery=delivery,
                critical_finding=critical,
            )
            return preview, render_pages(preview.pdf.content, width)

        run_task(
            work,
            lambda result: self._preview_ready(generation, *result),
            lambda error: self._preview_failed(generation, error),
            receiver=self,
        )

    def _preview_ready(
        self, generation: int, preview: DeliveryPreview, images: list[PageImage]
    ) -> None:
        if generation != self._generation:
            return
        self.preview = preview
        self.page_images = images
        count = preview.pdf.page_count
        self.preview_title.setText(
            f"Preview: exactly what will be delivered ({count} page{'s' if count != 1 else ''})"
        )
        self.pages.show_pages(images)
        needs = preview.needs_identity_confirmation
        self.identity_box.setVisible(needs)
        if needs:
            self.identity_message.setText(preview.identity_message or "")
        self._update_sign_button()

    def _preview_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self.pages.show_message(
            f"{describe_error(error)}\nClose this window and correct it in the report.",
            error=True,
        )
        self.preview_title.setText("Preview: not available")
        self._update_sign_button()

    def _update_sign_button(self) -> None:
        delivery = self.delivery()
        text = SIGN_TEXT[delivery] if delivery is not None else "Sign and finalise"
        if self.preview is not None:
            count = self.preview.pdf.page_count
            text += f" ({count} page{'s' if count != 1 else ''})"
        self.sign_button.setText(text)
        self.sign_button.setEnabled(self.preview is not None)
        self.sign_button.setToolTip(
            "" if self.preview is not None else "Available once the preview is shown"
        )

    # -- signing ------------------------------------------------------------------------

    def sign(self) -> None:
        for label in (self.description_error, self.identity_error, self.error):
            show_text(label, "")
        if self.preview is None:
            return
        if self.critical.isChecked() and not self.description.toPlainText().strip():
            show_text(self.description_error, "Describe the critical finding, or untick the flag.")
            self.description.setFocus()
            return
        reason = None
        if self.preview.needs_identity_confirmation:
            reason = self.identity_reason.text().strip()
            if not self.identity_confirm.isChecked() or not reason:
                show_text(
                    self.identity_error,
                    "Tick “This is the right patient's report” and say why, or close this "
                    "window and attach the right PDF.",
                )
                return
        self.sign_button.setEnabled(False)
        detail, delivery = self._detail, self.delivery()
        findings, impression, critical = self._findings, self._impression, self.critical_finding()
        keep, service = self.keep_private_note(), self._service
        run_task(
            lambda: service.finalise(
                detail.id,
                findings=findings,
                impression=impression,
                expected_version=detail.version,
                critical_finding=critical,
                delivery=delivery,
                keep_private_note=keep,
                identity_confirmation=reason,
            ),
            self._signed,
            self._failed,
            receiver=self,
        )

    def _signed(self, detail: ReportDetail) -> None:
        self.finalised.emit(detail)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._update_sign_button()
        if isinstance(error, IdentityConfirmationRequiredError):
            self.identity_box.show()
            self.identity_message.setText(str(error))
            show_text(self.identity_error, "Confirm it with a reason to sign.")
        elif isinstance(error, ValidationError) and error.field == "critical_finding":
            show_text(self.description_error, str(error))
        elif isinstance(error, ValidationError) and error.field == "delivery":
            show_text(self.choice_error, str(error))
        else:
            show_text(self.error, describe_error(error))
