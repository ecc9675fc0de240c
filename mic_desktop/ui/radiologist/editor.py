"""The report window: findings and impression beside the booking's notes, letters and priors.

One window per report. The claimer of a draft edits it (Ctrl+S saves the draft);
finalising asks for confirmation and an optional critical finding, then the text
is locked and shows who signed it and when. A final report takes addenda (with an
optional replacement PDF); a second radiologist can mark it reviewed. The report
PDF is attached from the local disk with a file dialog or by dropping it on the
window; a refused file is said next to the PDF line and nothing is stored. Every
open, saved copy and print goes through the access service, which logs it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import ReportAccessAction, ReportStatus
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.formats import format_date
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.reporting.access_log import AccessEntry, ReportFile
from mic_desktop.services.reporting.detail import PriorReport, ReportDetail
from mic_desktop.ui.common.colours import MUTED_TEXT, URGENT
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime
from mic_desktop.ui.common.look import icon, window_title
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.common.tasks import run_task

from . import context
from .dialogs import AddendumDialog, FinaliseDialog, read_only_text

AUTOSAVE_MS = 20_000  # after the radiologist stops typing

STATUS_TEXT = {
    ReportStatus.PENDING: "Not started",
    ReportStatus.IN_PROGRESS: "Draft",
    ReportStatus.COMPLETED: "Final",
    ReportStatus.REVIEWED: "Final, reviewed",
}
ACTION_TEXT = {
    ReportAccessAction.VIEW: "Viewed",
    ReportAccessAction.DOWNLOAD: "Saved a copy",
    ReportAccessAction.PRINT: "Printed",
    ReportAccessAction.EXPORT: "Exported",
}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _paragraphs(text: str) -> str:
    if not text.strip():
        return f"<p style='color:{MUTED_TEXT}'>—</p>"
    return "".join(f"<p>{_escape(line)}</p>" for line in text.splitlines() if line.strip())


def _megabytes(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def _section_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "section-title")
    return label


class ReportEditor(QWidget):
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
        self.prior: ReportDetail | None = None
        self.finalise_dialog: FinaliseDialog | None = None
        self.addendum_dialog: AddendumDialog | None = None
        self.last_file: ReportFile | None = None
        self._loading = False
        self._dirty = False
        # Typed findings are never more than a pause away from the database.
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save_unsaved)
        self._busy = False
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
        self.addenda_title = _section_title("Addenda")
        self.pdf_label = QLabel()
        self.pdf_label.setWordWrap(True)
        self.pdf_error = QLabel()
        self.pdf_error.setProperty("role", "field-error")
        self.pdf_error.setWordWrap(True)
        self.pdf_error.hide()

        left = QWidget()
        form = QVBoxLayout(left)
        form.setContentsMargins(0, 0, 8, 0)
        form.addWidget(_section_title("Findings"))
        form.addWidget(self.findings, 3)
        form.addWidget(self.findings_error)
        form.addWidget(_section_title("Impression and recommendations"))
        form.addWidget(self.impression, 1)
        form.addWidget(self.critical_label)
        form.addWidget(self.addenda_title)
        form.addWidget(self.addenda, 1)
        form.addWidget(self.pdf_label)
        form.addWidget(self.pdf_error)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_notes_tab(), "Clinical notes")
        self.tabs.addTab(self._build_priors_tab(), "Prior reports")
        self.tabs.addTab(self._build_history_tab(), "Access history")
        self.tabs.currentChanged.connect(self._tab_changed)

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

    def _build_notes_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.referral_label = QLabel()
        self.referral_label.setWordWrap(True)
        self.notes = read_only_text()
        self.notes.setPlaceholderText("Reception wrote no clinical notes for this booking.")
        self.letters = QListWidget()
        self.letters.setMaximumHeight(110)
        self.letters.itemActivated.connect(self.open_letter)
        self.letter_button = QPushButton(icon("mdi6.file-eye-outline"), "Open letter")
        self.letter_button.clicked.connect(lambda: self.open_letter(self.letters.currentItem()))
        self.letters_empty = QLabel("No referral letter was scanned in for this booking.")
        self.letters_empty.setProperty("role", "muted")
        layout.addWidget(self.referral_label)
        layout.addWidget(_section_title("Clinical notes"))
        layout.addWidget(self.notes, 1)
        layout.addWidget(_section_title("Referral letter"))
        layout.addWidget(self.letters)
        layout.addWidget(self.letters_empty)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.letter_button)
        layout.addLayout(row)
        return page

    def _build_priors_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.priors = QListWidget()
        self.priors.setMaximumHeight(140)
        self.priors.currentItemChanged.connect(lambda item, _old: self.open_prior(item))
        self.priors_empty = QLabel("This patient has no earlier final report at this clinic.")
        self.priors_empty.setProperty("role", "muted")
        self.priors_empty.setWordWrap(True)
        self.prior_view = QTextBrowser()
        self.prior_view.setPlaceholderText("Choose a prior report above to read it here.")
        layout.addWidget(self.priors)
        layout.addWidget(self.priors_empty)
        layout.addWidget(self.prior_view, 1)
        return page

    def _build_history_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.history = QTableWidget(0, 4)
        self.history.setHorizontalHeaderLabels(["When", "Who", "What", "Workstation"])
        self.history.verticalHeader().hide()
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.horizontalHeader().setStretchLastSection(True)
        self.history_message = QLabel()
        self.history_message.setProperty("role", "muted")
        self.history_message.setWordWrap(True)
        layout.addWidget(self.history, 1)
        layout.addWidget(self.history_message)
        return page

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
        marker = f" <b style='color:{URGENT}'>● URGENT</b>" if detail.is_urgent else ""
        self.patient_label.setText(f"{detail.patient_name}   ·   MRN {detail.mrn}")
        self.exam_label.setText(
            f"Born {format_date(detail.date_of_birth)} · {detail.sex.value.title()} · "
            f"<b>{_escape(detail.scan_type)}</b> ({_escape(detail.modality)}){marker} · "
            f"scanned {format_datetime(detail.exam_at, zone)} · {detail.reference}"
        )
        self.status_label.setText(self._status_html(detail))
        doctor = detail.referring_doctor or "no referring doctor recorded"
        contact = " · ".join(
            p for p in (detail.referring_practice, detail.referring_doctor_phone) if p
        )
        self.referral_label.setText(f"Referred by <b>{_escape(doctor)}</b> {_escape(contact)}")
        self.notes.setPlainText(detail.clinical_notes)
        self._show_letters(detail)
        self._show_priors(detail)
        self._show_addenda(detail)
        self._show_pdf(detail)
        critical = detail.critical_finding
        if critical is not None:
            state = (
                f"told {critical.communicated_to} ({critical.communication_method.label.lower()})"
                f" {format_datetime(critical.communicated_at, zone)}"
                if critical.communicated_at and critical.communication_method
                else "not yet communicated"
            )
            self.critical_label.setText(
                f"<b style='color:{URGENT}'>● Critical finding:</b> {_escape(critical.description)}"
                f" <span style='color:{MUTED_TEXT}'>— {state}</span>"
            )
        self.critical_label.setVisible(critical is not None)
        self._set_enabled(detail)
        if self.tabs.currentIndex() == 2:
            self.load_history()

    def _status_html(self, detail: ReportDetail) -> str:
        zone = self.zone
        status = STATUS_TEXT[detail.status]
        if detail.is_final and detail.finalised_at is not None:
            text = (
                f"<b style='color:#15723a'>{status}</b> — signed "
                f"{_escape(detail.signed_name or '')}, {format_datetime(detail.finalised_at, zone)}"
            )
            if detail.reviewed_at is not None:
                text += (
                    f"; reviewed by {_escape(detail.reviewed_by_name or '')}, "
                    f"{format_datetime(detail.reviewed_at, zone)}"
                )
            return text + " · locked: corrections go in an addendum"
        holder = detail.radiologist_name or "nobody (claim it from the worklist)"
        text = f"<b>{status}</b> — claimed by {_escape(holder)}"
        if detail.status is ReportStatus.IN_PROGRESS:
            text += f", last saved {format_datetime(detail.updated_at, zone)}"
        if not detail.can_edit(self.me):
            text += " · read only"
        return text

    def _show_letters(self, detail: ReportDetail) -> None:
        self.letters.clear()
        for letter in detail.referral_letters:
            item = QListWidgetItem(
                icon("mdi6.file-document-outline"),
                f"{letter.filename}  ({_megabytes(letter.size_bytes)})",
            )
            item.setData(Qt.ItemDataRole.UserRole, letter.id)
            self.letters.addItem(item)
        has = bool(detail.referral_letters)
        self.letters.setVisible(has)
        self.letter_button.setVisible(has)
        self.letters_empty.setVisible(not has)
        if has:
            self.letters.setCurrentRow(0)

    def _show_priors(self, detail: ReportDetail) -> None:
        self.priors.blockSignals(True)
        self.priors.clear()
        for prior in detail.prior_reports:
            when = format_date(prior.exam_at.astimezone(self.zone).date())
            extra = f" · {prior.addenda_count} addenda" if prior.addenda_count else ""
            item = QListWidgetItem(f"{when} — {prior.scan_type} ({prior.modality}){extra}")
            item.setToolTip(prior.impression)
            item.setData(Qt.ItemDataRole.UserRole, prior)
            self.priors.addItem(item)
        self.priors.blockSignals(False)
        count = len(detail.prior_reports)
        self.tabs.setTabText(1, f"Prior reports ({count})")
        self.priors.setVisible(count > 0)
        self.priors_empty.setVisible(count == 0)
        self.prior_view.setVisible(count > 0)

    def _show_addenda(self, detail: ReportDetail) -> None:
        parts = []
        for addendum in detail.addenda:
            pdf = " · with a replacement PDF" if addendum.document_id else ""
            parts.append(
                f"<p><b>Addendum {format_datetime(addendum.created_at, self.zone)}</b>, "
                f"signed {_escape(addendum.signed_name)}{pdf}</p>{_paragraphs(addendum.text)}"
            )
        self.addenda.setHtml("<hr>".join(parts))
        self.addenda.setVisible(bool(parts))
        self.addenda_title.setVisible(bool(parts))

    def _show_pdf(self, detail: ReportDetail) -> None:
        current = detail.current_document
        if current is not None:
            self.pdf_label.setText(
                f"<b>Report PDF:</b> {_escape(current.filename)} "
                f"({_megabytes(current.size_bytes)}), attached by "
                f"{_escape(current.uploaded_by_name or '—')} "
                f"{format_datetime(current.uploaded_at, self.zone)} · "
                f"SHA-256 {current.sha256[:12]}…"
            )
        elif self.editable:
            self.pdf_label.setText(
                "<b>Report PDF:</b> none attached — it is generated from the text above. "
                "To use your own, attach it or drop the PDF file on this window."
            )
        else:
            self.pdf_label.setText("<b>Report PDF:</b> generated from the report text.")

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

    def _edited(self) -> None:
        if not self._loading:
            self._dirty = True
            self.findings_error.hide()
            self._autosave.start()

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
        run_task(
            lambda: self.reports.save_draft(
                detail.id, findings=findings, impression=impression, expected_version=detail.version
            ),
            lambda new: self._draft_saved(new, findings, impression),
            self._failed,
            receiver=self,
        )

    def finalise(self) -> None:
        if not self.editable or self.detail is None or self._busy:
            return
        dialog = FinaliseDialog(self.detail, self.session.account.full_name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._finalise(dialog.critical_finding()))
        dialog.finished.connect(lambda _code: setattr(self, "finalise_dialog", None))
        self.finalise_dialog = dialog
        dialog.open()

    def _finalise(self, critical: str | None) -> None:
        detail = self._start()
        if detail is None:
            return
        findings, impression = self.findings.toPlainText(), self.impression.toPlainText()
        run_task(
            lambda: self.reports.finalise(
                detail.id,
                findings=findings,
                impression=impression,
                expected_version=detail.version,
                critical_finding=critical,
            ),
            lambda new: self._saved(new, "Report finalised and signed."),
            self._failed,
            receiver=self,
        )

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
            self.reports, self.detail, pdf if isinstance(pdf, Path) else None, self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.added.connect(lambda new: self._saved(new, "Addendum added."))
        dialog.finished.connect(lambda _code: setattr(self, "addendum_dialog", None))
        self.addendum_dialog = dialog
        dialog.open()

    # -- the report PDF -----------------------------------------------------------------

    def attach_from_dialog(self) -> None:
        if not self.editable:
            return
        path = context.choose_pdf_file(self)
        if path is not None:
            self.attach_file(path)

    def attach_file(self, path: Path) -> None:
        """Check and store ``path`` as the report PDF (a draft's; a final one's by addendum)."""
        if self.detail is not None and self.detail.is_final:
            self.add_addendum(path)
            return
        if not self.editable:
            return
        detail = self._start()
        if detail is None:
            return
        self.pdf_error.hide()

        def work() -> ReportDetail:
            return self.reports.attach_pdf(
                detail.id, path.read_bytes(), path.name, expected_version=detail.version
            )

        run_task(
            work,
            lambda new: self._saved(new, f"{path.name} attached."),
            self._pdf_failed,
            receiver=self,
        )

    def _pdf_failed(self, error: BaseException) -> None:
        self._busy = False
        self._set_enabled(self.detail)
        if isinstance(error, OSError):
            text = f"This file cannot be read: {error.strerror or error}."
        elif isinstance(error, ValidationError) and error.field == "pdf":
            text = str(error)
        else:
            self.show_notice(describe_error(error))
            return
        self.pdf_error.setText(text)
        self.pdf_error.show()

    def detach_pdf(self) -> None:
        detail = self._start()
        if detail is None:
            return
        run_task(
            lambda: self.reports.detach_pdf(detail.id, expected_version=detail.version),
            lambda new: self._saved(
                new, "The attached PDF was removed; the PDF is generated again."
            ),
            self._failed,
            receiver=self,
        )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        path = context.local_pdf_path(event.mimeData().urls())
        if path is not None and self.detail is not None and (self.editable or self.detail.is_final):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = context.local_pdf_path(event.mimeData().urls())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.attach_file(path)

    def _document(self, action: ReportAccessAction, detail: str, then) -> None:  # type: ignore[no-untyped-def]
        self.show_notice("")
        report_id = self.report_id

        def done(file: ReportFile) -> None:
            self.last_file = file
            then(file)
            if self.tabs.currentIndex() == 2:
                self.load_history()

        run_task(
            lambda: self.access.document_for(report_id, action, detail),
            done,
            self._failed,
            receiver=self,
        )

    def open_pdf(self) -> None:
        def show(file: ReportFile) -> None:
            path = context.write_temp_file(file.content, file.filename)
            if context.open_in_system_viewer(path):
                self.show_info(f"{file.filename} opened in your PDF viewer.")
            else:
                self.show_notice(f"No PDF viewer is set up on this PC. The file is at {path}.")

        self._document(ReportAccessAction.VIEW, "opened in the system PDF viewer", show)

    def save_copy(self) -> None:
        if self.detail is None:
            return
        suggested = f"{self.detail.reference} {self.detail.patient_name}.pdf"
        path = context.choose_save_path(self, suggested)
        if path is None:
            return
        report_id = self.report_id

        def work() -> ReportFile:
            file = self.access.document_for(
                report_id, ReportAccessAction.DOWNLOAD, f"saved a copy as {path.name}"
            )
            path.write_bytes(file.content)
            return file

        def done(file: ReportFile) -> None:
            self.last_file = file
            self.show_info(f"A copy was saved as {path}.")
            if self.tabs.currentIndex() == 2:
                self.load_history()

        self.show_notice("")
        run_task(work, done, self._failed, receiver=self)

    def print_pdf(self) -> None:
        # Qt for Python "Essentials" has no PDF renderer (QtPdf is in the Addons), so the
        # PDF goes to the system viewer, whose print dialog knows the PC's printers.
        def show(file: ReportFile) -> None:
            path = context.write_temp_file(file.content, file.filename)
            if context.open_in_system_viewer(path):
                self.show_info(f"{file.filename} opened in your PDF viewer: print it from there.")
            else:
                self.show_notice(f"No PDF viewer is set up on this PC. The file is at {path}.")

        self._document(ReportAccessAction.PRINT, "printed through the system PDF viewer", show)

    def open_letter(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        letter_id = item.data(Qt.ItemDataRole.UserRole)

        def show(letter) -> None:  # type: ignore[no-untyped-def]
            path = context.write_temp_file(letter.content, letter.filename)
            if not context.open_in_system_viewer(path):
                self.show_notice(f"No viewer for this file is set up on this PC. It is at {path}.")

        run_task(lambda: self.reports.referral_letter(letter_id), show, self._failed, receiver=self)

    # -- prior reports and access history ---------------------------------------------------

    def open_prior(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        prior: PriorReport = item.data(Qt.ItemDataRole.UserRole)
        self.tabs.setCurrentIndex(1)
        self.prior_view.setHtml(f"<p style='color:{MUTED_TEXT}'>Loading…</p>")
        run_task(
            lambda: self.reports.open(prior.report_id),
            self._show_prior,
            self._failed,
            receiver=self,
        )

    def show_prior_row(self, row: int) -> None:
        self.priors.setCurrentRow(row)

    def _show_prior(self, prior: ReportDetail) -> None:
        self.prior = prior
        zone = self.zone
        signed = (
            f"Signed {_escape(prior.signed_name or '')}, "
            f"{format_datetime(prior.finalised_at, zone)}"
            if prior.finalised_at
            else STATUS_TEXT[prior.status]
        )
        addenda = "".join(
            f"<h4>Addendum {format_datetime(a.created_at, zone)} — {_escape(a.signed_name)}</h4>"
            f"{_paragraphs(a.text)}"
            for a in prior.addenda
        )
        self.prior_view.setHtml(
            f"<h3>{_escape(prior.scan_type)}</h3>"
            f"<p style='color:{MUTED_TEXT}'>Scanned {format_datetime(prior.exam_at, zone)} · "
            f"{prior.reference} · {signed}</p>"
            f"<h4>Findings</h4>{_paragraphs(prior.findings)}"
            f"<h4>Impression</h4>{_paragraphs(prior.impression)}{addenda}"
        )

    def _tab_changed(self, index: int) -> None:
        if index == 2:
            self.load_history()

    def load_history(self) -> None:
        report_id = self.report_id
        run_task(
            lambda: self.access.access_history(report_id),
            self._show_history,
            lambda error: self._history_failed(describe_error(error)),
            receiver=self,
        )

    def _history_failed(self, text: str) -> None:
        self.history.setRowCount(0)
        self.history.hide()
        self.history_message.setText(text)

    def _show_history(self, entries: list[AccessEntry]) -> None:
        self.history.show()
        self.history.setRowCount(len(entries))
        for number, entry in enumerate(entries):
            what = ACTION_TEXT[entry.action] + (f" — {entry.detail}" if entry.detail else "")
            cells = (
                format_datetime(entry.accessed_at, self.zone),
                entry.staff_name,
                what,
                entry.workstation or "—",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.history.setItem(number, column, item)
        self.history.resizeColumnsToContents()
        self.history_message.setText(
            "Every view, saved copy, print and export of this report, newest first."
            if entries
            else "Nobody has opened this report yet."
        )

    # -- closing ------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._dirty and self.editable and self.isVisible():
            self.show_notice(
                "You have unsaved changes: save the draft (Ctrl+S) first, "
                "or close again to discard them."
            )
            self._dirty = False  # a second close discards
            event.ignore()
            return
        super().closeEvent(event)
