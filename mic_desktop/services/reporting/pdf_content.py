"""What a generated report PDF prints, read from the database: one report with its
patient, exam, referring doctor, reviewer, critical result and addenda, detached into
the frozen :class:`~mic_desktop.services.documents.report_content.ReportPdfContent`
that :func:`~mic_desktop.services.documents.report.render_report_pdf` turns into bytes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    CriticalFinding,
    Modality,
    Patient,
    ReferringDoctor,
    Report,
    ReportAddendum,
    ScanType,
    StaffUser,
)
from mic_desktop.services.documents.letterhead import load_letterhead
from mic_desktop.services.documents.report_content import (
    AddendumText,
    CriticalNote,
    ReportPdfContent,
)
from mic_desktop.services.errors import NotFoundError


def load_report_pdf_content(
    session: Session, report_id: int, generated_at: dt.datetime | None = None
) -> ReportPdfContent:
    """Read one report and everything printed with it, inside the caller's transaction."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFoundError("This report no longer exists.")
    appointment = session.get(Appointment, report.appointment_id)
    assert appointment is not None
    patient = session.get(Patient, appointment.patient_id)
    scan_type = session.get(ScanType, appointment.scan_type_id)
    assert patient is not None and scan_type is not None
    modality = session.get(Modality, scan_type.modality_id)
    doctor = (
        session.get(ReferringDoctor, appointment.referring_doctor_id)
        if appointment.referring_doctor_id
        else None
    )
    reviewer = session.get(StaffUser, report.reviewed_by_id) if report.reviewed_by_id else None
    addenda = session.scalars(
        select(ReportAddendum)
        .where(ReportAddendum.report_id == report_id)
        .order_by(ReportAddendum.id)
    ).all()
    finding = session.scalars(
        select(CriticalFinding).where(CriticalFinding.report_id == report_id)
    ).one_or_none()
    return ReportPdfContent(
        letterhead=load_letterhead(session),
        reference=appointment.reference,
        patient_name=patient.full_name,
        mrn=patient.mrn,
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        scan_type=scan_type.name,
        modality=modality.name if modality is not None else "",
        exam_at=appointment.scan_completed_at or appointment.start_at,
        urgency=appointment.urgency,
        referring_doctor=doctor.full_name if doctor else None,
        referring_practice=doctor.practice_name if doctor else None,
        clinical_notes=appointment.clinical_notes or "",
        findings=report.findings or "",
        impression=report.impression or "",
        status=report.status,
        signed_name=report.signed_name,
        finalised_at=report.finalised_at,
        reviewed_by=reviewer.full_name if reviewer else None,
        reviewed_at=report.reviewed_at,
        critical=(
            CriticalNote(
                description=finding.description,
                communicated_to=finding.communicated_to,
                communication_method=finding.communication_method,
                communicated_at=finding.communicated_at,
            )
            if finding is not None
            else None
        ),
        addenda=tuple(AddendumText(a.text, a.signed_name, a.created_at) for a in addenda),
        generated_at=generated_at or dt.datetime.now(dt.UTC),
    )
