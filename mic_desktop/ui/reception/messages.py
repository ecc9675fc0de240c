"""Reception's view of the outbox: an appointment's messages, and the failed ones.

:class:`AppointmentMessagesDialog` lists every message about one appointment
(confirmation, reminders, notices) with its delivery status, so reception sees an
undelivered reminder and can send it again. :class:`FailedMessagesPage` lists the
messages that failed or were not delivered in the last two weeks with the reason,
and e-mails that may have been sent (their sending was cut short; a mail server
cannot be asked), with a Resend action: reception decides whether the copy goes.
Both reload when the outbox changes, here or on any desk (``session.changes``,
channel ``mic_outbox``).

The reception window opens them through :func:`open_appointment_messages` and
:func:`make_failed_messages_page`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import Role
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.messaging.outbox import MessageInfo, OutboxService, OutboxStatus

from ..common.colours import ERROR_TEXT, MUTED_TEXT
from ..common.errors import describe_error
from ..common.formatting import format_datetime
from ..common.look import window_title
from ..common.session import UserSession
from ..common.table import Column, ListPage
from ..common.tasks import run_task

OK_TEXT = "#15723a"
WAITING_TEXT = "#8a5200"


def status_colour(message: MessageInfo) -> str:
    """Red for failed or undelivered, green for delivered or sent, amber for waiting."""
    if message.needs_attention:
        return ERROR_TEXT
    if message.status is OutboxStatus.CANCELLED:
        return MUTED_TEXT
    if message.status is OutboxStatus.SENT:
        return OK_TEXT
    return WAITING_TEXT


def channel_text(message: MessageInfo) -> str:
    return "SMS" if message.channel.value == "sms" else "E-mail"


def status_tooltip(message: MessageInfo) -> str:
    """The status, why (when it is in doubt) and the text of the message."""
    why = f"\n{message.last_error}" if message.in_doubt and message.last_error else ""
    return f"{message.state_label}{why}\n\n{message.body}"


def message_columns(zone: ZoneInfo, *, with_patient: bool) -> list[Column]:
    def when(message: MessageInfo) -> str:
        moment = message.sent_at or message.due_at
        return format_datetime(moment, zone)

    columns = [
        Column("Message", lambda m: m.kind_label, width=235, tooltip=lambda m: m.kind_label),
        Column("Via", channel_text, width=70),
        Column("To", lambda m: m.recipient, width=200, tooltip=lambda m: m.recipient),
        Column(
            "When",
            when,
            sort_key=lambda m: (m.sent_at or m.due_at).timestamp(),
            width=185,
            tooltip=lambda m: "Sent" if m.sent_at else "Due",
        ),
        Column(
            "Status",
            lambda m: m.state_label,
            colour=status_colour,
            tooltip=status_tooltip,
            stretch=True,
        ),
    ]
    if with_patient:
        columns.insert(0, Column("Patient", lambda m: m.patient_name or "—", width=150))
    return columns


class MessagesList(ListPage):
    """A list of messages that reloads on ``mic_outbox`` and can resend the selected one."""

    resent = Signal(object)  # MessageInfo

    def __init__(
        self,
        session: UserSession,
        title: str,
        fetch: Callable[[OutboxService], Sequence[MessageInfo]],
        *,
        with_patient: bool,
        empty_headline: str,
        empty_text: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            title,
            message_columns(session.clinic.zone, with_patient=with_patient),
            empty_headline=empty_headline,
            empty_text=empty_text,
            empty_icon="mdi6.message-check-outline",
            parent=parent,
        )
        self.session = session
        self._fetch = fetch
        self.service = OutboxService(
            session.database.session_factory, session.account, session.workstation, session.clock
        )
        self.resend_button = QPushButton("&Resend")
        self.resend_button.setToolTip(
            "Queue the selected failed, undelivered or maybe-sent message again"
        )
        self.resend_button.setEnabled(False)
        self.resend_button.clicked.connect(self.resend_selected)
        self.feedback = QLabel()
        self._hint_shown = False
        self.feedback.setWordWrap(True)
        self.feedback.setObjectName("MessagesFeedback")
        actions = QHBoxLayout()
        actions.addWidget(self.feedback, 1)
        actions.addWidget(self.resend_button)
        self.layout().addLayout(actions)  # type: ignore[union-attr]
        if session.account.role not in (Role.RECEPTION, Role.MANAGER):
            self.resend_button.hide()
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.view.doubleClicked.connect(lambda _index: self.resend_selected())
        QShortcut(
            QKeySequence("F5"),
            self,
            self.reload,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        session.changes.changed.connect(self._changed)
        session.changes.reset.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        service, fetch = self.service, self._fetch
        self.load(lambda: fetch(service))

    def rows_loaded(self, rows: Sequence[Any]) -> None:
        attention = sum(1 for row in rows if row.needs_attention)
        self.subtitle.setText(
            f"{len(rows)} message{'s' if len(rows) != 1 else ''}"
            + (f" · {attention} need attention" if attention else "")
        )
        self._selection_changed()

    def _changed(self, channel: str, _ids: object) -> None:
        if channel == LiveChannel.OUTBOX.value:
            self.reload()

    def selected(self) -> MessageInfo | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row())

    def _selection_changed(self, *_args: object) -> None:
        message = self.selected()
        self._enable_resend()
        if message is not None and message.in_doubt:
            self._say(
                f"The mail server may already have this e-mail. Resend only if "
                f"{message.recipient} did not get it; the copy carries the same "
                "Message-ID, so their mail program can tell it is the same message.",
                MUTED_TEXT,
            )
            self._hint_shown = True
        elif self._hint_shown:
            self._say("", MUTED_TEXT)

    def _enable_resend(self) -> None:
        message = self.selected()
        self.resend_button.setEnabled(message is not None and message.can_resend)

    def resend_selected(self) -> None:
        message = self.selected()
        if message is None or not message.can_resend:
            return
        self.resend_button.setEnabled(False)
        self._say(f"Queuing the {message.kind_label.lower()} again…", MUTED_TEXT)
        service = self.service
        run_task(
            lambda: service.resend(message.id),
            self._resent,
            self._resend_failed,
            receiver=self,
        )

    def _resent(self, message: MessageInfo) -> None:
        self._say(f"Queued again to {message.recipient}: it goes out within a minute.", OK_TEXT)
        self.resent.emit(message)
        self.reload()

    def _resend_failed(self, error: BaseException) -> None:
        self._say(describe_error(error), ERROR_TEXT)
        self._enable_resend()

    def _say(self, text: str, colour: str) -> None:
        self._hint_shown = False
        self.feedback.setStyleSheet(f"color:{colour}")
        self.feedback.setText(text)


class AppointmentMessagesDialog(QDialog):
    """Every message about one appointment and whether it arrived."""

    def __init__(
        self,
        session: UserSession,
        appointment_id: int,
        *,
        title: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(window_title("Messages", demo=session.is_demo))
        self.resize(980, 440)
        self.appointment_id = appointment_id
        self.messages = MessagesList(
            session,
            title or "Messages about this appointment",
            lambda service: service.messages_for_appointment(appointment_id),
            with_patient=False,
            empty_headline="No messages yet",
            empty_text="Confirmations and reminders for this appointment appear here once "
            "they are queued. Patients who opted out of SMS and e-mail get none.",
            parent=self,
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 12, 12)
        layout.addWidget(self.messages, 1)
        layout.addWidget(buttons)


class FailedMessagesPage(MessagesList):
    """Messages of the last 14 days that failed, were not delivered or may have been sent,
    with Resend."""

    def __init__(self, session: UserSession, parent: QWidget | None = None) -> None:
        super().__init__(
            session,
            "Failed messages",
            lambda service: service.failed_messages(),
            with_patient=True,
            empty_headline="Every message went out",
            empty_text="Messages of the last 14 days that fail or are not delivered, and "
            "e-mails that may not have gone out, appear here with the reason. Correct the "
            "number on the patient's record, then Resend.",
            parent=parent,
        )


def open_appointment_messages(
    session: UserSession, appointment_id: int, parent: QWidget | None = None, *, title: str = ""
) -> AppointmentMessagesDialog:
    """Show an appointment's messages (non-modal); returns the dialog."""
    dialog = AppointmentMessagesDialog(session, appointment_id, title=title, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def make_failed_messages_page(
    session: UserSession, parent: QWidget | None = None
) -> FailedMessagesPage:
    return FailedMessagesPage(session, parent)


class FailedMessagesDialog(QDialog):
    """The failed-messages list in a window of its own (for a toolbar or menu action)."""

    def __init__(self, session: UserSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(window_title("Failed messages", demo=session.is_demo))
        self.resize(1240, 560)
        self.page = FailedMessagesPage(session, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 12, 12)
        layout.addWidget(self.page, 1)
        layout.addWidget(buttons)


def open_failed_messages(
    session: UserSession, parent: QWidget | None = None
) -> FailedMessagesDialog:
    dialog = FailedMessagesDialog(session, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
