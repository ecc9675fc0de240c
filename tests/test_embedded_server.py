"""The embedded server: started on demand, stopped by the last program that used it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

START = (
    "import sys; from pathlib import Path; from mic_desktop.db import start_embedded; "
    "print(start_embedded(Path(sys.argv[1])).database, flush=True); "
    "import time; time.sleep(float(sys.argv[2]))"
)


def _server_running(pgdata: Path) -> bool:
    return (pgdata / "postmaster.pid").exists()


@pytest.fixture
def pgdata() -> Iterator[Path]:
    # Not pytest's tmp_path: the server runs as another user when tests run as root,
    # and needs a folder of its own that outlives pytest's temp-dir housekeeping.
    folder = Path(tempfile.mkdtemp(prefix="mic-test-embedded-"))
    yield folder / "pgdata"
    shutil.rmtree(folder, ignore_errors=True)


def test_a_killed_program_does_not_keep_the_server_running_forever(pgdata: Path) -> None:
    killed = subprocess.Popen(
        [sys.executable, "-c", START, str(pgdata), "600"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert killed.stdout is not None and killed.stdout.readline().strip() == "mic"
        assert _server_running(pgdata)
    finally:
        killed.kill()  # SIGKILL: no atexit, its pid stays in the server's list
        killed.wait()
    assert _server_running(pgdata)

    subprocess.run([sys.executable, "-c", START, str(pgdata), "0"], check=True, timeout=120)
    deadline = time.monotonic() + 30
    while _server_running(pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _server_running(pgdata), "the last program to leave must stop the server"
