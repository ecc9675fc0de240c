"""Radiologists' schedule: their working week and their leave.

Leave is entered as whole days in the clinic's time zone; adding it says how many
booked appointments with that radiologist fall inside, so reception can move them.
Changes from another desk ("mic_schedule") reload the list.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from mic_desktop.services.formats import local_day_bounds
from mic_desktop.services.scheduling.availability import (
    LeaveInfo,
    RadiologistSchedule,
    RadiologistScheduleService,
    WeeklyPeriod,
)
from mic_desktop.ui.common.formatting import format_date, format_datetime
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import (
    EVERY_DATETIME,
    Column,
    RowTableModel,
    make_table_view,
    size_columns,
)
from mic_desktop.ui.common.tasks import run_task

from .admin_list import AdminListPage
from .forms import DayPeriod, FormDialog, WeekDialog, weekly_periods_text

_ONE_SECOND = dt.timedelta(seconds=1)


def week_text(schedule: RadiologistSchedule) -> str:
    return weekly_periods_text(
        ((p.weekday, p.starts_at, p.ends_at) for p in schedule.availability),
        "No working hours set",
    )


class LeaveDialog(FormDialog):
    def __init__(
        self,
        service: RadiologistScheduleService,
        person: RadiologistSchedule,
        zone,  # type: ignore[no-untyped-def]
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Leave for {person.full_name}", "Add leave", parent)
        self._service = service
        self._zone = zone
        self.person = person
        self.added: LeaveInfo | None = None
        today = QDate(service.now().astimezone(zone).date())  # the clinic's today
        self.first_day = QDateEdit(today, calendarPopup=True)
        self.last_day = QDateEdit(today, calendarPopup=True)
        for edit in (self.first_day, self.last_day):
            edit.setDisplayFormat("ddd d MMM yyyy")
        self.form.add_field("starts_at", "First day away", self.first_day)
        self.form.add_field("ends_at", "Last day away", self.last_day, "Whole days, both included.")
        self.reason = self.form.add_field("reason", "Reason", QLineEdit(), "Optional.")

    def submit(self) -> None:
        first = self.first_day.date().toPython()
        last = self.last_day.date().toPython()
        starts_at = local_day_bounds(first, self._zone)[0]  # type: ignore[arg-type]
        ends_at = local_day_bounds(last, self._zone)[1]  # type: ignore[arg-type]
        service, person, reason = self._service, self.person, self.reason.text()
        self.set_busy(True)
        self.form.clear_errors()
        run_task(
            lambda: service.add_leave(person.radiologist_id, starts_at, ends_at, reason),
            self._added,
            self.failed,
            receiver=self,
        )

    def _added(self, leave: LeaveInfo) -> None:
        self.added = leave
        self.accept()


class RadiologistsPage(AdminListPage):
    def __init__(
        self,
        service: RadiologistScheduleService,
        zone,  # type: ignore[no-untyped-def]
        parent: QWidget | None = None,
    ) -> None:
        def next_leave(s: RadiologistSchedule) -> str:
            if not s.leave:
                return "—"
            leave = s.leave[0]
            return f"{format_date(leave.starts_at.astimezone(zone).date())} – " + format_date(
                (leave.ends_at.astimezone(zone) - _ONE_SECOND).date()
            )

        columns = [
            Column("Radiologist", lambda s: s.full_name, width=220),
            Column(
                "Status",
                lambda s: "Active" if s.is_active else "Disabled",
                colour=lambda s: None if s.is_active else "#b42318",
                width=90,
            ),
            Column("Working week", week_text, tooltip=week_text, stretch=True),
            Column("Next leave", next_leave, width=290),
        ]
        super().__init__(
            "Radiologists' schedule",
            columns,
            empty_headline="No radiologists",
            empty_text="Add radiologists on the Staff page; their schedule is kept here.",
            empty_icon="mdi6.doctor",
            parent=parent,
        )
        self._service = service
        self._zone = zone
        self.subtitle.setText(
            "When each radiologist reports. Select one to see and edit their leave."
        )
        self.week_button = self.button(
            "mdi6.calendar-week-outline", "Working week…", self.edit_week, True
        )
        self.leave_button = self.button("mdi6.airplane", "Add leave…", self.add_leave, True)
        self.view.doubleClicked.connect(lambda _i: self.edit_week())
        self.leave_title = QLabel("Leave still to come")
        self.leave_title.setProperty("role", "section-title")
        self.leave_model = RowTableModel(
            [
                Column(
                    "From",
                    lambda leave: format_datetime(leave.starts_at, zone),
                    fits=EVERY_DATETIME,
                ),
                Column(
                    "Until", lambda leave: format_datetime(leave.ends_at, zone), fits=EVERY_DATETIME
                ),
                Column("Reason", lambda leave: leave.reason or "", width=220),
                Column(
                    "Booked inside",
                    lambda leave: (
                        f"{leave.affected_appointments} appointment(s) to move"
                        if leave.affected_appointments
                        else "none"
                    ),
                    colour=lambda leave: "#b42318" if leave.affected_appointments else None,
                    width=200,
                ),
            ],
            parent=self,
        )
        self.leave_view = make_table_view(self)
        self.leave_view.setSortingEnabled(False)
        self.leave_view.setModel(self.leave_model)
        self.leave_view.setMaximumHeight(170)
        size_columns(self.leave_view, self.leave_model.columns)
        self.leave_view.selectionModel().selectionChanged.connect(
            lambda *_a: self.remove_button.setEnabled(self.selected_leave() is not None)
        )
        self.remove_button = QPushButton(icon("mdi6.delete-outline"), "Remove leave")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self.remove_leave)
        self.leave_hint = QLabel("Select a radiologist above to see their leave.")
        self.leave_hint.setProperty("role", "muted")
        layout = self.layout()
        layout.addWidget(self.leave_title)  # type: ignore[union-attr]
        layout.addWidget(self.leave_hint)  # type: ignore[union-attr]
        layout.addWidget(self.leave_view)  # type: ignore[union-attr]
        remove_row = QHBoxLayout()
        remove_row.addStretch(1)
        remove_row.addWidget(self.remove_button)
        layout.addLayout(remove_row)  # type: ignore[union-attr]

    def refresh(self) -> None:
        self.load(self._service.radiologists)

    def selection_changed(self) -> None:
        super().selection_changed()
        person = self.selected()
        if isinstance(person, RadiologistSchedule):
            self.leave_model.set_rows(person.leave)
            self.leave_hint.setText(
                f"{person.full_name}: {len(person.leave)} period(s) of leave ahead."
                if person.leave
                else f"{person.full_name} has no leave ahead."
            )
        else:
            self.leave_model.set_rows([])
            self.leave_hint.setText("Select a radiologist above to see their leave.")
        self.remove_button.setEnabled(self.selected_leave() is not None)

    def selected_leave(self) -> LeaveInfo | None:
        indexes = self.leave_view.selectionModel().selectedRows()
        return self.leave_model.row_at(indexes[0].row()) if indexes else None

    def edit_week(self) -> None:
        person = self.selected()
        if not isinstance(person, RadiologistSchedule):
            return
        service = self._service

        def save(periods: list[DayPeriod]) -> RadiologistSchedule:
            return service.set_availability(
                person.radiologist_id, [WeeklyPeriod(*p) for p in periods]
            )

        dialog = WeekDialog(
            f"{person.full_name}'s working week",
            "Save week",
            [(p.weekday, p.starts_at, p.ends_at) for p in person.availability],
            save,
            "Untick the days they do not work.",
            self,
        )
        self.open_dialog(
            dialog,
            lambda _d: self.changed(
                f"{person.full_name}'s working week was saved.",
                lambda r: r.radiologist_id == person.radiologist_id,  # type: ignore[attr-defined]
            ),
        )

    def add_leave(self) -> None:
        person = self.selected()
        if not isinstance(person, RadiologistSchedule):
            return
        dialog = LeaveDialog(self._service, person, self._zone, self)

        def done(d: FormDialog) -> None:
            leave = d.added  # type: ignore[attr-defined]
            moved = (
                f" {leave.affected_appointments} booked appointment(s) fall inside it: ask "
                "reception to move them."
                if leave.affected_appointments
                else " No booked appointment falls inside it."
            )
            self.changed(
                f"Leave for {person.full_name} was added.{moved}",
                lambda r: r.radiologist_id == person.radiologist_id,  # type: ignore[attr-defined]
            )

        self.open_dialog(dialog, done)

    def remove_leave(self) -> None:
        person, leave = self.selected(), self.selected_leave()
        if not isinstance(person, RadiologistSchedule) or leave is None:
            return
        self.remove_button.setEnabled(False)
        run_task(
            lambda: self._service.remove_leave(leave.id),
            lambda _none: self.changed(
                f"The leave of {person.full_name} was removed.",
                lambda r: r.radiologist_id == person.radiologist_id,  # type: ignore[attr-defined]
            ),
            lambda error: self.notice.error(str(error)),
            receiver=self,
        )
