"""The appointment book: a day (rooms as columns) or a week (one room or modality).

Appointments are blocks coloured by status; today's current time is a red line.
A block can be dragged to another room or time to reschedule it. The book reloads
off the GUI thread and again within moments when another desk books, moves or
cancels (``session.live`` on the appointment channel).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QEvent, QPoint, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import AppointmentStatus
from mic_desktop.services.scheduling.book import BookEntry, RoomInfo
from mic_desktop.ui.common.colours import MUTED_TEXT, URGENT, status_colour
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_date, format_time
from mic_desktop.ui.common.tasks import run_task

from .context import ReceptionContext

APPOINTMENT_CHANNEL = "mic_appointment"
HEADER_H = 34
GUTTER_W = 56
PX_PER_MIN = 1.4
SNAP_MIN = 5
MIN_COLUMN_W = 78
DAY_FIRST_HOUR = 7
DAY_LAST_HOUR = 19
LIVE_COALESCE_MS = 250


@dataclass(frozen=True)
class BookColumn:
    """One column of the book: a room on a day."""

    label: str
    day: dt.date
    room_id: int | None  # None: a whole modality (several rooms), no dropping there
    room_ids: frozenset[int]


@dataclass(frozen=True)
class BookData:
    rooms: tuple[RoomInfo, ...]
    entries: tuple[BookEntry, ...]


class BookCanvas(QWidget):
    """Paints columns x time and the blocks; click selects, drag reschedules."""

    selected = Signal(object)  # BookEntry | None
    activated = Signal(object)  # BookEntry (double-click)
    move_requested = Signal(object, int, object)  # BookEntry, room_id, start (aware)

    def __init__(
        self, zone: ZoneInfo, clock: Callable[[], dt.datetime], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._zone = zone
        self._clock = clock
        self.columns: list[BookColumn] = []
        self.entries: list[BookEntry] = []
        self.first_hour = DAY_FIRST_HOUR
        self.last_hour = DAY_LAST_HOUR
        self.current: BookEntry | None = None
        self._press: QPoint | None = None
        self._dragging = False
        self._drop: tuple[int, dt.datetime] | None = None
        self.setMouseTracking(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(self._height())

    # -- geometry ---------------------------------------------------------------------

    def _height(self) -> int:
        return HEADER_H + int((self.last_hour - self.first_hour) * 60 * PX_PER_MIN) + 8

    def sizeHint(self) -> QSize:
        return QSize(GUTTER_W + 160 * max(1, len(self.columns)), self._height())

    def column_width(self) -> float:
        return (self.width() - GUTTER_W) / max(1, len(self.columns))

    def y_of(self, moment: dt.datetime) -> float:
        local = moment.astimezone(self._zone)
        minutes = (local.hour - self.first_hour) * 60 + local.minute
        return HEADER_H + minutes * PX_PER_MIN

    def block_rect(self, entry: BookEntry) -> QRectF | None:
        for number, column in enumerate(self.columns):
            if (
                entry.room_id in column.room_ids
                and entry.start_at.astimezone(self._zone).date() == column.day
            ):
                x = GUTTER_W + number * self.column_width()
                top = self.y_of(entry.start_at)
                bottom = self.y_of(entry.end_at)
                return QRectF(x + 3, top + 1, self.column_width() - 6, max(14.0, bottom - top - 2))
        return None

    def entry_at(self, point: QPoint) -> BookEntry | None:
        for entry in reversed(self.visible_entries()):
            rect = self.block_rect(entry)
            if rect is not None and rect.contains(point):
                return entry
        return None

    def slot_at(self, point: QPoint) -> tuple[BookColumn, dt.datetime] | None:
        if point.x() < GUTTER_W or point.y() < HEADER_H or not self.columns:
            return None
        number = int((point.x() - GUTTER_W) // self.column_width())
        if not 0 <= number < len(self.columns):
            return None
        column = self.columns[number]
        minutes = (point.y() - HEADER_H) / PX_PER_MIN
        minutes = int(round(minutes / SNAP_MIN) * SNAP_MIN)
        local = dt.datetime.combine(column.day, dt.time(self.first_hour), self._zone)
        return column, local + dt.timedelta(minutes=minutes)

    def visible_entries(self) -> list[BookEntry]:
        # Cancelled and no-show blocks are drawn under live ones (they free the slot).
        freed = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
        return sorted(self.entries, key=lambda e: (e.status not in freed, e.start_at))

    def set_content(
        self, columns: Sequence[BookColumn], entries: Sequence[BookEntry], hours: tuple[int, int]
    ) -> None:
        self.columns = list(columns)
        self.entries = list(entries)
        self.first_hour, self.last_hour = hours
        if self.current is not None:
            self.current = next((e for e in entries if e.id == self.current.id), None)
        self.setMinimumHeight(self._height())
        self.setMinimumWidth(GUTTER_W + MIN_COLUMN_W * max(1, len(self.columns)))
        self.updateGeometry()
        self.update()

    # -- painting ---------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        width = self.column_width()
        grid = QPen(QColor("#e3e7ec"))
        half = QPen(QColor("#f1f3f6"))
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
        painter.setFont(small)
        for hour in range(self.first_hour, self.last_hour + 1):
            y = HEADER_H + (hour - self.first_hour) * 60 * PX_PER_MIN
            painter.setPen(grid)
            painter.drawLine(GUTTER_W, int(y), self.width(), int(y))
            if hour < self.last_hour:
                painter.setPen(half)
                painter.drawLine(
                    GUTTER_W, int(y + 30 * PX_PER_MIN), self.width(), int(y + 30 * PX_PER_MIN)
                )
            painter.setPen(QColor(MUTED_TEXT))
            painter.drawText(
                QRect(0, int(y) + 2, GUTTER_W - 8, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                f"{hour:02d}:00",
            )
        painter.setPen(grid)
        for number in range(len(self.columns)):
            x = int(GUTTER_W + number * width)
            painter.drawLine(x, 0, x, self.height())
        painter.setFont(small)
        for entry in self.visible_entries():
            self._paint_block(painter, entry)
        if self._dragging and self._drop is not None and self.current is not None:
            room_id, start = self._drop
            ghost = self._ghost_rect(room_id, start)
            if ghost is not None:
                painter.setPen(QPen(QColor("#2563eb"), 2, Qt.PenStyle.DashLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(ghost, 4, 4)
        self._paint_now(painter)
        self._paint_header(painter)
        painter.end()

    def _paint_header(self, painter: QPainter) -> None:
        """Room or day names, kept at the top of the visible part while scrolling."""
        top = self.visibleRegion().boundingRect().top()
        width = self.column_width()
        grid = QPen(QColor("#e3e7ec"))
        painter.fillRect(QRectF(0, top, self.width(), HEADER_H), QColor("#f4f6f9"))
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        for number, column in enumerate(self.columns):
            x = GUTTER_W + number * width
            painter.setPen(grid)
            painter.drawLine(int(x), top, int(x), top + HEADER_H)
            painter.fillRect(QRectF(x + 1, top, width - 1, HEADER_H - 1), QColor("#f4f6f9"))
            painter.setPen(QColor("#1f2937"))
            label = QFontMetrics(bold).elidedText(
                column.label, Qt.TextElideMode.ElideRight, int(width - 12)
            )
            painter.drawText(
                QRectF(x + 6, top, width - 12, HEADER_H),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                label,
            )

    def _ghost_rect(self, room_id: int, start: dt.datetime) -> QRectF | None:
        assert self.current is not None
        length = self.current.end_at - self.current.start_at
        for number, column in enumerate(self.columns):
            if column.room_id == room_id and column.day == start.astimezone(self._zone).date():
                x = GUTTER_W + number * self.column_width()
                top = self.y_of(start)
                return QRectF(x + 3, top, self.column_width() - 6, self.y_of(start + length) - top)
        return None

    def _paint_block(self, painter: QPainter, entry: BookEntry) -> None:
        rect = self.block_rect(entry)
        if rect is None:
            return
        colour = status_colour(entry.status)
        painter.setPen(
            QPen(
                QColor(colour.base),
                2 if entry is self.current or (self.current and entry.id == self.current.id) else 1,
            )
        )
        painter.setBrush(QColor(colour.background))
        painter.drawRoundedRect(rect, 4, 4)
        painter.fillRect(QRectF(rect.left(), rect.top(), 4, rect.height()), QColor(colour.base))
        if entry.is_urgent:
            painter.setBrush(QColor(URGENT))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(QRectF(rect.right() - 11, rect.top() + 4, 7, 7))
        font = QFont(painter.font())
        font.setStrikeOut(colour.strike)
        painter.setFont(font)
        painter.setPen(QColor(colour.foreground))
        metrics = QFontMetrics(font)
        inner = rect.adjusted(8, 2, -14, -2)
        width = int(inner.width())
        lines = [entry.patient_name]
        if rect.height() >= 2 * metrics.height() + 4:
            lines.append(f"{format_time(entry.start_at, self._zone)} · {entry.scan_name}")
        else:
            lines = [f"{format_time(entry.start_at, self._zone)} {entry.patient_name}"]
        y = inner.top()
        for line in lines:
            elided = metrics.elidedText(line, Qt.TextElideMode.ElideRight, width)
            painter.drawText(QRectF(inner.left(), y, width, metrics.height()), elided)
            y += metrics.height()
        font.setStrikeOut(False)
        painter.setFont(font)

    def _paint_now(self, painter: QPainter) -> None:
        now = self._clock().astimezone(self._zone)
        if not self.first_hour <= now.hour < self.last_hour:
            return
        for number, column in enumerate(self.columns):
            if column.day == now.date():
                x = GUTTER_W + number * self.column_width()
                y = self.y_of(now)
                painter.setPen(QPen(QColor(URGENT), 2))
                painter.drawLine(int(x), int(y), int(x + self.column_width()), int(y))

    # -- mouse ------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.current = self.entry_at(event.position().toPoint())
            self._press = event.position().toPoint() if self.current else None
            self.selected.emit(self.current)
            self.update()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None or self.current is None:
            return
        point = event.position().toPoint()
        if not self._dragging and (point - self._press).manhattanLength() < 8:
            return
        if self.current.status not in (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED):
            return
        self._dragging = True
        target = self.slot_at(
            point
            - QPoint(0, int(self._press.y() - (self.block_rect(self.current) or QRectF()).top()))
        )
        if target is not None and target[0].room_id is not None:
            self._drop = (target[0].room_id, target[1])
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._dragging and self._drop is not None and self.current is not None:
            room_id, start = self._drop
            if room_id != self.current.room_id or start != self.current.start_at:
                self.move_requested.emit(self.current, room_id, start)
        self._press = None
        self._dragging = False
        self._drop = None
        self.update()
        super().mouseReleaseEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            entry = self.entry_at(event.pos())
            if entry is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(
                    event.globalPos(),
                    f"{entry.patient_name} ({entry.mrn})\n{entry.scan_name} · {entry.room_name}\n"
                    f"{format_time(entry.start_at, self._zone)}–"
                    f"{format_time(entry.end_at, self._zone)} · {entry.status.label}"
                    + (" · URGENT" if entry.is_urgent else ""),
                    self,
                )
            return True
        return super().event(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        entry = self.entry_at(event.position().toPoint())
        if entry is not None:
            self.activated.emit(entry)


class BookView(QWidget):
    """Navigation (day/week, previous/next, jump to date, room or modality) over a canvas."""

    selected = Signal(object)
    activated = Signal(object)
    move_requested = Signal(object, int, object)
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

        nav = QHBoxLayout()
        for widget in (
            self.day_button,
            self.week_button,
            self.scope,
            self.prev_button,
            self.today_button,
            self.next_button,
            self.date_edit,
        ):
            nav.addWidget(widget)
        nav.addStretch(1)

        self.canvas = BookCanvas(context.zone, context.session.clock)
        self.canvas.selected.connect(self.selected)
        self.canvas.activated.connect(self.activated)
        self.canvas.move_requested.connect(self.move_requested)
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

        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(LIVE_COALESCE_MS)
        self._live_timer.timeout.connect(self.reload)
        self._now_timer = QTimer(self)
        self._now_timer.setInterval(60_000)
        self._now_timer.timeout.connect(self.canvas.update)
        self._now_timer.start()
        live = context.live
        if live is not None:
            live.changed.connect(self._live_changed)  # type: ignore[attr-defined]
            live.reset.connect(self.reload)  # type: ignore[attr-defined]

    # -- navigation -------------------------------------------------------------------

    def _live_changed(self, channel: str, _ids: object) -> None:
        if channel == APPOINTMENT_CHANNEL:
            self._live_timer.start()

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

        def fetch() -> BookData:
            rooms = tuple(scheduling.rooms())
            entries = tuple(scheduling.appointment_book(start, end))
            return BookData(rooms, entries)

        run_task(
            fetch,
            lambda data: self._loaded(generation, data),
            lambda e: self._failed(generation, e),
            receiver=self,
        )

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
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

    def _loaded(self, generation: int, data: BookData) -> None:
        if generation != self._generation:
            return
        self._fill_scope(data.rooms)
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
            columns = [BookColumn(r.name, first, r.id, frozenset({r.id})) for r in data.rooms]
            entries = list(data.entries)
            self.title.setText(f"Appointment book · {format_date(first)}")
        hours = self._hours(data.rooms, entries)
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
                last = max(last, period.closes_at.hour + (1 if period.closes_at.minute else 0))
        for entry in entries:
            start = entry.start_at.astimezone(self._context.zone)
            end = entry.end_at.astimezone(self._context.zone)
            first = min(first, start.hour)
            last = max(last, end.hour + (1 if end.minute else 0))
        return first, min(24, last)

    def select(self, appointment_id: int) -> None:
        self.canvas.current = next((e for e in self.canvas.entries if e.id == appointment_id), None)
        self.canvas.update()
        self.selected.emit(self.canvas.current)
