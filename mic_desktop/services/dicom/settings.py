"""The DICOM service's settings: the PC that runs it, its AE title and port, whether
unknown scanners are let in, and the clinic's UID root. One row (clinic settings)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import ClinicSettings
from mic_desktop.services.base import ManagerService
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.records import check_version, clinic_settings

DEFAULT_AE_TITLE = "MIC_RIS"
DEFAULT_PORT = 11112
UID_ROOT_MAX = 44  # leaves room for ".1.<sequence>" within a UID's 64 characters

_AE_TITLE = re.compile(r"^[A-Za-z0-9_\-. ]{1,16}$")
_UID_ROOT = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$")


@dataclass(frozen=True)
class DicomSettings:
    workstation: str | None  # the PC that runs the service; None: nowhere
    ae_title: str
    port: int
    allow_any_ae: bool
    uid_root: str
    version: int

    @property
    def enabled(self) -> bool:
        return bool(self.workstation)


def _settings(row: ClinicSettings) -> DicomSettings:
    return DicomSettings(
        workstation=row.dicom_workstation or None,
        ae_title=row.dicom_ae_title,
        port=row.dicom_port,
        allow_any_ae=row.dicom_allow_any_ae,
        uid_root=row.dicom_uid_root,
        version=row.version,
    )


def read_dicom_settings(session: Session) -> DicomSettings:
    return _settings(clinic_settings(session))


def load_dicom_settings(session_factory: sessionmaker[Session]) -> DicomSettings:
    with session_factory() as session:
        return read_dicom_settings(session)


def check_ae_title(value: str, field: str = "ae_title") -> str:
    """An AE title as DICOM allows it (1-16 characters, no backslash or control
    characters); letters, digits, space, ``_ - .`` only, kept as typed but trimmed."""
    title = (value or "").strip()
    if not _AE_TITLE.match(title):
        raise ValidationError(
            f"{title or 'An empty name'!s} is not an AE title: use 1 to 16 letters, digits, "
            "spaces or _ - . (e.g. CT1).",
            field,
        )
    return title


def check_port(value: int, field: str = "port") -> int:
    if not 1 <= int(value) <= 65535:
        raise ValidationError(f"{value} is not a TCP port (1 to 65535).", field)
    return int(value)


def check_uid_root(value: str) -> str:
    root = (value or "").strip()
    if not _UID_ROOT.match(root) or len(root) > UID_ROOT_MAX:
        raise ValidationError(
            f"{root or 'An empty root'} is not a UID root: digits in dot-separated parts "
            f"without leading zeros, at most {UID_ROOT_MAX} characters (e.g. 2.25.1234).",
            "uid_root",
        )
    return root


class DicomSettingsService(ManagerService):
    """The manager sets where and how the DICOM service runs."""

    def get(self) -> DicomSettings:
        return load_dicom_settings(self._sessions)

    def update(
        self,
        *,
        workstation: str | None,
        ae_title: str,
        port: int,
        allow_any_ae: bool,
        uid_root: str,
        expected_version: int | None = None,
    ) -> DicomSettings:
        """Save the settings; the PC named in ``workstation`` runs the service (None: off).

        A changed UID root applies to appointments booked from now on: a Study Instance
        UID, once made, never changes.
        """
        pc = (workstation or "").strip() or None
        if pc is not None and len(pc) > 64:
            raise ValidationError("A PC name is at most 64 characters.", "workstation")
        ae_title, port, uid_root = (
            check_ae_title(ae_title),
            check_port(port),
            check_uid_root(uid_root),
        )
        with self._sessions.begin() as session:
            row = clinic_settings(session)
            check_version(
                session, row.version, expected_version, "The clinic settings", "clinic_settings", 1
            )
            before = _settings(row)
            row.dicom_workstation = pc
            row.dicom_ae_title = ae_title
            row.dicom_port = port
            row.dicom_allow_any_ae = allow_any_ae
            row.dicom_uid_root = uid_root
            session.flush()
            after = _settings(row)
            changes = {
                name: getattr(after, name)
                for name in ("workstation", "ae_title", "port", "allow_any_ae", "uid_root")
                if getattr(before, name) != getattr(after, name)
            }
            self._audit(session, "dicom_settings_changed", "clinic_settings", 1, changes)
            notify(session, LiveChannel.SETTINGS, "dicom")
            return after
