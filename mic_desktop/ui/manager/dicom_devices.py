"""The manager's Scanners (DICOM) page: the scanners the worklist service knows, a
"Test" (C-ECHO) per scanner, and the service's settings below the list.

A scanner is known by its AE title and the room it stands in; its worklist is that
room's confirmed and arrived appointments. Changes from another desk
("mic_catalogue", "mic_settings") reload the page.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QSpinBox, QWidget

from mic_desktop.services.dicom.devices import DeviceInfo, DicomDeviceService
from mic_desktop.services.dicom.echo import EchoResult, echo
from mic_desktop.services.dicom.settings import DicomSettingsService
from mic_desktop.ui.common.table import Column
from mic_desktop.ui.common.tasks import run_task

from .admin_list import AdminListPage
from .dicom_service import DicomServiceBox
from .forms import FormDialog


class ScannerDialog(FormDialog):
    """Add a scanner: AE title, room, and where it answers (for Test)."""

    def __init__(
        self,
        service: DicomDeviceService,
        rooms: list[tuple[int, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Add a scanner", "Add", parent)
        self._service = service
        self.saved: DeviceInfo | None = None
        self.ae_title = QLineEdit()
        self.ae_title.setMaxLength(16)
        self.room = QComboBox()
        for room_id, name in rooms:
            self.room.addItem(name, room_id)
        self.host = QLineEdit()
        self.host.setPlaceholderText("e.g. 192.168.1.31 (optional)")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(104)
        self.port.setMaximumWidth(120)
        self.form.add_field(
            "ae_title", "AE title", self.ae_title, "As set on the scanner's console, e.g. CT1."
        )
        self.form.add_field("room", "Room", self.room, "Its worklist is this room's bookings.")
        self.form.add_field("host", "Host", self.host, "Its address, for the Test button.")
        self.form.add_field("port", "Port", self.port, "Its DICOM port (usually 104).")

    def submit(self) -> None:
        service = self._service
        ae_title, room, host = self.ae_title.text(), self.room.currentData(), self.host.text()
        port = self.port.value()
        self.set_busy(True)
        self.form.clear_errors()
        run_task(
            lambda: service.add(ae_title, room=room, host=host, port=port),
            self._saved,
            self.failed,
            receiver=self,
        )

    def _saved(self, info: DeviceInfo) -> None:
        self.saved = info
        self.accept()


class RemoveScannerDialog(FormDialog):
    """Ask before a scanner is forgotten (it is refused from then on)."""

    def __init__(
        self, service: DicomDeviceService, device: DeviceInfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(f"Remove {device.ae_title}", "Remove", parent)
        self._service = service
        self.device = device
        self.question = text = QLabel(
            f"Remove the scanner {device.ae_title} in {device.room_name}? The DICOM service "
            "will refuse it from then on; what it reported stays in the appointments' history."
        )
        text.setWordWrap(True)
        self.form.addRow(text)

    def submit(self) -> None:
        service, ae_title = self._service, self.device.ae_title
        self.set_busy(True)
        run_task(
            lambda: service.remove(ae_title), lambda _i: self.accept(), self.failed, receiver=self
        )


class DicomDevicesPage(AdminListPage):
    def __init__(
        self,
        service: DicomDeviceService,
        settings: DicomSettingsService,
        this_pc: str,
        parent: QWidget | None = None,
    ) -> None:
        self.tests: dict[str, EchoResult] = {}
        columns = [
            Column("AE title", lambda d: d.ae_title, width=140),
            Column("Room", lambda d: d.room_name, width=160),
            Column("Modality", lambda d: d.modality_code, width=90),
            Column("Address", lambda d: f"{d.host}:{d.echo_port}" if d.host else "—", width=170),
            Column(
                "Last test",
                lambda d: self._test_text(d),
                tooltip=lambda d: (
                    self.tests[d.ae_title].detail if d.ae_title in self.tests else None
                ),
                colour=lambda d: self._test_colour(d),
                stretch=True,
            ),
        ]
        super().__init__(
            "Scanners (DICOM)",
            columns,
            empty_headline="No scanners yet",
            empty_text="Add each scanner with “Add scanner…”: its AE title and the room it "
            "stands in. It then gets that room's worklist over DICOM.",
            empty_icon="mdi6.lan-connect",
            parent=parent,
        )
        self._service = service
        self.rooms: list[tuple[int, str]] = []
        self.subtitle.setText(
            "The scanners that ask for their worklist and report what they did (MPPS). "
            "Other AE titles are refused unless the settings below let them in."
        )
        self.subtitle.setWordWrap(True)
        self.add_button = self.button("mdi6.plus", "Add scanner…", self.add_scanner, False)
        self.test_button = self.button("mdi6.lan-pending", "Test", self.test_scanner, True)
        self.test_button.setToolTip("Send a C-ECHO to the selected scanner")
        self.remove_button = self.button(
            "mdi6.delete-outline", "Remove…", self.remove_scanner, True
        )
        self.service_box = DicomServiceBox(settings, this_pc, self)
        self.layout().addWidget(self.service_box)  # type: ignore[union-attr]

    def refresh(self) -> None:
        service = self._service
        run_task(service.rooms, lambda rooms: setattr(self, "rooms", rooms), receiver=self)
        self.load(service.devices)
        self.service_box.refresh()

    def _test_text(self, device: DeviceInfo) -> str:
        result = self.tests.get(device.ae_title)
        if result is None:
            return "not tested" if device.host else "no host: add its address to test"
        return "answers" if result.ok else "no answer"

    def _test_colour(self, device: DeviceInfo) -> str | None:
        result = self.tests.get(device.ae_title)
        if result is None:
            return None
        return "#17603a" if result.ok else "#b42318"

    def add_scanner(self) -> None:
        self.open_dialog(
            ScannerDialog(self._service, self.rooms, self),
            lambda d: self.changed(
                f"{d.saved.ae_title} was added in {d.saved.room_name}.",  # type: ignore[attr-defined]
                lambda r, t=d.saved.ae_title: r.ae_title == t,  # type: ignore[attr-defined]
            ),
        )

    def remove_scanner(self) -> None:
        device = self.selected()
        if isinstance(device, DeviceInfo):
            self.open_dialog(
                RemoveScannerDialog(self._service, device, self),
                lambda _d: self.changed(f"{device.ae_title} was removed."),
            )

    def test_scanner(self) -> None:
        device = self.selected()
        if not isinstance(device, DeviceInfo):
            return
        if not device.host:
            self.notice.error(
                f"{device.ae_title} has no host: remove it and add it with its address."
            )
            return
        self.test_button.setEnabled(False)
        self.notice.info(f"Testing {device.ae_title} at {device.host}:{device.echo_port}…")
        run_task(
            lambda: echo(device.ae_title, device.host or "", device.echo_port, timeout=5),
            lambda result: self._tested(device, result),
            lambda error: self._tested(device, EchoResult(False, str(error))),
            receiver=self,
        )

    def _tested(self, device: DeviceInfo, result: EchoResult) -> None:
        self.tests[device.ae_title] = result
        self.test_button.setEnabled(True)
        (self.notice.success if result.ok else self.notice.error)(result.detail)
        last = self.model.rowCount() - 1
        if last >= 0:  # the "Last test" column shows the new result
            column = self.model.columnCount() - 1
            self.model.dataChanged.emit(self.model.index(0, column), self.model.index(last, column))
