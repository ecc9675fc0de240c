"""The slot finder: free slots for a scan, and the same rules for a slot chosen by hand.

The finder is one SQL query per fortnight searched. It lays a grid of
``granularity`` minutes (from local midnight) over the free time of every active
room of the scan's modality (opening hours joined across midnight, less closures:
:mod:`.opening`), in the clinic's time zone, and keeps the starts where the whole
scan fits before closing, no appointment holding its slot
overlaps, and - when the modality needs a radiologist on site - a radiologist is
working that weekday for the whole scan, is not on leave and is not assigned to
another appointment at the same time (the first such radiologist by name is
assigned). :func:`check_slot` applies the same rules to a slot chosen by hand when
it is booked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from mic_desktop.models import Room, ScanType
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.records import clinic_zone
from mic_desktop.services.scheduling.opening import FREE_TIME_CTE, refuse_closed

DEFAULT_GRANULARITY = 15
SEARCH_HORIZON_DAYS = 92
_CHUNK_DAYS = 14
# An appointment never lasts longer than this; bounds the scans of "what overlaps".
MAX_APPOINTMENT = dt.timedelta(days=1)

# A radiologist free for candidate slot c (c.day local date, c.start_at, c.end_at):
# working that weekday for the whole slot, not on leave, not with another patient.
_RADIOLOGIST_FREE = """
    su.role = 'radiologist' AND su.is_active
    AND EXISTS (
        SELECT 1 FROM radiologist_availability av
        WHERE av.radiologist_id = su.id
          AND av.weekday = CAST(EXTRACT(ISODOW FROM c.day) AS integer) - 1
          AND ((c.day + av.starts_at) AT TIME ZONE :tz) <= c.start_at
          AND ((c.day + av.ends_at) AT TIME ZONE :tz) >= c.end_at)
    AND NOT EXISTS (
        SELECT 1 FROM radiologist_leave lv
        WHERE lv.radiologist_id = su.id AND lv.starts_at < c.end_at AND lv.ends_at > c.start_at)
    AND NOT EXISTS (
        SELECT 1 FROM appointment b
        WHERE b.radiologist_id = su.id
          AND b.status NOT IN ('cancelled', 'no_show')
          AND b.start_at < c.end_at AND b.end_at > c.start_at
          AND b.start_at > c.start_at - CAST(:max_length AS interval)
          AND b.id IS DISTINCT FROM CAST(:ignore_appointment AS integer))
"""

_ROOM_FREE = """
    NOT EXISTS (
        SELECT 1 FROM appointment a
        WHERE a.room_id = c.room_id
          AND a.status NOT IN ('cancelled', 'no_show')
          AND tstzrange(a.start_at, a.end_at, '[)') && tstzrange(c.start_at, c.end_at, '[)')
          AND a.id IS DISTINCT FROM CAST(:ignore_appointment AS integer))
"""

_FIND_SLOTS = text(
    f"""
WITH {FREE_TIME_CTE},
c AS (
    SELECT f.room_id, f.room_name, f.sort_order, s AS start_at,
           s + CAST(:duration AS interval) AS end_at,
           CAST(s AT TIME ZONE :tz AS date) AS day
    FROM free f
    CROSS JOIN LATERAL (
        SELECT date_trunc('day', lower(f.span) AT TIME ZONE :tz) AS midnight,
               lower(f.span) AT TIME ZONE :tz AS opens
    ) AS o
    CROSS JOIN LATERAL generate_series(
        ((o.midnight + make_interval(mins => CAST(
            ceil(EXTRACT(EPOCH FROM o.opens - o.midnight) / 60.0 / :step) * :step AS integer)))
            AT TIME ZONE :tz),
        upper(f.span) - CAST(:duration AS interval),
        make_interval(mins => :step)) AS s
    WHERE s >= :not_before
      AND s >= (CAST(:day_from AS date) + time '00:00') AT TIME ZONE :tz
      AND s < ((CAST(:day_to AS date) + 1) + time '00:00') AT TIME ZONE :tz
)
SELECT c.room_id, c.room_name, c.start_at, c.end_at, rad.id AS radiologist_id,
       rad.full_name AS radiologist_name
FROM c
LEFT JOIN LATERAL (
    SELECT su.id, su.full_name FROM staff_user su
    WHERE :needs_radiologist AND {_RADIOLOGIST_FREE}
    ORDER BY su.full_name, su.id
    LIMIT 1
) AS rad ON true
WHERE {_ROOM_FREE}
  AND (NOT :needs_radiologist OR rad.id IS NOT NULL)
ORDER BY c.start_at, c.sort_order, c.room_name
LIMIT :count
"""
)

_FREE_RADIOLOGISTS = text(
    f"""
WITH c AS (SELECT CAST(:day AS date) AS day, CAST(:start_at AS timestamptz) AS start_at,
                  CAST(:end_at AS timestamptz) AS end_at)
SELECT su.id, su.full_name FROM staff_user su, c
WHERE {_RADIOLOGIST_FREE}
  AND (CAST(:radiologist_id AS integer) IS NULL OR su.id = CAST(:radiologist_id AS integer))
ORDER BY su.full_name, su.id
LIMIT 1
"""
)


@dataclass(frozen=True)
class Slot:
    """A free time for a scan: the room, and the radiologist on site when one is needed."""

    room_id: int
    room_name: str
    start_at: dt.datetime
    end_at: dt.datetime
    radiologist_id: int | None
    radiologist_name: str | None


@dataclass(frozen=True)
class SlotCheck:
    """A slot chosen by hand that passed the rules, with the radiologist assigned."""

    radiologist_id: int | None
    radiologist_name: str | None


def check_slot(
    session: Session,
    scan: ScanType,
    room: Room,
    start_at: dt.datetime,
    *,
    radiologist_id: int | None = None,
    ignore_appointment_id: int | None = None,
) -> SlotCheck:
    """Refuse a slot outside the room's hours or without a radiologist on site.

    A clash with another booking is left to the database's exclusion constraint,
    which is the only check that holds against a booking committed a moment ago.
    """
    zone = clinic_zone(session)
    end_at = start_at + dt.timedelta(minutes=scan.duration_minutes)
    if room.modality_id != scan.modality_id:
        raise ValidationError(
            f"{room.name} does not do {scan.modality.name} scans: choose another room.", "room"
        )
    if not room.is_active:
        raise ValidationError(f"{room.name} is not in use: choose another room.", "room")
    refuse_closed(session, room, start_at, end_at, zone)
    local = start_at.astimezone(zone)
    params = {"tz": zone.key, "day": local.date(), "start_at": start_at, "end_at": end_at}
    if not scan.modality.needs_radiologist_on_site:
        return SlotCheck(None, None)
    row = session.execute(
        _FREE_RADIOLOGISTS,
        {
            **params,
            "radiologist_id": radiologist_id,
            "max_length": MAX_APPOINTMENT,
            "ignore_appointment": ignore_appointment_id,
        },
    ).first()
    if row is None:
        who = "The chosen radiologist is" if radiologist_id else "No radiologist is"
        raise ValidationError(
            f"{who} not available for the whole scan at that time "
            "(off duty, on leave or with another patient).",
            "radiologist",
        )
    return SlotCheck(row.id, row.full_name)


def find_slots(
    session: Session,
    scan: ScanType,
    not_before: dt.datetime,
    *,
    count: int,
    granularity_minutes: int,
    room_id: int | None,
    horizon_days: int,
    ignore_appointment_id: int | None,
) -> list[Slot]:
    """The earliest ``count`` free slots for ``scan`` from ``not_before``, a fortnight a query."""
    zone = clinic_zone(session)
    first_day = not_before.astimezone(zone).date()
    last_day = first_day + dt.timedelta(days=horizon_days)
    slots: list[Slot] = []
    day = first_day
    while day <= last_day and len(slots) < count:
        chunk_end = min(day + dt.timedelta(days=_CHUNK_DAYS - 1), last_day)
        rows = session.execute(
            _FIND_SLOTS,
            {
                "day_from": day,
                "day_to": chunk_end,
                "tz": zone.key,
                "modality_id": scan.modality_id,
                "room_id": room_id,
                "duration": dt.timedelta(minutes=scan.duration_minutes),
                "step": granularity_minutes,
                "not_before": not_before,
                "needs_radiologist": scan.modality.needs_radiologist_on_site,
                "max_length": MAX_APPOINTMENT,
                "ignore_appointment": ignore_appointment_id,
                "count": count - len(slots),
            },
        ).all()
        slots += [
            Slot(row.room_id, row.room_name, row.start_at, row.end_at,
                 row.radiologist_id, row.radiologist_name)
            for row in rows
        ]  # fmt: skip
        day = chunk_end + dt.timedelta(days=1)
    return slots
