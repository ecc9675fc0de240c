"""The manager's workplace: a sidebar of pages (dashboard, administration) beside the page.

Pages are built once; each loads its data the first time it is shown and again on
F5 (``refresh()``) or when another desk changes what it shows (``session.live``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QWidget,
)

from mic_desktop.ui.common.colours import URGENT
from mic_desktop.ui.common.live import LiveUpdates
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.window import HomePage


@dataclass(frozen=True)
class PageEntry:
    key: str
    name: str
    icon_name: str
    build: Callable[[], QWidget]
    channels: tuple[str, ...] = ()  # live channels whose changes this page shows
    eager: bool = False  # loaded with the window, not only when shown (sidebar counts)


class ManagerWorkplace(HomePage):
    """Sidebar + stacked pages; ``refresh()`` reloads the page on screen."""

    def __init__(
        self,
        entries: list[PageEntry],
        live: LiveUpdates | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._channels = {entry.key: entry.channels for entry in entries}
        self._eager = [entry.key for entry in entries if entry.eager]
        self._names = {entry.key: entry.name for entry in entries}
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("ManagerSidebar")
        self.sidebar.setFixedWidth(218)
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sidebar.setStyleSheet(
            "#ManagerSidebar { background: #ffffff; border: none; outline: 0;"
            " border-right: 1px solid #dce2ea; padding-top: 8px; }"
            "#ManagerSidebar::item { padding: 8px 10px; border-radius: 6px; margin: 1px 6px; }"
            "#ManagerSidebar::item:selected { background: #d3e4f5; color: #1f2933; }"
        )
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        self._loaded: set[str] = set()
        self._keys: list[str] = []
        for entry in entries:
            page = entry.build()
            self.pages[entry.key] = page
            self._keys.append(entry.key)
            self.stack.addWidget(page)
            item = QListWidgetItem(icon(entry.icon_name, "#3e4a59"), entry.name)
            item.setData(Qt.ItemDataRole.UserRole, entry.key)
            self.sidebar.addItem(item)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.sidebar.currentRowChanged.connect(self._show_row)
        self.sidebar.setCurrentRow(0)
        if live is not None:
            live.changed.connect(self.live_changed)
            live.reset.connect(self.refresh)

    def live_changed(self, channel: str, _ids: object = frozenset()) -> None:
        """Another desk changed something: the page on screen reloads, others when shown."""
        for key, channels in self._channels.items():
            if channel not in channels:
                continue
            if key == self.current_key and self.isVisible():
                page = self.pages[key]
                getattr(page, "live_changed", page.refresh)()  # type: ignore[attr-defined]
            else:
                self._loaded.discard(key)

    @property
    def current_key(self) -> str:
        return self._keys[self.stack.currentIndex()]

    def show_page(self, key: str) -> QWidget:
        self.sidebar.setCurrentRow(self._keys.index(key))
        return self.pages[key]

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        key = self._keys[row]
        if key not in self._loaded and self.isVisible():
            self._refresh_page(key)

    def _refresh_page(self, key: str) -> None:
        self._loaded.add(key)
        self.pages[key].refresh()  # type: ignore[attr-defined]

    def refresh(self) -> None:
        """Reload the page on screen (and the eager ones); the others reload when shown."""
        self._loaded = set()
        for key in {self.current_key, *self._eager}:
            self._refresh_page(key)

    def set_badge(self, key: str, count: int, alarming: bool, tip: str = "") -> None:
        """Show a count after a page's name in the sidebar, in red when it is alarming."""
        item = self.sidebar.item(self._keys.index(key))
        name = self._names[key]
        item.setText(f"{name} ({count})" if count else name)
        item.setForeground(QColor(URGENT) if alarming else QColor("#1f2933"))
        item.setToolTip(tip)
