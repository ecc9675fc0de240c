"""Patients' SMS replies at the desk: the toolbar count, the unread list, an appointment's replies.

Replies the product acted on (YES, C, STOP ...) need nobody; the others (free text,
a CANCEL that opted the patient out, an unknown number) wait here, unread, until
someone marks them read.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.live import LiveChannel
from mic_desktop.services.messaging.reply_inbox import ReplyInbox, ReplyLine
from mic_desktop.services.scheduling.appointments import AppointmentDetails
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime
from mic_desktop.ui.common.tasks import run_task

from .context import ReceptionContext
from .fields import error_label

COLUMNS = ("Received", "From", "Patient", "Appointment", "Reply", "What it did")


def reply_inbox(context: ReceptionContext) -> ReplyInbox:
    s = context.session
    return ReplyInbox(s.database.session_factory, s.account, s.workstation, s.clock)


def _what(line: ReplyLine) -> str:
    return f"{line.action_label}: {line.note}" if line.note else line.action_label


class UnreadReplies(QAction):
    """The toolbar action "Replies (N)": opens the unread replies; N follows live changes."""

    def __init__(self, context: ReceptionContext, parent: QWidget) -> None:
        super().__init__("&Replies", parent)
        self._context = context
        self.inbox = reply_inbox(context)
        self.count = 0
        self.dialog: RepliesDialog | None = None
        self.setObjectName("UnreadRepliesAction")
        self.setToolTip("Patients' SMS replies that need reading")
        self.triggered.connect(self.open)
        changes = context.changes
        if changes is not None:
            changes.changed.connect(self._changed)  # type: ignore[attr-defined]
            changes.reset.connect(self.refresh)  # type: ignore[attr-defined]
        self.refresh()

    def _changed(self, channel: str, _ids: frozenset[str]) -> None:
        if channel == LiveChannel.OUTBOX.value:
            self.refresh()

    def refresh(self) -> None:
        if self._context.session.closed:
            return
        run_task(self.inbox.unread_count, self.show_count, receiver=self)

    def show_count(self, count: int) -> None:
        self.count = count
        self.setText(f"&Replies ({count})" if count else "&Replies")
        self.setToolTip(
            f"{count} SMS {'reply' if count == 1 else 'replies'} from patients to read"
            if count
            else "No SMS replies to read"
        )

    def open(self) -> None:
        parent = self.parent()
        dialog = RepliesDialog(
            self._context, self.inbox, parent if isinstance(parent, QWidget) else None
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _code: self.refresh())
        self.dialog = dialog
        dialog.open()


class RepliesDialog(QDialog):
    """The unread replies, oldest first, with Mark read."""

    appointment_chosen = Signal(int)

    def __init__(
        self, context: ReceptionContext, inbox: ReplyInbox, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("SMS replies to read")
        self._context = context
        self._inbox = inbox
        self.lines: list[ReplyLine] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel("No replies to read. Replies that need someone appear here.")
        self.error = error_label("replies")
        self.mark_button = QPushButton("&Mark read")
        self.mark_button.clicked.connect(self.mark_read)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.mark_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(900, 420)
        self.reload()

    def reload(self) -> None:
        run_task(self._inbox.unread, self.show_lines, self._failed, receiver=self)

    def show_lines(self, lines: list[ReplyLine]) -> None:
        zone = self._context.zone
        self.lines = lines
        self.table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            values = (
                format_datetime(line.received_at, zone),
                line.from_number,
                line.patient_name or "—",
                line.appointment_reference or "—",
                line.body,
                _what(line),
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        self.empty.setVisible(not lines)
        self.mark_button.setEnabled(bool(lines))

    def mark_read(self) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        chosen = [self.lines[row].id for row in rows if row < len(self.lines)]
        if not chosen:
            self.error.setText("Select the replies you have read.")
            self.error.show()
            return

        def mark() -> None:
            for reply_id in chosen:
                self._inbox.mark_read(reply_id)

        run_task(mark, lambda _none: self.reload(), self._failed, receiver=self)

    def _failed(self, error: BaseException) -> None:
        self.error.setText(describe_error(error))
        self.error.show()


class AppointmentReplies(QLabel):
    """Under the selected appointment: its unread replies, with what they said."""

    def __init__(self, context: ReceptionContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._inbox = reply_inbox(context)
        self._shown: int | None = None
        self.setObjectName("AppointmentReplies")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setStyleSheet(
            "background:#fff7e0; border:1px solid #e0b100; border-radius:4px; padding:6px;"
        )
        self.hide()
        self._appointment: AppointmentDetails | None = None
        changes = context.changes
        if changes is not None:  # a reply came or was read, here or at another desk
            changes.changed.connect(self._changed)  # type: ignore[attr-defined]

    def _changed(self, channel: str, ids: frozenset[str]) -> None:
        shown = channel == LiveChannel.OUTBOX.value and str(self._shown) in ids
        if shown and not self._context.session.closed:
            self.show_for(self._appointment)

    def show_for(self, appointment: AppointmentDetails | None) -> None:
        self._appointment = appointment
        self._shown = appointment.id if appointment is not None else None
        if appointment is None:
            self.hide()
            return
        appointment_id = appointment.id
        run_task(
            lambda: self._inbox.for_appointment(appointment_id),
            lambda lines: self._show(appointment_id, lines),
            receiver=self,
        )

    def _show(self, appointment_id: int, lines: list[ReplyLine]) -> None:
        if appointment_id != self._shown:
            return
        unread = [line for line in lines if not line.is_read]
        if not unread:
            self.hide()
            return
        zone = self._context.zone
        parts = [f"<b>Unread SMS {'reply' if len(unread) == 1 else 'replies'}</b>"]
        for line in unread:
            when = format_datetime(line.received_at, zone)
            text = line.body.replace("&", "&amp;").replace("<", "&lt;")
            parts.append(f"{when}: “{text}”")
            if line.note:
                parts.append(f"<i>{line.note}</i>")
        parts.append("Open Replies on the toolbar to mark it read.")
        self.setText("<br>".join(parts))
        self.setToolTip("\n".join(line.body for line in unread))
        self.show()
