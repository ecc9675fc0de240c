"""The manager's per-PC settings in the File menu: messaging, and this PC's connection.

:func:`add_workstation_settings` puts "Messaging settings…" and "Workstation
connection…" into a role window's File menu; :class:`RoleWindow` calls it for
managers. The connection dialog saves the choice for the next start of the program.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from .first_run import FirstRunDialog

if TYPE_CHECKING:
    from .window import RoleWindow


def _open_messaging_settings(window: RoleWindow) -> None:
    # The dialog's module brings Twilio's client and requests (about 8 MiB): loaded when opened.
    from .messaging_settings import open_messaging_settings

    open_messaging_settings(window.session, window)


def open_workstation_connection(window: RoleWindow) -> FirstRunDialog:
    """Change where this PC's data lives; it takes effect at the next start."""
    dialog = FirstRunDialog(first_run=False, parent=window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(
        lambda: window.statusBar().showMessage(
            "Workstation connection saved: it is used from the next start of MIC Desktop.",
            15_000,
        )
    )
    dialog.open()
    return dialog


def add_workstation_settings(window: RoleWindow, menu: QMenu) -> None:
    """Add the two settings actions to ``menu`` (call it for managers only)."""
    window.messaging_settings_action = window.make_action(  # type: ignore[attr-defined]
        "&Messaging settings…",
        lambda: _open_messaging_settings(window),
        icon_name="mdi6.message-cog-outline",
        tip="Twilio (SMS) and the mail server, with a test message",
    )
    window.workstation_connection_action = window.make_action(  # type: ignore[attr-defined]
        "&Workstation connection…",
        lambda: open_workstation_connection(window),
        icon_name="mdi6.lan-connect",
        tip="The clinic server, this PC only, or the demo",
    )
    menu.addAction(window.messaging_settings_action)  # type: ignore[attr-defined]
    menu.addAction(window.workstation_connection_action)  # type: ignore[attr-defined]
    menu.addSeparator()
