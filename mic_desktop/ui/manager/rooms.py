"""The rooms of the clinic and their weekly opening hours.

Appointments are booked into a room while it is open, and the dashboard measures
utilisation against these hours. A room that is no longer in use stays listed,
struck through. Changes from another desk ("mic_catalogue") reload the list.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QLineEdit, QSpinBox, QWidget

from mic_desktop.services.admin.catalogue import FacilityAdminService, ModalityInfo
from mic_desktop.services.scheduling.rooms import OpeningPeriod, RoomInfo
from mic_desktop.ui.common.table import RIGHT, Column
from mic_desktop.ui.common.tasks import run_task

from .admin_list import AdminListPage
from .catalogue import modality_box
from .forms import DayPeriod, FormDialog, WeekDialog, weekly_periods_text


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
        "Untick a day when the room is closed. An end of 00:00 is midnight (24:00): a "
        "scan may run on past midnight when the next day opens at 00:00.",
        parent,
        all_day=True,
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
                width=135,
            ),
            Column("Opening hours", hours_text, tooltip=hours_text, stretch=True),
        ]
        super().__init__(
            "Rooms and opening hours",
            columns,
            empty_headline="No rooms yet",
            empty_text="Add the clinic's scan rooms with “Add room…”, then set their hours "
            "(a room's modality must be on the Modalities page first).",
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
        self.subtitle.setWordWrap(True)
        self.add_button = self.button("mdi6.plus", "Add room…", self.add_room, False)
        self.edit_button = self.button("mdi6.pencil-outline", "Edit…", self.edit_room, True)
        self.hours_button = self.button(
            "mdi6.clock-edit-outline", "Opening hours…", self.edit_hours, True
        )
        self.view.doubleClicked.connect(lambda _i: self.edit_hours())

    def refresh(self) -> None:
        service = self._service
        run_task(
            lambda: service.modalities(include_inactive=True), self._set_modalities, receiver=self
        )
        self.load(service.rooms)

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
