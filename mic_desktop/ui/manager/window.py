"""The practice manager's main window: the dashboard and the clinic's administration."""

from __future__ import annotations

from mic_desktop.models import Role
from mic_desktop.services.admin.audit_viewer import AuditLogService
from mic_desktop.services.admin.backup_health import BackupHealth, backup_health
from mic_desktop.services.admin.backup_records import BackupService
from mic_desktop.services.admin.backup_schedule import BackupScheduleService
from mic_desktop.services.admin.catalogue import FacilityAdminService
from mic_desktop.services.admin.clinic_settings import ClinicSettingsService
from mic_desktop.services.admin.medical_aid import MedicalAidAdminService
from mic_desktop.services.admin.staff import StaffService
from mic_desktop.services.analytics.queries import AnalyticsService
from mic_desktop.services.analytics.reply_queries import ReplyAnalytics
from mic_desktop.services.dicom.devices import DicomDeviceService
from mic_desktop.services.dicom.settings import DicomSettingsService
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.messaging.template_editor import TemplateService
from mic_desktop.services.scheduling.availability import RadiologistScheduleService
from mic_desktop.ui.common.window import HomePage, RoleWindow
from mic_desktop.ui.radiologist.critical_results import CriticalResultsView

from .audit import AuditLogPage
from .backup import BackupPage
from .catalogue import ScanTypesPage
from .closures import ClosuresPage
from .dashboard import DashboardPage
from .dicom_devices import DicomDevicesPage
from .home import MonthPage
from .medical_aid import MedicalAidPage
from .modalities import ModalitiesPage
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

        def health() -> BackupHealth:
            return backup_health(factory, session.clock(), zone)

        def backup() -> BackupPage:
            return BackupPage(
                BackupService(factory, session.connection.url, clock=session.clock, **manager),
                BackupScheduleService(factory, clock=session.clock, **manager),
                health,
                zone,
                backup_stamp,
            )

        def dashboard() -> DashboardPage:
            service = AnalyticsService(factory, clock=session.clock, **manager)
            replies = ReplyAnalytics(factory, clock=session.clock, **manager)
            return DashboardPage(service, session.account.full_name, reply_figures=replies)

        def month() -> MonthPage:
            return MonthPage(
                session.overview_service(),
                session.worklist_service(),
                session.clinic.currency,
                session.clinic.zone,
                health,
            )

        entries = [
            PageEntry(
                "month",
                "This month",
                "mdi6.view-dashboard-outline",
                month,
                (LiveChannel.BACKUP.value,),
            ),
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
                "modalities",
                "Modalities",
                "mdi6.radiology-box",
                lambda: ModalitiesPage(facilities()),
                (LiveChannel.CATALOGUE.value,),
            ),
            PageEntry(
                "dicom",
                "Scanners (DICOM)",
                "mdi6.lan-connect",
                lambda: DicomDevicesPage(
                    DicomDeviceService(factory, clock=session.clock, **manager),
                    DicomSettingsService(factory, clock=session.clock, **manager),
                    session.workstation,
                ),
                (LiveChannel.CATALOGUE.value, LiveChannel.SETTINGS.value),
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
                "closures",
                "Closures & holidays",
                "mdi6.calendar-remove-outline",
                lambda: ClosuresPage(facilities(), session.clock().astimezone(zone).date()),
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
                backup,
                (LiveChannel.BACKUP.value, LiveChannel.SETTINGS.value),
            ),
        ]
        workplace = ManagerWorkplace(entries, session.live)
        workplace.pages["month"].backup_light.open_backup.connect(  # type: ignore[attr-defined]
            lambda: workplace.show_page("backup")
        )
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
