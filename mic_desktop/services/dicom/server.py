"""The clinic's DICOM service: one AE answering C-ECHO, worklist C-FIND and MPPS.

:class:`DicomServer` runs pynetdicom's threaded server on a port (each association on
its own thread, each request in its own short database session). A calling AE title
that is not a known scanner is rejected at association ("calling AE title not
recognised") unless the manager allows any; an association for C-ECHO alone is
accepted from anyone, so a scanner's connection can be tested while it is set up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from pydicom.dataset import Dataset
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import ClinicSettings, DicomDevice
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.dicom.datasets import query_from_identifier, worklist_reply
from mic_desktop.services.dicom.mpps import INVALID_ATTRIBUTE_VALUE, MppsError, MppsService
from mic_desktop.services.dicom.worklist import find_worklist
from mic_desktop.services.errors import ValidationError

log = logging.getLogger(__name__)

PENDING = 0xFF00
CANCELLED = 0xFE00
IDENTIFIER_DOES_NOT_MATCH = 0xA900
UNABLE_TO_PROCESS = 0xC000
MAX_ASSOCIATIONS = 64
VERIFICATION = "1.2.840.10008.1.1"
DUL_NAP_SECONDS = 0.0002


def _status(code: int, comment: str | None = None) -> Dataset:
    status = Dataset()
    status.Status = code
    if comment:
        status.ErrorComment = comment[:64]
    return status


class DicomServer:
    """Start with :meth:`start`, stop with :meth:`stop` (or use it as a context manager)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        ae_title: str,
        port: int,
        workstation: str,
        host: str = "",
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = session_factory
        self._ae_title = ae_title
        self._address = (host, port)
        self._mpps = MppsService(session_factory, workstation, clock)
        self._server: Any = None
        self._lock = threading.Lock()

    @property
    def ae_title(self) -> str:
        return self._ae_title

    @property
    def port(self) -> int:
        """The port it listens on (the one the system chose when asked for port 0)."""
        if self._server is None:
            return self._address[1]
        return int(self._server.server_address[1])

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        from pynetdicom import AE, _config, evt
        from pynetdicom.sop_class import (  # type: ignore[attr-defined]
            ModalityPerformedProcedureStep,
            ModalityWorklistInformationFind,
            Verification,
        )

        # pynetdicom logs every identifier (patients' names and IDs) and every PDU by
        # default, formatting each even when the level is off: neither for a clinic's log.
        _config.LOG_REQUEST_IDENTIFIERS = False
        _config.LOG_RESPONSE_IDENTIFIERS = False
        _config.LOG_HANDLER_LEVEL = "none"
        with self._lock:
            if self._server is not None:
                return
            ae = AE(ae_title=self._ae_title)
            ae.maximum_associations = MAX_ASSOCIATIONS
            for context in (
                Verification,
                ModalityWorklistInformationFind,
                ModalityPerformedProcedureStep,
            ):
                ae.add_supported_context(context)
            handlers = [
                (evt.EVT_REQUESTED, self._on_requested),
                (evt.EVT_C_ECHO, lambda _event: 0x0000),
                (evt.EVT_C_FIND, self._on_find),
                (evt.EVT_N_CREATE, self._on_create),
                (evt.EVT_N_SET, self._on_set),
            ]
            self._server = ae.start_server(self._address, block=False, evt_handlers=handlers)
            log.info("DICOM service %s listening on port %s", self._ae_title, self.port)

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            log.info("DICOM service %s stopped", self._ae_title)

    def __enter__(self) -> DicomServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- handlers

    def calling_ae_allowed(self, calling_ae: str) -> bool:
        with self._sessions() as session:
            if session.scalar(
                select(ClinicSettings.dicom_allow_any_ae).where(ClinicSettings.id == 1)
            ):
                return True
            found = session.scalar(
                select(DicomDevice.id).where(DicomDevice.ae_title == calling_ae.strip())
            )
        return found is not None

    def _on_requested(self, event: Any) -> None:
        # pynetdicom's connection thread naps 1 ms whenever idle, and each worklist answer
        # waits for it a few times: 3 ms per answer. Associations are short; nap less.
        event.assoc.dul._run_loop_delay = DUL_NAP_SECONDS
        request = event.assoc.requestor.primitive
        calling = str(request.calling_ae_title).strip()
        asked = {str(c.abstract_syntax) for c in request.presentation_context_definition_list}
        if asked == {VERIFICATION}:
            return  # C-ECHO only (setting up, ``doctor``): tells nothing about patients
        try:
            allowed = self.calling_ae_allowed(calling)
        except Exception:
            log.exception("Cannot check the calling AE title %s", calling)
            allowed = False
        if not allowed:
            log.warning("Association from unknown AE title %r rejected", calling)
            event.assoc.acse.send_reject(0x01, 0x01, 0x03)  # calling AE title not recognised
            event.assoc.kill()

    def _on_find(self, event: Any) -> Iterator[tuple[Any, Dataset | None]]:
        identifier = event.identifier
        try:
            query = query_from_identifier(identifier)
            items = find_worklist(self._sessions, query)
        except ValidationError as error:
            yield _status(IDENTIFIER_DOES_NOT_MATCH, str(error)), None
            return
        except Exception as error:
            log.exception("Worklist query failed")
            yield _status(UNABLE_TO_PROCESS, type(error).__name__), None
            return
        for item in items:
            if event.is_cancelled:
                yield CANCELLED, None
                return
            yield PENDING, worklist_reply(item, identifier)

    def _on_create(self, event: Any) -> tuple[Any, Dataset | None]:
        uid = event.request.AffectedSOPInstanceUID
        calling = str(event.assoc.requestor.ae_title).strip()
        if not uid:
            return _status(INVALID_ATTRIBUTE_VALUE, "Affected SOP Instance UID missing"), None
        attributes = event.attribute_list
        steps = attributes.get("ScheduledStepAttributesSequence") or []
        accession = str(steps[0].get("AccessionNumber", "") or "") if steps else ""
        status = attributes.get("PerformedProcedureStepStatus")
        return self._answer(
            lambda: self._mpps.create(str(uid), calling, accession, status), attributes
        )

    def _on_set(self, event: Any) -> tuple[Any, Dataset | None]:
        uid = str(event.request.RequestedSOPInstanceUID)
        calling = str(event.assoc.requestor.ae_title).strip()
        changes = event.modification_list
        reasons = changes.get("PerformedProcedureStepDiscontinuationReasonCodeSequence") or []
        reason = None
        if reasons:
            reason = str(reasons[0].get("CodeMeaning") or reasons[0].get("CodeValue") or "")
        status = changes.get("PerformedProcedureStepStatus")
        return self._answer(lambda: self._mpps.update(uid, calling, status, reason), changes)

    @staticmethod
    def _answer(call: Any, attributes: Dataset) -> tuple[Any, Dataset | None]:
        try:
            call()
        except MppsError as error:
            return _status(error.status, str(error)), None
        except Exception as error:
            log.exception("MPPS failed")
            return _status(0x0110, type(error).__name__), None
        return 0x0000, attributes
