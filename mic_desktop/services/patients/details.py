"""A patient as the services hand it out: the form's values (:class:`PatientInput`),
the saved record (:class:`PatientDetails`) and a search result or duplicate candidate
(:class:`PatientSummary`), with how each is read from its row.

Phone numbers are stored in E.164; ``phone_display`` is the national format of the
clinic's region.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from mic_desktop.models import Patient, Sex
from mic_desktop.services.patients.contact_details import display_phone


@dataclass(frozen=True)
class PatientInput:
    """What reception types on the patient form."""

    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex: Sex | str = Sex.UNKNOWN
    phone: str | None = None
    email: str | None = None
    national_id: str | None = None
    address: str | None = None
    medical_aid_plan_id: int | None = None
    medical_aid_member_number: str | None = None
    sms_opt_in: bool = True
    email_opt_in: bool = True


@dataclass(frozen=True)
class PatientSummary:
    """One search result or duplicate candidate."""

    id: int
    mrn: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex: str
    phone: str | None
    phone_display: str
    national_id: str | None
    plan_name: str | None
    member_number: str | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class PatientDetails:
    id: int
    mrn: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex: str
    phone: str | None  # E.164
    phone_display: str  # national format of the clinic's region
    email: str | None
    national_id: str | None
    address: str | None
    medical_aid_plan_id: int | None
    plan_name: str | None
    medical_aid_member_number: str | None
    sms_opt_in: bool
    email_opt_in: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def to_input(self) -> PatientInput:
        """The form's values, to edit and pass back to :meth:`~.registry.PatientService.update`."""
        names = {f.name for f in fields(PatientInput)}
        return PatientInput(**{name: getattr(self, name) for name in names})


def patient_summary(row: Any, region: str) -> PatientSummary:
    return PatientSummary(
        id=row.id,
        mrn=row.mrn,
        first_name=row.first_name,
        last_name=row.last_name,
        date_of_birth=row.date_of_birth,
        sex=row.sex,
        phone=row.phone,
        phone_display=display_phone(row.phone, region),
        national_id=row.national_id,
        plan_name=row.plan_name,
        member_number=row.medical_aid_member_number,
    )


def patient_details(patient: Patient, region: str) -> PatientDetails:
    plan = patient.medical_aid_plan
    return PatientDetails(
        id=patient.id,
        mrn=patient.mrn,
        first_name=patient.first_name,
        last_name=patient.last_name,
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        phone=patient.phone,
        phone_display=display_phone(patient.phone, region),
        email=patient.email,
        national_id=patient.national_id,
        address=patient.address,
        medical_aid_plan_id=patient.medical_aid_plan_id,
        plan_name=plan.display_name if plan is not None else None,
        medical_aid_member_number=patient.medical_aid_member_number,
        sms_opt_in=patient.sms_opt_in,
        email_opt_in=patient.email_opt_in,
        created_at=patient.created_at,
        updated_at=patient.updated_at,
        version=patient.version,
    )
