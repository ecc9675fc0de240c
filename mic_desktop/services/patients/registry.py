"""Patients: registration and edits, search-as-you-type, the patient panel.

Search is one SQL query (see :mod:`mic_desktop.services.patients.search_query`): names in
any order, partial, without accents or case; MRN, national ID and medical-aid
member number by prefix; phone numbers typed in any format.

Registration validates every field (phone stored in E.164 with the clinic's
region) and warns about a possible duplicate (same name and date of birth, or the
same phone) by raising :class:`PossibleDuplicateError`; the caller asks "register
anyway?" and repeats the call with ``allow_duplicate=True``. The panel's visit
history is read by :mod:`mic_desktop.services.patients.panel`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from mic_desktop.models import MedicalAidPlan, MedicalAidScheme, Patient, Sex
from mic_desktop.services import live
from mic_desktop.services.base import ClinicService
from mic_desktop.services.errors import NotFoundError, ServiceError, ValidationError
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.patients.contact_details import normalise_email, normalise_phone
from mic_desktop.services.patients.details import (
    PatientDetails,
    PatientInput,
    PatientSummary,
    patient_details,
    patient_summary,
)
from mic_desktop.services.patients.panel import PatientPanel, read_panel
from mic_desktop.services.patients.search_query import search_query, summary_select
from mic_desktop.services.records import check_version, clinic_settings, clinic_zone, stale_guard
from mic_desktop.services.text_checks import ADDRESS_MAX, check_search, check_text

SEARCH_LIMIT = 50
OLDEST_BIRTH_DATE = dt.date(1900, 1, 1)


class PossibleDuplicateError(ServiceError):
    """Patients who may be the same person; repeat with ``allow_duplicate=True`` to go on."""

    def __init__(self, candidates: tuple[PatientSummary, ...]) -> None:
        listed = ", ".join(f"{c.full_name} ({c.mrn})" for c in candidates[:3])
        more = f" and {len(candidates) - 3} more" if len(candidates) > 3 else ""
        super().__init__(
            f"This may be a patient already registered: {listed}{more}. Register anyway?"
        )
        self.candidates = candidates


@dataclass(frozen=True)
class PlanOption:
    """A medical-aid plan reception can choose on the patient form."""

    id: int
    name: str  # scheme and plan
    scheme_code: str


def _clean_text(value: str | None, limit: int, field: str, label: str) -> str | None:
    text = " ".join(unicodedata.normalize("NFC", check_text(value, field, label)).split())
    if len(text) > limit:
        raise ValidationError(f"{label} is longer than {limit} characters.", field)
    return text or None


def _required(value: str, limit: int, field: str, label: str) -> str:
    text = _clean_text(value, limit, field, label)
    if not text:
        raise ValidationError(f"{label} is required.", field)
    return text


class PatientService(ClinicService):
    # ------------------------------------------------------------------ search

    def search(self, text: str, limit: int = SEARCH_LIMIT) -> list[PatientSummary]:
        """Patients matching what was typed so far, best first (at most ``limit``).

        Text longer than :data:`SEARCH_MAX` raises :class:`SearchTextTooLongError`.
        """
        text = check_search(text)
        with self._sessions() as session:
            region = clinic_settings(session).phone_region
            query = search_query(text, region, limit)
            if query is None:
                return []
            rows = session.execute(query).all()
            return [patient_summary(row, region) for row in rows]

    def find_duplicates(
        self, data: PatientInput, *, exclude_id: int | None = None
    ) -> list[PatientSummary]:
        """Registered patients with the same name and date of birth, or the same phone."""
        with self._sessions() as session:
            region = clinic_settings(session).phone_region
            phone = normalise_phone(data.phone, region)
            return _duplicates(session, data, phone, exclude_id, region)

    # --------------------------------------------------------- register / edit

    def register(self, data: PatientInput, *, allow_duplicate: bool = False) -> PatientDetails:
        """Register a patient; PossibleDuplicateError first unless ``allow_duplicate``."""
        with self._sessions.begin() as session:
            settings = clinic_settings(session)
            values = self._validated(session, data, settings.phone_region)
            duplicates = _duplicates(session, data, values["phone"], None, settings.phone_region)
            if duplicates and not allow_duplicate:
                raise PossibleDuplicateError(tuple(duplicates))
            patient = Patient(**values)
            session.add(patient)
            session.flush()
            details: dict[str, Any] = {"mrn": patient.mrn}
            if duplicates:
                details["registered_despite_duplicates"] = [d.mrn for d in duplicates]
            self._audit(session, "patient_registered", patient, details)
            live.notify(session, LiveChannel.PATIENT, patient.id)
            return patient_details(patient, settings.phone_region)

    def update(
        self,
        patient_id: int,
        data: PatientInput,
        expected_version: int,
        *,
        allow_duplicate: bool = False,
    ) -> PatientDetails:
        """Save an edited patient; refused when someone saved it since it was loaded."""
        with self._sessions.begin() as session:
            settings = clinic_settings(session)
            patient = _locked_patient(session, patient_id)
            check_version(
                session, patient.version, expected_version, "This patient", "patient", patient.id
            )
            values = self._validated(
                session, data, settings.phone_region, patient.medical_aid_plan_id
            )
            changes = {
                name: (_jsonable(getattr(patient, name)), _jsonable(value))
                for name, value in values.items()
                if getattr(patient, name) != value
            }
            if not changes:
                return patient_details(patient, settings.phone_region)
            identity = {"first_name", "last_name", "date_of_birth", "phone"}
            duplicates = (
                _duplicates(session, data, values["phone"], patient.id, settings.phone_region)
                if identity & changes.keys()
                else []
            )
            if duplicates and not allow_duplicate:
                raise PossibleDuplicateError(tuple(duplicates))
            for name, value in values.items():
                setattr(patient, name, value)
            with stale_guard("This patient"):
                session.flush()
            details: dict[str, Any] = {"mrn": patient.mrn, "changes": changes}
            if duplicates:
                details["saved_despite_duplicates"] = [d.mrn for d in duplicates]
            self._audit(session, "patient_updated", patient, details)
            live.notify(session, LiveChannel.PATIENT, patient.id)
            return patient_details(patient, settings.phone_region)

    # -------------------------------------------------------------------- read

    def get(self, patient_id: int) -> PatientDetails:
        with self._sessions() as session:
            patient = session.get(Patient, patient_id)
            if patient is None or patient.deleted_at is not None:
                raise NotFoundError("This patient no longer exists.")
            return patient_details(patient, clinic_settings(session).phone_region)

    def panel(self, patient_id: int) -> PatientPanel:
        """Details, medical aid, balance, appointments, reports and messages of a patient."""
        now = self._clock()
        with self._sessions() as session:
            patient = session.get(Patient, patient_id)
            if patient is None or patient.deleted_at is not None:
                raise NotFoundError("This patient no longer exists.")
            details = patient_details(patient, clinic_settings(session).phone_region)
            return read_panel(session, details, now)

    def medical_aid_plans(self) -> list[PlanOption]:
        """Active plans for the patient form, by scheme and plan name."""
        with self._sessions() as session:
            rows = session.execute(
                select(
                    MedicalAidPlan.id,
                    MedicalAidScheme.name,
                    MedicalAidPlan.name,
                    MedicalAidScheme.code,
                )
                .join(MedicalAidScheme, MedicalAidScheme.id == MedicalAidPlan.scheme_id)
                .where(MedicalAidPlan.is_active, MedicalAidScheme.is_active)
                .order_by(MedicalAidScheme.name, MedicalAidPlan.name)
            ).all()
        return [PlanOption(row[0], f"{row[1]} {row[2]}", row[3]) for row in rows]

    # ---------------------------------------------------------------- internal

    def _validated(
        self,
        session: Session,
        data: PatientInput,
        region: str,
        current_plan_id: int | None = None,
    ) -> dict[str, Any]:
        today = self._clock().astimezone(clinic_zone(session)).date()
        first_name = _required(data.first_name, 80, "first_name", "The first name")
        last_name = _required(data.last_name, 80, "last_name", "The last name")
        born = data.date_of_birth
        if isinstance(born, dt.datetime):
            born = born.date()
        if not isinstance(born, dt.date):
            raise ValidationError("Enter the date of birth.", "date_of_birth")
        if born > today:
            raise ValidationError("The date of birth cannot be in the future.", "date_of_birth")
        if born < OLDEST_BIRTH_DATE:
            raise ValidationError("Check the date of birth: it is before 1900.", "date_of_birth")
        try:
            sex = Sex(data.sex)
        except ValueError:
            raise ValidationError("Choose female, male, other or unknown.", "sex") from None
        check_text(data.phone, "phone", "The phone number")
        email = normalise_email(check_text(data.email, "email", "The e-mail address"))
        national_id = _clean_text(data.national_id, 32, "national_id", "The national ID")
        member_number = _clean_text(
            data.medical_aid_member_number,
            40,
            "medical_aid_member_number",
            "The member number",
        )
        plan_id = data.medical_aid_plan_id
        if plan_id is not None:
            plan = session.get(MedicalAidPlan, plan_id)
            if plan is None:
                raise ValidationError(
                    "This medical-aid plan no longer exists.", "medical_aid_plan_id"
                )
            if plan_id != current_plan_id and not (plan.is_active and plan.scheme.is_active):
                raise ValidationError(
                    f"{plan.display_name} is no longer accepted: choose another plan.",
                    "medical_aid_plan_id",
                )
            if member_number is None:
                raise ValidationError(
                    "Enter the medical-aid member number for this plan.",
                    "medical_aid_member_number",
                )
        elif member_number is not None:
            raise ValidationError(
                "Choose the medical-aid plan of this member number.", "medical_aid_plan_id"
            )
        return {
            "first_name": first_name,
            "last_name": last_name,
            "date_of_birth": born,
            "sex": sex.value,
            "phone": normalise_phone(data.phone, region),
            "email": email,
            "national_id": national_id.upper() if national_id else None,
            "address": _clean_address(data.address),
            "medical_aid_plan_id": plan_id,
            "medical_aid_member_number": member_number.upper() if member_number else None,
            "sms_opt_in": bool(data.sms_opt_in),
            "email_opt_in": bool(data.email_opt_in),
        }

    def _audit(
        self, session: Session, action: str, patient: Patient, details: dict[str, Any]
    ) -> None:
        self._audit_change(session, action, "patient", patient.id, details)


def _clean_address(value: str | None) -> str | None:
    text = unicodedata.normalize("NFC", check_text(value, "address", "The address"))
    lines = (" ".join(line.split()) for line in text.splitlines())
    joined = "\n".join(line for line in lines if line)
    return check_text(joined, "address", "The address", ADDRESS_MAX) or None


def _jsonable(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _locked_patient(session: Session, patient_id: int) -> Patient:
    patient = session.scalars(
        select(Patient).where(Patient.id == patient_id).with_for_update()
    ).one_or_none()
    if patient is None or patient.deleted_at is not None:
        raise NotFoundError("This patient no longer exists.")
    return patient


def _duplicates(
    session: Session,
    data: PatientInput,
    phone: str | None,
    exclude_id: int | None,
    region: str,
) -> list[PatientSummary]:
    first = func.mic_search_key(data.first_name or "")
    last = func.mic_search_key(data.last_name or "")
    first_key = func.mic_search_key(Patient.first_name)
    last_key = func.mic_search_key(Patient.last_name)
    same_person = and_(
        Patient.date_of_birth == data.date_of_birth,
        or_(
            and_(last_key == last, first_key == first),
            and_(last_key == first, first_key == last),  # first and last name swapped
        ),
    )
    condition = or_(same_person, Patient.phone == phone) if phone else same_person
    query = summary_select().where(condition)
    if exclude_id is not None:
        query = query.where(Patient.id != exclude_id)
    rows = session.execute(query.order_by(Patient.last_name, Patient.first_name).limit(20))
    return [patient_summary(row, region) for row in rows]
