"""What the manager's administration pages share: forms with errors beside their fields,
an in-page notice for outcomes, and a small dialog base for add/edit forms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import Qt, QTime
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.errors import ValidationError
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.look import window_title
from mic_desktop.ui.common.tasks import run_task


class WrappedLabel(QLabel):
    """A word-wrapped label that asks for the height its lines need at its width.

    A form row gives a wrapping label one line's height; this one grows to fit.
    """

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.wordWrap():
            needed = self.heightForWidth(self.width())
            if needed > 0 and needed != self.minimumHeight():
                self.setMinimumHeight(needed)


class Notice(QLabel):
    """One line under a page's title saying how the last action went (never a dialog)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def _show(self, text: str, background: str, border: str, colour: str) -> None:
        self.setStyleSheet(
            f"QLabel {{ background: {background}; border: 1px solid {border}; color: {colour};"
            " border-radius: 6px; padding: 6px 10px; }"
        )
        self.setText(text)
        self.show()

    def success(self, text: str) -> None:
        self._show(text, "#e7f5ec", "#a6d9b8", "#17603a")

    def error(self, text: str) -> None:
        self._show(text, "#fdecea", "#f3b4ac", "#b42318")

    def info(self, text: str) -> None:
        self._show(text, "#eef4fb", "#bcd6ee", "#1f4e79")

    def clear(self) -> None:
        self.setText("")
        self.hide()

    @property
    def is_error(self) -> bool:
        return "#b42318" in self.styleSheet() and self.isVisibleTo(self.parentWidget())


class FieldForm(QFormLayout):
    """A form whose rows carry an error line each; ``show_error`` puts a message in place."""

    def __init__(self) -> None:
        super().__init__()
        self.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setVerticalSpacing(4)
        self.errors: dict[str, QLabel] = {}
        self.general = QLabel()
        self.general.setProperty("role", "error")
        self.general.setWordWrap(True)
        self.general.hide()

    def add_field(self, name: str, label: str, widget: QWidget, hint: str = "") -> QWidget:
        error = QLabel()
        error.setProperty("role", "field-error")
        error.setWordWrap(True)
        error.hide()
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(widget)
        if hint:
            note = WrappedLabel(hint)
            note.setProperty("role", "hint")
            note.setWordWrap(True)
            column.addWidget(note)
        column.addWidget(error)
        self.addRow(label, box)
        self.errors[name] = error
        return widget

    def clear_errors(self) -> None:
        for label in (*self.errors.values(), self.general):
            label.clear()
            label.hide()

    def show_error(self, error: BaseException, aliases: dict[str, str] | None = None) -> None:
        """A validation message beside its field; anything else above the form."""
        self.clear_errors()
        field = getattr(error, "field", None) if isinstance(error, ValidationError) else None
        if field and aliases:
            field = aliases.get(field, field)
        label = self.errors.get(field) if field else None
        if label is None:
            label = self.general
        label.setText(describe_error(error))
        label.show()

    def error_text(self, name: str) -> str:
        label = self.errors[name]
        return label.text() if not label.isHidden() else ""


class FormDialog(QDialog):
    """A titled dialog with a :class:`FieldForm`, OK/Cancel, and a busy state while saving."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(window_title(title))
        self.setMinimumWidth(460)
        self.form = FieldForm()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form.general)
        layout.addLayout(self.form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.buttons)
        layout.addLayout(row)

    def submit(self) -> None:
        raise NotImplementedError

    def set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)

    def failed(self, error: BaseException) -> None:
        self.set_busy(False)
        self.form.show_error(error)


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekly_periods_text(periods: Iterable[tuple[int, dt.time, dt.time]], empty: str) -> str:
    """A week of (weekday, start, end) periods in one line: "Mon, Tue 07:30–17:00; Sat …".

    An end of 00:00 is midnight at the end of the day ("24:00"; 00:00-00:00 is "24 h").
    """
    by_times: dict[str, list[str]] = {}
    for weekday, start, end in periods:
        if start == end == MIDNIGHT:
            times = "24 h"
        else:
            times = f"{start:%H:%M}–{'24:00' if end == MIDNIGHT else f'{end:%H:%M}'}"
        by_times.setdefault(times, []).append(WEEKDAY_NAMES[weekday][:3])
    return "; ".join(f"{', '.join(days)} {times}" for times, days in by_times.items()) or empty


DayPeriod = tuple[int, dt.time, dt.time]  # weekday (0 = Monday), from, to
MIDNIGHT = dt.time(0)


class WeekDialog(FormDialog):
    """One period a day for a week (opening hours, working hours): ticked days, from, to.

    ``save`` gets the ticked days' periods and runs off the GUI thread; its
    ValidationError shows beside the week. With ``all_day`` each day also has an
    "open 24 hours" box, giving the period 00:00-00:00 (an end of 00:00 is midnight).
    """

    def __init__(
        self,
        title: str,
        ok_text: str,
        periods: Sequence[DayPeriod],
        save: Callable[[list[DayPeriod]], object],
        hint: str,
        parent: QWidget | None = None,
        *,
        all_day: bool = False,
    ) -> None:
        super().__init__(title, ok_text, parent)
        self._save = save
        self.days: list[tuple[QCheckBox, QTimeEdit, QTimeEdit]] = []
        self.all_day: list[QCheckBox] = []
        first: dict[int, DayPeriod] = {}
        for period in sorted(periods, key=lambda p: (p[0], p[1])):
            first.setdefault(period[0], period)
        if len(first) < len(periods):
            hint = "A day with several periods keeps only its first here. " + hint
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for weekday, name in enumerate(WEEKDAY_NAMES):
            period = first.get(weekday)
            open_box = QCheckBox(name)
            start, end = QTimeEdit(), QTimeEdit()
            for edit, value, default in (
                (start, period[1] if period else None, QTime(8, 0)),
                (end, period[2] if period else None, QTime(17, 0)),
            ):
                edit.setDisplayFormat("HH:mm")
                edit.setTime(QTime(value.hour, value.minute) if value else default)
                edit.setEnabled(period is not None)
                open_box.toggled.connect(edit.setEnabled)
            open_box.setChecked(period is not None)
            grid.addWidget(open_box, weekday, 0)
            grid.addWidget(start, weekday, 1)
            grid.addWidget(QLabel("to"), weekday, 2)
            grid.addWidget(end, weekday, 3)
            self.days.append((open_box, start, end))
            if all_day:
                whole = QCheckBox("24 hours")
                whole.setChecked(period is not None and period[1] == period[2] == MIDNIGHT)
                whole.setEnabled(period is not None)
                open_box.toggled.connect(whole.setEnabled)
                for edit in (start, end):
                    edit.setEnabled(period is not None and not whole.isChecked())
                    whole.toggled.connect(
                        lambda on, e=edit, o=open_box: e.setEnabled(o.isChecked() and not on)
                    )
                    open_box.toggled.connect(
                        lambda on, e=edit, w=whole: e.setEnabled(on and not w.isChecked())
                    )
                grid.addWidget(whole, weekday, 4)
                self.all_day.append(whole)
        box = QWidget()
        box.setLayout(grid)
        self.form.add_field("week", "", box, hint)

    def periods(self) -> list[DayPeriod]:
        result: list[DayPeriod] = []
        for weekday, (open_box, start, end) in enumerate(self.days):
            if open_box.isChecked() and self.all_day and self.all_day[weekday].isChecked():
                result.append((weekday, MIDNIGHT, MIDNIGHT))
            elif open_box.isChecked():
                a, b = start.time(), end.time()
                result.append(
                    (weekday, dt.time(a.hour(), a.minute()), dt.time(b.hour(), b.minute()))
                )
        return result

    def submit(self) -> None:
        save, periods = self._save, self.periods()
        self.set_busy(True)
        self.form.clear_errors()
        run_task(lambda: save(periods), lambda _r: self.accept(), self.failed, receiver=self)

    def failed(self, error: BaseException) -> None:
        self.set_busy(False)
        self.form.show_error(error, {field: "week" for field in WEEK_FIELDS})


WEEK_FIELDS = ("weekday", "opens_at", "closes_at", "starts_at", "ends_at")
