"""Files that test the attachment checks: PDFs with active content, broken PDFs, images.

Every file is built here with pypdf, reportlab or Pillow; none is read from disk.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from tests.reporting_helpers import valid_pdf


def _writer(text: str = "Outside report") -> PdfWriter:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(valid_pdf(text))))
    return writer


def _bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_javascript() -> bytes:
    """JavaScript in the document's names tree (runs when the file opens)."""
    writer = _writer()
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('hello');"),
        }
    )
    scripts = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("hello"), writer._add_object(action)])}
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(scripts)}
    )
    return _bytes(writer)


def pdf_with_embedded_file() -> bytes:
    writer = _writer()
    writer.add_attachment("payload.exe", b"MZ\x90\x00 not really a program")
    return _bytes(writer)


def _launch(program: str) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Action"),
            NameObject("/S"): NameObject("/Launch"),
            NameObject("/F"): TextStringObject(program),
        }
    )


def pdf_with_open_action_launch() -> bytes:
    """/OpenAction that starts a program when the file opens."""
    writer = _writer()
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(_launch("cmd.exe"))
    return _bytes(writer)


def pdf_with_open_action_javascript() -> bytes:
    """/OpenAction whose chained /Next action is JavaScript (not in the names tree)."""
    writer = _writer()
    script = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("this.print();"),
        }
    )
    first = DictionaryObject(
        {
            NameObject("/S"): NameObject("/GoTo"),
            NameObject("/D"): ArrayObject([NumberObject(0), NameObject("/Fit")]),
            NameObject("/Next"): writer._add_object(script),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(first)
    return _bytes(writer)


def pdf_with_launch_annotation() -> bytes:
    """A link annotation on page 1 whose action launches a program."""
    writer = _writer()
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (72, 72, 200, 100)]),
            NameObject("/A"): _launch("/bin/sh"),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return _bytes(writer)


def pdf_with_page_javascript_and_rich_media() -> bytes:
    """A page /AA with JavaScript and a rich-media annotation."""
    writer = _writer()
    page = writer.pages[0]
    page[NameObject("/AA")] = DictionaryObject(
        {
            NameObject("/O"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/JavaScript"),
                    NameObject("/JS"): TextStringObject("app.beep(0);"),
                }
            )
        }
    )
    media = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/RichMedia"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 10, 10)]),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(media)])
    return _bytes(writer)


def pdf_with_html() -> bytes:
    """A ``%PDF-`` header followed by a web page (no end-of-file marker)."""
    return b"%PDF-1.7\n<html><body><script>alert(1)</script></body></html>\n"


def pdf_with_html_and_eof() -> bytes:
    """The same, ending with %%EOF so that only parsing it finds out."""
    return pdf_with_html() + b"%%EOF\n"


def truncated_pdf() -> bytes:
    data = valid_pdf()
    return data[: len(data) // 2]


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 200, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 80, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def tiff_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", size, 128).save(buffer, "TIFF")
    return buffer.getvalue()
