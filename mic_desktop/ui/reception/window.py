"""The front desk's main window."""

from __future__ import annotations

from mic_desktop.models import Role
from mic_desktop.ui.common.window import HomePage, RoleWindow

from .home import TodayPage


class ReceptionWindow(RoleWindow):
    role = Role.RECEPTION

    def build_home(self) -> HomePage:
        return TodayPage(self.session.overview_service(), self.session.clinic.zone)
