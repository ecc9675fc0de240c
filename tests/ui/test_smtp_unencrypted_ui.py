"""The messaging settings: a login without encryption needs the "allow unencrypted" box,
which comes with a warning."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mic_desktop.config import Settings, SmtpSecurity, settings_path
from mic_desktop.ui.common.session import UserSession
from tests.ui.helpers import SCREENSHOTS
from tests.ui.test_messages_ui import manager, open_settings  # noqa: F401 (fixture)


def test_an_unencrypted_login_needs_the_box_ticked(qtbot: QtBot, manager: UserSession) -> None:  # noqa: F811
    dialog = open_settings(qtbot, manager)
    dialog.resize(700, 760)
    qtbot.keyClicks(dialog.smtp_host, "mail.clinic.lan")
    dialog.smtp_security.setCurrentIndex(dialog.smtp_security.findData(SmtpSecurity.NONE.value))
    dialog.smtp_port.setValue(25)
    assert not dialog.allow_unencrypted.isVisible()  # no login: nothing to allow
    qtbot.keyClicks(dialog.smtp_user, "relay")
    qtbot.keyClicks(dialog.smtp_from, "appointments@clinic.example")
    qtbot.keyClicks(dialog.smtp_password, "relay-pass")
    assert dialog.allow_unencrypted.isVisible() and not dialog.allow_unencrypted.isChecked()
    assert not dialog.unencrypted_warning.isVisible()

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.smtp_error.isVisible(), timeout=5_000)
    assert "tick “Allow unencrypted login”" in dialog.smtp_error.text()
    assert dialog.allow_unencrypted.hasFocus()
    assert not settings_path().exists()
    dialog.grab().save(f"{SCREENSHOTS}/messaging_settings_unencrypted_refused.png")

    dialog.allow_unencrypted.setChecked(True)
    assert dialog.unencrypted_warning.isVisible()
    assert "readable by anyone" in dialog.unencrypted_warning.text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status_label.text().startswith("Saved"), timeout=5_000)
    smtp = Settings.load().smtp
    assert smtp is not None and smtp.allow_unencrypted and smtp.user == "relay"
    assert dialog.allow_unencrypted.isChecked() and dialog.unencrypted_warning.isVisible()
    dialog.grab().save(f"{SCREENSHOTS}/messaging_settings_unencrypted_allowed.png")

    # Back to STARTTLS: the opt-in no longer applies and is not kept.
    dialog.smtp_security.setCurrentIndex(dialog.smtp_security.findData(SmtpSecurity.STARTTLS.value))
    assert not dialog.allow_unencrypted.isVisible() and not dialog.unencrypted_warning.isVisible()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status_label.text().startswith("Saved"), timeout=5_000)
    smtp = Settings.load().smtp
    assert smtp is not None and not smtp.allow_unencrypted
