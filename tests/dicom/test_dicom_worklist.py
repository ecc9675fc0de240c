"""Modality Worklist C-FIND against the real service, pynetdicom as the scanners."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from mic_desktop.db import Database
from mic_desktop.models import Appointment, ClinicSettings
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.dicom.echo import echo
from mic_desktop.services.dicom.server import DicomServer
from mic_desktop.services.scheduling.cancellation import CancellationService
from tests.dicom_clients import confirmed, find, worklist_query
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, book, register

TUESDAY = MONDAY + dt.timedelta(days=1)


def test_a_scanner_gets_its_rooms_confirmed_appointments_with_every_key(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock,
    dicom_server: DicomServer,
) -> None:  # fmt: skip
    moyo = register(database, staff["reception"], "Tendai", "Moyo", sex="F")
    ct = confirmed(database, staff, clock, moyo, clinic.ct_head, clinic.ct_room, at(MONDAY, 9))
    book(database, staff["reception"], clock, moyo.id, clinic.ct_head, clinic.ct_room,
         at(MONDAY, 11))  # pending: not on the worklist  # fmt: skip

    result = find(dicom_server.port, "CT1", worklist_query(station="CT1", date="20261123"))

    assert result.established and result.final_status == 0x0000
    assert len(result.matches) == 1
    answer = result.matches[0]
    with database.session() as session:
        uid = session.scalar(select(Appointment.study_instance_uid).where(Appointment.id == ct.id))
        root = session.scalar(select(ClinicSettings.dicom_uid_root))
    assert str(answer.PatientName) == "Moyo^Tendai"
    assert answer.PatientID == moyo.mrn
    assert answer.PatientBirthDate == "19850412"
    assert answer.PatientSex == "F"
    assert answer.AccessionNumber == ct.reference
    assert answer.RequestedProcedureID == ct.reference
    assert answer.RequestedProcedureDescription == "CT head"
    assert answer.StudyInstanceUID == uid and uid.startswith(root + ".")
    step = answer.ScheduledProcedureStepSequence[0]
    assert step.ScheduledStationAETitle == "CT1"
    assert step.Modality == "CT"
    assert step.ScheduledProcedureStepStartDate == "20261123"
    assert step.ScheduledProcedureStepStartTime == "090000"  # the clinic's time, not UTC
    assert step.ScheduledProcedureStepID == ct.reference
    assert step.ScheduledProcedureStepDescription == "CT head"
    assert "SpecificCharacterSet" not in answer  # plain ASCII names need none

    again = find(dicom_server.port, "CT1", worklist_query(station="CT1"))
    assert [m.StudyInstanceUID for m in again.matches] == [uid]  # made once, never changes


def test_date_ranges_station_and_modality_filters(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock,
    dicom_server: DicomServer,
) -> None:  # fmt: skip
    patient = register(database, staff["reception"])
    refs = {
        name: confirmed(database, staff, clock, patient, scan, room, start).reference
        for name, scan, room, start in (
            ("ct-mon", clinic.ct_head, clinic.ct_room, at(MONDAY, 9)),
            ("ct-tue", clinic.ct_head, clinic.ct_room, at(TUESDAY, 9)),
            ("ct2-mon", clinic.ct_head, clinic.ct_room_2, at(MONDAY, 10)),
            ("xr-mon", clinic.chest_xray, clinic.xray_room, at(MONDAY, 8, 30)),
        )
    }

    def accessions(**keys: object) -> list[str]:
        result = find(dicom_server.port, "CT1", worklist_query(**keys))
        assert result.final_status == 0x0000
        return sorted(m.AccessionNumber for m in result.matches)

    assert accessions() == sorted(refs.values())
    assert accessions(station="CT1") == sorted([refs["ct-mon"], refs["ct-tue"]])
    assert accessions(station="CT1", date="20261123") == [refs["ct-mon"]]
    assert accessions(station="CT1", date="20261123-20261124") == sorted(
        [refs["ct-mon"], refs["ct-tue"]]
    )
    assert accessions(date="20261124-") == [refs["ct-tue"]]
    assert accessions(date="-20261123") == sorted([refs["ct-mon"], refs["ct2-mon"], refs["xr-mon"]])
    assert accessions(date="20261125-20261130") == []
    assert accessions(modality="CT", date="20261123") == sorted([refs["ct-mon"], refs["ct2-mon"]])
    assert accessions(station="DX1") == [refs["xr-mon"]]
    assert accessions(station="NOSUCH") == []
    # A room without a scanner of its own has no station AE title in the answer.
    result = find(dicom_server.port, "CT1", worklist_query(date="20261123", modality="CT"))
    stations = {m.AccessionNumber: m.ScheduledProcedureStepSequence[0].ScheduledStationAETitle
                for m in result.matches}  # fmt: skip
    assert stations == {refs["ct-mon"]: "CT1", refs["ct2-mon"]: ""}


def test_patient_name_and_id_wildcards(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock,
    dicom_server: DicomServer,
) -> None:  # fmt: skip
    people = {
        last: register(database, staff["reception"], first, last)
        for first, last in (("Tendai", "Moyo"), ("Rudo", "Mlambo"), ("Sipho", "Ndlovu"))
    }
    for hour, person in zip((8, 9, 10), people.values(), strict=True):
        confirmed(database, staff, clock, person, clinic.ct_head, clinic.ct_room, at(MONDAY, hour))

    def names(**keys: object) -> list[str]:
        result = find(dicom_server.port, "CT1", worklist_query(**keys))
        assert result.final_status == 0x0000
        return sorted(str(m.PatientName) for m in result.matches)

    assert names(PatientName="M*") == ["Mlambo^Rudo", "Moyo^Tendai"]
    assert names(PatientName="moyo^t*") == ["Moyo^Tendai"]
    assert names(PatientName="*LOVU*") == ["Ndlovu^Sipho"]
    assert names(PatientName="M?yo") == ["Moyo^Tendai"]
    assert names(PatientName="Ndlovu^Sipho") == ["Ndlovu^Sipho"]
    assert names(PatientName="Moy") == []
    assert names(PatientName="*") == ["Mlambo^Rudo", "Moyo^Tendai", "Ndlovu^Sipho"]
    assert names(PatientName="50%*") == []  # SQL wildcards in a query are plain text
    assert names(PatientID=people["Mlambo"].mrn) == ["Mlambo^Rudo"]
    assert len(names(PatientID=people["Mlambo"].mrn[:4] + "*")) == 3


def test_names_with_accents_are_sent_in_utf8(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock,
    dicom_server: DicomServer,
) -> None:  # fmt: skip
    zoe = register(database, staff["reception"], "Zoë", "Müller-Ñúñez")
    confirmed(database, staff, clock, zoe, clinic.ct_head, clinic.ct_room, at(MONDAY, 9))

    result = find(dicom_server.port, "CT1", worklist_query(PatientName="Müller*"))

    assert len(result.matches) == 1
    answer = result.matches[0]
    assert answer.SpecificCharacterSet == "ISO_IR 192"
    assert str(answer.PatientName) == "Müller-Ñúñez^Zoë"


def test_an_unknown_calling_ae_title_is_refused_unless_any_is_allowed(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock,
    dicom_server: DicomServer,
) -> None:  # fmt: skip
    patient = register(database, staff["reception"])
    confirmed(database, staff, clock, patient, clinic.ct_head, clinic.ct_room, at(MONDAY, 9))

    stranger = find(dicom_server.port, "STRANGER", worklist_query())
    assert stranger.rejected and not stranger.established and stranger.matches == []
    # A C-ECHO alone (setting a scanner up) tells nothing about patients: answered.
    assert echo("MIC_RIS", "127.0.0.1", dicom_server.port, calling_ae="STRANGER").ok

    with database.session() as session:
        session.execute(update(ClinicSettings).values(dicom_allow_any_ae=True))
    allowed = find(dicom_server.port, "STRANGER", worklist_query())
    assert allowed.established and len(allowed.matches) == 1


def test_a_cancelled_appointment_drops_out_of_the_worklist(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock,
    dicom_server: DicomServer,
) -> None:  # fmt: skip
    patient = register(database, staff["reception"])
    kept = confirmed(database, staff, clock, patient, clinic.ct_head, clinic.ct_room, at(MONDAY, 9))
    dropped = confirmed(
        database, staff, clock, patient, clinic.ct_head, clinic.ct_room, at(TUESDAY, 9)
    )
    before = find(dicom_server.port, "CT1", worklist_query(station="CT1"))
    assert sorted(m.AccessionNumber for m in before.matches) == sorted(
        [kept.reference, dropped.reference]
    )

    CancellationService(database.session_factory, staff["reception"], "desk-1", clock=clock).cancel(
        dropped.id, dropped.version, reason="Patient travelling"
    )

    after = find(dicom_server.port, "CT1", worklist_query(station="CT1"))
    assert [m.AccessionNumber for m in after.matches] == [kept.reference]
