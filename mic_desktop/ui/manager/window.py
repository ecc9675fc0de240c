"""The practice manager's main window: the dashboard and the clinic's administration."""

from __future__ import annotations

from mic_desktop.models import Role
from mic_desktop.services.admin.audit_viewer import AuditLogService
from mic_desktop.services.admin.catalogue import FacilityAdminService
from mic_desktop.services.admin.clinic_settings import ClinicSettingsService
from mic_desktop.services.admin.medical_aid import MedicalAidAdminService
from mic_desktop.services.admin.staff import StaffService
from mic_desktop.services.analytics.queries import AnalyticsService
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.messaging.template_editor import TemplateService
from mic_desktop.services.scheduling.availability import RadiologistScheduleService
from mic_desktop.ui.common.window import HomePage, RoleWindow
from mic_desktop.ui.radiologist.critical_results import CriticalResultsView

from .audit import AuditLogPage
from .backup import BackupPage
from .catalogue import ScanTypesPage
from .dashboard import DashboardPage
from .home import MonthPage
from .medical_aid import MedicalAidPage
from .radiologists import RadiologistsPage
from .rooms import RoomsPage
from .settings import ClinicSettingsPage
from .staff import StaffPage
from .templates import TemplatesPage
from .workplace import ManagerWorkplace, PageEntry


class ManagerWindow(RoleWindow):
    role = Role.MANAGER

    def build_home(self) -> HomePage:
        session = self.session
        factory = session.database.session_factory
        manager = {"actor": session.account, "workstation": session.workstation}
        zone = session.clinic.zone

        def facilities() -> FacilityAdminService:
            return FacilityAdminService(factory, clock=session.clock, **manager)

        def backup_stamp() -> str:
            return f"{session.clock().astimezone(zone):%Y-%m-%d-%H%M}"

        def dashboard() -> DashboardPage:
            service = AnalyticsService(factory, clock=session.clock, **manager)
            return DashboardPage(service, session.account.full_name)

        def month() -> MonthPage:
            return MonthPage(
                session.overview_service(),
                session.worklist_service(),
                session.clinic.currency,
                session.clinic.zone,
            )

        entries = [
            PageEntry("month", "This month", "mdi6.view-dashboard-outline", month),
            PageEntry("dashboard", "Dashboard", "mdi6.chart-box-outline", dashboard),
            PageEntry(
                "critical",
                "Critical results",
                "mdi6.alert-octagon-outline",
                lambda: CriticalResultsView(session),
                eager=True,
            ),
            PageEntry(
                "staff",
                "Staff",
                "mdi6.account-multiple-outline",
                lambda: StaffPage(StaffService(factory, **manager), zone),
                (LiveChannel.STAFF.value,),
            ),
            PageEntry(
                "settings",
                "Clinic settings",
                "mdi6.cog-outline",
                lambda: ClinicSettingsPage(
                    ClinicSettingsService(factory, clock=session.clock, **manager)
                ),
                (LiveChannel.SETTINGS.value,),
            ),
            PageEntry(
                "scan_types",
                "Scan types & prices",
                "mdi6.radiology-box-outline",
                lambda: ScanTypesPage(facilities(), session.clinic.currency, zone),
                (LiveChannel.CATALOGUE.value,),
            ),
            PageEntry(
                "rooms",
                "Rooms & hours",
                "mdi6.door",
                lambda: RoomsPage(facilities()),
                (LiveChannel.CATALOGUE.value,),
            ),
            PageEntry(
                "medical_aid",
                "Medical aids",
                "mdi6.shield-plus-outline",
                lambda: MedicalAidPage(
                    MedicalAidAdminService(factory, clock=session.clock, **manager),
                    facilities(),
                    session.clinic.currency,
                ),
                (LiveChannel.MEDICAL_AID.value, LiveChannel.CATALOGUE.value),
            ),
            PageEntry(
                "radiologists",
                "Radiologists' schedule",
                "mdi6.calendar-account-outline",
                lambda: RadiologistsPage(
                    RadiologistScheduleService(factory, clock=session.clock, **manager), zone
                ),
                (LiveChannel.SCHEDULE.value, LiveChannel.STAFF.value),
            ),
            PageEntry(
                "templates",
                "Message templates",
                "mdi6.message-text-outline",
                lambda: TemplatesPage(
                    TemplateService(factory, session.account, session.workstation, session.clock),
                    session.overview_service(),
                    zone,
                ),
                (LiveChannel.SETTINGS.value,),
            ),
            PageEntry(
                "audit",
                "Audit log",
                "mdi6.text-box-search-outline",
                lambda: AuditLogPage(
                    AuditLogService(factory, clock=session.clock, **manager), zone
                ),
            ),
            PageEntry(
                "backup",
                "Backup",
                "mdi6.database-export-outline",
                lambda: BackupPage(session.connection.url, backup_stamp),
            ),
        ]
        workplace = ManagerWorkplace(entries, session.live)
        critical = workplace.pages["critical"]
        critical.count_changed.connect(  # type: ignore[attr-defined]
            lambda open_, escalated: workplace.set_badge(
                "critical",
                open_,
                escalated > 0,
                f"{open_} unacknowledged, {escalated} escalated" if open_ else "",
            )
        )
        return workplace
