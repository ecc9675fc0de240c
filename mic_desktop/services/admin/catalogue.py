"""The manager's catalogue: scan types and their prices.

A price change writes a :class:`ScanTypePrice` row (the new price, from when, by
whom) next to the scan type's current price; appointments keep the price they
were booked at, so history and past bills never move. Every change is audited and
announced on the catalogue channel.

Rooms and their opening hours are kept in :mod:`mic_desktop.services.scheduling.rooms`,
closures in :mod:`~mic_desktop.services.scheduling.closures` and modalities in
:mod:`.modalities`; :class:`FacilityAdminService` builds on all three, so the
manager's catalogue pages have one service.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mic_desktop.models import Modality, ScanType, ScanTypePrice, StaffUser
from mic_desktop.services.admin.modalities import ModalityAdminService, ModalityInfo
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.formats import money
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.records import check_version
from mic_desktop.services.scheduling.closures import ClosureAdminService

__all__ = ["FacilityAdminService", "ModalityInfo", "PriceChange", "ScanTypeDraft", "ScanTypeInfo"]

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")
MAX_PRICE = Decimal("9999999999.99")


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


class FacilityAdminService(ModalityAdminService, ClosureAdminService):
    """Scan types and prices; modalities, closures, rooms and opening hours from the bases."""

    # -- lookups --------------------------------------------------------------------

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

    # -- scan types and prices --------------------------------------------------------

    def add_scan_type(self, draft: ScanTypeDraft, price: Decimal | str) -> ScanTypeInfo:
        amount = _price(price)
        draft = _checked_draft(draft)
        with self._sessions.begin() as session:
            self._modality(session, draft.modality_id)
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
            row = self._locked(session, ScanType, scan_type_id, "That scan type")
            check_version(
                session,
                row.version,
                expected_version,
                f"The scan type {row.name}",
                "scan_type",
                row.id,
            )
            self._modality(session, draft.modality_id, row.modality_id)
            _refuse_taken_code(session, draft.code, row.id)
            changes = self._changes(row, _draft_values(draft))
            if changes:
                for name, (_old, new) in changes.items():
                    setattr(row, name, new)
                self._flush_code(session, draft.code)
                self._audit(
                    session, "scan_type_changed", "scan_type", row.id, self._jsonable(changes)
                )
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
            row = self._locked(session, ScanType, scan_type_id, "That scan type")
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

    # -- helpers --------------------------------------------------------------------------

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
