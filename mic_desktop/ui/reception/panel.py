"""The patient panel: details, medical aid, balance, appointments, reports and messages."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import AppointmentStatus
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.patients.panel import AppointmentLine, PatientPanel, ReportLine
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_date, format_datetime, format_money
from mic_desktop.ui.common.table import (
    ROW_ROLE,
    BadgeDelegate,
    Column,
    RowTableModel,
    make_table_view,
    size_columns,
)
from mic_desktop.ui.common.tasks import run_task

from .context import ReceptionContext

_ANY_CHANGE = frozenset(
    {LiveChannel.APPOINTMENT.value, LiveChannel.REPORT.value, LiveChannel.OUTBOX.value}
)
_FREED = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
_PATIENT_CHANGE = frozenset({LiveChannel.PAYMENT.value, LiveChannel.PATIENT.value})


def _report_state(line: ReportLine) -> str:
    """ "Ready" once final; else where the report is (pending, in progress)."""
    return "Ready" if line.is_available else line.status.value.replace("_", " ").capitalize()


def _table(model: RowTableModel, parent: QWidget) -> QTableView:
    view = make_table_view(parent)
    view.setSortingEnabled(False)
    view.setModel(model)
    view.verticalHeader().setDefaultSectionSize(28)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    for number, column in enumerate(model.columns):
        if column.badge:
            view.setItemDelegateForColumn(number, BadgeDelegate(view))
    size_columns(view, model.columns)
    return view


class PatientPanelView(QWidget):
    """Shows one patient; ``appointment_chosen`` when a listed appointment is picked."""

    appointment_chosen = Signal(int)
    menu_requested = Signal(int, object)  # appointment id, global QPoint: a right-click
    edit_requested = Signal(object)  # PatientDetails
    book_requested = Signal(object)  # PatientDetails
    pay_requested = Signal(object)  # PatientPanel

    def __init__(self, context: ReceptionContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._generation = 0
        self.panel: PatientPanel | None = None
        zone, currency = context.zone, context.currency
        self.empty = QLabel(
            "Find a patient (Ctrl+F) to see their details, balance and visits here, "
            "or register a new patient (Ctrl+N)."
        )
        self.empty.setWordWrap(True)
        self.empty.setProperty("role", "muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.name = QLabel()
        self.name.setObjectName("PanelName")
        self.name.setStyleSheet("font-weight: 700; font-size: 16px;")
        self.name.setWordWrap(True)
        self.details = QLabel()
        self.details.setObjectName("PanelDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.balance = QLabel()
        self.balance.setObjectName("PanelBalance")
        self.balance.setStyleSheet("font-weight: 700;")
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.clicked.connect(
            lambda: self.panel and self.edit_requested.emit(self.panel.patient)
        )
        self.book_button = QPushButton("&Book…")
        self.book_button.clicked.connect(
            lambda: self.panel and self.book_requested.emit(self.panel.patient)
        )
        self.pay_button = QPushButton("Pa&y…")
        self.pay_button.clicked.connect(lambda: self.panel and self.pay_requested.emit(self.panel))
        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.book_button)
        buttons.addWidget(self.pay_button)

        appointment_columns = [
            Column(
                "When",
                lambda a: format_datetime(a.start_at, zone),
                tooltip=lambda a: (
                    f"{a.scan} · {a.room} · pays {format_money(a.patient_copay, currency)}"
                ),
                stretch=True,
            ),
            Column("Status", lambda a: a.status.label, badge=lambda a: a.status.value, width=116),
        ]
        self.upcoming = RowTableModel(appointment_columns, parent=self)
        self.past = RowTableModel(appointment_columns, parent=self)
        self.reports = RowTableModel(
            [
                Column(
                    "Scanned",
                    lambda r: r.scanned_on.astimezone(zone).strftime("%d/%m/%Y"),
                    tooltip=lambda r: format_date(r.scanned_on.astimezone(zone).date()),
                    width=100,
                ),
                Column("Scan", lambda r: r.scan, tooltip=lambda r: r.scan, stretch=True),
                Column("Report", _report_state, tooltip=_report_state, width=96),
            ],
            parent=self,
        )
        self.messages = RowTableModel(
            [
                Column(
                    "When",
                    lambda m: m.created_at.astimezone(zone).strftime("%d/%m %H:%M"),
                    tooltip=lambda m: format_datetime(m.created_at, zone),
                    width=90,
                ),
                Column(
                    "What",
                    lambda m: f"{m.kind} · {m.channel}",
                    tooltip=lambda m: m.body,
                    stretch=True,
                ),
                Column("Status", lambda m: m.status, tooltip=lambda m: m.last_error, width=80),
            ],
            parent=self,
        )
        self.tabs = QTabWidget()
        self.tabs.setObjectName("PatientTabs")
        self.tabs.tabBar().setExpanding(True)
        self.tabs.tabBar().setUsesScrollButtons(False)
        self.tabs.setStyleSheet(
            "QTabBar::tab { padding: 5px 6px; min-width: 0px; background: #eef2f6;"
            " border: 1px solid #d5dde8; border-bottom: none; margin-right: 2px; }"
            "QTabBar::tab:selected { background: #ffffff; color: #1f2937; }"
        )
        self.tab_views: dict[str, QTableView] = {}
        for key, title, model in (
            ("upcoming", "Upcoming", self.upcoming),
            ("past", "Past", self.past),
            ("reports", "Reports", self.reports),
            ("messages", "Messages", self.messages),
        ):
            view = _table(model, self)
            if key in ("upcoming", "past"):
                view.activated.connect(lambda index, m=model: self._chosen(m, index))
                view.clicked.connect(lambda index, m=model: self._chosen(m, index))
                view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
                view.customContextMenuRequested.connect(
                    lambda point, v=view, m=model: self._menu(v, m, point)
                )
            self.tab_views[key] = view
            self.tabs.addTab(view, title)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.name)
        layout.addWidget(self.details)
        layout.addWidget(self.balance)
        layout.addLayout(buttons)
        layout.addWidget(self.tabs, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        changes = context.changes
        if changes is not None:
            changes.changed.connect(self._changed)  # type: ignore[attr-defined]
            changes.reset.connect(self.reload)  # type: ignore[attr-defined]

    def _changed(self, channel: str, ids: frozenset[str]) -> None:
        """Appointment, report and message payloads are not patient ids: any of them reloads."""
        if self.panel is None:
            return
        mine = str(self.panel.patient.id) in ids
        if channel in _ANY_CHANGE or (channel in _PATIENT_CHANGE and mine):
            self.reload()

    def _chosen(self, model: RowTableModel, index: object) -> None:
        line: AppointmentLine | None = model.data(index, ROW_ROLE)  # type: ignore[arg-type]
        if line is not None:
            self.appointment_chosen.emit(line.id)

    def _menu(self, view: QTableView, model: RowTableModel, point: QPoint) -> None:
        index = view.indexAt(point)
        line: AppointmentLine | None = model.data(index, ROW_ROLE) if index.isValid() else None
        if line is not None:
            view.selectRow(index.row())
            self.menu_requested.emit(line.id, view.viewport().mapToGlobal(point))

    def load(self, patient_id: int) -> None:
        self._generation += 1
        generation = self._generation
        run_task(
            lambda: self._context.patients.panel(patient_id),
            lambda panel: generation == self._generation and self.show_panel(panel),
            lambda e: generation == self._generation and self._failed(e),
            receiver=self,
        )

    def reload(self) -> None:
        if self.panel is not None and not self._context.session.closed:
            self.load(self.panel.patient.id)

    def _failed(self, error: BaseException) -> None:
        self.empty.setText(describe_error(error))
        self.stack.setCurrentWidget(self.empty)

    def show_panel(self, panel: PatientPanel) -> None:
        self.panel = panel
        p = panel.patient
        zone, currency = self._context.zone, self._context.currency
        today = self._context.scheduling.today()
        self.name.setText(f"{p.full_name} · {p.mrn}")
        aid = (
            f"{p.plan_name}, member {p.medical_aid_member_number or '—'}"
            if p.plan_name
            else "No medical aid (private)"
        )
        lines = [
            f"Born {format_date(p.date_of_birth)} ({p.age_on(today)}) · {p.sex}",
            f"Phone {p.phone_display or '—'} · {p.email or 'no e-mail'}",
            f"ID {p.national_id or '—'}",
            aid,
        ]
        self.details.setText("\n".join(lines))
        owed = panel.balance.balance
        if owed > 0:
            self.balance.setText(f"Owes {format_money(owed, currency)}")
            self.balance.setStyleSheet("font-weight: 700; color: #b42318;")
        else:
            text = "Nothing owed" if owed == 0 else f"In credit {format_money(-owed, currency)}"
            self.balance.setText(text)
            self.balance.setStyleSheet("font-weight: 700; color: #15723a;")
        # A cancelled or missed visit is no longer "next": it is listed with the past ones.
        coming = [a for a in panel.upcoming if a.status not in _FREED]
        gone = [a for a in panel.upcoming if a.status in _FREED]
        self.upcoming.set_rows(coming)
        self.past.set_rows(gone + list(panel.past))
        self.reports.set_rows(panel.reports)
        self.messages.set_rows(panel.messages)
        available = sum(1 for r in panel.reports if r.is_available)
        self.tabs.setTabText(0, f"Next {len(coming)}")
        self.tabs.setTabToolTip(0, "Coming appointments (not cancelled)")
        self.tabs.setTabText(1, f"Past {len(gone) + len(panel.past)}")
        self.tabs.setTabToolTip(1, "Past visits, and cancelled or missed ones")
        self.tabs.setTabText(2, f"Reports {available}")
        self.tabs.setTabToolTip(2, f"{available} report(s) ready of {len(panel.reports)}")
        self.tabs.setTabText(3, f"Sent {len(panel.messages)}")
        self.tabs.setTabToolTip(3, "Messages sent to the patient")
        self.stack.setCurrentIndex(1)
        _ = zone
