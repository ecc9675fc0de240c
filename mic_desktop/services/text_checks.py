"""What typed text may hold: no NUL characters, no unpaired surrogates, and the stated lengths.

PostgreSQL's text cannot store a NUL, and a lone UTF-16 surrogate (half of an emoji
pasted from a broken source) cannot be encoded as UTF-8: either would reach the
database as a driver error. :func:`check_text` refuses both with a
:class:`TextRejectedError` that names the field, and enforces the lengths below,
which the database also holds as CHECK constraints (migration 0012) and the forms
as the fields' maximum lengths.

A flush guard (:func:`refuse_unstorable_text`, a ``before_flush`` listener on every
ORM session) is the backstop for any text column a service does not check itself.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from mic_desktop.services.errors import ValidationError

ADDRESS_MAX = 500
"""Characters of a postal address (patients, the clinic)."""
NOTES_MAX = 2000
"""Characters of notes, comments and reasons (clinical notes, feedback, refunds, claims...)."""
SEARCH_MAX = 200
"""Characters of a search box's text."""

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class TextRejectedError(ValidationError):
    """Typed text that cannot be stored; ``field`` names the field, ``label`` says it."""

    def __init__(self, message: str, field: str | None, label: str) -> None:
        super().__init__(message, field)
        self.label = label


class NulCharacterError(TextRejectedError):
    """A NUL character, usually pasted from another program."""

    def __init__(self, field: str | None, label: str) -> None:
        super().__init__(f"{label} contains a NUL character; type it again.", field, label)


class UnpairedSurrogateError(TextRejectedError):
    """Half of a character outside the basic plane (an emoji's first or second half)."""

    def __init__(self, field: str | None, label: str) -> None:
        super().__init__(f"{label} contains a broken character; type it again.", field, label)


class TextTooLongError(TextRejectedError):
    def __init__(self, field: str | None, label: str, length: int, limit: int) -> None:
        super().__init__(
            f"{label} is {length} characters long; at most {limit} are allowed.", field, label
        )
        self.length = length
        self.limit = limit


class SearchTextTooLongError(TextTooLongError):
    def __init__(self, field: str, length: int, limit: int = SEARCH_MAX) -> None:
        TextRejectedError.__init__(
            self,
            f"Search text too long: {length} characters, at most {limit}. "
            "Type a name, MRN or phone number.",
            field,
            "The search text",
        )
        self.length = length
        self.limit = limit


def text_problem(value: str, field: str | None, label: str) -> TextRejectedError | None:
    """The error for a NUL or an unpaired surrogate in ``value``, or None."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return NulCharacterError(field, label)
    return UnpairedSurrogateError(field, label)


def check_text(value: str | None, field: str, label: str, limit: int | None = None) -> str:
    """``value`` (or "") when it can be stored and fits ``limit``; else TextRejectedError."""
    text = value or ""
    problem = text_problem(text, field, label)
    if problem is not None:
        raise problem
    if limit is not None and len(text) > limit:
        raise TextTooLongError(field, label, len(text), limit)
    return text


def check_search(value: str | None, field: str = "search") -> str:
    """Search box text: storable characters and at most :data:`SEARCH_MAX` of them."""
    text = value or ""
    if len(text) > SEARCH_MAX:
        raise SearchTextTooLongError(field, len(text))
    return check_text(text, field, "The search text")


def _strings(value: Any) -> Any:
    """Every string inside ``value`` (JSON details are dicts and lists of them)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


@event.listens_for(Session, "before_flush")
def refuse_unstorable_text(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse a flush that would send a NUL or an unpaired surrogate to the database."""
    for instance in (*session.new, *session.dirty):
        state = inspect(instance)
        for attribute in state.mapper.column_attrs:
            history = state.attrs[attribute.key].history
            for value in history.added or ():
                for text in _strings(value):
                    problem = text_problem(text, attribute.key, _label(attribute.key))
                    if problem is not None:
                        raise problem


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()
