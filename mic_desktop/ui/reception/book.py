"""The appointment book: a day (rooms as columns) or a week (one room or modality).

:class:`BookView` holds the navigation (day or week, previous and next, a date,
the room or modality of a week), loads the rooms and appointments off the GUI
thread and hands them to the painted :class:`~.book_canvas.BookCanvas`, whose
blocks can be dragged to reschedule. The book reloads when an appointment, room or
closure changes, here or at another desk (``session.changes``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import AppointmentStatus
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.scheduling.book import BookEntry, RoomInfo
from mic_desktop.services.scheduling.closures import ClosureInfo
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_date
from mic_desktop.ui.common.tasks import run_task

from .book_canvas import DAY_FIRST_HOUR, DAY_LAST_HOUR, BookCanvas, BookColumn
from .context import ReceptionContext

RELOAD_CHANNELS = frozenset({LiveChannel.APPOINTMENT.value, LiveChannel.CATALOGUE.value})


def room_codes(rooms: Sequence[RoomInfo]) -> dict[int, str]:
    """Short column names: the modality code and the room's number ("US 2"), else the name.

    A code two rooms would share is not used: those rooms keep their names.
    """
    codes: dict[int, str] = {}
    for room in rooms:
        number = re.search(r"(\d+)\s*$", room.name)
        codes[room.id] = f"{room.modality_code} {number.group(1)}" if number else room.modality_code
    taken = Counter(codes.values())
    return {room.id: codes[room.id] if taken[codes[room.id]] == 1 else room.name for room in rooms}


@dataclass(frozen=True)
class BookData:
    rooms: tuple[RoomInfo, ...]
    entries: tuple[BookEntry, ...]
    closures: tuple[ClosureInfo, ...] = ()


class BookView(QWidget):
    """Navigation (day/week, previous/next, jump to date, room or modality) over a canvas."""

    selected = Signal(object)
    activated = Signal(object)
    move_requested = Signal(object, int, object)
    menu_requested = Signal(object, object)  # BookEntry, global QPoint
    loaded = Signal()

    def __init__(self, context: ReceptionContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._generation = 0
        self._rooms: tuple[RoomInfo, ...] = ()
        self.day: dt.date = context.scheduling.today()
        self.week_mode = False

        self.title = QLabel("Appointment book")
        self.title.setProperty("role", "page-title")
        self.status = QLabel()
        self.status.setProperty("role", "muted")
        self.prev_button = QPushButton("◀")
        self.prev_button.setToolTip("Previous day or week (Alt+Left)")
        self.prev_button.setShortcut("Alt+Left")
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.today_button = QPushButton("Today")
        self.today_button.setToolTip("Back to today")
        self.today_button.clicked.connect(self.go_today)
        self.next_button = QPushButton("▶")
        self.next_button.setToolTip("Next day or week (Alt+Right)")
        self.next_button.setShortcut("Alt+Right")
        self.next_button.clicked.connect(lambda: self.step(1))
        self.date_edit = QDateEdit()
        self.date_edit.setObjectName("BookDate")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMM yyyy")
        self.date_edit.setToolTip("Jump to a date")
        self.date_edit.setDate(QDate(self.day))
        self.date_edit.dateChanged.connect(self._date_picked)
        self.day_button = QPushButton("Day")
        self.week_button = QPushButton("Week")
        for button in (self.day_button, self.week_button):
            button.setCheckable(True)
        self.day_button.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.day_button)
        group.addButton(self.week_button)
        group.setExclusive(True)
        self.day_button.toggled.connect(lambda on: on and self.set_week_mode(False))
        self.week_button.toggled.connect(lambda on: on and self.set_week_mode(True))
        self.scope = QComboBox()
        self.scope.setObjectName("BookScope")
        self.scope.setToolTip("The room or modality the week shows")
        self.scope.setMinimumWidth(180)
        self.scope.currentIndexChanged.connect(lambda _i: self.week_mode and self.reload())
        self.scope.hide()
        self.room_filter = QComboBox()
        self.room_filter.setObjectName("BookRoomFilter")
        self.room_filter.setToolTip("Show all rooms, or only the rooms of one modality")
        self.room_filter.addItem("All rooms", None)
        self.room_filter.currentIndexChanged.connect(lambda _i: self._redraw())
        self.freed_toggle = QCheckBox("Cancelled")
        self.freed_toggle.setObjectName("BookShowFreed")
        self.freed_toggle.setToolTip(
            "Show cancelled and no-show appointments, hatched behind the others"
        )
        self.freed_toggle.setChecked(True)
        self.freed_toggle.toggled.connect(self._show_freed)

        nav = QHBoxLayout()
        for widget in (
            self.day_button,
            self.week_button,
            self.scope,
            self.room_filter,
            self.prev_button,
            self.today_button,
            self.next_button,
            self.date_edit,
        ):
            nav.addWidget(widget)
        nav.addStretch(1)
        nav.addWidget(self.freed_toggle)

        self.canvas = BookCanvas(context.zone, context.session.clock)
        self.canvas.selected.connect(self.selected)
        self.canvas.activated.connect(self.activated)
        self.canvas.move_requested.connect(self.move_requested)
        self.canvas.menu_requested.connect(self.menu_requested)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.canvas)
        self.scroll.verticalScrollBar().valueChanged.connect(lambda _v: self.canvas.update())
        self.empty = QLabel()
        self.empty.setProperty("role", "muted")
        self.empty.setWordWrap(True)
        self.empty.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(nav)
        layout.addWidget(self.status)
        layout.addWidget(self.empty)
        layout.addWidget(self.scroll, 1)

        self._loading = False
        self._reload_again = False
        self._data: BookData | None = None
        self._now_timer = QTimer(self)
        self._now_timer.setInterval(60_000)
        self._now_timer.timeout.connect(self.canvas.update)
        self._now_timer.start()
        changes = context.changes
        if changes is not None:
            changes.changed.connect(self._changed)  # type: ignore[attr-defined]
            changes.reset.connect(self.reload)  # type: ignore[attr-defined]

    # -- navigation -------------------------------------------------------------------

    def _changed(self, channel: str, _ids: object) -> None:
        if channel not in RELOAD_CHANNELS:
            return
        if self._loading:  # one reload at a time: the next one starts when this one is in
            self._reload_again = True
        else:
            self.reload()

    def go_to(self, day: dt.date) -> None:
        self.day = day
        if self.date_edit.date().toPython() != day:
            self.date_edit.blockSignals(True)
            self.date_edit.setDate(QDate(day))
            self.date_edit.blockSignals(False)
        self.reload()

    def go_today(self) -> None:
        self.go_to(self._context.scheduling.today())

    def step(self, direction: int) -> None:
        self.go_to(self.day + dt.timedelta(days=direction * (7 if self.week_mode else 1)))

    def _date_picked(self, date: QDate) -> None:
        self.go_to(date.toPython())  # type: ignore[arg-type]

    def set_week_mode(self, week: bool) -> None:
        if week == self.week_mode:
            return
        self.week_mode = week
        self.scope.setVisible(week)
        self.room_filter.setVisible(not week)
        self.week_button.setChecked(week)
        self.day_button.setChecked(not week)
        self.reload()

    def range(self) -> tuple[dt.date, int]:
        if self.week_mode:
            monday = self.day - dt.timedelta(days=self.day.weekday())
            return monday, 7
        return self.day, 1

    # -- loading ----------------------------------------------------------------------

    def reload(self) -> None:
        if self._context.session.closed:
            return  # a late live update after logout
        self._generation += 1
        generation = self._generation
        first, days = self.range()
        zone = self._context.zone
        start = dt.datetime.combine(first, dt.time(), zone)
        end = dt.datetime.combine(first + dt.timedelta(days=days), dt.time(), zone)
        scheduling = self._context.scheduling
        self._loading, self._reload_again = True, False

        def fetch() -> BookData:
            rooms = tuple(scheduling.rooms())
            entries = tuple(scheduling.appointment_book(start, end))
            last = first + dt.timedelta(days=days - 1)
            return BookData(rooms, entries, tuple(scheduling.closures(first, last)))

        run_task(
            fetch,
            lambda data: self._loaded(generation, data),
            lambda e: self._failed(generation, e),
            receiver=self,
        )

    def _settled(self, generation: int) -> bool:
        """Whether this is the newest load; starts the one a live update asked for meanwhile."""
        if generation != self._generation:
            return False
        self._loading = False
        if self._reload_again:
            self.reload()  # still show what came: it is newer than what is on screen
        return True

    def _failed(self, generation: int, error: BaseException) -> None:
        if self._settled(generation):
            self.status.setText(
                f"The book could not be loaded: {describe_error(error)} Press F5 to try again."
            )

    def _fill_scope(self, rooms: tuple[RoomInfo, ...]) -> None:
        if rooms == self._rooms and self.scope.count():
            return
        self._rooms = rooms
        current = self.scope.currentData()
        self.scope.blockSignals(True)
        self.scope.clear()
        for room in rooms:
            self.scope.addItem(room.name, ("room", room.id))
        modalities: dict[int, str] = {}
        for room in rooms:
            modalities.setdefault(room.modality_id, room.modality_name)
        for modality_id, name in modalities.items():
            self.scope.addItem(f"All {name}", ("modality", modality_id))
        index = self.scope.findData(current) if current is not None else 0
        self.scope.setCurrentIndex(max(0, index))
        self.scope.blockSignals(False)
        chosen = self.room_filter.currentData()
        self.room_filter.blockSignals(True)
        self.room_filter.clear()
        self.room_filter.addItem("All rooms", None)
        for modality_id, name in modalities.items():
            self.room_filter.addItem(f"{name} rooms", modality_id)
        self.room_filter.setCurrentIndex(max(0, self.room_filter.findData(chosen)))
        self.room_filter.blockSignals(False)

    def _show_freed(self, on: bool) -> None:
        self.canvas.show_freed = on
        self.canvas.update()

    def _redraw(self) -> None:
        if self._data is not None:
            self._show(self._data)

    def _loaded(self, generation: int, data: BookData) -> None:
        if not self._settled(generation):
            return
        self._data = data
        self._fill_scope(data.rooms)
        self._show(data)

    def _show(self, data: BookData) -> None:
        first, days = self.range()
        if self.week_mode:
            kind, key = self.scope.currentData() or ("room", None)
            ids = frozenset(
                r.id
                for r in data.rooms
                if (r.id == key if kind == "room" else r.modality_id == key)
            )
            room_id = key if kind == "room" else None
            columns = [
                BookColumn(
                    format_date(first + dt.timedelta(days=n))[:-9],
                    first + dt.timedelta(days=n),
                    room_id,
                    ids,
                )
                for n in range(days)
            ]
            entries = [e for e in data.entries if e.room_id in ids]
            self.title.setText(f"Week of {format_date(first)} · {self.scope.currentText()}")
        else:
            modality = self.room_filter.currentData()
            rooms = [r for r in data.rooms if modality is None or r.modality_id == modality]
            codes = room_codes(rooms)
            columns = [
                BookColumn(
                    r.name,
                    first,
                    r.id,
                    frozenset({r.id}),
                    short=codes[r.id],
                    tooltip=f"{r.name} · {r.modality_name}",
                )
                for r in rooms
            ]
            shown = {r.id for r in rooms}
            entries = [e for e in data.entries if e.room_id in shown]
            self.title.setText(f"Appointment book · {format_date(first)}")
        hours = self._hours(data.rooms, entries)
        self.canvas.closures = list(data.closures)
        self.canvas.set_content(columns, entries, hours)
        live = [
            e
            for e in entries
            if e.status not in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
        ]
        if not data.rooms:
            self.empty.setText(
                "No rooms are set up yet: a manager adds rooms and opening hours "
                "under Administration."
            )
            self.empty.show()
        else:
            self.empty.hide()
        if live:
            self.status.setText(
                f"{len(live)} booked. Drag a block to move it; double-click for its actions."
            )
        else:
            self.status.setText(
                "Nothing booked here yet. New booking (Ctrl+B) fills the next free slot."
            )
        self.loaded.emit()

    def _hours(self, rooms: Sequence[RoomInfo], entries: Sequence[BookEntry]) -> tuple[int, int]:
        first, last = DAY_FIRST_HOUR, DAY_LAST_HOUR
        for room in rooms:
            for period in room.opening_hours:
                first = min(first, period.opens_at.hour)
                closes = period.closes_at
                last = max(last, 24 if closes == dt.time(0) else closes.hour + bool(closes.minute))
        for entry in entries:
            start = entry.start_at.astimezone(self._context.zone)
            end = entry.end_at.astimezone(self._context.zone)
            first = min(first, start.hour)
            last = max(last, 24 if end.date() > start.date() else end.hour + bool(end.minute))
        return first, min(24, last)

    def select(self, appointment_id: int) -> None:
        self.canvas.current = next((e for e in self.canvas.entries if e.id == appointment_id), None)
        self.canvas.update()
        self.selected.emit(self.canvas.current)
