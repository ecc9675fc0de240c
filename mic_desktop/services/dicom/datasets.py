"""DICOM identifiers in and out of the worklist: what a scanner's C-FIND asks for,
and one appointment as the answer (only the keys the scanner asked for)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from pydicom.config import IGNORE
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from mic_desktop.services.dicom.worklist import WorklistItem, WorklistQuery
from mic_desktop.services.errors import ValidationError

UTF8 = "ISO_IR 192"
_SEX = {"F": "F", "M": "M", "X": "O", "U": ""}


def _text(dataset: Dataset, keyword: str) -> str | None:
    value = dataset.get(keyword)
    text = str(value).strip() if value is not None else ""
    return text if text and text != "*" else None


def _day(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value.strip(), "%Y%m%d").date()
    except ValueError:
        raise ValidationError(f"{value!r} is not a DICOM date (YYYYMMDD).") from None


def date_range(value: str | None) -> tuple[dt.date | None, dt.date | None]:
    """A DICOM date matching key: ``20261123``, ``20261123-20261130``, ``-20261130``,
    ``20261123-``; empty matches every day."""
    if not value:
        return None, None
    if "-" not in value:
        day = _day(value)
        return day, day
    first, _, last = value.partition("-")
    return (_day(first) if first.strip() else None, _day(last) if last.strip() else None)


def query_from_identifier(identifier: Dataset) -> WorklistQuery:
    """The worklist query in a C-FIND identifier (Modality Worklist Information Model)."""
    steps = identifier.get("ScheduledProcedureStepSequence")
    step = steps[0] if steps else Dataset()
    first_day, last_day = date_range(_text(step, "ScheduledProcedureStepStartDate"))
    return WorklistQuery(
        station_ae_title=_text(step, "ScheduledStationAETitle"),
        modality=_text(step, "Modality"),
        first_day=first_day,
        last_day=last_day,
        patient_id=_text(identifier, "PatientID"),
        patient_name=_text(identifier, "PatientName"),
    )


def person_name(family: str, given: str = "") -> str:
    """A DICOM person name, ``Family^Given`` (``^`` and ``=`` in names become spaces; each
    part at most the 64 characters a name component may have)."""
    clean = [part.replace("^", " ").replace("=", " ").strip()[:64] for part in (family, given)]
    return "^".join(clean).rstrip("^")


def _values(item: WorklistItem) -> dict[str, Any]:
    """Every attribute the worklist knows for one appointment, by keyword."""
    start = item.start_at
    code = {
        "CodeValue": item.scan_code[:16],
        "CodingSchemeDesignator": "99MIC",
        "CodeMeaning": item.scan_name[:64],
    }
    step = {
        "ScheduledStationAETitle": item.station_ae_title or "",
        "ScheduledProcedureStepStartDate": start.strftime("%Y%m%d"),
        "ScheduledProcedureStepStartTime": start.strftime("%H%M%S"),
        "Modality": item.modality_code,
        "ScheduledPerformingPhysicianName": person_name(item.radiologist_name or ""),
        "ScheduledProcedureStepDescription": item.scan_name[:64],
        "ScheduledProcedureStepID": item.reference,
        "ScheduledStationName": item.room_name[:16],
        "ScheduledProcedureStepLocation": item.room_name[:16],
        "ScheduledProcedureStepStatus": "ARRIVED" if item.status == "arrived" else "SCHEDULED",
    }
    return {
        "PatientName": person_name(item.last_name, item.first_name),
        "PatientID": item.mrn,
        "PatientBirthDate": item.date_of_birth.strftime("%Y%m%d"),
        "PatientSex": _SEX.get(item.sex, ""),
        "AccessionNumber": item.reference,
        "ReferringPhysicianName": person_name(item.referring_doctor_name or ""),
        "StudyInstanceUID": item.study_instance_uid,
        "RequestedProcedureID": item.reference,
        "RequestedProcedureDescription": item.scan_name[:64],
        "RequestedProcedureCodeSequence": [code],
        "ScheduledProcedureStepSequence": [step],
    }


def _dataset(values: dict[str, Any], asked: Dataset | None) -> Dataset:
    """The attributes of ``values`` that ``asked`` names (all when ``asked`` is None or
    an empty sequence item: universal matching), empty where the worklist has none."""
    reply = Dataset()
    if asked is None or not len(asked):
        wanted = [(tag_for_keyword(k), dictionary_VR(tag_for_keyword(k)), k) for k in values]
    else:
        wanted = [(e.tag, e.VR, e.keyword) for e in asked if e.keyword != "SpecificCharacterSet"]
    for tag, vr, keyword in wanted:
        value = values.get(keyword) if keyword else None
        if vr == "SQ":
            inner = asked[tag].value if asked is not None and tag in asked else []
            items = value or []
            value = [_dataset(v, inner[0] if inner else None) for v in items]
        reply.add(DataElement(tag, vr, value, validation_mode=IGNORE))
    return reply


def worklist_reply(item: WorklistItem, asked: Dataset) -> Dataset:
    """The C-FIND answer for one appointment to the identifier ``asked`` (only the keys
    asked for), in UTF-8 when a name or text needs it."""
    reply = _dataset(_values(item), asked)
    if not all(text.isascii() for text in _strings(reply)):
        reply.SpecificCharacterSet = UTF8
    return reply


def _strings(dataset: Dataset) -> Iterator[str]:
    for element in dataset:
        if element.VR == "SQ":
            for inner in element.value:
                yield from _strings(inner)
        elif element.value is not None:
            yield str(element.value)
