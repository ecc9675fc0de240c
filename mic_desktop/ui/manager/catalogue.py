"""The scan-type catalogue: what can be booked, for how long, and its price (with history).

A price change is its own action with its own dialog: it applies from now on and
is listed in the history under the table; booked appointments keep their price.
Changes from another desk ("mic_catalogue") reload the list. Rooms and their
opening hours are in :mod:`.rooms`.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from mic_desktop.services.admin.catalogue import (
    FacilityAdminService,
    ModalityInfo,
    PriceChange,
    ScanTypeDraft,
    ScanTypeInfo,
)
from mic_desktop.ui.common.formatting import format_datetime, format_money
from mic_desktop.ui.common.table import (
    EVERY_DATETIME,
    RIGHT,
    Column,
    RowTableModel,
    make_table_view,
    size_columns,
)
from mic_desktop.ui.common.tasks import run_task

from .admin_list import AdminListPage
from .forms import FormDialog


def modality_box(modalities: list[ModalityInfo], current: int | None = None) -> QComboBox:
    """The modalities in use (and the record's own, even when it was disabled since)."""
    box = QComboBox()
    for modality in modalities:
        if modality.is_active or modality.id == current:
            box.addItem(f"{modality.code} — {modality.name}", modality.id)
    if current is not None:
        box.setCurrentIndex(max(0, box.findData(current)))
    return box


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
                Column("From", lambda p: format_datetime(p.valid_from, zone), fits=EVERY_DATETIME),
                Column("Changed by", lambda p: p.changed_by or "—", width=200),
            ],
            parent=self,
        )
        self.history_view = make_table_view(self)
        self.history_view.setSortingEnabled(False)
        self.history_view.setModel(self.history_model)
        self.history_view.setMaximumHeight(170)
        size_columns(self.history_view, self.history_model.columns)
        self.history_hint = QLabel("Select a scan type above to see its prices over time.")
        self.history_hint.setProperty("role", "muted")
        layout = self.layout()
        layout.addWidget(self.history_title)  # type: ignore[union-attr]
        layout.addWidget(self.history_hint)  # type: ignore[union-attr]
        layout.addWidget(self.history_view)  # type: ignore[union-attr]

    def refresh(self) -> None:
        service = self._service
        run_task(
            lambda: service.modalities(include_inactive=True), self._set_modalities, receiver=self
        )
        self.load(service.scan_types)

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
