"""One chart of the dashboard: its title, definition, canvas and tables, with PNG and CSV exports.

:class:`ChartPanel` shows a chart only while it is on screen: a panel in a hidden
tab keeps the chart it was given and fills its tables and canvas when it is shown
(or at once when new data comes while it is visible). Its :class:`ChartCanvas`
renders the same figure code as the PDF export off the GUI thread and paints the
picture; its tables (:class:`AnalyticsTableModel`: numbers right-aligned, the total
in bold) are reused from one refresh to the next. Exports are written by the page.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QHideEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QResizeEvent,
    QShowEvent,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.analytics.charts import ChartPixels, HoverZone, render_rgba
from mic_desktop.services.analytics.export import chart_png, export_filename, table_csv
from mic_desktop.services.analytics.results import Chart, Dashboard
from mic_desktop.services.analytics.tables import Table
from mic_desktop.ui.common.colours import MUTED_TEXT
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import LEFT, RIGHT, make_table_view
from mic_desktop.ui.common.tasks import run_task, task_lane

from . import files

SCREEN_DPI = 100  # matplotlib's Qt canvas: 100 dpi at a device pixel ratio of 1
TABLES_WIDTH = 380  # the numbers beside a chart, at least
RESIZE_SETTLE_MS = 120  # a resized chart is drawn again once the size stops changing


class ChartPage(Protocol):
    """What a chart panel needs from its page: the dashboard shown and a way to save a file."""

    dashboard: Dashboard | None

    def write_export(self, path: Path, build: Callable[[], bytes], what: str) -> None: ...


class AnalyticsTableModel(QStandardItemModel):
    """One of a chart's tables: formatted cells, numbers right-aligned, the total in bold.

    The cells are Qt items, so painting the table runs no Python (which would wait
    for a worker that is rendering a chart).
    """

    def __init__(self, table: Table, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.set_table(table)

    def set_table(self, table: Table) -> None:
        self.table = table
        self.clear()
        self.setColumnCount(len(table.columns))
        alignments = [RIGHT if column.is_numeric else LEFT for column in table.columns]
        for section, column in enumerate(table.columns):
            for value, role in (
                (column.title, Qt.ItemDataRole.DisplayRole),
                (column.title, Qt.ItemDataRole.ToolTipRole),  # a narrow column cuts it
                (alignments[section], Qt.ItemDataRole.TextAlignmentRole),
            ):
                self.setHeaderData(section, Qt.Orientation.Horizontal, value, role)
        cells = table.formatted()
        bold = QFont()
        bold.setBold(True)
        for row, texts in enumerate(cells):
            is_total = table.total is not None and row == len(cells) - 1
            items = []
            for text, alignment in zip(texts, alignments, strict=True):
                item = QStandardItem(text)
                item.setToolTip(text)
                item.setTextAlignment(alignment)
                item.setEditable(False)
                if is_total:
                    item.setFont(bold)
                items.append(item)
            self.appendRow(items)


class ChartCanvas(QWidget):
    """A chart's picture, rendered off the GUI thread at the widget's size and painted.

    It draws only what is painted: once a paint finds the picture missing, out of date
    or of another size, the chart is rendered on the task pool (after the paint, so the
    GUI thread has drawn everything else before a worker takes Python's attention);
    meanwhile the last picture stays (stretched) or the canvas says it is drawing.
    ``drawn_chart`` and ``texts`` (what is written on it, also its accessible
    description) are what is on screen. The figure is not kept, and no garbage
    collection runs while it is built: its many short-lived objects are then freed by
    the young generation's quick pass instead of a full one that stops every thread.
    Charts are drawn one at a time on one kept thread (``task_lane``), and a hidden
    canvas keeps its picture only as PNG (tens of KiB, not MiB), unpacked when painted.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chart: Chart | None = None  # the chart to show
        self.drawn_chart: Chart | None = None  # the chart on screen
        self.texts: tuple[str, ...] = ()
        self.hover: tuple[HoverZone, ...] = ()  # a bucket's numbers and denominators
        self._picture_size = (1.0, 1.0)
        self.drawings = 0  # pictures shown so far
        self._picture: QPixmap | None = None
        self._packed = b""  # the picture as PNG: all a hidden canvas keeps of it
        self._ratio = 1.0
        self._message = "Drawing the chart…"
        self._wanted: tuple[Chart, int, int] | None = None  # being rendered or shown
        self._generation = 0
        self._later = QTimer(self, singleShot=True)
        self._later.timeout.connect(self._render)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(True)

    def hover_text(self, x: float, y: float) -> str:
        """The tooltip at widget position ``x``, ``y`` (the picture may be stretched)."""
        width, height = self._picture_size
        px, py = x * width / max(1, self.width()), y * height / max(1, self.height())
        ratio = self.devicePixelRatioF()
        return next((zone.text for zone in self.hover if zone.contains(px * ratio, py * ratio)), "")

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        position = event.position()
        text = self.hover_text(position.x(), position.y())
        if text:
            QToolTip.showText(event.globalPosition().toPoint(), text, self)
        else:
            QToolTip.hideText()
        super().mouseMoveEvent(event)

    def set_chart(self, chart: Chart) -> None:
        self.chart = chart
        self.update()  # the paint asks for the drawing

    def _pixel_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio))

    def _out_of_date(self) -> bool:
        last = self._wanted
        return self.chart is not None and (
            last is None or last[0] is not self.chart or last[1:] != self._pixel_size()
        )

    def _render(self) -> None:
        chart = self.chart
        if chart is None or not self.isVisible() or not self._out_of_date():
            return
        width, height = self._pixel_size()
        ratio = self.devicePixelRatioF()
        self._wanted = (chart, width, height)
        self._message = "Drawing the chart…"
        self._generation += 1
        generation = self._generation
        dpi = SCREEN_DPI * ratio
        run_task(
            lambda: _packed(_render_quietly(chart, width, height, dpi)),
            lambda result: self._rendered(generation, chart, ratio, *result),
            lambda error: self._failed(generation, error),
            receiver=self,
            pool=task_lane("charts"),
        )

    def _rendered(
        self, generation: int, chart: Chart, ratio: float, pixels: ChartPixels, packed: bytes
    ) -> None:
        if generation != self._generation:
            return
        self._packed, self._ratio = packed, ratio
        image = QImage(pixels.rgba, pixels.width, pixels.height, QImage.Format.Format_RGBA8888)
        self._picture = QPixmap.fromImage(image)  # converted once, not at every paint
        self._picture.setDevicePixelRatio(ratio)
        self.texts = pixels.texts
        self.hover = pixels.hover
        self._picture_size = (pixels.width / ratio, pixels.height / ratio)
        self.setAccessibleDescription("; ".join(pixels.texts))
        self.drawn_chart = chart
        self.drawings += 1
        self.update()

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self._picture = None
            self._packed = b""
            self._message = f"The chart could not be drawn: {describe_error(error)}"
            self.update()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if self._packed:  # a few MiB of pixels become tens of KiB; unpacked when painted
            self._picture = None

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._picture is not None:
            self._later.start(RESIZE_SETTLE_MS)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        if self._picture is None and self._packed:
            self._picture = QPixmap()
            self._picture.loadFromData(self._packed, "PNG")
            self._picture.setDevicePixelRatio(self._ratio)
        if self._picture is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(QRectF(self.rect()), self._picture, QRectF(self._picture.rect()))
        else:
            painter.setPen(QColor(MUTED_TEXT))
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message
            )
        painter.end()
        if not self._later.isActive() and self._out_of_date():
            self._later.start(0)


def _packed(pixels: ChartPixels) -> tuple[ChartPixels, bytes]:
    """``pixels`` and the same picture as PNG, encoded on the worker."""
    image = QImage(pixels.rgba, pixels.width, pixels.height, QImage.Format.Format_RGBA8888)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return pixels, data.data()


def _tab_label(title: str) -> str:
    """A table's tab: its title without the chart's subject (the tooltip has it whole)."""
    for subject in ("Revenue ", "Satisfaction "):
        if title.startswith(subject) and len(title) > len(subject):
            rest = title.removeprefix(subject)
            return rest[:1].upper() + rest[1:]
    return title


def _render_quietly(chart: Chart, width: int, height: int, dpi: float) -> ChartPixels:
    gc.disable()
    try:
        return render_rgba(chart, width, height, dpi)
    finally:
        gc.enable()


class ChartPanel(QWidget):
    """One chart: title, definition, canvas, and its tables with CSV and PNG exports."""

    def __init__(self, key: str, page: ChartPage) -> None:
        super().__init__(page)  # type: ignore[arg-type]  # the page is a QWidget
        self.key = key
        self._page = page
        self.chart: Chart | None = None
        self.title = QLabel("…")
        self.title.setProperty("role", "section-title")
        self.definition = QLabel(wordWrap=True)
        self.definition.setProperty("role", "muted")
        self.definition.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._shown: Chart | None = None  # the chart the title, definition and tables show
        self.canvas = ChartCanvas()
        self.canvas.setMinimumSize(360, 240)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.tables = QTabWidget()
        self.tables.setDocumentMode(True)
        self.tables.setTabBarAutoHide(True)
        self.png_button = QPushButton(icon("mdi6.image-outline"), "Save chart as PNG…")
        self.png_button.setToolTip("Save this chart as a picture, with its title and definition")
        self.png_button.clicked.connect(self.save_png)
        self.csv_button = QPushButton(icon("mdi6.table-arrow-down"), "Save table as CSV…")
        self.csv_button.setToolTip("Save the table shown as a spreadsheet file")
        self.csv_button.clicked.connect(self.save_csv)
        buttons = QHBoxLayout()
        buttons.addWidget(self.png_button)
        buttons.addWidget(self.csv_button)
        buttons.addStretch(1)
        numbers = QWidget()
        numbers_layout = QVBoxLayout(numbers)
        numbers_layout.setContentsMargins(8, 0, 0, 0)
        numbers_layout.addWidget(self.tables, 1)
        numbers_layout.addLayout(buttons)
        chart_box = QFrame()
        chart_box.setProperty("role", "card")
        chart_layout = QVBoxLayout(chart_box)
        chart_layout.setContentsMargins(6, 6, 6, 6)
        chart_layout.addWidget(self.canvas)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(chart_box)
        self.splitter.addWidget(numbers)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([955, TABLES_WIDTH])  # widened to fit once the tables fill
        self.tables.currentChanged.connect(lambda _index: self._fit_numbers())
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.definition)
        layout.addWidget(self.splitter, 1)
        self._set_buttons(False)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fill()  # a hidden panel kept the chart it was given

    def _set_buttons(self, enabled: bool) -> None:
        self.png_button.setEnabled(enabled)
        self.csv_button.setEnabled(enabled and self.tables.count() > 0)

    def show_chart(self, chart: Chart) -> None:
        """Show ``chart``: now when the panel is visible, else when it is next shown."""
        self.chart = chart
        if self.isVisible():
            self._fill()

    def _fill(self) -> None:
        chart = self.chart
        if chart is None or chart is self._shown:
            return
        self._shown = chart
        self.title.setText(chart.title)
        self.definition.setText(chart.definition)
        self.canvas.set_chart(chart)
        self._fill_tables(chart.tables)
        self._fit_numbers()
        self._set_buttons(True)

    def _fit_numbers(self) -> None:
        """Widen the tables' side to what their columns need, up to half the panel."""
        view = self.tables.currentWidget()
        total = sum(self.splitter.sizes())
        if not isinstance(view, QTableView) or total <= 0:
            return
        header = view.horizontalHeader()
        wanted = sum(
            max(view.sizeHintForColumn(column), header.sectionSizeHint(column))
            for column in range(view.model().columnCount())
        )
        wanted += view.verticalScrollBar().sizeHint().width() + 2 * view.frameWidth() + 8
        wanted = max(wanted, self.tables.tabBar().sizeHint().width() + 8)  # every tab shown
        numbers = max(TABLES_WIDTH, min(wanted, total // 2))
        if numbers != self.splitter.sizes()[1]:
            self.splitter.setSizes([total - numbers, numbers])

    def _fill_tables(self, tables: tuple[Table, ...]) -> None:
        """Put the tables in their tabs, reusing the views of the last chart where they fit."""
        current = self.tables.currentIndex()
        for index, table in enumerate(tables):
            widget = self.tables.widget(index) if index < self.tables.count() else None
            if isinstance(widget, QTableView) and table.rows:
                model = widget.model()
                assert isinstance(model, AnalyticsTableModel)
                model.set_table(table)
            elif isinstance(widget, QLabel) and not table.rows:
                widget.setText(table.empty_text)
            else:
                if widget is not None:
                    self.tables.removeTab(index)
                    widget.deleteLater()
                self.tables.insertTab(index, self._table_widget(table), _tab_label(table.title))
                self.tables.setTabToolTip(index, table.title)
                continue
            widget.table = table  # type: ignore[attr-defined]
            self.tables.setTabText(index, _tab_label(table.title))
            self.tables.setTabToolTip(index, table.title)
        while self.tables.count() > len(tables):
            widget = self.tables.widget(len(tables))
            self.tables.removeTab(len(tables))
            widget.deleteLater()
        if 0 <= current < self.tables.count():
            self.tables.setCurrentIndex(current)

    def _table_widget(self, table: Table) -> QWidget:
        if not table.rows:
            label = QLabel(table.empty_text, alignment=Qt.AlignmentFlag.AlignCenter)
            label.setProperty("role", "muted")
            label.setWordWrap(True)
            label.table = table  # type: ignore[attr-defined]
            return label
        view = make_table_view()
        view.setSortingEnabled(False)
        view.setSelectionMode(view.SelectionMode.NoSelection)
        view.verticalHeader().setDefaultSectionSize(26)
        view.setModel(AnalyticsTableModel(table, view))
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        view.table = table  # type: ignore[attr-defined]
        return view

    def current_table(self) -> Table | None:
        widget = self.tables.currentWidget()
        return getattr(widget, "table", None)

    def save_png(self) -> None:
        chart, dashboard = self.chart, self._page.dashboard
        if chart is None or dashboard is None:
            return
        path = files.choose_save_path(
            self,
            "Save chart as PNG",
            export_filename(dashboard, chart.key, "png"),
            "PNG images (*.png)",
        )
        if path is not None:
            self._page.write_export(path, lambda: chart_png(chart), f"the {chart.title} chart")

    def save_csv(self) -> None:
        table, dashboard = self.current_table(), self._page.dashboard
        if table is None or dashboard is None:
            return
        what = f"{self.key}-{table.title}" if self.tables.count() > 1 else self.key
        path = files.choose_save_path(
            self,
            "Save table as CSV",
            export_filename(dashboard, what, "csv"),
            "CSV files (*.csv)",
        )
        if path is not None:
            self._page.write_export(
                path, lambda: table_csv(table).encode("utf-8-sig"), f"the table “{table.title}”"
            )
