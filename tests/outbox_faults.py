"""Fault injection for the outbox tests: a trigger that records every status change of an
outbox row, faults planted in the database, a cutter of connections, and a hold for a
provider's thread while a message is in flight."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from mic_desktop.db import Database
from mic_desktop.models import OutboxMessage

WAIT = 30.0  # seconds: a hang guard for events that come in milliseconds

HISTORY = """
CREATE TABLE test_outbox_history (
    n bigserial PRIMARY KEY, message_id integer, old_status text, new_status text);
CREATE FUNCTION test_outbox_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO test_outbox_history (message_id, old_status, new_status)
        VALUES (NEW.id, OLD.status, NEW.status);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER test_outbox_history AFTER UPDATE ON outbox_message
    FOR EACH ROW EXECUTE FUNCTION test_outbox_history();
"""

# The first write of ``sent`` fails (``raise``) or hangs until its connection is cut.
FAULT = """
CREATE SEQUENCE test_fault_once;
CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'sent' AND nextval('test_fault_once') = 1 THEN
        {action};
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER test_fault BEFORE UPDATE ON outbox_message
    FOR EACH ROW EXECUTE FUNCTION test_fault();
"""
RAISE = "RAISE EXCEPTION 'injected fault: the outcome cannot be written'"
HANG = "PERFORM pg_sleep(60)"


def execute(database: Database, script: str) -> None:
    with database.engine.begin() as conn:
        conn.exec_driver_sql(script)


def history(database: Database, message_id: int) -> list[tuple[str, str]]:
    with database.engine.connect() as conn:
        return [
            (row.old_status, row.new_status)
            for row in conn.execute(
                text(
                    "SELECT old_status, new_status FROM test_outbox_history "
                    "WHERE message_id = :id ORDER BY n"
                ),
                {"id": message_id},
            )
        ]


class ConnectionCutter(threading.Thread):
    """From another connection: terminate the backend that sleeps in the fault trigger."""

    def __init__(self, database: Database) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.cut = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        query = text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE wait_event = 'PgSleep' AND datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        # Autocommit: each look at pg_stat_activity sees it anew.
        with self.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            while not self.done.wait(0.02):
                if conn.execute(query).first() is not None:
                    self.cut.set()
                    return


def row(database: Database, message_id: int) -> OutboxMessage:
    with database.session() as session:
        found = session.get(OutboxMessage, message_id)
        assert found is not None
        return found


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """A hang guard, not a timing assertion."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


class Hold:
    """Holds the provider's thread (once) while the message is in flight."""

    def __init__(self, result: Any = None) -> None:
        self.in_flight = threading.Event()
        self.proceed = threading.Event()
        self.result = result
        self.used = False

    def __call__(self, *_args: object) -> Any:
        if not self.used:
            self.used = True
            self.in_flight.set()
            self.proceed.wait(WAIT)
        return self.result
