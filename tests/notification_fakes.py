"""Helpers for the notification tests: a Twilio stand-in at the HTTP layer, a clock, data.

:class:`FakeTwilio` is a :class:`twilio.http.HttpClient` subclass: the real twilio
SDK builds every request and parses every answer; this class records the requests
and answers with canned Twilio JSON (message created, error codes, lists, fetches),
or raises the ``requests`` exception a real network would. No network is used,
except by :class:`TwilioOverHttp`, which serves the same fake on a local port for
a dispatcher in another process. :class:`SmtpServer` is a real SMTP server
(aiosmtpd) on a local port that keeps what it receives and can hold or drop a
connection once a message has been handed over.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import itertools
import json
import logging
import socket
import threading
import uuid
from base64 import b64decode
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

import requests
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from twilio.http import HttpClient
from twilio.http.response import Response

from mic_desktop.config import SmtpSecurity, SmtpSettings
from mic_desktop.models import (
    Appointment,
    ClinicSettings,
    Modality,
    Patient,
    ReferringDoctor,
    Room,
    ScanType,
)
from mic_desktop.services.messaging.email import SmtpMailer

ACCOUNT_SID = "AC" + "1234567890abcdef" * 2
AUTH_TOKEN = "tok-" + uuid.uuid4().hex  # unique per run: easy to search for in logs
SENDER = "+15005550006"


class FakeClock:
    """A controllable UTC clock."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self.now

    def advance(self, **delta: float) -> dt.datetime:
        with self._lock:
            self.now += dt.timedelta(**delta)
            return self.now

    def set(self, when: dt.datetime) -> None:
        with self._lock:
            self.now = when


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    data: dict[str, Any]
    auth_user: str | None
    auth_password: str | None
    timeout: float | None


# Outcomes a test can script for the next POSTs (message creations).
OK = "ok"
TIMEOUT_AFTER_CREATE = "timeout-after-create"  # Twilio has it, the answer was lost
TIMEOUT_BEFORE_CREATE = "timeout-before-create"  # the request was lost on the way
CONNECT_ERROR = "connect-error"  # no connection at all


@dataclass(frozen=True)
class TwilioError:
    status: int
    code: int | None
    message: str


INVALID_NUMBER = TwilioError(400, 21211, "The 'To' number +2630000 is not a valid phone number.")
UNSUBSCRIBED = TwilioError(400, 21610, "Attempt to send to unsubscribed recipient")
TOO_MANY_REQUESTS = TwilioError(429, 20429, "Too Many Requests")
SERVER_ERROR = TwilioError(500, 20500, "Internal Server Error")
BAD_CREDENTIALS = TwilioError(401, 20003, "Authenticate")
INVALID_NUMBER_PROBLEM = {
    "type": "https://www.twilio.com/docs/errors/21211",
    "title": "Invalid 'To' Phone Number",
    "status": 400,
    "code": 21211,
    "detail": "The 'To' number +2630000 is not a valid phone number.",
}


@dataclass
class FakeTwilio(HttpClient):
    """Twilio's Messages API, in memory, thread-safe."""

    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    requests: list[RecordedRequest] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    script: deque[Any] = field(default_factory=deque)
    delivery: dict[str, deque[tuple[str, int | None]]] = field(default_factory=dict)
    on_create: Callable[[dict[str, Any]], None] | None = None

    def __post_init__(self) -> None:
        super().__init__(logging.getLogger("tests.fake_twilio"), is_async=False, timeout=None)
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)

    # --- what tests look at ------------------------------------------------------------

    def posts(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST"]

    def created_bodies(self) -> list[str]:
        with self._lock:
            return [message["body"] for message in self.messages.values()]

    def set_delivery(self, sid: str, *statuses: str | tuple[str, int]) -> None:
        steps = deque((s, None) if isinstance(s, str) else s for s in statuses)
        with self._lock:
            self.delivery[sid] = steps

    # --- the HTTP client ---------------------------------------------------------------

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        path = urlparse(uri).path
        recorded = RecordedRequest(
            method=method.upper(),
            path=path,
            params=dict(params or {}),
            data=dict(data or {}),
            auth_user=auth[0] if auth else None,
            auth_password=auth[1] if auth else None,
            timeout=timeout if timeout is not None else self.timeout,
        )
        with self._lock:
            self.requests.append(recorded)
        if recorded.method == "POST" and path.endswith("/Messages.json"):
            return self._create(recorded)
        if recorded.method == "GET" and path.endswith("/Messages.json"):
            return self._list(recorded)
        if recorded.method == "GET" and "/Messages/" in path:
            return self._fetch(path.rsplit("/", 1)[-1].removesuffix(".json"))
        return _json(404, {"code": 20404, "message": "Not found", "status": 404})

    def _create(self, request: RecordedRequest) -> Response:
        with self._lock:
            outcome = self.script.popleft() if self.script else OK
        if callable(outcome):
            outcome = outcome(request) or OK
        if isinstance(outcome, dict):  # an RFC 9457 problem answer, as newer APIs give
            return _json(int(outcome["status"]), outcome)
        if isinstance(outcome, TwilioError):
            return _json(
                outcome.status,
                {
                    "code": outcome.code,
                    "message": outcome.message,
                    "more_info": f"https://www.twilio.com/docs/errors/{outcome.code}",
                    "status": outcome.status,
                },
            )
        if outcome == CONNECT_ERROR:
            raise requests.exceptions.ConnectTimeout("connect timed out")
        if outcome == TIMEOUT_BEFORE_CREATE:
            raise requests.exceptions.ReadTimeout("read timed out")
        message = self._new_message(request)
        if self.on_create is not None:
            self.on_create(message)
        if outcome == TIMEOUT_AFTER_CREATE:
            raise requests.exceptions.ReadTimeout("read timed out")
        return _json(201, message)

    def _new_message(self, request: RecordedRequest) -> dict[str, Any]:
        now = format_datetime(self.clock().astimezone(dt.UTC), usegmt=True)
        with self._lock:
            sid = f"SM{next(self._numbers):032x}"
            message = {
                "account_sid": ACCOUNT_SID,
                "api_version": "2010-04-01",
                "body": request.data.get("Body"),
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": request.data.get("From"),
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {},
                "to": request.data.get("To"),
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            }
            self.messages[sid] = message
            return dict(message)

    def _list(self, request: RecordedRequest) -> Response:
        to, sender = request.params.get("To"), request.params.get("From")
        with self._lock:
            found = [
                dict(m)
                for m in reversed(self.messages.values())
                if (to is None or m["to"] == to) and (sender is None or m["from"] == sender)
            ]
        page_size = int(request.params.get("PageSize", 50))
        base = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        return _json(
            200,
            {
                "end": max(0, len(found[:page_size]) - 1),
                "first_page_uri": f"{base}?PageSize={page_size}&Page=0",
                "messages": found[:page_size],
                "next_page_uri": None,
                "page": 0,
                "page_size": page_size,
                "previous_page_uri": None,
                "start": 0,
                "uri": f"{base}?PageSize={page_size}&Page=0",
            },
        )

    def _fetch(self, sid: str) -> Response:
        with self._lock:
            message = self.messages.get(sid)
            if message is None:
                return _json(404, {"code": 20404, "message": "Not found", "status": 404})
            steps = self.delivery.get(sid)
            if steps:
                status, code = steps.popleft()
                message["status"] = status
                message["error_code"] = code
            return _json(200, dict(message))


def _json(status: int, payload: dict[str, Any]) -> Response:
    return Response(status, json.dumps(payload), {"Content-Type": "application/json"})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TwilioOverHttp:
    """A :class:`FakeTwilio` served over HTTP on 127.0.0.1, for a dispatcher in another
    process (its SDK's requests are sent here instead of to api.twilio.com)."""

    def __init__(self, fake: FakeTwilio) -> None:
        self.fake = fake

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def _answer(self, method: str) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = self.rfile.read(length).decode() if length else ""
                user, _, password = (
                    b64decode(self.headers.get("Authorization", "Basic ")[6:])
                    .decode()
                    .partition(":")
                )
                try:
                    response = fake.request(
                        method,
                        f"https://api.twilio.com{url.path}",
                        params=dict(parse_qsl(url.query)),
                        data=dict(parse_qsl(form)),
                        auth=(user, password),
                    )
                except requests.exceptions.RequestException:
                    self.close_connection = True  # the answer is lost on the way
                    return
                body = response.text.encode()
                self.send_response(response.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> TwilioOverHttp:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that keeps every message it is handed.

    ``on_data`` runs (in a worker thread) once a message has been received and
    before the server answers; ``drop_after_data`` closes the connection instead of
    answering, so the client cannot know whether the message was accepted;
    ``drop_at_recipient`` closes it before any message is handed over.
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.on_data: Callable[[EmailMessage], None] | None = None
        self.drop_after_data = False
        self.drop_at_recipient = False
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def mailer(self) -> SmtpMailer:
        """The product's SMTP sender, pointed at this server (no TLS, no login)."""
        settings = SmtpSettings(
            "127.0.0.1", self.port, "", "reports@mic.example", SmtpSecurity.NONE
        )
        return SmtpMailer(settings, None)

    def message_ids(self) -> list[str]:
        with self._lock:
            return [str(message["Message-ID"]) for message in self.messages]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if self.drop_at_recipient:
            server.transport.close()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        if self.on_data is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.on_data, message)
        if self.drop_after_data:
            server.transport.close()
        return "250 Message accepted for delivery"

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()


# --- clinic data ---------------------------------------------------------------------------

_references = itertools.count(1)


def configure_clinic(session: Session, **values: Any) -> None:
    """Set clinic settings for a test (time zone, quiet hours, reminder offsets ...)."""
    if session.get(ClinicSettings, 1) is None:
        session.add(ClinicSettings(id=1))
        session.flush()
    session.execute(update(ClinicSettings).where(ClinicSettings.id == 1).values(**values))


def _catalogue(session: Session) -> tuple[Room, ScanType]:
    room = session.scalars(select(Room).where(Room.name == "CT 1")).first()
    if room is not None:
        scan = session.scalars(select(ScanType).where(ScanType.code == "CTH")).one()
        return room, scan
    modality = Modality(code="CT", name="Computed tomography")
    session.add(modality)
    session.flush()
    room = Room(name="CT 1", modality_id=modality.id)
    scan = ScanType(
        code="CTH",
        name="CT head",
        modality_id=modality.id,
        duration_minutes=30,
        price=Decimal("150.00"),
        preparation="Please arrive 15 minutes early.",
    )
    session.add_all([room, scan])
    session.flush()
    return room, scan


def add_patient(
    session: Session,
    *,
    first_name: str = "Tendai",
    last_name: str = "Moyo",
    phone: str | None = "+263771234567",
    email: str | None = "tendai@example.org",
    sms_opt_in: bool = True,
    email_opt_in: bool = True,
) -> Patient:
    patient = Patient(
        first_name=first_name,
        last_name=last_name,
        date_of_birth=dt.date(1980, 5, 17),
        phone=phone,
        email=email,
        sms_opt_in=sms_opt_in,
        email_opt_in=email_opt_in,
    )
    session.add(patient)
    session.flush()
    return patient


def add_appointment(
    session: Session,
    start: dt.datetime,
    *,
    patient: Patient | None = None,
    status: str = "confirmed",
    created_at: dt.datetime | None = None,
    doctor_email: str | None = None,
    copay: Decimal = Decimal("40.00"),
) -> Appointment:
    room, scan = _catalogue(session)
    patient = patient or add_patient(session)
    doctor = None
    if doctor_email is not None:
        doctor = ReferringDoctor(full_name="Dr Rudo Chikore", email=doctor_email)
        session.add(doctor)
        session.flush()
    appointment = Appointment(
        reference=f"A{next(_references):06d}",
        patient_id=patient.id,
        scan_type_id=scan.id,
        room_id=room.id,
        referring_doctor_id=doctor.id if doctor else None,
        start_at=start,
        end_at=start + dt.timedelta(minutes=30),
        status=status,
        price=Decimal("150.00"),
        patient_copay=copay,
    )
    if created_at is not None:
        appointment.created_at = created_at
    session.add(appointment)
    session.flush()
    session.refresh(appointment)
    return appointment
