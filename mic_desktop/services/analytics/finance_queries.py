"""The money charts' queries: revenue by scan type over time and by payment method,
and medical-aid cover against co-payments and shortfalls.

Each function reads one chart inside the caller's snapshot, aggregated in PostgreSQL,
counting what :mod:`.counting` defines.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    MedicalAidClaim,
    MedicalAidPlan,
    MedicalAidScheme,
    Payment,
    PaymentMethod,
    ScanType,
)
from mic_desktop.services.analytics.counting import (
    DEFINITION_MEDICAL_AID,
    DEFINITION_REVENUE,
    DEFINITION_REVENUE_BY_SCAN,
    QueryContext,
    bucket_labels,
    starts_between,
)
from mic_desktop.services.analytics.finance_results import (
    NOT_LINKED,
    OTHER_SCANS,
    MedicalAidChart,
    MedicalAidRow,
    MethodRevenue,
    RevenueChart,
    RevenueSeries,
)
from mic_desktop.services.analytics.tables import ZERO

TOP_SCAN_TYPES_IN_REVENUE = 6
NO_MEDICAL_AID = "No medical aid (self-paying)"


# -- revenue --------------------------------------------------------------------------


def _revenue_scope(query: Select, ctx: QueryContext) -> Select:  # type: ignore[type-arg]
    """The payments revenue adds up: taken in the period (refunds are negative rows)."""
    query = (
        query.select_from(Payment)
        .outerjoin(Appointment, Appointment.id == Payment.appointment_id)
        .outerjoin(ScanType, ScanType.id == Appointment.scan_type_id)
        .where(Payment.received_at >= ctx.start, Payment.received_at < ctx.end)
    )
    return ctx.by_modality(query, ScanType.modality_id)


def revenue_chart(session: Session, ctx: QueryContext) -> RevenueChart:
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

    labels = bucket_labels(ctx.period)
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


def medical_aid_chart(session: Session, ctx: QueryContext) -> MedicalAidChart:
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
            starts_between(ctx.start, ctx.end),
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
