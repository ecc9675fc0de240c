"""One chart of the dashboard: its title, definition, canvas and tables, with PNG and CSV exports.

:class:`ChartPanel` draws the chart with the same figure code as the PDF export
(a matplotlib canvas that draws only while visible) and shows the chart's tables
of numbers beside it (:class:`AnalyticsTableModel`: numbers right-aligned, the
total in bold). Its exports are written by the page it sits on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.analytics.charts import draw_chart
from mic_desktop.services.analytics.export import chart_png, export_filename, table_csv
from mic_desktop.services.analytics.results import Chart, Dashboard
from mic_desktop.services.analytics.tables import Table
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import LEFT, RIGHT, make_table_view

from . import files

ModelIndex = QModelIndex | QPersistentModelIndex


class ChartPage(Protocol):
    """What a chart panel needs from its page: the dashboard shown and a way to save a file."""

    dashboard: Dashboard | None

    def write_export(self, path: Path, build: Callable[[], bytes], what: str) -> None: ...


class AnalyticsTableModel(QAbstractTableModel):
    """One of a chart's tables: formatted cells, numbers right-aligned, the total in bold."""

    def __init__(self, table: Table, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self._cells = table.formatted()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._cells)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation is not Qt.Orientation.Horizontal:
            return None
        column = self.table.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if column.is_numeric else LEFT
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if self.table.columns[index.column()].is_numeric else LEFT
        if role == Qt.ItemDataRole.FontRole and self._is_total(index.row()):
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _is_total(self, row: int) -> bool:
        return self.table.total is not None and row == len(self._cells) - 1


class ChartCanvas(FigureCanvasQTAgg):
    """A canvas that draws only while visible: hidden tabs draw when shown, at their size."""

    def draw(self) -> None:
        if self.isVisible():
            super().draw()


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
        self.figure = Figure(layout="constrained")
        self.figure.set_facecolor("white")
        self.canvas = ChartCanvas(self.figure)
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
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.definition)
        layout.addWidget(self.splitter, 1)
        self._set_buttons(False)

    def _draw(self) -> None:
        self.canvas.draw_idle()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._draw()  # a hidden canvas skipped its draws

    def _set_buttons(self, enabled: bool) -> None:
        self.png_button.setEnabled(enabled)
        self.csv_button.setEnabled(enabled and self.tables.count() > 0)

    def show_chart(self, chart: Chart) -> None:
        self.chart = chart
        self.title.setText(chart.title)
        self.definition.setText(chart.definition)
        draw_chart(chart, self.figure)
        self._draw()
        current = self.tables.currentIndex()
        while self.tables.count():
            widget = self.tables.widget(0)
            self.tables.removeTab(0)
            widget.deleteLater()
        for table in chart.tables:
            self.tables.addTab(self._table_widget(table), table.title)
        if 0 <= current < self.tables.count():
            self.tables.setCurrentIndex(current)
        self._set_buttons(True)

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
