"""The front desk's main window: the workplace plus shortcuts for the common tasks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from mic_desktop.models import Role
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.window import HomePage, RoleWindow

from .context import ReceptionContext
from .replies import UnreadReplies
from .workplace import ReceptionHome


class ReceptionWindow(RoleWindow):
    role = Role.RECEPTION
    home: ReceptionHome

    def build_home(self) -> HomePage:
        self.context = ReceptionContext.from_session(self.session)
        home = ReceptionHome(self.context)
        home.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        return home

    def extra_toolbar_actions(self) -> list[QAction]:
        home = self.home
        self.find_action = self.make_action(
            "&Find patient", home.focus_search, shortcut="Ctrl+F", icon_name="mdi6.account-search"
        )
        self.new_patient_action = self.make_action(
            "&New patient…", home.new_patient, shortcut="Ctrl+N", icon_name="mdi6.account-plus"
        )
        self.new_booking_action = self.make_action(
            "New &booking…",
            lambda: home.new_booking(),
            shortcut="Ctrl+B",
            icon_name="mdi6.calendar-plus",
        )
        self.check_in_action = self.make_action(
            "Check &in",
            home.check_in,
            shortcut="F6",
            icon_name="mdi6.account-check",
            tip="Check in the selected appointment",
        )
        self.payment_action = self.make_action(
            "Take &payment…", home.take_payment, shortcut="F8", icon_name="mdi6.cash-register"
        )
        self.today_action = self.make_action(
            "&Today",
            home.book.go_today,
            shortcut="Ctrl+T",
            icon_name="mdi6.calendar-today",
            tip="Show today in the book",
        )
        self.day_sheet_action = self.make_action(
            "&Day sheet",
            home.day_sheet,
            shortcut="Ctrl+Shift+D",
            icon_name="mdi6.file-pdf-box",
            tip="Open the day sheet of the day shown in the book (the viewer prints it)",
        )
        self.failed_messages_action = self.make_action(
            "Failed &messages…",
            self.open_failed_messages,
            icon_name="mdi6.message-alert-outline",
            tip="Messages that did not reach patients, with Resend",
        )
        self.claims_action = self.make_action(
            "Medical-aid &claims…",
            self.open_claims,
            icon_name="mdi6.file-document-outline",
            tip="Every claim: record settlements, follow up shortfalls",
        )
        self.replies_action = UnreadReplies(self.context, self)
        self.replies_action.setIcon(icon("mdi6.message-reply-text"))
        self.replies_action.setShortcut("Ctrl+Shift+R")
        self.addAction(self.replies_action)
        money_menu = QMenu("M&oney", self)
        money_menu.addAction(self.payment_action)
        money_menu.addAction(self.claims_action)
        money_menu.addAction(self.day_sheet_action)
        messages_menu = QMenu("&Messages", self)
        # Role menus go before Help (the base class has built File, View and Help by now).
        help_action = self.menuBar().actions()[-1]
        self.menuBar().insertMenu(help_action, money_menu)
        self.menuBar().insertMenu(help_action, messages_menu)
        messages_menu.addAction(self.failed_messages_action)
        messages_menu.addAction(self.replies_action)
        messages_menu.addAction(home.appointment_panel.messages_action)
        self.view_menu.addAction(home.panel_action)
        self.statusBar().addPermanentWidget(home.undo_button)
        self.undo_action = self.make_action("Undo the last move", home.undo_move, shortcut="Ctrl+Z")
        return [
            self.find_action,
            self.new_patient_action,
            self.new_booking_action,
            self.check_in_action,
            self.payment_action,
            self.today_action,
            self.day_sheet_action,
            self.replies_action,
        ]

    def open_claims(self) -> None:
        from .claims import ClaimsDialog

        dialog = ClaimsDialog(self.context, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.claims_dialog = dialog
        dialog.open()

    def open_failed_messages(self) -> None:
        from .messages import open_failed_messages

        self.failed_messages_dialog = open_failed_messages(self.session, self)
