"""When a room can take a scan: its opening hours joined across midnight, less closures.

Both the slot finder and the check of a slot chosen by hand build the room's free
time with :data:`FREE_TIME_CTE`: every opening period of the days searched becomes a
range of instants (a period closing at 00:00 ends at the next midnight), PostgreSQL's
``range_agg`` joins ranges that touch (so 22:00-24:00 and the next day's 00:00-06:00
are one span a scan may cross), and the closures (whole clinic days, clinic-wide or of
one room) are taken out. :func:`refuse_closed` says why a slot does not fit.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from mic_desktop.models import Room
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.formats import format_date

# Needs :tz, :day_from, :day_to (local dates, one day of margin added here), :modality_id
# and :room_id (NULL: every active room of the modality, else that one if it is). Gives
# opened(room_id, spans) and free(room_id, room_name, sort_order, span).
FREE_TIME_CTE = """
days AS (
    SELECT CAST(day AS date) AS day
    FROM generate_series(CAST(:day_from AS date) - 1, CAST(:day_to AS date) + 1,
                         interval '1 day') AS day
),
rooms AS (
    SELECT r.id, r.name, r.sort_order FROM room r
    WHERE r.is_active AND r.modality_id = CAST(:modality_id AS integer)
      AND (CAST(:room_id AS integer) IS NULL OR r.id = CAST(:room_id AS integer))
),
opened AS (
    SELECT h.room_id, range_agg(tstzrange(
        (d.day + h.opens_at) AT TIME ZONE :tz,
        (CASE WHEN h.closes_at = '00:00' THEN (d.day + 1) + time '00:00'
              ELSE d.day + h.closes_at END) AT TIME ZONE :tz, '[)')) AS spans
    FROM room_opening_hours h
    JOIN rooms ON rooms.id = h.room_id
    JOIN days d ON h.weekday = CAST(EXTRACT(ISODOW FROM d.day) AS integer) - 1
    GROUP BY h.room_id
),
shut AS (
    SELECT rooms.id AS room_id, range_agg(tstzrange(
        (cl.first_day + time '00:00') AT TIME ZONE :tz,
        ((cl.last_day + 1) + time '00:00') AT TIME ZONE :tz, '[)')) AS spans
    FROM closure cl
    JOIN rooms ON cl.room_id IS NULL OR cl.room_id = rooms.id
    WHERE cl.first_day <= CAST(:day_to AS date) + 1
      AND cl.last_day >= CAST(:day_from AS date) - 1
    GROUP BY rooms.id
),
free AS (
    SELECT rooms.id AS room_id, rooms.name AS room_name, rooms.sort_order, span
    FROM rooms
    JOIN opened o ON o.room_id = rooms.id
    LEFT JOIN shut s ON s.room_id = rooms.id
    CROSS JOIN LATERAL unnest(o.spans - coalesce(s.spans, '{}'::tstzmultirange)) AS span
)
"""

_OPEN_SPANS = text(
    f"""
WITH {FREE_TIME_CTE}
SELECT lower(span) AS opens, upper(span) AS closes
FROM opened CROSS JOIN LATERAL unnest(opened.spans) AS span
ORDER BY 1
"""
)

_FITS = text(
    f"""
WITH {FREE_TIME_CTE}
SELECT EXISTS (
    SELECT 1 FROM free WHERE span @> tstzrange(:start_at, :end_at, '[)'))
"""
)

_CLOSURE = text(
    """
SELECT name, first_day, last_day, room_id FROM closure
WHERE (room_id IS NULL OR room_id = :room_id)
  AND first_day <= :last_day AND last_day >= :first_day
ORDER BY first_day, room_id NULLS FIRST, id
LIMIT 1
"""
)


def refuse_closed(
    session: Session, room: Room, start_at: dt.datetime, end_at: dt.datetime, zone: ZoneInfo
) -> None:
    """ValidationError naming why the room cannot take a scan from ``start_at`` to ``end_at``."""
    first = start_at.astimezone(zone).date()
    last = (end_at - dt.timedelta(microseconds=1)).astimezone(zone).date()
    params = {
        "tz": zone.key,
        "day_from": first,
        "day_to": last,
        "modality_id": room.modality_id,
        "room_id": room.id,
    }
    if session.execute(_FITS, {**params, "start_at": start_at, "end_at": end_at}).scalar_one():
        return
    closure = session.execute(
        _CLOSURE, {"room_id": room.id, "first_day": first, "last_day": last}
    ).first()
    if closure is not None:
        day = max(first, closure.first_day)
        who = room.name if closure.room_id is not None else "The clinic"
        raise ValidationError(
            f"{who} is closed on {format_date(day)} ({closure.name}): choose another day.",
            "start_at",
        )
    spans = session.execute(_OPEN_SPANS, params).all()
    holding = next((s for s in spans if s.opens <= start_at < s.closes), None)
    if holding is None:
        local = start_at.astimezone(zone)
        raise ValidationError(
            f"{room.name} is closed at {local:%H:%M} on {format_date(local.date())}.", "start_at"
        )
    closes = holding.closes.astimezone(zone)
    closing = "midnight" if closes.time() == dt.time(0) else f"{closes:%H:%M}"
    raise ValidationError(
        f"{room.name} closes at {closing}; this scan would end at {end_at.astimezone(zone):%H:%M}.",
        "start_at",
    )
