"""The attendance tab's fewer-no-shows figures: replies, waitlist refills, money recovered."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.analytics.reply_queries import ReplyAnalytics, ReplyFigures
from mic_desktop.ui.common.tasks import run_task

CAPTIONS = (
    ("confirmed", "Confirmed by SMS reply", "appointments a patient confirmed with YES"),
    ("cancelled", "Cancelled by SMS reply", "appointments a patient cancelled with C or NO"),
    ("refilled", "Slots refilled from the waitlist", "freed slots a waitlisted patient took"),
    ("recovered", "Revenue recovered", "charges of the refilled slots still booked"),
)


class ReplyFiguresStrip(QFrame):
    """Four figures under the attendance chart's title, loaded with the dashboard."""

    def __init__(self, service: ReplyAnalytics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ReplyFigures")
        self.setProperty("role", "tile")
        self._service = service
        self._generation = 0
        self.figures: ReplyFigures | None = None
        self.values: dict[str, QLabel] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        layout.setSpacing(18)
        for key, caption, tip in CAPTIONS:
            label = QLabel(f"{caption}:")
            label.setProperty("role", "hint")
            label.setToolTip(tip)
            value = QLabel("—")
            value.setStyleSheet("font-weight: 600;")
            value.setToolTip(tip)
            self.values[key] = value
            layout.addWidget(label)
            layout.addWidget(value)
        layout.addStretch(1)

    def load(self, period: Period, modality_id: int | None) -> None:
        self._generation += 1
        generation = self._generation
        service = self._service
        run_task(
            lambda: service.figures(period, modality_id),
            lambda figures: self.show_figures(generation, figures),
            receiver=self,
        )

    def show_figures(self, generation: int, figures: ReplyFigures) -> None:
        if generation != self._generation:
            return
        self.figures = figures
        self.values["confirmed"].setText(str(figures.confirmed_by_reply))
        self.values["cancelled"].setText(str(figures.cancelled_by_reply))
        self.values["refilled"].setText(str(figures.slots_refilled))
        self.values["recovered"].setText(figures.revenue_label)
