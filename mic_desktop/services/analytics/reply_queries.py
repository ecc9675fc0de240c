"""What two-way SMS and the waitlist did for attendance in a period: the attendance tab's figures.

Confirmations and cancellations by patient reply count the replies that confirmed
or cancelled an appointment, by the day the reply came. Slots refilled from the
waitlist count freed slots a waitlisted patient took, by the day of the slot; the
revenue they recovered is the price of those appointments that were not cancelled
again or missed. A modality filter counts the appointments (and slots' rooms) of
that modality.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import (
    Appointment,
    ClinicSettings,
    FreedSlot,
    FreedSlotStatus,
    ReplyAction,
    Room,
    ScanType,
    SmsReply,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.base import ClinicService, require_manager
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.formats import format_money


@dataclass(frozen=True)
class ReplyFigures:
    confirmed_by_reply: int
    cancelled_by_reply: int
    slots_refilled: int
    revenue_recovered: Decimal
    currency: str

    @property
    def revenue_label(self) -> str:
        return format_money(self.revenue_recovered, self.currency)


def reply_figures(
    session: Session, start: dt.datetime, end: dt.datetime, modality_id: int | None, currency: str
) -> ReplyFigures:
    """The figures for ``[start, end)`` (UTC), optionally of one modality."""
    replies = (
        select(SmsReply.action, func.count(SmsReply.id))
        .join(Appointment, Appointment.id == SmsReply.appointment_id)
        .join(ScanType, ScanType.id == Appointment.scan_type_id)
        .where(
            SmsReply.received_at >= start,
            SmsReply.received_at < end,
            SmsReply.action.in_((ReplyAction.CONFIRMED.value, ReplyAction.CANCELLED.value)),
        )
        .group_by(SmsReply.action)
    )
    if modality_id is not None:
        replies = replies.where(ScanType.modality_id == modality_id)
    counts: dict[str, int] = {action: count for action, count in session.execute(replies)}
    refilled = (
        select(
            func.count(FreedSlot.id),
            func.coalesce(
                func.sum(Appointment.price).filter(
                    Appointment.status.not_in(("cancelled", "no_show"))
                ),
                0,
            ),
        )
        .join(Appointment, Appointment.id == FreedSlot.filled_appointment_id)
        .join(Room, Room.id == FreedSlot.room_id)
        .where(
            FreedSlot.status == FreedSlotStatus.FILLED.value,
            FreedSlot.start_at >= start,
            FreedSlot.start_at < end,
        )
    )
    if modality_id is not None:
        refilled = refilled.where(Room.modality_id == modality_id)
    slots, revenue = session.execute(refilled).one()
    return ReplyFigures(
        confirmed_by_reply=int(counts.get(ReplyAction.CONFIRMED.value, 0)),
        cancelled_by_reply=int(counts.get(ReplyAction.CANCELLED.value, 0)),
        slots_refilled=int(slots),
        revenue_recovered=Decimal(revenue).quantize(Decimal("0.01")),
        currency=currency,
    )


class ReplyAnalytics(ClinicService):
    """The attendance tab's reply and waitlist figures (manager only)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        actor: StaffAccount | None,
        workstation: str = "",
        clock: Clock = utc_now,
    ) -> None:
        require_manager(actor)
        super().__init__(session_factory, actor, workstation, clock)

    def figures(self, period: Period, modality_id: int | None = None) -> ReplyFigures:
        with self._sessions() as session:
            settings = session.get(ClinicSettings, 1)
            zone = ZoneInfo(settings.time_zone if settings else "UTC")
            currency = settings.currency if settings else ""
            start = dt.datetime.combine(period.first_day, dt.time(0), zone)
            end = dt.datetime.combine(period.last_day + dt.timedelta(days=1), dt.time(0), zone)
            return reply_figures(session, start, end, modality_id, currency)
