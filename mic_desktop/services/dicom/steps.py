"""What the scanners reported on appointments (MPPS steps), for the desks' views."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ScalarSelect, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import Appointment, PerformedProcedureStep, StepStatus


@dataclass(frozen=True)
class StepLine:
    """One scanner's report on an appointment, for the appointment's details."""

    ae_title: str
    status: StepStatus
    started_at: dt.datetime
    updated_at: dt.datetime
    discontinued_reason: str | None


def modality_steps(session_factory: sessionmaker[Session], appointment_id: int) -> list[StepLine]:
    with session_factory() as session:
        rows = session.scalars(
            select(PerformedProcedureStep)
            .where(PerformedProcedureStep.appointment_id == appointment_id)
            .order_by(PerformedProcedureStep.created_at, PerformedProcedureStep.id)
        ).all()
        return [
            StepLine(
                r.ae_title, StepStatus(r.status), r.created_at, r.updated_at, r.discontinued_reason
            )
            for r in rows
        ]


def completed_by() -> ScalarSelect[str]:
    """For a query over appointments: the AE title of the scanner that last reported the
    appointment completed (NULL when none did)."""
    return (
        select(PerformedProcedureStep.ae_title)
        .where(
            PerformedProcedureStep.appointment_id == Appointment.id,
            PerformedProcedureStep.status == StepStatus.COMPLETED.value,
        )
        .order_by(PerformedProcedureStep.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def latest_mark() -> ScalarSelect[str]:
    """For a query over appointments: what a scanner last reported, "started by CT1",
    "completed by CT1" or "discontinued by CT1" (NULL when none reported)."""
    label = case(
        {status.value: status.label for status in StepStatus},
        value=PerformedProcedureStep.status,
    )
    return (
        select(func.concat(label, " by ", PerformedProcedureStep.ae_title))
        .where(PerformedProcedureStep.appointment_id == Appointment.id)
        .order_by(PerformedProcedureStep.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def modality_marks(session: Session, appointment_ids: list[int]) -> dict[int, str]:
    """For list views: "started by CT1" / "completed by CT1" / "discontinued by CT1",
    the latest report of each appointment that a scanner reported on."""
    if not appointment_ids:
        return {}
    rows = session.execute(
        select(
            PerformedProcedureStep.appointment_id,
            PerformedProcedureStep.status,
            PerformedProcedureStep.ae_title,
        )
        .where(PerformedProcedureStep.appointment_id.in_(appointment_ids))
        .order_by(PerformedProcedureStep.appointment_id, PerformedProcedureStep.id)
    ).all()
    return {row[0]: f"{StepStatus(row[1]).label} by {row[2]}" for row in rows}
