"""The practice manager's main window."""

from __future__ import annotations

from mic_desktop.models import Role
from mic_desktop.ui.common.window import HomePage, RoleWindow

from .home import MonthPage


class ManagerWindow(RoleWindow):
    role = Role.MANAGER

    def build_home(self) -> HomePage:
        clinic = self.session.clinic
        return MonthPage(
            self.session.overview_service(),
            self.session.worklist_service(),
            clinic.currency,
            clinic.zone,
        )
