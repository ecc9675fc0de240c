"""The DICOM tests: a small clinic with scanners, the real DICOM service on a free local
port, and pynetdicom (or DCMTK's findscu) as the scanners.

Tests marked ``dcmtk`` drive Debian's DCMTK tools (``findscu``, ``dump2dcm``); without
them on PATH they are deselected (never run, never counted as passed) and the summary
says so. ``.ci/run`` installs DCMTK when it can (``apt-get install dcmtk``).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mic_desktop.db import Database
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.dicom.devices import DicomDeviceService
from mic_desktop.services.dicom.server import DicomServer
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, build_clinic

_DCMTK_DESELECTED = pytest.StashKey[int]()


def dcmtk_folder() -> Path | None:
    """The folder of DCMTK's ``findscu``: the one beside its ``dump2dcm`` (pynetdicom
    installs a ``findscu`` of its own into the virtual environment, which is not it)."""
    dump2dcm = shutil.which("dump2dcm")
    if dump2dcm is None:
        return None
    folder = Path(dump2dcm).parent
    return folder if (folder / "findscu").exists() else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if dcmtk_folder() is not None:
        return
    deselected = [item for item in items if item.get_closest_marker("dcmtk")]
    if deselected:
        items[:] = [item for item in items if not item.get_closest_marker("dcmtk")]
        config.hook.pytest_deselected(items=deselected)
        config.stash[_DCMTK_DESELECTED] = len(deselected)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    count = config.stash.get(_DCMTK_DESELECTED, 0)
    if count:
        terminalreporter.write_line(
            f"{count} DICOM tests with DCMTK's findscu deselected: no dump2dcm/findscu on PATH "
            "(apt-get install dcmtk; .ci/run installs it when it can)",
            yellow=True,
        )


@pytest.fixture
def clock() -> FakeClock:
    """Monday 23 November 2026, 07:00 in the clinic, before the first scan."""
    return FakeClock(at(MONDAY, 7))


@pytest.fixture
def clinic(database: Database, staff: dict[str, StaffAccount]) -> Clinic:
    built = build_clinic(database, staff)  # type: ignore[arg-type]
    scanners = DicomDeviceService(database.session_factory, actor=None, workstation="test-pc")
    scanners.add("CT1", room="CT 1", host="127.0.0.1")
    scanners.add("DX1", room="X-ray 1")
    return built


@pytest.fixture
def dicom_server(database: Database, clinic: Clinic, clock: FakeClock) -> Iterator[DicomServer]:
    """The clinic's DICOM service as ``MIC_RIS`` on a free port of this machine."""
    server = DicomServer(
        database.session_factory,
        ae_title="MIC_RIS",
        port=0,
        host="127.0.0.1",
        workstation="dicom-pc",
        clock=clock,
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def monday() -> dt.date:
    return MONDAY
