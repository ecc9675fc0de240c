"""DCMTK's findscu asks the worklist with a query file, as a scanner's console would."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pydicom
import pytest

from mic_desktop.db import Database
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.dicom.server import DicomServer
from tests.dicom.conftest import dcmtk_folder
from tests.dicom_clients import confirmed
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, register

pytestmark = pytest.mark.dcmtk

QUERY_DUMP = """\
(0008,0005) CS  [ISO_IR 192]
(0008,0050) SH  []
(0010,0010) PN  [{name}]
(0010,0020) LO  []
(0010,0030) DA  []
(0010,0040) CS  []
(0020,000d) UI  []
(0032,1060) LO  []
(0040,0100) SQ
(fffe,e000) -
(0008,0060) CS  [CT]
(0040,0001) AE  [CT1]
(0040,0002) DA  [20261123-20261124]
(0040,0003) TM  []
(0040,0006) PN  []
(0040,0007) LO  []
(0040,0009) SH  []
(fffe,e00d)
(fffe,e0dd)
(0040,1001) SH  []
"""


def _findscu(port: int, dump: str, folder: Path) -> list[pydicom.Dataset]:
    tools = dcmtk_folder()
    assert tools is not None
    folder.mkdir()
    (folder / "query.dump").write_text(dump, encoding="utf-8")
    subprocess.run(
        [str(tools / "dump2dcm"), str(folder / "query.dump"), str(folder / "query.wl")],
        check=True,
        capture_output=True,
    )
    answers = folder / "answers"
    answers.mkdir()
    run = subprocess.run(
        [str(tools / "findscu"), "-W", "-aet", "CT1", "-aec", "MIC_RIS", "-X", "-od",
         str(answers), "127.0.0.1", str(port), str(folder / "query.wl")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return [pydicom.dcmread(path) for path in sorted(answers.glob("rsp*.dcm"))]


def test_findscu_gets_the_worklist_from_a_query_file(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock,
    dicom_server: DicomServer, tmp_path: Path,
) -> None:  # fmt: skip
    moyo = register(database, staff["reception"], "Tendai", "Moyo")
    zoe = register(database, staff["reception"], "Zoë", "Müller")
    first = confirmed(database, staff, clock, moyo, clinic.ct_head, clinic.ct_room, at(MONDAY, 9))
    second = confirmed(database, staff, clock, zoe, clinic.ct_head, clinic.ct_room, at(MONDAY, 10))
    confirmed(database, staff, clock, moyo, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9))

    everyone = _findscu(dicom_server.port, QUERY_DUMP.format(name="*"), tmp_path / "all")
    assert sorted(a.AccessionNumber for a in everyone) == sorted(
        [first.reference, second.reference]
    )

    accented = _findscu(dicom_server.port, QUERY_DUMP.format(name="Mü*"), tmp_path / "zoe")
    assert [str(a.PatientName) for a in accented] == ["Müller^Zoë"]
    assert accented[0].SpecificCharacterSet == "ISO_IR 192"
    assert accented[0].PatientID == zoe.mrn
    assert accented[0].ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime == (
        "100000"
    )
