"""Closures: public holidays and days a room is out of use.

The slot finder offers no time on a closure and booking refuses it naming the
closure; the appointment book shades it. Adding a closure leaves bookings already
made on those days alone: the list counts them so reception can move them.
Changes from another desk ("mic_catalogue") reload the list.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QLineEdit, QWidget

from mic_desktop.services.admin.catalogue import FacilityAdminService
from mic_desktop.services.scheduling.closures import ClosureInfo
from mic_desktop.services.scheduling.rooms import RoomInfo
from mic_desktop.ui.common.table import RIGHT, Column
from mic_desktop.ui.common.tasks import run_task

from .admin_list import AdminListPage
from .forms import FormDialog


def _date_edit(day: dt.date) -> QDateEdit:
    edit = QDateEdit(QDate(day.year, day.month, day.day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("ddd d MMM yyyy")
    edit.setMinimumWidth(150)
    return edit


def _day(edit: QDateEdit) -> dt.date:
    value = edit.date()
    return dt.date(value.year(), value.month(), value.day())


class ClosureDialog(FormDialog):
    def __init__(
        self,
        service: FacilityAdminService,
        rooms: list[RoomInfo],
        today: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Add a closure", "Add", parent)
        self._service = service
        self.saved: ClosureInfo | None = None
        self.name = self.form.add_field(
            "name", "Name", QLineEdit(), "e.g. Christmas Day, CT maintenance"
        )
        self.first_day = self.form.add_field("first_day", "First day", _date_edit(today))
        self.last_day = self.form.add_field("last_day", "Last day", _date_edit(today))
        self.first_day.dateChanged.connect(  # type: ignore[attr-defined]
            lambda date: self.last_day.setDate(max(date, self.last_day.date()))  # type: ignore[attr-defined]
        )
        self.room = QComboBox()
        self.room.addItem("The whole clinic", None)
        for room in rooms:
            if room.is_active:
                self.room.addItem(room.name, room.id)
        self.form.add_field("room", "Closed", self.room)

    def submit(self) -> None:
        service, name = self._service, self.name.text()
        first, last = _day(self.first_day), _day(self.last_day)  # type: ignore[arg-type]
        room_id = self.room.currentData()
        self.set_busy(True)
        self.form.clear_errors()
        run_task(
            lambda: service.add_closure(name, first, last, room_id=room_id),
            self._saved,
            self.failed,
            receiver=self,
        )

    def _saved(self, info: ClosureInfo) -> None:
        self.saved = info
        self.accept()


class ClosuresPage(AdminListPage):
    def __init__(
        self, service: FacilityAdminService, today: dt.date, parent: QWidget | None = None
    ) -> None:
        columns = [
            Column("Days", lambda c: c.days_text, sort_key=lambda c: c.first_day, width=260),
            Column("Closed", lambda c: c.where, width=160),
            Column("Name", lambda c: c.name, stretch=True),
            Column(
                "Bookings on those days",
                lambda c: str(c.bookings) if c.bookings else "—",
                colour=lambda c: "#b42318" if c.bookings else None,
                tooltip=lambda c: "Move or cancel these bookings" if c.bookings else None,
                sort_key=lambda c: c.bookings,
                align=RIGHT,
                width=190,
            ),
        ]
        super().__init__(
            "Closures and public holidays",
            columns,
            empty_headline="No closures ahead",
            empty_text="Add public holidays and maintenance days with “Add closure…”: "
            "nothing can be booked on them.",
            empty_icon="mdi6.calendar-remove-outline",
            parent=parent,
        )
        self._service = service
        self._today = today
        self.rooms: list[RoomInfo] = []
        self.subtitle.setText(
            "Days on which the whole clinic or one room takes no bookings. Bookings made "
            "before a closure was added stay; the list counts them."
        )
        self.subtitle.setWordWrap(True)
        self.add_button = self.button("mdi6.plus", "Add closure…", self.add_closure, False)
        self.holidays_button = self.button(
            "mdi6.flag-outline", "Add public holidays", self.add_public_holidays, False
        )
        self.holidays_button.setToolTip(
            "The public holidays of the clinic's country (Clinic settings, phone country) "
            "for the next twelve months"
        )
        self.remove_button = self.button("mdi6.delete-outline", "Remove", self.remove_closure, True)

    def refresh(self) -> None:
        run_task(self._service.rooms, self._set_rooms, receiver=self)
        service, today = self._service, self._today
        self.load(lambda: service.closures(since=today))

    def _set_rooms(self, rooms: list[RoomInfo]) -> None:
        self.rooms = rooms

    def add_closure(self) -> None:
        def done(dialog: ClosureDialog) -> None:
            saved = dialog.saved
            assert saved is not None
            moved = (
                f" {saved.bookings} booking(s) on those days stay: move or cancel them."
                if saved.bookings
                else ""
            )
            self.changed(f"{saved.name} was added.{moved}", lambda c: c.id == saved.id)  # type: ignore[attr-defined]

        self.open_dialog(ClosureDialog(self._service, self.rooms, self._today, self), done)  # type: ignore[arg-type]

    def add_public_holidays(self) -> None:
        service, first = self._service, self._today
        last = dt.date(first.year + 1, first.month, 1) - dt.timedelta(days=1)
        self.holidays_button.setEnabled(False)

        def done(added: list[ClosureInfo]) -> None:
            self.holidays_button.setEnabled(True)
            if not added:
                self.notice.info("The public holidays of the next twelve months are all listed.")
                return
            booked = sum(c.bookings for c in added)
            moved = f" {booked} booking(s) fall on them: move or cancel them." if booked else ""
            self.changed(f"{len(added)} public holiday(s) were added.{moved}")

        def failed(error: BaseException) -> None:
            self.holidays_button.setEnabled(True)
            self.notice.error(str(error))

        run_task(lambda: service.add_public_holidays(first, last), done, failed, receiver=self)

    def remove_closure(self) -> None:
        closure = self.selected()
        if not isinstance(closure, ClosureInfo):
            return
        self.remove_button.setEnabled(False)
        run_task(
            lambda: self._service.remove_closure(closure.id),
            lambda _r: self.changed(f"{closure.name} ({closure.days_text}) was removed."),
            lambda error: self.notice.error(str(error)),
            receiver=self,
        )
