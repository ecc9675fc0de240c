"""Does an attached report PDF belong to this patient and this exam? Read its text and see.

The text (pypdf) is folded to plain letters and digits, then looked through for the
patient's MRN, surname and the booking reference (the accession number). A PDF that
names another patient's MRN from the clinic's records is refused outright
(:class:`WrongPatientPdfError`); one that names none of the three, or only another
booking of the same patient, may still be delivered, but only after the radiologist
confirms it is the right report and says why (:class:`IdentityConfirmationRequiredError`).
A scanned PDF has no text, so it always needs that confirmation.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mic_desktop.models import Appointment, IdentityCheck, Patient
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.reporting.pdf_checks import PdfRejectedError

IDENTITY_FIELD = "identity"
MAX_REASON = 500
_MAX_CANDIDATES = 5000  # identifiers looked up per PDF; a report has a handful
_TOKEN = re.compile(r"[A-Z0-9]+")
_ID_LIKE = re.compile(r"[A-Z0-9](?:[A-Z0-9/-]*[A-Z0-9])?")


@dataclass(frozen=True)
class IdentityResult:
    """What the PDF's text says about whose report it is."""

    check: IdentityCheck
    named_by: tuple[str, ...]  # e.g. ("MRN MIC100001", "surname Ncube")
    other_references: tuple[str, ...]  # other bookings of the same patient it names
    has_text: bool

    @property
    def needs_confirmation(self) -> bool:
        return self.check is not IdentityCheck.NAMED


class WrongPatientPdfError(PdfRejectedError):
    """The PDF names an MRN that belongs to another patient of the clinic."""

    def __init__(self, filename: str, other_mrn: str, patient_name: str, mrn: str) -> None:
        super().__init__(
            f"{filename} names MRN {other_mrn}, another patient's record, not "
            f"{patient_name} (MRN {mrn}). It cannot be this patient's report: "
            "check that you chose the right file."
        )
        self.other_mrn = other_mrn


class IdentityConfirmationRequiredError(ValidationError):
    """The PDF does not name the patient; the radiologist has to confirm it with a reason."""

    def __init__(self, message: str, result: IdentityResult) -> None:
        super().__init__(message, IDENTITY_FIELD)
        self.result = result


def fold(text: str) -> str:
    """Upper-case letters and digits without accents: what identifiers are compared in."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def pdf_text(content: bytes) -> str:
    """The text of every page ('' for a scan or a PDF pypdf cannot read text from)."""
    from pypdf import PdfReader  # loads with the first PDF read, not with the window

    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception:  # pypdf raises many types on odd files; no text is the safe answer
        return ""
    finally:
        log.setLevel(level)


def check_identity(
    session: Session, appointment_id: int, content: bytes, filename: str
) -> IdentityResult:
    """Check ``content`` against the patient and booking of ``appointment_id``.

    Raises :class:`WrongPatientPdfError` when it names another patient's MRN.
    """
    appointment = session.get(Appointment, appointment_id)
    assert appointment is not None
    patient = session.get(Patient, appointment.patient_id)
    assert patient is not None
    text = fold(pdf_text(content))
    candidates = _candidates(text)
    mrn = fold(patient.mrn)
    others = session.scalars(
        select(Patient.mrn).where(
            Patient.mrn.in_(candidates),
            Patient.id != patient.id,
            Patient.deleted_at.is_(None),
        )
    ).all()
    if others:
        raise WrongPatientPdfError(filename, sorted(others)[0], patient.full_name, patient.mrn)
    named_by = []
    if mrn in candidates or _compact(mrn) in candidates:
        named_by.append(f"MRN {patient.mrn}")
    if _names_surname(text, patient.last_name):
        named_by.append(f"surname {patient.last_name}")
    if fold(appointment.reference) in candidates:
        named_by.append(f"reference {appointment.reference}")
    other_references = tuple(
        session.scalars(
            select(Appointment.reference).where(
                Appointment.patient_id == patient.id,
                Appointment.id != appointment.id,
                Appointment.reference.in_(candidates),
            )
        ).all()
    )
    names_this_exam = any(item.startswith("reference ") for item in named_by)
    if other_references and not names_this_exam:
        check = IdentityCheck.OTHER_EXAM
    elif named_by:
        check = IdentityCheck.NAMED
    else:
        check = IdentityCheck.NOT_NAMED
    return IdentityResult(check, tuple(named_by), other_references, bool(text.strip()))


def explain(result: IdentityResult, filename: str, patient: Patient, reference: str) -> str:
    """Why ``filename`` needs a confirmation, for the person who attached it."""
    if result.check is IdentityCheck.OTHER_EXAM:
        names = ", ".join(result.other_references)
        return (
            f"{filename} names another exam of {patient.full_name} ({names}), not this one "
            f"({reference}). Confirm it is the report of this exam and say why."
        )
    if not result.has_text:
        return (
            f"{filename} has no readable text (a scan?), so it cannot be checked against "
            f"{patient.full_name} (MRN {patient.mrn}). Confirm it is this patient's report "
            "and say why."
        )
    return (
        f"{filename} does not name {patient.full_name}: neither the MRN {patient.mrn}, the "
        f"surname “{patient.last_name}” nor the booking {reference} appears in it. "
        "Confirm it is this patient's report and say why."
    )


def clean_reason(reason: str | None) -> str:
    """The confirmation's reason as stored, or a :class:`ValidationError` saying what is wrong."""
    text = " ".join((reason or "").split())
    if len(text) > MAX_REASON:
        raise ValidationError(
            f"Keep the reason under {MAX_REASON} characters.", f"{IDENTITY_FIELD}_reason"
        )
    return text


def _candidates(text: str) -> list[str]:
    """Words that could be identifiers (with a digit), alone and joined with the next one."""
    tokens = _TOKEN.findall(text)
    found: dict[str, None] = {}
    for word in [*tokens, *_ID_LIKE.findall(text)]:
        if any(ch.isdigit() for ch in word) and len(word) <= 16:
            found[word] = None
    for first, second in itertools.pairwise(tokens):
        joined = first + second  # "MIC 100001" as extracted from a table cell
        if any(ch.isdigit() for ch in joined) and len(joined) <= 16:
            found[joined] = None
    return list(found)[:_MAX_CANDIDATES]


def _compact(value: str) -> str:
    return "".join(_TOKEN.findall(value))


def _names_surname(text: str, surname: str) -> bool:
    words = _TOKEN.findall(fold(surname))
    if not words or sum(len(w) for w in words) < 2:
        return False
    pattern = r"(?<![A-Z0-9])" + r"[^A-Z0-9]+".join(map(re.escape, words)) + r"(?![A-Z0-9])"
    return re.search(pattern, text) is not None
