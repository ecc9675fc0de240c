"""Deterministic demo data: a busy Harare radiology clinic for demos, trials and charts.

:func:`load_demo` fills an *empty* clinic database in one transaction: staff with
one login per role (:data:`DEMO_ACCOUNTS`), rooms and scan menu, medical aids,
referring doctors, patients and ``months`` of appointments up to ``today`` plus
three weeks of bookings ahead, with their status history, payments, medical-aid
claims, reports and feedback.

The same :class:`DemoSpec` (seed and ``today``) always gives the same rows: all
randomness comes from one ``random.Random(seed)`` and every timestamp is set
here, none by the server. With a fixed ``today`` the simulated clock stands at
10:30 that morning; without one it is the real time in the clinic's time zone.

Rows are generated into lists and written with PostgreSQL ``COPY`` using ids
assigned here (the sequences are moved on afterwards), so 100,000 patients
take minutes, not hours.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import itertools
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql
from sqlalchemy import insert, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import (
    AppointmentStatus,
    AuditLog,
    ClaimStatus,
    ClinicSettings,
    DocumentCounter,
    NotificationTemplate,
    PaymentMethod,
    ReportAccessAction,
    ReportStatus,
    Role,
    Urgency,
)
from mic_desktop.services.accounts.passwords import hash_password
from mic_desktop.services.billing.pricing import medical_aid_cover
from mic_desktop.services.demo import catalogue as cat
from mic_desktop.services.errors import ServiceError
from mic_desktop.services.messaging.notifications import DEFAULT_TEMPLATES

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DemoSpec:
    patients: int = 3000
    months: int = 24
    seed: int = 2026
    today: dt.date | None = None  # anchor date; None = today in the clinic time zone


DEFAULT_DEMO = DemoSpec()


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    full_name: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("reception", "reception-demo", Role.RECEPTION, "Chipo Mhlanga"),
    DemoAccount("radiologist", "radiologist-demo", Role.RADIOLOGIST, "Dr Tinashe Mutasa"),
    DemoAccount("manager", "manager-demo", Role.MANAGER, "Nomsa Ndlovu"),
)
_DEMO_RADIOLOGIST_TITLE = "MBChB (UZ), MMed Radiology (UZ)"


@dataclass(frozen=True)
class DemoSummary:
    counts: dict[str, int]  # table name -> rows inserted
    seconds: float


class DemoDataError(ServiceError):
    """The demo data cannot be loaded; the message says why."""


# --- Shape of the simulated clinic ------------------------------------------------------------

VISITS_PER_PATIENT = 1.7
FUTURE_DAYS = 21
FIXED_CLOCK = dt.time(10, 30)  # the simulated time of day when DemoSpec.today is given
UNIT = dt.timedelta(minutes=5)  # booking grid
DAY_OPENS = dt.time(7, 30)
DAY_UNITS = 114  # 07:30-17:00
ROOM_UTILISATION = 0.55  # rooms are added until the busiest expected day fills this much
WEEKDAY_FACTOR = (1.25, 1.2, 1.05, 1.0, 0.95, 0.45, 0.0)
MONTH_FACTOR = (0.8, 0.95, 1.05, 0.97, 1.05, 1.0, 1.04, 0.98, 1.05, 1.06, 1.02, 0.78)
GROWTH_PER_YEAR = 0.16
AGE_BANDS = ((0, 15), (16, 29), (30, 44), (45, 64), (65, 92))
AGE_BAND_SHARE = (0.12, 0.22, 0.27, 0.27, 0.12)
FEMALE_SHARE = 0.56
MODALITY_AGE_FACTOR = {
    "XR": (1.3, 1.0, 0.9, 1.0, 1.2),
    "CT": (0.35, 0.8, 1.0, 1.25, 1.5),
    "MR": (0.35, 0.9, 1.1, 1.2, 0.9),
    "US": (0.8, 1.1, 1.0, 0.9, 0.8),
    "MG": (0.0, 0.0, 1.0, 1.0, 1.0),
}
SAME_DAY_SHARE = {"XR": 0.55, "US": 0.25, "CT": 0.15, "MR": 0.0, "MG": 0.05}
MEAN_LEAD_DAYS = {"XR": 3, "US": 5, "CT": 5, "MR": 8, "MG": 10}
CRITICAL_RATE = {"XR": 0.006, "CT": 0.03, "MR": 0.02, "US": 0.008, "MG": 0.0}
# (cancel, no-show) probabilities by kind of booking; a booking made less than a day
# ahead can only be cancelled late.
OUTCOME_RATES = {
    "walk_in": (0.004, 0.01),
    "urgent": (0.01, 0.03),
    "next_day": (0.035, 0.09),
    "advance": (0.09, 0.105),
}
LATE_CANCELLATION_SHARE = 0.22  # of cancellations of bookings made more than a day ahead
REPORT_BACKLOG = 0.65  # share of today's scans not yet reported, falling by a day's age
PAYMENT_METHODS = (
    (PaymentMethod.CASH.value, 28),
    (PaymentMethod.CARD.value, 27),
    (PaymentMethod.EFT.value, 8),
    (PaymentMethod.MOBILE_MONEY.value, 37),
)
FEEDBACK_SHARE = 0.3
OVERALL_RATING_WEIGHTS = ((5, 52), (4, 31), (3, 10), (2, 4.5), (1, 2.5))
RECOMMEND_BY_RATING = {5: 0.98, 4: 0.92, 3: 0.6, 2: 0.2, 1: 0.05}
OPEN_CRITICAL_FINDINGS = 2
LOCK_KEY = 0x4D4943_0DE3  # pg_advisory_xact_lock: one demo load per database at a time

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

_PHASES = (
    "Setting up the clinic, staff and scan menu",
    "Simulating patients and appointments",
    "Writing patients and appointments",
    "Medical-aid claims and payments",
    "Reports",
    "Patient feedback",
    "Finishing",
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "staff_user": (
        "id", "username", "full_name", "role", "password_hash", "must_change_password",
        "is_active", "failed_logins", "locked_until", "last_login_at", "professional_title",
        "created_at", "version",
    ),
    "radiologist_availability": ("id", "radiologist_id", "weekday", "starts_at", "ends_at"),
    "radiologist_leave": ("id", "radiologist_id", "starts_at", "ends_at", "reason"),
    "modality": ("id", "code", "name", "needs_radiologist_on_site"),
    "room": ("id", "name", "modality_id", "is_active", "sort_order", "version"),
    "room_opening_hours": ("id", "room_id", "weekday", "opens_at", "closes_at"),
    "scan_type": (
        "id", "code", "name", "modality_id", "duration_minutes", "price", "preparation",
        "requires_preauthorisation", "is_active", "version",
    ),
    "scan_type_price": ("id", "scan_type_id", "price", "valid_from", "changed_by_id", "created_at"),
    "medical_aid_scheme": ("id", "name", "code", "claims_phone", "claims_email", "is_active"),
    "medical_aid_plan": (
        "id", "scheme_id", "name", "default_coverage_percent", "is_active", "version",
    ),
    "coverage_rule": (
        "id", "plan_id", "scan_type_id", "coverage_percent", "cap_amount",
        "requires_preauthorisation",
    ),
    "referring_doctor": (
        "id", "full_name", "practice_name", "practice_number", "phone", "email", "is_active",
        "created_at",
    ),
    "patient": (
        "id", "mrn", "first_name", "last_name", "date_of_birth", "sex", "national_id", "phone",
        "email", "address", "medical_aid_plan_id", "medical_aid_member_number", "sms_opt_in",
        "email_opt_in", "created_at", "updated_at", "deleted_at", "version",
    ),
    "appointment": (
        "id", "reference", "patient_id", "scan_type_id", "room_id", "radiologist_id",
        "referring_doctor_id", "start_at", "end_at", "status", "urgency", "clinical_notes",
        "preauthorisation_number", "price", "medical_aid_plan_id", "medical_aid_cover",
        "patient_copay", "checked_in_at", "scan_started_at", "scan_completed_at",
        "cancelled_at", "cancellation_reason", "is_late_cancellation",
        "cancellation_authorised_by_id", "created_by_id", "created_at", "updated_at", "version",
    ),
    "appointment_status_change": (
        "id", "appointment_id", "from_status", "to_status", "changed_by_id", "changed_at",
        "reason", "workstation",
    ),
    "medical_aid_claim": (
        "id", "appointment_id", "plan_id", "member_number", "claimed_amount", "status",
        "submitted_at", "settled_amount", "settled_at", "shortfall", "notes", "version",
    ),
    "payment": (
        "id", "receipt_number", "patient_id", "appointment_id", "method", "amount",
        "amount_tendered", "reference", "refund_of_id", "refund_reason", "received_by_id",
        "received_at", "workstation",
    ),
    "report": (
        "id", "appointment_id", "status", "radiologist_id", "claimed_at", "findings",
        "impression", "finalised_at", "finalised_by_id", "signed_name", "reviewed_at",
        "reviewed_by_id", "created_at", "updated_at", "updated_by_id", "version",
    ),
    "report_addendum": ("id", "report_id", "text", "created_by_id", "signed_name", "created_at"),
    "critical_finding": (
        "id", "report_id", "description", "flagged_by_id", "flagged_at", "communicated_to",
        "communication_method", "communicated_at", "acknowledged_by_id", "acknowledged_at",
    ),
    "report_access_log": (
        "id", "report_id", "staff_id", "action", "detail", "workstation", "accessed_at",
    ),
    "patient_feedback": (
        "id", "appointment_id", "overall", "professionalism", "cleanliness", "report_clarity",
        "would_recommend", "comments", "submitted_at",
    ),
}  # fmt: skip

# A database with rows in any of these is not empty; the ids used here would clash.
_MUST_BE_EMPTY = (
    "staff_user",
    "patient",
    "modality",
    "room",
    "scan_type",
    "medical_aid_scheme",
    "referring_doctor",
    "appointment",
    "payment",
    "report",
)

Row = tuple[Any, ...]


# --- Public entry point -----------------------------------------------------------------------


def load_demo(
    session_factory: sessionmaker[Session],
    spec: DemoSpec = DEFAULT_DEMO,
    progress: Progress | None = None,
) -> DemoSummary:
    """Load the demo clinic into an empty clinic database, all in one transaction."""
    _check_spec(spec)
    started = time.perf_counter()
    report = progress or _no_progress
    total = len(_PHASES)
    report(0, total, _PHASES[0])
    # Hashing is slow by design: once per distinct password, outside the transaction.
    hashes = {account.password: hash_password(account.password) for account in DEMO_ACCOUNTS}
    clinic = _DemoClinic(spec, hashes)
    counts: dict[str, int] = {}
    try:
        with session_factory.begin() as session:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            _refuse_unless_empty(session)
            connection = session.connection().connection.driver_connection

            def write(*tables: str) -> None:
                with connection.cursor() as cursor:  # type: ignore[union-attr]
                    for table in tables:
                        counts[table] = _copy(cursor, table, clinic.rows.pop(table))

            clinic.build_setup()
            write(
                "staff_user", "radiologist_availability", "radiologist_leave", "modality",
                "room", "room_opening_hours", "scan_type", "scan_type_price",
                "medical_aid_scheme", "medical_aid_plan", "coverage_rule", "referring_doctor",
            )  # fmt: skip
            report(1, total, _PHASES[1])
            clinic.simulate_visits()
            report(2, total, _PHASES[2])
            clinic.build_visit_rows()
            write("patient", "appointment", "appointment_status_change")
            report(3, total, _PHASES[3])
            clinic.build_money()
            write("medical_aid_claim", "payment")
            report(4, total, _PHASES[4])
            clinic.build_reports()
            write("report", "report_addendum", "critical_finding", "report_access_log")
            report(5, total, _PHASES[5])
            clinic.build_feedback()
            write("patient_feedback")
            report(6, total, _PHASES[6])
            counts.update(_finish(session, clinic, counts))
    except (SQLAlchemyError, psycopg.Error) as exc:
        raise DemoDataError(f"The demo data could not be written: {exc}") from exc
    report(total, total, "Demo data loaded")
    return DemoSummary(counts=counts, seconds=time.perf_counter() - started)


def _no_progress(done: int, total: int, what: str) -> None:
    pass


def _check_spec(spec: DemoSpec) -> None:
    if spec.patients < 1:
        raise DemoDataError("The demo needs at least one patient.")
    if not 1 <= spec.months <= 120:
        raise DemoDataError("The demo covers between 1 and 120 months.")


def _refuse_unless_empty(session: Session) -> None:
    filled = [
        table
        for table in _MUST_BE_EMPTY
        if session.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {table})"))
    ]
    if not filled:
        return
    patients = session.scalar(text("SELECT count(*) FROM patient"))
    staff = session.scalar(text("SELECT count(*) FROM staff_user"))
    if patients or staff:
        held = f"{patients} patient(s) and {staff} staff account(s)"
    else:
        held = "rows in " + ", ".join(filled)
    raise DemoDataError(
        f"The demo clinic can only be loaded into an empty database; this one already has "
        f"{held}. Use a new database for the demo."
    )


def _copy(cursor: Any, table: str, rows: list[Row]) -> int:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, COLUMNS[table]))
    )
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


def _finish(session: Session, clinic: _DemoClinic, counts: dict[str, int]) -> dict[str, int]:
    """Settings, templates, counters and sequences; returns the extra row counts."""
    values = dict(cat.CLINIC_SETTINGS)
    changed = session.execute(
        update(ClinicSettings)
        .where(ClinicSettings.id == 1)
        .values(**values, version=ClinicSettings.version + 1)
    ).rowcount
    if not changed:
        session.execute(insert(ClinicSettings).values(id=1, **values))
    templates = session.execute(
        pg_insert(NotificationTemplate)
        .values(
            [
                {
                    "key": t.key,
                    "name": t.name,
                    "channel": t.channel.value,
                    "subject": t.subject,
                    "body": t.body,
                    "is_active": True,
                    "version": 1,
                }
                for t in DEFAULT_TEMPLATES
            ]
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(NotificationTemplate.id)
    ).all()
    counters = pg_insert(DocumentCounter).values(
        [
            {"name": "appointment", "next_value": counts["appointment"] + 1},
            {"name": "receipt", "next_value": counts["payment"] + 1},
        ]
    )
    session.execute(
        counters.on_conflict_do_update(
            index_elements=["name"], set_={"next_value": counters.excluded.next_value}
        )
    )
    for table in COLUMNS:
        session.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :value, :called)"),
            {"table": table, "value": max(counts[table], 1), "called": counts[table] > 0},
        )
    session.execute(
        text("SELECT setval('patient_mrn_seq', :value)"),
        {"value": clinic.mrn_base + counts["patient"]},
    )
    session.execute(
        insert(AuditLog).values(
            at=clinic.now,
            username="(demo data)",
            action="demo_data_loaded",
            entity="clinic_settings",
            entity_id="1",
            details={
                "patients": clinic.spec.patients,
                "months": clinic.spec.months,
                "seed": clinic.spec.seed,
                "today": clinic.today.isoformat(),
            },
        )
    )
    return {"notification_template": len(templates), "document_counter": 2, "audit_log": 1}


# --- Calendar helpers -------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _public_holidays(first_year: int, last_year: int) -> set[dt.date]:
    """Zimbabwe's public holidays; one on a Sunday moves to the Monday."""
    days: set[dt.date] = set()
    for year in range(first_year, last_year + 1):
        fixed = [(1, 1), (2, 21), (4, 18), (5, 1), (5, 25), (12, 22), (12, 25), (12, 26)]
        for month, day in fixed:
            holiday = dt.date(year, month, day)
            days.add(holiday)
            if holiday.weekday() == 6:
                days.add(holiday + dt.timedelta(days=1 if (month, day) != (12, 25) else 2))
        easter = _easter(year)
        days.update(easter + dt.timedelta(days=n) for n in (-2, -1, 1))
        first_monday = dt.date(year, 8, 1) + dt.timedelta(
            days=(7 - dt.date(year, 8, 1).weekday()) % 7
        )
        heroes = first_monday + dt.timedelta(days=7)
        days.update((heroes, heroes + dt.timedelta(days=1)))
    return days


def _minutes(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(seconds=rng.randint(int(low * 60), int(high * 60)))


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- The simulation ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    id: int
    scheme: cat.SchemeDef
    default_percent: Decimal
    rules: dict[int, tuple[Decimal, Decimal | None, bool]]  # scan id -> (%, cap, pre-auth)


@dataclass(slots=True)
class _Modality:
    id: int
    d: cat.ModalityDef
    room_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Scan:
    id: int
    d: cat.ScanDef
    modality: _Modality
    units: int
    price_from: list[dt.datetime]
    prices: list[Decimal]

    def price_at(self, moment: dt.datetime) -> Decimal:
        return self.prices[max(bisect.bisect_right(self.price_from, moment) - 1, 0)]


@dataclass(slots=True)
class _Patient:
    id: int
    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex: str
    band: int
    national_id: str | None
    phone: str | None
    email: str | None
    address: str
    plan: _Plan | None
    member_number: str | None
    sms_opt_in: bool
    email_opt_in: bool
    created_at: dt.datetime | None = None
    last_day: dt.date | None = None
    doctor_id: int | None = None


@dataclass(slots=True)
class _Visit:
    patient: _Patient
    scan: _Scan
    room_id: int
    radiologist_id: int | None
    doctor_id: int | None
    start: dt.datetime
    end: dt.datetime
    urgent: bool
    notes: str
    created_at: dt.datetime
    price: Decimal
    cover: Decimal
    copay: Decimal
    preauth: str | None
    # (to status, when, who, reason), the ones that happened by "now"
    events: list[tuple[str, dt.datetime, int | None, str | None]]
    status: str = AppointmentStatus.PENDING.value
    late: bool = False
    id: int = 0


class _DemoClinic:
    """Generates the demo clinic's rows table by table into ``rows``."""

    def __init__(self, spec: DemoSpec, password_hashes: dict[str, str]) -> None:
        self.spec = spec
        self.zone = ZoneInfo(cat.CLINIC_TIME_ZONE)
        if spec.today is None:
            self.now = dt.datetime.now(self.zone).replace(microsecond=0)
            self.today = self.now.date()
        else:
            self.today = spec.today
            self.now = dt.datetime.combine(spec.today, FIXED_CLOCK, tzinfo=self.zone)
        self.rng = random.Random(spec.seed)
        self.hashes = password_hashes
        self.rows: dict[str, list[Row]] = {}
        self.first_day = _add_months(self.today, -spec.months)
        self.last_day = self.today + dt.timedelta(days=FUTURE_DAYS)
        # The clinic opened at least a year before the simulated period and the price history.
        opened = _add_months(self.today, -max(spec.months, 24) - 12).replace(day=1)
        self.opened = self._at(opened)
        self.holidays = _public_holidays(self.first_day.year - 1, self.last_day.year + 1)
        self.mrn_base = 100000
        self.visits: list[_Visit] = []
        self.patients: list[_Patient] = []
        self.used_phones: set[str] = set()
        self.used_ids: set[str] = set()
        self.used_emails: set[str] = set()
        self.age_cum = list(itertools.accumulate(AGE_BAND_SHARE))
        self.surnames = [name for name, _ in cat.SURNAMES]
        self.surname_cum = list(itertools.accumulate(weight for _, weight in cat.SURNAMES))
        self.town_cum = list(itertools.accumulate(town.weight for town in cat.TOWNS))

    # -- small helpers

    def _at(self, day: dt.date, clock: dt.time = dt.time(0)) -> dt.datetime:
        return dt.datetime.combine(day, clock, tzinfo=self.zone)

    def _is_open(self, day: dt.date) -> bool:
        return day.weekday() != 6 and day not in self.holidays

    def _receptionist(self) -> int:
        return self.rng.choices(self.receptionists, cum_weights=self.reception_cum)[0]

    # -- clinic, staff, menu, medical aids, doctors

    def build_setup(self) -> None:
        rng = self.rng
        self._build_staff()
        self._build_rooms()
        self._build_scans()
        self._build_medical_aids()
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
                f"+263242{rng.randint(700000, 799999)}"
                if rng.random() < 0.5
                else self._mobile_number()
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
                    self.opened + dt.timedelta(days=rng.randint(0, 300)),
                )
            )
        self.rows["referring_doctor"] = doctors
        self.doctor_names = {row[0]: row[1] for row in doctors}
        active = [row[0] for row in doctors if row[6]]
        ranks = list(range(1, len(active) + 1))
        rng.shuffle(ranks)
        self.doctor_ids = active
        self.doctor_cum = list(itertools.accumulate(1 / r**0.9 for r in ranks))

    def _build_staff(self) -> None:
        rng = self.rng
        staff: list[Row] = []
        self.workstation: dict[int, str] = {}
        by_role: dict[str, list[int]] = {"reception": [], "radiologist": [], "manager": []}
        titles: dict[int, str | None] = {}
        demo_password = {account.role.value: account.password for account in DEMO_ACCOUNTS}
        people = [
            (a.username, a.role.value, a.full_name, a.password, None) for a in DEMO_ACCOUNTS
        ] + [
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
                    self.hashes[password],
                    False,
                    True,
                    0,
                    None,
                    None,
                    title,
                    self.opened + dt.timedelta(days=rng.randint(0, 60)),
                    1,
                )
            )
        self.rows["staff_user"] = staff
        self.receptionists = by_role["reception"]
        self.reception_cum = list(itertools.accumulate([45, 30, 25][: len(self.receptionists)]))
        self.radiologists = by_role["radiologist"]
        self.manager = by_role["manager"][0]
        self.signature = {
            row[0]: f"{row[2]}, {titles[row[0]]}" for row in staff if row[3] == "radiologist"
        }
        for index, staff_id in enumerate(self.receptionists):
            self.workstation[staff_id] = cat.RECEPTION_WORKSTATIONS[index % 2]
        for staff_id in self.radiologists:
            self.workstation[staff_id] = cat.REPORTING_WORKSTATION
        self.workstation[self.manager] = cat.MANAGER_WORKSTATION

        availability: list[Row] = []
        self.weekly: dict[int, list[tuple[int, int, int]]] = {d: [] for d in range(7)}
        for staff_id, week in zip(self.radiologists, cat.RADIOLOGIST_AVAILABILITY, strict=False):
            for weekday, (starts, ends) in sorted(week.items()):
                availability.append((len(availability) + 1, staff_id, weekday, starts, ends))
                self.weekly[weekday].append((staff_id, _units(starts), _units(ends)))
        self.rows["radiologist_availability"] = availability

        # Leave periods one after another, so at most one radiologist is away at a time.
        leave: list[Row] = []
        self.on_leave: set[tuple[int, dt.date]] = set()
        cursor = self.first_day - dt.timedelta(days=40)
        horizon = self.last_day + dt.timedelta(days=60)
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
            staff_id = rng.choice(self.radiologists)
            end = start + dt.timedelta(days=days)
            leave.append((len(leave) + 1, staff_id, self._at(start), self._at(end), reason))
            self.on_leave.update((staff_id, start + dt.timedelta(days=n)) for n in range(days))
            cursor = end + dt.timedelta(days=3)
        self.rows["radiologist_leave"] = leave

    def _on_duty(self, day: dt.date) -> list[tuple[int, int, int]]:
        """(radiologist, first unit, end unit) of everyone at work on ``day``."""
        if not self._is_open(day):
            return []
        return [r for r in self.weekly[day.weekday()] if (r[0], day) not in self.on_leave]

    def _build_rooms(self) -> None:
        self._plan_calendar()
        self.modalities: dict[str, _Modality] = {}
        modality_rows: list[Row] = []
        rooms: list[Row] = []
        hours: list[Row] = []
        demand = self._expected_room_load()
        for modality_id, definition in enumerate(cat.MODALITIES, 1):
            modality = _Modality(modality_id, definition)
            self.modalities[definition.code] = modality
            modality_rows.append(
                (
                    modality_id,
                    definition.code,
                    definition.name,
                    definition.needs_radiologist_on_site,
                )
            )
            needed = math.ceil(demand[definition.code] / (DAY_UNITS * ROOM_UTILISATION))
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
                    if weekday == 5 and not definition.open_saturday:
                        continue
                    opens, closes = cat.SATURDAY_HOURS if weekday == 5 else cat.WEEKDAY_HOURS
                    hours.append((len(hours) + 1, room_id, weekday, opens, closes))
        self.rows["modality"] = modality_rows
        self.rows["room"] = rooms
        self.rows["room_opening_hours"] = hours
        self.templates = {}
        for weekday in range(6):
            for saturday_open in (True, False):
                grid = bytearray(b"\x01" * DAY_UNITS)
                if weekday < 5:
                    first, end = 0, DAY_UNITS
                elif saturday_open:
                    first, end = _units(cat.SATURDAY_HOURS[0]), _units(cat.SATURDAY_HOURS[1])
                else:
                    first, end = 0, 0
                grid[first:end] = bytes(end - first)
                self.templates[weekday, saturday_open] = (grid, first, end)

    def _plan_calendar(self) -> None:
        """How many appointments fall on each day: weekday, season, growth and holidays."""
        rng = self.rng
        days: list[dt.date] = []
        weights: list[float] = []
        day = self.first_day
        while day <= self.last_day:
            weight = 0.0
            if self._is_open(day):
                weight = WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR[day.month - 1]
                weight *= 1 + GROWTH_PER_YEAR * (day - self.first_day).days / 365
                if (day.month == 12 and day.day >= 20) or (day.month == 1 and day.day <= 7):
                    weight *= 0.6
            days.append(day)
            weights.append(weight)
            day += dt.timedelta(days=1)
        planned = max(round(self.spec.patients * VISITS_PER_PATIENT), self.spec.patients)
        counts = [0] * len(days)
        cumulative = list(itertools.accumulate(weights))
        for index in rng.choices(range(len(days)), cum_weights=cumulative, k=planned):
            counts[index] += 1
        for index, day in enumerate(days):
            ahead = (day - self.today).days
            if ahead > 0 and counts[index]:
                # Far-off days are only partly booked so far.
                share = 0.08 + 0.8 * math.exp(-(ahead - 1) / 6)
                counts[index] = sum(rng.random() < share for _ in range(counts[index]))
        self.days = days
        self.day_counts = counts
        self.day_weights = weights

    def _expected_room_load(self) -> dict[str, float]:
        """Booked 5-minute units per modality on the busiest expected day, per modality."""
        shares: dict[str, float] = {m.code: 0.0 for m in cat.MODALITIES}
        self.bucket_cum: list[list[float]] = []
        for female in (True, False):
            for band in range(len(AGE_BANDS)):
                weights = [_scan_weight(scan, female, band) for scan in cat.SCANS]
                self.bucket_cum.append(list(itertools.accumulate(weights)))
                bucket_share = (FEMALE_SHARE if female else 1 - FEMALE_SHARE) * AGE_BAND_SHARE[band]
                total = sum(weights)
                for scan, weight in zip(cat.SCANS, weights, strict=True):
                    units = math.ceil(scan.minutes / 5)
                    shares[scan.modality] += bucket_share * weight / total * units
        total_weight = sum(self.day_weights) or 1
        per_day = (
            max(self.spec.patients * VISITS_PER_PATIENT, 1) * max(self.day_weights) / total_weight
        )
        # Day-to-day chance variation on top of the expected peak.
        peak = per_day + 3 * math.sqrt(per_day)
        return {code: peak * share for code, share in shares.items()}

    def _build_scans(self) -> None:
        scans: list[Row] = []
        prices: list[Row] = []
        self.scans: list[_Scan] = []
        for scan_id, d in enumerate(cat.SCANS, 1):
            modality = self.modalities[d.modality]
            history = cat.PRICE_HISTORY.get(d.code, ())
            price_from = [self.opened]
            values = [Decimal(history[0][1]) if history else Decimal(d.price)]
            for index, (months_ago, _) in enumerate(history):
                change = _add_months(self.today, -months_ago).replace(day=1)
                price_from.append(self._at(change))
                following = history[index + 1][1] if index + 1 < len(history) else d.price
                values.append(Decimal(following))
            for valid_from, price in zip(price_from, values, strict=True):
                created = valid_from - dt.timedelta(days=7 if valid_from > self.opened else 0)
                prices.append((len(prices) + 1, scan_id, price, valid_from, self.manager, created))
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
            self.scans.append(
                _Scan(scan_id, d, modality, math.ceil(d.minutes / 5), price_from, values)
            )
        self.rows["scan_type"] = scans
        self.rows["scan_type_price"] = prices

    def _build_medical_aids(self) -> None:
        schemes: list[Row] = []
        plans: list[Row] = []
        rules: list[Row] = []
        self.plans: list[_Plan] = []
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
                plan = _Plan(len(plans) + 1, scheme, Decimal(definition.default_percent), {})
                plans.append((plan.id, scheme_id, definition.name, plan.default_percent, True, 1))
                plan_weights.append(scheme.weight * definition.weight / plan_total)
                for scan in self.scans:
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
                self.plans.append(plan)
        self.rows["medical_aid_scheme"] = schemes
        self.rows["medical_aid_plan"] = plans
        self.rows["coverage_rule"] = rules
        self.plan_cum = list(itertools.accumulate(plan_weights))
        self.cover_cache: dict[tuple[int, int, Decimal], tuple[Decimal, Decimal]] = {}

    def _cover(self, plan: _Plan | None, scan: _Scan, price: Decimal) -> tuple[Decimal, Decimal]:
        """(medical-aid cover, patient co-payment) of ``price`` under ``plan``."""
        if plan is None:
            return Decimal("0.00"), price
        key = (plan.id, scan.id, price)
        cached = self.cover_cache.get(key)
        if cached is None:
            percent, cap, _ = plan.rules.get(scan.id, (plan.default_percent, None, False))
            cover = medical_aid_cover(price, percent, cap)
            cached = self.cover_cache[key] = (cover, price - cover)
        return cached

    @staticmethod
    def _needs_preauthorisation(plan: _Plan | None, scan: _Scan, cover: Decimal) -> bool:
        """The rule of :func:`mic_desktop.services.pricing.quote_in`."""
        if plan is None or cover <= 0:
            return False
        return scan.d.preauthorisation or plan.rules.get(scan.id, (0, 0, False))[2]

    # -- people

    def _mobile_number(self) -> str:
        rng = self.rng
        prefix = rng.choices(_MOBILE_PREFIXES, cum_weights=_MOBILE_CUM)[0]
        while True:
            number = f"+263{prefix}{rng.randint(2000000, 9999999)}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def _new_patient(self, patient_id: int, day: dt.date) -> _Patient:
        rng = self.rng
        female = rng.random() < FEMALE_SHARE
        band = rng.choices(range(len(AGE_BANDS)), cum_weights=self.age_cum)[0]
        low, high = AGE_BANDS[band]
        date_of_birth = day - dt.timedelta(days=rng.randint(low * 365 + 1, high * 365 + 364))
        first = rng.choice(cat.FEMALE_FIRST_NAMES if female else cat.MALE_FIRST_NAMES)
        last = rng.choices(self.surnames, cum_weights=self.surname_cum)[0]
        town = rng.choices(cat.TOWNS, cum_weights=self.town_cum)[0]
        address = (
            f"{rng.randint(1, 240)} {rng.choice(town.streets)}, "
            f"{rng.choice(town.suburbs)}, {town.name}"
        )
        national_id = None
        if low >= 16 and rng.random() < 0.96:
            while national_id is None or national_id in self.used_ids:
                serial = str(rng.randint(100000, 9999999))
                letter = cat.ID_CHECK_LETTERS[int(town.id_office + serial) % 23]
                district = rng.choice(cat.ID_DISTRICTS)
                national_id = f"{town.id_office}-{serial} {letter} {district}"
            self.used_ids.add(national_id)
        phone = self._mobile_number() if rng.random() < 0.96 else None
        email = None
        if rng.random() < (0.0, 0.45, 0.42, 0.3, 0.12)[band]:
            suffix = str(rng.randint(1, 99)) if rng.random() < 0.5 else ""
            local = f"{first}.{last}{suffix}".lower()
            email = f"{local}@{rng.choice(cat.EMAIL_DOMAINS)}"
            while email in self.used_emails:
                email = f"{local}{rng.randint(100, 999)}@{rng.choice(cat.EMAIL_DOMAINS)}"
            self.used_emails.add(email)
        plan = member_number = None
        if rng.random() < 0.6:
            plan = self.plans[rng.choices(range(len(self.plans)), cum_weights=self.plan_cum)[0]]
            scheme = plan.scheme
            number = rng.randint(10 ** (scheme.member_digits - 1), 10**scheme.member_digits - 1)
            dependant = rng.randint(1, 4) if band == 0 else rng.choice((0, 0, 0, 1))
            member_number = f"{scheme.member_prefix}{number}-{dependant:02d}"
        return _Patient(
            patient_id,
            first,
            last,
            date_of_birth,
            "F" if female else "M",
            band,
            national_id,
            phone,
            email,
            address,
            plan,
            member_number,
            rng.random() > 0.06,
            rng.random() > 0.12,
        )

    # -- appointments

    def simulate_visits(self) -> None:
        """Book, place and play out every appointment, day by day."""
        rng = self.rng
        remaining_new = self.spec.patients
        remaining = sum(self.day_counts)
        pool: list[_Patient] = []
        for day, count in zip(self.days, self.day_counts, strict=True):
            if not count:
                continue
            grids: dict[int, bytearray] = {}
            on_duty = self._on_duty(day)
            for _ in range(count):
                is_new = remaining_new > 0 and (
                    not pool or rng.random() * remaining < remaining_new
                )
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
                    patient = self._new_patient(len(self.patients) + 1, day)
                visit = self._book(patient, day, grids, on_duty)
                if visit is None:
                    continue
                if is_new:
                    remaining_new -= 1
                    patient.created_at = visit.created_at
                    self.patients.append(patient)
                    pool.append(patient)
                patient.last_day = day
                patient.doctor_id = visit.doctor_id
                self.visits.append(visit)
        # Anyone not yet seen registered without a visit (e.g. booked by phone, never came).
        while remaining_new > 0:
            day = rng.choice(self.days[: max((self.today - self.first_day).days, 1)])
            patient = self._new_patient(len(self.patients) + 1, day)
            patient.created_at = min(self._at(day, dt.time(9)) + _minutes(rng, 0, 420), self.now)
            self.patients.append(patient)
            remaining_new -= 1

    def _book(
        self,
        patient: _Patient,
        day: dt.date,
        grids: dict[int, bytearray],
        on_duty: list[tuple[int, int, int]],
    ) -> _Visit | None:
        rng = self.rng
        bucket = (0 if patient.sex == "F" else 1) * len(AGE_BANDS) + patient.band
        for _attempt in range(3):  # a full (or closed) room: the patient takes another scan
            scan = rng.choices(self.scans, cum_weights=self.bucket_cum[bucket])[0]
            place = self._place(scan, day, grids, on_duty)
            if place is not None:
                break
        else:
            return None
        urgent = rng.random() < scan.modality.d.urgent_rate
        room_id, unit, radiologist_id = place
        grid = grids[room_id]
        start = self._at(day, DAY_OPENS) + unit * UNIT
        end = start + dt.timedelta(minutes=scan.d.minutes)
        created_at, walk_in = self._booking_time(scan, urgent, start, day, patient)
        price = scan.price_at(created_at)
        plan = patient.plan
        cover, copay = self._cover(plan, scan, price)
        preauth = None
        if plan and self._needs_preauthorisation(plan, scan, cover) and rng.random() < 0.95:
            preauth = f"{plan.scheme.code[:3]}-PA{rng.randint(100000, 999999)}"
        if patient.doctor_id is not None and rng.random() < 0.6:
            doctor_id: int | None = patient.doctor_id
        elif rng.random() < 0.85:
            doctor_id = rng.choices(self.doctor_ids, cum_weights=self.doctor_cum)[0]
        else:
            doctor_id = None
        notes = rng.choice(scan.d.indications) if rng.random() < 0.88 else ""
        if urgent and notes:
            notes = f"URGENT: {notes}"
        visit = _Visit(
            patient, scan, room_id, radiologist_id, doctor_id, start, end, urgent, notes,
            created_at, price, cover, copay, preauth, [],
        )  # fmt: skip
        self._play_out(visit, walk_in)
        if visit.status != AppointmentStatus.CANCELLED.value:
            grid[unit : unit + scan.units] = b"\x01" * scan.units
        return visit

    def _place(
        self,
        scan: _Scan,
        day: dt.date,
        grids: dict[int, bytearray],
        on_duty: list[tuple[int, int, int]],
    ) -> tuple[int, int, int | None] | None:
        """A free (room, start unit, radiologist on site) for ``scan`` on ``day``, if any."""
        rng = self.rng
        modality = scan.modality
        template, first, end = self.templates[day.weekday(), modality.d.open_saturday]
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
        self, scan: _Scan, urgent: bool, start: dt.datetime, day: dt.date, patient: _Patient
    ) -> tuple[dt.datetime, bool]:
        """When the appointment was booked, and whether it was a same-day booking."""
        rng = self.rng
        code = scan.modality.d.code
        ahead = (day - self.today).days
        walk_in = ahead <= 0 and (urgent or rng.random() < SAME_DAY_SHARE[code])
        if walk_in:
            booked = start - _minutes(rng, 20, 150 if not urgent else 90)
            booked = max(booked, min(self._at(day, dt.time(7)), start - dt.timedelta(minutes=5)))
        else:
            lead = 1 + int(rng.expovariate(1 / MEAN_LEAD_DAYS[code]))
            if lead < ahead:
                lead = ahead + int(rng.expovariate(1 / 3))
            booking_day = day - dt.timedelta(days=lead)
            while not self._is_open(booking_day):  # reception takes calls when it is open
                booking_day -= dt.timedelta(days=1)
            booked = self._at(booking_day, DAY_OPENS) + _minutes(rng, 0, 570)
        if booked > self.now:  # booked ahead after all, not at the desk
            booked = self.now - _minutes(rng, 1, 240)
            walk_in = False
        if patient.created_at is not None:
            booked = max(booked, patient.created_at + dt.timedelta(minutes=1))
        return min(booked, self.now, start - dt.timedelta(minutes=1)), walk_in

    def _play_out(self, visit: _Visit, walk_in: bool) -> None:
        """The visit's status changes as planned, kept up to the simulated now."""
        rng = self.rng
        start, booked = visit.start, visit.created_at
        clerk = self._receptionist()
        plan: list[tuple[str, dt.datetime, int | None, str | None]] = [
            (AppointmentStatus.PENDING.value, booked, clerk, None)
        ]
        if walk_in or start - booked < dt.timedelta(hours=3):
            confirmed = booked + _minutes(rng, 1, 4)
        elif rng.random() < 0.35:
            confirmed = booked + _minutes(rng, 2, 15)
        else:
            confirmed = start - _minutes(rng, 18 * 60, 50 * 60)
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
                cancelled = start - min(_minutes(rng, 60, 23 * 60), lead * 0.8)
            cancelled = cancelled.replace(microsecond=0)
            late = start - cancelled < dt.timedelta(hours=24)
            if confirmed < cancelled:
                plan.append((AppointmentStatus.CONFIRMED.value, confirmed, clerk, None))
            reasons = cat.LATE_CANCELLATION_REASONS if late else cat.CANCELLATION_REASONS
            plan.append(
                (
                    AppointmentStatus.CANCELLED.value,
                    cancelled,
                    self._receptionist(),
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
                        start + _minutes(rng, 30, 90),
                        self._receptionist(),
                        None,
                    )
                )
            else:
                desk = self._receptionist()
                if walk_in:
                    arrived = confirmed + _minutes(rng, 1, 4)
                elif rng.random() < 0.8:
                    arrived = start - _minutes(rng, 0, 25)
                else:
                    arrived = start + _minutes(rng, 0, 15)
                arrived = max(arrived, confirmed + dt.timedelta(minutes=1))
                late_running = rng.random() < 0.25
                began = start + (_minutes(rng, 5, 45) if late_running else _minutes(rng, -5, 5))
                began = max(began, arrived + _minutes(rng, 2, 8))
                finished = began + dt.timedelta(
                    minutes=visit.scan.d.minutes * rng.uniform(0.75, 1.2)
                )
                finished = finished.replace(microsecond=0)
                operator = visit.radiologist_id or desk
                plan.append((AppointmentStatus.ARRIVED.value, arrived, desk, None))
                plan.append((AppointmentStatus.IN_PROGRESS.value, began, operator, None))
                plan.append((AppointmentStatus.COMPLETED.value, finished, operator, None))
        visit.events = [event for event in plan if event[1] <= self.now]
        visit.status = visit.events[-1][0]
        if visit.status != AppointmentStatus.CANCELLED.value:
            visit.late = False

    # -- rows of patients and appointments

    def build_visit_rows(self) -> None:
        self.visits.sort(key=lambda v: (v.created_at, v.start, v.patient.id))
        patients = [
            (
                p.id,
                f"MIC{self.mrn_base + p.id}",
                p.first_name,
                p.last_name,
                p.date_of_birth,
                p.sex,
                p.national_id,
                p.phone,
                p.email,
                p.address,
                p.plan.id if p.plan else None,
                p.member_number,
                p.sms_opt_in,
                p.email_opt_in,
                p.created_at,
                p.created_at,
                None,
                1,
            )
            for p in self.patients
        ]
        appointments: list[Row] = []
        history: list[Row] = []
        for number, visit in enumerate(self.visits, 1):
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
                    self.manager if visit.late else None,
                    visit.events[0][2],
                    visit.created_at,
                    visit.events[-1][1],
                    len(visit.events),
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
                        self.workstation.get(who) if who else None,
                    )
                )
                previous = status
        self.rows["patient"] = patients
        self.rows["appointment"] = appointments
        self.rows["appointment_status_change"] = history

    # -- money

    def build_money(self) -> None:
        rng = self.rng
        now = self.now
        claims: list[Row] = []
        shortfalls: list[tuple[_Visit, Decimal, dt.datetime]] = []
        for visit in self.visits:
            plan = visit.patient.plan
            if (
                visit.status != AppointmentStatus.COMPLETED.value
                or plan is None
                or visit.cover <= 0
            ):
                continue
            completed = visit.events[-1][1]
            submitted = completed + _minutes(rng, 20, 300)
            if submitted > now:
                continue
            decided = submitted + dt.timedelta(days=rng.uniform(12, 55))
            decided = decided.replace(microsecond=0)
            no_preauth = (
                self._needs_preauthorisation(plan, visit.scan, visit.cover) and not visit.preauth
            )
            draw = rng.random()
            settled: Decimal | None = None
            settled_at: dt.datetime | None = None
            shortfall = Decimal("0.00")
            notes = None
            if decided > now:
                status = ClaimStatus.SUBMITTED.value
            elif no_preauth or draw < 0.025:
                # As PaymentService.reject_claim: nothing paid, the patient owes it all.
                status = ClaimStatus.REJECTED.value
                settled, settled_at, shortfall = Decimal("0.00"), decided, visit.cover
                notes = cat.CLAIM_NO_PREAUTH_NOTE
                if not no_preauth:
                    notes = rng.choice(cat.CLAIM_REJECTION_NOTES)
            elif draw < 0.175:
                status = ClaimStatus.SETTLED.value
                settled = _money(visit.cover * Decimal(str(round(rng.uniform(0.55, 0.92), 3))))
                settled_at, shortfall = decided, visit.cover - settled
                notes = rng.choice(cat.CLAIM_SHORT_PAID_NOTES)
            else:
                status = ClaimStatus.SETTLED.value
                settled, settled_at = visit.cover, decided
            if shortfall > 0 and settled_at is not None:
                shortfalls.append((visit, shortfall, settled_at))
            claims.append(
                (
                    0,
                    visit.id,
                    plan.id,
                    visit.patient.member_number,
                    visit.cover,
                    status,
                    submitted,
                    settled,
                    settled_at,
                    shortfall,
                    notes,
                    1 if status == ClaimStatus.SUBMITTED.value else 2,
                )
            )
        claims.sort(key=lambda row: (row[6], row[1]))
        self.rows["medical_aid_claim"] = [(n, *row[1:]) for n, row in enumerate(claims, 1)]

        # Payments: (received_at, order, patient, visit, method, amount, refund of, reason)
        payments: list[list[Any]] = []

        def pay(visit: _Visit, amount: Decimal, at: dt.datetime, later: bool = False) -> None:
            if at > now or amount <= 0:
                return
            weights = _LATER_METHOD_CUM if later else _METHOD_CUM
            method = rng.choices(_METHODS, cum_weights=weights)[0]
            payments.append([at, len(payments), visit, method, amount, None, None])

        for visit in self.visits:
            if visit.copay <= 0 or visit.status not in _CHECKED_IN:
                continue
            arrived = next(at for status, at, _, _ in visit.events if status == _ARRIVED)
            at_desk = arrived + _minutes(rng, 1, 6)
            later = at_desk + dt.timedelta(days=rng.uniform(2, 30))
            draw = rng.random()
            if draw < 0.03:  # nothing paid on the day
                if rng.random() < 0.5:
                    pay(visit, visit.copay, later, later=True)
            elif draw < 0.075 and visit.copay > 10:
                part = Decimal(max(5, int(float(visit.copay) * rng.uniform(0.3, 0.7)) // 5 * 5))
                pay(visit, part, at_desk)
                if rng.random() < 0.75:
                    pay(visit, visit.copay - part, later, later=True)
            else:
                pay(visit, visit.copay, at_desk)
        for visit, shortfall, settled_at in shortfalls:
            if rng.random() < 0.55:
                pay(visit, shortfall, settled_at + dt.timedelta(days=rng.uniform(3, 40)), True)
        for first in list(payments):
            # Now and then a visit is paid twice; the second payment is refunded.
            if rng.random() < 0.006:
                twice = first[0] + _minutes(rng, 2, 90)
                refunded = twice + dt.timedelta(days=rng.uniform(1, 10))
                if refunded <= now:
                    method = rng.choice(_METHODS)
                    duplicate = [twice, len(payments), first[2], method, first[4], None, None]
                    payments.append(duplicate)
                    reason = rng.choice(cat.REFUND_REASONS)
                    payments.append(
                        [refunded, len(payments), first[2], method, -first[4], duplicate, reason]
                    )
        payments.sort(key=lambda p: (p[0], p[1]))
        rows: list[Row] = []
        ids: dict[int, int] = {}
        for number, (at, order, visit, method, amount, refund_of, reason) in enumerate(payments, 1):
            at = at.replace(microsecond=0)
            ids[order] = number
            clerk = self._receptionist()
            rows.append(
                (
                    number,
                    f"R{number:07d}",
                    visit.patient.id,
                    visit.id,
                    method,
                    amount,
                    self._tendered(amount) if method == PaymentMethod.CASH.value else None,
                    self._payment_reference(method, at),
                    ids[refund_of[1]] if refund_of else None,
                    reason,
                    clerk,
                    at,
                    self.workstation[clerk],
                )
            )
        self.rows["payment"] = rows

    def _tendered(self, amount: Decimal) -> Decimal | None:
        rng = self.rng
        if amount < 0 or rng.random() < 0.4:
            return amount if amount > 0 else None
        note = rng.choice((10, 20, 50))
        return Decimal(math.ceil(amount / note) * note).quantize(CENT)

    def _payment_reference(self, method: str, at: dt.datetime) -> str | None:
        rng = self.rng
        if method == PaymentMethod.CARD.value:
            return f"AUTH {rng.randint(0, 999999):06d}"
        if method == PaymentMethod.EFT.value:
            return f"EFT{at:%y%m%d}{rng.randint(0, 9999):04d}"
        if method == PaymentMethod.MOBILE_MONEY.value:
            letter = rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")
            return f"MP{at:%y%m%d.%H%M}.{letter}{rng.randint(10000, 99999)}"
        return None

    # -- reports

    def _reporting_time(self, moment: dt.datetime) -> dt.datetime:
        """``moment``, or the next morning when it falls at night, on a Sunday or holiday."""
        local = moment.astimezone(self.zone)
        if 7 <= local.hour < 19 and self._is_open(local.date()):
            return moment
        day = local.date() if local.hour < 7 else local.date() + dt.timedelta(days=1)
        while not self._is_open(day):
            day += dt.timedelta(days=1)
        return self._at(day, DAY_OPENS) + _minutes(self.rng, 0, 150)

    def build_reports(self) -> None:
        rng = self.rng
        now = self.now
        reports: list[Row] = []
        addenda: list[Row] = []
        critical: list[list[Any]] = []
        access: list[Row] = []
        for visit in self.visits:
            if visit.status != AppointmentStatus.COMPLETED.value:
                continue
            report_id = len(reports) + 1
            completed = visit.events[-1][1]
            scan = visit.scan
            if visit.urgent:
                hours = rng.lognormvariate(math.log(0.8), 0.6)
            else:
                hours = rng.lognormvariate(math.log(2.5), 0.85)
                if rng.random() < 0.08:
                    hours += rng.uniform(18, 96)
            finalised = self._reporting_time(
                (completed + dt.timedelta(hours=hours)).replace(microsecond=0)
            )
            claimed = max(completed + dt.timedelta(minutes=2), finalised - _minutes(rng, 8, 40))
            age = (now - completed) / dt.timedelta(days=1)
            backlog = REPORT_BACKLOG * math.exp(-age) * (0.3 if visit.urgent else 1.0)
            if finalised <= now and age < 3 and rng.random() < backlog:
                # Still on the worklist: some drafts started, the rest not yet claimed.
                finalised = now + dt.timedelta(days=1)
                claimed = finalised
                if rng.random() < 0.5:
                    claimed = max(completed + dt.timedelta(minutes=2), now - _minutes(rng, 5, 120))
            radiologist = visit.radiologist_id
            if radiologist is None or (radiologist, finalised.date()) in self.on_leave:
                present = [r for r, _, _ in self._on_duty(finalised.date())]
                radiologist = rng.choice(present or self.radiologists)
            crisis = None
            if scan.d.critical and rng.random() < CRITICAL_RATE[scan.modality.d.code]:
                crisis = rng.choice(scan.d.critical)
                findings, impression = crisis[0], crisis[1]
            elif rng.random() < 0.62:
                findings, impression = scan.d.reports[0]
            else:
                findings, impression = rng.choice(scan.d.reports[1:] or scan.d.reports)
            reviewed_at = reviewer = None
            if finalised <= now:
                status = ReportStatus.COMPLETED.value
                if rng.random() < 0.07:
                    review = finalised + dt.timedelta(days=rng.uniform(1, 10))
                    if review <= now:
                        status = ReportStatus.REVIEWED.value
                        reviewed_at = review.replace(microsecond=0)
                        others = [r for r in self.radiologists if r != radiologist]
                        reviewer = rng.choice(others or self.radiologists)
                signed = self.signature[radiologist]
                reports.append(
                    (
                        report_id, visit.id, status, radiologist, claimed, findings, impression,
                        finalised, radiologist, signed, reviewed_at, reviewer, completed,
                        reviewed_at or finalised, reviewer or radiologist, 4 if reviewer else 3,
                    )
                )  # fmt: skip
                if crisis is not None:
                    critical.append([report_id, crisis[2], radiologist, finalised, visit])
                if rng.random() < 0.02:
                    at = finalised + _minutes(rng, 180, 6 * 24 * 60)
                    if at <= now:
                        text_ = rng.choice(cat.ADDENDA)
                        addenda.append(
                            (len(addenda) + 1, report_id, text_, radiologist, signed, at)
                        )
                for action, staff, share in (
                    (ReportAccessAction.VIEW.value, radiologist, 0.15),
                    (ReportAccessAction.PRINT.value, None, 0.4),
                ):
                    at = finalised + _minutes(rng, 30, 3 * 24 * 60)
                    if rng.random() < share and at <= now:
                        who = staff or self._receptionist()
                        detail = "Copy for the patient" if staff is None else None
                        access.append(
                            (0, report_id, who, action, detail, self.workstation[who], at)
                        )
            elif claimed <= now:
                draft = findings.split(". ")[0] + "."
                reports.append(
                    (
                        report_id, visit.id, ReportStatus.IN_PROGRESS.value, radiologist,
                        claimed, draft, "", None, None, None, None, None, completed,
                        claimed, radiologist, 2,
                    )
                )  # fmt: skip
            else:
                reports.append(
                    (
                        report_id, visit.id, ReportStatus.PENDING.value, None, None, "", "",
                        None, None, None, None, None, completed, completed, None, 1,
                    )
                )  # fmt: skip
        self.rows["report"] = reports
        self.rows["report_addendum"] = addenda
        self.report_finalised = {row[1]: row[7] for row in reports}
        critical.sort(key=lambda c: c[3])
        findings_rows: list[Row] = []
        for index, (report_id, description, radiologist, flagged, visit) in enumerate(critical):
            told = flagged + _minutes(rng, 5, 40)
            still_open = index >= len(critical) - OPEN_CRITICAL_FINDINGS or told > now
            doctor = self.doctor_names.get(visit.doctor_id) if visit.doctor_id else None
            findings_rows.append(
                (
                    index + 1, report_id, description, radiologist, flagged,
                    None if still_open else doctor or "Casualty officer on duty",
                    None if still_open else "phone",
                    None if still_open else told,
                    None if still_open else radiologist,
                    None if still_open else told,
                )
            )  # fmt: skip
        self.rows["critical_finding"] = findings_rows
        access.sort(key=lambda row: (row[6], row[1]))
        self.rows["report_access_log"] = [(n, *row[1:]) for n, row in enumerate(access, 1)]

    # -- feedback

    def build_feedback(self) -> None:
        rng = self.rng
        rows: list[Row] = []
        ratings = [rating for rating, _ in OVERALL_RATING_WEIGHTS]
        rating_cum = list(itertools.accumulate(weight for _, weight in OVERALL_RATING_WEIGHTS))

        def near(value: int, spread: tuple[int, ...]) -> int:
            return min(5, max(1, value + rng.choice(spread)))

        for visit in self.visits:
            if visit.status != AppointmentStatus.COMPLETED.value or rng.random() >= FEEDBACK_SHARE:
                continue
            completed = visit.events[-1][1]
            submitted = completed + _minutes(rng, 15, 48 * 60)
            if submitted > self.now:
                continue
            overall = rng.choices(ratings, cum_weights=rating_cum)[0]
            waited = visit.events[-2][1] - visit.events[-3][1]
            if waited > dt.timedelta(minutes=30) and rng.random() < 0.5:
                overall = max(1, overall - 1)
            finalised = self.report_finalised.get(visit.id)
            clarity = None
            if finalised is not None and finalised <= submitted and rng.random() < 0.8:
                clarity = near(overall, (-1, 0, 0, 1))
            comments = ""
            if rng.random() < 0.35:
                if overall >= 4:
                    comments = rng.choice(cat.FEEDBACK_COMMENTS_GOOD)
                elif overall == 3:
                    comments = rng.choice(cat.FEEDBACK_COMMENTS_MIXED)
                else:
                    comments = rng.choice(cat.FEEDBACK_COMMENTS_BAD)
            rows.append(
                (
                    0,
                    visit.id,
                    overall,
                    near(overall, (-1, 0, 0, 0, 1)),
                    near(overall, (-1, 0, 0, 1)),
                    clarity,
                    rng.random() < RECOMMEND_BY_RATING[overall],
                    comments,
                    submitted,
                )
            )
        rows.sort(key=lambda row: (row[8], row[1]))
        self.rows["patient_feedback"] = [(n, *row[1:]) for n, row in enumerate(rows, 1)]


_ARRIVED = AppointmentStatus.ARRIVED.value
_MOBILE_PREFIXES = [prefix for prefix, _ in cat.MOBILE_PREFIXES]
_MOBILE_CUM = list(itertools.accumulate(weight for _, weight in cat.MOBILE_PREFIXES))
_METHODS = [method for method, _ in PAYMENT_METHODS]
_METHOD_CUM = list(itertools.accumulate(weight for _, weight in PAYMENT_METHODS))
_LATER_METHOD_CUM = list(itertools.accumulate((15, 15, 40, 30)))  # balances: more EFT
_CHECKED_IN = frozenset(
    (
        AppointmentStatus.ARRIVED.value,
        AppointmentStatus.IN_PROGRESS.value,
        AppointmentStatus.COMPLETED.value,
    )
)


def _units(moment: dt.time) -> int:
    """5-minute units from 07:30."""
    return (moment.hour * 60 + moment.minute - (DAY_OPENS.hour * 60 + DAY_OPENS.minute)) // 5


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
