"""The manager's workplace: a sidebar of pages (dashboard, administration) beside the page.

A page is built the first time it is shown or asked for (``pages[key]``; the first
page and the eager ones with the window), which keeps the pages a manager does not
open out of memory. Each loads its data the first time it is shown and again on F5
(``refresh()``) or when another desk changes what it shows (``session.live``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
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


class _Pages(Mapping[str, QWidget]):
    """The workplace's pages by key, each built on first access into its place in the stack."""

    def __init__(self, entries: list[PageEntry], stack: QStackedWidget) -> None:
        self._builders = {entry.key: entry.build for entry in entries}
        self._built: dict[str, QWidget] = {}
        self._stack = stack
        for _ in entries:
            stack.addWidget(QWidget())  # a placeholder until the page is built

    def __getitem__(self, key: str) -> QWidget:
        page = self._built.get(key)
        if page is None:
            build = self._builders[key]  # KeyError for an unknown page
            index = list(self._builders).index(key)
            placeholder = self._stack.widget(index)
            was_current = self._stack.currentIndex() == index
            page = self._built[key] = build()
            self._stack.insertWidget(index, page)
            self._stack.removeWidget(placeholder)
            placeholder.deleteLater()
            if was_current:
                self._stack.setCurrentIndex(index)
        return page

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)


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
        self.pages: Mapping[str, QWidget] = _Pages(entries, self.stack)
        self._loaded: set[str] = set()
        self._keys: list[str] = [entry.key for entry in entries]
        for key in self._keys[:1] + self._eager:
            self.pages[key]  # built with the window
        for entry in entries:
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
        key = self._keys[row]
        self.pages[key]  # built when first shown
        self.stack.setCurrentIndex(row)
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
