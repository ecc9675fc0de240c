"""Notification templates: edit the texts with placeholders, preview them on a real appointment.

The preview re-renders a moment after typing stops (debounced) on the appointment
picked from a day's list; an unknown placeholder shows its message beside the field
while typing, before any save.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import Channel
from mic_desktop.services.analytics.overview import DayAppointment, OverviewService
from mic_desktop.services.errors import StaleRecordError, ValidationError
from mic_desktop.services.messaging.template_editor import (
    PreviewMessage,
    TemplateInfo,
    TemplateService,
)
from mic_desktop.services.messaging.templates import PLACEHOLDER_LABELS, PLACEHOLDERS
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_time
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.tasks import run_task

from .forms import FieldForm, Notice

PREVIEW_DELAY_MS = 300


class TemplatesPage(QWidget):
    def __init__(
        self,
        service: TemplateService,
        overview: OverviewService,
        zone,  # type: ignore[no-untyped-def]
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._overview = overview
        self._zone = zone
        self.template: TemplateInfo | None = None
        self.preview: PreviewMessage | None = None
        self._preview_generation = 0
        self._look_back = 14  # days to step back from today for a day with appointments
        self._filling = False
        self.dirty = False

        title = QLabel("Message templates")
        title.setProperty("role", "page-title")
        subtitle = QLabel(
            "What patients and doctors receive by SMS and e-mail. Placeholders in braces, "
            "e.g. {first_name}, are filled in for each message."
        )
        subtitle.setProperty("role", "muted")
        subtitle.setWordWrap(True)
        self.notice = Notice()
        self.list = QListWidget()
        self.list.setMinimumWidth(230)
        self.list.currentItemChanged.connect(self._picked)

        f = self.form = FieldForm()
        self.subject = f.add_field("subject", "Subject", QLineEdit())
        self.body = QPlainTextEdit()
        self.body.setMinimumHeight(90)
        self.body.setMaximumHeight(150)
        f.add_field("body", "Text", self.body)
        self.insert = QComboBox()
        self.insert.addItem("Insert a placeholder…", None)
        for name in PLACEHOLDERS:
            self.insert.addItem(f"{{{name}}} — {PLACEHOLDER_LABELS[name]}", name)
        self.insert.activated.connect(self._insert_placeholder)
        f.addRow("", self.insert)
        self.active = QCheckBox("Send this message")
        f.addRow("", self.active)
        self.save_button = QPushButton(icon("mdi6.content-save-outline"), "Save template")
        self.save_button.clicked.connect(self.save)
        self.reset_button = QPushButton(icon("mdi6.restore"), "Use the built-in text")
        self.reset_button.clicked.connect(self.reset_text)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.save_button)

        self.day = QDateEdit(QDate(overview.today()), calendarPopup=True)  # the clinic's today
        self.day.setDisplayFormat("ddd d MMM yyyy")
        self.day.dateChanged.connect(lambda _d: self.load_appointments())
        self.appointment = QComboBox()
        self.appointment.setMinimumContentsLength(30)
        self.appointment.currentIndexChanged.connect(lambda _i: self.schedule_preview())
        picker = QHBoxLayout()
        picker.addWidget(QLabel("Preview on"))
        picker.addWidget(self.day)
        picker.addWidget(self.appointment, 1)
        self.preview_to = QLabel()
        self.preview_to.setProperty("role", "muted")
        self.preview_subject = QLabel()
        self.preview_subject.setStyleSheet("font-weight: 600;")
        self.preview_subject.setWordWrap(True)
        self.preview_text = QLabel()
        self.preview_text.setWordWrap(True)
        self.preview_text.setTextFormat(Qt.TextFormat.PlainText)
        self.preview_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.preview_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_count = QLabel()
        self.preview_count.setProperty("role", "hint")
        card = QFrame()
        card.setProperty("role", "card")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(16, 12, 16, 12)
        card_layout.addWidget(self.preview_to)
        card_layout.addWidget(self.preview_subject)
        card_layout.addWidget(self.preview_text, 1)
        card_layout.addWidget(self.preview_count)

        editor = QWidget()
        editor_layout = QVBoxLayout(editor)
        editor_layout.setContentsMargins(12, 0, 0, 0)
        editor_layout.addWidget(f.general)
        editor_layout.addLayout(f)
        editor_layout.addLayout(buttons)
        section = QLabel("Preview")
        section.setProperty("role", "section-title")
        editor_layout.addWidget(section)
        editor_layout.addLayout(picker)
        editor_layout.addWidget(card, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        splitter.addWidget(editor)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addWidget(self.notice)
        layout.addWidget(splitter, 1)

        self._timer = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.update_preview)
        self.subject.textEdited.connect(self._edited)
        self.body.textChanged.connect(self._edited)
        self.active.toggled.connect(self._edited)
        self._set_editing(False)

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        run_task(
            self._service.list_templates,
            self._listed,
            lambda error: self.notice.error(describe_error(error)),
            receiver=self,
        )
        self.load_appointments()

    def live_changed(self) -> None:
        if not self.dirty:
            self.refresh()

    def _listed(self, templates: list[TemplateInfo]) -> None:
        current = self.template.key if self.template else None
        self.list.blockSignals(True)
        self.list.clear()
        for template in templates:
            channel = "SMS" if template.channel is Channel.SMS else "E-mail"
            state = "" if template.is_active else " · off"
            item = QListWidgetItem(f"{template.name}\n{channel}{state}")
            item.setData(Qt.ItemDataRole.UserRole, template)
            item.setIcon(
                icon("mdi6.message-text-outline" if channel == "SMS" else "mdi6.email-outline")
            )
            self.list.addItem(item)
        self.list.blockSignals(False)
        keys = [t.key for t in templates]
        row = keys.index(current) if current in keys else 0
        if templates:
            self.list.setCurrentRow(row)
            self._show(templates[row])

    def _picked(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is not None:
            self.notice.clear()
            self._show(item.data(Qt.ItemDataRole.UserRole))

    def _show(self, template: TemplateInfo) -> None:
        self.template = template
        self._filling = True
        email = template.channel is Channel.EMAIL
        self.subject.setText(template.subject)
        self.subject.setEnabled(email)
        self.subject.setPlaceholderText("" if email else "SMS messages have no subject")
        self.body.setPlainText(template.body)
        self.active.setChecked(template.is_active)
        self._filling = False
        self.dirty = False
        self.form.clear_errors()
        self._set_editing(True)
        self.schedule_preview()

    def _set_editing(self, on: bool) -> None:
        for widget in (self.subject, self.body, self.active, self.insert):
            widget.setEnabled(on and (widget is not self.subject or self._is_email()))
        self.save_button.setEnabled(on)
        self.reset_button.setEnabled(on)

    def _is_email(self) -> bool:
        return self.template is not None and self.template.channel is Channel.EMAIL

    def load_appointments(self) -> None:
        day = self.day.date().toPython()
        overview = self._overview
        run_task(
            lambda: overview.day_appointments(day),  # type: ignore[arg-type]
            self._appointments,
            lambda error: self.notice.error(describe_error(error)),
            receiver=self,
        )

    def _appointments(self, rows: list[DayAppointment]) -> None:
        current = self.appointment.currentData()
        self.appointment.blockSignals(True)
        self.appointment.clear()
        for row in rows:
            self.appointment.addItem(
                f"{format_time(row.start_at, self._zone)} · {row.patient_name} · {row.scan}",
                row.id,
            )
        if not rows and self._look_back > 0:  # start on the latest day that had appointments
            self._look_back -= 1
            self.day.setDate(self.day.date().addDays(-1))
            return
        self._look_back = 0
        if not rows:
            self.appointment.addItem("No appointments on this day — choose another day", None)
        index = self.appointment.findData(current)
        self.appointment.setCurrentIndex(max(index, 0))
        self.appointment.blockSignals(False)
        self.schedule_preview()

    # -- editing and the preview -------------------------------------------------------------

    def _edited(self, *_args: object) -> None:
        if not self._filling:
            self.dirty = True
            self.schedule_preview()

    def _insert_placeholder(self, index: int) -> None:
        name = self.insert.itemData(index)
        self.insert.setCurrentIndex(0)
        if name:
            self.body.insertPlainText("{" + name + "}")
            self.body.setFocus()

    def schedule_preview(self) -> None:
        self._timer.start()

    def update_preview(self) -> None:
        template, appointment_id = self.template, self.appointment.currentData()
        if template is None:
            return
        if appointment_id is None:
            self._show_preview_message("Pick a day with appointments to see the message.")
            return
        self._preview_generation += 1
        generation = self._preview_generation
        service, key = self._service, template.key
        subject, body = self.subject.text(), self.body.toPlainText()
        run_task(
            lambda: service.preview(key, subject=subject, body=body, appointment_id=appointment_id),
            lambda preview: self._previewed(generation, preview),
            lambda error: self._preview_failed(generation, error),
            receiver=self,
        )

    def _previewed(self, generation: int, preview: PreviewMessage) -> None:
        if generation != self._preview_generation:
            return
        self.preview = preview
        self.form.clear_errors()
        self.preview_to.setText(f"To: {preview.recipient or '(no contact on file)'}")
        self.preview_subject.setText(preview.subject)
        self.preview_subject.setVisible(bool(preview.subject))
        self.preview_text.setText(preview.body)
        count = f"{preview.characters} characters"
        if preview.channel is Channel.SMS:
            parts = "part" if preview.sms_segments == 1 else "parts"
            count += f" · sent as {preview.sms_segments} SMS {parts}"
        self.preview_count.setText(count)

    def _preview_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._preview_generation:
            return
        self.preview = None
        if isinstance(error, ValidationError):
            self.form.show_error(error)
            self._show_preview_message("Correct the text to see the preview.")
        else:
            self._show_preview_message(describe_error(error))

    def _show_preview_message(self, text: str) -> None:
        self.preview_to.setText("")
        self.preview_subject.hide()
        self.preview_text.setText(text)
        self.preview_count.setText("")

    # -- saving ----------------------------------------------------------------------------

    def save(self) -> None:
        template = self.template
        if template is None:
            return
        service, key, version = self._service, template.key, template.version
        subject, body, active = (
            self.subject.text(),
            self.body.toPlainText(),
            self.active.isChecked(),
        )
        self.save_button.setEnabled(False)
        run_task(
            lambda: service.save_template(
                key, subject=subject, body=body, is_active=active, expected_version=version
            ),
            lambda info: self._saved(info, f"The template “{info.name}” was saved."),
            self._save_failed,
            receiver=self,
        )

    def reset_text(self) -> None:
        template = self.template
        if template is None:
            return
        service, key, version = self._service, template.key, template.version
        run_task(
            lambda: service.reset_to_default(key, expected_version=version),
            lambda info: self._saved(info, f"“{info.name}” uses the built-in text again."),
            self._save_failed,
            receiver=self,
        )

    def _saved(self, info: TemplateInfo, message: str) -> None:
        self.save_button.setEnabled(True)
        item = self.list.currentItem()
        if item is not None:
            item.setData(Qt.ItemDataRole.UserRole, info)
        self._show(info)
        self.notice.success(message)
        self.refresh()

    def _save_failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationError):
            self.form.show_error(error)
            self.notice.error("Nothing was saved: correct the field marked in red.")
        elif isinstance(error, StaleRecordError):
            self.notice.error(describe_error(error) + " Pick the template again to reload it.")
        else:
            self.notice.error(describe_error(error))
