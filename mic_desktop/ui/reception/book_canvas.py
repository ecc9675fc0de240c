"""The painted appointment book: columns (a room on a day) by time, with the blocks.

:class:`BookCanvas` draws the hour grid, one block per appointment coloured by its
status (cancelled and no-show blocks under the live ones), an urgent dot and a
red line at the current time; a column on a closure day is hatched grey and names
the closure; the column names stay on top while scrolling (a room's short code when
its name does not fit, the full name in the tooltip). Blocks show the surname first,
then time and scan; cancelled and no-show blocks are hatched behind the others (or
hidden) so the free time shows. A click selects a block, a right-click opens its
actions, a tooltip names it, and dragging a pending or confirmed block to another
room or time asks to move it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QToolTip, QWidget

from mic_desktop.models import AppointmentStatus
from mic_desktop.services.scheduling.book import BookEntry
from mic_desktop.services.scheduling.closures import ClosureInfo
from mic_desktop.ui.common.colours import MUTED_TEXT, URGENT, status_colour
from mic_desktop.ui.common.formatting import format_time

HEADER_H = 34
GUTTER_W = 56
PX_PER_MIN = 1.4
SNAP_MIN = 5
MIN_COLUMN_W = 78
DAY_FIRST_HOUR = 7
DAY_LAST_HOUR = 19
CLOSED_FILL = "#eceff3"
CLOSED_HATCH = "#d5dae1"


@dataclass(frozen=True)
class BookColumn:
    """One column of the book: a room on a day."""

    label: str
    day: dt.date
    room_id: int | None  # None: a whole modality (several rooms), no dropping there
    room_ids: frozenset[int]
    short: str = ""  # shown when the label does not fit (a room code such as "US 2")
    tooltip: str = ""  # the header's tooltip: the full name


def freed(entry: BookEntry) -> bool:
    """A cancelled or no-show appointment: its time is free for another booking."""
    return entry.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)


class BookCanvas(QWidget):
    """Paints columns x time and the blocks; click selects, drag reschedules."""

    selected = Signal(object)  # BookEntry | None
    activated = Signal(object)  # BookEntry (double-click)
    move_requested = Signal(object, int, object)  # BookEntry, room_id, start (aware)
    menu_requested = Signal(object, object)  # BookEntry, QPoint (global): right-click

    def __init__(
        self, zone: ZoneInfo, clock: Callable[[], dt.datetime], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._zone = zone
        self._clock = clock
        self.columns: list[BookColumn] = []
        self.entries: list[BookEntry] = []
        self.closures: list[ClosureInfo] = []  # shaded, with their name
        self.first_hour = DAY_FIRST_HOUR
        self.last_hour = DAY_LAST_HOUR
        self.current: BookEntry | None = None
        self.show_freed = True  # cancelled and no-show blocks, drawn hatched behind the rest
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
                past_midnight = entry.end_at.astimezone(self._zone).date() > column.day
                bottom = self._height() - 8 if past_midnight else self.y_of(entry.end_at)
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
        entries = self.entries if self.show_freed else [e for e in self.entries if not freed(e)]
        return sorted(entries, key=lambda e: (not freed(e), e.start_at))

    def header_label(self, column: BookColumn, metrics: QFontMetrics, width: int) -> str:
        """The column's name, or its short code when the name does not fit."""
        if metrics.horizontalAdvance(column.label) <= width or not column.short:
            return column.label
        return column.short

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
        self._paint_closures(painter, small)
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

    def closure_of(self, column: BookColumn) -> ClosureInfo | None:
        """The clinic's closure on the column's day, or its room's (a one-room column)."""
        for closure in self.closures:
            if closure.first_day <= column.day <= closure.last_day and (
                closure.room_id is None or column.room_ids == {closure.room_id}
            ):
                return closure
        return None

    def _paint_closures(self, painter: QPainter, font: QFont) -> None:
        """A closed column is hatched grey with the closure's name at the top."""
        width = self.column_width()
        for number, column in enumerate(self.columns):
            closure = self.closure_of(column)
            if closure is None:
                continue
            area = QRectF(GUTTER_W + number * width + 1, HEADER_H, width - 1, self.height())
            painter.fillRect(area, QColor(CLOSED_FILL))
            painter.fillRect(area, QBrush(QColor(CLOSED_HATCH), Qt.BrushStyle.BDiagPattern))
            painter.setFont(font)
            painter.setPen(QColor(MUTED_TEXT))
            metrics = QFontMetrics(font)
            name = metrics.elidedText(closure.name, Qt.TextElideMode.ElideRight, int(width - 12))
            line = metrics.height()
            box = QRectF(area.left() + 4, HEADER_H + 4, width - 8, 2 * line + 6)
            painter.fillRect(box, QColor(CLOSED_FILL))
            painter.drawText(box.adjusted(0, 2, 0, 0), Qt.AlignmentFlag.AlignHCenter, "Closed")
            painter.drawText(box.adjusted(0, line + 3, 0, 0), Qt.AlignmentFlag.AlignHCenter, name)

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
            metrics = QFontMetrics(bold)
            label = metrics.elidedText(
                self.header_label(column, metrics, int(width - 12)),
                Qt.TextElideMode.ElideRight,
                int(width - 12),
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
        chosen = entry is self.current or (self.current and entry.id == self.current.id)
        if freed(entry):  # the slot is free again: hatched, so free time shows through
            painter.setPen(QPen(QColor(colour.base), 2 if chosen else 1, Qt.PenStyle.DashLine))
            hatch = QColor(colour.base)
            hatch.setAlpha(90)
            painter.setBrush(QBrush(hatch, Qt.BrushStyle.BDiagPattern))
            painter.drawRoundedRect(rect, 4, 4)
        else:
            painter.setPen(QPen(QColor(colour.base), 2 if chosen else 1))
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
        painter.setPen(QColor(MUTED_TEXT if freed(entry) else colour.foreground))
        metrics = QFontMetrics(font)
        inner = rect.adjusted(8, 2, -14, -2)
        width = int(inner.width())
        for number, line in enumerate(self.block_lines(entry, inner, metrics)):
            elided = metrics.elidedText(line, Qt.TextElideMode.ElideRight, width)
            top = inner.top() + number * metrics.height()
            painter.drawText(QRectF(inner.left(), top, width, metrics.height()), elided)
        font.setStrikeOut(False)
        painter.setFont(font)

    def block_lines(self, entry: BookEntry, inner: QRectF, metrics: QFontMetrics) -> list[str]:
        """Surname first on top; then time and scan, or the first name when the name is long.

        A narrow block gives the surname a line of its own and the first name the next
        (the time shows from where the block sits); the tooltip carries everything.
        """
        rows = max(1, int(inner.height() // metrics.height()))
        name = entry.patient_sort_name or entry.patient_name
        surname, _, first = name.partition(", ")
        when = format_time(entry.start_at, self._zone)
        scan = f"{when} {entry.scan_name}"
        if metrics.horizontalAdvance(scan) > inner.width() and entry.scan_code:
            scan = f"{when} {entry.scan_code}"
        if metrics.horizontalAdvance(name) <= inner.width() or not first:
            lines = [name, scan]
        else:
            lines = [surname, first, scan]
        return lines[:rows]

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

    def column_at_header(self, point: QPoint) -> BookColumn | None:
        top = self.visibleRegion().boundingRect().top()
        if point.x() < GUTTER_W or not top <= point.y() < top + HEADER_H or not self.columns:
            return None
        number = int((point.x() - GUTTER_W) // self.column_width())
        return self.columns[number] if 0 <= number < len(self.columns) else None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            header = self.column_at_header(event.pos())
            if header is not None:
                QToolTip.showText(event.globalPos(), header.tooltip or header.label, self)
                return True
            entry = self.entry_at(event.pos())
            slot = self.slot_at(event.pos())
            closure = self.closure_of(slot[0]) if entry is None and slot is not None else None
            if closure is not None:
                QToolTip.showText(
                    event.globalPos(),
                    f"Closed: {closure.name}\n{closure.where} · {closure.days_text}\n"
                    "Nothing can be booked here.",
                    self,
                )
            elif entry is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(
                    event.globalPos(),
                    f"{entry.patient_sort_name or entry.patient_name} ({entry.mrn})\n"
                    f"{entry.scan_name} · {entry.room_name}\n"
                    f"{format_time(entry.start_at, self._zone)}–"
                    f"{format_time(entry.end_at, self._zone)} · {entry.status.label}"
                    + (" · URGENT" if entry.is_urgent else ""),
                    self,
                )
            return True
        return super().event(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        entry = self.entry_at(event.pos())
        if entry is not None:
            self.current = entry
            self.update()
            self.selected.emit(entry)
            self.menu_requested.emit(entry, event.globalPos())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        entry = self.entry_at(event.position().toPoint())
        if entry is not None:
            self.activated.emit(entry)
