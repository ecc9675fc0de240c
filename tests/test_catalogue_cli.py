"""``mic-desktop catalogue``: a clinic set up from a script, each change audited."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import URL, select

from mic_desktop.cli import main
from mic_desktop.db import Database
from mic_desktop.models import AuditLog


def _run(monkeypatch: pytest.MonkeyPatch, url: URL, *argv: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    return main([*argv, "--database-url", url.render_as_string(hide_password=False)])


def test_a_clinic_is_set_up_from_the_command_line(
    db_url: URL, database: Database, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    def run(*argv: str) -> tuple[int, str, str]:
        code = _run(monkeypatch, db_url, "catalogue", *argv)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    assert run("modality", "add", "ct", "--name", "Computed tomography") == (
        0, "Added modality CT (Computed tomography).\n", ""
    )  # fmt: skip
    assert run("modality", "add", "US", "--name", "Ultrasound")[0] == 0
    code, out, _ = run("room", "add", "CT 1", "--modality", "CT", "--open-24h")
    assert code == 0 and out == "Added room CT 1 (CT): open 24 hours, every day.\n"
    code, out, _ = run(
        "room", "add", "US 1", "--modality", "US", "--hours", "Mon-Fri 07:00-18:00,Sat 20:00-24:00"
    )
    assert code == 0
    assert "Mon 07:00-18:00" in out and "Fri 07:00-18:00" in out and "Sat 20:00-24:00" in out
    code, out, _ = run(
        "scan-type", "add", "CT-HEAD", "--name", "CT head", "--modality", "CT",
        "--minutes", "30", "--price", "1250.50", "--preauth",
    )  # fmt: skip
    assert code == 0
    assert out == (
        "Added scan type CT-HEAD (CT head, CT, 30 min, 1,250.50, pre-authorisation needed).\n"
    )
    christmas = ("2026-12-25", "--until", "2026-12-26", "--name", "Christmas")
    code, out, _ = run("closure", "add", *christmas)
    assert code == 0 and "Whole clinic" in out and "Christmas" in out
    code, out, _ = run("closure", "add", "2027-01-05", "--name", "Service", "--room", "ct 1")
    assert code == 0 and "CT 1" in out
    assert run("modality", "disable", "US")[1] == "Modality US (Ultrasound) disabled.\n"

    out = run("modality", "list")[1]
    assert "CT     Computed tomography\n" in out and "US     Ultrasound  (disabled)" in out
    assert "CT 1" in run("room", "list")[1]
    assert "CT-HEAD" in run("scan-type", "list")[1]
    listed = run("closure", "list")[1]
    assert "Christmas" in listed and "Service" in listed

    with database.session_factory() as session:
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.username == "(command line)")
        ).all()
    for action in (
        "modality_added", "room_added", "room_opening_hours_changed", "scan_type_added",
        "closure_added", "modality_changed",
    ):  # fmt: skip
        assert action in actions


BAD_PRICE = ["scan-type", "add", "X", "--name", "X", "--modality", "CT"]
BAD_PRICE += ["--minutes", "20", "--price", "ten"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["modality", "add", "C T", "--name", "x"], "A modality code is the DICOM one"),
        (["room", "add", "R", "--modality", "MR"], "There is no modality MR"),
        (["room", "add", "R", "--modality", "CT", "--hours", "Mon 9-5"], "Cannot read the hours"),
        (["room", "add", "R", "--modality", "CT", "--hours", "Fri-Mon 07:00-18:00"], "backwards"),
        (["room", "add", "R", "--modality", "CT", "--hours", "Mon 18:00-07:00"], "closes before"),
        (
            [*BAD_PRICE],
            "The price is not an amount.",
        ),
        (["closure", "add", "25/12/2026", "--name", "X"], "is not a date written YYYY-MM-DD"),
        (["closure", "add", "2026-12-25", "--until", "2026-12-24", "--name", "X"], "before"),
        (["closure", "add", "2026-12-25", "--name", "X", "--room", "Nowhere"], "no room called"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_1(
    db_url: URL, database: Database, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str,
) -> None:  # fmt: skip
    assert _run(monkeypatch, db_url, "catalogue", "modality", "add", "CT", "--name", "CT") == 0
    capsys.readouterr()
    assert _run(monkeypatch, db_url, "catalogue", *argv) == 1
    err = capsys.readouterr().err
    assert message in err and err.startswith("mic-desktop: ") and err.count("\n") == 1


def test_demo_data_as_the_application_role_says_it_needs_the_owner(
    db_url: URL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import create_engine, text

    from mic_desktop.schema import grant_application_role

    role = f"app_{db_url.database[-8:]}"
    owner = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
    grant_application_role(owner, role)
    try:
        app_url = db_url.set(username=role, password=None)
        argv = ["demo-data", "--patients", "5", "--months", "1"]
        assert _run(monkeypatch, app_url, *argv) == 1
        err = capsys.readouterr().err
        said = [line for line in err.splitlines() if line.startswith("mic-desktop: ")]
        assert len(said) == 1 and "must be loaded as the schema's owner role" in said[0]
        assert role in said[0]
        with owner.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM staff_user")) == 0
    finally:
        with owner.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        owner.dispose()


def test_demo_data_into_a_database_in_use_says_so_in_one_sentence(
    db_url: URL, database: Database, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assert _run(monkeypatch, db_url, "catalogue", "modality", "add", "CT", "--name", "CT") == 0
    capsys.readouterr()
    assert _run(monkeypatch, db_url, "demo-data", "--patients", "5", "--months", "1") == 1
    err = capsys.readouterr().err.splitlines()[-1]
    assert err == (
        "mic-desktop: The demo clinic can only be loaded into an empty database; this one "
        "already has rows in modality; load it into a new, empty database."
    )
