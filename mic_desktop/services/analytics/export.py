"""Exporting the manager's dashboard: the whole of it as a PDF, a chart as PNG, a table as CSV.

The PDF (A4, the clinic's letterhead from :mod:`..documents.letterhead` on every page,
"Page N of M") opens with a cover page (period, filter, comparison period, when and by
whom it was prepared, the key figures) followed by one section per chart: title,
definition line, the chart as an image drawn by :mod:`.charts` (the same code as the
screen) and its tables of numbers. Everything renders into memory and comes back as
bytes or text; the caller chooses the file.
"""

from __future__ import annotations

import csv
import io
import re

from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from mic_desktop.services.analytics.charts import draw_chart, new_figure
from mic_desktop.services.analytics.results import Chart, Dashboard
from mic_desktop.services.analytics.tables import Column, Table
from mic_desktop.services.documents.letterhead import (
    INK,
    MARGIN,
    MUTED,
    RULE,
    SHADE,
    markup,
    paragraph,
    register_fonts,
    render,
    styles,
)
from mic_desktop.services.formats import format_datetime

PNG_SIZE = (1400, 700)  # pixels of an exported chart
PNG_DPI = 140
PDF_CHART_INCHES = (7.4, 3.6)  # drawn at about the size it is printed (182 mm wide)
PDF_CHART_DPI = 200
ACCENT = colors.HexColor("#2f6fa8")
CELL_SIZE = 8
KEEP_TOGETHER_ROWS = 20  # longer tables flow over pages, their header row repeated
# The body frame's width inside its padding.
BODY_WIDTH = A4[0] - 2 * MARGIN - 12
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# -- PNG and CSV ------------------------------------------------------------------------


def chart_png(
    chart: Chart,
    *,
    width_px: int = PNG_SIZE[0],
    height_px: int = PNG_SIZE[1],
    dpi: int = PNG_DPI,
    titled: bool = True,
) -> bytes:
    """The chart as a PNG image, with its title and definition line unless ``titled=False``."""
    figure = new_figure(width_px, height_px, dpi)
    draw_chart(chart, figure, titled=titled)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def table_csv(table: Table) -> str:
    """The table as CSV text (header row, plain numbers, ISO dates, the total row last).

    Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``)
    get a leading apostrophe: patients' comments are data, not formulas.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.csv_title for column in table.columns])
    rows = [*table.rows, table.total] if table.total is not None else list(table.rows)
    for row in rows:
        writer.writerow(
            [_csv_cell(column, value) for column, value in zip(table.columns, row, strict=True)]
        )
    return buffer.getvalue()


def _csv_cell(column: Column, value: object) -> str:
    text = column.csv_value(value)
    if not column.is_numeric and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def export_filename(dashboard: Dashboard, what: str, extension: str) -> str:
    """``dashboard-2026-11-01-to-2026-11-30-revenue.csv``: safe on every file system."""
    period = dashboard.period
    stem = f"dashboard-{period.first_day.isoformat()}-to-{period.last_day.isoformat()}"
    if dashboard.modality is not None:
        stem += f"-{dashboard.modality.code}"
    if what:
        stem += f"-{what}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).lower() + f".{extension}"


# -- PDF --------------------------------------------------------------------------------


def dashboard_pdf(dashboard: Dashboard, *, prepared_by: str = "") -> bytes:
    """The whole dashboard as a multi-page PDF report."""
    story: list[Flowable] = [*_cover(dashboard, prepared_by)]
    for number, chart in enumerate(dashboard.charts, start=1):
        story.append(PageBreak())
        story.extend(_chart_section(number, chart))
    return render(
        story,
        dashboard.letterhead,
        title=f"Management dashboard – {dashboard.period.label}",
        printed_at=dashboard.generated_at,
    )


def _extra_styles() -> dict[str, ParagraphStyle]:
    base = styles()
    return {
        "cover_title": ParagraphStyle(
            "cover_title", parent=base["title"], fontSize=22, leading=27, spaceAfter=2
        ),
        "cover_period": ParagraphStyle(
            "cover_period", parent=base["big"], fontSize=16, leading=21, textColor=ACCENT
        ),
        "figure_label": ParagraphStyle("figure_label", parent=base["label"], fontSize=8.5),
        "figure_value": ParagraphStyle(
            "figure_value", parent=base["big"], fontSize=15, leading=19, textColor=INK
        ),
        "figure_note": ParagraphStyle("figure_note", parent=base["small"], fontSize=7.5),
        "cell": ParagraphStyle("cell", parent=base["body"], fontSize=CELL_SIZE, leading=10),
        "cell_right": ParagraphStyle(
            "cell_right", parent=base["body"], fontSize=CELL_SIZE, leading=10, alignment=TA_RIGHT
        ),
        "cell_bold": ParagraphStyle(
            "cell_bold", parent=base["strong"], fontSize=CELL_SIZE, leading=10
        ),
        "cell_bold_right": ParagraphStyle(
            "cell_bold_right",
            parent=base["strong"],
            fontSize=CELL_SIZE,
            leading=10,
            alignment=TA_RIGHT,
        ),
        "definition": ParagraphStyle(
            "definition", parent=base["small"], fontSize=8.5, leading=11, spaceAfter=4
        ),
        "table_title": ParagraphStyle(
            "table_title",
            parent=base["strong"],
            fontSize=9,
            leading=12,
            spaceBefore=6,
            spaceAfter=3,
        ),
    }


def _cover(dashboard: Dashboard, prepared_by: str) -> list[Flowable]:
    extra = _extra_styles()
    period = dashboard.period
    zone = dashboard.letterhead.zone
    prepared = f"Prepared {format_datetime(dashboard.generated_at, zone)}"
    if prepared_by:
        prepared += f" by {prepared_by}"
    details = [
        ("Period", period.dates_label),
        ("Modality", dashboard.filter_label),
        (
            "Compared with",
            f"{_capitalised(period.comparison_label.removeprefix('the '))} "
            f"({dashboard.volume.comparison.dates_label})",
        ),
        ("Charts by", f"{period.bucket.label} (times in {dashboard.letterhead.time_zone})"),
    ]
    detail_table = PdfTable(
        [[paragraph(label, "label"), paragraph(value)] for label, value in details],
        colWidths=(32 * mm, None),
        hAlign="LEFT",
    )
    detail_table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    contents = [
        paragraph(f"{number}.  {chart.title}")
        for number, chart in enumerate(dashboard.charts, start=1)
    ]
    return [
        Spacer(1, 10 * mm),
        Paragraph("Management dashboard", extra["cover_title"]),
        Paragraph(markup(period.label), extra["cover_period"]),
        Spacer(1, 5 * mm),
        detail_table,
        Spacer(1, 2 * mm),
        paragraph(prepared, "small"),
        Spacer(1, 8 * mm),
        paragraph("Key figures", "heading"),
        _key_figures(dashboard, extra),
        Spacer(1, 8 * mm),
        paragraph("In this report", "heading"),
        *contents,
        Spacer(1, 4 * mm),
        paragraph(
            "Each chart states what it counts in the line under its title; "
            "the numbers behind it follow the chart.",
            "small",
        ),
    ]


def _key_figures(dashboard: Dashboard, extra: dict[str, ParagraphStyle]) -> PdfTable:
    cells = [
        [
            Paragraph(markup(figure.label), extra["figure_label"]),
            Paragraph(markup(figure.value), extra["figure_value"]),
            Paragraph(markup(figure.note or " "), extra["figure_note"]),
        ]
        for figure in dashboard.key_figures
    ]
    columns = 3
    while len(cells) % columns:
        cells.append([Paragraph("", extra["figure_note"])])
    grid = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    width = BODY_WIDTH / columns
    table = PdfTable(grid, colWidths=[width] * columns, hAlign="LEFT")
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
    ]
    for row in range(len(grid)):
        for column in range(columns):
            if row * columns + column < len(dashboard.key_figures):
                commands += [
                    ("BACKGROUND", (column, row), (column, row), SHADE),
                    ("LINEBEFORE", (column, row), (column, row), 2.5, ACCENT),
                ]
    table.setStyle(TableStyle([*commands, ("LINEBELOW", (0, 0), (-1, -2), 4, colors.white)]))
    return table


def _chart_section(number: int, chart: Chart) -> list[Flowable]:
    extra = _extra_styles()
    width = BODY_WIDTH
    image_height = width * PDF_CHART_INCHES[1] / PDF_CHART_INCHES[0]
    png = chart_png(
        chart,
        width_px=int(PDF_CHART_INCHES[0] * PDF_CHART_DPI),
        height_px=int(PDF_CHART_INCHES[1] * PDF_CHART_DPI),
        dpi=PDF_CHART_DPI,
        titled=False,
    )
    head: list[Flowable] = [
        paragraph(f"{number}. {chart.title}", "title"),
        Paragraph(markup(_capitalised(chart.definition)), extra["definition"]),
        Image(io.BytesIO(_opaque(png)), width=width, height=image_height),
        Spacer(1, 3 * mm),
    ]
    story: list[Flowable] = [KeepTogether(head)]
    blocks = [
        _table_block(table, extra, width, titled=len(chart.tables) > 1) for table in chart.tables
    ]
    gap = 6 * mm
    while blocks:
        block, table_width = blocks.pop(0)
        if blocks and table_width <= (width - gap) / 2 and blocks[0][1] <= (width - gap) / 2:
            partner, _partner_width = blocks.pop(0)
            pair = PdfTable([[block, partner]], colWidths=[(width + gap) / 2, (width - gap) / 2])
            pair.setStyle(
                TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ]
                )
            )
            story += [CondPageBreak(30 * mm), pair]
        elif _rows(block) > KEEP_TOGETHER_ROWS:
            story += [CondPageBreak(30 * mm), *block]  # a long table flows over pages
        else:
            story += [CondPageBreak(30 * mm), KeepTogether(block)]
    return story


def _rows(block: list[Flowable]) -> int:
    return max((len(f._cellvalues) for f in block if isinstance(f, PdfTable)), default=0)


def _table_block(
    table: Table, extra: dict[str, ParagraphStyle], width: float, *, titled: bool
) -> tuple[list[Flowable], float]:
    """A table's title (when the chart has several) and the table, with its width."""
    block: list[Flowable] = []
    if titled:
        block.append(Paragraph(markup(table.title), extra["table_title"]))
    if not table.rows:
        block.append(paragraph(table.empty_text, "small"))
        return block, width / 3
    widths = _column_widths(table, width)
    block.append(_pdf_table(table, extra, widths))
    return block, sum(widths)


def _column_widths(table: Table, available: float) -> list[float]:
    """Each column as wide as its longest value (headers may wrap between words)."""
    bold = register_fonts()[1]
    pad = 9.0
    rows = table.formatted()
    natural, minimum = [], []
    for i, column in enumerate(table.columns):
        values = max((stringWidth(row[i], bold, CELL_SIZE) for row in rows), default=0.0)
        header = stringWidth(column.title, bold, CELL_SIZE)
        word = max(stringWidth(part, bold, CELL_SIZE) for part in column.title.split() or [""])
        natural.append(max(values, min(header, max(values, word) * 1.6), word) + pad)
        fixed = values if column.is_numeric else min(values, 28 * mm)
        minimum.append(max(word, fixed) + pad)
    if sum(natural) <= available:
        return natural
    spare = available - sum(minimum)
    if spare <= 0:
        return [w * available / sum(minimum) for w in minimum]
    stretch = [n - m for n, m in zip(natural, minimum, strict=True)]
    return [m + spare * s / sum(stretch) for m, s in zip(minimum, stretch, strict=True)]


def _pdf_table(table: Table, extra: dict[str, ParagraphStyle], widths: list[float]) -> PdfTable:
    columns = table.columns

    def cell(column: Column, text: str, bold: bool) -> Paragraph:
        name = "cell_bold" if bold else "cell"
        if column.is_numeric:
            name += "_right"
        return Paragraph(markup(text), extra[name])

    header = [cell(column, column.title, True) for column in columns]
    formatted = table.formatted()
    body = [
        [
            cell(column, text, table.total is not None and i == len(formatted) - 1)
            for column, text in zip(columns, row, strict=True)
        ]
        for i, row in enumerate(formatted)
    ]
    pdf_table = PdfTable([header, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    for row in range(1, len(body) + 1, 2):
        commands.append(("BACKGROUND", (0, row), (-1, row), SHADE))
    if table.total is not None:
        commands += [
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, MUTED),
            ("BACKGROUND", (0, -1), (-1, -1), colors.white),
        ]
    commands.append(("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE))
    pdf_table.setStyle(TableStyle(commands))
    return pdf_table


def _opaque(png: bytes) -> bytes:
    """The PNG without its alpha channel (a transparent white prints a faint grey box)."""
    with PILImage.open(io.BytesIO(png)) as image:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
