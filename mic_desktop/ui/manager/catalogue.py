"""The catalogue pages: scan types and their prices (with history), rooms and opening hours.

A price change is its own action with its own dialog: it applies from now on and
is listed in the history under the table; booked appointments keep their price.
Changes from another desk ("mic_catalogue") reload the lists.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from mic_desktop.services.admin.catalogue import (
    FacilityAdminService,
    ModalityInfo,
    OpeningPeriod,
    PriceChange,
    RoomInfo,
    ScanTypeDraft,
    ScanTypeInfo,
)
from mic_desktop.ui.common.formatting import format_datetime, format_money
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import RIGHT, Column, ListPage, RowTableModel, make_table_view
from mic_desktop.ui.common.tasks import run_task

from .forms import DayPeriod, FormDialog, Notice, WeekDialog, weekly_periods_text


def modality_box(modalities: list[ModalityInfo], current: int | None = None) -> QComboBox:
    box = QComboBox()
    for modality in modalities:
        box.addItem(f"{modality.code} — {modality.name}", modality.id)
    if current is not None:
        box.setCurrentIndex(max(0, box.findData(current)))
    return box


class AdminListPage(ListPage):
    """A list page with a notice, action buttons and one dialog at a time."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.dialog: FormDialog | None = None
        self.notice = Notice()
        self.layout().insertWidget(1, self.notice)  # type: ignore[union-attr]
        self.buttons = QHBoxLayout()
        self.header_row.addLayout(self.buttons)
        self._reselect: Callable[[object], bool] | None = None
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self.selection_changed())

    def button(
        self, icon_name: str, text: str, slot: Callable[[], None], needs_row: bool
    ) -> QPushButton:
        button = QPushButton(icon(icon_name), text)
        button.clicked.connect(slot)
        button.setProperty("needs_row", needs_row)
        self.buttons.addWidget(button)
        return button

    def selected(self) -> object | None:
        indexes = self.view.selectionModel().selectedRows()
        if not indexes:
            return None
        return self.model.row_at(self.proxy.mapToSource(indexes[0]).row())

    def select_where(self, test: Callable[[object], bool]) -> None:
        for number, row in enumerate(self.model.rows()):
            if test(row):
                self.view.selectRow(self.proxy.mapFromSource(self.model.index(number, 0)).row())
                return

    def selection_changed(self) -> None:
        row = self.selected()
        for button in self.findChildren(QPushButton):
            if button.property("needs_row"):
                button.setEnabled(row is not None)

    def show_rows(self, rows: object) -> None:  # type: ignore[override]
        super().show_rows(rows)  # type: ignore[arg-type]
        if self._reselect is not None:
            self.select_where(self._reselect)
            self._reselect = None
        if not self.view.selectionModel().hasSelection() and self.proxy.rowCount():
            self.view.selectRow(0)  # the details below show something from the start
        self.selection_changed()

    def open_dialog(self, dialog: FormDialog, done: Callable[[FormDialog], None]) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: done(dialog))
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def changed(self, text: str, keep: Callable[[object], bool] | None = None) -> None:
        self.notice.success(text)
        self._reselect = keep
        self.refresh()


# -- scan types -------------------------------------------------------------------------------


class ScanTypeDialog(FormDialog):
    def __init__(
        self,
        service: FacilityAdminService,
        modalities: list[ModalityInfo],
        scan: ScanTypeInfo | None,
        parent: QWidget | None = None,
    ) -> None:
        title = f"Edit {scan.name}" if scan else "Add a scan type"
        super().__init__(title, "Save" if scan else "Add", parent)
        self._service = service
        self.scan = scan
        self.saved: ScanTypeInfo | None = None
        f = self.form
        self.code = f.add_field(
            "code", "Code", QLineEdit(scan.code if scan else ""), "e.g. CT-HEAD"
        )
        self.name = f.add_field("name", "Name", QLineEdit(scan.name if scan else ""))
        self.modality = f.add_field(
            "modality", "Modality", modality_box(modalities, scan.modality_id if scan else None)
        )
        self.duration = QSpinBox()
        self.duration.setRange(5, 480)
        self.duration.setSuffix(" min")
        self.duration.setValue(scan.duration_minutes if scan else 30)
        f.add_field("duration_minutes", "Duration", self.duration)
        self.price = QLineEdit()
        if scan is None:
            f.add_field("price", "Price", self.price, "Later changes: “Change price…”.")
        self.preparation = QPlainTextEdit(scan.preparation if scan else "")
        self.preparation.setFixedHeight(70)
        f.add_field("preparation", "Preparation", self.preparation, "Printed on the slip and SMS.")
        self.preauth = QCheckBox("Medical aids need pre-authorisation")
        self.preauth.setChecked(bool(scan and scan.requires_preauthorisation))
        f.addRow("", self.preauth)
        self.active = QCheckBox("Can be booked")
        self.active.setChecked(scan.is_active if scan else True)
        f.addRow("", self.active)

    def draft(self) -> ScanTypeDraft:
        return ScanTypeDraft(
            code=self.code.text().strip().upper(),
            name=self.name.text(),
            modality_id=self.modality.currentData(),
            duration_minutes=self.duration.value(),
            preparation=self.preparation.toPlainText(),
            requires_preauthorisation=self.preauth.isChecked(),
            is_active=self.active.isChecked(),
        )

    def submit(self) -> None:
        service, draft, scan, price = self._service, self.draft(), self.scan, self.price.text()
        self.set_busy(True)
        self.form.clear_errors()

        def work() -> ScanTypeInfo:
            if scan is None:
                return service.add_scan_type(draft, price.strip())
            return service.update_scan_type(scan.id, draft, expected_version=scan.version)

        run_task(work, self._saved, self.failed, receiver=self)

    def _saved(self, info: ScanTypeInfo) -> None:
        self.saved = info
        self.accept()


class PriceDialog(FormDialog):
    def __init__(
        self,
        service: FacilityAdminService,
        scan: ScanTypeInfo,
        currency: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Change the price of {scan.name}", "Change price", parent)
        self._service = service
        self.scan = scan
        current = QLabel(format_money(scan.price, currency))
        self.form.addRow("Current price", current)
        self.price = self.form.add_field(
            "price",
            "New price",
            QLineEdit(),
            "Applies to bookings from now on; booked appointments keep their price.",
        )

    def submit(self) -> None:
        service, scan, price = self._service, self.scan, self.price.text().strip()
        self.set_busy(True)
        self.form.clear_errors()
        run_task(
            lambda: service.change_price(scan.id, price, expected_version=scan.version),
            lambda _info: self.accept(),
            self.failed,
            receiver=self,
        )


class ScanTypesPage(AdminListPage):
    def __init__(
        self,
        service: FacilityAdminService,
        currency: str,
        zone,
        parent: QWidget | None = None,  # type: ignore[no-untyped-def]
    ) -> None:
        columns = [
            Column("Code", lambda s: s.code, width=120),
            Column("Name", lambda s: s.name, stretch=True),
            Column("Modality", lambda s: s.modality, width=90),
            Column(
                "Duration",
                lambda s: f"{s.duration_minutes} min",
                sort_key=lambda s: s.duration_minutes,
                align=RIGHT,
                width=90,
            ),
            Column(
                "Price",
                lambda s: format_money(s.price, currency),
                sort_key=lambda s: s.price,
                align=RIGHT,
                width=130,
            ),
            Column("Pre-auth", lambda s: "needed" if s.requires_preauthorisation else "", width=90),
            Column(
                "Status",
                lambda s: "Bookable" if s.is_active else "Not bookable",
                colour=lambda s: None if s.is_active else "#b42318",
                width=120,
            ),
        ]
        super().__init__(
            "Scan types and prices",
            columns,
            empty_headline="No scan types yet",
            empty_text="Add the scans the clinic offers with “Add scan type…”.",
            empty_icon="mdi6.radiology-box-outline",
            struck=lambda s: not s.is_active,
            parent=parent,
        )
        self._service = service
        self._currency = currency
        self._zone = zone
        self.modalities: list[ModalityInfo] = []
        self.history: list[PriceChange] = []
        self._history_generation = 0
        self.subtitle.setText(
            "What can be booked, for how long and at what price. Select a scan type to see "
            "its price history."
        )
        self.add_button = self.button("mdi6.plus", "Add scan type…", self.add_scan, False)
        self.edit_button = self.button("mdi6.pencil-outline", "Edit…", self.edit_scan, True)
        self.price_button = self.button("mdi6.cash-edit", "Change price…", self.change_price, True)
        self.view.doubleClicked.connect(lambda _i: self.edit_scan())
        self.history_title = QLabel("Price history")
        self.history_title.setProperty("role", "section-title")
        self.history_model = RowTableModel(
            [
                Column("Price", lambda p: format_money(p.price, currency), align=RIGHT, width=140),
                Column("From", lambda p: format_datetime(p.valid_from, zone), width=200),
                Column("Changed by", lambda p: p.changed_by or "—", width=200),
            ],
            parent=self,
        )
        self.history_view = make_table_view(self)
        self.history_view.setSortingEnabled(False)
        self.history_view.setModel(self.history_model)
        self.history_view.setMaximumHeight(170)
        for number, width in enumerate((140, 200, 200)):
            self.history_view.setColumnWidth(number, width)
        self.history_hint = QLabel("Select a scan type above to see its prices over time.")
        self.history_hint.setProperty("role", "muted")
        layout = self.layout()
        layout.addWidget(self.history_title)  # type: ignore[union-attr]
        layout.addWidget(self.history_hint)  # type: ignore[union-attr]
        layout.addWidget(self.history_view)  # type: ignore[union-attr]

    def refresh(self) -> None:
        run_task(self._service.modalities, self._set_modalities, receiver=self)
        self.load(self._service.scan_types)

    def _set_modalities(self, modalities: list[ModalityInfo]) -> None:
        self.modalities = modalities

    def selection_changed(self) -> None:
        super().selection_changed()
        scan = self.selected()
        self._history_generation += 1
        generation = self._history_generation
        if not isinstance(scan, ScanTypeInfo):
            self.history_model.set_rows([])
            self.history_hint.setText("Select a scan type above to see its prices over time.")
            return
        service = self._service
        run_task(
            lambda: service.price_history(scan.id),
            lambda rows: self._history(generation, scan, rows),
            lambda error: self.notice.error(str(error)),
            receiver=self,
        )

    def _history(self, generation: int, scan: ScanTypeInfo, rows: list[PriceChange]) -> None:
        if generation != self._history_generation:
            return
        self.history = rows
        self.history_model.set_rows(rows)
        self.history_hint.setText(
            f"{scan.name}: {len(rows)} price change(s), newest first."
            if rows
            else f"{scan.name} has kept the price it was created with."
        )

    def add_scan(self) -> None:
        self.open_dialog(
            ScanTypeDialog(self._service, self.modalities, None, self),
            lambda d: self.changed(
                f"{d.saved.name} was added.",
                lambda r, code=d.saved.code: r.code == code,  # type: ignore[attr-defined]
            ),
        )

    def edit_scan(self) -> None:
        scan = self.selected()
        if isinstance(scan, ScanTypeInfo):
            self.open_dialog(
                ScanTypeDialog(self._service, self.modalities, scan, self),
                lambda d: self.changed(f"{scan.name} was saved.", lambda r: r.id == scan.id),  # type: ignore[attr-defined]
            )

    def change_price(self) -> None:
        scan = self.selected()
        if isinstance(scan, ScanTypeInfo):
            self.open_dialog(
                PriceDialog(self._service, scan, self._currency, self),
                lambda d: self.changed(
                    f"The price of {scan.name} is now "
                    f"{format_money(Decimal(d.price.text().strip()), self._currency)} "  # type: ignore[attr-defined]
                    "for new bookings.",
                    lambda r: r.id == scan.id,  # type: ignore[attr-defined]
                ),
            )


# -- rooms ------------------------------------------------------------------------------------


def hours_text(room: RoomInfo) -> str:
    return weekly_periods_text(
        ((p.weekday, p.opens_at, p.closes_at) for p in room.opening_hours),
        "Closed (no opening hours)",
    )


class RoomDialog(FormDialog):
    def __init__(
        self,
        service: FacilityAdminService,
        modalities: list[ModalityInfo],
        room: RoomInfo | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            f"Edit {room.name}" if room else "Add a room", "Save" if room else "Add", parent
        )
        self._service = service
        self.room = room
        self.saved: RoomInfo | None = None
        self.name = self.form.add_field("name", "Name", QLineEdit(room.name if room else ""))
        self.modality = self.form.add_field(
            "modality", "Modality", modality_box(modalities, room.modality_id if room else None)
        )
        self.order = QSpinBox()
        self.order.setRange(0, 999)
        self.order.setValue(room.sort_order if room else 0)
        self.form.add_field("sort_order", "Order in the book", self.order)
        self.active = QCheckBox("In use (can be booked)")
        self.active.setChecked(room.is_active if room else True)
        self.form.add_field("is_active", "", self.active)

    def submit(self) -> None:
        service, room = self._service, self.room
        name, modality, order = self.name.text(), self.modality.currentData(), self.order.value()
        active = self.active.isChecked()
        self.set_busy(True)
        self.form.clear_errors()

        def work() -> RoomInfo:
            if room is None:
                return service.add_room(name, modality, sort_order=order)
            return service.update_room(
                room.id,
                name=name,
                modality_id=modality,
                is_active=active,
                sort_order=order,
                expected_version=room.version,
            )

        run_task(work, self._saved, self.failed, receiver=self)

    def _saved(self, info: RoomInfo) -> None:
        self.saved = info
        self.accept()


def opening_hours_dialog(
    service: FacilityAdminService, room: RoomInfo, parent: QWidget | None = None
) -> WeekDialog:
    def save(periods: list[DayPeriod]) -> RoomInfo:
        return service.set_opening_hours(
            room.id, [OpeningPeriod(*p) for p in periods], expected_version=room.version
        )

    return WeekDialog(
        f"Opening hours of {room.name}",
        "Save hours",
        [(p.weekday, p.opens_at, p.closes_at) for p in room.opening_hours],
        save,
        "Untick a day when the room is closed.",
        parent,
    )


class RoomsPage(AdminListPage):
    def __init__(self, service: FacilityAdminService, parent: QWidget | None = None) -> None:
        columns = [
            Column("Room", lambda r: r.name, width=180),
            Column("Modality", lambda r: r.modality, width=90),
            Column(
                "Status",
                lambda r: "In use" if r.is_active else "Not in use",
                colour=lambda r: None if r.is_active else "#b42318",
                width=110,
            ),
            Column(
                "Open per week",
                lambda r: f"{r.open_minutes_per_week / 60:.1f} h",
                sort_key=lambda r: r.open_minutes_per_week,
                align=RIGHT,
                width=120,
            ),
            Column("Opening hours", hours_text, tooltip=hours_text, stretch=True),
        ]
        super().__init__(
            "Rooms and opening hours",
            columns,
            empty_headline="No rooms yet",
            empty_text="Add the clinic's scan rooms with “Add room…”, then set their hours.",
            empty_icon="mdi6.door",
            struck=lambda r: not r.is_active,
            parent=parent,
        )
        self._service = service
        self.modalities: list[ModalityInfo] = []
        self.subtitle.setText(
            "Appointments are booked into a room while it is open. Utilisation on the "
            "dashboard is measured against these hours."
        )
        self.add_button = self.button("mdi6.plus", "Add room…", self.add_room, False)
        self.edit_button = self.button("mdi6.pencil-outline", "Edit…", self.edit_room, True)
        self.hours_button = self.button(
            "mdi6.clock-edit-outline", "Opening hours…", self.edit_hours, True
        )
        self.view.doubleClicked.connect(lambda _i: self.edit_hours())

    def refresh(self) -> None:
        run_task(self._service.modalities, self._set_modalities, receiver=self)
        self.load(self._service.rooms)

    def _set_modalities(self, modalities: list[ModalityInfo]) -> None:
        self.modalities = modalities

    def add_room(self) -> None:
        self.open_dialog(
            RoomDialog(self._service, self.modalities, None, self),
            lambda d: self.changed(
                f"{d.saved.name} was added; set its opening hours next.",  # type: ignore[attr-defined]
                lambda r, name=d.saved.name: r.name == name,  # type: ignore[attr-defined]
            ),
        )

    def edit_room(self) -> None:
        room = self.selected()
        if isinstance(room, RoomInfo):
            self.open_dialog(
                RoomDialog(self._service, self.modalities, room, self),
                lambda _d: self.changed(f"{room.name} was saved.", lambda r: r.id == room.id),  # type: ignore[attr-defined]
            )

    def edit_hours(self) -> None:
        room = self.selected()
        if isinstance(room, RoomInfo):
            self.open_dialog(
                opening_hours_dialog(self._service, room, self),
                lambda _d: self.changed(
                    f"The opening hours of {room.name} were saved.",
                    lambda r: r.id == room.id,  # type: ignore[attr-defined]
                ),
            )
