"""A date column is as wide as any day needs, not only the days shown today.

The audit log's "When" column once had a fixed 170 px: whole for "Wed 18 Nov 2026 10:30"
but clipped for "Sun 28 Mar 2027 02:37", so the manager's page broke on some days only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pytestqt.qtbot import QtBot

from mic_desktop.services.formats import format_datetime
from mic_desktop.ui.common.table import EVERY_DATETIME, Column, ListPage
from tests.ui.clipping import clipped_texts

ZONE = dt.UTC
ROWS_ON_SCREEN = 12


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    what: str


def _page(qtbot: QtBot, when: Column) -> ListPage:
    page = ListPage(
        "Audit log",
        [when, Column("What", lambda e: e.what, stretch=True)],
        empty_headline="No entries",
        empty_text="Nothing was recorded.",
    )
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    qtbot.waitExposed(page)
    return page


def test_every_day_and_time_of_two_years_shows_whole(qtbot: QtBot) -> None:
    page = _page(qtbot, Column("When", lambda e: format_datetime(e.at, ZONE), fits=EVERY_DATETIME))
    first = dt.datetime(2026, 1, 1, 0, 0, tzinfo=ZONE)
    # Every day of 2026 and 2027 at the hours that draw widest and narrowest.
    moments = [
        first + dt.timedelta(days=day, hours=hour, minutes=minute)
        for day in range(730)
        for hour, minute in ((0, 0), (11, 11), (20, 48), (23, 59))
    ]
    findings = []
    for start in range(0, len(moments), ROWS_ON_SCREEN):
        rows = [Entry(at, "signed in") for at in moments[start : start + ROWS_ON_SCREEN]]
        page.show_rows(rows)
        findings += clipped_texts(page, "dates")
    assert findings == []


def test_a_fixed_width_too_narrow_for_some_days_is_caught(qtbot: QtBot) -> None:
    """The check above can fail: a fixed width clips the widest days."""
    page = _page(qtbot, Column("When", lambda e: format_datetime(e.at, ZONE), width=120))
    page.show_rows([Entry(dt.datetime(2027, 3, 28, 2, 37, tzinfo=ZONE), "signed in")])
    assert [f.text for f in clipped_texts(page, "dates")] == ["Sun 28 Mar 2027 02:37"]
