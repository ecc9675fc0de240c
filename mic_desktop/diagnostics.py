"""The workstation doctor: a short diagnosis a support person can read over the phone.

Also the clock check the login uses: appointment times and reminders depend on
the PC's clock agreeing with the database server's.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine, text

from mic_desktop import __version__
from mic_desktop.config import DatabaseTarget, Settings, data_dir, settings_path
from mic_desktop.schema import SchemaState, schema_status
from mic_desktop.secrets import backend_description, get_secret, keyring_available

MAX_CLOCK_OFFSET = dt.timedelta(minutes=1)


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    name: str
    level: Level
    detail: str

    def line(self) -> str:
        return f"[{self.level.value:>4}] {self.name:<18} {self.detail}"


def clock_offset(engine: Engine) -> dt.timedelta:
    """The database server's clock minus this PC's, measured at the round trip's midpoint."""
    with engine.connect() as conn:
        before = time.time()
        server_now = conn.scalar(text("SELECT clock_timestamp()"))
        after = time.time()
    local_mid = dt.datetime.fromtimestamp((before + after) / 2, dt.UTC)
    return server_now - local_mid


def clock_warning(offset: dt.timedelta) -> str | None:
    """A sentence for the person when the clocks disagree by more than a minute."""
    if abs(offset) <= MAX_CLOCK_OFFSET:
        return None
    seconds = int(abs(offset).total_seconds())
    direction = "behind" if offset > dt.timedelta(0) else "ahead of"
    amount = f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"
    return (
        f"This PC's clock is {amount} {direction} the clinic database server. Appointment "
        "times and reminders depend on it: ask your IT support to set the clock right."
    )


def folder_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path, onerror=lambda _error: None):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


OpenEngine = Callable[[DatabaseTarget], Engine]


def diagnose(target: DatabaseTarget, open_engine: OpenEngine) -> list[Finding]:
    """Every check, in the order a support person reads them; secrets are never shown."""
    findings = [
        Finding(
            "version",
            Level.OK,
            f"MIC Desktop {__version__}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}",
        ),
        _settings_finding(),
        _keyring_finding(target),
    ]
    try:
        engine = open_engine(target)
    except Exception as exc:
        findings.append(Finding("database", Level.FAIL, f"{_where(target)}: {_short(exc)}"))
    else:
        try:
            findings.extend(_database_findings(target, engine))
        finally:
            engine.dispose()
    findings.extend(_messaging_findings())
    findings.append(_embedded_finding(target))
    return findings


def _where(target: DatabaseTarget) -> str:
    if target.is_embedded:
        return f"{target.kind.value} database in {target.pgdata}"
    from sqlalchemy.engine import make_url

    url = make_url(target.url or "")
    return f"server {url.host or 'localhost'}:{url.port or 5432}/{url.database} as {url.username}"


def _short(exc: BaseException) -> str:
    message = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return message[0] if message else type(exc).__name__


def _settings_finding() -> Finding:
    path = settings_path()
    if not path.exists():
        return Finding("settings file", Level.OK, f"{path} (not created yet)")
    try:
        Settings.load(path)
    except Exception as exc:
        return Finding("settings file", Level.FAIL, f"{path}: {_short(exc)}")
    return Finding("settings file", Level.OK, str(path))


def _keyring_finding(target: DatabaseTarget) -> Finding:
    backend = backend_description()
    if keyring_available():
        return Finding("keyring", Level.OK, f"{backend} (secure)")
    if target.is_embedded:
        return Finding("keyring", Level.OK, f"{backend}: no secure keyring (embedded needs none)")
    return Finding(
        "keyring", Level.WARN, f"{backend}: no secure keyring; the password is asked at each start"
    )


def _database_findings(target: DatabaseTarget, engine: Engine) -> list[Finding]:
    findings: list[Finding] = []
    try:
        with engine.connect() as conn:
            version = conn.scalar(text("SHOW server_version"))
    except Exception as exc:
        return [Finding("database", Level.FAIL, f"{_where(target)}: {_short(exc)}")]
    findings.append(Finding("database", Level.OK, f"{_where(target)}: reachable"))
    findings.append(Finding("server version", Level.OK, f"PostgreSQL {version}"))

    status = schema_status(engine)
    detail = f"database {status.database_revision or '(empty)'}, this app {status.head_revision}"
    if status.state is SchemaState.CURRENT:
        findings.append(Finding("schema", Level.OK, f"{detail}: current"))
    elif status.needs_upgrade and target.is_embedded:
        findings.append(Finding("schema", Level.WARN, f"{detail}: upgraded at next start"))
    elif status.needs_upgrade:
        findings.append(
            Finding("schema", Level.FAIL, f"{detail}: older; run `mic-desktop db upgrade`")
        )
    elif status.state is SchemaState.AHEAD:
        findings.append(
            Finding("schema", Level.FAIL, f"{detail}: newer; this workstation needs updating")
        )
    else:
        findings.append(Finding("schema", Level.FAIL, f"{detail}: not a MIC Desktop database"))

    offset = clock_offset(engine)
    seconds = offset.total_seconds()
    level = Level.OK if abs(offset) <= MAX_CLOCK_OFFSET else Level.FAIL
    findings.append(
        Finding("clock", level, f"database server minus this PC: {seconds:+.1f} s (limit 60 s)")
    )
    findings.append(_backup_tools_finding(engine))
    if status.state is SchemaState.CURRENT:
        findings.append(_last_backup_finding(engine))
        findings.append(_dicom_finding(engine))
    return findings


def _dicom_finding(engine: Engine) -> Finding:
    """Whether the scanners' worklist service is enabled, on which PC and port, and answers."""
    from sqlalchemy.orm import sessionmaker

    from mic_desktop.config import workstation_name
    from mic_desktop.services.dicom.health import dicom_service_health

    health = dicom_service_health(sessionmaker(engine), workstation_name())
    level = Level.WARN if health.enabled and not health.answers else Level.OK
    return Finding("dicom service", level, health.detail)


def _backup_tools_finding(engine: Engine) -> Finding:
    """Whether this PC has a pg_dump/pg_restore that can back up (and restore) the server."""
    from mic_desktop.services.admin.backup_tools import (
        SUPPORTED_MAJORS,
        SUPPORTED_TEXT,
        ToolsUnavailableError,
        backup_tools_verdict,
        configured_folder,
        probe,
    )

    with engine.connect() as conn:
        major = int(conn.scalar(text("SHOW server_version_num"))) // 10000
    named = configured_folder()
    if named is not None and probe(named) is None:
        return Finding(
            "backup tools",
            Level.WARN,
            f"the settings file names {named} ([backup] tools), which holds no pg_dump, "
            "pg_restore and psql: correct or remove it",
        )
    try:
        verdict = backup_tools_verdict(major)
    except ToolsUnavailableError as error:
        return Finding("backup tools", Level.WARN, f"cannot back up this server: {error}")
    if major not in SUPPORTED_MAJORS:
        return Finding(
            "backup tools",
            Level.WARN,
            f"PostgreSQL {major} is not one MIC Desktop supports ({SUPPORTED_TEXT}); {verdict}",
        )
    return Finding("backup tools", Level.OK, verdict)


def _last_backup_finding(engine: Engine) -> Finding:
    """The manager's status light: the last verified backup, red when stale or failed."""
    from sqlalchemy.orm import sessionmaker

    from mic_desktop.services.admin.backup_health import backup_health
    from mic_desktop.services.records import clinic_zone

    sessions = sessionmaker(engine)
    with sessions() as session:
        zone = clinic_zone(session)
    health = backup_health(sessions, dt.datetime.now(dt.UTC), zone)
    level = Level.WARN if health.red else Level.OK
    return Finding("last backup", level, f"{health.headline}. {health.detail}")


def _messaging_findings() -> list[Finding]:
    try:
        extra = Settings.load().extra
    except Exception:
        extra = {}
    twilio = extra.get("twilio", {})
    smtp = extra.get("smtp", {})
    findings = []
    sid = twilio.get("account_sid")
    if sid:
        token = "token in keyring" if get_secret(f"twilio:{sid}") else "NO token in keyring"
        level = Level.OK if "NO" not in token else Level.WARN
        findings.append(
            Finding(
                "twilio (SMS)",
                level,
                f"account {sid[:6]}…, from {twilio.get('from', '?')}, {token}",
            )
        )
    else:
        findings.append(Finding("twilio (SMS)", Level.OK, "not configured"))
    host = smtp.get("host")
    if host:
        user = smtp.get("user", "")
        secret = get_secret(f"smtp:{user}@{host}") if user else "-"
        state = "password in keyring" if secret else "NO password in keyring"
        level = Level.OK if secret else Level.WARN
        findings.append(
            Finding("smtp (e-mail)", level, f"{user}@{host}:{smtp.get('port', 587)}, {state}")
        )
    else:
        findings.append(Finding("smtp (e-mail)", Level.OK, "not configured"))
    return findings


def _embedded_finding(target: DatabaseTarget) -> Finding:
    folder = data_dir()
    if not folder.exists():
        return Finding("embedded data", Level.OK, f"{folder} (none yet)")
    parts = []
    for name in ("pgdata", "demo-pgdata"):
        path = folder / name
        if path.exists():
            parts.append(f"{name} {_human_size(folder_size(path))}")
    return Finding("embedded data", Level.OK, f"{folder}: {', '.join(parts) or 'empty'}")


def print_report(findings: list[Finding], stream: TextIO | None = None) -> int:
    """Print the findings; the exit status is 1 when any check failed."""
    stream = stream or sys.stdout
    for finding in findings:
        print(finding.line(), file=stream)
    failed = [f for f in findings if f.level is Level.FAIL]
    if failed:
        print(f"\n{len(failed)} problem(s): {', '.join(f.name for f in failed)}", file=stream)
        return 1
    print("\nAll checks passed.", file=stream)
    return 0
