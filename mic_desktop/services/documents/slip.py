"""The appointment slip handed to the patient (A5): when, where, how to prepare, a QR code.

The QR code holds the appointment reference, so the desk can scan the slip at
check-in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from mic_desktop.services.documents.letterhead import RULE, SHADE, Letterhead, paragraph, render
from mic_desktop.services.formats import format_date, format_money, format_time

QR_SIZE = 30 * mm


@dataclass(frozen=True)
class SlipData:
    reference: str
    patient_name: str
    mrn: str
    scan_name: str
    room_name: str
    start_at: dt.datetime
    end_at: dt.datetime
    preparation: str
    price: Decimal
    medical_aid_cover: Decimal
    patient_copay: Decimal
    plan_name: str | None
    referring_doctor: str | None
    late_cancellation_hours: int


def qr_code(value: str, size: float = QR_SIZE) -> Drawing:
    """A QR code of ``value`` as a reportlab drawing ``size`` points square."""
    widget = QrCodeWidget(value, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def render_slip(slip: SlipData, letterhead: Letterhead) -> bytes:
    """The appointment slip as PDF bytes."""
    zone, currency = letterhead.zone, letterhead.currency
    local_day = slip.start_at.astimezone(zone).date()
    heading = Table(
        [
            [
                [
                    paragraph("Appointment", "title"),
                    paragraph(f"Reference {slip.reference}", "big"),
                    Spacer(0, 2 * mm),
                    paragraph(f"{slip.patient_name} ({slip.mrn})"),
                ],
                qr_code(slip.reference),
            ]
        ],
        colWidths=[None, QR_SIZE + 2 * mm],
    )
    heading.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    when = [
        ("Date", format_date(local_day)),
        ("Time", f"{format_time(slip.start_at, zone)} to {format_time(slip.end_at, zone)}"),
        ("Scan", slip.scan_name),
        ("Room", slip.room_name),
    ]
    if slip.referring_doctor:
        when.append(("Referred by", slip.referring_doctor))
    story: list[Flowable] = [
        heading,
        Spacer(0, 4 * mm),
        _boxed([[paragraph(k, "label"), paragraph(v, "strong")] for k, v in when]),
        Spacer(0, 4 * mm),
        paragraph("Please arrive 15 minutes early and bring this slip and your ID.", "body"),
        Spacer(0, 3 * mm),
        paragraph("How to prepare", "heading"),
        paragraph(slip.preparation.strip() or "No special preparation is needed."),
        Spacer(0, 3 * mm),
        paragraph("Payment", "heading"),
    ]
    money_rows = [("Service charge", format_money(slip.price, currency))]
    if slip.plan_name:
        money_rows.append(
            (f"Medical aid ({slip.plan_name})", format_money(slip.medical_aid_cover, currency))
        )
    money_rows.append(("To pay on the day", format_money(slip.patient_copay, currency)))
    rows = [[paragraph(label), paragraph(value, "money")] for label, value in money_rows[:-1]]
    label, value = money_rows[-1]
    rows.append([paragraph(label, "strong"), paragraph(value, "money_strong")])
    story.append(_boxed(rows, [None, 32 * mm]))
    story.append(Spacer(0, 4 * mm))
    contact = f" on {letterhead.phone}" if letterhead.phone else ""
    story.append(
        paragraph(
            f"To change or cancel, please call us{contact} at least "
            f"{slip.late_cancellation_hours} hours before your appointment.",
            "small",
        )
    )
    return render(story, letterhead, title=f"Appointment {slip.reference}", pagesize=A5)


def _boxed(rows: list[list[object]], widths: list[float | None] | None = None) -> Table:
    table = Table(rows, colWidths=widths or [34 * mm, None])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table
