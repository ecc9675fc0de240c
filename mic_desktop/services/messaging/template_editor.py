"""The manager's template editor: read, edit, reset and preview the message texts.

Placeholders are checked when a template is saved (unknown ones are refused next
to their field), a save made from a stale copy is refused, and a preview renders
unsaved text on a real appointment as the patient or doctor would get it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from mic_desktop.models import (
    Appointment,
    Channel,
    NotificationTemplate,
    Payment,
    ReferringDoctor,
    Role,
)
from mic_desktop.services import audit
from mic_desktop.services.base import ClinicService
from mic_desktop.services.errors import (
    NotFoundError,
    PermissionDeniedError,
    StaleRecordError,
    ValidationError,
)
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging.templates import (
    DEFAULT_TEMPLATES,
    DEFAULTS_BY_KEY,
    MAX_SMS_LENGTH,
    DefaultTemplate,
    appointment_context,
    check_no_cancel_keyword,
    check_template_text,
    clinic_or_blank,
    money,
    render,
    sms_segments,
)


@dataclass(frozen=True)
class TemplateInfo:
    key: str
    name: str
    channel: Channel
    subject: str
    body: str
    is_active: bool
    version: int  # 0 while the built-in text is used (no row yet)
    is_default_text: bool
    placeholders: tuple[str, ...]


@dataclass(frozen=True)
class PreviewMessage:
    """A template rendered on a real appointment, as the patient or doctor would get it."""

    channel: Channel
    recipient: str
    subject: str
    body: str
    characters: int
    sms_segments: int  # 0 for e-mail


class TemplateService(ClinicService):
    """Read, edit, reset and preview the clinic's message templates."""

    def list_templates(self) -> list[TemplateInfo]:
        with self._sessions.begin() as session:
            rows = {row.key: row for row in session.scalars(select(NotificationTemplate))}
            return [_info(default, rows.get(default.key)) for default in DEFAULT_TEMPLATES]

    def get_template(self, key: str) -> TemplateInfo:
        default = _default(key)
        with self._sessions.begin() as session:
            row = session.scalars(
                select(NotificationTemplate).where(NotificationTemplate.key == key)
            ).first()
            return _info(default, row)

    def save_template(
        self,
        key: str,
        *,
        subject: str,
        body: str,
        is_active: bool = True,
        expected_version: int | None = None,
    ) -> TemplateInfo:
        """Store the clinic's text; unknown placeholders are refused next to their field.

        ``expected_version`` is the version the editor loaded (0 for a built-in
        text); someone else's save in between raises :class:`StaleRecordError`.
        """
        self._require_manager()
        default = _default(key)
        subject, body = subject.strip(), body.strip()
        _check(default.channel, subject, body)
        with self._sessions.begin() as session:
            row = session.scalars(
                select(NotificationTemplate)
                .where(NotificationTemplate.key == key)
                .with_for_update()
            ).first()
            current = row.version if row is not None else 0
            if expected_version is not None and expected_version != current:
                raise StaleRecordError(
                    f'The template "{default.name}" was changed by someone else; '
                    "reload and try again."
                )
            if row is None:
                row = NotificationTemplate(
                    key=key, name=default.name, channel=default.channel.value
                )
                session.add(row)
            row.subject, row.body, row.is_active = subject, body, is_active
            row.updated_by_id = self._actor.id
            session.flush()
            audit.record(
                session,
                "notification_template_saved",
                staff_id=self._actor.id,
                username=self._actor.username,
                entity="notification_template",
                entity_id=row.id,
                details={"key": key, "is_active": is_active, "version": row.version},
                workstation=self._workstation,
            )
            notify(session, LiveChannel.SETTINGS, row.id)
            return _info(default, row)

    def reset_to_default(self, key: str, *, expected_version: int | None = None) -> TemplateInfo:
        default = _default(key)
        return self.save_template(
            key,
            subject=default.subject,
            body=default.body,
            is_active=True,
            expected_version=expected_version,
        )

    def preview(self, key: str, *, subject: str, body: str, appointment_id: int) -> PreviewMessage:
        """Render unsaved text on a real appointment (the editor's live preview)."""
        default = _default(key)
        _check(default.channel, subject, body)
        with self._sessions.begin() as session:
            appointment = session.get(Appointment, appointment_id)
            if appointment is None:
                raise NotFoundError("This appointment no longer exists.")
            context = appointment_context(session, appointment)
            doctor = (
                session.get(ReferringDoctor, appointment.referring_doctor_id)
                if appointment.referring_doctor_id
                else None
            )
            context["doctor_name"] = doctor.full_name if doctor else ""
            payment = session.scalars(
                select(Payment)
                .where(Payment.appointment_id == appointment.id, Payment.amount > 0)
                .order_by(Payment.received_at.desc())
            ).first()
            if payment is not None:
                context["receipt_number"] = payment.receipt_number
                context["amount"] = money(clinic_or_blank(session).currency, payment.amount)
            patient = appointment.patient
            if default.channel is Channel.SMS:
                recipient = patient.phone or ""
            elif key == "report_ready_doctor":
                recipient = (doctor.email or "") if doctor else ""
            else:
                recipient = patient.email or ""
        rendered = render(body, context)
        return PreviewMessage(
            channel=default.channel,
            recipient=recipient,
            subject=render(subject, context),
            body=rendered,
            characters=len(rendered),
            sms_segments=sms_segments(rendered) if default.channel is Channel.SMS else 0,
        )

    def _require_manager(self) -> None:
        if self._actor.role is not Role.MANAGER:
            raise PermissionDeniedError("Only a manager may change message templates.")


def _default(key: str) -> DefaultTemplate:
    default = DEFAULTS_BY_KEY.get(key)
    if default is None:
        raise NotFoundError(f"There is no message template called {key}.")
    return default


def _check(channel: Channel, subject: str, body: str) -> None:
    if not body.strip():
        raise ValidationError("The message text may not be empty.", "body")
    check_template_text(body, "body")
    if channel is Channel.EMAIL:
        if not subject.strip():
            raise ValidationError("An e-mail needs a subject.", "subject")
        check_template_text(subject, "subject")
    elif len(body) > MAX_SMS_LENGTH:
        raise ValidationError(f"An SMS may be at most {MAX_SMS_LENGTH} characters.", "body")
    else:
        check_no_cancel_keyword(body)


def _info(default: DefaultTemplate, row: NotificationTemplate | None) -> TemplateInfo:
    subject = row.subject if row is not None else default.subject
    body = row.body if row is not None else default.body
    try:
        placeholders = check_template_text(subject + body)
    except ValidationError:  # a text stored by other means than this editor
        placeholders = ()
    return TemplateInfo(
        key=default.key,
        name=default.name,
        channel=default.channel,
        subject=subject,
        body=body,
        is_active=row.is_active if row is not None else True,
        version=row.version if row is not None else 0,
        is_default_text=(subject, body) == (default.subject, default.body),
        placeholders=placeholders,
    )
