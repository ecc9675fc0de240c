"""The demo clinic being generated: its shared state and the records the phases pass on.

:class:`DemoClinic` holds the spec, the one ``random.Random(seed)`` every phase draws
from (so the call order of the phases fixes the data), the simulated now, the
calendar and the rows generated so far, table by table. Each phase module
(:mod:`.setup`, :mod:`.appointments`, :mod:`.patients`, :mod:`.money`,
:mod:`.reports`) fills the attributes named below for the phases after it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from mic_desktop.models import AppointmentStatus
from mic_desktop.services.billing.pricing import medical_aid_cover
from mic_desktop.services.demo import catalogue as cat
from mic_desktop.services.demo.shape import (
    AGE_BAND_SHARE,
    FUTURE_DAYS,
    add_months,
    public_holidays,
)
from mic_desktop.services.demo.spec import FIXED_CLOCK, DemoSpec

Row = tuple[Any, ...]
# (to status, when, who, reason) of one status change of a visit
Event = tuple[str, dt.datetime, int | None, str | None]


@dataclass(slots=True)
class SimPlan:
    id: int
    scheme: cat.SchemeDef
    default_percent: Decimal
    rules: dict[int, tuple[Decimal, Decimal | None, bool]]  # scan id -> (%, cap, pre-auth)


@dataclass(slots=True)
class SimModality:
    id: int
    d: cat.ModalityDef
    room_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class SimScan:
    id: int
    d: cat.ScanDef
    modality: SimModality
    units: int
    price_from: list[dt.datetime]
    prices: list[Decimal]

    def price_at(self, moment: dt.datetime) -> Decimal:
        return self.prices[max(bisect.bisect_right(self.price_from, moment) - 1, 0)]


@dataclass(slots=True)
class SimPatient:
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
    plan: SimPlan | None
    member_number: str | None
    sms_opt_in: bool
    email_opt_in: bool
    created_at: dt.datetime | None = None
    last_day: dt.date | None = None
    doctor_id: int | None = None


@dataclass(slots=True)
class SimVisit:
    patient: SimPatient
    scan: SimScan
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
    events: list[Event]  # the ones that happened by "now"
    status: str = AppointmentStatus.PENDING.value
    late: bool = False
    id: int = 0


class DemoClinic:
    """The demo clinic's state while its rows are generated table by table into ``rows``."""

    # Filled by setup.build_setup: staff and rotas
    workstation: dict[int, str]
    receptionists: list[int]
    reception_cum: list[int]
    radiologists: list[int]
    manager: int
    signature: dict[int, str]  # radiologist -> signed name
    weekly: dict[int, list[tuple[int, int, int]]]  # weekday -> (radiologist, first, end unit)
    on_leave: set[tuple[int, dt.date]]
    # ... rooms, the day grid and the planned volume per day
    modalities: dict[str, SimModality]
    templates: dict[tuple[int, str], tuple[bytearray, int, int]]  # (weekday, modality)
    days: list[dt.date]
    day_counts: list[int]
    day_weights: list[float]
    bucket_cum: list[list[float]]  # per (sex, age band): cumulative scan weights
    # ... scan menu, medical aids and referring doctors
    scans: list[SimScan]
    plans: list[SimPlan]
    plan_cum: list[float]
    cover_cache: dict[tuple[int, int, Decimal], tuple[Decimal, Decimal]]
    doctor_names: dict[int, str]
    doctor_ids: list[int]
    doctor_cum: list[float]
    # Filled by reports.build_reports: appointment id -> finalised at (None: not yet)
    report_finalised: dict[int, dt.datetime | None]

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
        self.first_day = add_months(self.today, -spec.months)
        self.last_day = self.today + dt.timedelta(days=FUTURE_DAYS)
        # The clinic opened at least a year before the simulated period and the price history.
        opened = add_months(self.today, -max(spec.months, 24) - 12).replace(day=1)
        self.opened = self.at(opened)
        self.holidays = public_holidays(self.first_day.year - 1, self.last_day.year + 1)
        self.mrn_base = 100000
        self.visits: list[SimVisit] = []
        self.patients: list[SimPatient] = []
        self.used_phones: set[str] = set()
        self.used_ids: set[str] = set()
        self.used_emails: set[str] = set()
        self.age_cum = list(itertools.accumulate(AGE_BAND_SHARE))
        self.surnames = [name for name, _ in cat.SURNAMES]
        self.surname_cum = list(itertools.accumulate(weight for _, weight in cat.SURNAMES))
        self.town_cum = list(itertools.accumulate(town.weight for town in cat.TOWNS))

    def at(self, day: dt.date, clock: dt.time = dt.time(0)) -> dt.datetime:
        return dt.datetime.combine(day, clock, tzinfo=self.zone)

    def is_open(self, day: dt.date) -> bool:
        return day.weekday() != 6 and day not in self.holidays

    def receptionist(self) -> int:
        return self.rng.choices(self.receptionists, cum_weights=self.reception_cum)[0]

    def on_duty(self, day: dt.date) -> list[tuple[int, int, int]]:
        """(radiologist, first unit, end unit) of everyone at work on ``day``."""
        if not self.is_open(day):
            return []
        return [r for r in self.weekly[day.weekday()] if (r[0], day) not in self.on_leave]

    def cover(self, plan: SimPlan | None, scan: SimScan, price: Decimal) -> tuple[Decimal, Decimal]:
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


def needs_preauthorisation(plan: SimPlan | None, scan: SimScan, cover: Decimal) -> bool:
    """The rule of :func:`mic_desktop.services.billing.pricing.quote_in`."""
    if plan is None or cover <= 0:
        return False
    return scan.d.preauthorisation or plan.rules.get(scan.id, (0, 0, False))[2]
