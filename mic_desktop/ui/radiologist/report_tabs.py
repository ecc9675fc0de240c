"""The report window's side tabs: the booking's notes and letters, prior reports, access history.

:class:`ReportTabs` shows what the radiologist reads beside the report: the
referring doctor, reception's clinical notes and the scanned referral letters
(opened in the system viewer), the patient's earlier final reports (read here),
and who opened, saved or printed this report (loaded when its tab is shown).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.attachments import UnknownFileTypeError
from mic_desktop.services.formats import format_date
from mic_desktop.services.reporting.access_log import AccessEntry, ReportAccessService
from mic_desktop.services.reporting.detail import PriorReport, ReportDetail
from mic_desktop.services.reporting.reports import ReportService
from mic_desktop.ui.common.colours import MUTED_TEXT
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.tasks import run_task

from . import context
from .dialogs import read_only_text
from .report_text import history_cells, megabytes, prior_html, referral_html

HISTORY_TAB = 2


def section_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "section-title")
    return label


class ReportTabs(QTabWidget):
    """Clinical notes, prior reports and access history of one report."""

    failed = Signal(object)  # an exception opening a letter or a prior report
    notice = Signal(str)  # a sentence for the window's notice line

    def __init__(
        self,
        reports: ReportService,
        access: ReportAccessService,
        report_id: int,
        zone: ZoneInfo,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.reports = reports
        self.access = access
        self.report_id = report_id
        self.zone = zone
        self.prior: ReportDetail | None = None
        self.addTab(self._build_notes_tab(), "Clinical notes")
        self.addTab(self._build_priors_tab(), "Prior reports")
        self.addTab(self._build_history_tab(), "Access history")
        self.currentChanged.connect(self._tab_changed)

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
        layout.addWidget(section_title("Clinical notes"))
        layout.addWidget(self.notes, 1)
        layout.addWidget(section_title("Referral letter"))
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

    # -- the booking: notes and referral letters -------------------------------------------

    def show_booking(self, detail: ReportDetail) -> None:
        """The referral, notes, letters and the list of prior reports of ``detail``."""
        self.referral_label.setText(referral_html(detail))
        self.notes.setPlainText(detail.clinical_notes)
        self._show_letters(detail)
        self._show_priors(detail)

    def _show_letters(self, detail: ReportDetail) -> None:
        self.letters.clear()
        for letter in detail.referral_letters:
            item = QListWidgetItem(
                icon("mdi6.file-document-outline"),
                f"{letter.filename}  ({megabytes(letter.size_bytes)})",
            )
            item.setData(Qt.ItemDataRole.UserRole, letter.id)
            self.letters.addItem(item)
        has = bool(detail.referral_letters)
        self.letters.setVisible(has)
        self.letter_button.setVisible(has)
        self.letters_empty.setVisible(not has)
        if has:
            self.letters.setCurrentRow(0)

    def open_letter(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        letter_id = item.data(Qt.ItemDataRole.UserRole)

        def show(letter) -> None:  # type: ignore[no-untyped-def]
            try:
                path = context.write_temp_file(letter.content, letter.filename)
            except (UnknownFileTypeError, OSError) as error:
                self.notice.emit(str(error))
                return
            if not context.open_in_system_viewer(path):
                self.notice.emit(f"No viewer for this file is set up on this PC. It is at {path}.")

        run_task(
            lambda: self.reports.referral_letter(letter_id), show, self.failed.emit, receiver=self
        )

    # -- prior reports -----------------------------------------------------------------------

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
        self.setTabText(1, f"Prior reports ({count})")
        self.priors.setVisible(count > 0)
        self.priors_empty.setVisible(count == 0)
        self.prior_view.setVisible(count > 0)

    def open_prior(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        prior: PriorReport = item.data(Qt.ItemDataRole.UserRole)
        self.setCurrentIndex(1)
        self.prior_view.setHtml(f"<p style='color:{MUTED_TEXT}'>Loading…</p>")
        run_task(
            lambda: self.reports.open(prior.report_id),
            self._show_prior,
            self.failed.emit,
            receiver=self,
        )

    def show_prior_row(self, row: int) -> None:
        self.priors.setCurrentRow(row)

    def _show_prior(self, prior: ReportDetail) -> None:
        self.prior = prior
        self.prior_view.setHtml(prior_html(prior, self.zone))

    # -- access history ------------------------------------------------------------------------

    def _tab_changed(self, index: int) -> None:
        if index == HISTORY_TAB:
            self.load_history()

    def history_shown(self) -> bool:
        return self.currentIndex() == HISTORY_TAB

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
            for column, text in enumerate(history_cells(entry, self.zone)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.history.setItem(number, column, item)
        self.history.resizeColumnsToContents()
        self.history_message.setText(
            "Every view, saved copy, print and export of this report, newest first."
            if entries
            else "Nobody has opened this report yet."
        )
