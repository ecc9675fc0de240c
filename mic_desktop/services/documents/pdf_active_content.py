"""Finding what a PDF viewer could run or open inside a PDF: JavaScript, launch actions,
embedded files, rich media and XFA forms.

Every object reachable from the file's trailer is looked at once (the names tree's
``/JavaScript`` and ``/EmbeddedFiles``, ``/OpenAction`` and ``/AA`` actions of the
document, pages and annotations, chained ``/Next`` actions, file-attachment and
rich-media annotations), so active content is found wherever the file hides it.
pypdf loads only when a PDF is checked.
"""

from __future__ import annotations

import io
from typing import Any

JAVASCRIPT = "JavaScript"
LAUNCH = "a launch action (starts a program)"
EMBEDDED = "embedded files"
RICH_MEDIA = "rich media (Flash or video)"
XFA = "an XFA form (can run scripts)"
_ORDER = (JAVASCRIPT, LAUNCH, EMBEDDED, RICH_MEDIA, XFA)


def active_content_in(content: bytes) -> tuple[str, ...]:
    """What active content the PDF ``content`` holds, in a fixed order; () for none.

    A file pypdf cannot parse raises the parser's exception (the caller refuses it).
    """
    from pypdf import PdfReader

    return active_content_of(PdfReader(io.BytesIO(content), strict=False))


def active_content_of(reader: Any) -> tuple[str, ...]:
    """The same for an open ``pypdf.PdfReader``."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    pending: list[Any] = [reader.trailer]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            try:
                item = item.get_object()
            except Exception:  # a dangling reference holds nothing a viewer could run
                continue
        if isinstance(item, DictionaryObject):
            _classify(item, found)
            pending.extend(dict.values(item))  # unresolved, so each object is visited once
        elif isinstance(item, ArrayObject):
            pending.extend(list.__iter__(item))
    return tuple(kind for kind in _ORDER if kind in found)


def describe(kinds: tuple[str, ...]) -> str:
    """``kinds`` as a phrase for a message: "JavaScript and embedded files"."""
    if len(kinds) <= 1:
        return "".join(kinds)
    return f"{', '.join(kinds[:-1])} and {kinds[-1]}"


def _classify(item: Any, found: set[str]) -> None:
    action = _name(item, "/S")
    subtype = _name(item, "/Subtype")
    if "/JS" in item or action == "/JavaScript" or "/JavaScript" in item:
        found.add(JAVASCRIPT)
    if action == "/Launch":
        found.add(LAUNCH)
    if (
        "/EmbeddedFiles" in item
        or "/EF" in item
        or action == "/GoToE"
        or subtype == "/FileAttachment"
        or _name(item, "/Type") == "/EmbeddedFile"
    ):
        found.add(EMBEDDED)
    if subtype == "/RichMedia" or action == "/RichMediaExecute":
        found.add(RICH_MEDIA)
    if "/XFA" in item:
        found.add(XFA)


def _name(item: Any, key: str) -> str | None:
    value = dict.get(item, key)
    if value is None:
        return None
    try:
        value = value.get_object()
    except Exception:
        return None
    return str(value)
