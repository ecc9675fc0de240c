"""A stacked bar of appointments per status, in the status colours, with its legend."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from mic_desktop.models import AppointmentStatus
from mic_desktop.ui.common.colours import MUTED_TEXT, status_colour

BAR_HEIGHT = 18
LEGEND_GAP = 14
DOT = 10


class StatusMix(QWidget):
    """How many appointments are in each status, as one bar; zero statuses stay in the legend."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._counts: dict[AppointmentStatus, int] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_counts(self, counts: Mapping[AppointmentStatus, int]) -> None:
        self._counts = {status: counts.get(status, 0) for status in AppointmentStatus}
        summary = ", ".join(f"{s.label} {n}" for s, n in self._counts.items())
        self.setToolTip(summary)
        self.setAccessibleDescription(summary)
        self.update()

    def counts(self) -> dict[AppointmentStatus, int]:
        return dict(self._counts)

    def sizeHint(self) -> QSize:
        return QSize(600, BAR_HEIGHT + LEGEND_GAP + self.fontMetrics().height() + 4)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        bar = QRectF(0, 0, self.width(), BAR_HEIGHT)
        clip = QPainterPath()
        clip.addRoundedRect(bar, BAR_HEIGHT / 2, BAR_HEIGHT / 2)
        painter.fillPath(clip, QColor("#e6ebf1"))
        total = sum(self._counts.values())
        if total:
            painter.save()
            painter.setClipPath(clip)
            x = 0.0
            for status, count in self._counts.items():
                width = bar.width() * count / total
                painter.fillRect(
                    QRectF(x, 0, width, BAR_HEIGHT), QColor(status_colour(status).base)
                )
                x += width
            painter.restore()

        metrics = self.fontMetrics()
        y = BAR_HEIGHT + LEGEND_GAP
        x = 0.0
        for status in AppointmentStatus:
            text = f"{status.label} {self._counts.get(status, 0):,}"
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(status_colour(status).base))
            painter.drawEllipse(QRectF(x, y + (metrics.height() - DOT) / 2, DOT, DOT))
            painter.setPen(QColor(MUTED_TEXT))
            text_rect = QRectF(
                x + DOT + 6, y, metrics.horizontalAdvance(text) + 2, metrics.height()
            )
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter, text)
            x = text_rect.right() + 22
        painter.end()
