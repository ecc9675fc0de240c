"""Medical-aid claims: claim an appointment's cover, record the settlement or rejection.

A settlement below the claimed amount leaves a shortfall the patient owes; the
list shows it so reception can follow it up.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.billing.claims import ClaimRecord
from mic_desktop.services.text_checks import NOTES_MAX
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_date, format_money
from mic_desktop.ui.common.table import (
    EVERY_DATE,
    RIGHT,
    ROW_ROLE,
    Column,
    RowTableModel,
    make_table_view,
    size_columns,
)
from mic_desktop.ui.common.tasks import run_task
from mic_desktop.ui.common.text_limits import limit_line

from .context import ReceptionContext
from .fields import error_label, parse_amount


class ClaimsDialog(QDialog):
    """A patient's claims (or every claim), with settlement and rejection."""

    changed = Signal(object)  # ClaimRecord

    def __init__(
        self,
        context: ReceptionContext,
        *,
        patient_id: int | None = None,
        appointment_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._patient_id = patient_id
        self._appointment_id = appointment_id
        self.setWindowTitle("Medical-aid claims")
        self.resize(980, 480)
        zone, currency = context.zone, context.currency
        self.model = RowTableModel(
            [
                Column("Visit", lambda c: format_date(c.appointment_start.astimezone(zone).date()),
                       fits=EVERY_DATE),
                Column("Patient", lambda c: f"{c.patient_name} ({c.mrn})", width=200,
                       tooltip=lambda c: f"{c.patient_name} ({c.mrn})"),
                Column("Plan", lambda c: f"{c.plan_name} · {c.member_number}", stretch=True,
                       tooltip=lambda c: f"{c.plan_name} · {c.member_number}"),
                Column("Claimed", lambda c: format_money(c.claimed_amount, currency), align=RIGHT,
                       width=110),
                Column("Status", lambda c: c.status.value.replace("_", " ").capitalize(),
                       width=100),
                Column("Shortfall", lambda c: format_money(c.shortfall, currency), align=RIGHT,
                       colour=lambda c: "#b42318" if c.shortfall > 0 else None, width=110),
            ],
            parent=self,
        )  # fmt: skip
        self.view = make_table_view(self)
        self.view.setModel(self.model)
        self.view.setSortingEnabled(False)
        size_columns(self.view, self.model.columns)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        self.empty = QLabel(
            "No claims yet. Claim an appointment's cover once the patient has attended "
            "(Medical-aid claim… on the appointment)."
        )
        self.empty.setProperty("role", "muted")
        self.empty.setWordWrap(True)
        self.shortfall_only = QCheckBox("Only claims with a &shortfall")
        self.shortfall_only.toggled.connect(lambda _on: self.reload())
        self.claim_button = QPushButton("&Claim this appointment")
        self.claim_button.setObjectName("ClaimAppointment")
        self.claim_button.setVisible(appointment_id is not None)
        self.claim_button.clicked.connect(self.submit_claim)
        self.amount = QLineEdit()
        self.amount.setObjectName("SettledAmount")
        self.amount.setAlignment(RIGHT)
        self.amount.setPlaceholderText("Amount the medical aid paid")
        self.amount.setMinimumWidth(220)
        self.notes = limit_line(QLineEdit(), NOTES_MAX)
        self.notes.setPlaceholderText("Remittance reference, or the reason for a rejection")
        self.settle_button = QPushButton("Record &settlement")
        self.settle_button.clicked.connect(self.record_settlement)
        self.reject_button = QPushButton("Mark re&jected")
        self.reject_button.setToolTip("The medical aid paid nothing; the notes give its reason")
        self.reject_button.clicked.connect(self.reject_claim)
        self.error = error_label("claim")
        top = QHBoxLayout()
        top.addWidget(self.shortfall_only)
        top.addStretch(1)
        top.addWidget(self.claim_button)
        settle = QHBoxLayout()
        settle.addWidget(self.amount)
        settle.addWidget(self.notes, 1)
        settle.addWidget(self.settle_button)
        settle.addWidget(self.reject_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        layout.addLayout(settle)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        payments, patient_id = self._context.payments, self._patient_id
        shortfall = self.shortfall_only.isChecked()
        run_task(
            lambda: payments.claims(patient_id=patient_id, with_shortfall=shortfall),
            self._loaded,
            self._failed,
            receiver=self,
        )

    def _loaded(self, claims: list[ClaimRecord]) -> None:
        self.model.set_rows(claims)
        self.empty.setVisible(not claims)
        if claims:
            row = next(
                (n for n, c in enumerate(claims) if c.appointment_id == self._appointment_id), 0
            )
            self.view.selectRow(row)
        self._selection_changed()
        claimed = any(c.appointment_id == self._appointment_id for c in claims)
        self.claim_button.setEnabled(self._appointment_id is not None and not claimed)

    def _failed(self, error: BaseException) -> None:
        self.error.setText(describe_error(error))
        self.error.show()

    def _selection_changed(self) -> None:
        claim = self.selected()
        open_claim = claim is not None and claim.settled_at is None
        for widget in (self.amount, self.notes, self.settle_button, self.reject_button):
            widget.setEnabled(open_claim)

    def selected(self) -> ClaimRecord | None:
        index = self.view.currentIndex()
        return self.model.data(index, ROW_ROLE) if index.isValid() else None

    def _run(self, work: object) -> None:
        self.error.hide()
        run_task(work, self._done, self._failed, receiver=self)  # type: ignore[arg-type]

    def _done(self, claim: ClaimRecord) -> None:
        self.amount.clear()
        self.notes.clear()
        self.changed.emit(claim)
        self.reload()

    def submit_claim(self) -> None:
        appointment_id = self._appointment_id
        if appointment_id is not None:
            self._run(lambda: self._context.payments.submit_claim(appointment_id))

    def record_settlement(self) -> None:
        claim, amount = self.selected(), parse_amount(self.amount.text())
        if claim is None:
            return
        if amount is None or amount < 0:
            self._failed(ValueError("Enter the amount the medical aid paid, e.g. 180.00."))
            self.amount.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        notes = self.notes.text().strip() or None
        self._run(
            lambda: self._context.payments.record_settlement(
                claim.id, amount, claim.version, notes=notes
            )
        )

    def reject_claim(self) -> None:
        claim = self.selected()
        if claim is not None:
            reason = self.notes.text()
            self._run(lambda: self._context.payments.reject_claim(claim.id, claim.version, reason))
