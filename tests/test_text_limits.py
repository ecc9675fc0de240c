"""Typed text: NUL characters and unpaired surrogates are refused naming the field, addresses
and notes have a length limit held by the services and the database, search text is capped."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import URL, func, select, text
from sqlalchemy.exc import IntegrityError

from mic_desktop.db import Database, make_engine
from mic_desktop.models import Appointment, Patient
from mic_desktop.schema import alembic_config, upgrade
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.patients.registry import PatientService
from mic_desktop.services.scheduling.booking import BookingRequest, BookingService
from mic_desktop.services.scheduling.referring_doctors import ReferringDoctorDirectory
from mic_desktop.services.text_checks import (
    ADDRESS_MAX,
    NOTES_MAX,
    SEARCH_MAX,
    NulCharacterError,
    SearchTextTooLongError,
    TextTooLongError,
    UnpairedSurrogateError,
    check_text,
)
from tests.reception_setup import MONDAY, FakeClock, at, build_clinic, register

LIMITED_COLUMNS = {
    ("patient", "address"): ADDRESS_MAX,
    ("clinic_settings", "address"): ADDRESS_MAX,
    ("appointment", "clinical_notes"): NOTES_MAX,
    ("appointment", "cancellation_reason"): NOTES_MAX,
    ("appointment_status_change", "reason"): NOTES_MAX,
    ("payment", "refund_reason"): NOTES_MAX,
    ("medical_aid_claim", "notes"): NOTES_MAX,
    ("patient_feedback", "comments"): NOTES_MAX,
}
HALF_EMOJI = "\ud83d"  # the first half of 😀 without its second


def test_check_text_names_what_is_wrong() -> None:
    with pytest.raises(NulCharacterError, match="The address contains a NUL") as nul:
        check_text("12 Main\x00 Road", "address", "The address")
    with pytest.raises(UnpairedSurrogateError, match="broken character") as surrogate:
        check_text(f"Smile {HALF_EMOJI}", "comments", "The comment")
    with pytest.raises(TextTooLongError, match="2001 characters long; at most 2000") as long:
        check_text("x" * 2001, "clinical_notes", "The notes", NOTES_MAX)
    assert (nul.value.field, surrogate.value.field, long.value.field) == (
        "address",
        "comments",
        "clinical_notes",
    )
    assert check_text("Café 😀 ok\n2nd line", "notes", "The notes", NOTES_MAX).endswith("line")


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"first_name": "Ten\x00dai"}, NulCharacterError, "first_name"),
        ({"last_name": f"Moyo{HALF_EMOJI}"}, UnpairedSurrogateError, "last_name"),
        ({"address": "12 Main Road\x00"}, NulCharacterError, "address"),
        ({"address": "x" * (ADDRESS_MAX + 1)}, TextTooLongError, "address"),
        ({"email": "a\x00@example.org"}, NulCharacterError, "email"),
        ({"phone": "077\x00123"}, NulCharacterError, "phone"),
        ({"national_id": f"63-{HALF_EMOJI}"}, UnpairedSurrogateError, "national_id"),
    ],
)
def test_the_patient_form_refuses_unstorable_text_and_stores_nothing(
    database: Database,
    staff: dict[str, StaffAccount],
    fields: dict[str, str],
    error: type[ValidationError],
    field: str,
) -> None:
    values = {"first_name": "Tendai", "last_name": "Moyo", **fields}
    with pytest.raises(error) as refused:
        register(database, staff["reception"], values.pop("first_name"), values.pop("last_name"),
                 **values)  # fmt: skip
    assert refused.value.field == field
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 0


def test_an_address_at_the_limit_is_kept_whole(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    address = "\n".join(["y" * 99] * 5)  # 5 lines of 99 + 4 line breaks = 499
    patient = register(database, staff["reception"], address=address + "z")
    assert patient.address == address + "z" and len(patient.address) == ADDRESS_MAX


def test_search_text_is_capped_and_checked(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    service = PatientService(database.session_factory, staff["reception"], "desk-1")
    register(database, staff["reception"])
    pasted = "Tendai Moyo was seen today. " * 40
    with pytest.raises(SearchTextTooLongError, match="Search text too long") as refused:
        service.search(pasted)
    assert (refused.value.field, refused.value.limit) == ("search", SEARCH_MAX)
    with pytest.raises(NulCharacterError) as nul:
        service.search("Moyo\x00")
    assert nul.value.field == "search"
    assert [p.last_name for p in service.search("Moyo")] == ["Moyo"]
    assert service.search("Moyo " + " " * (SEARCH_MAX - 5)) != []  # exactly at the cap
    doctors = ReferringDoctorDirectory(database.session_factory, staff["reception"], "desk-1")
    with pytest.raises(SearchTextTooLongError):
        doctors.search(pasted)


def test_booking_notes_have_a_limit(database: Database, staff: dict[str, StaffAccount]) -> None:
    clinic = build_clinic(database, staff)
    desk = BookingService(
        database.session_factory, staff["reception"], "desk-1", clock=FakeClock(at(MONDAY, 7))
    )
    patient = register(database, staff["reception"]).id

    def request(notes: str) -> BookingRequest:
        return BookingRequest(
            patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9), clinical_notes=notes
        )

    with pytest.raises(TextTooLongError) as refused:
        desk.book(request("n" * (NOTES_MAX + 1)))
    assert refused.value.field == "clinical_notes"
    with pytest.raises(NulCharacterError):
        desk.book(request("Chest pain\x00"))
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0
    assert len(desk.book(request("n" * NOTES_MAX)).clinical_notes) == NOTES_MAX


def test_the_flush_guard_catches_text_no_service_checked(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    doctors = ReferringDoctorDirectory(database.session_factory, staff["reception"], "desk-1")
    with pytest.raises(NulCharacterError, match="Practice name contains a NUL") as refused:
        doctors.add("Dr Farai Chikwanha", practice_name="Avenues\x00 Clinic")
    assert refused.value.field == "practice_name"
    with pytest.raises(UnpairedSurrogateError):
        doctors.add(f"Dr {HALF_EMOJI}")
    assert doctors.search("") == []


def test_the_database_holds_the_limits(database: Database) -> None:
    with database.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT conrelid::regclass::text, conname, convalidated, "
                "pg_get_constraintdef(oid) FROM pg_constraint WHERE conname LIKE 'ck_%_length'"
            )
        ).all()
    found = {(table, name): (valid, definition) for table, name, valid, definition in rows}
    for (table, column), limit in LIMITED_COLUMNS.items():
        valid, definition = found[(table, f"ck_{table}_{column}_length")]
        assert valid, f"{table}.{column} limit not validated"
        assert f"char_length({column}) <= {limit}" in definition
    with database.session() as session:
        session.add(Patient(first_name="A", last_name="B", date_of_birth=MONDAY))
    with (
        pytest.raises(IntegrityError, match="ck_patient_address_length"),
        database.engine.begin() as conn,
    ):
        conn.execute(text("UPDATE patient SET address = repeat('x', 501)"))


def test_migration_0012_keeps_longer_old_text_and_downgrades(empty_db_url: URL) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0011")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO patient (first_name, last_name, date_of_birth, sex, address, "
                    "sms_opt_in, email_opt_in, version) "
                    "VALUES ('Old', 'Record', '1950-01-01', 'U', repeat('a', 800), true, true, 1)"
                )
            )
        upgrade(engine, "0012")
        with engine.connect() as conn:
            states = dict(
                conn.execute(
                    text(
                        "SELECT conname, convalidated FROM pg_constraint "
                        "WHERE conname LIKE 'ck_%_length'"
                    )
                ).all()
            )
            kept = conn.scalar(text("SELECT char_length(address) FROM patient"))
        assert kept == 800  # nothing is cut
        assert states.pop("ck_patient_address_length") is False
        assert len(states) == len(LIMITED_COLUMNS) - 1 and all(states.values())
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE patient SET address = repeat('b', 900)"))

        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0011")
        with engine.connect() as conn:
            left = conn.scalar(
                text("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'ck_%_length'")
            )
        assert left == 0
    finally:
        engine.dispose()
