"""The booking dialog's money panel: service charge, medical-aid cover and what the patient pays.

:class:`QuotePanel` asks the pricing service for the quote of a scan for a
patient (billing the medical aid or not) off the GUI thread, shows it before
anything is saved, and says ``quoted`` so the dialog can ask for the
pre-authorisation number when the plan needs one.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QWidget

from mic_desktop.services.billing.pricing import PricingService, Quote
from mic_desktop.ui.common.formatting import format_money
from mic_desktop.ui.common.table import RIGHT
from mic_desktop.ui.common.tasks import run_task


class QuotePanel(QFrame):
    """The quote of the chosen scan for the chosen patient, or a hint while one is missing."""

    quoted = Signal(object)  # Quote
    failed = Signal(object)  # the exception of a quote that could not be made

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.quote: Quote | None = None
        self._generation = 0
        self.charge = QLabel("—")
        self.cover = QLabel("—")
        self.copay = QLabel("—")
        self.cover_text = QLabel()
        self.cover_text.setProperty("role", "muted")
        self.cover_text.setWordWrap(True)
        for label in (self.charge, self.cover, self.copay):
            label.setAlignment(RIGHT)
        self.copay.setStyleSheet("font-weight: 700; font-size: 15px;")

        self.setObjectName("PaymentPanel")
        self.setStyleSheet(
            "#PaymentPanel { background: #f4f7fb; border: 1px solid #d5dde8; border-radius: 6px; }"
        )
        grid = QGridLayout(self)
        heading = QLabel("Payment")
        heading.setStyleSheet("font-weight: 700;")
        grid.addWidget(heading, 0, 0, 1, 2)
        grid.addWidget(QLabel("Service charge"), 1, 0)
        grid.addWidget(self.charge, 1, 1)
        grid.addWidget(QLabel("Medical-aid cover"), 2, 0)
        grid.addWidget(self.cover, 2, 1)
        grid.addWidget(QLabel("Patient pays"), 3, 0)
        grid.addWidget(self.copay, 3, 1)
        grid.addWidget(self.cover_text, 4, 0, 1, 2)

    def load(
        self,
        pricing: PricingService,
        scan_id: int | None,
        patient_id: int | None,
        use_aid: bool,
    ) -> None:
        """Quote ``scan_id`` for ``patient_id``; without both, show the hint instead."""
        self._generation += 1
        generation = self._generation
        if scan_id is None or patient_id is None:
            self.quote = None
            for label in (self.charge, self.cover, self.copay):
                label.setText("—")
            self.cover_text.setText("Choose the patient and the scan to see what it costs.")
            return
        run_task(
            lambda: pricing.quote_for_patient(scan_id, patient_id, use_medical_aid=use_aid),
            lambda quote: self._quoted(generation, quote),
            self.failed.emit,
            receiver=self,
        )

    def _quoted(self, generation: int, quote: Quote) -> None:
        if generation != self._generation:
            return
        self.quote = quote
        self.charge.setText(format_money(quote.price, quote.currency))
        self.cover.setText(format_money(quote.medical_aid_cover, quote.currency))
        self.copay.setText(format_money(quote.patient_copay, quote.currency))
        self.cover_text.setText(cover_words(quote.coverage_text))
        self.quoted.emit(quote)


def cover_words(coverage: str) -> str:
    """``95 % up to USD 100.00`` as a sentence that says what the percentage is."""
    if coverage == "No medical aid":
        return "No medical aid: the patient pays the whole charge."
    if coverage == "Not covered":
        return "The patient's medical aid does not cover this scan."
    return "Medical-aid cover: " + coverage.replace(" %", " % of the charge", 1) + "."
