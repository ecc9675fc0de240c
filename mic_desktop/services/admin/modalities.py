"""The clinic's modalities (DICOM modality codes), kept by the manager like rooms.

A fresh database has none: :data:`STARTER_MODALITIES` is the list the manager's
page and ``mic-desktop catalogue modality add`` offer to enable. A modality is
disabled, never deleted (rooms and scan types point at it); a disabled one offers no
new rooms or scan types. Every change is audited and announced on the catalogue
channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from mic_desktop.models import Modality
from mic_desktop.services.errors import NotFoundError, ValidationError
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.scheduling.rooms import RoomAdminService

STARTER_MODALITIES: tuple[tuple[str, str], ...] = (
    ("CR", "Computed radiography (X-ray)"),
    ("DX", "Digital radiography (X-ray)"),
    ("CT", "Computed tomography"),
    ("MR", "Magnetic resonance"),
    ("US", "Ultrasound"),
    ("MG", "Mammography"),
    ("NM", "Nuclear medicine"),
    ("PT", "PET"),
    ("RF", "Fluoroscopy"),
    ("XA", "Angiography"),
    ("BMD", "Bone densitometry"),
)
"""(DICOM modality code, display name) a new clinic may enable."""

_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")


@dataclass(frozen=True)
class ModalityInfo:
    id: int
    code: str
    name: str
    is_active: bool = True


class ModalityAdminService(RoomAdminService):
    """Modalities: add, rename, disable, enable."""

    def modalities(self, *, include_inactive: bool = False) -> list[ModalityInfo]:
        query = select(Modality.id, Modality.code, Modality.name, Modality.is_active)
        if not include_inactive:
            query = query.where(Modality.is_active)
        with self._sessions() as session:
            rows = session.execute(query.order_by(Modality.name)).all()
        return [ModalityInfo(*row) for row in rows]

    def starter_modalities(self) -> list[tuple[str, str]]:
        """The starter list less the codes the clinic already has."""
        with self._sessions() as session:
            taken = set(session.scalars(select(Modality.code)))
        return [(code, name) for code, name in STARTER_MODALITIES if code not in taken]

    def add_modality(self, code: str, name: str) -> ModalityInfo:
        code, name = _code(code), _name(name)
        with self._sessions.begin() as session:
            taken = session.scalar(select(Modality).where(func.upper(Modality.code) == code))
            if taken is not None:
                state = "" if taken.is_active else " (disabled: enable it instead)"
                raise ValidationError(f"The modality {code} already exists{state}.", "code")
            row = Modality(code=code, name=name, is_active=True)
            session.add(row)
            session.flush()
            self._audit(session, "modality_added", "modality", row.id, {"code": code, "name": name})
            notify(session, LiveChannel.CATALOGUE, f"modality:{row.id}")
            return ModalityInfo(row.id, row.code, row.name, row.is_active)

    def update_modality(self, modality_id: int, *, name: str, is_active: bool) -> ModalityInfo:
        name = _name(name)
        with self._sessions.begin() as session:
            row = self._locked(session, Modality, modality_id, "That modality")
            changes = self._changes(row, {"name": name, "is_active": is_active})
            if changes:
                for field, (_old, new) in changes.items():
                    setattr(row, field, new)
                session.flush()
                self._audit(
                    session, "modality_changed", "modality", row.id, self._jsonable(changes)
                )
                notify(session, LiveChannel.CATALOGUE, f"modality:{row.id}")
            return ModalityInfo(row.id, row.code, row.name, row.is_active)

    def set_modality_active(self, code: str, is_active: bool) -> ModalityInfo:
        """Disable (or enable again) the modality with ``code``."""
        code = code.strip().upper()
        with self._sessions() as session:
            found = session.scalar(select(Modality.id).where(Modality.code == code))
            name = session.scalar(select(Modality.name).where(Modality.code == code))
        if found is None or name is None:
            raise NotFoundError(f"There is no modality {code}.")
        return self.update_modality(found, name=name, is_active=is_active)


def _code(code: str) -> str:
    code = code.strip().upper()
    if not _CODE.match(code):
        raise ValidationError(
            "A modality code is the DICOM one: 2-8 capital letters or digits (e.g. CT, MR, US).",
            "code",
        )
    return code


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationError("Enter the modality's name (80 characters at most).", "name")
    return name
