"""The manager's analytics: one query per chart, aggregated in PostgreSQL.

Every chart covers a :class:`Period` (whole days in the clinic's time zone) and an
optional modality, and says what it counts in one line. What counts is written
once, below: the SQL conditions (``_counts_as_appointment``, ``_is_due`` ...) and
the sentences that describe them (``DEFINITION_*``). Charts that show the same
thing share both, so two charts never count it two ways: the volume chart, the
scan-type chart and the attendance chart count the same appointments; revenue by
scan type and by payment method add up the same payments.

:meth:`AnalyticsService.load_dashboard` reads every chart in one read-only
snapshot; the UI calls it off the GUI thread.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    Integer,
    Select,
    and_,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from mic_desktop.models import (
    SLOT_RELEASING_STATUSES,
    Appointment,
    AppointmentStatus,
    ClinicSettings,
    MedicalAidClaim,
    MedicalAidPlan,
    MedicalAidScheme,
    Modality,
    PatientFeedback,
    Payment,
    PaymentMethod,
    Report,
    Room,
    RoomOpeningHours,
    ScanType,
    StaffUser,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.analytics.periods import Period, format_bucket
from mic_desktop.services.analytics.results import (
    ZERO,
    AttendanceChart,
    AttendancePoint,
    Dashboard,
    FeedbackComment,
    MedicalAidChart,
    MedicalAidRow,
    MethodRevenue,
    ModalityChoice,
    PopularityChart,
    RatingAverage,
    RevenueChart,
    RevenueSeries,
    RoomUtilisation,
    SatisfactionChart,
    SatisfactionPoint,
    ScanTypeCount,
    TurnaroundChart,
    TurnaroundRow,
    UtilisationChart,
    VolumeChart,
    VolumePoint,
)
from mic_desktop.services.base import ClinicService, require_manager
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.documents.letterhead import load_letterhead
from mic_desktop.services.errors import NotFoundError

# -- what the charts count: each sentence once, next to the SQL it describes ----------

DEFINITION_APPOINTMENTS = (
    "appointments = bookings starting in the period, cancelled ones excluded (no-shows included)"
)
DEFINITION_DUE = "due = those appointments whose start time has passed"
DEFINITION_COMPLETION_RATE = "completion rate = completed / due"
DEFINITION_NO_SHOW_RATE = (
    "no-show rate = no-shows / appointments that were due, cancelled ones excluded"
)
DEFINITION_LATE_CANCELLATION_RATE = (
    "late-cancellation rate = cancellations less than {hours} h before the start / "
    "all bookings of the period, cancelled ones included"
)
DEFINITION_REVENUE = "revenue = payments received less refunds, by the day they were taken"
DEFINITION_REVENUE_BY_SCAN = (
    "a payment counts under the scan of the appointment it pays for; "
    "top scan types shown, the rest grouped"
)
DEFINITION_MEDICAL_AID = (
    "completed appointments of the period by the patient's medical aid at booking: "
    "cover and co-payment as quoted; shortfall = claimed less paid by the medical aid "
    "on settled or rejected claims, owed by the patient"
)
DEFINITION_SATISFACTION = (
    "average rating (1-5) per question of the feedback given in the period; "
    "would-recommend rate = 'yes' answers / responses"
)
DEFINITION_TURNAROUND = (
    "turnaround = scan completed to report finalised, for reports finalised in the period; "
    "median and 90th percentile in hours, per signing radiologist"
)
DEFINITION_UTILISATION = (
    "utilisation = booked minutes of appointments holding their slot "
    "(not cancelled, not no-show) / open minutes from the room's opening hours"
)

RATING_DIMENSIONS = (
    ("overall", "Overall satisfaction"),
    ("professionalism", "Staff professionalism"),
    ("cleanliness", "Facility cleanliness"),
    ("report_clarity", "Report clarity"),
)
TOP_SCAN_TYPES_IN_REVENUE = 6
LATEST_COMMENTS = 8
OTHER_SCANS = "Other scan types"
NOT_LINKED = "Not linked to a scan"
NO_MEDICAL_AID = "No medical aid (self-paying)"

_CANCELLED = AppointmentStatus.CANCELLED.value


def _counts_as_appointment() -> ColumnElement[bool]:
    """A booking the charts count: anything but a cancellation."""
    return Appointment.status != _CANCELLED


def _is_due(now: dt.datetime) -> ColumnElement[bool]:
    """A counted appointment whose start has passed: the base of the attendance rates."""
    return and_(_counts_as_appointment(), Appointment.start_at < now)


def _holds_slot() -> ColumnElement[bool]:
    """Still takes the room's time (the double-booking constraint's condition)."""
    return Appointment.status.not_in([status.value for status in SLOT_RELEASING_STATUSES])


def _is_late_cancellation() -> ColumnElement[bool]:
    return and_(Appointment.status == _CANCELLED, Appointment.is_late_cancellation)


def _starts_between(start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    return and_(Appointment.start_at >= start, Appointment.start_at < end)


@dataclass(frozen=True)
class _Context:
    """What every query of one dashboard shares."""

    period: Period
    zone: ZoneInfo
    start: dt.datetime  # UTC
    end: dt.datetime
    now: dt.datetime
    modality_id: int | None
    currency: str
    late_cancellation_hours: int

    @property
    def tz(self) -> str:
        return self.zone.key

    def local(self, column: ColumnElement[dt.datetime]) -> ColumnElement[dt.datetime]:
        """``column AT TIME ZONE <clinic zone>``: the wall-clock time in the clinic."""
        return func.timezone(self.tz, column)

    def bucket_of(self, local: ColumnElement[dt.datetime]) -> ColumnElement[dt.date]:
        return cast(func.date_trunc(self.period.bucket.value, local), Date)

    def by_modality(self, query: Select, modality_column: ColumnElement[int]) -> Select:  # type: ignore[type-arg]
        return (
            query if self.modality_id is None else query.where(modality_column == self.modality_id)
        )


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
            zone = ZoneInfo(_settings(session).time_zone)
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
            return Dashboard(
                letterhead=load_letterhead(session),
                period=period,
                modality=_modality(session, modality_id),
                generated_at=ctx.now,
                volume=_volume(session, ctx),
                popularity=_popularity(session, ctx),
                attendance=_attendance(session, ctx),
                revenue=_revenue(session, ctx),
                medical_aid=_medical_aid(session, ctx),
                satisfaction=_satisfaction(session, ctx),
                turnaround=_turnaround(session, ctx),
                utilisation=_utilisation(session, ctx),
            )

    # -- one chart at a time ------------------------------------------------------------

    def volume(self, period: Period, modality_id: int | None = None) -> VolumeChart:
        """Appointments per day, week or month, against the same period a year earlier."""
        with self._snapshot() as session:
            return _volume(session, self._context(session, period, modality_id))

    def popularity(self, period: Period, modality_id: int | None = None) -> PopularityChart:
        """Appointments per scan type, most booked first."""
        with self._snapshot() as session:
            return _popularity(session, self._context(session, period, modality_id))

    def attendance(self, period: Period, modality_id: int | None = None) -> AttendanceChart:
        """Completion, no-show and late-cancellation rates over time."""
        with self._snapshot() as session:
            return _attendance(session, self._context(session, period, modality_id))

    def revenue(self, period: Period, modality_id: int | None = None) -> RevenueChart:
        """Net revenue by scan type over time, and by payment method."""
        with self._snapshot() as session:
            return _revenue(session, self._context(session, period, modality_id))

    def medical_aid(self, period: Period, modality_id: int | None = None) -> MedicalAidChart:
        """Medical-aid cover against co-payments and shortfalls, per medical aid."""
        with self._snapshot() as session:
            return _medical_aid(session, self._context(session, period, modality_id))

    def satisfaction(self, period: Period, modality_id: int | None = None) -> SatisfactionChart:
        """Average ratings, would-recommend rate, trend and the latest comments."""
        with self._snapshot() as session:
            return _satisfaction(session, self._context(session, period, modality_id))

    def turnaround(self, period: Period, modality_id: int | None = None) -> TurnaroundChart:
        """Scan completed to report final: median and 90th percentile per radiologist."""
        with self._snapshot() as session:
            return _turnaround(session, self._context(session, period, modality_id))

    def utilisation(self, period: Period, modality_id: int | None = None) -> UtilisationChart:
        """Booked minutes over open minutes per room."""
        with self._snapshot() as session:
            return _utilisation(session, self._context(session, period, modality_id))

    # -- plumbing -----------------------------------------------------------------------

    def _snapshot(self) -> Session:
        """A read-only REPEATABLE READ transaction: every chart sees the same data."""
        session = self._sessions()
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        session.execute(text("SET TRANSACTION READ ONLY"))
        return session

    def _context(self, session: Session, period: Period, modality_id: int | None) -> _Context:
        settings = _settings(session)
        zone = ZoneInfo(settings.time_zone)
        start, end = period.bounds(zone)
        return _Context(
            period=period,
            zone=zone,
            start=start,
            end=end,
            now=self._clock(),
            modality_id=modality_id,
            currency=settings.currency,
            late_cancellation_hours=settings.late_cancellation_hours,
        )


def _settings(session: Session) -> ClinicSettings:
    settings = session.get(ClinicSettings, 1)
    return settings if settings is not None else ClinicSettings(id=1)


def _modality(session: Session, modality_id: int | None) -> ModalityChoice | None:
    if modality_id is None:
        return None
    row = session.get(Modality, modality_id)
    if row is None:
        raise NotFoundError("That modality no longer exists; choose another.")
    return ModalityChoice(row.id, row.code, row.name)


def _labels(period: Period) -> list[tuple[dt.date, str]]:
    return [(start, format_bucket(start, period.bucket)) for start in period.bucket_starts()]


# -- appointment volume ---------------------------------------------------------------


def _volume(session: Session, ctx: _Context) -> VolumeChart:
    period = ctx.period
    earlier = period.year_earlier()
    earlier_start, earlier_end = earlier.bounds(ctx.zone)
    days, years = period.comparison_shift
    local = ctx.local(Appointment.start_at)

    def branch(is_earlier: int, start: dt.datetime, end: dt.datetime, shift) -> Select:  # type: ignore[no-untyped-def,type-arg]
        query = (
            select(literal(is_earlier).label("earlier"), (local + shift).label("moment"))
            .join(ScanType, ScanType.id == Appointment.scan_type_id)
            .where(_starts_between(start, end), _counts_as_appointment())
        )
        return ctx.by_modality(query, ScanType.modality_id)

    both = union_all(
        branch(0, ctx.start, ctx.end, func.make_interval(0)),
        # Moved forward onto this period's calendar, so it falls in the matching bucket.
        branch(1, earlier_start, earlier_end, func.make_interval(years, 0, 0, days)),
    ).subquery()
    bucket = ctx.bucket_of(both.c.moment).label("bucket")
    rows = session.execute(
        select(bucket, both.c.earlier, func.count()).group_by("bucket", both.c.earlier)
    ).all()
    counts: dict[tuple[dt.date, int], int] = {(row[0], row[1]): row[2] for row in rows}
    points = tuple(
        VolumePoint(start, label, counts.get((start, 0), 0), counts.get((start, 1), 0))
        for start, label in _labels(period)
    )
    definition = (
        f"{DEFINITION_APPOINTMENTS}; compared with {period.comparison_label} "
        f"({earlier.dates_label})"
    )
    return VolumeChart(
        "Appointment volume", definition, period.bucket, earlier, period.comparison_label, points
    )


# -- scan-type popularity -------------------------------------------------------------


def _popularity(session: Session, ctx: _Context) -> PopularityChart:
    count = func.count(Appointment.id).label("appointments")
    query = (
        select(ScanType.id, ScanType.code, ScanType.name, Modality.code, count)
        .select_from(Appointment)
        .join(ScanType, ScanType.id == Appointment.scan_type_id)
        .join(Modality, Modality.id == ScanType.modality_id)
        .where(_starts_between(ctx.start, ctx.end), _counts_as_appointment())
        .group_by(ScanType.id, ScanType.code, ScanType.name, Modality.code)
        .order_by(count.desc(), ScanType.name)
    )
    rows = session.execute(ctx.by_modality(query, ScanType.modality_id)).all()
    definition = (
        f"share = appointments of the scan type / all appointments; {DEFINITION_APPOINTMENTS}"
    )
    return PopularityChart(
        "Scan-type popularity", definition, tuple(ScanTypeCount(*row) for row in rows)
    )


# -- attendance -----------------------------------------------------------------------


def _attendance(session: Session, ctx: _Context) -> AttendanceChart:
    status = Appointment.status
    due = _is_due(ctx.now)
    bucket = ctx.bucket_of(ctx.local(Appointment.start_at)).label("bucket")
    query = (
        select(
            bucket,
            func.count(),
            func.count().filter(_counts_as_appointment()),
            func.count().filter(due),
            func.count().filter(due, status == AppointmentStatus.COMPLETED.value),
            func.count().filter(due, status == AppointmentStatus.NO_SHOW.value),
            func.count().filter(status == _CANCELLED),
            func.count().filter(_is_late_cancellation()),
        )
        .join(ScanType, ScanType.id == Appointment.scan_type_id)
        .where(_starts_between(ctx.start, ctx.end))
        .group_by("bucket")
    )
    rows = {
        row[0]: row[1:] for row in session.execute(ctx.by_modality(query, ScanType.modality_id))
    }
    zeros = (0,) * 7
    points = tuple(
        AttendancePoint(start, label, *rows.get(start, zeros))
        for start, label in _labels(ctx.period)
    )
    total = AttendancePoint(
        None,
        "Whole period",
        *(sum(getattr(p, name) for p in points) for name in _ATTENDANCE_COUNTS),
    )
    definition = "; ".join(
        (
            DEFINITION_COMPLETION_RATE,
            DEFINITION_NO_SHOW_RATE,
            DEFINITION_LATE_CANCELLATION_RATE.format(hours=ctx.late_cancellation_hours),
            DEFINITION_DUE,
        )
    )
    return AttendanceChart(
        "Completions, no-shows and late cancellations",
        definition,
        ctx.period.bucket,
        points,
        total,
    )


_ATTENDANCE_COUNTS = (
    "booked",
    "appointments",
    "due",
    "completed",
    "no_shows",
    "cancelled",
    "late_cancellations",
)


# -- revenue --------------------------------------------------------------------------


def _revenue_scope(query: Select, ctx: _Context) -> Select:  # type: ignore[type-arg]
    """The payments revenue adds up: taken in the period (refunds are negative rows)."""
    query = (
        query.select_from(Payment)
        .outerjoin(Appointment, Appointment.id == Payment.appointment_id)
        .outerjoin(ScanType, ScanType.id == Appointment.scan_type_id)
        .where(Payment.received_at >= ctx.start, Payment.received_at < ctx.end)
    )
    return ctx.by_modality(query, ScanType.modality_id)


def _revenue(session: Session, ctx: _Context) -> RevenueChart:
    bucket = ctx.bucket_of(ctx.local(Payment.received_at)).label("bucket")
    by_scan = session.execute(
        _revenue_scope(
            select(bucket, ScanType.id, ScanType.name, func.sum(Payment.amount)), ctx
        ).group_by("bucket", ScanType.id, ScanType.name)
    ).all()
    refund = Payment.amount < 0
    by_method = session.execute(
        _revenue_scope(
            select(
                Payment.method,
                func.count().filter(~refund),
                func.coalesce(func.sum(Payment.amount).filter(~refund), ZERO),
                func.coalesce(-func.sum(Payment.amount).filter(refund), ZERO),
            ),
            ctx,
        )
        .group_by(Payment.method)
        .order_by(func.sum(Payment.amount).desc())
    ).all()

    labels = _labels(ctx.period)
    index = {start: i for i, (start, _label) in enumerate(labels)}
    amounts: dict[int | None, list[Decimal]] = defaultdict(lambda: [ZERO] * len(labels))
    names: dict[int | None, str] = {None: NOT_LINKED}
    for day, scan_type_id, name, amount in by_scan:
        amounts[scan_type_id][index[day]] += amount
        names[scan_type_id] = name if scan_type_id is not None else NOT_LINKED
    ranked = sorted(
        (key for key in amounts if key is not None),
        key=lambda key: (-sum(amounts[key]), names[key]),
    )
    series = [
        RevenueSeries(names[key], tuple(amounts[key])) for key in ranked[:TOP_SCAN_TYPES_IN_REVENUE]
    ]
    rest = ranked[TOP_SCAN_TYPES_IN_REVENUE:]
    if rest:
        series.append(
            RevenueSeries(
                OTHER_SCANS,
                tuple(sum((amounts[key][i] for key in rest), ZERO) for i in range(len(labels))),
            )
        )
    if None in amounts:
        series.append(RevenueSeries(NOT_LINKED, tuple(amounts[None])))
    methods = tuple(
        MethodRevenue(method, _method_label(method), count, received, refunded)
        for method, count, received, refunded in by_method
    )
    return RevenueChart(
        "Revenue",
        f"{DEFINITION_REVENUE}; {DEFINITION_REVENUE_BY_SCAN}",
        ctx.currency,
        ctx.period.bucket,
        tuple(start for start, _label in labels),
        tuple(label for _start, label in labels),
        tuple(series),
        methods,
    )


def _method_label(method: str) -> str:
    try:
        return PaymentMethod(method).label
    except ValueError:
        return method


# -- medical aid ----------------------------------------------------------------------


def _medical_aid(session: Session, ctx: _Context) -> MedicalAidChart:
    total = lambda column: func.coalesce(func.sum(column), ZERO)  # noqa: E731
    query = (
        select(
            MedicalAidScheme.id,
            MedicalAidScheme.name,
            func.count(Appointment.id),
            total(Appointment.price),
            total(Appointment.medical_aid_cover),
            total(Appointment.patient_copay),
            total(MedicalAidClaim.claimed_amount),
            total(MedicalAidClaim.settled_amount),
            total(MedicalAidClaim.shortfall),
            func.count(MedicalAidClaim.id).filter(MedicalAidClaim.status == "submitted"),
        )
        .select_from(Appointment)
        .join(ScanType, ScanType.id == Appointment.scan_type_id)
        .outerjoin(MedicalAidPlan, MedicalAidPlan.id == Appointment.medical_aid_plan_id)
        .outerjoin(MedicalAidScheme, MedicalAidScheme.id == MedicalAidPlan.scheme_id)
        .outerjoin(MedicalAidClaim, MedicalAidClaim.appointment_id == Appointment.id)
        .where(
            _starts_between(ctx.start, ctx.end),
            Appointment.status == AppointmentStatus.COMPLETED.value,
        )
        .group_by(MedicalAidScheme.id, MedicalAidScheme.name)
    )
    rows = [
        MedicalAidRow(row[0], row[1] or NO_MEDICAL_AID, *row[2:])
        for row in session.execute(ctx.by_modality(query, ScanType.modality_id))
    ]
    rows.sort(key=lambda row: (row.scheme_id is None, -row.cover, row.name))
    return MedicalAidChart(
        "Medical-aid cover, co-payments and shortfalls",
        DEFINITION_MEDICAL_AID,
        ctx.currency,
        tuple(rows),
    )


# -- satisfaction ---------------------------------------------------------------------


def _satisfaction(session: Session, ctx: _Context) -> SatisfactionChart:
    feedback = PatientFeedback

    def scoped(query: Select) -> Select:  # type: ignore[type-arg]
        query = (
            query.select_from(feedback)
            .join(Appointment, Appointment.id == feedback.appointment_id)
            .join(ScanType, ScanType.id == Appointment.scan_type_id)
            .where(feedback.submitted_at >= ctx.start, feedback.submitted_at < ctx.end)
        )
        return ctx.by_modality(query, ScanType.modality_id)

    columns = []
    for name, _label in RATING_DIMENSIONS:
        column = getattr(feedback, name)
        columns += [cast(func.avg(column), Float), func.count(column)]
    summary = session.execute(
        scoped(select(func.count(), func.count().filter(feedback.would_recommend), *columns))
    ).one()
    responses, recommended = summary[0], summary[1]
    averages = tuple(
        RatingAverage(label, summary[2 + 2 * i], summary[3 + 2 * i])
        for i, (_name, label) in enumerate(RATING_DIMENSIONS)
    )

    bucket = ctx.bucket_of(ctx.local(feedback.submitted_at)).label("bucket")
    trend_rows = {
        row[0]: row[1:]
        for row in session.execute(
            scoped(
                select(
                    bucket,
                    func.count(),
                    cast(func.avg(feedback.overall), Float),
                    func.count().filter(feedback.would_recommend),
                )
            ).group_by("bucket")
        )
    }
    trend = []
    for start, label in _labels(ctx.period):
        count, overall, recommending = trend_rows.get(start, (0, None, 0))
        rate = recommending / count if count else None
        trend.append(SatisfactionPoint(start, label, count, overall, rate))

    comment_rows = session.execute(
        scoped(
            select(
                feedback.submitted_at,
                ScanType.name,
                feedback.overall,
                feedback.would_recommend,
                feedback.comments,
            )
        )
        .where(func.btrim(feedback.comments) != "")
        .order_by(feedback.submitted_at.desc(), feedback.id.desc())
        .limit(LATEST_COMMENTS)
    ).all()
    comments = tuple(
        FeedbackComment(row[0].astimezone(ctx.zone), row[1], row[2], row[3], row[4].strip())
        for row in comment_rows
    )
    return SatisfactionChart(
        "Patient satisfaction",
        DEFINITION_SATISFACTION,
        ctx.period.bucket,
        responses,
        recommended,
        averages,
        tuple(trend),
        comments,
    )


# -- radiologist turnaround -----------------------------------------------------------


def _turnaround(session: Session, ctx: _Context) -> TurnaroundChart:
    hours = func.extract("epoch", Report.finalised_at - Appointment.scan_completed_at) / 3600
    signer = func.coalesce(Report.finalised_by_id, Report.radiologist_id)
    query = (
        select(
            StaffUser.id,
            StaffUser.full_name,
            func.grouping(StaffUser.id, StaffUser.full_name),
            func.count(),
            cast(func.percentile_cont(0.5).within_group(hours), Float),
            cast(func.percentile_cont(0.9).within_group(hours), Float),
        )
        .select_from(Report)
        .join(Appointment, Appointment.id == Report.appointment_id)
        .join(ScanType, ScanType.id == Appointment.scan_type_id)
        .outerjoin(StaffUser, StaffUser.id == signer)
        .where(
            Report.finalised_at >= ctx.start,
            Report.finalised_at < ctx.end,
            Appointment.scan_completed_at.is_not(None),
        )
        # One row per radiologist plus the all-radiologists row (the empty grouping set).
        .group_by(text("GROUPING SETS ((staff_user.id, staff_user.full_name), ())"))
    )
    rows, overall = [], None
    for staff_id, name, is_total, count, median, p90 in session.execute(
        ctx.by_modality(query, ScanType.modality_id)
    ):
        if is_total:
            overall = TurnaroundRow(None, "All radiologists", count, median, p90) if count else None
        else:
            rows.append(TurnaroundRow(staff_id, name or "(not recorded)", count, median, p90))
    rows.sort(key=lambda row: row.name)
    return TurnaroundChart(
        "Radiologist report turnaround", DEFINITION_TURNAROUND, tuple(rows), overall
    )


# -- room utilisation -----------------------------------------------------------------


def _utilisation(session: Session, ctx: _Context) -> UtilisationChart:
    period = ctx.period
    day = (
        func.generate_series(
            cast(literal(period.first_day), DateTime()),
            cast(literal(period.last_day), DateTime()),
            func.make_interval(0, 0, 0, 1),
        )
        .table_valued("day")
        .render_derived()
    )
    opening_minutes = (
        func.extract("epoch", RoomOpeningHours.closes_at - RoomOpeningHours.opens_at) / 60
    )
    open_minutes = (
        select(
            RoomOpeningHours.room_id.label("room_id"),
            cast(func.sum(opening_minutes), Integer).label("minutes"),
        )
        .select_from(day)
        .join(
            RoomOpeningHours,
            RoomOpeningHours.weekday == cast(func.extract("isodow", day.c.day), Integer) - 1,
        )
        .group_by(RoomOpeningHours.room_id)
        .subquery()
    )
    overlap = func.least(Appointment.end_at, ctx.end) - func.greatest(
        Appointment.start_at, ctx.start
    )
    booked_minutes = (
        select(
            Appointment.room_id.label("room_id"),
            cast(func.sum(func.extract("epoch", overlap) / 60), Integer).label("minutes"),
        )
        .where(
            _holds_slot(),
            Appointment.start_at < ctx.end,
            Appointment.end_at > ctx.start,
            # Lets the start_at index bound the scan: no appointment lasts a day.
            Appointment.start_at > ctx.start - dt.timedelta(days=1),
        )
        .group_by(Appointment.room_id)
        .subquery()
    )
    opened = func.coalesce(open_minutes.c.minutes, 0)
    booked = func.coalesce(booked_minutes.c.minutes, 0)
    query = (
        select(Room.id, Room.name, Modality.code, opened, booked)
        .join(Modality, Modality.id == Room.modality_id)
        .outerjoin(open_minutes, open_minutes.c.room_id == Room.id)
        .outerjoin(booked_minutes, booked_minutes.c.room_id == Room.id)
        .where(or_(booked > 0, and_(Room.is_active, opened > 0)))
        .order_by(Room.sort_order, Room.name)
    )
    rows = session.execute(ctx.by_modality(query, Room.modality_id)).all()
    return UtilisationChart(
        "Room utilisation",
        DEFINITION_UTILISATION,
        tuple(RoomUtilisation(*row) for row in rows),
    )


__all__ = [
    "DEFINITION_APPOINTMENTS",
    "DEFINITION_COMPLETION_RATE",
    "DEFINITION_DUE",
    "DEFINITION_LATE_CANCELLATION_RATE",
    "DEFINITION_MEDICAL_AID",
    "DEFINITION_NO_SHOW_RATE",
    "DEFINITION_REVENUE",
    "DEFINITION_SATISFACTION",
    "DEFINITION_TURNAROUND",
    "DEFINITION_UTILISATION",
    "AnalyticsService",
]
