"""Keeping secrets out of log lines.

Every secret this process reads from the keyring (Twilio auth token, SMTP password)
is registered here; a log-record factory then replaces it with ``[redacted]`` in
every record of every logger (the twilio SDK's included) before any handler sees it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any

REDACTED = "[redacted]"
_MIN_LENGTH = 4  # shorter values would blank out ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def register_secret(value: str | None) -> None:
    """Redact ``value`` from every log record from now on (and install the redaction)."""
    if not value or len(value) < _MIN_LENGTH:
        return
    with _lock:
        _secrets.add(value)
    install()


def redact(text: str) -> str:
    """``text`` with every registered secret replaced."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def install() -> None:
    """Wrap the log-record factory once per process."""
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if _secrets:
                _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it for logging to report
        return
    cleaned = redact(message)
    if cleaned != message or record.args:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
