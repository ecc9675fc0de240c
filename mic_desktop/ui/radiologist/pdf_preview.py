"""A PDF shown as its pages, one under another, each with "Page N of M" beneath it.

The pages arrive as :class:`~mic_desktop.services.documents.page_images.PageImage`
(rendered off the GUI thread with pdfium) and become pixmaps here; until they do,
or when the preview cannot be made, a sentence takes their place.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from mic_desktop.services.documents.page_images import PageImage
from mic_desktop.ui.common.colours import ERROR_TEXT, MUTED_TEXT

PAGE_BACKGROUND = "#e4e8ee"


def to_image(page: PageImage) -> QImage:
    """A QImage that owns a copy of the page's pixels."""
    image = QImage(page.rgb, page.width, page.height, page.stride, QImage.Format.Format_RGB888)
    return image.copy()


class PdfPagesView(QScrollArea):
    """The pages of one PDF in a scrolling column."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._inner = QWidget()
        self._inner.setObjectName("PdfPages")
        self._inner.setStyleSheet(f"#PdfPages {{ background: {PAGE_BACKGROUND}; }}")
        self._layout = QVBoxLayout(self._inner)
        self._layout.setContentsMargins(12, 12, 12, 12)
        self._layout.setSpacing(6)
        self.setWidget(self._inner)
        self.pages: list[QLabel] = []
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.show_message("")

    def page_width(self) -> int:
        """How wide a page is drawn to fill the column."""
        return max(self.viewport().width() - 24, 240)

    def _clear(self) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            widget = item.widget()
            if widget is not None and widget is not self.message:
                widget.deleteLater()
        self.pages = []

    def show_message(self, text: str, *, error: bool = False) -> None:
        """A sentence in place of the pages (loading, a choice to make, a refusal)."""
        self._clear()
        colour = ERROR_TEXT if error else MUTED_TEXT
        self.message.setStyleSheet(f"color: {colour}; padding: 40px 24px;")
        self.message.setText(text)
        self._layout.addWidget(self.message)
        self._layout.addStretch(1)
        self.message.show()

    def show_pages(self, pages: Sequence[PageImage]) -> None:
        self._clear()
        self.message.hide()
        total = len(pages)
        for number, page in enumerate(pages, start=1):
            picture = QLabel()
            picture.setPixmap(QPixmap.fromImage(to_image(page)))
            picture.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            picture.setStyleSheet("border: 1px solid #c3cad4; background: white;")
            picture.setToolTip(f"Page {number} of {total}")
            caption = QLabel(f"Page {number} of {total}")
            caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            caption.setStyleSheet(f"color: {MUTED_TEXT};")
            self._layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignHCenter)
            self._layout.addWidget(caption)
            self.pages.append(picture)
        self._layout.addStretch(1)
        self.verticalScrollBar().setValue(0)
