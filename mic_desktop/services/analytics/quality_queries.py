"""The quality charts' queries: patient satisfaction (ratings, would-recommend rate,
trend, latest comments) and radiologists' report turnaround.

Each function reads one chart inside the caller's snapshot, aggregated in PostgreSQL,
counting what :mod:`.counting` defines; the turnaround from the hours kept beside each
final report by triggers (:class:`ReportTurnaround`), so it does not join every
appointment.
"""

from __future__ import annotations

from sqlalchemy import Float, Select, cast, func, select, text
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    PatientFeedback,
    ReportTurnaround,
    ScanType,
    StaffUser,
)
from mic_desktop.services.analytics.counting import (
    DEFINITION_SATISFACTION,
    DEFINITION_TURNAROUND,
    QueryContext,
    bucket_labels,
)
from mic_desktop.services.analytics.quality_results import (
    FeedbackComment,
    RatingAverage,
    SatisfactionChart,
    SatisfactionPoint,
    TurnaroundChart,
    TurnaroundRow,
)

RATING_DIMENSIONS = (
    ("overall", "Overall satisfaction"),
    ("professionalism", "Staff professionalism"),
    ("cleanliness", "Facility cleanliness"),
    ("report_clarity", "Report clarity"),
)
LATEST_COMMENTS = 8


# -- satisfaction ---------------------------------------------------------------------


def satisfaction_chart(session: Session, ctx: QueryContext) -> SatisfactionChart:
    feedback = PatientFeedback

    def scoped(query: Select, scan: bool = False) -> Select:  # type: ignore[type-arg]
        query = query.select_from(feedback).where(
            feedback.submitted_at >= ctx.start, feedback.submitted_at < ctx.end
        )
        if scan or ctx.modality_id is not None:  # every feedback has its appointment
            query = query.join(Appointment, Appointment.id == feedback.appointment_id).join(
                ScanType, ScanType.id == Appointment.scan_type_id
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
    for start, label in bucket_labels(ctx.period):
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
            ),
            scan=True,
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


def turnaround_chart(session: Session, ctx: QueryContext) -> TurnaroundChart:
    """From each final report's turnaround kept beside it (:class:`ReportTurnaround`)."""
    turnaround = ReportTurnaround
    query = (
        select(
            StaffUser.id,
            StaffUser.full_name,
            func.grouping(StaffUser.id, StaffUser.full_name),
            func.count(),
            cast(func.percentile_cont(0.5).within_group(turnaround.hours), Float),
            cast(func.percentile_cont(0.9).within_group(turnaround.hours), Float),
        )
        .select_from(turnaround)
        .outerjoin(StaffUser, StaffUser.id == turnaround.signer_id)
        .where(turnaround.finalised_at >= ctx.start, turnaround.finalised_at < ctx.end)
        # One row per radiologist plus the all-radiologists row (the empty grouping set).
        .group_by(text("GROUPING SETS ((staff_user.id, staff_user.full_name), ())"))
    )
    if ctx.modality_id is not None:
        query = query.join(ScanType, ScanType.id == turnaround.scan_type_id).where(
            ScanType.modality_id == ctx.modality_id
        )
    rows, overall = [], None
    for staff_id, name, is_total, count, median, p90 in session.execute(query):
        if is_total:
            overall = TurnaroundRow(None, "All radiologists", count, median, p90) if count else None
        else:
            rows.append(TurnaroundRow(staff_id, name or "(not recorded)", count, median, p90))
    rows.sort(key=lambda row: row.name)
    return TurnaroundChart(
        "Radiologist report turnaround", DEFINITION_TURNAROUND, tuple(rows), overall
    )
