"""The report window's PDF commands: attach (file dialog or drop), remove, open, copy, print.

:class:`ReportDocuments` is mixed into :class:`~.editor.ReportEditor`, whose
state it works on (the shown detail, the busy flag, the notice and info lines).
A refused file is said next to the PDF line and nothing is stored; a PDF dropped
on a final report starts an addendum with it. Every open, saved copy and print
goes through the access service, which logs it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QLabel

from mic_desktop.models import ReportAccessAction
from mic_desktop.services.attachments import UnknownFileTypeError
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.reporting.access_log import ReportAccessService, ReportFile
from mic_desktop.services.reporting.detail import ReportDetail
from mic_desktop.services.reporting.reports import ReportService
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.common.tasks import run_task

from . import context
from .report_tabs import ReportTabs


class ReportDocuments:
    """The PDF and file commands of the report window (a mixin of :class:`ReportEditor`).

    The window provides the attributes below and ``editable``, ``_start``, ``_saved``,
    ``_failed``, ``_set_enabled``, ``add_addendum``, ``show_notice`` and ``show_info``.
    """

    report_id: int
    session: UserSession
    reports: ReportService
    access: ReportAccessService
    detail: ReportDetail | None
    last_file: ReportFile | None
    tabs: ReportTabs
    pdf_error: QLabel
    _busy: bool
    _dirty: bool

    def attach_from_dialog(self) -> None:
        if not self.editable:
            return
        path = context.choose_pdf_file(self, self.session.account.username)
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
            content = self.reports.read_pdf_file(path)  # the size is checked before reading
            return self.reports.attach_pdf(
                detail.id, content, path.name, expected_version=detail.version
            )

        run_task(
            work,
            # Text typed but not saved yet stays in the boxes (the autosave keeps it).
            lambda new: self._saved(new, f"{path.name} attached.", keep_text=self._dirty),
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
                new,
                "The attached PDF was removed; the PDF is generated again.",
                keep_text=self._dirty,
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
            if self.tabs.history_shown():
                self.tabs.load_history()

        run_task(
            lambda: self.access.document_for(report_id, action, detail),
            done,
            self._failed,
            receiver=self,
        )

    def open_pdf(self) -> None:
        def show(file: ReportFile) -> None:
            path = self._viewer_file(file)
            if path is None:
                return
            if context.open_in_system_viewer(path):
                self.show_info(f"{file.filename} opened in your PDF viewer.")
            else:
                self.show_notice(f"No PDF viewer is set up on this PC. The file is at {path}.")

        self._document(ReportAccessAction.VIEW, "opened in the system PDF viewer", show)

    def _viewer_file(self, file: ReportFile) -> Path | None:
        """The file written for the system viewer under a name the product chose, or None."""
        try:
            return context.write_temp_file(file.content, file.filename)
        except (UnknownFileTypeError, OSError) as error:
            self.show_notice(str(error))
            return None

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
            if self.tabs.history_shown():
                self.tabs.load_history()

        self.show_notice("")
        run_task(work, done, self._failed, receiver=self)

    def print_pdf(self) -> None:
        # Qt for Python "Essentials" has no PDF renderer (QtPdf is in the Addons), so the
        # PDF goes to the system viewer, whose print dialog knows the PC's printers.
        def show(file: ReportFile) -> None:
            path = self._viewer_file(file)
            if path is None:
                return
            if context.open_in_system_viewer(path):
                self.show_info(f"{file.filename} opened in your PDF viewer: print it from there.")
            else:
                self.show_notice(f"No PDF viewer is set up on this PC. The file is at {path}.")

        self._document(ReportAccessAction.PRINT, "printed through the system PDF viewer", show)
