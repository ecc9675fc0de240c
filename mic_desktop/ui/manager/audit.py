"""The audit log viewer: filter by person, action, record and dates; page; export CSV."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
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
from mic_desktop.ui.common.table import Column, ListPage
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
                width=190,
            ),
            Column("Person", lambda e: e.person, width=170),
            Column("Action", lambda e: readable(e.action), width=200),
            Column(
                "Record",
                lambda e: f"{readable(e.entity)} {e.entity_id or ''}".strip() if e.entity else "",
                width=170,
            ),
            Column(
                "Details", lambda e: e.details_text, tooltip=lambda e: e.details_text, stretch=True
            ),
            Column("Workstation", lambda e: e.workstation or "", width=120),
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
        self.entity_id.setMaximumWidth(110)
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
        self.date_error = QLabel()
        self.date_error.setProperty("role", "field-error")
        self.date_error.hide()
        filters = QGridLayout()
        filters.setHorizontalSpacing(8)
        filters.addWidget(QLabel("Person"), 0, 0)
        filters.addWidget(self.person, 0, 1)
        filters.addWidget(QLabel("Action"), 0, 2)
        filters.addWidget(self.action, 0, 3)
        filters.addWidget(QLabel("Record"), 0, 4)
        filters.addWidget(self.entity, 0, 5)
        filters.addWidget(self.entity_id, 0, 6)
        dates = QHBoxLayout()
        dates.addWidget(self.use_dates)
        dates.addWidget(self.first_day)
        dates.addWidget(QLabel("and"))
        dates.addWidget(self.last_day)
        dates.addWidget(self.search_button)
        dates.addStretch(1)
        dates.addWidget(self.export_button)
        filters.addLayout(dates, 1, 0, 1, 8)
        filters.addWidget(self.date_error, 2, 0, 1, 8)
        filters.setColumnStretch(7, 1)
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
        layout = self.layout()
        layout.insertWidget(1, self.notice)
        layout.insertLayout(2, filters)
        layout.addLayout(pager)
        self._update_pager()

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
        query = self.query()
        if query is None:
            return
        path = files.choose_save_path(
            self, "Export the audit log", "audit-log.csv", "CSV files (*.csv)"
        )
        if path is None:
            return
        service = self._service

        def work() -> str:
            path.write_text(service.export_csv(query), encoding="utf-8-sig")
            return str(path)

        self.export_button.setEnabled(False)
        run_task(work, self._exported, self._export_failed, receiver=self)

    def _exported(self, path: str) -> None:
        self.export_button.setEnabled(True)
        self.notice.success(f"Saved the matching entries to {path}.")

    def _export_failed(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        self.notice.error(f"Could not export: {describe_error(error)}")


class _Rows(tuple):  # type: ignore[type-arg]
    """The entries of one page, carrying the page's totals along."""

    result: AuditPage

    def __new__(cls, entries: tuple[AuditEntry, ...], result: AuditPage) -> _Rows:
        rows = super().__new__(cls, entries)
        rows.result = result
        return rows
