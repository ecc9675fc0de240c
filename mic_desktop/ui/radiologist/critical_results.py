"""The unacknowledged critical results list, shared by the radiologist and manager windows.

Oldest first, escalated ones (open longer than the clinic allows) carry the red
marker; the finding takes the width the other columns leave (who flagged it is in the
"Flagged" tooltip). "Record communication" asks who was told, by what means and when; once
recorded the result leaves the list, here and on every other desk (``mic_report``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.errors import ValidationError
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.reporting.critical_findings import (
    CommunicationMethod,
    CriticalFindingService,
    CriticalResult,
)
from mic_desktop.ui.common.colours import URGENT
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime, format_hours
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.common.table import EVERY_DATETIME, RIGHT, Column, ListPage
from mic_desktop.ui.common.tasks import run_task

from . import context


def critical_columns(session: UserSession) -> list[Column]:
    zone = session.clinic.zone
    marker = icon("mdi6.alert-octagon", URGENT)
    return [
        Column(
            "Status",
            lambda r: "Escalated" if r.escalated else "Open",
            icon=lambda r: marker if r.escalated else None,
            colour=lambda r: URGENT if r.escalated else None,
            sort_key=lambda r: 0 if r.escalated else 1,
            width=125,
        ),
        Column(
            "Flagged",
            lambda r: format_datetime(r.flagged_at, zone),
            tooltip=lambda r: (
                f"Flagged by {r.flagged_by_name}, {format_datetime(r.flagged_at, zone)}"
            ),
            sort_key=lambda r: r.flagged_at.timestamp(),
            fits=EVERY_DATETIME,
        ),
        Column(
            "Open for",
            lambda r: format_hours(r.minutes_open / 60),
            sort_key=lambda r: r.minutes_open,
            align=RIGHT,
            width=90,
        ),
        Column("Patient", lambda r: r.patient_name, tooltip=lambda r: r.patient_name, width=140),
        Column("MRN", lambda r: r.mrn, width=100),
        Column("Scan", lambda r: r.scan_type, tooltip=lambda r: r.scan_type, width=130),
        # The finding is what the list is for: it takes the room the other columns leave.
        Column("Finding", lambda r: r.description, tooltip=lambda r: r.description, stretch=True),
        Column(
            "Tell",
            lambda r: (
                " · ".join(p for p in (r.referring_doctor, r.referring_doctor_phone) if p) or "—"
            ),
            tooltip=lambda r: " · ".join(
                p
                for p in (r.referring_doctor, r.referring_doctor_phone, r.referring_doctor_email)
                if p
            ),
            width=170,
        ),
    ]


class AcknowledgeDialog(QDialog):
    """Record who was told about a critical result, how and when."""

    acknowledged = Signal(object)  # CriticalResult

    def __init__(
        self,
        service: CriticalFindingService,
        result: CriticalResult,
        zone: ZoneInfo,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._zone = zone
        self._finding_id = result.id
        self.setWindowTitle("Record communication of a critical result")
        self.setMinimumWidth(520)
        summary = QLabel(
            f"<b>{result.patient_name}</b> ({result.mrn}) · {result.scan_type}<br>"
            f"<span style='color:{URGENT}'>{result.description}</span>"
        )
        summary.setWordWrap(True)
        self.told = QLineEdit(result.referring_doctor or "")
        self.told.setPlaceholderText("e.g. the referring doctor's name")
        self.told_error = QLabel()
        self.method = QComboBox()
        for method in CommunicationMethod:
            self.method.addItem(method.label, method)
        # Shown and entered in the clinic's time zone, whatever this PC's zone is.
        clinic_now = service.now().astimezone(zone)  # the clock the service checks against
        now = QDateTime(clinic_now.replace(tzinfo=None, second=0, microsecond=0))
        self.when = QDateTimeEdit(now)
        self.when.setDisplayFormat("ddd d MMM yyyy HH:mm")
        self.when.setCalendarPopup(True)
        self.when.setMaximumDateTime(now.addSecs(300))
        self.error = QLabel()
        for label in (self.told_error, self.error):
            label.setProperty("role", "field-error")
            label.setWordWrap(True)
            label.hide()
        form = QFormLayout()
        form.addRow("Who was told", self.told)
        form.addRow("", self.told_error)
        form.addRow("By what means", self.method)
        form.addRow("When", self.when)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton("Record", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def save(self) -> None:
        self.told_error.hide()
        self.error.hide()
        told = self.told.text().strip()
        if not told:
            self.told_error.setText("Say who was told, e.g. the referring doctor's name.")
            self.told_error.show()
            self.told.setFocus()
            return
        method = CommunicationMethod(self.method.currentData())
        local: dt.datetime = self.when.dateTime().toPython()  # type: ignore[assignment]
        when = local.replace(tzinfo=self._zone)
        service, finding_id = self._service, self._finding_id
        self.save_button.setEnabled(False)
        run_task(
            lambda: service.acknowledge(
                finding_id, communicated_to=told, method=method, communicated_at=when
            ),
            self._saved,
            self._failed,
            receiver=self,
        )

    def _saved(self, result: CriticalResult) -> None:
        self.acknowledged.emit(result)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        label = (
            self.told_error
            if isinstance(error, ValidationError) and error.field == "communicated_to"
            else self.error
        )
        label.setText(describe_error(error))
        label.show()


class CriticalResultsView(ListPage):
    """Unacknowledged critical results, oldest first, with the acknowledge dialog."""

    count_changed = Signal(int, int)  # open, escalated

    def __init__(self, session: UserSession, parent: QWidget | None = None) -> None:
        super().__init__(
            "Unacknowledged critical results",
            critical_columns(session),
            empty_headline="No critical result is waiting",
            empty_text=(
                "Every flagged critical finding has been communicated. A finding flagged "
                "when a report is finalised appears here until someone records who was told."
            ),
            empty_icon="mdi6.shield-check-outline",
            parent=parent,
        )
        self._service = context.critical_service(session)
        self._zone = session.clinic.zone
        self.dialog: AcknowledgeDialog | None = None
        self.acknowledge_button = QPushButton(icon("mdi6.phone-check"), "Record communication…")
        self.acknowledge_button.setToolTip("Record who was told, how and when (Enter)")
        self.header_row.addWidget(self.acknowledge_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.acknowledge_button.clicked.connect(self.acknowledge_selected)
        self.view.doubleClicked.connect(lambda _index: self.acknowledge_selected())
        for key in ("Return", "Enter"):
            QShortcut(QKeySequence(key), self.view, self.acknowledge_selected)
        self.view.selectionModel().selectionChanged.connect(self._update_button)
        self._update_button()
        context.connect_live(session, {LiveChannel.REPORT.value}, self.refresh, self)

    def refresh(self) -> None:
        self.load(self._service.unacknowledged)

    def rows_loaded(self, rows: Sequence[CriticalResult]) -> None:
        escalated = sum(1 for r in rows if r.escalated)
        parts = [f"{len(rows)} open"]
        if escalated:
            parts.append(f"{escalated} escalated")
        if rows:
            parts.append("oldest first")
        self.subtitle.setText("   ·   ".join(parts))
        self.count_changed.emit(len(rows), escalated)
        if rows and not self.view.selectionModel().hasSelection():
            self.view.selectRow(0)
        self._update_button()

    def selected(self) -> CriticalResult | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row())

    def _update_button(self, *_args: object) -> None:
        self.acknowledge_button.setEnabled(self.selected() is not None)

    def acknowledge_selected(self) -> None:
        result = self.selected()
        if result is None:
            return
        dialog = AcknowledgeDialog(self._service, result, self._zone, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.acknowledged.connect(lambda _r: self.refresh())
        dialog.finished.connect(lambda _code: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
