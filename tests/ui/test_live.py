"""Live updates: NOTIFYs committed elsewhere reach the GUI, coalesced; a lost connection resets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import URL, create_engine, text

from mic_desktop.db import Database
from mic_desktop.live_listener import APPLICATION_NAME
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.ui.common.live import LiveUpdates


@pytest.fixture
def live(qtbot: QtBot, db_url: URL) -> Iterator[LiveUpdates]:
    updates = LiveUpdates(db_url, (LiveChannel.APPOINTMENT, LiveChannel.REPORT), quiet_ms=100)
    updates.start()
    assert updates.listener is not None
    qtbot.waitUntil(updates.listener.listening.is_set, timeout=10_000)
    yield updates
    updates.stop()


def test_a_committed_change_arrives_and_a_rolled_back_one_does_not(
    qtbot: QtBot, live: LiveUpdates, database: Database
) -> None:
    with pytest.raises(RuntimeError), database.session() as session:
        notify(session, LiveChannel.APPOINTMENT, 99)
        raise RuntimeError("rolled back")
    with qtbot.waitSignal(live.changed, timeout=2_000) as arrived, database.session() as session:
        notify(session, LiveChannel.APPOINTMENT, 7)
    assert arrived.args == ["mic_appointment", frozenset({"7"})]


def test_a_burst_is_one_emission_per_channel(
    qtbot: QtBot, live: LiveUpdates, database: Database
) -> None:
    received: list[tuple[str, frozenset[str]]] = []
    live.changed.connect(lambda channel, ids: received.append((channel, ids)))
    with database.session() as session:
        for appointment in range(10):
            notify(session, LiveChannel.APPOINTMENT, appointment)
        notify(session, LiveChannel.REPORT, 3)
        notify(session, LiveChannel.OUTBOX, 1)  # not listened to
    qtbot.waitUntil(lambda: len(received) == 2, timeout=2_000)
    assert dict(received) == {
        "mic_appointment": frozenset(str(n) for n in range(10)),
        "mic_report": frozenset({"3"}),
    }


def test_fifty_separate_commits_are_one_emission(
    qtbot: QtBot, db_url: URL, database: Database
) -> None:
    """Each booking commits on its own, as from another desk; the views reload once."""
    updates = LiveUpdates(db_url, (LiveChannel.APPOINTMENT,), quiet_ms=300, longest_wait_ms=60_000)
    updates.start()
    assert updates.listener is not None
    qtbot.waitUntil(updates.listener.listening.is_set, timeout=10_000)
    received: list[frozenset[str]] = []
    updates.changed.connect(lambda _channel, ids: received.append(ids))
    try:
        for appointment in range(50):
            with database.session() as session:
                notify(session, LiveChannel.APPOINTMENT, appointment)
        qtbot.waitUntil(lambda: len(received) == 1, timeout=5_000)
        qtbot.wait(500)  # nothing more trickles in after the burst
        assert received == [frozenset(str(n) for n in range(50))]
    finally:
        updates.stop()


def test_a_burst_that_never_pauses_is_still_delivered(
    qtbot: QtBot, db_url: URL, database: Database
) -> None:
    updates = LiveUpdates(db_url, (LiveChannel.APPOINTMENT,), quiet_ms=60_000, longest_wait_ms=200)
    updates.start()
    assert updates.listener is not None
    qtbot.waitUntil(updates.listener.listening.is_set, timeout=10_000)
    try:
        with (
            qtbot.waitSignal(updates.changed, timeout=5_000) as arrived,
            database.session() as session,
        ):
            notify(session, LiveChannel.APPOINTMENT, 1)
        assert arrived.args == ["mic_appointment", frozenset({"1"})]
    finally:
        updates.stop()


def test_a_lost_connection_reconnects_and_resets(
    qtbot: QtBot, live: LiveUpdates, db_url: URL, database: Database
) -> None:
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with qtbot.waitSignal(live.reset, timeout=15_000), admin.connect() as conn:
        killed = conn.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": APPLICATION_NAME},
        )
        assert killed == 1
    admin.dispose()
    assert live.listener is not None and live.listener.connections == 2
    with qtbot.waitSignal(live.changed, timeout=2_000) as arrived, database.session() as session:
        notify(session, LiveChannel.REPORT, 5)  # listening again after the reset
    assert arrived.args == ["mic_report", frozenset({"5"})]
