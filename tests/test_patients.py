"""Patients: validation, duplicate warnings, audited edits, search as you type, the panel."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select, update

from mic_desktop.db import Database
from mic_desktop.models import AuditLog, ClinicSettings, Patient
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.errors import StaleRecordError, ValidationError
from mic_desktop.services.patients.details import PatientInput
from mic_desktop.services.patients.registry import PatientService, PossibleDuplicateError
from mic_desktop.services.scheduling.booking import BookingService
from tests.reception_setup import MONDAY, FakeClock, at, book, build_clinic, register

NOW = at(MONDAY, 7, 30)


@pytest.fixture
def service(database: Database, staff: dict[str, StaffAccount]) -> PatientService:
    return PatientService(
        database.session_factory, staff["reception"], "desk-1", clock=FakeClock(NOW)
    )


def _input(**fields: object) -> PatientInput:
    values: dict[str, object] = {
        "first_name": "José",
        "last_name": "Núñez",
        "date_of_birth": dt.date(1990, 2, 3),
        "phone": "077 123 4567",
        "email": "jose@example.org",
    }
    values.update(fields)
    return PatientInput(**values)  # type: ignore[arg-type]


def test_registration_stores_e164_and_audits(database: Database, service: PatientService) -> None:
    patient = service.register(_input(national_id=" 63-123456 a 42 "))
    assert patient.phone == "+263771234567"
    assert patient.phone_display == "077 123 4567"
    assert patient.mrn.startswith("MIC")
    assert patient.national_id == "63-123456 A 42"
    assert patient.version == 1
    with database.session() as session:
        row = session.scalars(select(AuditLog).where(AuditLog.action == "patient_registered")).one()
    assert (row.entity, row.entity_id, row.username, row.workstation) == (
        "patient",
        str(patient.id),
        "reception1",
        "desk-1",
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"first_name": "  "}, "first_name", "first name is required"),
        ({"date_of_birth": dt.date(2026, 11, 24)}, "date_of_birth", "future"),
        ({"date_of_birth": dt.date(1899, 12, 31)}, "date_of_birth", "1900"),
        ({"phone": "12345"}, "phone", "not a valid phone number"),
        ({"email": "jose@@example"}, "email", "not a valid e-mail"),
        ({"sex": "Q"}, "sex", "female, male"),
        ({"medical_aid_member_number": "CIM-1"}, "medical_aid_plan_id", "Choose the medical-aid"),
    ],
)
def test_invalid_fields_are_named(
    database: Database,
    service: PatientService,
    fields: dict[str, object],
    field: str,
    message: str,
) -> None:
    with pytest.raises(ValidationError, match=message) as error:
        service.register(_input(**fields))
    assert error.value.field == field
    with database.session() as session:
        assert session.scalar(select(Patient.id)) is None


def test_a_plan_needs_a_member_number(
    database: Database, staff: dict[str, StaffAccount], service: PatientService
) -> None:
    clinic = build_clinic(database, staff)
    with pytest.raises(ValidationError, match="member number") as error:
        service.register(_input(medical_aid_plan_id=clinic.percent_plan))
    assert error.value.field == "medical_aid_member_number"
    patient = service.register(
        _input(medical_aid_plan_id=clinic.percent_plan, medical_aid_member_number="cim 0042-7")
    )
    assert patient.plan_name == "CIMAS Percent"
    assert patient.medical_aid_member_number == "CIM 0042-7"


def test_date_of_birth_today_is_accepted_in_the_clinic_time_zone(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    with database.session() as session:  # whatever zone the test database has
        session.execute(update(ClinicSettings).values(time_zone="Africa/Harare"))
    # 23:30 UTC on Sunday is already Monday in Harare.
    clock = FakeClock(dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC))
    service = PatientService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    assert service.register(_input(date_of_birth=MONDAY)).date_of_birth == MONDAY


def test_same_name_and_birth_date_or_same_phone_warns(service: PatientService) -> None:
    first = service.register(_input())
    with pytest.raises(PossibleDuplicateError, match="Register anyway") as same_person:
        service.register(_input(first_name="JOSE", last_name="nunez", phone=None, email=None))
    assert [c.id for c in same_person.value.candidates] == [first.id]
    with pytest.raises(PossibleDuplicateError):  # first and last name swapped
        service.register(_input(first_name="Nunez", last_name="Jose", phone=None))
    with pytest.raises(PossibleDuplicateError) as same_phone:
        service.register(
            _input(first_name="Maria", date_of_birth=dt.date(2015, 1, 1), phone="+263 77 123 4567")
        )
    assert same_phone.value.candidates[0].mrn == first.mrn
    assert len(service.search("nunez")) == 1  # nothing was saved by the warnings
    second = service.register(_input(email=None), allow_duplicate=True)
    assert second.id != first.id
    assert service.find_duplicates(_input(), exclude_id=second.id)[0].id == first.id


def test_edit_is_audited_with_changes_and_version_checked(
    database: Database, service: PatientService
) -> None:
    patient = service.register(_input())
    edited = service.update(
        patient.id, replace(patient.to_input(), phone="0772 000 111"), patient.version
    )
    assert edited.phone == "+263772000111"
    assert edited.version == patient.version + 1
    with database.session() as session:
        details = session.scalars(
            select(AuditLog.details).where(AuditLog.action == "patient_updated")
        ).one()
    assert details["changes"] == {"phone": ["+263771234567", "+263772000111"]}
    with pytest.raises(
        StaleRecordError, match=r"changed by reception1 at \w{3} \d+ \w{3} \d{4} \d\d:\d\d; reload"
    ):
        service.update(patient.id, replace(patient.to_input(), first_name="Joe"), patient.version)
    assert service.get(patient.id).first_name == "José"


@pytest.fixture
def people(service: PatientService) -> dict[str, int]:
    rows = {
        "jose": _input(national_id="63-123456 A 42"),
        "josefina": _input(first_name="Josefina", last_name="Moyo", phone="0712 999 888"),
        "tendai": _input(first_name="Tendai", last_name="Moyo", phone="+27 82 555 0101"),
        "chipo": _input(first_name="Chipo", last_name="Moyo-Dube", phone=None),
        "moyoyo": _input(first_name="Anesu", last_name="Chimoyo", phone=None),
        "obrien": _input(first_name="Seán", last_name="O'Brien", phone=None),
    }
    return {key: service.register(data, allow_duplicate=True).id for key, data in rows.items()}


def _ids(service: PatientService, typed: str) -> list[int]:
    return [row.id for row in service.search(typed)]


def test_search_names_in_any_order_partial_without_accents_or_case(
    service: PatientService, people: dict[str, int]
) -> None:
    assert _ids(service, "jose nunez") == [people["jose"]]
    assert _ids(service, "NÚÑEZ josé") == [people["jose"]]
    assert _ids(service, "nu jo") == [people["jose"]]
    assert _ids(service, "obrien") == [people["obrien"]]
    assert _ids(service, "o'brien sean") == [people["obrien"]]
    assert set(_ids(service, "jos")) == {people["jose"], people["josefina"]}
    # Whole-word matches first, then word starts, then fragments inside a name.
    moyo = _ids(service, "moyo")
    assert set(moyo[:3]) == {people["josefina"], people["tendai"], people["chipo"]}
    assert moyo[3:] == [people["moyoyo"]]
    assert _ids(service, "dube chi") == [people["chipo"]]
    assert _ids(service, "t") == []  # too short to search
    assert _ids(service, "zz") == []


def test_search_by_phone_in_any_format(service: PatientService, people: dict[str, int]) -> None:
    jose = people["jose"]
    for typed in ("0771234567", "077 123 4567", "+263 77 123 4567", "00263771234567"):
        assert _ids(service, typed)[0] == jose, typed
    assert _ids(service, "0771 23") == [jose]  # typing in progress: a prefix
    assert _ids(service, "1234567") == [jose]  # the last digits
    assert _ids(service, "+27 82") == [people["tendai"]]
    assert _ids(service, "082 555") == []  # a South African number is not 082 here


def test_search_by_mrn_national_id_and_member_number(
    database: Database,
    staff: dict[str, StaffAccount],
    service: PatientService,
    people: dict[str, int],
) -> None:
    clinic = build_clinic(database, staff)
    member = service.register(
        _input(
            first_name="Rudo",
            last_name="Sibanda",
            phone=None,
            medical_aid_plan_id=clinic.percent_plan,
            medical_aid_member_number="CIM-778899",
        )
    )
    jose = service.get(people["jose"])
    assert _ids(service, jose.mrn) == [jose.id]
    assert _ids(service, jose.mrn.lower().removeprefix("mic"))[0] == jose.id
    assert jose.id in _ids(service, jose.mrn[:-1])  # the MRN typed so far
    assert _ids(service, "63123456a42") == [jose.id]
    assert _ids(service, "63-1234") == [jose.id]
    assert _ids(service, "cim778899") == [member.id]
    assert _ids(service, "CIM-7788") == [member.id]
    found = service.search("CIM 778899")[0]
    assert (found.plan_name, found.member_number) == ("CIMAS Percent", "CIM-778899")


def test_search_leaves_out_deleted_patients_and_caps_results(
    database: Database, service: PatientService
) -> None:
    ids = [
        service.register(
            _input(first_name=f"Farai{n:02d}", last_name="Ncube", phone=None), allow_duplicate=True
        ).id
        for n in range(55)
    ]
    with database.session() as session:
        session.execute(update(Patient).where(Patient.id == ids[0]).values(deleted_at=NOW))
    found = _ids(service, "ncube")
    assert len(found) == 50
    assert ids[0] not in found
    assert found == sorted(found, key=lambda i: ids.index(i))  # alphabetical by first name


def test_panel_shows_balance_appointments_reports_and_messages(
    database: Database, staff: dict[str, StaffAccount], service: PatientService
) -> None:
    clinic = build_clinic(database, staff)
    clock = FakeClock(NOW)
    patient = register(database, staff["reception"], phone="0771234567")
    done = book(
        database, staff["reception"], clock, patient.id, clinic.chest_xray, clinic.xray_room,
        at(MONDAY, 8),
    )  # fmt: skip
    later = book(
        database, staff["reception"], clock, patient.id, clinic.chest_xray, clinic.xray_room,
        at(MONDAY + dt.timedelta(days=1), 9),
    )  # fmt: skip
    booking = BookingService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    clock.now = at(MONDAY, 8, 5)
    done = booking.check_in(done.id, done.version)
    done = booking.start_scan(done.id, done.version)
    done = booking.complete_scan(done.id, done.version)
    service = PatientService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    clock.now = at(MONDAY, 10)
    panel = service.panel(patient.id)
    assert panel.patient.full_name == "Tendai Moyo"
    assert [a.reference for a in panel.past] == [done.reference]
    assert [a.reference for a in panel.upcoming] == [later.reference]
    assert panel.balance.balance == done.patient_copay
    assert [(r.appointment_reference, r.status.value, r.is_available) for r in panel.reports] == [
        (done.reference, "pending", False)
    ]
    assert {m.kind for m in panel.messages} == {"booking_confirmation"}
    assert all(m.recipient == "+263771234567" for m in panel.messages)
