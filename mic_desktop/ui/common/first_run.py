"""The "Connect this workstation" dialog: where this PC's clinic data lives.

Shown at the first start of a workstation (no settings file, no ``--demo``, no
database URL), and later from a manager's "Workstation connection…" action. Three
ways: the clinic server (its password goes to the OS keyring), this PC only (the
embedded database, with the first manager account made here), or the demo.
The choice is saved in the settings file, so the dialog is not shown again.

The Qt-free part (testing the server, setting up this PC, saving the choice) is
:mod:`.workstation_connection`; it runs in worker threads and the dialog only
shows its outcome.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import make_url

from mic_desktop.config import DatabaseKind, DatabaseTarget, Settings
from mic_desktop.db import DatabaseUnavailableError
from mic_desktop.secrets import keyring_available, no_keyring_reason

from .errors import first_line
from .look import logo_pixmap, window_title
from .tasks import run_task
from .workstation_connection import (
    Outcome,
    ServerChoice,
    TestResult,
    remember_server_password,
    save_choice,
    set_up_this_pc,
    test_server,
)

SCREENSHOT_ENV = "MIC_FIRST_RUN_SCREENSHOT"
CONTINUE_LABELS = ("Connect", "Create and start", "Start the demo")
SSL_MODES = ("prefer", "require", "verify-ca", "verify-full", "disable")


class FirstRunDialog(QDialog):
    """Connect this workstation: clinic server, this PC only, or the demo."""

    def __init__(self, *, first_run: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(window_title("Connect this workstation"))
        self.setMinimumWidth(620)
        self.chosen: DatabaseTarget | None = None
        self.saved_note = ""
        self._busy = False
        self._first_run = first_run

        logo = QLabel()
        logo.setPixmap(logo_pixmap(48))
        heading = QLabel("Connect this workstation")
        heading.setProperty("role", "card-title")
        intro = QLabel(
            "Where does this PC keep the clinic's appointments, reports and payments? "
            "You choose once; a manager can change it later."
        )
        intro.setWordWrap(True)
        intro.setProperty("role", "hint")
        top = QHBoxLayout()
        top.addWidget(logo)
        titles = QVBoxLayout()
        titles.addWidget(heading)
        titles.addWidget(intro)
        top.addLayout(titles, 1)

        self.server_option = QRadioButton("&Connect to the clinic server (several PCs)")
        self.local_option = QRadioButton("Use on &this PC only (one computer, empty clinic)")
        self.demo_option = QRadioButton("Try the &demo (made-up patients, clearly marked DEMO)")
        self.options = QButtonGroup(self)
        for number, option in enumerate((self.server_option, self.local_option, self.demo_option)):
            self.options.addButton(option, number)
        self.server_option.setChecked(True)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_server_page())
        self.pages.addWidget(self._build_local_page())
        self.pages.addWidget(self._build_demo_page())
        self.options.idToggled.connect(self._option_toggled)

        self.result_label = QLabel()
        self.result_label.setObjectName("FirstRunResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()

        self.cancel_button = QPushButton("Quit" if first_run else "Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.continue_button = QPushButton("Connect")
        self.continue_button.setDefault(True)
        self.continue_button.setProperty("role", "primary")
        self.continue_button.clicked.connect(self.submit)
        metrics = self.continue_button.fontMetrics()
        self.continue_button.setMinimumWidth(
            max(metrics.horizontalAdvance(label) for label in CONTINUE_LABELS) + 48
        )
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.continue_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.server_option)
        layout.addWidget(self.local_option)
        layout.addWidget(self.demo_option)
        layout.addWidget(self.pages)
        layout.addWidget(self.result_label)
        layout.addLayout(buttons)
        self.resize(680, max(660, self.sizeHint().height()))
        self._load_current()

    # -- pages -----------------------------------------------------------------------

    def _build_server_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(24, 4, 0, 4)
        self.host = QLineEdit(placeholderText="e.g. mic-server or 192.168.1.10")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(5432)
        self.database_name = QLineEdit("mic")
        self.user = QLineEdit("mic_app")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.sslmode = QComboBox()
        self.sslmode.addItems(SSL_MODES)
        self.ca_file = QLineEdit(placeholderText="only for verify-ca / verify-full")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)
        self.test_button = QPushButton("&Test connection")
        self.test_button.clicked.connect(lambda: self.test_connection())
        keyring_note = QLabel(
            "The password is kept in this PC's secure keyring."
            if keyring_available()
            else no_keyring_reason().replace(
                "so the password is kept in memory until the program closes",
                "so MIC Desktop asks for it at every start",
            )
        )
        keyring_note.setWordWrap(True)
        keyring_note.setProperty("role", "hint")
        form.addRow("&Host:", self.host)
        form.addRow("&Port:", self.port)
        form.addRow("Data&base:", self.database_name)
        form.addRow("&User:", self.user)
        form.addRow("Pass&word:", self.password)
        form.addRow("", keyring_note)
        form.addRow("TLS &mode:", self.sslmode)
        form.addRow("CA file:", ca_row)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        form.addRow("", test_row)
        return page

    def _build_local_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(24, 4, 0, 4)
        note = QLabel(
            "The clinic's data stays on this computer. Create the first manager account: "
            "the manager then adds the other staff."
        )
        note.setWordWrap(True)
        note.setProperty("role", "hint")
        self.manager_name = QLineEdit(placeholderText="e.g. Dana Whitfield")
        self.manager_username = QLineEdit(placeholderText="e.g. dana")
        self.manager_password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.manager_repeat = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        form.addRow(note)
        form.addRow("Full &name:", self.manager_name)
        form.addRow("User&name:", self.manager_username)
        form.addRow("Pass&word:", self.manager_password)
        form.addRow("&Repeat password:", self.manager_repeat)
        return page

    def _build_demo_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(24, 4, 0, 4)
        badge = QLabel("DEMO")
        badge.setObjectName("DemoBadge")
        badge.setStyleSheet(
            "background:#b45309;color:white;font-weight:bold;padding:2px 8px;border-radius:3px"
        )
        note = QLabel(
            "A separate demo database on this PC, filled with made-up patients and "
            "appointments, for training and trying things out. It never touches real clinic "
            "data and sends no messages. Every window says DEMO."
        )
        note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(badge)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(note)
        layout.addStretch(1)
        return page

    def _load_current(self) -> None:
        """When a manager reopens it: show the current choice."""
        settings = Settings.load()
        mode = settings.database_mode
        if mode is DatabaseKind.SERVER and settings.database_url:
            url = make_url(settings.database_url)
            self.host.setText(url.host or str(url.query.get("host", "")))
            self.port.setValue(url.port or 5432)
            self.database_name.setText(url.database or "")
            self.user.setText(url.username or "")
            self.sslmode.setCurrentText(str(url.query.get("sslmode", "prefer")))
            self.ca_file.setText(str(url.query.get("sslrootcert", "")))
        elif mode is DatabaseKind.EMBEDDED:
            self.local_option.setChecked(True)
        elif mode is DatabaseKind.DEMO:
            self.demo_option.setChecked(True)

    def _option_toggled(self, number: int, checked: bool) -> None:
        if not checked:
            return
        self.pages.setCurrentIndex(number)
        self.result_label.hide()
        self.continue_button.setText(CONTINUE_LABELS[number])

    def _browse_ca(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "CA certificate", "", "Certificates (*.crt *.pem);;All files (*)"
        )
        if path:
            self.ca_file.setText(path)

    # -- acting ----------------------------------------------------------------------

    def server_choice(self) -> ServerChoice:
        return ServerChoice(
            host=self.host.text().strip(),
            port=self.port.value(),
            database=self.database_name.text().strip(),
            user=self.user.text().strip(),
            sslmode=self.sslmode.currentText(),
            ca_file=self.ca_file.text().strip(),
        )

    def show_result(self, result: TestResult) -> None:
        colours = {Outcome.OK: "#166534", Outcome.WARNING: "#92400e", Outcome.ERROR: "#b91c1c"}
        self.result_label.setStyleSheet(f"color:{colours[result.outcome]};font-weight:600")
        self.result_label.setText(result.message)
        self.result_label.setProperty("outcome", result.outcome.value)
        self.result_label.show()

    def _set_busy(self, text: str | None) -> None:
        self._busy = text is not None
        for widget in (
            self.continue_button,
            self.test_button,
            self.pages,
            self.server_option,
            self.local_option,
            self.demo_option,
        ):
            widget.setEnabled(not self._busy)
        if text:
            self.result_label.setStyleSheet("")
            self.result_label.setText(text)
            self.result_label.show()

    def test_connection(self, *, then_save: bool = False) -> None:
        if self._busy:
            return
        choice, password = self.server_choice(), self.password.text()
        self._set_busy(f"Connecting to {choice.server}…")
        run_task(
            lambda: test_server(choice, password),
            lambda result: self._tested(choice, password, result, then_save),
            self._failed,
            receiver=self,
        )

    def _tested(self, choice: ServerChoice, password: str, result: TestResult, save: bool) -> None:
        self._set_busy(None)
        self.show_result(result)
        if save and result.usable:
            self._save(DatabaseKind.SERVER, choice, password)

    def _failed(self, error: BaseException) -> None:
        self._set_busy(None)
        self.show_result(TestResult(Outcome.ERROR, f"Something went wrong: {first_line(error)}"))

    def submit(self) -> None:
        if self._busy:
            return
        if self.server_option.isChecked():
            self.test_connection(then_save=True)
        elif self.local_option.isChecked():
            self._create_local()
        else:
            self._save(DatabaseKind.DEMO)

    def _create_local(self) -> None:
        username, name = self.manager_username.text().strip(), self.manager_name.text().strip()
        password = self.manager_password.text()
        problem = ""
        if not name:
            problem, field = "Enter the manager's full name.", self.manager_name
        elif not username:
            problem, field = "Choose a username for the manager.", self.manager_username
        elif len(password) < 8:
            problem, field = "The password needs at least 8 characters.", self.manager_password
        elif password != self.manager_repeat.text():
            problem, field = "The two passwords differ.", self.manager_repeat
        if problem:
            self.show_result(TestResult(Outcome.ERROR, problem))
            field.setFocus()
            return
        self._set_busy("Setting up the clinic database on this PC… (this takes a few seconds)")
        run_task(
            lambda: set_up_this_pc(username, name, password),
            self._local_ready,
            self._failed_local,
            receiver=self,
        )

    def _local_ready(self, note: str) -> None:
        self._set_busy(None)
        self.saved_note = note
        self._save(DatabaseKind.EMBEDDED)

    def _failed_local(self, error: BaseException) -> None:
        from mic_desktop.services.errors import ServiceError

        self._set_busy(None)
        if isinstance(error, ServiceError | DatabaseUnavailableError):
            self.show_result(TestResult(Outcome.ERROR, str(error)))
        else:
            self._failed(error)

    def _save(
        self, kind: DatabaseKind, choice: ServerChoice | None = None, password: str = ""
    ) -> None:
        def work() -> bool:
            save_choice(kind, choice)
            return choice is not None and remember_server_password(choice, password)

        self._set_busy("Saving…")
        run_task(
            lambda: work(), lambda _kept: self._saved(kind, choice), self._failed, receiver=self
        )

    def _saved(self, kind: DatabaseKind, choice: ServerChoice | None) -> None:
        self._set_busy(None)
        settings = Settings.load()
        url = settings.database_url if kind is DatabaseKind.SERVER else None
        self.chosen = DatabaseTarget(kind, url, source="first run")
        self.accept()


def choose_connection(parent: QWidget | None = None) -> DatabaseTarget | None:
    """Show the first-run dialog; the chosen target, or None when the person quit."""
    dialog = FirstRunDialog(first_run=True, parent=parent)
    screenshot = os.environ.get(SCREENSHOT_ENV)
    if screenshot:  # for the installer's documentation: save the dialog as PNG, then quit

        def save_and_quit() -> None:
            dialog.grab().save(screenshot)
            dialog.reject()

        QTimer.singleShot(1500, save_and_quit)
    dialog.exec()
    return dialog.chosen
