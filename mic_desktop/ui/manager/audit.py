"""The audit log viewer: each entry a sentence; filter by person, patient, booking reference,
action, record and dates; page; the selected entry's changes and raw details below; export
the filtered entries as CSV or PDF."""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.admin.audit_viewer import (
    AuditEntry,
    AuditLogService,
    AuditPage,
    AuditQuery,
)
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import EVERY_DATETIME, Column, ListPage
from mic_desktop.ui.common.tasks import run_task

from . import files
from .forms import Notice

PAGE_SIZE = 100


def readable(name: str) -> str:
    return name.replace("_", " ").capitalize()


class AuditLogPage(ListPage):
    """Newest first, a page of entries at a time."""

    def __init__(
        self,
        service: AuditLogService,
        zone,
        parent: QWidget | None = None,  # type: ignore[no-untyped-def]
    ) -> None:
        columns = [
            Column(
                "When",
                lambda e: format_datetime(e.at, zone),
                sort_key=lambda e: e.at.isoformat(),
                fits=EVERY_DATETIME,
            ),
            Column(
                "Person",
                lambda e: e.person,
                tooltip=lambda e: f"{e.person} ({e.username})" if e.username else e.person,
                width=150,
            ),
            Column("What", lambda e: e.sentence, tooltip=_what_tooltip, stretch=True),
            Column(
                "Workstation",
                lambda e: e.workstation or "",
                tooltip=lambda e: e.workstation or None,
                width=130,
            ),
        ]
        super().__init__(
            "Audit log",
            columns,
            empty_headline="No entries match",
            empty_text="Nothing was recorded for this filter. Widen the dates or clear a filter.",
            empty_icon="mdi6.text-box-search-outline",
            parent=parent,
        )
        self._service = service
        self.page = 0
        self.result: AuditPage | None = None
        self.subtitle.setText("Who did what to which record, when and from which PC. Newest first.")
        self.notice = Notice()
        self.person = QComboBox()
        self.action = QComboBox()
        self.entity = QComboBox()
        for box in (self.person, self.action, self.entity):
            box.addItem("Anyone" if box is self.person else "Any", None)
            box.setMinimumContentsLength(14)
        self.entity_id = QLineEdit(placeholderText="Record id")
        self.entity_id.setMaximumWidth(90)
        self.patient = QLineEdit(placeholderText="Name or MRN")
        self.patient.setToolTip("Entries about patients whose name contains this, or this MRN")
        self.reference = QLineEdit(placeholderText="A0004919")
        self.reference.setToolTip("Entries about the appointment with this booking reference")
        self.reference.setMaximumWidth(110)
        for edit in (self.patient, self.reference):
            edit.returnPressed.connect(self.search)
        self.use_dates = QCheckBox("Between")
        today = QDate(service.now().astimezone(zone).date())  # the clinic's today
        self.first_day = QDateEdit(today.addDays(-30), calendarPopup=True)
        self.last_day = QDateEdit(today, calendarPopup=True)
        for edit in (self.first_day, self.last_day):
            edit.setDisplayFormat("d MMM yyyy")
            edit.setEnabled(False)
        self.use_dates.toggled.connect(self.first_day.setEnabled)
        self.use_dates.toggled.connect(self.last_day.setEnabled)
        self.search_button = QPushButton(icon("mdi6.magnify"), "Search")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        self.entity_id.returnPressed.connect(self.search)
        self.export_button = QPushButton(icon("mdi6.table-arrow-down"), "Export CSV…")
        self.export_button.setToolTip("Save every entry matching the filter as a spreadsheet file")
        self.export_button.clicked.connect(self.export)
        self.pdf_button = QPushButton(icon("mdi6.file-pdf-box"), "Export PDF…")
        self.pdf_button.setToolTip("Save every entry matching the filter as a printable PDF")
        self.pdf_button.clicked.connect(self.export_pdf)
        self.date_error = QLabel()
        self.date_error.setProperty("role", "field-error")
        self.date_error.hide()
        filters = QGridLayout()
        filters.setHorizontalSpacing(8)
        filters.addWidget(QLabel("Person"), 0, 0)
        filters.addWidget(self.person, 0, 1)
        filters.addWidget(QLabel("Patient"), 0, 2)
        filters.addWidget(self.patient, 0, 3)
        filters.addWidget(QLabel("Booking"), 0, 4)
        filters.addWidget(self.reference, 0, 5)
        filters.addWidget(QLabel("Action"), 0, 6)
        filters.addWidget(self.action, 0, 7)
        filters.addWidget(QLabel("Record"), 1, 0)
        dates = QHBoxLayout()
        dates.addWidget(self.entity)
        dates.addWidget(self.entity_id)
        dates.addSpacing(8)
        dates.addWidget(self.use_dates)
        dates.addWidget(self.first_day)
        dates.addWidget(QLabel("and"))
        dates.addWidget(self.last_day)
        dates.addWidget(self.search_button)
        dates.addStretch(1)
        dates.addWidget(self.export_button)
        dates.addWidget(self.pdf_button)
        filters.addLayout(dates, 1, 1, 1, 8)
        filters.addWidget(self.date_error, 2, 0, 1, 9)
        filters.setColumnStretch(3, 1)
        filters.setColumnStretch(8, 1)
        self.previous_button = QPushButton(icon("mdi6.chevron-left"), "Newer")
        self.next_button = QPushButton(icon("mdi6.chevron-right"), "Older")
        self.previous_button.clicked.connect(lambda: self.go_to(self.page - 1))
        self.next_button.clicked.connect(lambda: self.go_to(self.page + 1))
        self.page_label = QLabel()
        self.page_label.setProperty("role", "muted")
        pager = QHBoxLayout()
        pager.addWidget(self.page_label, 1)
        pager.addWidget(self.previous_button)
        pager.addWidget(self.next_button)
        self.details = EntryDetails()
        layout = self.layout()
        layout.insertWidget(1, self.notice)
        layout.insertLayout(2, filters)
        layout.addWidget(self.details)
        layout.addLayout(pager)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())
        self._update_pager()

    def selected_entry(self) -> AuditEntry | None:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        return self.model.row_at(self.proxy.mapToSource(index).row())

    def _show_selected(self) -> None:
        self.details.show_entry(self.selected_entry())

    def query(self) -> AuditQuery | None:
        first = last = None
        if self.use_dates.isChecked():
            first = self.first_day.date().toPython()
            last = self.last_day.date().toPython()
            if last < first:  # type: ignore[operator]
                self.date_error.setText("The last day is before the first.")
                self.date_error.show()
                return None
        self.date_error.hide()
        return AuditQuery(
            staff_id=self.person.currentData(),
            action=self.action.currentData(),
            entity=self.entity.currentData(),
            entity_id=self.entity_id.text().strip() or None,
            first_day=first,  # type: ignore[arg-type]
            last_day=last,  # type: ignore[arg-type]
            patient=self.patient.text().strip() or None,
            reference=self.reference.text().strip() or None,
        )

    def refresh(self) -> None:
        """Reload the filter choices and the current page."""
        service = self._service
        run_task(
            lambda: (service.people(), service.actions(), service.entities()),
            lambda choices: self._fill_choices(*choices),
            lambda error: self.notice.error(describe_error(error)),
            receiver=self,
        )
        self.go_to(self.page)

    def _fill_choices(self, people: list, actions: list[str], entities: list[str]) -> None:  # type: ignore[type-arg]
        for box, items in (
            (self.person, [(p.name, p.staff_id) for p in people]),
            (self.action, [(readable(a), a) for a in actions]),
            (self.entity, [(readable(e), e) for e in entities]),
        ):
            current = box.currentData()
            box.blockSignals(True)
            while box.count() > 1:
                box.removeItem(1)
            for text, data in items:
                box.addItem(text, data)
            box.setCurrentIndex(max(0, box.findData(current)))
            box.blockSignals(False)

    def search(self) -> None:
        self.go_to(0)

    def go_to(self, page: int) -> None:
        query = self.query()
        if query is None:
            return
        service = self._service
        self.page = max(0, page)
        number = self.page
        self.load(lambda: self._fetch(service, query, number))

    @staticmethod
    def _fetch(service: AuditLogService, query: AuditQuery, page: int) -> _Rows:
        result = service.search(query, page=page, page_size=PAGE_SIZE)
        return _Rows(result.entries, result)

    def rows_loaded(self, rows: object) -> None:
        self.result = getattr(rows, "result", None)
        self._update_pager()
        if self.proxy.rowCount():
            self.view.selectRow(0)
        self._show_selected()

    def _update_pager(self) -> None:
        result = self.result
        if result is None or result.total == 0:
            self.page_label.setText("No entries")
            self.previous_button.setEnabled(False)
            self.next_button.setEnabled(False)
            return
        first = result.page * result.page_size + 1
        last = first + len(result.entries) - 1
        self.page_label.setText(
            f"Entries {first:,}–{last:,} of {result.total:,} · page {result.page + 1} of "
            f"{result.pages}"
        )
        self.previous_button.setEnabled(result.page > 0)
        self.next_button.setEnabled(result.page + 1 < result.pages)

    def export(self) -> None:
        self._export("audit-log.csv", "CSV files (*.csv)", "csv")

    def export_pdf(self) -> None:
        self._export("audit-log.pdf", "PDF documents (*.pdf)", "pdf")

    def _export(self, name: str, kinds: str, kind: str) -> None:
        query = self.query()
        if query is None:
            return
        path = files.choose_save_path(self, "Export the audit log", name, kinds)
        if path is None:
            return
        service = self._service

        def work() -> str:
            if kind == "pdf":
                path.write_bytes(service.export_pdf(query))
            else:
                path.write_text(service.export_csv(query), encoding="utf-8-sig")
            return str(path)

        self.export_button.setEnabled(False)
        self.pdf_button.setEnabled(False)
        run_task(work, self._exported, self._export_failed, receiver=self)

    def _exported(self, path: str) -> None:
        self.export_button.setEnabled(True)
        self.pdf_button.setEnabled(True)
        self.notice.success(f"Saved the matching entries to {path}.")

    def _export_failed(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        self.pdf_button.setEnabled(True)
        self.notice.error(f"Could not export: {describe_error(error)}")


def _what_tooltip(entry: AuditEntry) -> str:
    lines = [entry.sentence]
    lines += [f"{c.field}: {c.before} → {c.after}" for c in entry.changes]
    return "\n".join(lines)


class EntryDetails(QWidget):
    """The selected entry: its sentence, the fields it changed (before and after) and the
    raw details as recorded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("Select an entry to see what it changed.")
        self.heading.setWordWrap(True)
        self.heading.setProperty("role", "muted")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.changes = QTableWidget(0, 3)
        self.changes.setHorizontalHeaderLabels(["Field", "Before", "After"])
        self.changes.verticalHeader().setVisible(False)
        self.changes.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.changes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.changes.setToolTip("The fields this entry changed, before and after")
        self.raw = QPlainTextEdit(readOnly=True)
        self.raw.setToolTip("The details as recorded (JSON)")
        self.raw.setPlaceholderText("No details recorded.")
        self.raw_label = QLabel("Details as recorded")
        self.raw_label.setProperty("role", "hint")
        self.changes_label = QLabel("Changes")
        self.changes_label.setProperty("role", "hint")
        left = QVBoxLayout()
        left.setSpacing(2)
        left.addWidget(self.changes_label)
        left.addWidget(self.changes)
        right = QVBoxLayout()
        right.setSpacing(2)
        right.addWidget(self.raw_label)
        right.addWidget(self.raw)
        panes = QHBoxLayout()
        panes.addLayout(left, 3)
        panes.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.heading)
        layout.addLayout(panes)
        self.setMaximumHeight(190)

    def show_entry(self, entry: AuditEntry | None) -> None:
        if entry is None:
            self.heading.setText("Select an entry to see what it changed.")
            self.changes.setRowCount(0)
            self.raw.setPlainText("")
            return
        self.heading.setText(entry.sentence)
        self.heading.setToolTip(
            f"Written by the database login {entry.db_user}" if entry.db_user else ""
        )
        self.changes.setRowCount(len(entry.changes))
        for row, change in enumerate(entry.changes):
            for column, text in enumerate((change.field, change.before, change.after)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.changes.setItem(row, column, item)
        self.changes_label.setText(
            "Changes" if entry.changes else "Changes: none recorded for this entry"
        )
        raw = entry.details_pretty if entry.details else ""
        if entry.db_user:  # the server's own record of who, which no client can choose
            raw = f"database login: {entry.db_user}\n{raw}"
        self.raw.setPlainText(raw)


class _Rows(tuple):  # type: ignore[type-arg]
    """The entries of one page, carrying the page's totals along."""

    result: AuditPage

    def __new__(cls, entries: tuple[AuditEntry, ...], result: AuditPage) -> _Rows:
        rows = super().__new__(cls, entries)
        rows.result = result
        return rows
