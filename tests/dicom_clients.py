"""pynetdicom as the clinic's scanners in the DICOM tests: worklist queries and MPPS."""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ModalityPerformedProcedureStep,
    ModalityWorklistInformationFind,
)

from mic_desktop.services.scheduling.visit_status import VisitStatusService
from tests.reception_setup import book

HOST = "127.0.0.1"


def confirmed(  # a booking, confirmed at the desk
    database, staff, clock, patient, scan, room, start
):  # type: ignore[no-untyped-def]
    booked = book(database, staff["reception"], clock, patient.id, scan, room, start)
    desk = VisitStatusService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    return desk.confirm(booked.id, booked.version)


@dataclass
class FindResult:
    established: bool
    rejected: bool
    matches: list[Dataset]
    final_status: int | None


def worklist_query(**keys: object) -> Dataset:
    """A worklist identifier the way a scanner asks: the usual return keys, empty, and the
    matching keys given (``station``, ``modality``, ``date``, ``PatientName`` ...)."""
    step = Dataset()
    step.ScheduledStationAETitle = keys.pop("station", "")
    step.ScheduledProcedureStepStartDate = keys.pop("date", "")
    step.ScheduledProcedureStepStartTime = ""
    step.Modality = keys.pop("modality", "")
    step.ScheduledPerformingPhysicianName = ""
    step.ScheduledProcedureStepDescription = ""
    step.ScheduledProcedureStepID = ""
    query = Dataset()
    query.PatientName = keys.pop("PatientName", "")
    query.PatientID = keys.pop("PatientID", "")
    query.PatientBirthDate = ""
    query.PatientSex = ""
    query.AccessionNumber = ""
    query.ReferringPhysicianName = ""
    query.StudyInstanceUID = ""
    query.RequestedProcedureID = ""
    query.RequestedProcedureDescription = ""
    query.ScheduledProcedureStepSequence = [step]
    assert not keys, keys
    return query


def find(port: int, calling_ae: str, query: Dataset, called_ae: str = "MIC_RIS") -> FindResult:
    ae = AE(ae_title=calling_ae)
    ae.add_requested_context(ModalityWorklistInformationFind)
    assoc = ae.associate(HOST, port, ae_title=called_ae)
    if not assoc.is_established:
        return FindResult(False, assoc.is_rejected, [], None)
    matches, final = [], None
    try:
        for status, identifier in assoc.send_c_find(query, ModalityWorklistInformationFind):
            if status and status.Status in (0xFF00, 0xFF01):
                matches.append(identifier)
            elif status:
                final = int(status.Status)
    finally:
        assoc.release()
    return FindResult(True, False, matches, final)


def _mpps_association(port: int, calling_ae: str):  # type: ignore[no-untyped-def]
    ae = AE(ae_title=calling_ae)
    ae.add_requested_context(ModalityPerformedProcedureStep)
    assoc = ae.associate(HOST, port, ae_title="MIC_RIS")
    assert assoc.is_established, f"association of {calling_ae} refused"
    return assoc


def mpps_start(port: int, calling_ae: str, accession: str, study_uid: str = "") -> tuple[str, int]:
    """N-CREATE an IN PROGRESS step for ``accession``: (its SOP instance UID, status)."""
    scheduled = Dataset()
    scheduled.AccessionNumber = accession
    scheduled.StudyInstanceUID = study_uid or generate_uid()
    scheduled.RequestedProcedureID = accession
    scheduled.ScheduledProcedureStepID = accession
    attributes = Dataset()
    attributes.ScheduledStepAttributesSequence = [scheduled]
    attributes.PerformedStationAETitle = calling_ae
    attributes.PerformedProcedureStepID = "1"
    attributes.PerformedProcedureStepStartDate = "20261123"
    attributes.PerformedProcedureStepStartTime = "090000"
    attributes.PerformedProcedureStepStatus = "IN PROGRESS"
    attributes.Modality = "CT"
    uid = generate_uid()
    assoc = _mpps_association(port, calling_ae)
    try:
        status, _ = assoc.send_n_create(attributes, ModalityPerformedProcedureStep, uid)
    finally:
        assoc.release()
    return uid, int(status.Status)


def mpps_end(port: int, calling_ae: str, uid: str, status: str, reason: str = "") -> int:
    """N-SET the step to COMPLETED or DISCONTINUED (with the reason's code meaning)."""
    changes = Dataset()
    changes.PerformedProcedureStepStatus = status
    changes.PerformedProcedureStepEndDate = "20261123"
    changes.PerformedProcedureStepEndTime = "093000"
    if reason:
        code = Dataset()
        code.CodeValue = "110514"
        code.CodingSchemeDesignator = "DCM"
        code.CodeMeaning = reason
        changes.PerformedProcedureStepDiscontinuationReasonCodeSequence = [code]
    assoc = _mpps_association(port, calling_ae)
    try:
        answer, _ = assoc.send_n_set(changes, ModalityPerformedProcedureStep, uid)
    finally:
        assoc.release()
    return int(answer.Status)
