"""The printed receipt of a payment or refund (A5, on the clinic's letterhead)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from mic_desktop.services.documents.letterhead import (
    INK,
    RULE,
    SHADE,
    Letterhead,
    paragraph,
    render,
)
from mic_desktop.services.formats import format_datetime, format_money


@dataclass(frozen=True)
class ReceiptData:
    receipt_number: str
    received_at: dt.datetime
    patient_name: str
    mrn: str
    method: str  # as printed: "Cash", "Mobile money" ...
    amount: Decimal  # negative for a refund
    amount_tendered: Decimal | None
    change_due: Decimal | None
    reference: str | None
    received_by: str | None
    appointment_reference: str | None
    scan_name: str | None
    appointment_start: dt.datetime | None
    refund_of_receipt: str | None
    refund_reason: str | None
    balance: Decimal  # what the patient owes at ``balance_at`` (negative: in credit)
    balance_at: dt.datetime

    @property
    def is_refund(self) -> bool:
        return self.amount < 0


def render_receipt(receipt: ReceiptData, letterhead: Letterhead) -> bytes:
    """The receipt as PDF bytes."""
    zone, currency = letterhead.zone, letterhead.currency
    title = f"{'Refund' if receipt.is_refund else 'Receipt'} {receipt.receipt_number}"
    story: list[Flowable] = [
        paragraph(title, "title"),
        paragraph(format_datetime(receipt.received_at, zone), "label"),
        Spacer(0, 4 * mm),
    ]
    details: list[tuple[str, str]] = [
        ("Patient", f"{receipt.patient_name} ({receipt.mrn})"),
    ]
    if receipt.appointment_reference:
        visit = receipt.appointment_reference
        if receipt.scan_name:
            visit += f", {receipt.scan_name}"
        if receipt.appointment_start is not None:
            visit += f", {format_datetime(receipt.appointment_start, zone)}"
        details.append(("For", visit))
    details.append(("Method", receipt.method))
    if receipt.reference:
        details.append(("Reference", receipt.reference))
    if receipt.is_refund:
        if receipt.refund_of_receipt:
            details.append(("Refund of", f"receipt {receipt.refund_of_receipt}"))
        details.append(("Reason", receipt.refund_reason or ""))
    if receipt.received_by:
        details.append(("Refunded by" if receipt.is_refund else "Received by", receipt.received_by))
    story.append(_key_values(details))
    story.append(Spacer(0, 5 * mm))

    label = "Amount refunded" if receipt.is_refund else "Amount paid"
    money_rows = [(label, format_money(abs(receipt.amount), currency), True)]
    if receipt.amount_tendered is not None:
        money_rows.append(("Cash tendered", format_money(receipt.amount_tendered, currency), False))
        money_rows.append(("Change due", format_money(receipt.change_due or 0, currency), False))
    story.append(_money_table(money_rows))
    story.append(Spacer(0, 5 * mm))
    owing = (
        f"Balance owed on {format_datetime(receipt.balance_at, zone)}: "
        f"{format_money(receipt.balance, currency)}"
        if receipt.balance >= 0
        else f"In credit on {format_datetime(receipt.balance_at, zone)}: "
        f"{format_money(-receipt.balance, currency)}"
    )
    story.append(paragraph(owing, "strong"))
    story.append(Spacer(0, 6 * mm))
    story.append(paragraph("Thank you. Please keep this receipt.", "small"))
    return render(story, letterhead, title=title, pagesize=A5)


def _key_values(rows: list[tuple[str, str]]) -> Table:
    table = Table(
        [[paragraph(key, "label"), paragraph(value)] for key, value in rows],
        colWidths=[26 * mm, None],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _money_table(rows: list[tuple[str, str, bool]]) -> Table:
    data = [
        [paragraph(label, "strong" if strong else "body"),
         paragraph(value, "money_strong" if strong else "money")]
        for label, value, strong in rows
    ]  # fmt: skip
    table = Table(data, colWidths=[None, 40 * mm])
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    table.setStyle(TableStyle(commands))
    return table
