"""The shape of the simulated clinic: the rates and volumes that tune it, and its calendar.

Every number a demo phase draws against lives here (weekly and seasonal volumes, the
age and sex mix, lead times, cancellations, report backlog, payment methods,
feedback), next to the booking grid (5-minute units from 07:30), Zimbabwe's public
holidays and the small time and money helpers the phases share.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from mic_desktop.models import PaymentMethod

VISITS_PER_PATIENT = 1.7
FUTURE_DAYS = 21
UNIT = dt.timedelta(minutes=5)  # booking grid
DAY_OPENS = dt.time(7, 30)
DAY_UNITS = 114  # 07:30-17:00
ROOM_UTILISATION = 0.85  # rooms are added when an average recent weekday (its cancellations
# and no-shows included) would book more of a room than this; that is about 70 % utilised
WEEKDAY_FACTOR = (1.25, 1.2, 1.05, 1.0, 0.95, 0.35, 0.0)
# The Christmas and New Year weeks are thinner on their own (see setup._plan_calendar).
MONTH_FACTOR = (0.9, 0.95, 1.05, 0.97, 1.05, 1.0, 1.04, 0.98, 1.05, 1.06, 1.02, 0.95)
# A young clinic that grew fast: a year ago it saw 1 / 1.8 of today's volume; so the
# recent months fill the rooms while the older history stays thinner (and quicker to load).
GROWTH_PER_YEAR = 0.8
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

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


# --- Calendar ---------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def easter(year: int) -> dt.date:
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


def public_holidays(first_year: int, last_year: int) -> set[dt.date]:
    """Zimbabwe's public holidays; one on a Sunday moves to the Monday."""
    days: set[dt.date] = set()
    for year in range(first_year, last_year + 1):
        fixed = [(1, 1), (2, 21), (4, 18), (5, 1), (5, 25), (12, 22), (12, 25), (12, 26)]
        for month, day in fixed:
            holiday = dt.date(year, month, day)
            days.add(holiday)
            if holiday.weekday() == 6:
                days.add(holiday + dt.timedelta(days=1 if (month, day) != (12, 25) else 2))
        sunday = easter(year)
        days.update(sunday + dt.timedelta(days=n) for n in (-2, -1, 1))
        first_monday = dt.date(year, 8, 1) + dt.timedelta(
            days=(7 - dt.date(year, 8, 1).weekday()) % 7
        )
        heroes = first_monday + dt.timedelta(days=7)
        days.update((heroes, heroes + dt.timedelta(days=1)))
    return days


# --- Small helpers ----------------------------------------------------------------------------


def grid_unit(moment: dt.time) -> int:
    """5-minute units from 07:30."""
    return (moment.hour * 60 + moment.minute - (DAY_OPENS.hour * 60 + DAY_OPENS.minute)) // 5


def random_minutes(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(seconds=rng.randint(int(low * 60), int(high * 60)))


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
