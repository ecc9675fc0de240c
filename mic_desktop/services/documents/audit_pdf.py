"""The audit log's filtered entries as a printed list (A4 landscape, on letterhead)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, LongTable, Paragraph, TableStyle

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


@dataclass(frozen=True)
class AuditPdfLine:
    when: str  # already formatted in the clinic's zone
    person: str
    workstation: str
    sentence: str
    changes: tuple[tuple[str, str, str], ...]  # field, before, after


def render_audit_pdf(
    lines: Sequence[AuditPdfLine],
    letterhead: Letterhead,
    *,
    filter_text: str,
    printed_at: dt.datetime | None = None,
) -> bytes:
    """The entries, newest first, each with its field changes under the sentence."""
    register_fonts()
    title = "Audit log"
    story: list[Flowable] = [
        paragraph(title, "title"),
        paragraph(f"{len(lines):,} entries · {filter_text}", "label"),
    ]
    if not lines:
        story.append(paragraph("No entries match this filter.", "body"))
    else:
        rows: list[list[object]] = [
            [paragraph(text, "label") for text in ("When", "Who", "Workstation", "What")]
        ]
        for line in lines:
            what = markup(line.sentence) + "".join(
                f"<br/>&nbsp;&nbsp;{markup(field)}: {markup(before)} → {markup(after)}"
                for field, before, after in line.changes
            )
            rows.append(
                [
                    paragraph(line.when, "small"),
                    paragraph(line.person, "small"),
                    paragraph(line.workstation, "small"),
                    Paragraph(what, styles()["small"]),
                ]
            )
        table = LongTable(rows, colWidths=(32 * mm, 40 * mm, 30 * mm, None), repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        story.append(table)
    return render(story, letterhead, title=title, pagesize=landscape(A4), printed_at=printed_at)
