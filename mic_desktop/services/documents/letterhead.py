"""What every printed document of the clinic shares: fonts, styles, letterhead, page numbers.

Documents are built with reportlab's platypus into memory and returned as bytes.
Each page carries the clinic's letterhead (name, address, phone, e-mail and the
logo when the clinic has one) and "Page N of M". Text is NFKC-normalised and
escaped before it reaches reportlab, whose paragraphs read a small XML dialect.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph
from sqlalchemy.orm import Session

from mic_desktop.services.formats import format_datetime
from mic_desktop.services.records import clinic_settings

FONT = "MICSans"
FONT_BOLD = "MICSans-Bold"
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
RULE = colors.HexColor("#cbd2d9")
SHADE = colors.HexColor("#f0f4f8")
MARGIN = 14 * mm
HEADER_HEIGHT = 26 * mm
FOOTER_HEIGHT = 10 * mm

# A TrueType font with wide coverage (names from many languages), first found wins;
# reportlab's own Bitstream Vera is always there.
_FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "arialbd.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial.ttf", "Arial Bold.ttf"),
    (str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"), "VeraBd.ttf"),
)


@dataclass(frozen=True)
class Letterhead:
    """The clinic as printed at the top of every page."""

    name: str
    address: str
    phone: str
    email: str
    logo_png: bytes | None
    time_zone: str
    currency: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def load_letterhead(session: Session) -> Letterhead:
    row = clinic_settings(session)
    return Letterhead(
        name=row.name,
        address=row.address or "",
        phone=row.phone or "",
        email=row.email or "",
        logo_png=row.logo_png,
        time_zone=row.time_zone or "UTC",
        currency=row.currency,
    )


@lru_cache(maxsize=1)
def register_fonts() -> tuple[str, str]:
    """Register the document fonts once per process; returns (regular, bold) names."""
    for regular, bold_name in _FONT_CANDIDATES:
        regular_path = Path(regular)
        bold_path = regular_path.with_name(bold_name)
        if regular_path.is_file() and bold_path.is_file():
            pdfmetrics.registerFont(TTFont(FONT, str(regular_path)))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold_path)))
            pdfmetrics.registerFontFamily(
                FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
            )
            return FONT, FONT_BOLD
    raise RuntimeError("No TrueType font found for printing (reportlab's Vera is missing).")


def clean(text: object) -> str:
    """``text`` NFKC-normalised, without control characters other than line breaks."""
    normalised = unicodedata.normalize("NFKC", "" if text is None else str(text))
    return "".join(
        ch for ch in normalised if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
    ).replace("\t", " ")


def markup(text: object) -> str:
    """``text`` made safe for a reportlab Paragraph, line breaks kept."""
    return "<br/>".join(escape(line) for line in clean(text).splitlines())


@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    regular, bold = register_fonts()
    base = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12.5, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=MUTED),
        "label": ParagraphStyle("label", parent=base, fontSize=8.5, textColor=MUTED),
        "strong": ParagraphStyle("strong", parent=base, fontName=bold),
        "money": ParagraphStyle("money", parent=base, alignment=TA_RIGHT),
        "money_strong": ParagraphStyle(
            "money_strong", parent=base, fontName=bold, alignment=TA_RIGHT
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontName=bold, fontSize=15, leading=19, spaceAfter=4
        ),
        "heading": ParagraphStyle(
            "heading",
            parent=base,
            fontName=bold,
            fontSize=11.5,
            leading=15,
            spaceBefore=8,
            spaceAfter=3,
        ),
        "big": ParagraphStyle("big", parent=base, fontName=bold, fontSize=13, leading=17),
    }


def paragraph(text: object, style: str = "body") -> Paragraph:
    return Paragraph(markup(text), styles()[style])


class _NumberedCanvas(Canvas):
    """Defers each page so the footer can say "Page N of M" once M is known.

    ``page_offset`` pages come before this document and ``pages_after`` after it when it
    is one part of a longer delivered document: the numbers then run across the whole.
    """

    footer_left = ""
    page_offset = 0
    pages_after = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = self.page_offset + len(self._pages) + self.pages_after
        for state in self._pages:
            self.__dict__.update(state)
            width, height = self._pagesize
            number = self.page_offset + self._pageNumber
            draw_page_footer(self, self.footer_left, number, total, (0, 0, width, height))
            super().showPage()
        super().save()


def draw_page_footer(
    canvas: Canvas, left: str, number: int, total: int, box: tuple[float, float, float, float]
) -> None:
    """The foot of a page in ``box`` (x0, y0, x1, y1): ``left`` and "Page N of M" on the right."""
    x0, y0, x1, _y1 = box
    canvas.saveState()
    canvas.setFont(FONT, 7.5)
    canvas.setFillColor(MUTED)
    canvas.drawRightString(x1 - MARGIN, y0 + MARGIN / 2, f"Page {number} of {total}")
    if left:
        canvas.drawString(x0 + MARGIN, y0 + MARGIN / 2, left)
    canvas.restoreState()


def _draw_letterhead(canvas: Canvas, letterhead: Letterhead) -> None:
    width, height = canvas._pagesize
    top = height - MARGIN
    canvas.saveState()
    logo_width = 0.0
    if letterhead.logo_png:
        try:
            image = ImageReader(io.BytesIO(letterhead.logo_png))
            image_width, image_height = image.getSize()
            box_height = HEADER_HEIGHT - 6 * mm
            logo_width = min(45 * mm, box_height * image_width / image_height)
            logo_height = logo_width * image_height / image_width
            canvas.drawImage(
                image,
                width - MARGIN - logo_width,
                top - logo_height,
                logo_width,
                logo_height,
                mask="auto",
            )
        except (OSError, ValueError, ZeroDivisionError):
            logo_width = 0.0  # a broken logo must not stop a receipt from printing
    canvas.setFillColor(INK)
    canvas.setFont(FONT_BOLD, 13)
    canvas.drawString(MARGIN, top - 11, clean(letterhead.name))
    canvas.setFont(FONT, 8)
    canvas.setFillColor(MUTED)
    lines = [", ".join(line.strip() for line in clean(letterhead.address).splitlines() if line)]
    contact = "  ·  ".join(part for part in (letterhead.phone, letterhead.email) if part)
    lines.append(clean(contact))
    y = top - 23
    for line in (line for line in lines if line):
        canvas.drawString(MARGIN, y, line)
        y -= 10
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    rule_y = height - MARGIN - HEADER_HEIGHT + 3 * mm
    canvas.line(MARGIN, rule_y, width - MARGIN, rule_y)
    canvas.restoreState()


def _decorate(
    canvas: Canvas, letterhead: Letterhead, on_page: Callable[[Canvas], None] | None
) -> None:
    if on_page is not None:
        on_page(canvas)
    _draw_letterhead(canvas, letterhead)


def render(
    story: Sequence[Flowable],
    letterhead: Letterhead,
    *,
    title: str,
    pagesize: tuple[float, float] = A4,
    printed_at: dt.datetime | None = None,
    footer: str | None = None,
    on_page: Callable[[Canvas], None] | None = None,
    page_offset: int = 0,
    pages_after: int = 0,
) -> bytes:
    """Lay ``story`` out on letterhead pages and return the PDF's bytes.

    ``footer`` replaces the "Printed ..." text at the foot of every page (e.g. the
    patient's name and MRN); ``on_page`` draws more on every page (e.g. a watermark).
    ``page_offset`` and ``pages_after`` count the pages of the delivered document
    before and after these, so that "Page N of M" runs across all of it.
    """
    register_fonts()
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_HEIGHT,
        bottomMargin=MARGIN + FOOTER_HEIGHT / 2,
        title=clean(title),
        author=clean(letterhead.name),
        creator="MIC Desktop",
    )
    frame = Frame(
        doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", showBoundary=0
    )
    doc.addPageTemplates(
        [
            PageTemplate(
                id="letterhead",
                frames=[frame],
                onPage=lambda canvas, _doc: _decorate(canvas, letterhead, on_page),
            )
        ]
    )
    if footer is None:
        footer = ""
        if printed_at is not None:
            footer = f"Printed {format_datetime(printed_at, letterhead.zone)}"
    canvas_class = type(
        "_Canvas",
        (_NumberedCanvas,),
        {"footer_left": footer, "page_offset": page_offset, "pages_after": pages_after},
    )
    doc.build(list(story), canvasmaker=canvas_class)
    return buffer.getvalue()
