"""Take a payment (change due for cash, partial payments, the balance) and give refunds.

PySide6-Essentials has no QtPdf to draw a PDF onto a QPrinter, so a receipt is
opened in the system viewer, which prints it.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models.billing import PaymentMethod
from mic_desktop.services.billing.balances import PatientBalance
from mic_desktop.services.billing.payments import PaymentRecord, PaymentResult
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.text_checks import NOTES_MAX
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime, format_money
from mic_desktop.ui.common.table import (
    EVERY_DATETIME,
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
from .pdfs import open_pdf


class RefundDialog(QDialog):
    """Give back (part of) a payment with a reason."""

    refunded = Signal(object)

    def __init__(
        self, context: ReceptionContext, payment: PaymentRecord, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._payment = payment
        self.setWindowTitle(f"Refund {payment.receipt_number}")
        self.amount = QLineEdit(f"{payment.amount:.2f}")
        self.amount.setAlignment(RIGHT)
        self.reason = limit_line(QLineEdit(), NOTES_MAX)
        self.reason.setObjectName("RefundReason")
        self.error = error_label("refund")
        form = QFormLayout(self)
        form.addRow(
            QLabel(
                f"Paid {format_money(payment.amount, context.currency)} by {payment.method.label}."
            )
        )
        form.addRow("&Amount", self.amount)
        form.addRow("&Reason", self.reason)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("&Refund", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.ok.setDefault(True)

    def _submit(self) -> None:
        amount = parse_amount(self.amount.text())
        if amount is None or amount <= 0:
            self.error.setText("Enter the amount to give back.")
            self.error.show()
            return
        reason, payment_id = self.reason.text(), self._payment.id
        run_task(
            lambda: self._context.payments.refund(payment_id, amount, reason),
            self._done,
            lambda e: (self.error.setText(describe_error(e)), self.error.show()),
            receiver=self,
        )

    def _done(self, result: PaymentResult) -> None:
        self.refunded.emit(result)
        self.accept()


class PaymentDialog(QDialog):
    """Money from one patient, optionally for one appointment; ``paid`` after each entry."""

    paid = Signal(object)  # PaymentResult

    def __init__(
        self,
        context: ReceptionContext,
        patient_id: int,
        patient_name: str,
        *,
        appointment_id: int | None = None,
        suggested: Decimal | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._patient_id = patient_id
        self._appointment_id = appointment_id
        self._suggested = suggested
        self._balance: PatientBalance | None = None
        self._fill_amount = True  # on the first load and after each payment
        self._credit_confirmed: Decimal | None = None
        self.last_result: PaymentResult | None = None
        self.receipt_path = None
        self.setWindowTitle(f"Take payment · {patient_name}")
        self.setMinimumSize(640, 560)
        currency = context.currency

        self.balance_label = QLabel("Balance: loading…")
        self.balance_label.setObjectName("PaymentBalance")
        self.balance_label.setStyleSheet("font-weight: 700; font-size: 15px;")
        self.balance_detail = QLabel()
        self.balance_detail.setProperty("role", "muted")
        self.balance_detail.setWordWrap(True)
        self.method = QComboBox()
        self.method.setObjectName("PaymentMethod")
        for method in PaymentMethod:
            self.method.addItem(method.label, method.value)
        self.method.currentIndexChanged.connect(self._method_changed)
        self.amount = QLineEdit()
        self.amount.setObjectName("PaymentAmount")
        self.amount.setAlignment(RIGHT)
        self.amount.setPlaceholderText("0.00")
        self.amount.textChanged.connect(self._update_change)
        self.amount.textChanged.connect(self._amount_edited)
        self.tendered = QLineEdit()
        self.tendered.setObjectName("PaymentTendered")
        self.tendered.setAlignment(RIGHT)
        self.tendered.setPlaceholderText("What the patient hands over")
        self.tendered.textChanged.connect(self._update_change)
        self.tendered_label = QLabel("Cash &tendered")
        self.tendered_label.setBuddy(self.tendered)
        self.change = QLabel(format_money(0, currency))
        self.change.setObjectName("PaymentChange")
        self.change.setAlignment(RIGHT)
        self.change.setStyleSheet("font-weight: 700; font-size: 15px;")
        self.change_label = QLabel("Change due")
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("Card slip, EFT or mobile money reference")
        self.errors = {
            "amount": error_label("amount"),
            "amount_tendered": error_label("amount_tendered"),
            "reference": error_label("reference"),
        }
        self.result_label = QLabel()
        self.result_label.setObjectName("PaymentResult")
        self.result_label.setWordWrap(True)
        self.result_label.hide()
        self.credit_question = QLabel()
        self.credit_question.setObjectName("CreditQuestion")
        self.credit_question.setWordWrap(True)
        self.credit_question.setStyleSheet("font-weight: 700; color: #8a4b00;")
        self.credit_question.hide()

        form = QFormLayout()
        form.addRow(self.balance_label)
        form.addRow(self.balance_detail)
        form.addRow("&Method", self.method)
        form.addRow("&Amount", self._stack(self.amount, "amount"))
        form.addRow(self.tendered_label, self._stack(self.tendered, "amount_tendered"))
        form.addRow(self.change_label, self.change)
        form.addRow("R&eference", self._stack(self.reference, "reference"))

        self.history = RowTableModel(
            [
                Column("Receipt", lambda p: p.receipt_number, width=100),
                Column(
                    "When",
                    lambda p: format_datetime(p.received_at, context.zone),
                    fits=EVERY_DATETIME,
                ),
                Column("Method", lambda p: p.method.label, width=130),
                Column(
                    "Amount", lambda p: format_money(p.amount, currency), align=RIGHT, stretch=True
                ),
            ],
            parent=self,
        )
        self.history_view = make_table_view(self)
        self.history_view.setModel(self.history)
        self.history_view.setSortingEnabled(False)
        size_columns(self.history_view, self.history.columns)
        self.history_empty = QLabel("No payments yet from this patient.")
        self.history_empty.setProperty("role", "muted")
        history_buttons = QHBoxLayout()
        self.receipt_button = QPushButton("Open &receipt")
        self.receipt_button.setToolTip(
            "Open the selected receipt in the PDF viewer, to print or save"
        )
        self.receipt_button.clicked.connect(self.open_selected_receipt)
        self.refund_button = QPushButton("Re&fund…")
        self.refund_button.clicked.connect(self._refund_selected)
        history_buttons.addWidget(QLabel("Payments so far"), 1)
        history_buttons.addWidget(self.receipt_button)
        history_buttons.addWidget(self.refund_button)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.take_button = self.buttons.addButton(
            "&Take payment", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.take_button.setObjectName("TakePaymentButton")
        self.buttons.accepted.connect(self.take_payment)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result_label)
        layout.addWidget(self.credit_question)
        layout.addLayout(history_buttons)
        layout.addWidget(self.history_view, 1)
        layout.addWidget(self.history_empty)
        layout.addWidget(self.buttons)
        self.take_button.setDefault(True)
        self._method_changed()
        self.reload()

    def _stack(self, widget: QWidget, name: str) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(widget)
        layout.addWidget(self.errors[name])
        return box

    # -- loading ----------------------------------------------------------------------

    def reload(self) -> None:
        payments, patient_id = self._context.payments, self._patient_id
        run_task(
            lambda: (payments.balance(patient_id), payments.payments(patient_id)),
            self._loaded,
            lambda e: self.balance_label.setText(describe_error(e)),
            receiver=self,
        )

    def _loaded(self, loaded: tuple[PatientBalance, list[PaymentRecord]]) -> None:
        balance, records = loaded
        self._balance = balance
        currency = self._context.currency
        owed = balance.balance
        if owed > 0:
            self.balance_label.setText(f"Owes {format_money(owed, currency)}")
        elif owed < 0:
            self.balance_label.setText(f"In credit {format_money(-owed, currency)}")
        else:
            self.balance_label.setText("Nothing owed")
        self.balance_detail.setText(
            f"Co-payments {format_money(balance.charges, currency)} · shortfalls "
            f"{format_money(balance.shortfalls, currency)}"
            f" · paid {format_money(balance.paid, currency)}"
            f" · refunded {format_money(balance.refunded, currency)}"
        )
        if self._fill_amount:
            first = self.last_result is None
            suggestion = owed if owed > 0 else (self._suggested or Decimal(0)) if first else owed
            self._fill_amount = False
            self.amount.setText(f"{suggestion:.2f}" if suggestion > 0 else "")
        self._update_take_button()
        self.history.set_rows(records)
        self.history_empty.setVisible(not records)
        self.history_view.setVisible(bool(records))
        self.receipt_button.setEnabled(bool(records))
        self.refund_button.setEnabled(bool(records))
        if records:
            self.history_view.selectRow(0)

    # -- entry ------------------------------------------------------------------------

    def _method_changed(self) -> None:
        cash = self.method.currentData() == PaymentMethod.CASH.value
        for widget in (self.tendered, self.tendered_label, self.change, self.change_label):
            widget.setVisible(cash)
        self.tendered.parentWidget().setVisible(cash)
        self._update_change()

    def change_due(self) -> Decimal | None:
        amount, tendered = parse_amount(self.amount.text()), parse_amount(self.tendered.text())
        if amount is None or tendered is None:
            return None
        return tendered - amount

    def _update_change(self) -> None:
        due = self.change_due()
        currency = self._context.currency
        if due is None:
            self.change.setText("—")
        elif due < 0:
            self.change.setText(f"{format_money(-due, currency)} short")
        else:
            self.change.setText(format_money(due, currency))

    def _amount_edited(self) -> None:
        self._credit_confirmed = None
        self.credit_question.hide()
        self._update_take_button()

    def owed(self) -> Decimal | None:
        return self._balance.balance if self._balance is not None else None

    def _update_take_button(self) -> None:
        """The button names the amount, and says when it goes into credit."""
        amount = parse_amount(self.amount.text())
        owed = self.owed()
        currency = self._context.currency
        if amount is None or amount <= 0:
            text = "&Take payment"
        elif owed is not None and owed <= 0:
            if self._credit_confirmed == amount:
                text = f"&Yes, take {format_money(amount, currency)} as credit"
            else:
                text = f"&Take {format_money(amount, currency)} as credit…"
        elif owed is not None and amount > owed:
            credit = format_money(amount - owed, currency)
            text = f"&Take {format_money(amount, currency)} ({credit} as credit)"
        else:
            text = f"&Take {format_money(amount, currency)}"
        self.take_button.setText(text)

    def take_payment(self) -> None:
        for label in self.errors.values():
            label.hide()
        amount = parse_amount(self.amount.text())
        if amount is None or amount <= 0:
            self._error("amount", "Enter the amount received, e.g. 150.00.")
            return
        owed = self.owed()
        if owed is not None and owed <= 0 and self._credit_confirmed != amount:
            money = format_money(amount, self._context.currency)
            self.credit_question.setText(
                f"Nothing is owed. Take {money} as credit? Click the button again to take it."
            )
            self.credit_question.show()
            self._credit_confirmed = amount
            self._update_take_button()
            return
        method = self.method.currentData()
        tendered = (
            parse_amount(self.tendered.text()) if method == PaymentMethod.CASH.value else None
        )
        if tendered is not None and tendered < amount:
            self._error("amount_tendered", "The cash handed over is less than the amount.")
            return
        reference = self.reference.text().strip() or None
        patient_id, appointment_id = self._patient_id, self._appointment_id
        self.take_button.setEnabled(False)
        run_task(
            lambda: self._context.payments.take_payment(
                patient_id,
                amount,
                method,
                appointment_id=appointment_id,
                amount_tendered=tendered,
                reference=reference,
            ),
            self._taken,
            self._refused,
            receiver=self,
        )

    def _error(self, name: str, text: str) -> None:
        self.errors[name].setText(text)
        self.errors[name].show()

    def _refused(self, error: BaseException) -> None:
        self.take_button.setEnabled(True)
        if isinstance(error, ValidationError) and error.field in self.errors:
            self._error(error.field, str(error))
        else:
            self._error("amount", describe_error(error))

    def _taken(self, result: PaymentResult) -> None:
        self.take_button.setEnabled(True)
        self.last_result = result
        currency = self._context.currency
        p = result.payment
        text = f"Received {format_money(p.amount, currency)} · receipt {p.receipt_number}"
        if p.change_due:
            text += f" · give {format_money(p.change_due, currency)} change"
        self.result_label.setText(text)
        self.result_label.show()
        self._fill_amount = True
        self._balance = result.balance
        self.amount.clear()
        self.tendered.clear()
        self.reference.clear()
        owed = result.balance.balance
        if owed > 0:
            self.amount.setText(f"{owed:.2f}")
        self.paid.emit(result)
        self.reload()
        self.receipt_button.setFocus()

    def selected_payment(self) -> PaymentRecord | None:
        index = self.history_view.currentIndex()
        return self.history.data(index, ROW_ROLE) if index.isValid() else None

    def open_selected_receipt(self) -> None:
        payment = self.selected_payment()
        if payment is None:
            return
        run_task(
            lambda: self._context.payments.receipt_pdf(payment.id),
            lambda pdf: self._receipt_ready(payment, pdf),
            lambda e: self._error("amount", describe_error(e)),
            receiver=self,
        )

    def _receipt_ready(self, payment: PaymentRecord, pdf: bytes) -> None:
        self.receipt_path = open_pdf(pdf, f"receipt-{payment.receipt_number}", self)

    def _refund_selected(self) -> None:
        payment = self.selected_payment()
        if payment is None or payment.is_refund:
            return
        dialog = RefundDialog(self._context, payment, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.refunded.connect(self._taken)
        self.refund_dialog = dialog
        dialog.open()
