"""What the analytics service returns: the :class:`Dashboard` of every chart of one
period and modality filter, the :data:`Chart` union, the modality choices and the key
figures of the cover page.

The charts themselves live by theme: :mod:`.appointment_results` (volume, popularity,
attendance, utilisation), :mod:`.finance_results` (revenue, medical aid) and
:mod:`.quality_results` (satisfaction, turnaround); the tables beside them in
:mod:`.tables`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mic_desktop.services.analytics.appointment_results import (
    AttendanceChart,
    PopularityChart,
    UtilisationChart,
    VolumeChart,
)
from mic_desktop.services.analytics.finance_results import MedicalAidChart, RevenueChart
from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.analytics.quality_results import SatisfactionChart, TurnaroundChart
from mic_desktop.services.analytics.tables import Column, ColumnKind
from mic_desktop.services.documents.letterhead import Letterhead

Chart = (
    VolumeChart
    | PopularityChart
    | AttendanceChart
    | RevenueChart
    | MedicalAidChart
    | SatisfactionChart
    | TurnaroundChart
    | UtilisationChart
)


@dataclass(frozen=True)
class ModalityChoice:
    """A modality the dashboard can be filtered by."""

    id: int
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Dashboard:
    """Every chart of one period and modality filter, read in one consistent snapshot."""

    letterhead: Letterhead  # the clinic's name, address, logo, zone and currency
    period: Period
    modality: ModalityChoice | None
    generated_at: dt.datetime  # UTC
    volume: VolumeChart
    popularity: PopularityChart
    attendance: AttendanceChart
    revenue: RevenueChart
    medical_aid: MedicalAidChart
    satisfaction: SatisfactionChart
    turnaround: TurnaroundChart
    utilisation: UtilisationChart

    @property
    def charts(self) -> tuple[Chart, ...]:
        """The charts in the order the dashboard and the PDF show them."""
        return (
            self.volume,
            self.popularity,
            self.attendance,
            self.revenue,
            self.medical_aid,
            self.satisfaction,
            self.turnaround,
            self.utilisation,
        )

    @property
    def filter_label(self) -> str:
        return self.modality.label if self.modality else "All modalities"

    @property
    def key_figures(self) -> tuple[KeyFigure, ...]:
        """The headline numbers of the cover page, each from its chart.

        A comparison compares like with like (the period's span up to now against the
        same span earlier, stated in the note); bookings not started yet are a figure
        of their own, never mixed into attendance.
        """
        volume, attendance = self.volume, self.attendance.total
        satisfaction = self.satisfaction
        turnaround = self.turnaround.overall
        utilisation = self.utilisation.total
        percent = Column("", ColumnKind.PERCENT)
        change = Column("", ColumnKind.CHANGE)
        revenue = self.revenue

        def compared(value: float | None, earlier: str) -> str:
            if value is None:
                return f"{volume.span}: none {earlier}" if volume.span else ""
            return f"{change.format(value)}, {volume.span}"

        ahead = utilisation.booked_ahead
        return (
            KeyFigure(
                "Appointments to date",
                f"{volume.to_date:,}",
                compared(volume.change, "to compare with"),
            ),
            KeyFigure(
                "Booked ahead",
                f"{volume.booked_ahead:,}",
                "not started yet, in this period",
            ),
            KeyFigure(
                "Completion rate",
                percent.format(attendance.completion_rate),
                f"of {attendance.due:,} due" if attendance.due else "none due yet",
            ),
            KeyFigure(
                "No-show rate",
                percent.format(attendance.no_show_rate),
                f"{attendance.no_shows:,} of {attendance.due:,} due" if attendance.due else "",
            ),
            KeyFigure(
                "Revenue",
                f"{revenue.currency} {revenue.total:,.2f}",
                compared(revenue.change, "to compare with"),
            ),
            KeyFigure(
                "Patient satisfaction",
                Column("", ColumnKind.RATING).format(satisfaction.overall) + " / 5"
                if satisfaction.overall is not None
                else "—",
                f"{satisfaction.responses:,} responses, "
                f"{percent.format(satisfaction.recommend_rate)} would recommend"
                if satisfaction.responses
                else "no responses",
            ),
            KeyFigure(
                "Report turnaround (median)",
                Column("", ColumnKind.HOURS).format(turnaround.median_hours) if turnaround else "—",
                f"{turnaround.reports:,} reports" if turnaround else "",
            ),
            KeyFigure(
                "Room utilisation",
                percent.format(utilisation.utilisation),
                "to date"
                + (f"; {percent.format(ahead)} booked ahead" if ahead is not None else ""),
            ),
        )
