"""Phone numbers (parsed with ``phonenumbers``, stored in E.164) and e-mail addresses."""

from __future__ import annotations

import re

import phonenumbers

from mic_desktop.services.errors import ValidationError

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def normalise_phone(raw: str | None, region: str) -> str | None:
    """``raw`` in E.164 (``+263771234567``), or ValidationError("phone") when invalid."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(f"{text} is not a valid phone number.", "phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None, region: str) -> str:
    """``077 123 4567`` for a number of the clinic's country, international otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalise_email(raw: str | None, field: str = "email") -> str | None:
    """``raw`` trimmed, or ValidationError(field) when it is not an e-mail address."""
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) > 254 or not _EMAIL.match(text):
        raise ValidationError(f"{text} is not a valid e-mail address.", field)
    return text
