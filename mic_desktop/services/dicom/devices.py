"""The scanners the DICOM service knows: AE title, the room it stands in, its address.

Only a manager (or the command line) changes the list; every change is audited and
announced on the catalogue channel. The AE title is the scanner's name on the DICOM
network and must be unique; the worklist of a scanner is its room's appointments.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import DicomDevice, Modality, Room
from mic_desktop.services.base import ManagerService
from mic_desktop.services.dicom.settings import check_ae_title, check_port
from mic_desktop.services.errors import NotFoundError, ValidationError
from mic_desktop.services.live import LiveChannel, notify

DEFAULT_SCANNER_PORT = 104  # the DICOM port a scanner listens on unless told otherwise


@dataclass(frozen=True)
class DeviceInfo:
    id: int
    ae_title: str
    room_id: int
    room_name: str
    modality_code: str
    host: str | None
    port: int | None

    @property
    def label(self) -> str:
        """How the status history names the scanner: room and AE title."""
        return f"{self.room_name} ({self.ae_title})"

    @property
    def echo_port(self) -> int:
        return self.port or DEFAULT_SCANNER_PORT


def _query():  # type: ignore[no-untyped-def]
    return (
        select(
            DicomDevice.id,
            DicomDevice.ae_title,
            Room.id,
            Room.name,
            Modality.code,
            DicomDevice.host,
            DicomDevice.port,
        )
        .join(Room, Room.id == DicomDevice.room_id)
        .join(Modality, Modality.id == Room.modality_id)
    )


def device_by_ae_title(session: Session, ae_title: str) -> DeviceInfo | None:
    row = session.execute(_query().where(DicomDevice.ae_title == ae_title.strip())).first()
    return DeviceInfo(*row) if row else None


def list_devices(session_factory: sessionmaker[Session]) -> list[DeviceInfo]:
    with session_factory() as session:
        rows = session.execute(_query().order_by(Room.sort_order, Room.name, DicomDevice.ae_title))
        return [DeviceInfo(*row) for row in rows]


class DicomDeviceService(ManagerService):
    """Add, list and remove the clinic's scanners."""

    def devices(self) -> list[DeviceInfo]:
        return list_devices(self._sessions)

    def rooms(self) -> list[tuple[int, str]]:
        """The active rooms a scanner can stand in, (id, name) in the book's order."""
        with self._sessions() as session:
            rows = session.execute(
                select(Room.id, Room.name)
                .where(Room.is_active)
                .order_by(Room.sort_order, Room.name)
            )
            return [(room_id, name) for room_id, name in rows]

    def add(
        self,
        ae_title: str,
        *,
        room: str | int,
        host: str | None = None,
        port: int | None = None,
    ) -> DeviceInfo:
        """Add a scanner by AE title in ``room`` (its id, or its name, any case)."""
        ae_title = check_ae_title(ae_title)
        host = (host or "").strip() or None
        if host is not None and (len(host) > 255 or any(c.isspace() for c in host)):
            raise ValidationError(f"{host} is not a host name or IP address.", "host")
        port = check_port(port) if port is not None else None
        with self._sessions.begin() as session:
            room_row = self._room(session, room)
            taken = session.scalar(
                select(DicomDevice).where(func.upper(DicomDevice.ae_title) == ae_title.upper())
            )
            if taken is not None:
                raise ValidationError(
                    f"A scanner with the AE title {taken.ae_title} is already set up.", "ae_title"
                )
            row = DicomDevice(ae_title=ae_title, room_id=room_row.id, host=host, port=port)
            session.add(row)
            session.flush()
            details = {"ae_title": ae_title, "room": room_row.name, "host": host, "port": port}
            self._audit(session, "dicom_device_added", "dicom_device", row.id, details)
            notify(session, LiveChannel.CATALOGUE, f"dicom_device:{row.id}")
            info = device_by_ae_title(session, ae_title)
            assert info is not None
            return info

    def remove(self, ae_title: str) -> DeviceInfo:
        """Forget a scanner: it is refused from now on (unless any AE title is allowed)."""
        with self._sessions.begin() as session:
            row = session.scalar(
                select(DicomDevice).where(
                    func.upper(DicomDevice.ae_title) == ae_title.strip().upper()
                )
            )
            if row is None:
                raise NotFoundError(f"No scanner has the AE title {ae_title.strip()}.")
            info = device_by_ae_title(session, row.ae_title)
            assert info is not None
            session.delete(row)
            self._audit(
                session,
                "dicom_device_removed",
                "dicom_device",
                info.id,
                {"ae_title": info.ae_title, "room": info.room_name},
            )
            notify(session, LiveChannel.CATALOGUE, f"dicom_device:{info.id}")
            return info

    @staticmethod
    def _room(session: Session, room: str | int) -> Room:
        if isinstance(room, int):
            found = session.get(Room, room)
        else:
            found = session.scalar(
                select(Room).where(func.lower(Room.name) == room.strip().lower())
            )
        if found is None:
            names = ", ".join(session.scalars(select(Room.name).order_by(Room.name))) or "none yet"
            raise ValidationError(f"There is no room {room}; the rooms are: {names}.", "room")
        if not found.is_active:
            raise ValidationError(f"The room {found.name} is closed (inactive).", "room")
        return found
