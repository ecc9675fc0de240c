"""What a demo load is asked for and what it gives back.

:class:`DemoSpec` (size, seed and anchor date), the demo logins (:data:`DEMO_ACCOUNTS`,
one per role), :class:`DemoSummary` and :class:`DemoDataError`. The same spec always
gives the same rows; with a fixed ``today`` the simulated clock stands at
:data:`FIXED_CLOCK` that morning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from mic_desktop.models import Role
from mic_desktop.services.errors import ServiceError

Progress = Callable[[int, int, str], None]

FIXED_CLOCK = dt.time(10, 30)  # the simulated time of day when DemoSpec.today is given


@dataclass(frozen=True)
class DemoSpec:
    patients: int = 16500  # with months=24: rooms 55-65 % utilised on recent weekdays
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


@dataclass(frozen=True)
class DemoSummary:
    counts: dict[str, int]  # table name -> rows inserted
    seconds: float


class DemoDataError(ServiceError):
    """The demo data cannot be loaded; the message says why."""
