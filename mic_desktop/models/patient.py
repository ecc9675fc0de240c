"""Patients and the referring doctors who send them."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    Sequence,
    String,
    Text,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mic_desktop.models.base import Base, created_at_column, enum_check
from mic_desktop.models.medical_aid import MedicalAidPlan

MRN_SEQUENCE = Sequence("patient_mrn_seq", start=100001)


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"
    UNKNOWN = "U"


class Patient(Base):
    __tablename__ = "patient"
    __table_args__ = (
        CheckConstraint(f"sex IN ({enum_check(Sex)})", name="sex"),
        CheckConstraint(
            "medical_aid_plan_id IS NULL OR medical_aid_member_number IS NOT NULL",
            name="member_number_with_plan",
        ),
        # Search-as-you-type (functions and indexes come from migration 0002).
        Index(
            "ix_patient_name_trgm",
            "name_key",
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
        ),
        Index(
            "ix_patient_phone_trgm",
            "phone",
            postgresql_using="gin",
            postgresql_ops={"phone": "gin_trgm_ops"},
        ),
        Index("ix_patient_phone_prefix", "phone", postgresql_ops={"phone": "varchar_pattern_ops"}),
        Index("ix_patient_mrn_prefix", "mrn", postgresql_ops={"mrn": "varchar_pattern_ops"}),
        Index(
            "ix_patient_national_id_key",
            literal_column("mic_id_key(national_id)").label("national_id_key"),
            postgresql_ops={"national_id_key": "text_pattern_ops"},
        ),
        Index(
            "ix_patient_member_number_key",
            literal_column("mic_id_key(medical_aid_member_number)").label("member_number_key"),
            postgresql_ops={"member_number_key": "text_pattern_ops"},
        ),
        # Duplicate warning: same name and date of birth.
        Index(
            "ix_patient_name_dob",
            "date_of_birth",
            text("mic_search_key(last_name)"),
            text("mic_search_key(first_name)"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Medical record number read out and printed by reception, e.g. MIC100001.
    mrn: Mapped[str] = mapped_column(
        String(16),
        unique=True,
        server_default=text("'MIC' || nextval('patient_mrn_seq')::text"),
    )
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    date_of_birth: Mapped[dt.date]
    sex: Mapped[str] = mapped_column(String(1), default=Sex.UNKNOWN.value)
    national_id: Mapped[str | None] = mapped_column(String(32), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(Text)
    medical_aid_plan_id: Mapped[int | None] = mapped_column(ForeignKey("medical_aid_plan.id"))
    medical_aid_member_number: Mapped[str | None] = mapped_column(String(40), index=True)
    # " first last " lower case without accents or punctuation, kept by the database.
    name_key: Mapped[str | None] = mapped_column(
        Text, Computed("mic_patient_name_key(first_name, last_name)", persisted=True)
    )
    sms_opt_in: Mapped[bool] = mapped_column(default=True)
    email_opt_in: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    deleted_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    medical_aid_plan: Mapped[MedicalAidPlan | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ReferringDoctor(Base):
    __tablename__ = "referring_doctor"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    practice_name: Mapped[str | None] = mapped_column(String(120))
    practice_number: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = created_at_column()
