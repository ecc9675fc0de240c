"""Helpers the reception services share when they write records.

Gapless document numbers (appointment references, receipts), the clinic settings
row read inside the caller's transaction, and the "changed by X at T" refusal of a
stale save.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from mic_desktop.models import AuditLog, ClinicSettings, DocumentCounter
from mic_desktop.services.errors import StaleRecordError
from mic_desktop.services.formats import format_datetime


def clinic_settings(session: Session) -> ClinicSettings:
    """The clinic's settings row (the first migration inserts it; recreated if lost)."""
    row = session.get(ClinicSettings, 1)
    if row is None:
        row = ClinicSettings(id=1)
        session.add(row)
        session.flush()
    return row


def clinic_zone(session: Session) -> ZoneInfo:
    return ZoneInfo(clinic_settings(session).time_zone or "UTC")


def next_document_number(session: Session, series: str) -> int:
    """Take the next number of ``series`` inside the caller's transaction.

    The counter row stays locked (SELECT ... FOR UPDATE) until that transaction
    ends, so numbers are handed out one at a time and a rollback gives its number
    back: the series has no gaps.
    """
    query = (
        select(DocumentCounter.next_value).where(DocumentCounter.name == series).with_for_update()
    )
    value = session.execute(query).scalar_one_or_none()
    if value is None:
        session.execute(
            insert(DocumentCounter)
            .values(name=series, next_value=1)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        value = session.execute(query).scalar_one()
    session.execute(
        update(DocumentCounter).where(DocumentCounter.name == series).values(next_value=value + 1)
    )
    return value


def stale_error(
    session: Session, what: str, entity: str, entity_id: int, zone: ZoneInfo
) -> StaleRecordError:
    """A refusal naming who saved ``entity`` last and when, from the audit log."""
    last = session.execute(
        select(AuditLog.username, AuditLog.at)
        .where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
        .order_by(AuditLog.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return StaleRecordError(f"{what} was changed on another workstation; reload and try again.")
    who = last.username or "another workstation"
    return StaleRecordError(
        f"{what} was changed by {who} at {format_datetime(last.at, zone)}; reload and try again."
    )


def check_version(
    session: Session,
    row_version: int,
    expected_version: int | None,
    what: str,
    entity: str,
    entity_id: int,
) -> None:
    """Refuse a save made from an older copy than the row now in the database."""
    if expected_version is not None and row_version != expected_version:
        raise stale_error(session, what, entity, entity_id, clinic_zone(session))


@contextmanager
def stale_guard(what: str) -> Iterator[None]:
    """Turn SQLAlchemy's version-column conflict at flush into a StaleRecordError.

    Services lock the rows they change and compare versions first (naming who and
    when); this is the backstop for a row changed between load and flush.
    """
    try:
        yield
    except StaleDataError:
        raise StaleRecordError(
            f"{what} was changed on another workstation; reload and try again."
        ) from None


def utc(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware UTC datetime; a naive value is refused (ambiguous)."""
    if value.tzinfo is None:
        raise ValueError("A naive datetime is ambiguous here: pass an aware one (UTC).")
    return value.astimezone(dt.UTC)
