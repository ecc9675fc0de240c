"""PostgreSQL NOTIFY for live updates between desks, and for the views of this desk.

A change sends ``pg_notify(channel, id)`` in its own transaction, so the other
workstations hear of it exactly when it commits (and never when it rolls back).
The same notifications are kept on the ORM session until then:
:func:`watch_commits` hands them to this workstation's views right after the
commit, without waiting for the round trip through the server.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

_PENDING = "mic_live_pending"

CommitListener = Callable[[str, str], None]  # channel, payload


class LiveChannel(StrEnum):
    APPOINTMENT = "mic_appointment"
    PATIENT = "mic_patient"  # payload: the patient's id
    PAYMENT = "mic_payment"  # payload: the paying patient's id
    REPORT = "mic_report"
    OUTBOX = "mic_outbox"
    STAFF = "mic_staff"
    SETTINGS = "mic_settings"
    CATALOGUE = "mic_catalogue"  # scan types and prices, rooms and opening hours
    MEDICAL_AID = "mic_medical_aid"  # schemes, plans, coverage rules
    SCHEDULE = "mic_schedule"  # radiologists' availability and leave
    BACKUP = "mic_backup"  # a backup started, finished or its schedule changed


def notify(session: Session, channel: LiveChannel, record_id: object) -> None:
    payload = str(record_id)
    session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": channel.value, "payload": payload},
    )
    session.info.setdefault(_PENDING, []).append((channel.value, payload))


def watch_commits(factory: sessionmaker[Session], listener: CommitListener) -> Callable[[], None]:
    """Call ``listener(channel, payload)`` for every notification of a committed transaction.

    Only sessions made by ``factory`` are watched; the listener runs on the thread that
    committed. Returns the function that stops watching.
    """

    def committed(session: Session) -> None:
        for channel, payload in session.info.pop(_PENDING, ()):
            listener(channel, payload)

    def rolled_back(session: Session) -> None:
        session.info.pop(_PENDING, None)

    event.listen(factory, "after_commit", committed)
    event.listen(factory, "after_rollback", rolled_back)

    def stop() -> None:
        event.remove(factory, "after_commit", committed)
        event.remove(factory, "after_rollback", rolled_back)

    return stop
