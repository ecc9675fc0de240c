"""The DICOM settings: checked, audited, manager only; a Study Instance UID never changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mic_desktop.db import Database
from mic_desktop.models import Appointment, AuditLog
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.dicom.settings import DicomSettingsService
from mic_desktop.services.errors import PermissionDeniedError, StaleRecordError, ValidationError
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, book, register


def test_the_uid_root_applies_to_new_appointments_only(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock
) -> None:
    service = DicomSettingsService(
        database.session_factory, actor=staff["manager"], workstation="m"
    )
    before = service.get()
    assert before.uid_root.startswith("2.25.") and len(before.uid_root) <= 44
    assert (before.enabled, before.ae_title, before.port) == (False, "MIC_RIS", 11112)
    patient = register(database, staff["reception"])
    first = book(database, staff["reception"], clock, patient.id, clinic.ct_head, clinic.ct_room,
                 at(MONDAY, 9))  # fmt: skip

    after = service.update(
        workstation=" desk-3 ", ae_title="CLINIC_WL", port=4242, allow_any_ae=True,
        uid_root="1.2.826.0.1.3680043.10.999", expected_version=before.version,
    )  # fmt: skip
    second = book(database, staff["reception"], clock, patient.id, clinic.ct_head, clinic.ct_room,
                  at(MONDAY, 10))  # fmt: skip

    assert (after.workstation, after.ae_title, after.port, after.allow_any_ae) == (
        "desk-3", "CLINIC_WL", 4242, True,
    )  # fmt: skip
    with database.session() as session:
        uids = dict(session.execute(select(Appointment.id, Appointment.study_instance_uid)).all())
        audit = session.scalars(
            select(AuditLog.details).where(AuditLog.action == "dicom_settings_changed")
        ).one()
    assert uids[first.id] == first.study_instance_uid  # made once, kept
    assert first.study_instance_uid.startswith(before.uid_root + ".1.")
    assert uids[second.id].startswith("1.2.826.0.1.3680043.10.999.1.")
    assert len(set(uids.values())) == 2 and all(len(uid) <= 64 for uid in uids.values())
    assert audit["ae_title"] == "CLINIC_WL" and audit["port"] == 4242

    with pytest.raises(StaleRecordError):
        service.update(
            workstation=None, ae_title="MIC_RIS", port=11112, allow_any_ae=False,
            uid_root=after.uid_root, expected_version=before.version,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("field", "values", "message"),
    [
        ("ae_title", {"ae_title": "MIC\\RIS"}, "is not an AE title"),
        ("ae_title", {"ae_title": "A_TITLE_LONGER_THAN_16"}, "is not an AE title"),
        ("port", {"port": 70000}, "is not a TCP port"),
        ("uid_root", {"uid_root": "1.2.03"}, "is not a UID root"),
        ("uid_root", {"uid_root": "2.25." + "9" * 40}, "at most 44 characters"),
    ],
)
def test_bad_settings_are_refused_beside_their_field(
    database: Database, staff: dict[str, StaffAccount], field: str, values: dict, message: str
) -> None:  # type: ignore[type-arg]
    service = DicomSettingsService(
        database.session_factory, actor=staff["manager"], workstation="m"
    )
    current = service.get()
    arguments = {"workstation": None, "ae_title": "MIC_RIS", "port": 11112,
                 "allow_any_ae": False, "uid_root": current.uid_root, **values}  # fmt: skip
    with pytest.raises(ValidationError, match=message) as refused:
        service.update(**arguments)
    assert refused.value.field == field
    assert service.get() == current  # nothing half-written


def test_only_a_manager_sets_the_dicom_service(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    with pytest.raises(PermissionDeniedError):
        DicomSettingsService(database.session_factory, actor=staff["reception"], workstation="d")
