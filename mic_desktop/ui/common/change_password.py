"""Choosing a new password: forced at first login after a reset, or from the File menu."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.db import Database
from mic_desktop.services.accounts.auth import AuthService, StaffAccount
from mic_desktop.services.accounts.passwords import MIN_PASSWORD_LENGTH, check_password_strength
from mic_desktop.services.errors import AuthenticationError, ValidationError

from .errors import describe_error
from .look import window_title
from .tasks import run_task


class PasswordField(QWidget):
    """A label, a password line edit and the validation message under it."""

    def __init__(self, label: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(label)
        self.edit = QLineEdit()
        self.edit.setObjectName(name)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.label.setBuddy(self.edit)
        self.error = QLabel(wordWrap=True)
        self.error.setObjectName(f"{name}Error")
        self.error.setProperty("role", "field-error")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.label)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)

    def text(self) -> str:
        return self.edit.text()

    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))


class ChangePasswordDialog(QDialog):
    """Current, new and repeated password; ``changed`` carries the updated account."""

    changed = Signal(object)  # StaffAccount

    def __init__(
        self,
        auth: AuthService,
        account: StaffAccount,
        *,
        required: bool,
        demo: bool = False,
        database: Database | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._auth = auth
        self._database = database  # the open session's, when changed from its window
        self.account = account
        self.setWindowTitle(window_title("Change password", account.full_name, demo=demo))
        self.setModal(True)
        self.setMinimumWidth(440)

        title = QLabel("Choose a new password" if required else "Change your password")
        title.setProperty("role", "card-title")
        if required:
            intro_text = (
                f"Welcome, {account.full_name}. The password you logged in with was set for "
                "you by the practice manager: choose your own before you start."
            )
        else:
            intro_text = "Enter the password you use now, then the new one twice."
        intro = QLabel(intro_text, wordWrap=True)
        intro.setProperty("role", "muted")

        self.current = PasswordField("&Current password", "CurrentPassword")
        self.new = PasswordField("&New password", "NewPassword")
        hint = QLabel(
            f"At least {MIN_PASSWORD_LENGTH} characters; a short sentence is easy to remember."
        )
        hint.setProperty("role", "hint")
        self.repeat = PasswordField("&Repeat the new password", "RepeatPassword")
        self.general_error = QLabel(wordWrap=True)
        self.general_error.setProperty("role", "error")
        self.general_error.hide()

        buttons = QDialogButtonBox()
        self.ok_button = QPushButton("Change password")
        self.ok_button.setProperty("primary", True)
        self.ok_button.setDefault(True)
        buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel_text = "Log out" if required else "Cancel"
        self.cancel_button = buttons.addButton(cancel_text, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addWidget(self.current)
        layout.addWidget(self.new)
        layout.addWidget(hint)
        layout.addWidget(self.repeat)
        layout.addWidget(self.general_error)
        layout.addSpacing(6)
        layout.addWidget(buttons)
        self.current.edit.setFocus()

    def _fields(self) -> tuple[PasswordField, ...]:
        return (self.current, self.new, self.repeat)

    def _clear_errors(self) -> None:
        for field in self._fields():
            field.set_error("")
        self.general_error.hide()

    def _validate(self) -> bool:
        ok = True
        if not self.current.text():
            self.current.set_error("Enter the password you use now.")
            ok = False
        try:
            check_password_strength(self.new.text())
        except ValidationError as exc:
            self.new.set_error(str(exc))
            ok = False
        else:
            if self.new.text() == self.current.text():
                self.new.set_error("Choose a password different from the current one.")
                ok = False
        if self.repeat.text() != self.new.text():
            self.repeat.set_error("The two new passwords are not the same.")
            ok = False
        return ok

    def _submit(self) -> None:
        self._clear_errors()
        if not self._validate():
            for field in self._fields():
                if field.error.isVisible():
                    field.edit.setFocus()
                    field.edit.selectAll()
                    break
            return
        self._set_busy(True)
        account, current, new = self.account, self.current.text(), self.new.text()
        auth, database = self._auth, self._database

        def change() -> StaffAccount:
            changed = auth.change_password(account, current, new)
            if database is not None:  # the open session reconnects with the new one
                database.use_password(new)
            return changed

        run_task(
            change,
            self._done,
            self._failed,
            receiver=self,
        )

    def _set_busy(self, busy: bool) -> None:
        for widget in (*self._fields(), self.ok_button, self.cancel_button):
            widget.setEnabled(not busy)
        self.ok_button.setText("Saving…" if busy else "Change password")

    def _done(self, account: StaffAccount) -> None:
        self.account = account
        self.changed.emit(account)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, ValidationError):
            target = self.current if error.field == "current" else self.new
            target.set_error(str(error))
            target.edit.setFocus()
        elif isinstance(error, AuthenticationError):
            self.current.set_error(str(error))
            self.current.edit.clear()
            self.current.edit.setFocus()
        else:
            self.general_error.setText(describe_error(error))
            self.general_error.show()
