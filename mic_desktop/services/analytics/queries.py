"""The manager's analytics: :class:`AnalyticsService`, every chart aggregated in PostgreSQL.

Every chart covers a :class:`Period` (whole days in the clinic's time zone) and an
optional modality, and says what it counts in one line; what counts is written once,
in :mod:`.counting`. The queries live by theme: :mod:`.appointment_counts` (volume,
popularity and attendance from one pass over the appointments' daily roll-up),
:mod:`.appointment_queries` (utilisation), :mod:`.finance_queries` (revenue and
medical aid, from their roll-ups) and :mod:`.quality_queries` (satisfaction,
turnaround).

:meth:`AnalyticsService.load_dashboard` reads every chart in one read-only
snapshot; the UI calls it off the GUI thread.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import ClinicSettings, Modality
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.analytics.appointment_counts import (
    appointment_counts,
    attendance_chart,
    popularity_chart,
    volume_chart,
)
from mic_desktop.services.analytics.appointment_queries import utilisation_chart
from mic_desktop.services.analytics.appointment_results import (
    AttendanceChart,
    PopularityChart,
    UtilisationChart,
    VolumeChart,
)
from mic_desktop.services.analytics.counting import QueryContext
from mic_desktop.services.analytics.finance_queries import medical_aid_chart, revenue_chart
from mic_desktop.services.analytics.finance_results import MedicalAidChart, RevenueChart
from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.analytics.quality_queries import satisfaction_chart, turnaround_chart
from mic_desktop.services.analytics.quality_results import SatisfactionChart, TurnaroundChart
from mic_desktop.services.analytics.results import Dashboard, ModalityChoice
from mic_desktop.services.base import ClinicService, require_manager
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.documents.letterhead import load_letterhead
from mic_desktop.services.errors import NotFoundError


class AnalyticsService(ClinicService):
    """Charts for the manager's dashboard; every method is one read-only snapshot."""

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

    # -- what the period and filter selectors offer -----------------------------------

    def today(self) -> dt.date:
        """Today in the clinic (the anchor of "this week", "this month" ...)."""
        with self._sessions() as session:
            zone = ZoneInfo(_settings(session)[0])
        return self._clock().astimezone(zone).date()

    def modalities(self) -> list[ModalityChoice]:
        with self._sessions() as session:
            rows = session.execute(
                select(Modality.id, Modality.code, Modality.name).order_by(Modality.name)
            ).all()
        return [ModalityChoice(*row) for row in rows]

    # -- the dashboard ------------------------------------------------------------------

    def load_dashboard(self, period: Period, modality_id: int | None = None) -> Dashboard:
        """Every chart for ``period`` and ``modality_id`` (None: all), in one snapshot."""
        with self._snapshot() as session:
            ctx = self._context(session, period, modality_id)
            counts = appointment_counts(session, ctx)
            return Dashboard(
                letterhead=load_letterhead(session),
                period=period,
                modality=_modality(session, modality_id),
                generated_at=ctx.now,
                volume=volume_chart(ctx, counts),
                popularity=popularity_chart(ctx, counts),
                attendance=attendance_chart(ctx, counts),
                revenue=revenue_chart(session, ctx),
                medical_aid=medical_aid_chart(session, ctx),
                satisfaction=satisfaction_chart(session, ctx),
                turnaround=turnaround_chart(session, ctx),
                utilisation=utilisation_chart(session, ctx),
            )

    # -- one chart at a time ------------------------------------------------------------

    def volume(self, period: Period, modality_id: int | None = None) -> VolumeChart:
        """Appointments per day, week or month, against the same period a year earlier."""
        with self._snapshot() as session:
            ctx = self._context(session, period, modality_id)
            return volume_chart(ctx, appointment_counts(session, ctx))

    def popularity(self, period: Period, modality_id: int | None = None) -> PopularityChart:
        """Appointments per scan type, most booked first."""
        with self._snapshot() as session:
            ctx = self._context(session, period, modality_id)
            return popularity_chart(ctx, appointment_counts(session, ctx))

    def attendance(self, period: Period, modality_id: int | None = None) -> AttendanceChart:
        """Completion, no-show and late-cancellation rates over time."""
        with self._snapshot() as session:
            ctx = self._context(session, period, modality_id)
            return attendance_chart(ctx, appointment_counts(session, ctx))

    def revenue(self, period: Period, modality_id: int | None = None) -> RevenueChart:
        """Net revenue by scan type over time, and by payment method."""
        with self._snapshot() as session:
            return revenue_chart(session, self._context(session, period, modality_id))

    def medical_aid(self, period: Period, modality_id: int | None = None) -> MedicalAidChart:
        """Medical-aid cover against co-payments and shortfalls, per medical aid."""
        with self._snapshot() as session:
            return medical_aid_chart(session, self._context(session, period, modality_id))

    def satisfaction(self, period: Period, modality_id: int | None = None) -> SatisfactionChart:
        """Average ratings, would-recommend rate, trend and the latest comments."""
        with self._snapshot() as session:
            return satisfaction_chart(session, self._context(session, period, modality_id))

    def turnaround(self, period: Period, modality_id: int | None = None) -> TurnaroundChart:
        """Scan completed to report final: median and 90th percentile per radiologist."""
        with self._snapshot() as session:
            return turnaround_chart(session, self._context(session, period, modality_id))

    def utilisation(self, period: Period, modality_id: int | None = None) -> UtilisationChart:
        """Booked minutes over open minutes per room."""
        with self._snapshot() as session:
            return utilisation_chart(session, self._context(session, period, modality_id))

    # -- plumbing -----------------------------------------------------------------------

    def _snapshot(self) -> Session:
        """A read-only REPEATABLE READ transaction: every chart sees the same data."""
        session = self._sessions()
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        session.execute(text("SET TRANSACTION READ ONLY"))
        session.execute(text("SET LOCAL work_mem = '32MB'"))  # a year's turnaround sorts in memory
        return session

    def _context(self, session: Session, period: Period, modality_id: int | None) -> QueryContext:
        time_zone, currency, late_cancellation_hours = _settings(session)
        zone = ZoneInfo(time_zone)
        start, end = period.bounds(zone)
        return QueryContext(
            period=period,
            zone=zone,
            start=start,
            end=end,
            now=self._clock(),
            modality_id=modality_id,
            currency=currency,
            late_cancellation_hours=late_cancellation_hours,
        )


def _settings(session: Session) -> tuple[str, str, int]:
    """The clinic's time zone, currency and late-cancellation hours (defaults before setup)."""
    settings = ClinicSettings
    row = session.execute(
        select(settings.time_zone, settings.currency, settings.late_cancellation_hours).where(
            settings.id == 1
        )
    ).one_or_none()
    if row is None:
        columns = settings.__table__.c
        return tuple(  # type: ignore[return-value]
            columns[name].default.arg
            for name in ("time_zone", "currency", "late_cancellation_hours")
        )
    return row[0], row[1], row[2]


def _modality(session: Session, modality_id: int | None) -> ModalityChoice | None:
    if modality_id is None:
        return None
    row = session.get(Modality, modality_id)
    if row is None:
        raise NotFoundError("That modality no longer exists; choose another.")
    return ModalityChoice(row.id, row.code, row.name)


__all__ = ["AnalyticsService"]
