"""The feedback kiosk: full screen, touch-friendly, one visit only, a staff password to leave."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.patients.feedback import FeedbackInput, FeedbackVisit
from mic_desktop.services.text_checks import NOTES_MAX
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.tasks import run_task
from mic_desktop.ui.common.text_limits import LengthCounter

from .context import ReceptionContext
from .fields import error_label

QUESTIONS = (
    ("overall", "Overall, how satisfied are you with your visit?"),
    ("professionalism", "How professional were our staff?"),
    ("cleanliness", "How clean was the facility?"),
    ("report_clarity", "How clear was your report? (skip if you have not seen it)"),
)
BIG = "font-size: 22px; min-height: 44px; min-width: 72px;"


class FeedbackKiosk(QWidget):
    """Shows only the visiting patient's first name and scan; leaves with a staff password."""

    finished_feedback = Signal()

    def __init__(self, context: ReceptionContext, appointment_id: int) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self._context = context
        self._appointment_id = appointment_id
        self._may_close = False
        self.setWindowTitle("Your feedback")
        self.setStyleSheet(
            "QWidget { font-size: 19px; } QLabel#KioskTitle { font-size: 28px; }"
            "QPushButton:checked { background: #2f6fa8; color: white; border-color: #1f4f7a; }"
        )
        self.title = QLabel("Loading…")
        self.title.setObjectName("KioskTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.groups: dict[str, QButtonGroup] = {}
        form = QVBoxLayout()
        for key, question in QUESTIONS:
            form.addWidget(QLabel(question))
            row = QHBoxLayout()
            group = QButtonGroup(self)
            for score in range(1, 6):
                button = QPushButton(f"{score} ★" if score == 5 else str(score))
                button.setCheckable(True)
                button.setStyleSheet(BIG)
                group.addButton(button, score)
                row.addWidget(button)
            row.addStretch(1)
            group.idClicked.connect(lambda _id: self.error.hide())
            self.groups[key] = group
            form.addLayout(row)
        form.addWidget(QLabel("Would you recommend us to family and friends?"))
        rec_row = QHBoxLayout()
        self.recommend = QButtonGroup(self)
        for value, text in ((1, "Yes"), (0, "No")):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setStyleSheet(BIG)
            self.recommend.addButton(button, value)
            rec_row.addWidget(button)
        rec_row.addStretch(1)
        form.addLayout(rec_row)
        self.comments = QPlainTextEdit()
        self.comments.setPlaceholderText("Anything else you would like to tell us (optional)")
        self.comments.setMaximumHeight(80)
        form.addWidget(self.comments)
        self.comments_counter = LengthCounter(self.comments, NOTES_MAX)
        form.addWidget(self.comments_counter)
        self.error = error_label("kiosk")
        form.addWidget(self.error)
        self.submit_button = QPushButton("Send my feedback")
        self.submit_button.setStyleSheet(BIG + "background: #2f6fa8; color: white;")
        self.submit_button.clicked.connect(self.submit)
        form.addWidget(self.submit_button)
        questions = QWidget()
        questions.setLayout(form)

        self.thanks = QLabel("Thank you! Please hand the screen back to reception.")
        self.thanks.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thanks.setStyleSheet("font-size: 30px;")
        self.stack = QStackedWidget()
        self.stack.addWidget(questions)
        self.stack.addWidget(self.thanks)

        self.staff_password = QLineEdit()
        self.staff_password.setObjectName("KioskStaffPassword")
        self.staff_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.staff_password.setPlaceholderText("Staff password to return to reception")
        self.staff_password.setMinimumWidth(380)
        self.staff_password.returnPressed.connect(self.try_leave)
        self.leave_error = error_label("leave")
        leave_row = QHBoxLayout()
        leave_row.addStretch(1)
        leave_row.addWidget(self.leave_error)
        leave_row.addWidget(self.staff_password)
        leave = QPushButton("Staff: return")
        leave.clicked.connect(self.try_leave)
        leave_row.addWidget(leave)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(60, 16, 60, 12)
        form.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.stack, 1)
        layout.addLayout(leave_row)
        run_task(
            lambda: context.feedback.visit(appointment_id),
            self._visit_loaded,
            self._failed,
            receiver=self,
        )

    def show_on_best_screen(self) -> None:
        screens = QGuiApplication.screens()
        main = self.screen() or QGuiApplication.primaryScreen()
        others = [s for s in screens if s is not main]
        screen = others[0] if others else main
        if screen is not None:
            self.setGeometry(screen.geometry())
        self.showFullScreen()

    def _visit_loaded(self, visit: FeedbackVisit) -> None:
        self.title.setText(
            f"Thank you for visiting, {visit.first_name}. How was your {visit.scan_name}?"
        )
        if visit.already_given:
            self.thanks.setText("Feedback for this visit has already been given. Thank you!")
            self.stack.setCurrentWidget(self.thanks)

    def _failed(self, error: BaseException) -> None:
        self.error.setText(describe_error(error))
        self.error.show()

    def answers(self) -> FeedbackInput | None:
        scores = {key: group.checkedId() for key, group in self.groups.items()}
        if any(scores[k] < 1 for k in ("overall", "professionalism", "cleanliness")):
            return None
        if self.recommend.checkedId() < 0:
            return None
        clarity = scores["report_clarity"]
        return FeedbackInput(
            overall=scores["overall"],
            professionalism=scores["professionalism"],
            cleanliness=scores["cleanliness"],
            report_clarity=clarity if clarity >= 1 else None,
            would_recommend=self.recommend.checkedId() == 1,
            comments=self.comments.toPlainText(),
        )

    def submit(self) -> None:
        answers = self.answers()
        if answers is None:
            self.error.setText(
                "Please answer the first three questions and whether you would recommend us."
            )
            self.error.show()
            return
        self.submit_button.setEnabled(False)
        run_task(
            lambda: self._context.feedback.submit(self._appointment_id, answers),
            self._submitted,
            lambda e: (self.submit_button.setEnabled(True), self._failed(e)),
            receiver=self,
        )

    def _submitted(self, _record: object) -> None:
        self.stack.setCurrentWidget(self.thanks)
        self.finished_feedback.emit()

    def try_leave(self) -> None:
        password = self.staff_password.text()
        self.staff_password.clear()
        auth, account = self._context.session.auth_service(), self._context.session.account
        run_task(
            lambda: auth.unlock(account, password),
            self._leave_checked,
            lambda e: (self.leave_error.setText(describe_error(e)), self.leave_error.show()),
            receiver=self,
        )

    def _leave_checked(self, ok: bool) -> None:
        if ok:
            self._may_close = True
            self.close()
        else:
            self.leave_error.setText("Wrong password.")
            self.leave_error.show()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            return  # the patient cannot leave the kiosk
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._may_close:
            super().closeEvent(event)
        else:
            event.ignore()
