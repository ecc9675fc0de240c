"""Radiology reports: findings, addenda, PDF documents, critical findings, access log."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mic_desktop.models.appointment import Appointment
from mic_desktop.models.base import Base, created_at_column, enum_check


class ReportStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REVIEWED = "reviewed"


class ReportDelivery(StrEnum):
    """Which document leaves the clinic as the report of record."""

    REPORT = "report"  # generated from the typed findings and impression
    ATTACHED_PDF = "attached_pdf"  # the attached PDF; typed text is at most a private note
    REPORT_WITH_APPENDIX = "report_with_appendix"  # generated, the attached PDF appended


class IdentityCheck(StrEnum):
    """What an attached PDF's text says about whose report it is."""

    NAMED = "named"  # it names the patient's MRN, surname or the booking reference
    NOT_NAMED = "not_named"  # none of them (a scan, or a document about someone else)
    OTHER_EXAM = "other_exam"  # it names another booking of the same patient, not this one


class ReportAccessAction(StrEnum):
    VIEW = "view"
    DOWNLOAD = "download"
    PRINT = "print"
    EXPORT = "export"


class Report(Base):
    __tablename__ = "report"
    __table_args__ = (
        CheckConstraint(f"status IN ({enum_check(ReportStatus)})", name="status"),
        CheckConstraint(
            "status IN ('pending', 'in_progress') OR finalised_at IS NOT NULL",
            name="final_is_signed",
        ),
        CheckConstraint(
            f"delivery IS NULL OR delivery IN ({enum_check(ReportDelivery)})", name="delivery"
        ),
        # The worklist: the few reports still open, found without reading the rest.
        Index(
            "ix_report_open",
            "appointment_id",
            postgresql_where=text("status IN ('pending', 'in_progress')"),
        ),
        Index("ix_report_finalised_at", "finalised_at"),  # turnaround by the day it was signed
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.PENDING.value)
    radiologist_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    claimed_at: Mapped[dt.datetime | None]
    findings: Mapped[str] = mapped_column(Text, default="")
    impression: Mapped[str] = mapped_column(Text, default="")
    finalised_at: Mapped[dt.datetime | None]
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    signed_name: Mapped[str | None] = mapped_column(String(200))
    # Set when finalised; NULL on drafts and on reports finalised before the choice existed
    # (those deliver the current PDF when there is one, else the generated report).
    delivery: Mapped[str | None] = mapped_column(String(30))
    # Typed text that is not part of the delivered report (the PDF was delivered instead).
    private_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    reviewed_at: Mapped[dt.datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = created_at_column()
    # Who saved it last and when, for "changed by X at T; reload" messages.
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    appointment = relationship("Appointment")
    addenda: Mapped[list[ReportAddendum]] = relationship(
        back_populates="report", order_by="ReportAddendum.created_at"
    )

    __mapper_args__ = {"version_id_col": version}


class ReportAddendum(Base):
    """A dated, signed correction or addition to a final report."""

    __tablename__ = "report_addendum"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    signed_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = created_at_column()

    report: Mapped[Report] = relationship(back_populates="addenda")


class ReportDocument(Base):
    """A report PDF kept in the database, attached from disk or generated."""

    __tablename__ = "report_document"
    __table_args__ = (
        CheckConstraint("size_bytes > 0", name="size"),
        CheckConstraint("source IN ('attached', 'generated')", name="source"),
        CheckConstraint(
            f"identity_check IS NULL OR identity_check IN ({enum_check(IdentityCheck)})",
            name="identity_check",
        ),
        CheckConstraint(
            "identity_confirmed_at IS NULL OR (identity_confirmed_by_id IS NOT NULL"
            " AND length(btrim(identity_confirmation_reason)) > 0)",
            name="identity_confirmation",
        ),
        # One current document per report (the newest replaces, older stay as history).
        Index(
            "uq_report_document_current",
            "report_id",
            unique=True,
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), index=True)
    addendum_id: Mapped[int | None] = mapped_column(ForeignKey("report_addendum.id"))
    filename: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(20))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(default=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    uploaded_at: Mapped[dt.datetime] = created_at_column()
    # Whether the PDF's text names the patient; when it does not, who confirmed it is
    # this patient's report, when, and why (also in the audit log).
    identity_check: Mapped[str | None] = mapped_column(String(20))
    identity_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    identity_confirmed_at: Mapped[dt.datetime | None]
    identity_confirmation_reason: Mapped[str | None] = mapped_column(Text)


class CriticalFinding(Base):
    """A critical result flagged at finalising; open until someone records who was told."""

    __tablename__ = "critical_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), unique=True)
    description: Mapped[str] = mapped_column(Text)
    flagged_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    flagged_at: Mapped[dt.datetime] = created_at_column()
    communicated_to: Mapped[str | None] = mapped_column(String(200))
    communication_method: Mapped[str | None] = mapped_column(String(40))
    communicated_at: Mapped[dt.datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(index=True)


class ReportAccessLog(Base):
    """Every view, download, print or export of a report."""

    __tablename__ = "report_access_log"
    __table_args__ = (
        CheckConstraint(f"action IN ({enum_check(ReportAccessAction)})", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    action: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    workstation: Mapped[str | None] = mapped_column(String(64))
    accessed_at: Mapped[dt.datetime] = created_at_column()


# The worklist's anti-join "completed scans without a report row" reads only this index.
Index(
    "ix_appointment_completed",
    Appointment.id,
    postgresql_where=text("status = 'completed'"),
)
