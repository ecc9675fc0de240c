"""Workstation settings: a TOML file in the user config dir, and where the database is.

The settings file never holds a secret. A clinic server's password comes from the
OS keyring (see :mod:`mic_desktop.secrets`).
"""

from __future__ import annotations

import os
import socket
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from mic_desktop import APP_NAME

CONFIG_DIR_ENV = "MIC_CONFIG_DIR"
DATA_DIR_ENV = "MIC_DATA_DIR"
DATABASE_URL_ENV = "MIC_DATABASE_URL"
SETTINGS_FILE_NAME = "settings.toml"
PDF_FOLDERS = "pdf_folders"  # section: username -> folder a report PDF was last attached from


def config_dir() -> Path:
    """The folder of the settings file (``MIC_CONFIG_DIR`` overrides the platform's)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else platformdirs.user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """The folder of the embedded databases (``MIC_DATA_DIR`` overrides the platform's)."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else platformdirs.user_data_path(APP_NAME, appauthor=False)


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE_NAME


def workstation_name() -> str:
    """The name this PC is recorded under in audit and access logs."""
    return os.environ.get("MIC_WORKSTATION") or socket.gethostname() or "unknown-pc"


class DatabaseKind(StrEnum):
    EMBEDDED = "embedded"
    DEMO = "demo"
    SERVER = "server"


@dataclass(frozen=True)
class DatabaseTarget:
    """Where this workstation's data lives, before any connection is made."""

    kind: DatabaseKind
    url: str | None = None  # for SERVER; embedded targets get theirs once started
    source: str = ""  # what chose it: option, environment, settings file, default

    @property
    def is_embedded(self) -> bool:
        return self.kind in (DatabaseKind.EMBEDDED, DatabaseKind.DEMO)

    @property
    def pgdata(self) -> Path:
        folder = "demo-pgdata" if self.kind is DatabaseKind.DEMO else "pgdata"
        return data_dir() / folder


@dataclass
class Settings:
    """What the settings file holds. Unknown keys are kept when saving."""

    database_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or settings_path()
        if not path.exists():
            return cls()
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        database = data.get("database", {})
        url = database.get("url") or None
        if url:
            _refuse_password_in_url(url, path)
        return cls(database_url=url, extra=data)

    @property
    def database_mode(self) -> DatabaseKind | None:
        """The workstation's remembered choice (``[database] mode``); None when never chosen."""
        if self.database_url:
            return DatabaseKind.SERVER
        mode = (self.extra.get("database") or {}).get("mode")
        return DatabaseKind(mode) if mode in {kind.value for kind in DatabaseKind} else None

    @database_mode.setter
    def database_mode(self, kind: DatabaseKind) -> None:
        database = dict(self.extra.get("database") or {})
        database["mode"] = kind.value
        self.extra["database"] = database

    @property
    def twilio(self) -> TwilioSettings | None:
        """The Twilio account and sender number; None until both are set."""
        section = self.extra.get("twilio") or {}
        sid, sender = section.get("account_sid"), section.get("from")
        return TwilioSettings(str(sid), str(sender)) if sid and sender else None

    @twilio.setter
    def twilio(self, value: TwilioSettings | None) -> None:
        if value is None:
            self.extra.pop("twilio", None)
        else:
            self.extra["twilio"] = {"account_sid": value.account_sid, "from": value.from_number}

    @property
    def smtp(self) -> SmtpSettings | None:
        """The SMTP server the clinic's e-mail goes through; None until a host is set."""
        section = self.extra.get("smtp") or {}
        if not section.get("host"):
            return None
        return SmtpSettings(
            host=str(section["host"]),
            port=int(section.get("port", 587)),
            user=str(section.get("user", "")),
            from_address=str(section.get("from", "")),
            security=SmtpSecurity(section.get("security", SmtpSecurity.STARTTLS.value)),
            timeout_seconds=float(section.get("timeout_seconds", 20)),
            allow_unencrypted=section.get("allow_unencrypted") is True,
        )

    @smtp.setter
    def smtp(self, value: SmtpSettings | None) -> None:
        if value is None:
            self.extra.pop("smtp", None)
        else:
            self.extra["smtp"] = {
                "host": value.host,
                "port": value.port,
                "user": value.user,
                "from": value.from_address,
                "security": value.security.value,
                "timeout_seconds": value.timeout_seconds,
                "allow_unencrypted": value.allow_unencrypted,
            }

    def last_pdf_folder(self, username: str) -> Path | None:
        """The folder ``username`` last attached a report PDF from, on this PC."""
        folder = (self.extra.get(PDF_FOLDERS) or {}).get(username)
        return Path(folder) if isinstance(folder, str) and folder else None

    def remember_pdf_folder(self, username: str, folder: Path) -> None:
        folders = dict(self.extra.get(PDF_FOLDERS) or {})
        folders[username] = str(folder)
        self.extra[PDF_FOLDERS] = folders

    def save(self, path: Path | None = None) -> Path:
        path = path or settings_path()
        _refuse_secret_keys(self.extra, path)
        data = dict(self.extra)
        database = dict(data.get("database", {}))
        if self.database_url:
            _refuse_password_in_url(self.database_url, path)
            database["url"] = self.database_url
        else:
            database.pop("url", None)
        data["database"] = database
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
        return path


class SettingsError(ValueError):
    """The settings file or a database URL is unusable."""


class SmtpSecurity(StrEnum):
    STARTTLS = "starttls"  # plain connection upgraded with STARTTLS (usually port 587)
    TLS = "tls"  # TLS from the first byte (usually port 465)
    NONE = "none"  # only for a relay on the clinic's own network


@dataclass(frozen=True)
class TwilioSettings:
    """Which Twilio account sends the clinic's SMS; the auth token is in the keyring."""

    account_sid: str
    from_number: str

    @property
    def secret_key(self) -> str:
        return f"twilio:{self.account_sid}"


@dataclass(frozen=True)
class SmtpSettings:
    """The clinic's outgoing mail server; the password is in the keyring."""

    host: str
    port: int = 587
    user: str = ""
    from_address: str = ""
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    timeout_seconds: float = 20.0
    # The manager's explicit opt-in to logging in over a connection without TLS.
    allow_unencrypted: bool = False

    @property
    def login_unencrypted(self) -> bool:
        """A user name (and password) would cross the network in the clear."""
        return bool(self.user) and self.security is SmtpSecurity.NONE

    @property
    def secret_key(self) -> str:
        return f"smtp:{self.user}@{self.host}"


_SECRET_WORDS = ("password", "token", "secret", "api_key")
_PROVIDER_SECTIONS = ("twilio", "smtp")


def _refuse_secret_keys(data: dict[str, Any], path: Path) -> None:
    """The Twilio and SMTP sections hold no auth token or password (the keyring does)."""
    for section in _PROVIDER_SECTIONS:
        for key in data.get(section) or {}:
            if any(word in str(key).lower() for word in _SECRET_WORDS):
                raise SettingsError(
                    f"Refusing to write {section}.{key} to {path}: "
                    "secrets belong in the OS keyring."
                )


def _refuse_password_in_url(url: str, path: Path) -> None:
    from sqlalchemy.engine import make_url

    if make_url(url).password:
        raise SettingsError(
            f"{path} holds a database password. Remove it from the URL: "
            "MIC Desktop keeps the password in the OS keyring."
        )


def resolve_database(
    *, option_url: str | None = None, demo: bool = False, settings: Settings | None = None
) -> DatabaseTarget:
    """Pick the database.

    ``--demo`` > ``--database-url`` > ``MIC_DATABASE_URL`` > settings file (server URL,
    or the embedded/demo choice of ``[database] mode``) > embedded.
    """
    if demo:
        return DatabaseTarget(DatabaseKind.DEMO, source="--demo")
    if option_url:
        return DatabaseTarget(DatabaseKind.SERVER, normalise_url(option_url), "--database-url")
    env_url = os.environ.get(DATABASE_URL_ENV)
    if env_url:
        return DatabaseTarget(DatabaseKind.SERVER, normalise_url(env_url), DATABASE_URL_ENV)
    settings = settings if settings is not None else Settings.load()
    if settings.database_url:
        return DatabaseTarget(
            DatabaseKind.SERVER, normalise_url(settings.database_url), str(settings_path())
        )
    if settings.database_mode in (DatabaseKind.EMBEDDED, DatabaseKind.DEMO):
        return DatabaseTarget(settings.database_mode, source=str(settings_path()))
    return DatabaseTarget(DatabaseKind.EMBEDDED, source=DEFAULT_SOURCE)


DEFAULT_SOURCE = "default (this PC only)"


def needs_first_run(target: DatabaseTarget) -> bool:
    """True when nothing chose the database: no option, variable or settings file."""
    return target.source == DEFAULT_SOURCE and not settings_path().exists()


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not url.startswith("postgresql+psycopg://"):
        raise SettingsError(f"Not a PostgreSQL URL: {url.split('@')[-1]}")
    return url
