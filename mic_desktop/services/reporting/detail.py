"""What the report window shows: a report with its patient, exam, notes, letters and priors.

:func:`load_report_detail` reads it inside the caller's transaction into frozen
dataclasses (detached, ready for a Qt model): the booking's clinical notes and
referral letters, the addenda, the stored PDFs, the critical result and the
patient's other final reports, newest first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from mic_desktop.models import (
    Appointment,
    AppointmentAttachment,
    CriticalFinding,
    IdentityCheck,
    Modality,
    Patient,
    ReferringDoctor,
    Report,
    ReportAddendum,
    ReportDelivery,
    ReportDocument,
    ReportStatus,
    ScanType,
    Sex,
    StaffUser,
    Urgency,
)
from mic_desktop.services.errors import NotFoundError
from mic_desktop.services.reporting.critical_findings import CommunicationMethod

FINAL_STATUSES = (ReportStatus.COMPLETED.value, ReportStatus.REVIEWED.value)


@dataclass(frozen=True)
class AddendumView:
    id: int
    text: str
    signed_name: str
    created_by_id: int
    created_at: dt.datetime
    document_id: int | None  # the replacement PDF that came with it


@dataclass(frozen=True)
class DocumentInfo:
    """A stored report PDF (content not included; ask ReportAccessService for it)."""

    id: int
    filename: str
    source: str
    size_bytes: int
    sha256: str
    is_current: bool
    addendum_id: int | None
    uploaded_by_name: str | None
    uploaded_at: dt.datetime
    identity_check: IdentityCheck | None = None  # None: stored before the check existed
    identity_confirmed_by_name: str | None = None
    identity_confirmed_at: dt.datetime | None = None
    identity_confirmation_reason: str | None = None

    @property
    def names_the_patient(self) -> bool:
        return self.identity_check in (None, IdentityCheck.NAMED)


@dataclass(frozen=True)
class ReferralLetter:
    id: int
    filename: str
    content_type: str
    size_bytes: int
    uploaded_at: dt.datetime


@dataclass(frozen=True)
class ReferralLetterFile:
    id: int
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class PriorReport:
    """Another final report of the same patient, for comparison."""

    report_id: int
    appointment_id: int
    exam_at: dt.datetime
    scan_type: str
    modality: str
    status: ReportStatus
    signed_name: str | None
    finalised_at: dt.datetime | None
    impression: str
    addenda_count: int


@dataclass(frozen=True)
class CriticalFindingView:
    id: int
    description: str
    flagged_by_name: str
    flagged_at: dt.datetime
    communicated_to: str | None
    communication_method: CommunicationMethod | None
    communicated_at: dt.datetime | None
    acknowledged_by_name: str | None
    acknowledged_at: dt.datetime | None

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


@dataclass(frozen=True)
class ReportDetail:
    """A report with everything the editor shows beside it."""

    id: int
    appointment_id: int
    reference: str
    version: int
    status: ReportStatus
    patient_id: int
    patient_name: str
    mrn: str
    date_of_birth: dt.date
    sex: Sex
    scan_type: str
    modality: str
    urgency: Urgency
    exam_at: dt.datetime
    referring_doctor: str | None
    referring_practice: str | None
    referring_doctor_phone: str | None
    referring_doctor_email: str | None
    clinical_notes: str
    findings: str
    impression: str
    delivery: ReportDelivery | None  # chosen when finalised
    private_note: str  # typed text kept out of the delivered report
    radiologist_id: int | None
    radiologist_name: str | None
    claimed_at: dt.datetime | None
    finalised_at: dt.datetime | None
    finalised_by_id: int | None
    signed_name: str | None
    reviewed_at: dt.datetime | None
    reviewed_by_name: str | None
    updated_at: dt.datetime
    updated_by_name: str | None
    addenda: tuple[AddendumView, ...]
    documents: tuple[DocumentInfo, ...]  # newest first
    referral_letters: tuple[ReferralLetter, ...]
    prior_reports: tuple[PriorReport, ...]  # newest first
    critical_finding: CriticalFindingView | None

    @property
    def is_final(self) -> bool:
        return self.status.value in FINAL_STATUSES

    @property
    def is_urgent(self) -> bool:
        return self.urgency is Urgency.URGENT

    @property
    def current_document(self) -> DocumentInfo | None:
        return next((d for d in self.documents if d.is_current), None)

    @property
    def delivers(self) -> ReportDelivery:
        """What leaves as the report now (a draft: its PDF if it has one, else the text)."""
        if self.delivery is not None:
            return self.delivery
        if self.current_document is not None:
            return ReportDelivery.ATTACHED_PDF
        return ReportDelivery.REPORT

    def can_edit(self, staff_id: int) -> bool:
        """Whether ``staff_id`` may change the findings (the claimer of a draft)."""
        return not self.is_final and self.radiologist_id == staff_id

    def can_review(self, staff_id: int) -> bool:
        return self.status is ReportStatus.COMPLETED and self.finalised_by_id != staff_id


def load_report_detail(session: Session, report_id: int) -> ReportDetail:
    """The report ``report_id`` with everything the editor shows beside it."""
    radiologist = aliased(StaffUser)
    reviewer = aliased(StaffUser)
    updater = aliased(StaffUser)
    row = session.execute(
        select(
            Report,
            Appointment,
            Patient,
            ScanType.name,
            Modality.name,
            ReferringDoctor,
            radiologist.full_name,
            reviewer.full_name,
            updater.full_name,
        )
        .join(Appointment, Appointment.id == Report.appointment_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(ScanType, ScanType.id == Appointment.scan_type_id)
        .join(Modality, Modality.id == ScanType.modality_id)
        .outerjoin(ReferringDoctor, ReferringDoctor.id == Appointment.referring_doctor_id)
        .outerjoin(radiologist, radiologist.id == Report.radiologist_id)
        .outerjoin(reviewer, reviewer.id == Report.reviewed_by_id)
        .outerjoin(updater, updater.id == Report.updated_by_id)
        .where(Report.id == report_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError("This report no longer exists.")
    report, appointment, patient, scan_type, modality, doctor = row[:6]
    return ReportDetail(
        id=report.id,
        appointment_id=appointment.id,
        reference=appointment.reference,
        version=report.version,
        status=ReportStatus(report.status),
        patient_id=patient.id,
        patient_name=patient.full_name,
        mrn=patient.mrn,
        date_of_birth=patient.date_of_birth,
        sex=Sex(patient.sex),
        scan_type=scan_type,
        modality=modality,
        urgency=Urgency(appointment.urgency),
        exam_at=appointment.scan_completed_at or appointment.start_at,
        referring_doctor=doctor.full_name if doctor else None,
        referring_practice=doctor.practice_name if doctor else None,
        referring_doctor_phone=doctor.phone if doctor else None,
        referring_doctor_email=doctor.email if doctor else None,
        clinical_notes=appointment.clinical_notes or "",
        findings=report.findings,
        impression=report.impression,
        delivery=ReportDelivery(report.delivery) if report.delivery else None,
        private_note=report.private_note or "",
        radiologist_id=report.radiologist_id,
        radiologist_name=row[6],
        claimed_at=report.claimed_at,
        finalised_at=report.finalised_at,
        finalised_by_id=report.finalised_by_id,
        signed_name=report.signed_name,
        reviewed_at=report.reviewed_at,
        reviewed_by_name=row[7],
        updated_at=report.updated_at,
        updated_by_name=row[8],
        addenda=_addenda(session, report_id),
        documents=_documents(session, report_id),
        referral_letters=_referral_letters(session, appointment.id),
        prior_reports=_prior_reports(session, patient.id, report_id),
        critical_finding=_critical(session, report_id),
    )


def _addenda(session: Session, report_id: int) -> tuple[AddendumView, ...]:
    rows = session.execute(
        select(ReportAddendum, ReportDocument.id)
        .outerjoin(ReportDocument, ReportDocument.addendum_id == ReportAddendum.id)
        .where(ReportAddendum.report_id == report_id)
        .order_by(ReportAddendum.id)
    ).all()
    return tuple(
        AddendumView(a.id, a.text, a.signed_name, a.created_by_id, a.created_at, document_id)
        for a, document_id in rows
    )


def _documents(session: Session, report_id: int) -> tuple[DocumentInfo, ...]:
    uploader = aliased(StaffUser)
    confirmer = aliased(StaffUser)
    rows = session.execute(
        select(ReportDocument, uploader.full_name, confirmer.full_name)
        .outerjoin(uploader, uploader.id == ReportDocument.uploaded_by_id)
        .outerjoin(confirmer, confirmer.id == ReportDocument.identity_confirmed_by_id)
        .where(ReportDocument.report_id == report_id)
        .order_by(ReportDocument.id.desc())
    ).all()
    return tuple(
        DocumentInfo(
            id=document.id,
            filename=document.filename,
            source=document.source,
            size_bytes=document.size_bytes,
            sha256=document.sha256,
            is_current=document.is_current,
            addendum_id=document.addendum_id,
            uploaded_by_name=uploaded_by,
            uploaded_at=document.uploaded_at,
            identity_check=(
                IdentityCheck(document.identity_check) if document.identity_check else None
            ),
            identity_confirmed_by_name=confirmed_by,
            identity_confirmed_at=document.identity_confirmed_at,
            identity_confirmation_reason=document.identity_confirmation_reason,
        )
        for document, uploaded_by, confirmed_by in rows
    )


def _referral_letters(session: Session, appointment_id: int) -> tuple[ReferralLetter, ...]:
    rows = session.execute(
        select(
            AppointmentAttachment.id,
            AppointmentAttachment.filename,
            AppointmentAttachment.content_type,
            AppointmentAttachment.size_bytes,
            AppointmentAttachment.uploaded_at,
        )
        .where(AppointmentAttachment.appointment_id == appointment_id)
        .order_by(AppointmentAttachment.id)
    ).all()
    return tuple(ReferralLetter(*row) for row in rows)


def _prior_reports(session: Session, patient_id: int, report_id: int) -> tuple[PriorReport, ...]:
    addenda_count = (
        select(func.count(ReportAddendum.id))
        .where(ReportAddendum.report_id == Report.id)
        .correlate(Report)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Report.id,
            Appointment.id,
            func.coalesce(Appointment.scan_completed_at, Appointment.start_at),
            ScanType.name,
            Modality.name,
            Report.status,
            Report.signed_name,
            Report.finalised_at,
            Report.impression,
            addenda_count,
        )
        .join(Appointment, Appointment.id == Report.appointment_id)
        .join(ScanType, ScanType.id == Appointment.scan_type_id)
        .join(Modality, Modality.id == ScanType.modality_id)
        .where(
            Appointment.patient_id == patient_id,
            Report.id != report_id,
            Report.status.in_(FINAL_STATUSES),
        )
        .order_by(Appointment.start_at.desc(), Report.id.desc())
    ).all()
    return tuple(
        PriorReport(
            report_id=row[0],
            appointment_id=row[1],
            exam_at=row[2],
            scan_type=row[3],
            modality=row[4],
            status=ReportStatus(row[5]),
            signed_name=row[6],
            finalised_at=row[7],
            impression=row[8],
            addenda_count=row[9],
        )
        for row in rows
    )


def _critical(session: Session, report_id: int) -> CriticalFindingView | None:
    flagged_by = aliased(StaffUser)
    acknowledged_by = aliased(StaffUser)
    row = session.execute(
        select(CriticalFinding, flagged_by.full_name, acknowledged_by.full_name)
        .join(flagged_by, flagged_by.id == CriticalFinding.flagged_by_id)
        .outerjoin(acknowledged_by, acknowledged_by.id == CriticalFinding.acknowledged_by_id)
        .where(CriticalFinding.report_id == report_id)
    ).one_or_none()
    if row is None:
        return None
    finding, flagged_name, acknowledged_name = row
    return CriticalFindingView(
        id=finding.id,
        description=finding.description,
        flagged_by_name=flagged_name,
        flagged_at=finding.flagged_at,
        communicated_to=finding.communicated_to,
        communication_method=(
            CommunicationMethod(finding.communication_method)
            if finding.communication_method
            else None
        ),
        communicated_at=finding.communicated_at,
        acknowledged_by_name=acknowledged_name,
        acknowledged_at=finding.acknowledged_at,
    )
