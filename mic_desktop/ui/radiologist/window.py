"""The reporting doctors' main window."""

from __future__ import annotations

from mic_desktop.models import Role
from mic_desktop.ui.common.window import HomePage, RoleWindow

from .home import AwaitingReportsPage


class RadiologistWindow(RoleWindow):
    role = Role.RADIOLOGIST

    def build_home(self) -> HomePage:
        clinic = self.session.clinic
        return AwaitingReportsPage(
            self.session.worklist_service(), clinic.zone, clinic.report_overdue_hours
        )
