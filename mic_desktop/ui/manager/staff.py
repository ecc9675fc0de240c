"""The manager's staff page: accounts, roles, password resets, disabling and enabling.

Every change runs off the GUI thread; its outcome shows in the page's notice (the
last active manager's refusal in red). Changes made on another desk arrive through
``session.live`` ("mic_staff") and reload the list.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from mic_desktop.models import Role
from mic_desktop.services.admin.staff import LastManagerError, StaffListing, StaffService
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import Column, ListPage
from mic_desktop.ui.common.tasks import run_task

from .forms import FormDialog, Notice

ROLES = (Role.RECEPTION, Role.RADIOLOGIST, Role.MANAGER)


def staff_status(row: StaffListing) -> str:
    if not row.is_active:
        return "Disabled"
    if row.must_change_password:
        return "Active · must change password"
    return "Active"


def role_box(current: Role | None = None) -> QComboBox:
    box = QComboBox()
    for role in ROLES:
        box.addItem(role.label, role.value)
    if current is not None:
        box.setCurrentIndex(box.findData(current.value))
    return box


class AddStaffDialog(FormDialog):
    def __init__(self, service: StaffService, parent: QWidget | None = None) -> None:
        super().__init__("Add a staff member", "Add", parent)
        self._service = service
        self.username = self.form.add_field(
            "username", "Username", QLineEdit(), "What they type at login, e.g. tmoyo."
        )
        self.full_name = self.form.add_field("full_name", "Full name", QLineEdit())
        self.role = self.form.add_field("role", "Role", role_box(Role.RECEPTION))
        self.title = self.form.add_field(
            "title", "Professional title", QLineEdit(), "Printed under a radiologist's signature."
        )
        self.password = self.form.add_field(
            "password",
            "Temporary password",
            QLineEdit(echoMode=QLineEdit.EchoMode.Password),
            "They choose their own at their first login.",
        )
        self.added_name = ""

    def submit(self) -> None:
        service = self._service
        username, name = self.username.text(), self.full_name.text()
        role, password = self.role.currentData(), self.password.text()
        title = self.title.text().strip() or None
        self.set_busy(True)
        self.form.clear_errors()
        run_task(
            lambda: service.add(username, name, role, password, professional_title=title),
            self._added,
            self.failed,
            receiver=self,
        )

    def _added(self, account: object) -> None:
        self.added_name = getattr(account, "full_name", "")
        self.accept()


class RoleDialog(FormDialog):
    def __init__(
        self, service: StaffService, row: StaffListing, parent: QWidget | None = None
    ) -> None:
        super().__init__(f"Change {row.full_name}'s role", "Change role", parent)
        self._service = service
        self.row = row
        self.role = self.form.add_field("role", "New role", role_box(row.role))

    def submit(self) -> None:
        service, username, role = self._service, self.row.username, self.role.currentData()
        self.set_busy(True)
        run_task(
            lambda: service.change_role(username, role),
            lambda _none: self.accept(),
            self.failed,
            receiver=self,
        )


class ResetPasswordDialog(FormDialog):
    def __init__(
        self, service: StaffService, row: StaffListing, parent: QWidget | None = None
    ) -> None:
        super().__init__(f"Reset {row.full_name}'s password", "Reset password", parent)
        self._service = service
        self.row = row
        self.password = self.form.add_field(
            "password",
            "Temporary password",
            QLineEdit(echoMode=QLineEdit.EchoMode.Password),
            "Tell it to them in person; they must change it at their next login.",
        )

    def submit(self) -> None:
        service, username, password = self._service, self.row.username, self.password.text()
        self.set_busy(True)
        self.form.clear_errors()
        run_task(
            lambda: service.reset_password(username, password),
            lambda _none: self.accept(),
            self.failed,
            receiver=self,
        )


class DetailsDialog(FormDialog):
    def __init__(
        self, service: StaffService, row: StaffListing, parent: QWidget | None = None
    ) -> None:
        super().__init__(f"Edit {row.full_name}'s details", "Save", parent)
        self._service = service
        self.row = row
        self.full_name = self.form.add_field("full_name", "Full name", QLineEdit(row.full_name))
        self.title = self.form.add_field(
            "title",
            "Professional title",
            QLineEdit(row.professional_title or ""),
            "Printed under a radiologist's signature.",
        )

    def submit(self) -> None:
        service, row = self._service, self.row
        name, title = self.full_name.text(), self.title.text()
        self.set_busy(True)
        self.form.clear_errors()
        run_task(
            lambda: service.update_details(
                row.username, full_name=name, professional_title=title, expected_version=row.version
            ),
            lambda _listing: self.accept(),
            self.failed,
            receiver=self,
        )


class StaffPage(ListPage):
    """Every account; buttons act on the selected one."""

    def __init__(
        self,
        service: StaffService,
        zone,  # type: ignore[no-untyped-def]
        parent: QWidget | None = None,
    ) -> None:
        columns = [
            Column("Name", lambda r: r.full_name, width=220),
            Column("Username", lambda r: r.username, width=150),
            Column("Role", lambda r: r.role.label, width=120),
            Column(
                "Status",
                staff_status,
                colour=lambda r: None if r.is_active else "#b42318",
                width=230,
            ),
            Column(
                "Last login",
                lambda r: format_datetime(r.last_login_at, zone) if r.last_login_at else "never",
                sort_key=lambda r: r.last_login_at.isoformat() if r.last_login_at else "",
                stretch=True,
            ),
        ]
        super().__init__(
            "Staff",
            columns,
            empty_headline="No staff accounts",
            empty_text="Add the people who work here with “Add person…”.",
            empty_icon="mdi6.account-multiple-outline",
            struck=lambda r: not r.is_active,
            parent=parent,
        )
        self._service = service
        self.dialog: FormDialog | None = None
        self.subtitle.setText(
            "Who may log in, and as what. Select a person, then act on their account."
        )
        self.notice = Notice()
        self.layout().insertWidget(1, self.notice)
        self.add_button = QPushButton(icon("mdi6.account-plus-outline"), "Add person…")
        self.details_button = QPushButton(icon("mdi6.account-edit-outline"), "Edit details…")
        self.role_button = QPushButton(icon("mdi6.account-switch-outline"), "Change role…")
        self.reset_button = QPushButton(icon("mdi6.lock-reset"), "Reset password…")
        self.disable_button = QPushButton(icon("mdi6.account-off-outline"), "Disable")
        self.add_button.setShortcut("Ctrl+N")
        self.add_button.setToolTip("Add a staff account (Ctrl+N)")
        self.add_button.clicked.connect(self.add_person)
        self.details_button.clicked.connect(self.edit_details)
        self.role_button.clicked.connect(self.change_role)
        self.reset_button.clicked.connect(self.reset_password)
        self.disable_button.clicked.connect(self.toggle_active)
        buttons = QHBoxLayout()
        for button in (
            self.add_button,
            self.details_button,
            self.role_button,
            self.reset_button,
            self.disable_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.layout().insertLayout(2, buttons)  # a row of its own: every label whole
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.view.doubleClicked.connect(lambda _index: self.edit_details())
        self._selection_changed()

    def refresh(self) -> None:
        self.load(self._service.list_staff)

    def rows_loaded(self, rows: object) -> None:
        self._selection_changed()

    def selected(self) -> StaffListing | None:
        indexes = self.view.selectionModel().selectedRows()
        if not indexes:
            return None
        return self.model.row_at(self.proxy.mapToSource(indexes[0]).row())

    def select_username(self, username: str) -> None:
        for number, row in enumerate(self.model.rows()):
            if row.username == username:
                index = self.proxy.mapFromSource(self.model.index(number, 0))
                self.view.selectRow(index.row())
                return

    def _selection_changed(self, *_args: object) -> None:
        row = self.selected()
        for button in (
            self.details_button,
            self.role_button,
            self.reset_button,
            self.disable_button,
        ):
            button.setEnabled(row is not None)
        active = row is None or row.is_active
        self.disable_button.setText("Disable" if active else "Enable")
        self.disable_button.setIcon(
            icon("mdi6.account-off-outline" if active else "mdi6.account-check-outline")
        )

    # -- actions --------------------------------------------------------------------------

    def _open(self, dialog: FormDialog, done: Callable[[FormDialog], None]) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: done(dialog))
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def add_person(self) -> None:
        self._open(
            AddStaffDialog(self._service, self),
            lambda d: self._changed(
                f"{d.added_name} was added and must choose a password at the first login."  # type: ignore[attr-defined]
            ),
        )

    def edit_details(self) -> None:
        row = self.selected()
        if row is not None:
            self._open(
                DetailsDialog(self._service, row, self),
                lambda d: self._changed(f"{d.full_name.text().strip()}'s details were saved."),  # type: ignore[attr-defined]
            )

    def change_role(self) -> None:
        row = self.selected()
        if row is not None:
            self._open(
                RoleDialog(self._service, row, self),
                lambda d: self._changed(
                    f"{row.full_name} is now {Role(d.role.currentData()).label.lower()}."  # type: ignore[attr-defined]
                ),
            )

    def reset_password(self) -> None:
        row = self.selected()
        if row is not None:
            self._open(
                ResetPasswordDialog(self._service, row, self),
                lambda _d: self._changed(
                    f"{row.full_name}'s password was reset; they must change it at the next login."
                ),
            )

    def toggle_active(self) -> None:
        row = self.selected()
        if row is None:
            return
        service = self._service
        if row.is_active:
            work, text = service.disable, f"{row.full_name} was disabled and can no longer log in."
        else:
            work, text = service.enable, f"{row.full_name} was enabled and can log in again."
        self.disable_button.setEnabled(False)
        run_task(
            lambda: work(row.username),
            lambda _none: self._changed(text),
            self._refused,
            receiver=self,
        )

    def _refused(self, error: BaseException) -> None:
        self._selection_changed()
        prefix = "Not allowed: " if isinstance(error, LastManagerError) else ""
        self.notice.error(prefix + describe_error(error))

    def _changed(self, text: str) -> None:
        self.notice.success(text)
        keep = self.selected()
        self.refresh()
        if keep is not None:
            self._reselect = keep.username

    def show_rows(self, rows: object) -> None:  # type: ignore[override]
        super().show_rows(rows)  # type: ignore[arg-type]
        username = getattr(self, "_reselect", None)
        if username:
            self.select_username(username)
            self._reselect = None
