"""The demo clinic as it stands before its first visit.

Staff with their workstations, weekly rotas and leave; modalities and rooms (one per
modality, more when a recent weekday's volume needs them) with each modality's opening
hours and the empty day grids; how many appointments each day gets; the scan menu with
its price history; medical-aid schemes, plans and cover rules; and the referring doctors.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from decimal import Decimal

from mic_desktop.services.demo import catalogue as cat
from mic_desktop.services.demo.patients import mobile_number
from mic_desktop.services.demo.shape import (
    AGE_BAND_SHARE,
    AGE_BANDS,
    DAY_UNITS,
    FEMALE_SHARE,
    GROWTH_PER_YEAR,
    HUNDRED,
    MODALITY_AGE_FACTOR,
    MONTH_FACTOR,
    ROOM_UTILISATION,
    VISITS_PER_PATIENT,
    WEEKDAY_FACTOR,
    add_months,
    grid_unit,
)
from mic_desktop.services.demo.spec import DEMO_ACCOUNTS
from mic_desktop.services.demo.state import DemoClinic, Row, SimModality, SimPlan, SimScan

_DEMO_RADIOLOGIST_TITLE = "MBChB (UZ), MMed Radiology (UZ)"


def build_setup(clinic: DemoClinic) -> None:
    """Staff, rooms, scan menu, medical aids and referring doctors, in this order."""
    _build_staff(clinic)
    _build_rooms(clinic)
    _build_scans(clinic)
    _build_medical_aids(clinic)
    _build_doctors(clinic)


def _build_staff(clinic: DemoClinic) -> None:
    """The demo logins and their colleagues, with workstations, weekly rotas and leave."""
    rng = clinic.rng
    staff: list[Row] = []
    clinic.workstation = {}
    by_role: dict[str, list[int]] = {"reception": [], "radiologist": [], "manager": []}
    titles: dict[int, str | None] = {}
    demo_password = {account.role.value: account.password for account in DEMO_ACCOUNTS}
    people = [(a.username, a.role.value, a.full_name, a.password, None) for a in DEMO_ACCOUNTS] + [
        (s.username, s.role, s.full_name, demo_password[s.role], s.professional_title)
        for s in cat.EXTRA_STAFF
    ]
    for staff_id, (username, role, full_name, password, title) in enumerate(people, 1):
        if username == "radiologist":
            title = _DEMO_RADIOLOGIST_TITLE
        by_role[role].append(staff_id)
        titles[staff_id] = title
        staff.append(
            (
                staff_id,
                username,
                full_name,
                role,
                clinic.hashes[password],
                False,
                True,
                0,
                None,
                None,
                title,
                clinic.opened + dt.timedelta(days=rng.randint(0, 60)),
                1,
            )
        )
    clinic.rows["staff_user"] = staff
    clinic.receptionists = by_role["reception"]
    clinic.reception_cum = list(itertools.accumulate([45, 30, 25][: len(clinic.receptionists)]))
    clinic.radiologists = by_role["radiologist"]
    clinic.manager = by_role["manager"][0]
    clinic.signature = {
        row[0]: f"{row[2]}, {titles[row[0]]}" for row in staff if row[3] == "radiologist"
    }
    for index, staff_id in enumerate(clinic.receptionists):
        clinic.workstation[staff_id] = cat.RECEPTION_WORKSTATIONS[index % 2]
    for staff_id in clinic.radiologists:
        clinic.workstation[staff_id] = cat.REPORTING_WORKSTATION
    clinic.workstation[clinic.manager] = cat.MANAGER_WORKSTATION

    availability: list[Row] = []
    clinic.weekly = {d: [] for d in range(7)}
    for staff_id, week in zip(clinic.radiologists, cat.RADIOLOGIST_AVAILABILITY, strict=False):
        for weekday, (starts, ends) in sorted(week.items()):
            availability.append((len(availability) + 1, staff_id, weekday, starts, ends))
            clinic.weekly[weekday].append((staff_id, grid_unit(starts), grid_unit(ends)))
    clinic.rows["radiologist_availability"] = availability

    # Leave periods one after another, so at most one radiologist is away at a time.
    leave: list[Row] = []
    clinic.on_leave = set()
    cursor = clinic.first_day - dt.timedelta(days=40)
    horizon = clinic.last_day + dt.timedelta(days=60)
    while True:
        start = cursor + dt.timedelta(days=rng.randint(20, 60))
        if start > horizon:
            break
        reason = rng.choice(cat.LEAVE_REASONS)
        if reason == "Annual leave":
            days = rng.choice((7, 10, 14))
        elif reason == "Sick leave":
            days = rng.randint(2, 5)
        else:
            days = rng.randint(3, 6)
        staff_id = rng.choice(clinic.radiologists)
        end = start + dt.timedelta(days=days)
        leave.append((len(leave) + 1, staff_id, clinic.at(start), clinic.at(end), reason))
        clinic.on_leave.update((staff_id, start + dt.timedelta(days=n)) for n in range(days))
        cursor = end + dt.timedelta(days=3)
    clinic.rows["radiologist_leave"] = leave


def _build_rooms(clinic: DemoClinic) -> None:
    """Modalities and their rooms with opening hours; the empty day grids to book into."""
    _plan_calendar(clinic)
    clinic.modalities = {}
    modality_rows: list[Row] = []
    rooms: list[Row] = []
    hours: list[Row] = []
    demand = _expected_room_load(clinic)
    for modality_id, definition in enumerate(cat.MODALITIES, 1):
        modality = SimModality(modality_id, definition)
        clinic.modalities[definition.code] = modality
        modality_rows.append(
            (
                modality_id,
                definition.code,
                definition.name,
                definition.needs_radiologist_on_site,
                True,
            )
        )
        weekday_units = _open_units(definition.weekday_hours)
        needed = math.ceil(demand[definition.code] / (weekday_units * ROOM_UTILISATION))
        count = max(len(definition.rooms), needed)
        if count == len(definition.rooms):
            names = list(definition.rooms)
        else:
            stem = definition.rooms[0].rstrip(" 0123456789")
            names = [f"{stem} {n}" for n in range(1, count + 1)]
        for name in names:
            room_id = len(rooms) + 1
            modality.room_ids.append(room_id)
            rooms.append((room_id, name, modality_id, True, room_id, 1))
            for weekday in range(6):
                window = definition.saturday_hours if weekday == 5 else definition.weekday_hours
                if window is not None:
                    hours.append((len(hours) + 1, room_id, weekday, *window))
    clinic.rows["modality"] = modality_rows
    clinic.rows["room"] = rooms
    clinic.rows["room_opening_hours"] = hours
    clinic.templates = {}
    for definition in cat.MODALITIES:
        for weekday in range(6):
            window = definition.saturday_hours if weekday == 5 else definition.weekday_hours
            grid = bytearray(b"\x01" * DAY_UNITS)
            first, end = (grid_unit(window[0]), grid_unit(window[1])) if window else (0, 0)
            grid[first:end] = bytes(end - first)
            clinic.templates[weekday, definition.code] = (grid, first, end)


def _open_units(window: tuple[dt.time, dt.time]) -> int:
    return grid_unit(window[1]) - grid_unit(window[0])


def _plan_calendar(clinic: DemoClinic) -> None:
    """How many appointments fall on each day: weekday, season, growth and holidays."""
    rng = clinic.rng
    days: list[dt.date] = []
    weights: list[float] = []
    day = clinic.first_day
    while day <= clinic.last_day:
        weight = 0.0
        if clinic.is_open(day):
            weight = WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR[day.month - 1]
            weight *= (1 + GROWTH_PER_YEAR) ** ((day - clinic.today).days / 365)
            if (day.month == 12 and day.day >= 20) or (day.month == 1 and day.day <= 7):
                weight *= 0.6
        days.append(day)
        weights.append(weight)
        day += dt.timedelta(days=1)
    planned = max(round(clinic.spec.patients * VISITS_PER_PATIENT), clinic.spec.patients)
    counts = [0] * len(days)
    cumulative = list(itertools.accumulate(weights))
    for index in rng.choices(range(len(days)), cum_weights=cumulative, k=planned):
        counts[index] += 1
    for index, day in enumerate(days):
        ahead = (day - clinic.today).days
        if ahead > 0 and counts[index]:
            # Far-off days are only partly booked so far.
            share = 0.08 + 0.8 * math.exp(-(ahead - 1) / 6)
            counts[index] = sum(rng.random() < share for _ in range(counts[index]))
    clinic.days = days
    clinic.day_counts = counts
    clinic.day_weights = weights


def _expected_room_load(clinic: DemoClinic) -> dict[str, float]:
    """Booked 5-minute units per modality on an average recent weekday."""
    shares: dict[str, float] = {m.code: 0.0 for m in cat.MODALITIES}
    clinic.bucket_cum = []
    for female in (True, False):
        for band in range(len(AGE_BANDS)):
            weights = [_scan_weight(scan, female, band) for scan in cat.SCANS]
            clinic.bucket_cum.append(list(itertools.accumulate(weights)))
            bucket_share = (FEMALE_SHARE if female else 1 - FEMALE_SHARE) * AGE_BAND_SHARE[band]
            total = sum(weights)
            for scan, weight in zip(cat.SCANS, weights, strict=True):
                units = math.ceil(scan.minutes / 5)
                shares[scan.modality] += bucket_share * weight / total * units
    total_weight = sum(clinic.day_weights) or 1
    # An average weekday of the last four weeks: the busiest stretch of a growing clinic.
    recent = [
        weight
        for day, weight in zip(clinic.days, clinic.day_weights, strict=True)
        if 0 < (clinic.today - day).days <= 28 and day.weekday() < 5 and weight
    ] or [max(clinic.day_weights)]
    per_day = (
        max(clinic.spec.patients * VISITS_PER_PATIENT, 1)
        * (sum(recent) / len(recent))
        / total_weight
    )
    return {code: per_day * share for code, share in shares.items()}


def _scan_weight(scan: cat.ScanDef, female: bool, band: int) -> float:
    """How likely a patient of this sex and age band is booked for ``scan``."""
    weight = scan.weight * MODALITY_AGE_FACTOR[scan.modality][band]
    audience = scan.audience
    if audience == "female":
        return weight * (0.05 if band == 0 else 1.0) if female else weight * 0.03
    if audience == "female_15":
        return weight * (0.1, 1.0, 1.0, 1.0, 0.6)[band] if female else weight * 0.15
    if audience == "female_35":
        return weight * (0.0, 0.0, 0.45, 1.3, 0.7)[band] if female else 0.0
    if audience == "pregnant":
        return weight * (0.0, 2.2, 1.0, 0.0, 0.0)[band] if female else 0.0
    return weight


def _build_scans(clinic: DemoClinic) -> None:
    """The scan menu with each scan's price history."""
    scans: list[Row] = []
    prices: list[Row] = []
    clinic.scans = []
    for scan_id, d in enumerate(cat.SCANS, 1):
        modality = clinic.modalities[d.modality]
        history = cat.PRICE_HISTORY.get(d.code, ())
        price_from = [clinic.opened]
        values = [Decimal(history[0][1]) if history else Decimal(d.price)]
        for index, (months_ago, _) in enumerate(history):
            change = add_months(clinic.today, -months_ago).replace(day=1)
            price_from.append(clinic.at(change))
            following = history[index + 1][1] if index + 1 < len(history) else d.price
            values.append(Decimal(following))
        for valid_from, price in zip(price_from, values, strict=True):
            created = valid_from - dt.timedelta(days=7 if valid_from > clinic.opened else 0)
            prices.append((len(prices) + 1, scan_id, price, valid_from, clinic.manager, created))
        scans.append(
            (
                scan_id,
                d.code,
                d.name,
                modality.id,
                d.minutes,
                Decimal(d.price),
                d.preparation,
                d.preauthorisation,
                True,
                1 + len(history),
            )
        )
        clinic.scans.append(
            SimScan(scan_id, d, modality, math.ceil(d.minutes / 5), price_from, values)
        )
    clinic.rows["scan_type"] = scans
    clinic.rows["scan_type_price"] = prices


def _build_medical_aids(clinic: DemoClinic) -> None:
    """Medical-aid schemes, their plans and the plans' cover rules per scan."""
    schemes: list[Row] = []
    plans: list[Row] = []
    rules: list[Row] = []
    clinic.plans = []
    plan_weights: list[float] = []
    for scheme_id, scheme in enumerate(cat.SCHEMES, 1):
        schemes.append(
            (
                scheme_id,
                scheme.name,
                scheme.code,
                scheme.claims_phone,
                scheme.claims_email,
                True,
            )
        )
        plan_total = sum(p.weight for p in scheme.plans)
        for definition in scheme.plans:
            plan = SimPlan(len(plans) + 1, scheme, Decimal(definition.default_percent), {})
            plans.append((plan.id, scheme_id, definition.name, plan.default_percent, True, 1))
            plan_weights.append(scheme.weight * definition.weight / plan_total)
            for scan in clinic.scans:
                rule: tuple[Decimal, Decimal | None, bool] | None = None
                code = scan.d.modality
                if code in ("CT", "MR"):
                    cap = definition.caps.get(code)
                    rule = (
                        Decimal(definition.imaging_percent),
                        Decimal(cap) if cap else None,
                        True,
                    )
                elif code == "MG":
                    rule = (HUNDRED, Decimal(cat.MAMMOGRAM_CAP), False)
                elif scan.d.code == "US-OBS" and definition.maternity_percent:
                    rule = (Decimal(definition.maternity_percent), None, False)
                if rule is not None:
                    plan.rules[scan.id] = rule
                    rules.append((len(rules) + 1, plan.id, scan.id, *rule))
            clinic.plans.append(plan)
    clinic.rows["medical_aid_scheme"] = schemes
    clinic.rows["medical_aid_plan"] = plans
    clinic.rows["coverage_rule"] = rules
    clinic.plan_cum = list(itertools.accumulate(plan_weights))
    clinic.cover_cache = {}


def _build_doctors(clinic: DemoClinic) -> None:
    """Forty referring doctors; a few send most of the patients."""
    rng = clinic.rng
    doctors: list[Row] = []
    names: set[str] = set()
    while len(doctors) < 40:
        female = rng.random() < 0.45
        first = rng.choice(cat.FEMALE_FIRST_NAMES if female else cat.MALE_FIRST_NAMES)
        last = rng.choice(cat.SURNAMES)[0]
        name = f"Dr {first} {last}"
        if name in names:
            continue
        names.add(name)
        practice, domain = rng.choice(cat.PRACTICES)
        phone = (
            f"+263242{rng.randint(700000, 799999)}" if rng.random() < 0.5 else mobile_number(clinic)
        )
        doctor_id = len(doctors) + 1
        doctors.append(
            (
                doctor_id,
                name,
                practice,
                f"0{rng.randint(100000, 999999)}",
                phone,
                f"{first[0]}{last}@{domain}".lower(),
                doctor_id % 19 != 0,  # a couple have retired
                clinic.opened + dt.timedelta(days=rng.randint(0, 300)),
            )
        )
    clinic.rows["referring_doctor"] = doctors
    clinic.doctor_names = {row[0]: row[1] for row in doctors}
    active = [row[0] for row in doctors if row[6]]
    ranks = list(range(1, len(active) + 1))
    rng.shuffle(ranks)
    clinic.doctor_ids = active
    clinic.doctor_cum = list(itertools.accumulate(1 / r**0.9 for r in ranks))
