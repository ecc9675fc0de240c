"""Appointments of the demo clinic: booked, placed in a room and played out, day by day.

Who comes on which day (new or returning patients), which scan, the room and time slot
(on the 5-minute grid, with a radiologist on site where the modality needs one), when
it was booked and what then happened to it (confirmed, cancelled, no-show, arrived,
scanned), up to the simulated now; then the ``appointment`` and
``appointment_status_change`` rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

from mic_desktop.models import AppointmentStatus, Urgency
from mic_desktop.services.demo import catalogue as cat
from mic_desktop.services.demo.patients import new_patient
from mic_desktop.services.demo.shape import (
    AGE_BANDS,
    DAY_OPENS,
    LATE_CANCELLATION_SHARE,
    MEAN_LEAD_DAYS,
    OUTCOME_RATES,
    SAME_DAY_SHARE,
    UNIT,
    random_minutes,
)
from mic_desktop.services.demo.state import (
    DemoClinic,
    Event,
    Row,
    SimPatient,
    SimScan,
    SimVisit,
    needs_preauthorisation,
)


def simulate_visits(clinic: DemoClinic) -> None:
    """Book, place and play out every appointment, day by day."""
    rng = clinic.rng
    remaining_new = clinic.spec.patients
    remaining = sum(clinic.day_counts)
    pool: list[SimPatient] = []
    for day, count in zip(clinic.days, clinic.day_counts, strict=True):
        if not count:
            continue
        grids: dict[int, bytearray] = {}
        on_duty = clinic.on_duty(day)
        for _ in range(count):
            is_new = remaining_new > 0 and (not pool or rng.random() * remaining < remaining_new)
            remaining -= 1
            patient = None
            if not is_new and pool:
                for _attempt in range(6):
                    candidate = pool[rng.randrange(len(pool))]
                    if candidate.last_day != day:
                        patient = candidate
                        break
            if patient is None:
                if not remaining_new:
                    continue
                is_new = True
                patient = new_patient(clinic, len(clinic.patients) + 1, day)
            visit = _book(clinic, patient, day, grids, on_duty)
            if visit is None:
                continue
            if is_new:
                remaining_new -= 1
                patient.created_at = visit.created_at
                clinic.patients.append(patient)
                pool.append(patient)
            patient.last_day = day
            patient.doctor_id = visit.doctor_id
            clinic.visits.append(visit)
    # Anyone not yet seen registered without a visit (e.g. booked by phone, never came).
    while remaining_new > 0:
        day = rng.choice(clinic.days[: max((clinic.today - clinic.first_day).days, 1)])
        patient = new_patient(clinic, len(clinic.patients) + 1, day)
        patient.created_at = min(
            clinic.at(day, dt.time(9)) + random_minutes(rng, 0, 420), clinic.now
        )
        clinic.patients.append(patient)
        remaining_new -= 1


def _book(
    clinic: DemoClinic,
    patient: SimPatient,
    day: dt.date,
    grids: dict[int, bytearray],
    on_duty: list[tuple[int, int, int]],
) -> SimVisit | None:
    """An appointment for ``patient`` on ``day``, played out; None when no room has a slot."""
    rng = clinic.rng
    bucket = (0 if patient.sex == "F" else 1) * len(AGE_BANDS) + patient.band
    for _attempt in range(3):  # a full (or closed) room: the patient takes another scan
        scan = rng.choices(clinic.scans, cum_weights=clinic.bucket_cum[bucket])[0]
        place = _place(clinic, scan, day, grids, on_duty)
        if place is not None:
            break
    else:
        return None
    urgent = rng.random() < scan.modality.d.urgent_rate
    room_id, unit, radiologist_id = place
    grid = grids[room_id]
    start = clinic.at(day, DAY_OPENS) + unit * UNIT
    end = start + dt.timedelta(minutes=scan.d.minutes)
    created_at, walk_in = _booking_time(clinic, scan, urgent, start, day, patient)
    price = scan.price_at(created_at)
    plan = patient.plan
    cover, copay = clinic.cover(plan, scan, price)
    preauth = None
    if plan and needs_preauthorisation(plan, scan, cover) and rng.random() < 0.95:
        preauth = f"{plan.scheme.code[:3]}-PA{rng.randint(100000, 999999)}"
    if patient.doctor_id is not None and rng.random() < 0.6:
        doctor_id: int | None = patient.doctor_id
    elif rng.random() < 0.85:
        doctor_id = rng.choices(clinic.doctor_ids, cum_weights=clinic.doctor_cum)[0]
    else:
        doctor_id = None
    notes = rng.choice(scan.d.indications) if rng.random() < 0.88 else ""
    if urgent and notes:
        notes = f"URGENT: {notes}"
    visit = SimVisit(
        patient, scan, room_id, radiologist_id, doctor_id, start, end, urgent, notes,
        created_at, price, cover, copay, preauth, [],
    )  # fmt: skip
    _play_out(clinic, visit, walk_in)
    if visit.status != AppointmentStatus.CANCELLED.value:
        grid[unit : unit + scan.units] = b"\x01" * scan.units
    return visit


def _place(
    clinic: DemoClinic,
    scan: SimScan,
    day: dt.date,
    grids: dict[int, bytearray],
    on_duty: list[tuple[int, int, int]],
) -> tuple[int, int, int | None] | None:
    """A free (room, start unit, radiologist on site) for ``scan`` on ``day``, if any."""
    rng = clinic.rng
    modality = scan.modality
    template, first, end = clinic.templates[day.weekday(), modality.d.code]
    latest = end - scan.units
    if latest < first:
        return None
    needs_radiologist = modality.d.needs_radiologist_on_site
    rooms = modality.room_ids
    offset = rng.randrange(len(rooms))
    for room_id in rooms[offset:] + rooms[:offset]:
        grid = grids.get(room_id)
        if grid is None:
            grid = grids[room_id] = bytearray(template)
        tries = [first + int(rng.triangular(0, latest - first, (latest - first) * 0.3))]
        tries += [rng.randint(first, latest) for _ in range(5)]
        pivot = tries[-1]
        for unit in itertools.chain(tries, range(pivot, latest + 1), range(first, pivot)):
            if grid.find(1, unit, unit + scan.units) != -1:
                continue
            if not needs_radiologist:
                return room_id, unit, None
            present = [r for r, a, b in on_duty if a <= unit and unit + scan.units <= b]
            if present:
                return room_id, unit, rng.choice(present)
    return None


def _booking_time(
    clinic: DemoClinic,
    scan: SimScan,
    urgent: bool,
    start: dt.datetime,
    day: dt.date,
    patient: SimPatient,
) -> tuple[dt.datetime, bool]:
    """When the appointment was booked, and whether it was a same-day booking."""
    rng = clinic.rng
    code = scan.modality.d.code
    ahead = (day - clinic.today).days
    walk_in = ahead <= 0 and (urgent or rng.random() < SAME_DAY_SHARE[code])
    if walk_in:
        booked = start - random_minutes(rng, 20, 150 if not urgent else 90)
        booked = max(booked, min(clinic.at(day, dt.time(7)), start - dt.timedelta(minutes=5)))
    else:
        lead = 1 + int(rng.expovariate(1 / MEAN_LEAD_DAYS[code]))
        if lead < ahead:
            lead = ahead + int(rng.expovariate(1 / 3))
        booking_day = day - dt.timedelta(days=lead)
        while not clinic.is_open(booking_day):  # reception takes calls when it is open
            booking_day -= dt.timedelta(days=1)
        booked = clinic.at(booking_day, DAY_OPENS) + random_minutes(rng, 0, 570)
    if booked > clinic.now:  # booked ahead after all, not at the desk
        booked = clinic.now - random_minutes(rng, 1, 240)
        walk_in = False
    if patient.created_at is not None:
        booked = max(booked, patient.created_at + dt.timedelta(minutes=1))
    return min(booked, clinic.now, start - dt.timedelta(minutes=1)), walk_in


def _play_out(clinic: DemoClinic, visit: SimVisit, walk_in: bool) -> None:
    """The visit's status changes as planned, kept up to the simulated now."""
    rng = clinic.rng
    start, booked = visit.start, visit.created_at
    clerk = clinic.receptionist()
    plan: list[Event] = [(AppointmentStatus.PENDING.value, booked, clerk, None)]
    if walk_in or start - booked < dt.timedelta(hours=3):
        confirmed = booked + random_minutes(rng, 1, 4)
    elif rng.random() < 0.35:
        confirmed = booked + random_minutes(rng, 2, 15)
    else:
        confirmed = start - random_minutes(rng, 18 * 60, 50 * 60)
        confirmed = max(confirmed, booked + dt.timedelta(minutes=5))
    if walk_in:
        kind = "walk_in"
    elif visit.urgent:
        kind = "urgent"
    else:
        kind = "next_day" if start - booked < dt.timedelta(hours=25) else "advance"
    p_cancel, p_no_show = OUTCOME_RATES[kind]
    outcome = rng.random()
    if outcome < p_cancel:
        lead = start - booked
        notice = dt.timedelta(hours=25)
        if lead > notice and rng.random() >= LATE_CANCELLATION_SHARE:
            cancelled = booked + (lead - notice) * rng.uniform(0.05, 1.0)
        else:
            cancelled = start - min(random_minutes(rng, 60, 23 * 60), lead * 0.8)
        cancelled = cancelled.replace(microsecond=0)
        late = start - cancelled < dt.timedelta(hours=24)
        if confirmed < cancelled:
            plan.append((AppointmentStatus.CONFIRMED.value, confirmed, clerk, None))
        reasons = cat.LATE_CANCELLATION_REASONS if late else cat.CANCELLATION_REASONS
        plan.append(
            (
                AppointmentStatus.CANCELLED.value,
                cancelled,
                clinic.receptionist(),
                rng.choice(reasons),
            )
        )
        visit.late = late
    else:
        plan.append((AppointmentStatus.CONFIRMED.value, confirmed, clerk, None))
        if outcome < p_cancel + p_no_show:
            plan.append(
                (
                    AppointmentStatus.NO_SHOW.value,
                    start + random_minutes(rng, 30, 90),
                    clinic.receptionist(),
                    None,
                )
            )
        else:
            desk = clinic.receptionist()
            if walk_in:
                arrived = confirmed + random_minutes(rng, 1, 4)
            elif rng.random() < 0.8:
                arrived = start - random_minutes(rng, 0, 25)
            else:
                arrived = start + random_minutes(rng, 0, 15)
            arrived = max(arrived, confirmed + dt.timedelta(minutes=1))
            late_running = rng.random() < 0.25
            began = start + (
                random_minutes(rng, 5, 45) if late_running else random_minutes(rng, -5, 5)
            )
            began = max(began, arrived + random_minutes(rng, 2, 8))
            finished = began + dt.timedelta(minutes=visit.scan.d.minutes * rng.uniform(0.75, 1.2))
            finished = finished.replace(microsecond=0)
            operator = visit.radiologist_id or desk
            plan.append((AppointmentStatus.ARRIVED.value, arrived, desk, None))
            plan.append((AppointmentStatus.IN_PROGRESS.value, began, operator, None))
            plan.append((AppointmentStatus.COMPLETED.value, finished, operator, None))
    visit.events = [event for event in plan if event[1] <= clinic.now]
    visit.status = visit.events[-1][0]
    if visit.status != AppointmentStatus.CANCELLED.value:
        visit.late = False


def build_appointment_rows(clinic: DemoClinic) -> None:
    """Number the visits in booking order; their ``appointment`` and status-history rows."""
    clinic.visits.sort(key=lambda v: (v.created_at, v.start, v.patient.id))
    appointments: list[Row] = []
    history: list[Row] = []
    for number, visit in enumerate(clinic.visits, 1):
        visit.id = number
        times = {status: at for status, at, _, _ in visit.events}
        cancelled = visit.status == AppointmentStatus.CANCELLED.value
        reason = visit.events[-1][3] if cancelled else None
        appointments.append(
            (
                number,
                f"A{number:07d}",
                visit.patient.id,
                visit.scan.id,
                visit.room_id,
                visit.radiologist_id,
                visit.doctor_id,
                visit.start,
                visit.end,
                visit.status,
                Urgency.URGENT.value if visit.urgent else Urgency.ROUTINE.value,
                visit.notes,
                visit.preauth,
                visit.price,
                visit.patient.plan.id if visit.patient.plan else None,
                visit.cover,
                visit.copay,
                times.get(AppointmentStatus.ARRIVED.value),
                times.get(AppointmentStatus.IN_PROGRESS.value),
                times.get(AppointmentStatus.COMPLETED.value),
                times.get(AppointmentStatus.CANCELLED.value),
                reason,
                visit.late,
                clinic.manager if visit.late else None,
                visit.events[0][2],
                visit.created_at,
                visit.events[-1][1],
                len(visit.events),
                demo_study_uid(number, visit.start),
                0,  # calendar_sequence: never moved
            )
        )
        previous = None
        for status, at, who, why in visit.events:
            history.append(
                (
                    len(history) + 1,
                    number,
                    previous,
                    status,
                    who,
                    at,
                    why,
                    clinic.workstation.get(who) if who else None,
                    None,  # no scanner reports in the demo
                )
            )
            previous = status
    clinic.rows["appointment"] = appointments
    clinic.rows["appointment_status_change"] = history


def demo_study_uid(number: int, start: dt.datetime) -> str:
    """A Study Instance UID the same at every load (``2.25.`` from a name-based UUID), apart
    from those the database makes under the clinic's root for new bookings."""
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_URL, f'mic-demo:{number}:{start.isoformat()}').int}"
