"""The radiologist's worklist: completed studies whose report is missing or not final.

Filters (mine / unassigned / all, modality, urgency, completion dates), sort and
search go to the worklist service, which does them in one query. Claiming and
releasing run off the GUI thread; a claim someone else won is said in the red line
above the list. The list reloads when another desk completes a scan or claims,
writes or finalises a report (``session.live``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from mic_desktop.models import ReportStatus, Urgency
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.reporting.worklist import (
    Claim,
    WorklistCounts,
    WorklistFilter,
    WorklistItem,
    WorklistScope,
    WorklistService,
    WorklistSort,
)
from mic_desktop.ui.common.colours import URGENT
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime, format_hours
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import EVERY_DATETIME, RIGHT, Column, ListPage
from mic_desktop.ui.common.tasks import run_task
from mic_desktop.ui.common.window import HomePage

REPORT_STATE = {ReportStatus.PENDING: "Not started", ReportStatus.IN_PROGRESS: "Draft"}
SORTS = (
    (WorklistSort.PRIORITY, "Urgent first, longest waiting"),
    (WorklistSort.OLDEST, "Oldest first"),
    (WorklistSort.NEWEST, "Newest first"),
    (WorklistSort.PATIENT, "Patient name"),
    (WorklistSort.MODALITY, "Modality"),
)
NO_DATE = QDate(2000, 1, 1)  # the date edits' "any date" value
LIVE_CHANNELS = {LiveChannel.REPORT.value, LiveChannel.APPOINTMENT.value}


def awaiting_columns(zone: ZoneInfo, overdue_hours: int) -> list[Column]:
    urgent_icon = icon("mdi6.alert-circle", URGENT)
    overdue_icon = icon("mdi6.clock-alert-outline", URGENT)

    def marker(r: WorklistItem):  # type: ignore[no-untyped-def]
        if r.is_urgent:
            return urgent_icon
        return overdue_icon if r.is_overdue else None

    return [
        Column(
            "Urgency",
            lambda r: "Urgent" if r.is_urgent else "Routine",
            sort_key=lambda r: 0 if r.is_urgent else 1,
            icon=marker,
            colour=lambda r: URGENT if r.is_urgent else None,
            tooltip=lambda r: (
                f"Waiting over the clinic's {overdue_hours} h reporting target"
                if r.is_overdue
                else None
            ),
            width=100,
        ),
        Column("Patient", lambda r: r.patient_name, tooltip=lambda r: r.patient_name, width=170),
        Column("MRN", lambda r: r.mrn, width=100),
        Column("Scan", lambda r: r.scan_type, tooltip=lambda r: r.scan_type, stretch=True),
        Column("Modality", lambda r: r.modality_name, tooltip=lambda r: r.modality_name, width=120),
        Column(
            "Completed",
            lambda r: format_datetime(r.completed_at, zone),
            sort_key=lambda r: r.completed_at.timestamp(),
            fits=EVERY_DATETIME,
        ),
        Column(
            "Waiting",
            lambda r: format_hours(r.hours_waiting),
            sort_key=lambda r: r.hours_waiting,
            align=RIGHT,
            colour=lambda r: URGENT if r.is_overdue else None,
            tooltip=lambda r: (
                f"Over the clinic's {overdue_hours} h reporting target" if r.is_overdue else None
            ),
            width=88,
        ),
        Column(
            "Report",
            lambda r: REPORT_STATE.get(r.report_status, r.report_status.value),
            width=100,
        ),
        Column(
            "Referred by",
            lambda r: r.referring_doctor or "—",
            tooltip=lambda r: r.referring_doctor,
            width=150,
        ),
        Column(
            "Radiologist",
            lambda r: "Me" if r.is_mine else (r.radiologist_name or "Unassigned"),
            sort_key=lambda r: r.radiologist_name or "",
            tooltip=lambda r: r.radiologist_name,
            width=112,
        ),
        Column(
            "Scanner",
            lambda r: r.scanned_by or "—",
            tooltip=lambda r: (
                f"The scanner {r.scanned_by} reported it completed (DICOM MPPS)"
                if r.scanned_by
                else "Completed at the desk"
            ),
            width=90,
        ),
    ]


class AwaitingReportsPage(ListPage, HomePage):
    """The worklist with its filter bar, claim and release."""

    open_requested = Signal(int)  # a report id the person wants to work on or read
    claimed = Signal(object)  # Claim

    def __init__(
        self,
        worklist: WorklistService,
        zone: ZoneInfo,
        overdue_hours: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Worklist",
            awaiting_columns(zone, overdue_hours),
            empty_headline="No studies are waiting for a report",
            empty_text=(
                "Every completed scan has a final report. Scans appear here as soon as "
                "they are marked completed; press F5 to check again."
            ),
            empty_icon="mdi6.clipboard-check-outline",
            parent=parent,
        )
        self._worklist = worklist
        self._overdue_hours = overdue_hours
        self._modalities: dict[str, str] = {}
        self.counts: WorklistCounts | None = None

        self.scope = QComboBox()
        for scope in (WorklistScope.ALL, WorklistScope.UNASSIGNED, WorklistScope.MINE):
            self.scope.addItem(scope.label, scope)
        self.scope.setToolTip("Whose studies to show")
        self.modality = QComboBox()
        self.modality.addItem("All modalities", None)
        self.urgency = QComboBox()
        self.urgency.addItem("Any urgency", None)
        self.urgency.addItem("Urgent", Urgency.URGENT)
        self.urgency.addItem("Routine", Urgency.ROUTINE)
        self.date_from = self._date_edit("Completed on or after this day")
        self.date_to = self._date_edit("Completed on or before this day")
        self.sort = QComboBox()
        for sort, label in SORTS:
            self.sort.addItem(label, sort)
        self.search = QLineEdit(placeholderText="Search patient, MRN, scan, reference… (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        self.claim_button = QPushButton(icon("mdi6.account-arrow-left"), "Claim")
        self.claim_button.setToolTip("Assign the selected study to me and open it (Ctrl+Return)")
        self.release_button = QPushButton(icon("mdi6.account-arrow-right"), "Release")
        self.release_button.setToolTip("Give the selected study back to the worklist")
        self.open_button = QPushButton(icon("mdi6.file-document-edit-outline"), "Open report")
        self.open_button.setToolTip("Open the selected study's report (Enter)")
        self.open_button.setDefault(True)

        self.notice = QLabel()
        self.notice.setProperty("role", "error")
        self.notice.setWordWrap(True)
        self.notice.hide()

        filters = QHBoxLayout()
        filters.setSpacing(8)
        for widget in (self.scope, self.modality, self.urgency):
            filters.addWidget(widget)
        filters.addWidget(QLabel("From"))
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel("to"))
        filters.addWidget(self.date_to)
        filters.addWidget(self.sort)
        filters.addWidget(self.search, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.notice, 1)
        buttons.addStretch(1)
        for button in (self.claim_button, self.release_button, self.open_button):
            buttons.addWidget(button)
        layout = self.layout()
        layout.insertLayout(1, filters)  # type: ignore[attr-defined]
        layout.insertLayout(2, buttons)  # type: ignore[attr-defined]

        self._search_timer = QTimer(self, singleShot=True, interval=300)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._search_timer.start)
        for combo in (self.scope, self.modality, self.urgency, self.sort):
            combo.currentIndexChanged.connect(self.refresh)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self.refresh)
        self.claim_button.clicked.connect(self.claim_selected)
        self.release_button.clicked.connect(self.release_selected)
        self.open_button.clicked.connect(self.open_selected)
        self.view.doubleClicked.connect(lambda _index: self.open_selected())
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        QShortcut(QKeySequence("Ctrl+F"), self, self.search.setFocus)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.claim_selected)
        for key in ("Return", "Enter"):
            QShortcut(QKeySequence(key), self.view, self.open_selected)
        self._update_buttons()

    @staticmethod
    def _date_edit(tip: str) -> QDateEdit:
        edit = QDateEdit(calendarPopup=True)
        edit.setDisplayFormat("ddd d MMM yyyy")
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText("any day")
        edit.setDate(NO_DATE)
        edit.setToolTip(f"{tip}; 'any day' for no limit")
        edit.setMinimumWidth(130)
        return edit

    # -- loading ------------------------------------------------------------------

    def criteria(self) -> WorklistFilter:
        def day(edit: QDateEdit) -> dt.date | None:
            value = edit.date()
            return None if value == NO_DATE else value.toPython()  # type: ignore[return-value]

        urgency = self.urgency.currentData()  # combo data comes back as plain str
        return WorklistFilter(
            scope=WorklistScope(self.scope.currentData()),
            modality=self.modality.currentData(),
            urgency=Urgency(urgency) if urgency else None,
            completed_from=day(self.date_from),
            completed_to=day(self.date_to),
            search=self.search.text().strip(),
            sort=WorklistSort(self.sort.currentData()),
        )

    def refresh(self) -> None:
        criteria = self.criteria()
        worklist = self._worklist
        self.load(lambda: worklist.items(criteria))
        run_task(worklist.counts, self._show_counts, receiver=self)

    def _show_counts(self, counts: WorklistCounts) -> None:
        self.counts = counts
        labels = {
            WorklistScope.ALL: f"All ({counts.total})",
            WorklistScope.UNASSIGNED: f"Unassigned ({counts.unassigned})",
            WorklistScope.MINE: f"Mine ({counts.mine})",
        }
        for number in range(self.scope.count()):
            self.scope.setItemText(number, labels[WorklistScope(self.scope.itemData(number))])

    def rows_loaded(self, rows: Sequence[WorklistItem]) -> None:
        for row in rows:
            if row.modality not in self._modalities:
                self._modalities[row.modality] = row.modality_name
                self.modality.blockSignals(True)
                self.modality.addItem(row.modality_name, row.modality)
                self.modality.blockSignals(False)
        urgent = sum(1 for r in rows if r.is_urgent)
        overdue = sum(1 for r in rows if r.is_overdue)
        parts = [f"{len(rows)} {'study' if len(rows) == 1 else 'studies'}"]
        if urgent:
            parts.append(f"{urgent} urgent")
        if overdue:
            parts.append(f"{overdue} over {self._overdue_hours} h")
        if rows:
            parts.append(self.sort.currentText().lower())
        self.subtitle.setText("   ·   ".join(parts))
        self._update_buttons()

    # -- selection and actions -------------------------------------------------------

    def selected(self) -> WorklistItem | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row())

    def select_appointment(self, appointment_id: int) -> bool:
        for number, row in enumerate(self.model.rows()):
            if row.appointment_id == appointment_id:
                index = self.proxy.mapFromSource(self.model.index(number, 0))
                self.view.selectRow(index.row())
                return True
        return False

    def _update_buttons(self, *_args: object) -> None:
        row = self.selected()
        self.claim_button.setEnabled(row is not None and not row.is_claimed)
        self.release_button.setEnabled(row is not None and row.is_mine)
        self.open_button.setEnabled(row is not None)

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def claim_selected(self) -> None:
        row = self.selected()
        if row is None or row.is_mine:
            if row is not None:
                self.open_requested.emit(row.report_id)
            return
        self._claim(row, lambda claim: self.open_requested.emit(claim.report_id))

    def _claim(self, row: WorklistItem, then: Callable[[Claim], None]) -> None:
        self.show_notice("")
        self.claim_button.setEnabled(False)
        appointment_id = row.appointment_id

        def done(claim: Claim) -> None:
            self.claimed.emit(claim)
            self.refresh()
            then(claim)

        def failed(error: BaseException) -> None:
            self.show_notice(describe_error(error))
            self.refresh()

        run_task(lambda: self._worklist.claim(appointment_id), done, failed, receiver=self)

    def release_selected(self) -> None:
        row = self.selected()
        if row is None or row.report_id is None or not row.is_mine:
            return
        self.show_notice("")
        report_id = row.report_id
        run_task(
            lambda: self._worklist.release(report_id),
            lambda _none: self.refresh(),
            lambda error: self.show_notice(describe_error(error)),
            receiver=self,
        )

    def open_selected(self) -> None:
        """Open the report; a study nobody holds is claimed first."""
        row = self.selected()
        if row is None:
            return
        if row.report_id is not None and row.is_claimed:
            self.open_requested.emit(row.report_id)
        else:
            self._claim(row, lambda claim: self.open_requested.emit(claim.report_id))
