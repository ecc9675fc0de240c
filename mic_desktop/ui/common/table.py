"""Table models fed with ``set_rows()``, the status badge delegate and list pages.

A :class:`RowTableModel` shows a list of plain, immutable rows (service dataclasses)
through :class:`Column` definitions; it knows nothing about the database. A
:class:`ListPage` shows a table, or instead of it a message saying what to do
when the list is empty, still loading or failed to load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.formats import format_date, format_datetime

from .colours import status_colour
from .errors import describe_error
from .look import icon
from .tasks import run_task

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object itself
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a number or string that sorts right
BADGE_ROLE = Qt.ItemDataRole.UserRole + 3  # an appointment status value, drawn as a badge

LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTRE = Qt.AlignmentFlag.AlignCenter

ModelIndex = QModelIndex | QPersistentModelIndex

CELL_PADDING = 2 * (8 + 3)  # style.qss's "QTableView::item" padding plus Qt's text margin

_LEAP_YEAR = [dt.date(2028, 1, 1) + dt.timedelta(days=n) for n in range(366)]
EVERY_DATE = tuple(format_date(day) for day in _LEAP_YEAR)
"""Every day of a year as ``format_date`` writes it: a date column's ``fits``."""
EVERY_DATETIME = tuple(
    format_datetime(dt.datetime.combine(day, dt.time(20, 28), dt.UTC), dt.UTC) for day in _LEAP_YEAR
)
"""Every day of a year at 20:28 as ``format_datetime`` writes it: a date-and-time column's
``fits``, so the column is wide enough for any day, not only the ones shown today."""


@dataclass(frozen=True)
class Column:
    """How one column shows a row. Callables get the row and return what to show."""

    title: str
    text: Callable[[Any], str]
    sort_key: Callable[[Any], Any] | None = None
    align: Qt.AlignmentFlag = LEFT
    tooltip: Callable[[Any], str | None] | None = None
    colour: Callable[[Any], str | None] | None = None
    icon: Callable[[Any], QIcon | None] | None = None
    badge: Callable[[Any], str] | None = None
    stretch: bool = False
    width: int | None = None  # initial width in pixels; None fits the contents
    fits: Sequence[str] = ()  # texts it must show whole, measured in the table's font


class RowTableModel(QAbstractTableModel):
    """Rows in, cells out: ``set_rows()`` replaces everything (begin/endResetModel)."""

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        struck: Callable[[Any], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._rows: list[Any] = []
        self._struck = struck

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            column = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return column.align
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == SORT_ROLE:
            return column.sort_key(row) if column.sort_key else column.text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return column.align
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip:
            return column.tooltip(row)
        if role == Qt.ItemDataRole.ForegroundRole and column.colour:
            colour = column.colour(row)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.DecorationRole and column.icon:
            return column.icon(row)
        if role == Qt.ItemDataRole.FontRole and self._struck and self._struck(row):
            font = QFont()
            font.setStrikeOut(True)
            return font
        if role == BADGE_ROLE and column.badge:
            return column.badge(row)
        if role == ROW_ROLE:
            return row
        return None


class BadgeDelegate(QStyledItemDelegate):
    """Draws an appointment status as a rounded badge in its colour."""

    PAD_X = 10
    PAD_Y = 3

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        status = index.data(BADGE_ROLE)
        if not status:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:  # selection and focus background, without the text
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        colours = status_colour(status)
        font = QFont(opt.font)
        font.setPointSizeF(font.pointSizeF() * 0.92)
        font.setWeight(QFont.Weight.DemiBold)
        font.setStrikeOut(colours.strike)
        painter.save()
        painter.setFont(font)
        metrics = painter.fontMetrics()
        width = metrics.horizontalAdvance(text) + 2 * self.PAD_X
        height = metrics.height() + 2 * self.PAD_Y
        rect = QRectF(
            opt.rect.left() + 6,
            opt.rect.center().y() - height / 2 + 0.5,
            min(width, opt.rect.width() - 12),
            height,
        )
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colours.background))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(QPen(QColor(colours.foreground)))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 2 * self.PAD_X + 12, max(size.height(), 30))


class MessagePanel(QWidget):
    """A centred icon, headline and explanation: empty lists, loading, errors."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessagePanel")
        self._icon = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.headline = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.headline.setProperty("role", "panel-headline")
        self.text = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.text.setProperty("role", "muted")
        self.text.setMinimumWidth(460)
        self.text.setMaximumWidth(560)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self._icon)
        layout.addWidget(self.headline)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.text)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    def show_message(self, headline: str, text: str, icon_name: str) -> None:
        self._icon.setPixmap(icon(icon_name, "#9aa5b4").pixmap(48, 48))
        self.headline.setText(headline)
        self.text.setText(text)


def make_table_view(parent: QWidget | None = None) -> QTableView:
    view = QTableView(parent)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setSortingEnabled(True)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(36)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(False)
    return view


def size_columns(view: QTableView, columns: Sequence[Column]) -> None:
    """Stretch, or set the starting width of, each column (``width``, widened to ``fits``)."""
    header = view.horizontalHeader()
    view.ensurePolished()  # the stylesheet's font, not the default one
    metrics = view.fontMetrics()
    for number, column in enumerate(columns):
        if column.stretch:
            header.setSectionResizeMode(number, QHeaderView.ResizeMode.Stretch)
            continue
        width = column.width or 0
        if column.fits:
            widest = max(metrics.horizontalAdvance(text) for text in column.fits)
            width = max(width, widest + CELL_PADDING + 2)
        if width:
            header.resizeSection(number, width)


class ListPage(QWidget):
    """A titled table of rows with an empty/loading/error message in its place when needed."""

    def __init__(
        self,
        title: str,
        columns: Sequence[Column],
        *,
        empty_headline: str,
        empty_text: str,
        empty_icon: str = "mdi6.check-circle-outline",
        struck: Callable[[Any], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._empty = (empty_headline, empty_text, empty_icon)
        self._filter = ""
        self._generation = 0
        self.title = QLabel(title)
        self.title.setProperty("role", "page-title")
        self.subtitle = QLabel()
        self.subtitle.setProperty("role", "muted")
        self.model = RowTableModel(columns, struck=struck, parent=self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.view = make_table_view(self)
        self.view.setModel(self.proxy)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        badge = BadgeDelegate(self.view)
        for number, column in enumerate(columns):
            if column.badge:
                self.view.setItemDelegateForColumn(number, badge)
        size_columns(self.view, columns)
        self.message = MessagePanel(self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.message)

        heading = QVBoxLayout()
        heading.setSpacing(2)
        heading.addWidget(self.title)
        heading.addWidget(self.subtitle)
        self.header_row = QHBoxLayout()
        self.header_row.addLayout(heading, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(12)
        layout.addLayout(self.header_row)
        layout.addWidget(self.stack, 1)
        self.show_loading()

    def load(self, fetch: Callable[[], Sequence[Any]]) -> None:
        """Fetch rows off the GUI thread; an older load finishing late is ignored."""
        self._generation += 1
        generation = self._generation
        self.show_loading()
        run_task(
            fetch,
            lambda rows: self._loaded(generation, rows),
            lambda error: self._failed(generation, error),
            receiver=self,
        )

    def _loaded(self, generation: int, rows: Sequence[Any]) -> None:
        if generation == self._generation:
            self.show_rows(rows)
            self.rows_loaded(rows)

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self.show_error(describe_error(error))

    def rows_loaded(self, rows: Sequence[Any]) -> None:
        """Called after new rows are shown (subclasses update their summary)."""

    def show_loading(self) -> None:
        if self.model.rowCount() == 0:
            self.message.show_message("Loading…", "", "mdi6.timer-sand")
            self.stack.setCurrentWidget(self.message)

    def show_rows(self, rows: Sequence[Any]) -> None:
        self.model.set_rows(rows)
        self.refresh_empty_state()

    def show_error(self, text: str) -> None:
        self.model.set_rows([])
        self.message.show_message(
            "This list could not be loaded",
            f"{text}\nPress F5 to try again.",
            "mdi6.alert-circle-outline",
        )
        self.stack.setCurrentWidget(self.message)

    def set_filter(self, text: str) -> None:
        self._filter = text.strip()
        self.proxy.setFilterFixedString(self._filter)
        self.refresh_empty_state()

    def refresh_empty_state(self) -> None:
        if self.proxy.rowCount() > 0:
            self.stack.setCurrentWidget(self.view)
        elif self.model.rowCount() > 0:
            self.message.show_message(
                "Nothing matches the filter",
                f"No row matches “{self._filter}”. Clear the filter (Esc) to see the whole list.",
                "mdi6.filter-remove-outline",
            )
            self.stack.setCurrentWidget(self.message)
        else:
            self.message.show_message(*self._empty)
            self.stack.setCurrentWidget(self.message)
