"""Whether the clinic's DICOM service is on, where, and whether it answers (for ``doctor``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.services.dicom.echo import echo
from mic_desktop.services.dicom.settings import load_dicom_settings


@dataclass(frozen=True)
class ServiceHealth:
    enabled: bool
    answers: bool | None  # None: not asked (the service is off)
    detail: str


def dicom_service_health(
    session_factory: sessionmaker[Session], this_pc: str, timeout: float = 3.0
) -> ServiceHealth:
    """The service's settings, and a C-ECHO to it on the PC the manager chose."""
    settings = load_dicom_settings(session_factory)
    if not settings.enabled:
        return ServiceHealth(False, None, "not enabled (manager: Scanners (DICOM) page)")
    assert settings.workstation is not None
    here = settings.workstation.lower() == this_pc.lower()
    host = "127.0.0.1" if here else settings.workstation
    where = "this PC" if here else f"PC {settings.workstation}"
    result = echo(settings.ae_title, host, settings.port, timeout=timeout)
    state = "answers C-ECHO" if result.ok else "does NOT answer C-ECHO"
    return ServiceHealth(
        True,
        result.ok,
        f"enabled on {where}, {settings.ae_title} port {settings.port}: {state}"
        + ("" if result.ok else f" ({result.detail})"),
    )
