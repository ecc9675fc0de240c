"""This workstation hears of its own changes when they commit, never when they roll back."""

from __future__ import annotations

import pytest

from mic_desktop.db import Database
from mic_desktop.services.live import LiveChannel, notify, watch_commits


def test_notifications_reach_the_watcher_after_commit_only(database: Database) -> None:
    heard: list[tuple[str, str]] = []
    stop = watch_commits(database.session_factory, lambda c, p: heard.append((c, p)))
    try:
        with database.session() as session:
            notify(session, LiveChannel.PATIENT, 7)
            notify(session, LiveChannel.PAYMENT, 7)
            assert heard == []  # not before the commit
        assert heard == [("mic_patient", "7"), ("mic_payment", "7")]

        heard.clear()
        with pytest.raises(RuntimeError), database.session() as session:
            notify(session, LiveChannel.APPOINTMENT, 9)
            raise RuntimeError("rolled back")
        with database.session() as session:  # a later commit does not carry it either
            pass
        assert heard == []
    finally:
        stop()
    with database.session() as session:
        notify(session, LiveChannel.PATIENT, 8)
    assert heard == []  # no longer watched
