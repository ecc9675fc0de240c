"""The manager's catalogue: scan types and their prices, rooms and their opening hours.

A price change writes a :class:`ScanTypePrice` row (the new price, from when, by
whom) next to the scan type's current price; appointments keep the price they
were booked at, so history and past bills never move. Rooms are deactivated, not
deleted (appointments point at them), and not while they still have bookings
ahead. Every change is audited and announced on the catalogue channel.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from mic_desktop.models import (
    SLOT_RELEASING_STATUSES,
    Appointment,
    Modality,
    Room,
    RoomOpeningHours,
    ScanType,
    ScanTypePrice,
    StaffUser,
)
from mic_desktop.services.base import ManagerService, lock_row
from mic_desktop.services.errors import NotFoundError, ValidationError
from mic_desktop.services.formats import format_datetime, money
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.records import check_version, clinic_zone

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")
MAX_PRICE = Decimal("9999999999.99")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class ModalityInfo:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ScanTypeInfo:
    id: int
    code: str
    name: str
    modality_id: int
    modality: str
    duration_minutes: int
    price: Decimal
    preparation: str
    requires_preauthorisation: bool
    is_active: bool
    version: int

    @classmethod
    def from_row(cls, row: ScanType) -> ScanTypeInfo:
        return cls(
            row.id,
            row.code,
            row.name,
            row.modality_id,
            row.modality.code,
            row.duration_minutes,
            row.price,
            row.preparation,
            row.requires_preauthorisation,
            row.is_active,
            row.version,
        )


@dataclass(frozen=True)
class ScanTypeDraft:
    """What the scan-type form holds (the price only when the scan type is new)."""

    code: str
    name: str
    modality_id: int
    duration_minutes: int
    preparation: str = ""
    requires_preauthorisation: bool = False
    is_active: bool = True


@dataclass(frozen=True)
class PriceChange:
    price: Decimal
    valid_from: dt.datetime
    changed_by: str | None


@dataclass(frozen=True)
class OpeningPeriod:
    """A room open on ``weekday`` (0 = Monday) from ``opens_at`` to ``closes_at``."""

    weekday: int
    opens_at: dt.time
    closes_at: dt.time

    @property
    def minutes(self) -> int:
        start = self.opens_at.hour * 60 + self.opens_at.minute
        return self.closes_at.hour * 60 + self.closes_at.minute - start


@dataclass(frozen=True)
class RoomInfo:
    id: int
    name: str
    modality_id: int
    modality: str
    is_active: bool
    sort_order: int
    opening_hours: tuple[OpeningPeriod, ...]
    version: int

    @property
    def open_minutes_per_week(self) -> int:
        return sum(period.minutes for period in self.opening_hours)


class FacilityAdminService(ManagerService):
    """Scan types, prices, rooms and opening hours."""

    # -- lookups --------------------------------------------------------------------

    def modalities(self) -> list[ModalityInfo]:
        with self._sessions() as session:
            rows = session.execute(
                select(Modality.id, Modality.code, Modality.name).order_by(Modality.name)
            ).all()
        return [ModalityInfo(*row) for row in rows]

    def scan_types(self, *, include_inactive: bool = True) -> list[ScanTypeInfo]:
        query = select(ScanType).join(Modality).order_by(Modality.code, ScanType.name)
        if not include_inactive:
            query = query.where(ScanType.is_active)
        with self._sessions() as session:
            return [ScanTypeInfo.from_row(row) for row in session.scalars(query)]

    def price_history(self, scan_type_id: int) -> list[PriceChange]:
        """Every price the scan type has had, newest first."""
        with self._sessions() as session:
            rows = session.execute(
                select(ScanTypePrice.price, ScanTypePrice.valid_from, StaffUser.full_name)
                .outerjoin(StaffUser, StaffUser.id == ScanTypePrice.changed_by_id)
                .where(ScanTypePrice.scan_type_id == scan_type_id)
                .order_by(ScanTypePrice.valid_from.desc(), ScanTypePrice.id.desc())
            ).all()
        return [PriceChange(*row) for row in rows]

    def rooms(self) -> list[RoomInfo]:
        with self._sessions() as session:
            rows = session.scalars(select(Room).order_by(Room.sort_order, Room.name)).all()
            return [_room_info(row) for row in rows]

    # -- scan types and prices --------------------------------------------------------

    def add_scan_type(self, draft: ScanTypeDraft, price: Decimal | str) -> ScanTypeInfo:
        amount = _price(price)
        draft = _checked_draft(draft)
        with self._sessions.begin() as session:
            _modality(session, draft.modality_id)
            _refuse_taken_code(session, draft.code, None)
            row = ScanType(price=amount, **_draft_values(draft))
            session.add(row)
            self._flush_code(session, draft.code)
            session.add(
                ScanTypePrice(
                    scan_type_id=row.id,
                    price=amount,
                    valid_from=self._clock(),
                    changed_by_id=self._actor_id,
                )
            )
            self._audit(
                session,
                "scan_type_added",
                "scan_type",
                row.id,
                {"code": row.code, "name": row.name, "price": str(amount)},
            )
            notify(session, LiveChannel.CATALOGUE, f"scan_type:{row.id}")
            session.flush()
            session.refresh(row)
            return ScanTypeInfo.from_row(row)

    def update_scan_type(
        self, scan_type_id: int, draft: ScanTypeDraft, *, expected_version: int
    ) -> ScanTypeInfo:
        """Everything about a scan type but its price (see :meth:`change_price`)."""
        draft = _checked_draft(draft)
        with self._sessions.begin() as session:
            row = _locked(session, ScanType, scan_type_id, "That scan type")
            check_version(
                session,
                row.version,
                expected_version,
                f"The scan type {row.name}",
                "scan_type",
                row.id,
            )
            _modality(session, draft.modality_id)
            _refuse_taken_code(session, draft.code, row.id)
            changes = _changes(row, _draft_values(draft))
            if changes:
                for name, (_old, new) in changes.items():
                    setattr(row, name, new)
                self._flush_code(session, draft.code)
                self._audit(session, "scan_type_changed", "scan_type", row.id, _jsonable(changes))
                notify(session, LiveChannel.CATALOGUE, f"scan_type:{row.id}")
            session.refresh(row)
            return ScanTypeInfo.from_row(row)

    def change_price(
        self, scan_type_id: int, price: Decimal | str, *, expected_version: int
    ) -> ScanTypeInfo:
        """A new price from now on; booked appointments keep theirs."""
        amount = _price(price)
        now = self._clock()
        with self._sessions.begin() as session:
            row = _locked(session, ScanType, scan_type_id, "That scan type")
            check_version(
                session,
                row.version,
                expected_version,
                f"The price of {row.name}",
                "scan_type",
                row.id,
            )
            if amount == row.price:
                raise ValidationError(f"{row.name} already costs {amount:,.2f}.", "price")
            old = row.price
            row.price = amount
            session.add(
                ScanTypePrice(
                    scan_type_id=row.id, price=amount, valid_from=now, changed_by_id=self._actor_id
                )
            )
            session.flush()
            self._audit(
                session,
                "scan_type_price_changed",
                "scan_type",
                row.id,
                {
                    "code": row.code,
                    "from": str(old),
                    "to": str(amount),
                    "valid_from": now.isoformat(),
                },
            )
            notify(session, LiveChannel.CATALOGUE, f"scan_type:{row.id}")
            session.refresh(row)
            return ScanTypeInfo.from_row(row)

    # -- rooms and opening hours ----------------------------------------------------------

    def add_room(self, name: str, modality_id: int, *, sort_order: int = 0) -> RoomInfo:
        name = _room_name(name)
        with self._sessions.begin() as session:
            _modality(session, modality_id)
            _refuse_taken_room(session, name, None)
            row = Room(name=name, modality_id=modality_id, sort_order=sort_order)
            session.add(row)
            session.flush()
            self._audit(session, "room_added", "room", row.id, {"name": name})
            notify(session, LiveChannel.CATALOGUE, f"room:{row.id}")
            session.refresh(row)
            return _room_info(row)

    def update_room(
        self,
        room_id: int,
        *,
        name: str,
        modality_id: int,
        is_active: bool,
        sort_order: int,
        expected_version: int,
    ) -> RoomInfo:
        name = _room_name(name)
        with self._sessions.begin() as session:
            row = _locked(session, Room, room_id, "That room")
            check_version(
                session, row.version, expected_version, f"The room {row.name}", "room", row.id
            )
            _modality(session, modality_id)
            _refuse_taken_room(session, name, row.id)
            if row.is_active and not is_active:
                self._refuse_bookings_ahead(session, row)
            changes = _changes(
                row,
                {
                    "name": name,
                    "modality_id": modality_id,
                    "is_active": is_active,
                    "sort_order": sort_order,
                },
            )
            if changes:
                for field, (_old, new) in changes.items():
                    setattr(row, field, new)
                session.flush()
                self._audit(session, "room_changed", "room", row.id, _jsonable(changes))
                notify(session, LiveChannel.CATALOGUE, f"room:{row.id}")
            session.refresh(row)
            return _room_info(row)

    def set_opening_hours(
        self, room_id: int, periods: Sequence[OpeningPeriod], *, expected_version: int
    ) -> RoomInfo:
        """Replace the room's weekly opening hours (the room's version moves on)."""
        checked = _checked_periods(periods)
        with self._sessions.begin() as session:
            row = _locked(session, Room, room_id, "That room")
            check_version(
                session,
                row.version,
                expected_version,
                f"The opening hours of {row.name}",
                "room",
                row.id,
            )
            before = [_period_text(p) for p in _room_info(row).opening_hours]
            row.opening_hours.clear()
            session.flush()
            for period in checked:
                row.opening_hours.append(
                    RoomOpeningHours(
                        weekday=period.weekday,
                        opens_at=period.opens_at,
                        closes_at=period.closes_at,
                    )
                )
            flag_modified(row, "name")  # the room's version counts its hours too
            session.flush()
            self._audit(
                session,
                "room_opening_hours_changed",
                "room",
                row.id,
                {"before": before, "after": [_period_text(p) for p in checked]},
            )
            notify(session, LiveChannel.CATALOGUE, f"room:{row.id}")
            session.refresh(row)
            return _room_info(row)

    # -- helpers --------------------------------------------------------------------------

    def _refuse_bookings_ahead(self, session: Session, room: Room) -> None:
        now = self._clock()
        ahead = session.execute(
            select(func.count(), func.min(Appointment.start_at)).where(
                Appointment.room_id == room.id,
                Appointment.start_at >= now,
                Appointment.status.not_in([s.value for s in SLOT_RELEASING_STATUSES]),
            )
        ).one()
        if ahead[0]:
            first = format_datetime(ahead[1], clinic_zone(session))
            raise ValidationError(
                f"{room.name} still has {ahead[0]} booking{'s' if ahead[0] != 1 else ''} "
                f"ahead (the first on {first}): move or cancel them before closing the room.",
                "is_active",
            )

    @staticmethod
    def _flush_code(session: Session, code: str) -> None:
        """Flush; a code taken by another desk a moment ago is a field error, not a crash."""
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as exc:
            if "uq_scan_type_code" in str(exc.orig):
                raise ValidationError(f"The code {code} is taken.", "code") from None
            raise


def _room_info(row: Room) -> RoomInfo:
    hours = sorted(
        (OpeningPeriod(h.weekday, h.opens_at, h.closes_at) for h in row.opening_hours),
        key=lambda p: (p.weekday, p.opens_at),
    )
    return RoomInfo(
        row.id,
        row.name,
        row.modality_id,
        row.modality.code,
        row.is_active,
        row.sort_order,
        tuple(hours),
        row.version,
    )


def _locked(session: Session, model: type, record_id: int, what: str):  # type: ignore[no-untyped-def]
    row = lock_row(session, model, record_id)
    if row is None:
        raise NotFoundError(f"{what} no longer exists; reload the list.")
    return row


def _modality(session: Session, modality_id: int) -> Modality:
    row = session.get(Modality, modality_id)
    if row is None:
        raise ValidationError("Choose a modality.", "modality")
    return row


def _price(value: Decimal | str) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationError("The price is not an amount.", "price") from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError("The price cannot be negative.", "price")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError("A price has at most two decimals.", "price")
    if amount > MAX_PRICE:
        raise ValidationError("The price is too large.", "price")
    return money(amount)


def _checked_draft(draft: ScanTypeDraft) -> ScanTypeDraft:
    code = draft.code.strip().upper()
    if not _CODE.match(code):
        raise ValidationError(
            "A code has 1-20 capital letters, digits, '-' or '_' (e.g. CTHEAD).", "code"
        )
    name = draft.name.strip()
    if not name or len(name) > 120:
        raise ValidationError("Enter the scan type's name (120 characters at most).", "name")
    if not 5 <= draft.duration_minutes <= 480:
        raise ValidationError("A scan takes between 5 and 480 minutes.", "duration_minutes")
    return ScanTypeDraft(
        code=code,
        name=name,
        modality_id=draft.modality_id,
        duration_minutes=draft.duration_minutes,
        preparation=draft.preparation.strip(),
        requires_preauthorisation=draft.requires_preauthorisation,
        is_active=draft.is_active,
    )


def _draft_values(draft: ScanTypeDraft) -> dict[str, object]:
    return {
        "code": draft.code,
        "name": draft.name,
        "modality_id": draft.modality_id,
        "duration_minutes": draft.duration_minutes,
        "preparation": draft.preparation,
        "requires_preauthorisation": draft.requires_preauthorisation,
        "is_active": draft.is_active,
    }


def _refuse_taken_code(session: Session, code: str, own_id: int | None) -> None:
    taken = session.scalar(select(ScanType.id).where(ScanType.code == code))
    if taken is not None and taken != own_id:
        raise ValidationError(f"The code {code} is taken.", "code")


def _room_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationError("Enter the room's name (80 characters at most).", "name")
    return name


def _refuse_taken_room(session: Session, name: str, own_id: int | None) -> None:
    taken = session.scalar(select(Room.id).where(func.lower(Room.name) == name.lower()))
    if taken is not None and taken != own_id:
        raise ValidationError(f"There is already a room called {name}.", "name")


def _checked_periods(periods: Sequence[OpeningPeriod]) -> list[OpeningPeriod]:
    ordered = sorted(periods, key=lambda p: (p.weekday, p.opens_at))
    for i, period in enumerate(ordered):
        if not 0 <= period.weekday <= 6:
            raise ValidationError("Choose a day of the week.", "weekday")
        day = WEEKDAYS[period.weekday]
        if period.closes_at <= period.opens_at:
            raise ValidationError(f"On {day} the room closes before it opens.", "closes_at")
        previous = ordered[i - 1] if i else None
        if previous and previous.weekday == period.weekday and period.opens_at < previous.closes_at:
            raise ValidationError(f"Two opening periods overlap on {day}.", "opens_at")
    return ordered


def _period_text(period: OpeningPeriod) -> str:
    return f"{WEEKDAYS[period.weekday][:3]} {period.opens_at:%H:%M}-{period.closes_at:%H:%M}"


def _changes(row: object, values: dict[str, object]) -> dict[str, tuple[object, object]]:
    return {
        name: (getattr(row, name), value)
        for name, value in values.items()
        if getattr(row, name) != value
    }


def _jsonable(changes: dict[str, tuple[object, object]]) -> dict[str, object]:
    return {name: {"from": str(old), "to": str(new)} for name, (old, new) in changes.items()}
