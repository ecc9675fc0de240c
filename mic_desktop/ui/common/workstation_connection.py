"""Where this workstation's data lives, without Qt: test a server, set up this PC, save it.

:class:`ServerChoice` is the clinic server as typed (no password);
:func:`test_server` connects to it and checks its schema, answering with a
:class:`TestResult` whose sentence names the :class:`Problem` (wrong password,
unreachable, older schema ...). :func:`set_up_this_pc` starts the embedded
database with the first manager account; :func:`save_choice` writes the choice
to the settings file and :func:`remember_server_password` keeps the password in
the OS keyring. They run in worker threads under the first-run dialog.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from mic_desktop.config import DatabaseKind, DatabaseTarget, Settings
from mic_desktop.db import Database, connect_target, make_engine
from mic_desktop.schema import SchemaState, schema_status
from mic_desktop.secrets import database_key, set_secret

from .errors import first_line, sqlstate

TEST_TIMEOUT_SECONDS = 5


class Outcome(StrEnum):
    OK = "ok"
    WARNING = "warning"  # usable, but someone must act (upgrade an empty or older schema)
    ERROR = "error"


class Problem(StrEnum):
    UNREACHABLE = "unreachable"
    PASSWORD = "password"
    NOT_ALLOWED = "not allowed"
    NO_DATABASE = "no database"
    TLS = "tls"
    FOREIGN = "not a MIC Desktop database"
    EMPTY = "empty"
    OLDER = "older"
    NEWER = "newer"
    OTHER = "other"


@dataclass(frozen=True)
class ServerChoice:
    """The clinic server as typed in the dialog (no password)."""

    host: str
    port: int = 5432
    database: str = "mic"
    user: str = "mic_app"
    sslmode: str = "prefer"
    ca_file: str = ""

    @property
    def url(self) -> str:
        """The settings file's URL (no password); a host starting with / is a socket folder."""
        query: dict[str, str] = {"sslmode": self.sslmode} if self.sslmode != "prefer" else {}
        if self.ca_file:
            query["sslrootcert"] = self.ca_file
        socket = self.host.startswith("/")
        if socket:
            query["host"] = self.host
        url = URL.create(
            "postgresql+psycopg",
            username=self.user or None,
            host=None if socket else self.host,
            port=self.port,
            database=self.database,
            query=query,
        )
        return url.render_as_string(hide_password=False)

    @property
    def secret_key(self) -> str:
        return database_key(self.user, self.host, self.port, self.database)

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}/{self.database}"


@dataclass(frozen=True)
class TestResult:
    outcome: Outcome
    message: str
    problem: Problem | None = None

    @property
    def usable(self) -> bool:
        return self.outcome is not Outcome.ERROR


def describe_connect_error(error: BaseException, choice: ServerChoice) -> TestResult:
    """A specific sentence for why connecting to the clinic server failed."""
    text = str(getattr(error, "orig", None) or error)
    lower = text.lower()
    code = sqlstate(error) or getattr(error, "sqlstate", None)
    where = f"{choice.host}:{choice.port}"
    if code == "28P01" or "password authentication failed" in lower or "no password" in lower:
        return TestResult(
            Outcome.ERROR,
            f"The server refused the password of the database user “{choice.user}”. "
            "Check the password (it is case-sensitive) with your IT support.",
            Problem.PASSWORD,
        )
    if code == "3D000" or ("database" in lower and "does not exist" in lower):
        return TestResult(
            Outcome.ERROR,
            f"The server {where} has no database called “{choice.database}”. "
            "Check the database name.",
            Problem.NO_DATABASE,
        )
    if (
        code == "28000"
        or "no pg_hba.conf entry" in lower
        or ("role" in lower and "not exist" in lower)
    ):
        return TestResult(
            Outcome.ERROR,
            f"The server does not let the user “{choice.user}” connect to "
            f"“{choice.database}” from this PC ({first_line(error)}).",
            Problem.NOT_ALLOWED,
        )
    if "ssl" in lower or "certificate" in lower:
        return TestResult(
            Outcome.ERROR,
            f"The secure (TLS) connection to {where} failed: {first_line(error)}. "
            "Check the TLS mode and the CA file.",
            Problem.TLS,
        )
    if isinstance(error, DBAPIError) or "connection" in lower or "timeout" in lower:
        return TestResult(
            Outcome.ERROR,
            f"Cannot reach the clinic server at {where}. Check the host name and port, "
            "that the server is running, and that this PC is on the clinic network.",
            Problem.UNREACHABLE,
        )
    return TestResult(Outcome.ERROR, f"The test failed: {first_line(error)}", Problem.OTHER)


def test_server(choice: ServerChoice, password: str) -> TestResult:
    """Connect to the clinic server and check its schema; never raises."""
    if not choice.host.strip():
        return TestResult(Outcome.ERROR, "Enter the clinic server's host name.", Problem.OTHER)
    url = make_url(choice.url)
    if password:
        url = url.set(password=password)
    engine = make_engine(url, connect_args={"connect_timeout": TEST_TIMEOUT_SECONDS})
    try:
        status = schema_status(engine)
    except Exception as exc:
        return describe_connect_error(exc, choice)
    finally:
        engine.dispose()
    if status.state is SchemaState.CURRENT:
        return TestResult(
            Outcome.OK, f"Connected to {choice.server}: the clinic database is ready."
        )
    if status.state is SchemaState.FOREIGN:
        return TestResult(
            Outcome.ERROR,
            f"“{choice.database}” holds tables but is not a MIC Desktop database. "
            "Choose the clinic's MIC Desktop database.",
            Problem.FOREIGN,
        )
    if status.state is SchemaState.AHEAD:
        return TestResult(
            Outcome.ERROR,
            f"The clinic database is newer (revision {status.database_revision}) than this "
            "version of MIC Desktop. Install the current version on this PC first.",
            Problem.NEWER,
        )
    if status.state is SchemaState.EMPTY:
        return TestResult(
            Outcome.WARNING,
            f"Connected, but “{choice.database}” has no MIC Desktop tables yet. They are created "
            "at the first start (or by IT with “mic-desktop db upgrade”).",
            Problem.EMPTY,
        )
    return TestResult(
        Outcome.WARNING,
        f"Connected, but the clinic database is older (revision {status.database_revision}) "
        "than this version of MIC Desktop. It is upgraded at the next start, after you confirm; "
        "make sure a recent backup exists.",
        Problem.OLDER,
    )


def save_choice(kind: DatabaseKind, choice: ServerChoice | None = None) -> Settings:
    """Remember where this workstation's data lives; keeps the file's other sections."""
    settings = Settings.load()
    if kind is DatabaseKind.SERVER:
        assert choice is not None
        settings.database_url = choice.url
        (settings.extra.get("database") or {}).pop("mode", None)
    else:
        settings.database_url = None
    settings.database_mode = kind
    settings.save()
    return settings


def remember_server_password(choice: ServerChoice, password: str) -> bool:
    """Keep the password in the OS keyring; False when there is none."""
    return bool(password) and set_secret(choice.secret_key, password)


def set_up_this_pc(username: str, full_name: str, password: str) -> str:
    """Start the embedded database, create the schema and the first manager account."""
    from mic_desktop.services.admin.staff import StaffService
    from mic_desktop.startup import has_staff, upgrade_schema

    target = DatabaseTarget(DatabaseKind.EMBEDDED, source="first run")
    database = Database(connect_target(target))
    try:
        upgrade_schema(database)
        if has_staff(database):
            return "This PC's database already has staff accounts: log in with one of them."
        staff = StaffService(database.session_factory, actor=None, workstation="first-run")
        account = staff.add(
            username, full_name or username, "manager", password, must_change_password=False
        )
        return f"Created the manager account “{account.username}”."
    finally:
        database.dispose()
