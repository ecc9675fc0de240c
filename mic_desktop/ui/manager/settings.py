"""The clinic settings page: name, contacts, logo, zone, currency, reminders and limits.

The form remembers the version it was loaded from; a save made after someone else's
is refused with who saved and when, and a "Reload" offers the newer copy. A change
from another desk ("mic_settings") reloads the form unless it has unsaved edits.
"""

from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import Qt, QTime
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.admin.clinic_settings import (
    ClinicSettingsForm,
    ClinicSettingsInfo,
    ClinicSettingsService,
    time_zone_choices,
)
from mic_desktop.services.errors import StaleRecordError, ValidationError
from mic_desktop.services.text_checks import ADDRESS_MAX
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.tasks import run_task

from . import files
from .forms import FieldForm, Notice


def spin(low: int, high: int, suffix: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSuffix(suffix)
    box.setMaximumWidth(160)
    return box


def time_edit() -> QTimeEdit:
    edit = QTimeEdit()
    edit.setDisplayFormat("HH:mm")
    edit.setMaximumWidth(100)
    return edit


def parse_offsets(text: str) -> tuple[int, ...]:
    parts = [p for p in re.split(r"[,\s;]+", text.strip()) if p]
    if not all(p.isdigit() for p in parts):
        raise ValidationError(
            "Enter whole hours separated by commas, e.g. 24, 2.", "reminder_offsets_hours"
        )
    return tuple(int(p) for p in parts)


class ClinicSettingsPage(QWidget):
    def __init__(self, service: ClinicSettingsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self.info: ClinicSettingsInfo | None = None
        self._filling = False
        self.dirty = False
        title = QLabel("Clinic settings")
        title.setProperty("role", "page-title")
        subtitle = QLabel(
            "Shared by every workstation. Printed on slips, receipts and reports; "
            "used for reminders and locking."
        )
        subtitle.setProperty("role", "muted")
        self.notice = Notice()
        self.reload_button = QPushButton(icon("mdi6.refresh"), "Reload")
        self.reload_button.setToolTip("Load the settings as saved now, dropping your edits")
        self.reload_button.clicked.connect(self.refresh)
        self.reload_button.hide()
        self.save_button = QPushButton(icon("mdi6.content-save-outline"), "Save settings")
        self.save_button.setShortcut("Ctrl+S")
        self.save_button.setToolTip("Save the settings (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(False)

        f = self.form = FieldForm()
        self.name = f.add_field("name", "Clinic name", QLineEdit())
        self.address = QPlainTextEdit()
        self.address.setFixedHeight(64)
        f.add_field("address", "Address", self.address, f"At most {ADDRESS_MAX} characters.")
        self.phone = f.add_field("phone", "Phone", QLineEdit())
        self.email = f.add_field("email", "E-mail", QLineEdit())
        self.phone_region = f.add_field(
            "phone_region", "Phone country", QLineEdit(), "Two letters, e.g. ZW, ZA."
        )
        self.phone_region.setMaximumWidth(80)
        self.time_zone = QComboBox()
        self.time_zone.setEditable(True)
        self.time_zone.addItems(time_zone_choices())
        f.add_field("time_zone", "Time zone", self.time_zone)
        self.currency = f.add_field("currency", "Currency", QLineEdit(), "e.g. USD, ZAR, ZWG.")
        self.currency.setMaximumWidth(80)
        self.quiet_start, self.quiet_end = time_edit(), time_edit()
        quiet = QWidget()
        quiet_row = QHBoxLayout(quiet)
        quiet_row.setContentsMargins(0, 0, 0, 0)
        quiet_row.addWidget(self.quiet_start)
        quiet_row.addWidget(QLabel("to"))
        quiet_row.addWidget(self.quiet_end)
        quiet_row.addStretch(1)
        f.add_field("quiet_hours_end", "SMS quiet hours", quiet, "No SMS is sent in this time.")
        self.reminders = f.add_field(
            "reminder_offsets_hours",
            "Reminders",
            QLineEdit(),
            "Hours before the appointment, up to three, e.g. 24, 2.",
        )
        self.late_hours = f.add_field(
            "late_cancellation_hours", "Late cancellation", spin(0, 168, " h before the start")
        )
        self.check_in_minutes = f.add_field(
            "check_in_minutes_before", "Check-in opens", spin(0, 1440, " min before")
        )
        self.offer_minutes = f.add_field(
            "waitlist_offer_minutes",
            "Waitlist offer waits",
            spin(5, 1440, " min for YES"),
            "Then the freed slot is offered to the next patient on the waitlist.",
        )
        self.idle_minutes = f.add_field(
            "idle_lock_minutes", "Lock idle screens after", spin(1, 240, " min")
        )
        self.pdf_mb = f.add_field("report_pdf_max_mb", "Report PDF size limit", spin(1, 200, " MB"))
        self.overdue_hours = f.add_field(
            "report_overdue_hours", "Report overdue after", spin(1, 720, " h")
        )
        self.escalation = f.add_field(
            "critical_escalation_minutes",
            "Escalate critical results after",
            spin(5, 1440, " min"),
        )
        self.logo = QLabel("No logo")
        self.logo.setFixedSize(200, 80)
        self.logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo.setStyleSheet("border: 1px dashed #c7cfd9; background: #ffffff;")
        self.logo_button = QPushButton(icon("mdi6.image-outline"), "Choose logo…")
        self.logo_button.clicked.connect(self.choose_logo)
        self.remove_logo_button = QPushButton("Remove logo")
        self.remove_logo_button.clicked.connect(lambda: self._set_logo(None))
        logo = QWidget()
        logo_row = QHBoxLayout(logo)
        logo_row.setContentsMargins(0, 0, 0, 0)
        logo_row.addWidget(self.logo)
        logo_row.addWidget(self.logo_button)
        logo_row.addWidget(self.remove_logo_button)
        logo_row.addStretch(1)
        f.add_field("logo", "Logo (PNG)", logo, "Saved at once; printed at the top of documents.")

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 12, 0)
        body_layout.addWidget(f.general)
        body_layout.addLayout(f)
        body_layout.addStretch(1)
        body.setMaximumWidth(820)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)

        head = QHBoxLayout()
        heading = QVBoxLayout()
        heading.addWidget(title)
        heading.addWidget(subtitle)
        head.addLayout(heading, 1)
        head.addWidget(self.reload_button)
        head.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.addLayout(head)
        layout.addWidget(self.notice)
        layout.addWidget(scroll, 1)

        for widget in (
            self.name,
            self.phone,
            self.email,
            self.phone_region,
            self.currency,
            self.reminders,
        ):
            widget.textEdited.connect(self._edited)
        self.address.textChanged.connect(self._edited)
        self.time_zone.currentTextChanged.connect(self._edited)
        for edit in (self.quiet_start, self.quiet_end):
            edit.timeChanged.connect(self._edited)
        for box in (
            self.late_hours,
            self.idle_minutes,
            self.pdf_mb,
            self.overdue_hours,
            self.escalation,
        ):
            box.valueChanged.connect(self._edited)

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        run_task(
            self._service.load,
            self._loaded,
            lambda error: self.notice.error(describe_error(error)),
            receiver=self,
        )

    def live_changed(self) -> None:
        """Another desk saved the settings: take them, unless there are unsaved edits."""
        if self.dirty:
            self.notice.info(
                "The settings were changed on another workstation. Reload to see them "
                "(your unsaved edits would be lost)."
            )
            self.reload_button.show()
        else:
            self.refresh()

    def _loaded(self, info: ClinicSettingsInfo, message: str = "") -> None:
        self.info = info
        form = info.form
        self._filling = True
        self.name.setText(form.name)
        self.address.setPlainText(form.address)
        self.phone.setText(form.phone)
        self.email.setText(form.email)
        self.phone_region.setText(form.phone_region)
        self.time_zone.setCurrentText(form.time_zone)
        self.currency.setText(form.currency)
        self.quiet_start.setTime(QTime(form.quiet_hours_start.hour, form.quiet_hours_start.minute))
        self.quiet_end.setTime(QTime(form.quiet_hours_end.hour, form.quiet_hours_end.minute))
        self.reminders.setText(", ".join(str(h) for h in form.reminder_offsets_hours))
        self.late_hours.setValue(form.late_cancellation_hours)
        self.check_in_minutes.setValue(form.check_in_minutes_before)
        self.offer_minutes.setValue(form.waitlist_offer_minutes)
        self.idle_minutes.setValue(form.idle_lock_minutes)
        self.pdf_mb.setValue(form.report_pdf_max_mb)
        self.overdue_hours.setValue(form.report_overdue_hours)
        self.escalation.setValue(form.critical_escalation_minutes)
        self._show_logo(info.logo_png)
        self._filling = False
        self.dirty = False
        self.form.clear_errors()
        self.reload_button.hide()
        self.save_button.setEnabled(True)
        if message:
            self.notice.success(message)
        elif self.notice.is_error or self.notice.text().startswith("The settings were changed"):
            self.notice.clear()

    def _show_logo(self, png: bytes | None) -> None:
        self.remove_logo_button.setEnabled(png is not None)
        if png is None:
            self.logo.setPixmap(QPixmap())
            self.logo.setText("No logo")
            return
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        self.logo.setPixmap(
            pixmap.scaled(
                190,
                70,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def _edited(self, *_args: object) -> None:
        if not self._filling:
            self.dirty = True

    # -- saving ----------------------------------------------------------------------------

    def current_form(self) -> ClinicSettingsForm:
        start, end = self.quiet_start.time(), self.quiet_end.time()
        return ClinicSettingsForm(
            name=self.name.text(),
            address=self.address.toPlainText(),
            phone=self.phone.text(),
            email=self.email.text(),
            time_zone=self.time_zone.currentText(),
            currency=self.currency.text(),
            phone_region=self.phone_region.text(),
            quiet_hours_start=dt.time(start.hour(), start.minute()),
            quiet_hours_end=dt.time(end.hour(), end.minute()),
            reminder_offsets_hours=parse_offsets(self.reminders.text()),
            late_cancellation_hours=self.late_hours.value(),
            idle_lock_minutes=self.idle_minutes.value(),
            report_pdf_max_mb=self.pdf_mb.value(),
            report_overdue_hours=self.overdue_hours.value(),
            critical_escalation_minutes=self.escalation.value(),
            check_in_minutes_before=self.check_in_minutes.value(),
            waitlist_offer_minutes=self.offer_minutes.value(),
        )

    def save(self) -> None:
        if self.info is None:
            return
        try:
            form = self.current_form()
        except ValidationError as error:
            self.form.show_error(error)
            return
        service, version = self._service, self.info.version
        self.save_button.setEnabled(False)
        self.form.clear_errors()
        run_task(
            lambda: service.update(form, expected_version=version),
            lambda info: self._loaded(info, "The settings were saved."),
            self._failed,
            receiver=self,
        )

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, StaleRecordError):
            self.notice.error(describe_error(error))
            self.reload_button.show()
        elif isinstance(error, ValidationError):
            self.form.show_error(error)
            self.notice.error("Nothing was saved: correct the field marked in red.")
        else:
            self.notice.error(describe_error(error))

    def choose_logo(self) -> None:
        path = files.choose_open_path(self, "Choose the clinic logo", "PNG images (*.png)")
        if path is not None:
            run_task(
                path.read_bytes,
                self._set_logo,
                lambda error: self.form.show_error(error),
                receiver=self,
            )

    def _set_logo(self, png: bytes | None) -> None:
        if self.info is None:
            return
        service, version = self._service, self.info.version
        run_task(
            lambda: service.set_logo(png, expected_version=version),
            self._logo_saved,
            self._failed,
            receiver=self,
        )

    def _logo_saved(self, info: ClinicSettingsInfo) -> None:
        if self.info is not None:
            self.info = ClinicSettingsInfo(self.info.form, info.logo_png, info.version)
        self._show_logo(info.logo_png)
        self.form.clear_errors()
        self.notice.success("The logo was saved." if info.logo_png else "The logo was removed.")
