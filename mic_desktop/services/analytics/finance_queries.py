"""The money charts' queries: revenue by scan type over time and by payment method,
and medical-aid cover against co-payments and shortfalls.

Each function reads one chart inside the caller's snapshot from a daily roll-up
(:class:`PaymentDay`, :class:`CompletedDay`: kept by triggers in the transaction of
every payment, appointment and claim change), counting what :mod:`.counting` defines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import DateTime, cast, func, select
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    CompletedDay,
    MedicalAidPlan,
    MedicalAidScheme,
    Payment,
    PaymentDay,
    PaymentMethod,
    ScanType,
)
from mic_desktop.models.analytics import NONE
from mic_desktop.services.analytics.counting import (
    DEFINITION_MEDICAL_AID,
    DEFINITION_REVENUE,
    DEFINITION_REVENUE_BY_SCAN,
    QueryContext,
    bucket_labels,
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


def revenue_chart(session: Session, ctx: QueryContext) -> RevenueChart:
    """Payments taken in the period (refunds are negative rows), from the daily roll-up."""
    day = PaymentDay
    bucket = ctx.bucket_of(cast(day.day, DateTime)).label("bucket")
    keys = (bucket, day.scan_type_id, ScanType.name, day.method, day.is_refund)
    query = (
        select(*keys, func.sum(day.payments), func.sum(day.amount))
        .select_from(day)
        .outerjoin(ScanType, ScanType.id == day.scan_type_id)
        .where(day.day.between(ctx.period.first_day, ctx.period.last_day))
        .group_by(*keys)
        .order_by(day.method)
    )
    labels = bucket_labels(ctx.period)
    index = {start: i for i, (start, _label) in enumerate(labels)}
    amounts: dict[int | None, list[Decimal]] = defaultdict(lambda: [ZERO] * len(labels))
    names: dict[int | None, str] = {None: NOT_LINKED}
    by_method: dict[str, list] = {}  # type: ignore[type-arg]  # payments, received, refunded
    for start, scan_type_id, name, method, is_refund, payments, amount in session.execute(
        ctx.by_modality(query, ScanType.modality_id)
    ):
        key = None if scan_type_id == NONE else scan_type_id
        amounts[key][index[start]] += amount
        names[key] = name if key is not None else NOT_LINKED
        taken = by_method.setdefault(method, [0, ZERO, ZERO])
        if is_refund:
            taken[2] -= amount
        else:
            taken[0] += payments
            taken[1] += amount
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
    methods = sorted(
        (
            MethodRevenue(method, _method_label(method), count, received, refunded)
            for method, (count, received, refunded) in by_method.items()
        ),
        key=lambda method: -method.net,
    )
    return RevenueChart(
        "Revenue",
        f"{DEFINITION_REVENUE}; {DEFINITION_REVENUE_BY_SCAN}",
        ctx.currency,
        ctx.period.bucket,
        tuple(start for start, _label in labels),
        tuple(label for _start, label in labels),
        tuple(series),
        tuple(methods),
        earlier_to_date=_revenue_earlier_to_date(session, ctx),
        span=ctx.period.span_label(ctx.now.astimezone(ctx.zone).date()),
    )


def _revenue_earlier_to_date(session: Session, ctx: QueryContext) -> Decimal:
    """Net revenue of the comparison period's span matching this period's span to now."""
    period, zone = ctx.period, ctx.zone
    today = ctx.now.astimezone(zone).date()
    elapsed = period.elapsed(today)
    if elapsed is None:
        return ZERO
    first, last = period.earlier_day(elapsed.first_day), period.earlier_day(elapsed.last_day)
    running = today <= period.last_day
    whole_days = (
        select(func.coalesce(func.sum(PaymentDay.amount), ZERO))
        .select_from(PaymentDay)
        .outerjoin(ScanType, ScanType.id == PaymentDay.scan_type_id)
        .where(
            PaymentDay.day >= first,
            PaymentDay.day < last if running else PaymentDay.day <= last,
        )
    )
    total = session.scalar(ctx.by_modality(whole_days, ScanType.modality_id)) or ZERO
    if running:  # the matching day up to the matching time
        part_day = (
            select(func.coalesce(func.sum(Payment.amount), ZERO))
            .select_from(Payment)
            .outerjoin(Appointment, Appointment.id == Payment.appointment_id)
            .outerjoin(ScanType, ScanType.id == Appointment.scan_type_id)
            .where(
                Payment.received_at >= dt.datetime.combine(last, dt.time(), zone),
                Payment.received_at < period.earlier_instant(ctx.now, zone),
            )
        )
        total += session.scalar(ctx.by_modality(part_day, ScanType.modality_id)) or ZERO
    return Decimal(total)


def _method_label(method: str) -> str:
    try:
        return PaymentMethod(method).label
    except ValueError:
        return method


# -- medical aid ----------------------------------------------------------------------


def medical_aid_chart(session: Session, ctx: QueryContext) -> MedicalAidChart:
    """Completed appointments of the period by medical aid, from the daily roll-up."""
    day = CompletedDay
    query = (
        select(
            MedicalAidScheme.id,
            MedicalAidScheme.name,
            func.sum(day.appointments),
            func.sum(day.price),
            func.sum(day.medical_aid_cover),
            func.sum(day.patient_copay),
            func.sum(day.claimed),
            func.sum(day.settled),
            func.sum(day.shortfall),
            func.sum(day.open_claims),
        )
        .select_from(day)
        .join(ScanType, ScanType.id == day.scan_type_id)
        .outerjoin(MedicalAidPlan, MedicalAidPlan.id == day.plan_id)
        .outerjoin(MedicalAidScheme, MedicalAidScheme.id == MedicalAidPlan.scheme_id)
        .where(day.day.between(ctx.period.first_day, ctx.period.last_day))
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
