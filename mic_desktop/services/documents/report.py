"""The radiology report as a PDF, generated with reportlab when no PDF was attached.

:func:`render_report_pdf` turns a frozen :class:`~.report_content.ReportPdfContent`
into bytes: the clinic's letterhead (shared with every printed document, see
:mod:`.letterhead`), patient and exam details, clinical information, findings,
impression, a critical result, the signature block and the addenda, with the
patient's name and MRN and "Page N of M" at the foot of every page and a DRAFT
watermark until the report is final. :func:`render_addenda_pdf` makes the pages
appended to an attached PDF whose addenda came later. Both take the number of pages
delivered before and after them, so that "Page N of M" runs across the whole delivered
document (:mod:`mic_desktop.services.reporting.delivery` puts it together). Text is
NFKC-normalised and escaped (``letterhead.clean`` / ``markup``) before it reaches reportlab.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from mic_desktop.models import Sex, Urgency
from mic_desktop.services.documents.letterhead import (
    INK,
    MUTED,
    RULE,
    SHADE,
    clean,
    markup,
    register_fonts,
    render,
)
from mic_desktop.services.documents.report_content import AppendixNote, ReportPdfContent
from mic_desktop.services.formats import format_datetime

ACCENT = colors.HexColor("#2f6fa8")
CRITICAL = colors.HexColor("#b42318")
CRITICAL_PANEL = colors.HexColor("#fdf0ef")
ADDENDUM_BAR = colors.HexColor("#c98a10")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SEX = {Sex.FEMALE.value: "Female", Sex.MALE.value: "Male", Sex.OTHER.value: "Other"}
_METHODS = {"phone": "by phone", "in_person": "in person", "email": "by e-mail", "sms": "by SMS"}


# --- text and styles -----------------------------------------------------------------


def _long_date(value: dt.date) -> str:
    """``3 May 1971`` (a date of birth reads oddly with its weekday)."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = register_fonts()
    body = ParagraphStyle(
        "report_body", fontName=regular, fontSize=10, leading=14.2, textColor=INK, spaceAfter=4
    )
    return {
        "body": body,
        "title": ParagraphStyle(
            "report_title", parent=body, fontName=bold, fontSize=15, leading=19
        ),
        "status": ParagraphStyle(
            "report_status", parent=body, fontName=bold, fontSize=9, alignment=TA_RIGHT
        ),
        "heading": ParagraphStyle(
            "report_heading",
            parent=body,
            fontName=bold,
            fontSize=9,
            leading=12,
            textColor=ACCENT,
            spaceBefore=10,
            spaceAfter=4,
        ),
        "impression": ParagraphStyle("report_impression", parent=body, fontName=bold),
        "label": ParagraphStyle(
            "report_label", parent=body, fontSize=7.5, leading=9.5, textColor=MUTED, spaceAfter=0
        ),
        "value": ParagraphStyle(
            "report_value", parent=body, fontSize=9.5, leading=12, spaceAfter=0
        ),
        "value_bold": ParagraphStyle(
            "report_value_bold",
            parent=body,
            fontName=bold,
            fontSize=10.5,
            leading=13,
            spaceAfter=0,
        ),
        "small": ParagraphStyle(
            "report_small", parent=body, fontSize=8.5, leading=11.5, textColor=MUTED, spaceAfter=0
        ),
        "signature": ParagraphStyle(
            "report_signature", parent=body, fontName=bold, fontSize=10.5, spaceAfter=0
        ),
        "critical": ParagraphStyle(
            "report_critical", parent=body, fontName=bold, textColor=CRITICAL, spaceAfter=2
        ),
    }


class _Rule(Flowable):
    """A thin horizontal line across the frame."""

    def __init__(self, colour: colors.Color = RULE, thickness: float = 0.6, gap: float = 4) -> None:
        super().__init__()
        self._colour = colour
        self._thickness = thickness
        self._gap = gap

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self._thickness + 2 * self._gap

    def draw(self) -> None:
        self.canv.setStrokeColor(self._colour)
        self.canv.setLineWidth(self._thickness)
        self.canv.line(0, self._gap, self.width, self._gap)


def _draft_watermark(canvas: Canvas) -> None:
    width, height = canvas._pagesize
    canvas.saveState()
    canvas.setFont(register_fonts()[1], 96)
    canvas.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.08))
    canvas.translate(width / 2, height / 2)
    canvas.rotate(40)
    canvas.drawCentredString(0, 0, "DRAFT")
    canvas.restoreState()


def _footer(content: ReportPdfContent) -> str:
    """Every page names the patient, so a loose page is never misfiled."""
    return (
        f"{clean(content.patient_name)}  ·  MRN {clean(content.mrn)}  ·  "
        f"Ref {clean(content.reference)}  ·  Confidential  ·  "
        f"Printed {format_datetime(content.generated_at, content.zone)}"
    )


# --- story ---------------------------------------------------------------------------


def _title_block(content: ReportPdfContent, styles: dict[str, ParagraphStyle], title: str) -> Table:
    if not content.is_final:
        status = f'<font color="{CRITICAL.hexval()}">DRAFT — NOT A FINAL REPORT</font>'
    elif content.addenda:
        status = f'<font color="{ADDENDUM_BAR.hexval()}">FINAL REPORT · AMENDED</font>'
    else:
        status = f'<font color="{ACCENT.hexval()}">FINAL REPORT</font>'
    table = Table(
        [[Paragraph(escape(title), styles["title"]), Paragraph(status, styles["status"])]],
        colWidths=["60%", "40%"],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _details_table(content: ReportPdfContent, styles: dict[str, ParagraphStyle]) -> Table:
    zone = content.zone
    exam_date = content.exam_at.astimezone(zone).date()
    born = "—"
    if content.date_of_birth is not None:
        born = f"{_long_date(content.date_of_birth)} (age {_age(content.date_of_birth, exam_date)})"
    doctor = clean(content.referring_doctor) or "Self-referred"
    if content.referring_practice:
        doctor = f"{doctor}, {clean(content.referring_practice)}"
    priority = "Urgent" if content.urgency == Urgency.URGENT.value else "Routine"

    def cell(label: str, value: str, style: str = "value") -> list[Paragraph]:
        return [Paragraph(escape(label), styles["label"]), Paragraph(value, styles[style])]

    rows = [
        [
            cell("Patient", markup(content.patient_name), "value_bold"),
            cell("Examination", markup(content.scan_type), "value_bold"),
        ],
        [cell("MRN", markup(content.mrn)), cell("Modality", markup(content.modality))],
        [
            cell("Date of birth", escape(born)),
            cell("Exam date", escape(format_datetime(content.exam_at, zone))),
        ],
        [
            cell("Sex", escape(_SEX.get(content.sex, "Not recorded"))),
            cell("Referring doctor", markup(doctor)),
        ],
        [cell("Reference", markup(content.reference)), cell("Priority", escape(priority))],
    ]
    table = Table(rows, colWidths=["50%", "50%"])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("LINEAFTER", (0, 0), (0, -1), 0.6, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, 0), 7),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 7),
            ]
        )
    )
    return table


def _section(
    heading: str, text: str, styles: dict[str, ParagraphStyle], style: str = "body"
) -> list[Flowable]:
    body = clean(text).strip()
    paragraphs = [p for p in body.split("\n\n") if p.strip()] or ["Not recorded."]
    flowables: list[Flowable] = [
        CondPageBreak(30 * mm),
        Paragraph(escape(heading.upper()), styles["heading"]),
    ]
    flowables += [Paragraph(markup(p.strip()), styles[style]) for p in paragraphs]
    return flowables


def _critical_box(content: ReportPdfContent, styles: dict[str, ParagraphStyle]) -> Table:
    note = content.critical
    assert note is not None
    lines = [
        Paragraph("<b>CRITICAL RESULT</b>", styles["critical"]),
        Paragraph(markup(note.description), styles["body"]),
    ]
    if note.communicated_to and note.communicated_at is not None:
        method = _METHODS.get(note.communication_method or "", "")
        told = (
            f"Communicated to {escape(clean(note.communicated_to))} {escape(method)} on "
            f"{escape(format_datetime(note.communicated_at, content.zone))}."
        )
        lines.append(Paragraph(told, styles["small"]))
    box = Table([[lines]], colWidths=["100%"])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), CRITICAL_PANEL),
                ("LINEBEFORE", (0, 0), (0, -1), 3, CRITICAL),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return box


def _signature_block(content: ReportPdfContent, styles: dict[str, ParagraphStyle]) -> Flowable:
    zone = content.zone
    parts: list[Flowable] = [Spacer(1, 8 * mm), _Rule()]
    if content.is_final and content.signed_name and content.finalised_at is not None:
        parts += [
            Paragraph("Electronically signed by", styles["small"]),
            Paragraph(markup(content.signed_name), styles["signature"]),
            Paragraph(
                f"Reporting radiologist · {escape(format_datetime(content.finalised_at, zone))}",
                styles["small"],
            ),
        ]
        if content.reviewed_by and content.reviewed_at is not None:
            parts.append(Spacer(1, 2 * mm))
            parts.append(
                Paragraph(
                    f"Reviewed by {markup(content.reviewed_by)} · "
                    f"{escape(format_datetime(content.reviewed_at, zone))}",
                    styles["small"],
                )
            )
    else:
        parts.append(
            Paragraph(
                "<b>Not signed.</b> This is a draft and must not be used for clinical decisions.",
                styles["small"],
            )
        )
    return KeepTogether(parts)


def _addenda(
    content: ReportPdfContent, styles: dict[str, ParagraphStyle], first_number: int = 1
) -> list[Flowable]:
    zone = content.zone
    flowables: list[Flowable] = [
        CondPageBreak(35 * mm),
        Paragraph("ADDENDA", styles["heading"]),
    ]
    for number, addendum in enumerate(content.addenda, start=first_number):
        inner: list[Flowable] = [
            Paragraph(
                f"<b>Addendum {number}</b> · {escape(format_datetime(addendum.created_at, zone))}",
                styles["body"],
            )
        ]
        inner += [
            Paragraph(markup(p.strip()), styles["body"])
            for p in clean(addendum.text).split("\n\n")
            if p.strip()
        ]
        inner.append(
            Paragraph(
                f"Electronically signed by <b>{markup(addendum.signed_name)}</b> · "
                f"{escape(format_datetime(addendum.created_at, zone))}",
                styles["small"],
            )
        )
        box = Table([[inner]], colWidths=["100%"])
        box.setStyle(
            TableStyle(
                [
                    ("LINEBEFORE", (0, 0), (0, -1), 2.5, ADDENDUM_BAR),
                    ("LEFTPADDING", (0, 0), (-1, -1), 10),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        if number > first_number:
            flowables.append(Spacer(1, 4 * mm))
        flowables.append(box)
    return flowables


# --- rendering -----------------------------------------------------------------------


def render_report_pdf(
    content: ReportPdfContent,
    *,
    appendix: AppendixNote | None = None,
    page_offset: int = 0,
) -> bytes:
    """The whole report as PDF bytes, followed (in the delivered file) by ``appendix``."""
    styles = _styles()
    title = "Radiology report"
    story: list[Flowable] = [
        _title_block(content, styles, title),
        _details_table(content, styles),
        Spacer(1, 2 * mm),
    ]
    if clean(content.clinical_notes).strip():
        story += _section("Clinical information", content.clinical_notes, styles)
    # A section left empty is left out, e.g. a normal X-ray reported by impression only.
    if clean(content.findings).strip() or not clean(content.impression).strip():
        story += _section("Findings", content.findings, styles)
    if clean(content.impression).strip():
        story += _section("Impression", content.impression, styles, "impression")
    if content.critical is not None:
        story += [Spacer(1, 3 * mm), _critical_box(content, styles)]
    story.append(_signature_block(content, styles))
    if content.addenda:
        story += [Spacer(1, 4 * mm), *_addenda(content, styles)]
    if appendix is not None:
        pages = "1 page" if appendix.page_count == 1 else f"{appendix.page_count} pages"
        story += [
            CondPageBreak(20 * mm),
            Paragraph("APPENDIX", styles["heading"]),
            Paragraph(
                f"The document “{markup(appendix.filename)}” ({pages}) attached by the "
                "reporting radiologist follows as an appendix to this report.",
                styles["small"],
            ),
        ]
    pages_after = appendix.page_count if appendix is not None else 0
    return _render(content, story, title, page_offset, pages_after)


def render_addenda_pdf(
    content: ReportPdfContent, first_number: int = 1, *, page_offset: int = 0
) -> bytes:
    """Pages with addenda only, appended to an attached report PDF of ``page_offset`` pages.

    The addenda are numbered from ``first_number`` (the attached PDF may hold earlier ones).
    """
    styles = _styles()
    title = "Addenda to radiology report"
    signed = ""
    if content.signed_name and content.finalised_at is not None:
        signed = (
            f" and signed by {markup(content.signed_name)} on "
            f"{escape(format_datetime(content.finalised_at, content.zone))}"
        )
    story: list[Flowable] = [
        _title_block(content, styles, title),
        _details_table(content, styles),
        Spacer(1, 2 * mm),
        Paragraph(
            f"The report on the preceding pages was attached as a PDF{signed}. "
            "The addenda below were added to it later.",
            styles["small"],
        ),
        *_addenda(content, styles, first_number),
    ]
    return _render(content, story, title, page_offset, 0)


def _render(
    content: ReportPdfContent,
    story: list[Flowable],
    title: str,
    page_offset: int,
    pages_after: int,
) -> bytes:
    return render(
        story,
        content.letterhead,
        title=f"{title}: {content.patient_name}, {content.scan_type}",
        pagesize=A4,
        footer=_footer(content),
        on_page=None if content.is_final else _draft_watermark,
        page_offset=page_offset,
        pages_after=pages_after,
    )
