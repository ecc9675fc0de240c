"""The directory of referring doctors: search as you type, quick add from the booking dialog.

Search matches every typed word against the name, the practice name (without accents
or case) and the practice number (ignoring spaces and punctuation). One practice
number belongs to one doctor; the phone is stored in E.164 with the clinic's region.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import ReferringDoctor
from mic_desktop.services import audit
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.patients.contact_details import normalise_email, normalise_phone
from mic_desktop.services.records import clinic_settings
from mic_desktop.services.scheduling.appointments import clean_text
from mic_desktop.services.text_checks import check_search, check_text


@dataclass(frozen=True)
class DoctorInfo:
    id: int
    full_name: str
    practice_name: str | None
    practice_number: str | None
    phone: str | None
    email: str | None


class ReferringDoctorDirectory:
    """The doctors who refer patients: search as you type, quick add from the booking dialog."""

    def __init__(
        self, session_factory: sessionmaker[Session], actor: StaffAccount, workstation: str
    ) -> None:
        self._sessions = session_factory
        self._actor = actor
        self._workstation = workstation

    def search(self, typed: str = "", limit: int = 50) -> list[DoctorInfo]:
        """Active doctors whose name, practice or practice number contains every typed word."""
        query = select(ReferringDoctor).where(ReferringDoctor.is_active)
        for word in check_search(typed).split():
            key = select(func.mic_search_key(word)).scalar_subquery()
            pattern = "%" + key + "%"
            query = query.where(
                func.mic_search_key(ReferringDoctor.full_name).like(pattern)
                | func.mic_search_key(func.coalesce(ReferringDoctor.practice_name, "")).like(
                    pattern
                )
                | func.mic_id_key(func.coalesce(ReferringDoctor.practice_number, "")).like(
                    "%" + func.mic_id_key(word) + "%"
                )
            )
        with self._sessions() as session:
            rows = session.scalars(query.order_by(ReferringDoctor.full_name).limit(limit)).all()
            return [_doctor_info(row) for row in rows]

    def add(
        self,
        full_name: str,
        *,
        practice_name: str | None = None,
        practice_number: str | None = None,
        phone: str | None = None,
        email: str | None = None,
    ) -> DoctorInfo:
        """Add a doctor; one practice number belongs to one doctor."""
        name = clean_text(full_name)
        if name is None:
            raise ValidationError("Enter the doctor's name.", "full_name")
        if len(name) > 120:
            raise ValidationError("The name is longer than 120 characters.", "full_name")
        number = clean_text(
            check_text(practice_number, "practice_number", "The practice number"), 40
        )
        with self._sessions.begin() as session:
            region = clinic_settings(session).phone_region
            values = {
                "full_name": name,
                "practice_name": clean_text(practice_name, 120),
                "practice_number": number,
                "phone": normalise_phone(phone, region),
                "email": normalise_email(email),
            }
            if number is not None:
                existing = session.scalars(
                    select(ReferringDoctor).where(
                        func.mic_id_key(ReferringDoctor.practice_number) == func.mic_id_key(number)
                    )
                ).first()
                if existing is not None:
                    raise ValidationError(
                        f"Practice number {number} is already in the directory: "
                        f"{existing.full_name}.",
                        "practice_number",
                    )
            doctor = ReferringDoctor(**values)
            session.add(doctor)
            session.flush()
            audit.record(
                session,
                "referring_doctor_added",
                staff_id=self._actor.id,
                username=self._actor.username,
                entity="referring_doctor",
                entity_id=doctor.id,
                details={"name": name, "practice_number": number},
                workstation=self._workstation,
            )
            return _doctor_info(doctor)


def _doctor_info(row: ReferringDoctor) -> DoctorInfo:
    return DoctorInfo(
        row.id, row.full_name, row.practice_name, row.practice_number, row.phone, row.email
    )
