"""SQLAlchemy models of the clinic, one module per aggregate, re-exported here."""

from mic_desktop.models.analytics import (
    AppointmentDay,
    CompletedDay,
    PaymentDay,
    ReportTurnaround,
)
from mic_desktop.models.appointment import (
    SLOT_RELEASING_STATUSES,
    Appointment,
    AppointmentAttachment,
    AppointmentStatus,
    AppointmentStatusChange,
    Urgency,
)
from mic_desktop.models.audit import AuditLog
from mic_desktop.models.backup import BackupKind, BackupRecord, BackupState
from mic_desktop.models.base import Base
from mic_desktop.models.billing import (
    ClaimStatus,
    DocumentCounter,
    MedicalAidClaim,
    Payment,
    PaymentMethod,
)
from mic_desktop.models.clinic_settings import ClinicSettings
from mic_desktop.models.dicom import DicomDevice, PerformedProcedureStep, StepStatus
from mic_desktop.models.facility import (
    Closure,
    Modality,
    Room,
    RoomOpeningHours,
    ScanType,
    ScanTypePrice,
)
from mic_desktop.models.feedback import PatientFeedback
from mic_desktop.models.medical_aid import CoverageRule, MedicalAidPlan, MedicalAidScheme
from mic_desktop.models.notification import (
    Channel,
    NotificationTemplate,
    OutboxMessage,
    OutboxStatus,
)
from mic_desktop.models.patient import Patient, ReferringDoctor, Sex
from mic_desktop.models.radiologist_schedule import RadiologistAvailability, RadiologistLeave
from mic_desktop.models.replies import InboundSmsCursor, ReplyAction, SmsReply
from mic_desktop.models.report import (
    CriticalFinding,
    IdentityCheck,
    Report,
    ReportAccessAction,
    ReportAccessLog,
    ReportAddendum,
    ReportDelivery,
    ReportDocument,
    ReportStatus,
)
from mic_desktop.models.staff import Role, StaffUser
from mic_desktop.models.waitlist import (
    FreedSlot,
    FreedSlotStatus,
    OfferStatus,
    TimeOfDay,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)

__all__ = [
    "SLOT_RELEASING_STATUSES",
    "Appointment",
    "AppointmentAttachment",
    "AppointmentDay",
    "AppointmentStatus",
    "AppointmentStatusChange",
    "AuditLog",
    "BackupKind",
    "BackupRecord",
    "BackupState",
    "Base",
    "Channel",
    "ClaimStatus",
    "ClinicSettings",
    "Closure",
    "CompletedDay",
    "CoverageRule",
    "CriticalFinding",
    "DicomDevice",
    "DocumentCounter",
    "FreedSlot",
    "FreedSlotStatus",
    "IdentityCheck",
    "InboundSmsCursor",
    "MedicalAidClaim",
    "MedicalAidPlan",
    "MedicalAidScheme",
    "Modality",
    "NotificationTemplate",
    "OfferStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Patient",
    "PatientFeedback",
    "Payment",
    "PaymentDay",
    "PaymentMethod",
    "PerformedProcedureStep",
    "RadiologistAvailability",
    "RadiologistLeave",
    "ReferringDoctor",
    "ReplyAction",
    "Report",
    "ReportAccessAction",
    "ReportAccessLog",
    "ReportAddendum",
    "ReportDelivery",
    "ReportDocument",
    "ReportStatus",
    "ReportTurnaround",
    "Role",
    "Room",
    "RoomOpeningHours",
    "ScanType",
    "ScanTypePrice",
    "Sex",
    "SmsReply",
    "StaffUser",
    "StepStatus",
    "TimeOfDay",
    "Urgency",
    "WaitlistEntry",
    "WaitlistOffer",
    "WaitlistStatus",
]
