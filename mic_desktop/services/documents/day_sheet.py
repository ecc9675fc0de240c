"""The printed day sheet: one day's appointments, room by room (A4)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer, Table, TableStyle

from mic_desktop.models import AppointmentStatus, Urgency
from mic_desktop.services.documents.letterhead import (
    RULE,
    SHADE,
    Letterhead,
    markup,
    paragraph,
    register_fonts,
    render,
    styles,
)
from mic_desktop.services.formats import format_date, format_money, format_time

URGENT_RED = colors.HexColor("#c62828")


@dataclass(frozen=True)
class DaySheetLine:
    reference: str
    start_at: dt.datetime
    end_at: dt.datetime
    patient_name: str
    mrn: str
    phone: str | None  # as the desk dials it
    scan: str
    status: AppointmentStatus
    urgency: Urgency
    patient_copay: Decimal


@dataclass(frozen=True)
class DaySheet:
    day: dt.date
    rooms: tuple[tuple[str, tuple[DaySheetLine, ...]], ...]  # (room name, its lines by time)

    @property
    def count(self) -> int:
        return sum(len(lines) for _room, lines in self.rooms)


def render_day_sheet(
    sheet: DaySheet, letterhead: Letterhead, *, printed_at: dt.datetime | None = None
) -> bytes:
    """The day sheet as PDF bytes."""
    register_fonts()
    title = f"Day sheet {format_date(sheet.day)}"
    story: list[Flowable] = [
        paragraph(title, "title"),
        paragraph(
            f"{sheet.count} appointment{'s' if sheet.count != 1 else ''} "
            f"in {len(sheet.rooms)} room{'s' if len(sheet.rooms) != 1 else ''}",
            "label",
        ),
    ]
    for room, lines in sheet.rooms:
        story.append(CondPageBreak(30 * mm))
        story.append(paragraph(f"{room} ({len(lines)})", "heading"))
        if not lines:
            story.append(paragraph("No appointments.", "label"))
            continue
        story.append(_room_table(lines, letterhead))
        story.append(Spacer(0, 2 * mm))
    return render(story, letterhead, title=title, printed_at=printed_at)


def _room_table(lines: tuple[DaySheetLine, ...], letterhead: Letterhead) -> Table:
    zone, currency = letterhead.zone, letterhead.currency
    header = [paragraph(text, "label") for text in ("Time", "Patient", "Scan", "Status")]
    header.append(
        Paragraph("Co-pay", ParagraphStyle("label_right", styles()["label"], alignment=TA_RIGHT))
    )
    data: list[list[object]] = [header]
    for line in lines:
        patient = f"{line.patient_name}\n{line.mrn}"
        if line.phone:
            patient += f"  ·  {line.phone}"
        scan = markup(line.scan)
        if line.urgency is Urgency.URGENT:
            scan += '<br/><font color="#c62828"><b>URGENT</b></font>'
        data.append(
            [
                paragraph(f"{format_time(line.start_at, zone)}–{format_time(line.end_at, zone)}"),
                paragraph(patient),
                Paragraph(scan, styles()["body"]),
                paragraph(line.status.label),
                paragraph(format_money(line.patient_copay, currency), "money"),
            ]
        )
    table = Table(
        data,
        colWidths=[27 * mm, None, 46 * mm, 22 * mm, 29 * mm],
        repeatRows=1,
        hAlign="LEFT",
    )
    commands: list[tuple[object, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for index, line in enumerate(lines, start=1):
        if line.urgency is Urgency.URGENT:
            commands.append(("LINEBEFORE", (0, index), (0, index), 2.5, URGENT_RED))
    table.setStyle(TableStyle(commands))
    return table
