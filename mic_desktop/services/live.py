"""PostgreSQL NOTIFY for live updates between desks.

A change sends ``pg_notify(channel, id)`` in its own transaction, so the other
workstations hear of it exactly when it commits (and never when it rolls back).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.orm import Session


class LiveChannel(StrEnum):
    APPOINTMENT = "mic_appointment"
    PATIENT = "mic_patient"
    PAYMENT = "mic_payment"
    REPORT = "mic_report"
    OUTBOX = "mic_outbox"
    STAFF = "mic_staff"
    SETTINGS = "mic_settings"
    CATALOGUE = "mic_catalogue"  # scan types and prices, rooms and opening hours
    MEDICAL_AID = "mic_medical_aid"  # schemes, plans, coverage rules
    SCHEDULE = "mic_schedule"  # radiologists' availability and leave
    BACKUP = "mic_backup"  # a backup started, finished or its schedule changed


def notify(session: Session, channel: LiveChannel, record_id: object) -> None:
    session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": channel.value, "payload": str(record_id)},
    )
