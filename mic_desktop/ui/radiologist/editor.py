"""The report window: findings and impression beside the booking's notes, letters and priors.

One window per report. The claimer of a draft edits it (Ctrl+S saves the draft,
and typing saves itself after a pause). A line above the text says which document
will leave the clinic as the report when a PDF is attached. Finalising
(:class:`~.finalise_dialog.FinaliseDialog`) shows exactly the pages that will be
delivered, then the report is locked and shows who signed it and when. A final report
takes addenda; a second radiologist can mark it reviewed. Closing a window with
unsaved text asks Save / Discard / Cancel.
The side tabs are :class:`~.report_tabs.ReportTabs`, the PDF commands (attach,
drop, open, save a copy, print) come from :class:`~.report_documents.ReportDocuments`
and the rich-text lines from :mod:`.report_text`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import ReportDelivery
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.reporting.access_log import ReportFile
from mic_desktop.services.reporting.detail import ReportDetail
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.look import icon, window_title
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.common.tasks import run_task

from . import context
from .dialogs import AddendumDialog, read_only_text
from .draft_saving import DraftSave, log_lost_draft
from .finalise_dialog import FinaliseDialog
from .report_closing import UnsavedChangesGuard
from .report_documents import ReportDocuments
from .report_tabs import ReportTabs, section_title
from .report_text import (
    addenda_html,
    critical_html,
    delivery_html,
    exam_html,
    pdf_html,
    pdf_tooltip,
    status_html,
)

AUTOSAVE_MS = 20_000  # after the radiologist stops typing
BANNER = (
    "QLabel {{ background: {background}; border: 1px solid {border}; border-radius: 6px;"
    " padding: 6px 10px; }}"
)
BANNER_INFO = BANNER.format(background="#eaf2fb", border="#bcd3ec")
BANNER_WARNING = BANNER.format(background="#fdf0d5", border="#f0c987")


class ReportEditor(ReportDocuments, UnsavedChangesGuard, QWidget):
    """The window of one report (editable by its claimer while it is a draft)."""

    changed = Signal(object)  # ReportDetail after a save, finalise, review or addendum

    def __init__(self, session: UserSession, report_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.session = session
        self.report_id = report_id
        self.zone = session.clinic.zone
        self.me = session.account.id
        self.reports = context.report_service(session)
        self.access = context.access_service(session)
        self.detail: ReportDetail | None = None
        self.finalise_dialog: FinaliseDialog | None = None
        self.addendum_dialog: AddendumDialog | None = None
        self.last_file: ReportFile | None = None
        self._loading = False
        self._dirty = False
        # Typed findings are never more than a pause away from the database.
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save_unsaved)
        self._busy = False
        self._saving: DraftSave | None = None
        self.setAcceptDrops(True)
        self.setWindowTitle(window_title("Report", demo=session.is_demo))
        self.resize(1366, 768)
        self._build()
        context.connect_live(session, {LiveChannel.REPORT.value}, self._changed_elsewhere, self)
        self.reload()

    # -- building ---------------------------------------------------------------------

    def _build(self) -> None:
        self.patient_label = QLabel("Loading…")
        self.patient_label.setProperty("role", "page-title")
        self.exam_label = QLabel()
        self.exam_label.setProperty("role", "muted")
        self.exam_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label = QLabel()
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setProperty("role", "error")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.info = QLabel()
        self.info.setProperty("role", "muted")
        self.info.hide()
        self.delivery_banner = QLabel()
        self.delivery_banner.setWordWrap(True)
        self.delivery_banner.setTextFormat(Qt.TextFormat.RichText)
        self.delivery_banner.hide()

        self.findings = QPlainTextEdit()
        self.findings.setPlaceholderText("Findings")
        self.findings_error = QLabel()
        self.findings_error.setProperty("role", "field-error")
        self.findings_error.hide()
        self.impression = QPlainTextEdit()
        self.impression.setPlaceholderText("Impression and recommendations")
        self.impression.setMaximumHeight(150)
        for edit in (self.findings, self.impression):
            edit.textChanged.connect(self._edited)
            edit.setAcceptDrops(False)  # a dropped PDF goes to the window, not into the text
        self.critical_label = QLabel()
        self.critical_label.setWordWrap(True)
        self.critical_label.setTextFormat(Qt.TextFormat.RichText)
        self.critical_label.hide()
        self.addenda = QTextBrowser()
        self.addenda.setMaximumHeight(150)
        self.addenda_title = section_title("Addenda")
        self.pdf_label = QLabel()
        self.pdf_label.setWordWrap(True)
        self.pdf_error = QLabel()
        self.pdf_error.setProperty("role", "field-error")
        self.pdf_error.setWordWrap(True)
        self.pdf_error.hide()

        left = QWidget()
        self.private_note = read_only_text()
        self.private_note_title = section_title("Private note — not part of the delivered report")
        self.findings_title = section_title("Findings")
        self.impression_title = section_title("Impression and recommendations")
        form = QVBoxLayout(left)
        form.setContentsMargins(0, 0, 8, 0)
        form.addWidget(self.delivery_banner)
        form.addWidget(self.findings_title)
        form.addWidget(self.findings, 3)
        form.addWidget(self.findings_error)
        form.addWidget(self.impression_title)
        form.addWidget(self.impression, 1)
        form.addWidget(self.private_note_title)
        form.addWidget(self.private_note, 2)
        form.addWidget(self.critical_label)
        form.addWidget(self.addenda_title)
        form.addWidget(self.addenda, 1)
        form.addWidget(self.pdf_label)
        form.addWidget(self.pdf_error)

        self.tabs = ReportTabs(self.reports, self.access, self.report_id, self.zone)
        self.tabs.failed.connect(self._failed)
        self.tabs.notice.connect(self.show_notice)
        # The tabs' widgets keep their names on the window.
        self.priors = self.tabs.priors
        self.prior_view = self.tabs.prior_view
        self.history = self.tabs.history
        self.history_message = self.tabs.history_message

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 560])

        self.save_button = self._button("Save draft", "mdi6.content-save-outline", self.save_draft)
        self.save_button.setToolTip("Save the text as a draft (Ctrl+S)")
        self.finalise_button = self._button("Finalise…", "mdi6.draw-pen", self.finalise)
        self.finalise_button.setToolTip("Sign and lock the report (Ctrl+Shift+F)")
        self.review_button = self._button("Mark reviewed", "mdi6.check-decagram", self.review)
        self.addendum_button = self._button(
            "Add addendum…", "mdi6.note-plus-outline", self.add_addendum
        )
        self.attach_button = self._button("Attach PDF…", "mdi6.paperclip", self.attach_from_dialog)
        self.attach_button.setToolTip(
            "Attach the report PDF from this PC (or drop it on the window)"
        )
        self.detach_button = self._button("Remove PDF", "mdi6.paperclip-off", self.detach_pdf)
        self.open_button = self._button("Open PDF", "mdi6.file-pdf-box", self.open_pdf)
        self.open_button.setToolTip("Open the report PDF in this PC's PDF viewer")
        self.copy_button = self._button("Save a copy…", "mdi6.download", self.save_copy)
        self.print_button = self._button("Print…", "mdi6.printer-outline", self.print_pdf)
        buttons = QHBoxLayout()
        for button in (
            self.save_button,
            self.finalise_button,
            self.review_button,
            self.addendum_button,
            self.attach_button,
            self.detach_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.open_button, self.copy_button, self.print_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 14, 20, 12)
        layout.addWidget(self.patient_label)
        layout.addWidget(self.exam_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.notice)
        layout.addWidget(self.info)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)

        self.save_action = self._action("Save draft", "Ctrl+S", self.save_draft)
        self.finalise_action = self._action("Finalise", "Ctrl+Shift+F", self.finalise)
        self._action("Close", "Ctrl+W", self.close)
        self._set_enabled(None)

    def _button(self, text: str, icon_name: str, slot) -> QPushButton:  # type: ignore[no-untyped-def]
        button = QPushButton(icon(icon_name), text)
        button.clicked.connect(slot)
        return button

    def _action(self, text: str, shortcut: str, slot) -> QAction:  # type: ignore[no-untyped-def]
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # -- loading and showing ----------------------------------------------------------

    def reload(self) -> None:
        run_task(
            lambda: self.reports.open(self.report_id), self.show_detail, self._failed, receiver=self
        )

    def _changed_elsewhere(self) -> None:
        if not self._dirty and not self._busy:
            run_task(lambda: self.reports.open(self.report_id), self._refreshed, receiver=self)

    def _refreshed(self, detail: ReportDetail) -> None:
        if self._dirty or self._busy:
            return
        current = self.detail
        if (
            current is None
            or detail.version > current.version
            or (
                detail.version == current.version and detail != current  # e.g. acknowledged
            )
        ):
            self.show_detail(detail)

    @property
    def editable(self) -> bool:
        return self.detail is not None and self.detail.can_edit(self.me)

    def show_detail(self, detail: ReportDetail, *, keep_text: bool = False) -> None:
        self.detail = detail
        self._busy = False
        if keep_text:  # typed on while a draft was being saved: that text is newer
            self._autosave.start()
        else:
            self._loading = True
            for edit, text in (
                (self.findings, detail.findings),
                (self.impression, detail.impression),
            ):
                if edit.toPlainText() != text:  # unchanged text keeps the cursor where it is
                    edit.setPlainText(text)
            self._loading = False
            self._dirty = False
        for edit in (self.findings, self.impression):
            edit.setReadOnly(not self.editable)
        zone = self.zone
        self.setWindowTitle(
            window_title("Report", detail.patient_name, detail.scan_type, demo=self.session.is_demo)
        )
        self.patient_label.setText(f"{detail.patient_name}   ·   MRN {detail.mrn}")
        self.exam_label.setText(exam_html(detail, zone))
        self.status_label.setText(status_html(detail, self.me, zone))
        self.tabs.show_booking(detail)
        addenda = addenda_html(detail, zone)
        self.addenda.setHtml(addenda)
        self.addenda.setVisible(bool(addenda))
        self.addenda_title.setVisible(bool(addenda))
        self.pdf_label.setText(pdf_html(detail, self.editable, zone))
        self.pdf_label.setToolTip(pdf_tooltip(detail.current_document, zone))
        self._show_text_sections(detail)
        critical = detail.critical_finding
        if critical is not None:
            self.critical_label.setText(critical_html(critical, zone))
        self.critical_label.setVisible(critical is not None)
        self._set_enabled(detail)
        if self.tabs.history_shown():
            self.tabs.load_history()

    @property
    def prior(self) -> ReportDetail | None:
        """The prior report last opened in the side tabs."""
        return self.tabs.prior

    def _set_enabled(self, detail: ReportDetail | None) -> None:
        editable = detail is not None and detail.can_edit(self.me)
        final = detail is not None and detail.is_final
        for widget in (self.save_button, self.finalise_button, self.attach_button):
            widget.setEnabled(editable and not self._busy)
        self.save_action.setEnabled(editable)
        self.finalise_action.setEnabled(editable)
        self.detach_button.setEnabled(
            editable and detail is not None and detail.current_document is not None
        )
        self.review_button.setVisible(detail is not None and detail.can_review(self.me))
        self.addendum_button.setVisible(final)
        for widget in (self.open_button, self.copy_button, self.print_button):
            widget.setEnabled(detail is not None)

    def _show_text_sections(self, detail: ReportDetail) -> None:
        """Typed text kept out of a delivered PDF shows as a labelled note, not as the report."""
        pdf_only = detail.is_final and detail.delivers is ReportDelivery.ATTACHED_PDF
        for widget in (self.findings_title, self.findings, self.impression_title, self.impression):
            widget.setVisible(not pdf_only)
        note = detail.private_note if pdf_only else ""
        self.private_note.setPlainText(note)
        self.private_note.setVisible(bool(note))
        self.private_note_title.setVisible(bool(note))
        self._show_delivery()

    def _show_delivery(self) -> None:
        """Say which document leaves as the report (with the text as typed just now)."""
        detail = self.detail
        if detail is None:
            return
        has_text = bool(
            self.findings.toPlainText().strip() or self.impression.toPlainText().strip()
        )
        text = delivery_html(detail, has_text)
        two = not detail.is_final and detail.current_document is not None and has_text
        self.delivery_banner.setStyleSheet(BANNER_WARNING if two else BANNER_INFO)
        self.delivery_banner.setText(text)
        self.delivery_banner.setVisible(bool(text))

    def _edited(self) -> None:
        if not self._loading:
            self._dirty = True
            self.findings_error.hide()
            self._autosave.start()
            self._show_delivery()

    def save_unsaved(self) -> None:
        """Save the draft if it has changes (autosave, and before the window goes)."""
        if self._dirty and self.editable:
            self.save_draft()

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def show_info(self, text: str) -> None:
        self.info.setText(text)
        self.info.setVisible(bool(text))

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        self.closing_failed()
        self._set_enabled(self.detail)
        if isinstance(error, ValidationError) and error.field == "findings":
            self.findings_error.setText(str(error))
            self.findings_error.show()
        else:
            self.show_notice(describe_error(error))

    # -- writing ----------------------------------------------------------------------

    def _start(self) -> ReportDetail | None:
        if self.detail is None or self._busy:
            return None
        self._busy = True
        self._set_enabled(self.detail)
        self.show_notice("")
        self.show_info("")
        return self.detail

    def _saved(self, detail: ReportDetail, info: str, *, keep_text: bool = False) -> None:
        self.show_detail(detail, keep_text=keep_text)
        self.show_info(info)
        self.changed.emit(detail)
        self.saved_for_closing()

    def _draft_saved(self, detail: ReportDetail, findings: str, impression: str) -> None:
        typed_since = (self.findings.toPlainText(), self.impression.toPlainText()) != (
            findings,
            impression,
        )
        self._saved(detail, "Draft saved.", keep_text=typed_since)

    def save_draft(self) -> None:
        if not self.editable:
            return
        detail = self._start()
        if detail is None:
            return
        findings, impression = self.findings.toPlainText(), self.impression.toPlainText()
        saving = self._saving = DraftSave(self.reports, detail.id, findings, impression)
        run_task(
            lambda: saving.run(detail.version),
            lambda new: self._draft_saved(new, findings, impression),
            self._failed,
            receiver=self,
        )

    def save_before_closing(self) -> None:
        """Logging out or quitting: save what was typed, even while a save is on its way.

        The save runs on its own, whether or not this window is still there when it
        ends; one that follows a save still running waits for it and takes its version.
        """
        if not (self._dirty and self.editable) or self.detail is None:
            return
        if not self._busy:
            self.save_draft()
            return
        after = self._saving if self._saving is not None and not self._saving.ended else None
        closing = DraftSave(
            self.reports,
            self.detail.id,
            self.findings.toPlainText(),
            self.impression.toPlainText(),
        )
        version = self.detail.version
        run_task(lambda: closing.run(version, after=after), on_error=log_lost_draft)

    def finalise(self) -> None:
        if not self.editable or self.detail is None or self._busy:
            return
        self._autosave.stop()  # a draft saved under the dialog would make its version stale
        dialog = FinaliseDialog(
            self.reports,
            self.detail,
            self.findings.toPlainText(),
            self.impression.toPlainText(),
            self.session.account.full_name,
            self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finalised.connect(self._finalised)
        dialog.rejected.connect(lambda: self._dirty and self._autosave.start())
        dialog.finished.connect(lambda _code: setattr(self, "finalise_dialog", None))
        self.finalise_dialog = dialog
        dialog.open()

    def _finalised(self, detail: ReportDetail) -> None:
        self._dirty = False
        self._saved(detail, "Report finalised and signed.")

    def review(self) -> None:
        detail = self._start()
        if detail is None:
            return
        run_task(
            lambda: self.reports.review(detail.id, expected_version=detail.version),
            lambda new: self._saved(new, "Marked as reviewed."),
            self._failed,
            receiver=self,
        )

    def add_addendum(self, pdf: Path | None = None) -> None:
        if self.detail is None or not self.detail.is_final:
            return
        dialog = AddendumDialog(
            self.reports,
            self.detail,
            self.session.account.username,
            pdf if isinstance(pdf, Path) else None,
            self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.added.connect(lambda new: self._saved(new, "Addendum added."))
        dialog.finished.connect(lambda _code: setattr(self, "addendum_dialog", None))
        self.addendum_dialog = dialog
        dialog.open()
