"""E-mail against a real SMTP server (aiosmtpd) started by the tests: TLS, login, attachments."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import io
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from notification_fakes import FakeClock, SmtpServer, add_appointment, configure_clinic
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from mic_desktop.config import SmtpSecurity, SmtpSettings
from mic_desktop.db import Database
from mic_desktop.models import OutboxMessage, Report, ReportAccessLog, ReportDocument
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.messaging.dispatcher import Dispatcher
from mic_desktop.services.messaging.email import (
    AmbiguousEmailError,
    Attachment,
    EmailConfigurationError,
    PermanentEmailError,
    SmtpMailer,
    TemporaryEmailError,
)
from mic_desktop.services.messaging.notifications import queue_report_ready
from mic_desktop.services.messaging.setup import MessagingSetupService

USER, PASSWORD = "mic-reports", "smtp-secret-987"
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@dataclass
class Inbox:
    """The test server's handler: keeps every message and how it was received."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str], bool, bool]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        self.envelopes.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                session.ssl is not None,
                session.authenticated,
            )
        )
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client trusts exactly this one)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Valid whatever day the suite runs (tests/run_at.sh moves Python's clock, not
        # OpenSSL's): the tests are about trust in the certificate, not its dates.
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2099, 12, 31, tzinfo=dt.UTC))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def _client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def plain_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_authenticate,
        auth_require_tls=True,
    )
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        ssl_context=_server_context(certificate),
        authenticator=_authenticate,
        auth_require_tls=False,  # the whole connection is TLS already
    )
    controller.start()
    yield inbox, port
    controller.stop()


def _pdf(text: str) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.drawString(72, 770, text)
    canvas.showPage()
    canvas.drawString(72, 770, "Page two")
    canvas.save()
    return buffer.getvalue()


def _attachments(message: EmailMessage) -> list[tuple[str, bytes, str]]:
    return [
        (part.get_filename() or "", part.get_content(), part.get_content_type())
        for part in message.iter_attachments()
    ]


def test_starttls_with_login_and_a_pdf_attachment(
    starttls_server: tuple[Inbox, int], certificate: tuple[Path, Path]
) -> None:
    inbox, port = starttls_server
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        user=USER,
        from_address="reports@mic.example",
        security=SmtpSecurity.STARTTLS,
        timeout_seconds=5,
    )
    mailer = SmtpMailer(settings, PASSWORD, ssl_context=_client_context(certificate))
    pdf = _pdf("Findings: no acute intracranial abnormality.")
    message_id = mailer.send(
        "dr.chikore@example.org",
        "Report ready: Tendai Moyo, CT head",
        "Dear Dr Chikore,\n\nThe report is attached.",
        [Attachment("Report MIC100001 A000001.pdf", pdf)],
        message_id="<mic-outbox-7@mic.example>",
    )
    assert message_id == "<mic-outbox-7@mic.example>"
    (message,) = inbox.messages
    assert inbox.envelopes == [("reports@mic.example", ["dr.chikore@example.org"], True, True)]
    assert message["Subject"] == "Report ready: Tendai Moyo, CT head"
    assert message["Message-ID"] == "<mic-outbox-7@mic.example>"
    assert message.get_body(("plain",)).get_content().startswith("Dear Dr Chikore,")  # type: ignore[union-attr]
    ((filename, content, mime),) = _attachments(message)
    assert (filename, mime) == ("Report MIC100001 A000001.pdf", "application/pdf")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 2
    assert "no acute intracranial abnormality" in reader.pages[0].extract_text()

    wrong = SmtpMailer(settings, "not-the-password", ssl_context=_client_context(certificate))
    with pytest.raises(EmailConfigurationError, match="user name or password"):
        wrong.send("dr.chikore@example.org", "x", "y")
    untrusted = SmtpMailer(settings, PASSWORD)  # the system's CAs do not know this server
    with pytest.raises(EmailConfigurationError, match="secure connection"):
        untrusted.send("dr.chikore@example.org", "x", "y")
    assert len(inbox.messages) == 1


def test_implicit_tls(tls_server: tuple[Inbox, int], certificate: tuple[Path, Path]) -> None:
    inbox, port = tls_server
    settings = SmtpSettings(
        "127.0.0.1", port, USER, "reports@mic.example", SmtpSecurity.TLS, timeout_seconds=5
    )
    SmtpMailer(settings, PASSWORD, ssl_context=_client_context(certificate)).send(
        "dr@example.org", "Hello", "Body"
    )
    ((sender, recipients, _starttls, authenticated),) = inbox.envelopes
    assert (sender, recipients, authenticated) == ("reports@mic.example", ["dr@example.org"], True)
    plain = SmtpSettings("127.0.0.1", port, "", "r@mic.example", SmtpSecurity.NONE, 1)
    with pytest.raises(TemporaryEmailError):  # the port speaks nothing but TLS
        SmtpMailer(plain, None).send("dr@example.org", "Hello", "Body")


def test_refused_address_and_unreachable_server(plain_server: tuple[Inbox, int]) -> None:
    inbox, port = plain_server
    inbox.refuse.add("nobody@example.org")
    settings = SmtpSettings("127.0.0.1", port, "", "reports@mic.example", SmtpSecurity.NONE, 5)
    with pytest.raises(PermanentEmailError, match=r"refused the address nobody@example\.org"):
        SmtpMailer(settings, None).send("nobody@example.org", "x", "y")
    closed = SmtpSettings("127.0.0.1", _free_port(), "", "r@mic.example", SmtpSecurity.NONE, 2)
    with pytest.raises(TemporaryEmailError, match="could not be reached"):
        SmtpMailer(closed, None).send("dr@example.org", "x", "y")
    assert inbox.messages == []


def test_a_line_dropped_once_the_message_was_handed_over_leaves_it_in_doubt() -> None:
    with SmtpServer() as server:
        server.drop_at_recipient = True  # before the message: safe to send again later
        with pytest.raises(TemporaryEmailError, match="could not be reached"):
            server.mailer().send("dr@example.org", "Report", "Attached.")
        server.drop_at_recipient, server.drop_after_data = False, True
        with pytest.raises(AmbiguousEmailError, match="may have been sent"):
            server.mailer().send("dr@example.org", "Report", "Attached.", message_id="<m-1@x>")
        assert server.message_ids() == ["<m-1@x>"]


def _final_report(
    database: Database, *, with_document: bool, status: str = "completed"
) -> tuple[int, bytes]:
    pdf = _pdf("Impression: normal CT head.")
    with database.session() as session:
        configure_clinic(session, name="MIC Harare", time_zone="Africa/Harare")
        appointment = add_appointment(
            session, NOW - dt.timedelta(days=1), status="completed", doctor_email="dr@example.org"
        )
        signed = status in ("completed", "reviewed")
        report = Report(
            appointment_id=appointment.id,
            status=status,
            findings="Normal.",
            impression="Normal CT head.",
            finalised_at=NOW if signed else None,
            signed_name="Dr A Radiologist" if signed else None,
        )
        session.add(report)
        session.flush()
        if with_document:
            session.add(
                ReportDocument(
                    report_id=report.id,
                    filename="CT head report.pdf",
                    source="attached",
                    content=pdf,
                    size_bytes=len(pdf),
                    sha256=hashlib.sha256(pdf).hexdigest(),
                )
            )
        queue_report_ready(session, report, now=NOW)
        return report.id, pdf


def test_the_referring_doctor_gets_the_report_pdf_through_the_outbox(
    database: Database, plain_server: tuple[Inbox, int]
) -> None:
    inbox, port = plain_server
    report_id, pdf = _final_report(database, with_document=True)
    settings = SmtpSettings("127.0.0.1", port, "", "reports@mic.example", SmtpSecurity.NONE, 5)
    dispatcher = Dispatcher(
        database.session_factory,
        workstation="server",
        mailer=SmtpMailer(settings, None),
        clock=FakeClock(NOW),
    )
    assert dispatcher.dispatch_due().sent == 1  # the e-mail (no SMS sender here)
    (message,) = inbox.messages
    assert message["To"] == "dr@example.org"
    assert message["Subject"] == "Report ready: Tendai Moyo, CT head"
    assert _attachments(message) == [("CT head report.pdf", pdf, "application/pdf")]
    text = PdfReader(io.BytesIO(_attachments(message)[0][1])).pages[0].extract_text()
    assert "Impression: normal CT head." in text
    with database.session() as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "report_ready_doctor")
        ).one()
        assert row.status == "sent" and row.provider_message_id == message["Message-ID"]
        (access,) = session.scalars(select(ReportAccessLog))
        assert (access.report_id, access.action, access.workstation) == (
            report_id,
            "export",
            "server",
        )
        assert access.detail == "e-mailed to dr@example.org (report_ready_doctor)"


def test_a_final_report_without_a_stored_pdf_is_sent_as_a_generated_one(
    database: Database, plain_server: tuple[Inbox, int]
) -> None:
    inbox, port = plain_server
    _final_report(database, with_document=False)
    settings = SmtpSettings("127.0.0.1", port, "", "reports@mic.example", SmtpSecurity.NONE, 5)
    dispatcher = Dispatcher(
        database.session_factory,
        workstation="server",
        mailer=SmtpMailer(settings, None),
        clock=FakeClock(NOW),
    )
    assert dispatcher.dispatch_due().sent == 1
    ((filename, content, mime),) = _attachments(inbox.messages[0])
    assert mime == "application/pdf" and filename.startswith("Report MIC")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Tendai Moyo" in text and "Normal CT head." in text


def test_a_report_e_mail_waits_while_its_pdf_is_not_ready(
    database: Database, plain_server: tuple[Inbox, int]
) -> None:
    inbox, port = plain_server
    _final_report(database, with_document=False, status="in_progress")  # not signed yet
    settings = SmtpSettings("127.0.0.1", port, "", "reports@mic.example", SmtpSecurity.NONE, 5)
    dispatcher = Dispatcher(
        database.session_factory,
        workstation="server",
        mailer=SmtpMailer(settings, None),
        clock=FakeClock(NOW),
    )
    assert dispatcher.dispatch_due().retried == 1
    with database.session() as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "report_ready_doctor")
        ).one()
        assert (row.status, row.last_error) == ("queued", "The report PDF is not ready yet.")
    assert inbox.messages == []


def test_send_a_test_e_mail(
    database: Database, staff: dict[str, StaffAccount], plain_server: tuple[Inbox, int]
) -> None:
    inbox, port = plain_server
    settings = SmtpSettings("127.0.0.1", port, "", "reports@mic.example", SmtpSecurity.NONE, 5)
    service = MessagingSetupService(database.session_factory, staff["manager"], "desk-m")
    result = service.send_test_email("manager@example.org", mailer=SmtpMailer(settings, None))
    (message,) = inbox.messages
    assert message["Subject"] == "MIC Desktop test message"
    assert "sent by Test Manager" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert result.provider_id == message["Message-ID"]
