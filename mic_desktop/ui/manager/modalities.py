"""The clinic's modalities (DICOM codes): what its rooms and scan types belong to.

A new clinic starts with none; "Add modality…" offers the usual ones (CT, MR, US,
DX...) or any other DICOM code. A modality no longer offered is disabled, never
deleted: its rooms and scan types keep it. Changes from another desk
("mic_catalogue") reload the list.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from mic_desktop.services.admin.catalogue import FacilityAdminService, ModalityInfo
from mic_desktop.ui.common.table import Column
from mic_desktop.ui.common.tasks import run_task

from .admin_list import AdminListPage
from .forms import FormDialog


class ModalityDialog(FormDialog):
    """Add a modality (from the starter list or any DICOM code), or rename / disable one."""

    def __init__(
        self,
        service: FacilityAdminService,
        starters: list[tuple[str, str]],
        modality: ModalityInfo | None,
        parent: QWidget | None = None,
    ) -> None:
        title = f"Edit {modality.code}" if modality else "Add a modality"
        super().__init__(title, "Save" if modality else "Add", parent)
        self._service = service
        self.modality = modality
        self.saved: ModalityInfo | None = None
        self.starter = QComboBox()
        self.code = QLineEdit(modality.code if modality else "")
        self.name = QLineEdit(modality.name if modality else "")
        self.active = QCheckBox("In use (rooms and scan types can be added)")
        self.active.setChecked(modality.is_active if modality else True)
        if modality is None:
            for code, name in starters:
                self.starter.addItem(f"{code} — {name}", (code, name))
            self.starter.addItem("Another modality (type its DICOM code)", None)
            self.starter.currentIndexChanged.connect(self._starter_chosen)
            self.form.add_field("starter", "Modality", self.starter)
            self._starter_chosen()
        self.form.add_field(
            "code", "DICOM code", self.code, "The code the scanners send, e.g. CT, MR, US, DX."
        )
        self.code.setReadOnly(modality is not None)
        self.form.add_field("name", "Name", self.name, "As reception and the reports show it.")
        if modality is not None:
            self.form.add_field("is_active", "", self.active)

    def _starter_chosen(self) -> None:
        chosen = self.starter.currentData()
        self.code.setText(chosen[0] if chosen else "")
        self.name.setText(chosen[1] if chosen else "")
        self.code.setReadOnly(chosen is not None)

    def submit(self) -> None:
        service, modality = self._service, self.modality
        code, name, active = self.code.text(), self.name.text(), self.active.isChecked()
        self.set_busy(True)
        self.form.clear_errors()

        def work() -> ModalityInfo:
            if modality is None:
                return service.add_modality(code, name)
            return service.update_modality(modality.id, name=name, is_active=active)

        run_task(work, self._saved, self.failed, receiver=self)

    def _saved(self, info: ModalityInfo) -> None:
        self.saved = info
        self.accept()


class ModalitiesPage(AdminListPage):
    def __init__(self, service: FacilityAdminService, parent: QWidget | None = None) -> None:
        columns = [
            Column("Code", lambda m: m.code, width=90),
            Column("Name", lambda m: m.name, stretch=True),
            Column(
                "Status",
                lambda m: "In use" if m.is_active else "Disabled",
                colour=lambda m: None if m.is_active else "#b42318",
                width=110,
            ),
        ]
        super().__init__(
            "Modalities",
            columns,
            empty_headline="No modalities yet",
            empty_text="Add the kinds of scanner the clinic has with “Add modality…” "
            "(CT, MR, ultrasound, X-ray…); rooms and scan types come next.",
            empty_icon="mdi6.radiology-box-outline",
            struck=lambda m: not m.is_active,
            parent=parent,
        )
        self._service = service
        self.starters: list[tuple[str, str]] = []
        self.subtitle.setText(
            "The kinds of scanner the clinic has, by DICOM modality code. Every room and "
            "scan type belongs to one; a disabled modality offers no new ones."
        )
        self.subtitle.setWordWrap(True)
        self.add_button = self.button("mdi6.plus", "Add modality…", self.add_modality, False)
        self.edit_button = self.button("mdi6.pencil-outline", "Edit…", self.edit_modality, True)
        self.view.doubleClicked.connect(lambda _i: self.edit_modality())

    def refresh(self) -> None:
        run_task(self._service.starter_modalities, self._set_starters, receiver=self)
        service = self._service
        self.load(lambda: service.modalities(include_inactive=True))

    def _set_starters(self, starters: list[tuple[str, str]]) -> None:
        self.starters = starters

    def add_modality(self) -> None:
        self.open_dialog(
            ModalityDialog(self._service, self.starters, None, self),
            lambda d: self.changed(
                f"{d.saved.code} was added; add its rooms next.",  # type: ignore[attr-defined]
                lambda m, code=d.saved.code: m.code == code,  # type: ignore[attr-defined]
            ),
        )

    def edit_modality(self) -> None:
        modality = self.selected()
        if isinstance(modality, ModalityInfo):
            self.open_dialog(
                ModalityDialog(self._service, self.starters, modality, self),
                lambda _d: self.changed(
                    f"{modality.code} was saved.",
                    lambda m: m.id == modality.id,  # type: ignore[attr-defined]
                ),
            )
