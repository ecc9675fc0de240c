"""The audit log as a manager reads it: a sentence per action kind with the names a
manager knows, field-level before/after, transactions as one entry, filters by patient
and booking reference, and the CSV and PDF exports of the filtered rows."""

from __future__ import annotations

import ast
import datetime as dt
import io
import re
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from mic_desktop.db import Database
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.admin.audit_names import AppointmentName, AuditNames, short_name
from mic_desktop.services.admin.audit_sentences import (
    SENTENCES,
    FieldChange,
    field_changes,
    sentence,
)
from mic_desktop.services.admin.audit_transactions import group_by_transaction
from mic_desktop.services.admin.audit_viewer import AuditLogService, AuditQuery
from mic_desktop.services.admin.staff import StaffService
from mic_desktop.services.scheduling.booking import BookingRequest, BookingService
from mic_desktop.services.scheduling.cancellation import ManagerAuthorisation
from tests.conftest import TEST_PASSWORD
from tests.reception_setup import FakeClock, at, build_clinic, register

THURSDAY = dt.date(2026, 12, 3)
SERVICES = Path(__file__).resolve().parent.parent / "mic_desktop" / "services"


@pytest.fixture
def booked(database: Database, staff: dict[str, StaffAccount]):  # type: ignore[no-untyped-def]
    """Clever Manyika's CT head on Thu 3 Dec 10:05, cancelled late at 08:00 that day
    with Nomsa Ndlovu's authorisation; a second patient's chest X-ray stays booked."""
    clinic = build_clinic(database, staff)
    StaffService(database.session_factory, actor=None, workstation="office").add(
        "nndlovu", "Nomsa Ndlovu", "manager", TEST_PASSWORD, must_change_password=False
    )
    clock = FakeClock(at(THURSDAY, 7))
    clever = register(database, staff["reception"], "Clever", "Manyika")
    other = register(database, staff["reception"], "Rudo", "Chari")
    desk = BookingService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    ct = desk.book(BookingRequest(clever.id, clinic.ct_head, clinic.ct_room, at(THURSDAY, 10, 5)))
    xray = desk.book(BookingRequest(other.id, clinic.chest_xray, clinic.xray_room, at(THURSDAY, 9)))
    clock.now = at(THURSDAY, 8)
    desk.cancel(ct.id, ct.version, "patient unwell", ManagerAuthorisation("nndlovu", TEST_PASSWORD))
    viewer = AuditLogService(database.session_factory, actor=staff["manager"], workstation="office")
    return SimpleNamespace(viewer=viewer, ct=ct, xray=xray, clever=clever, other=other)


def test_the_late_cancellation_reads_as_the_manager_says_it(booked) -> None:  # type: ignore[no-untyped-def]
    entry = booked.viewer.search(AuditQuery(action="appointment_cancelled")).entries[0]
    assert entry.sentence == (
        f"Cancelled {booked.ct.reference} (Clever Manyika, CT head, Thu 3 Dec 10:05)"
        " — late, authorised by N. Ndlovu: patient unwell"
    )
    assert entry.person == "Test Reception" and entry.workstation == "desk-1"
    assert entry.details["authorised_by"] == "nndlovu"  # the raw JSON stays for the details view
    assert '"reason": "patient unwell"' in entry.details_pretty
    booking = booked.viewer.search(AuditQuery(action="appointment_booked")).entries[-1]
    assert (
        booking.sentence
        == f"Booked {booked.ct.reference} (Clever Manyika, CT head, Thu 3 Dec 10:05)"
    )


def test_filters_by_patient_and_booking_reference(booked) -> None:  # type: ignore[no-untyped-def]
    viewer = booked.viewer
    by_name = viewer.search(AuditQuery(patient="manyika"))
    assert {e.action for e in by_name.entries} == {
        "patient_registered",
        "appointment_booked",
        "appointment_cancelled",
    }
    by_mrn = viewer.search(AuditQuery(patient=booked.other.mrn))
    assert {e.action for e in by_mrn.entries} == {"patient_registered", "appointment_booked"}
    by_reference = viewer.search(AuditQuery(reference=booked.ct.reference.lower()))
    assert [e.action for e in by_reference.entries] == [
        "appointment_cancelled",
        "appointment_booked",
    ]
    assert viewer.search(AuditQuery(patient="%")).total == 0  # a wildcard is a character
    both = viewer.search(AuditQuery(patient="Chari", reference=booked.ct.reference))
    assert both.total == 0


def test_exports_of_the_filtered_rows(booked) -> None:  # type: ignore[no-untyped-def]
    viewer = booked.viewer
    query = AuditQuery(reference=booked.ct.reference)
    csv_text = viewer.export_csv(query)
    assert csv_text.count("\r\n") == 3  # header and two entries
    assert "late, authorised by N. Ndlovu: patient unwell" in csv_text
    pdf = viewer.export_pdf(query)
    text = " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    assert "Audit log" in text and "2 entries" in text
    assert "late, authorised by N. Ndlovu: patient unwell" in text
    assert "Test Reception" in text and "desk-1" in text
    assert "Rudo Chari" not in text
    exports = viewer.search(AuditQuery(action="audit_log_exported")).entries
    assert [e.details["format"] for e in exports] == ["pdf", "csv"]
    assert exports[0].sentence == "Exported 2 audit log entries"


def test_an_edit_shows_its_fields_before_and_after(
    booked, database: Database, staff: dict[str, StaffAccount]
) -> None:  # type: ignore[no-untyped-def]
    from mic_desktop.services.patients.details import PatientInput
    from mic_desktop.services.patients.registry import PatientService

    service = PatientService(database.session_factory, staff["reception"], "desk-2")
    patient = booked.clever
    data = PatientInput(
        first_name="Clever", last_name="Manyika-Moyo", date_of_birth=dt.date(1985, 4, 12)
    )
    service.update(patient.id, data, patient.version, allow_duplicate=True)
    entry = booked.viewer.search(AuditQuery(action="patient_updated")).entries[0]
    assert FieldChange("Last name", "Manyika", "Manyika-Moyo") in entry.changes
    assert entry.sentence.startswith(
        f"Changed the details of Clever Manyika-Moyo (MRN {patient.mrn}):"
    )
    assert "last name" in entry.sentence


# -- a sentence for every action the services write ---------------------------------------

CT_HEAD = AppointmentName(
    "A0004919",
    "Clever Manyika",
    "CT head",
    dt.datetime(2026, 12, 3, 10, 5, tzinfo=ZoneInfo("Africa/Harare")),
)
NAMES = AuditNames(
    ZoneInfo("Africa/Harare"),
    appointments={"7": CT_HEAD},
    references={"A0004919": CT_HEAD},
    patients={"5": "Clever Manyika (MRN 000123)"},
    staff={"3": "Nomsa Ndlovu"},
    usernames={"nndlovu": "Nomsa Ndlovu"},
    payments={"9": "Clever Manyika"},
    reports={"11": "7"},
)
APPOINTMENT = "A0004919 (Clever Manyika, CT head, Thu 3 Dec 10:05)"

# action -> (entity, entity id, details, the sentence)
EXAMPLES: dict[str, tuple[str | None, str | None, dict, str]] = {
    "appointment_booked": ("appointment", "7", {}, f"Booked {APPOINTMENT}"),
    "appointment_booked_from_waitlist": (
        "appointment",
        "7",
        {},
        f"Booked {APPOINTMENT} from the waiting list",
    ),
    "appointment_rescheduled": (
        "appointment",
        "7",
        {"from": "2026-12-03T08:05:00+00:00", "to": "2026-12-04T07:00:00+00:00"},
        f"Moved {APPOINTMENT} from Thu 3 Dec 10:05 to Fri 4 Dec 09:00",
    ),
    "appointment_cancelled": (
        "appointment",
        "7",
        {"reason": "patient unwell", "late": True, "authorised_by": "nndlovu"},
        f"Cancelled {APPOINTMENT} — late, authorised by N. Ndlovu: patient unwell",
    ),
    "appointment_confirmed": ("appointment", "7", {}, f"Confirmed {APPOINTMENT}"),
    "appointment_checked_in": ("appointment", "7", {}, f"Checked in {APPOINTMENT}"),
    "appointment_no_show": ("appointment", "7", {}, f"Marked {APPOINTMENT} as a no-show"),
    "scan_started": ("appointment", "7", {}, f"Started the scan of {APPOINTMENT}"),
    "scan_completed": ("appointment", "7", {}, f"Completed the scan of {APPOINTMENT}"),
    "referral_letter_attached": (
        "appointment",
        "7",
        {"file": "letter.pdf"},
        f"Attached the referral letter letter.pdf to {APPOINTMENT}",
    ),
    "waitlist_added": ("patient", "5", {}, "Put Clever Manyika (MRN 000123) on the waiting list"),
    "waitlist_removed": (
        "patient",
        "5",
        {},
        "Took Clever Manyika (MRN 000123) off the waiting list",
    ),
    "waitlist_slot_offered": (
        "waitlist_entry",
        "2",
        {},
        "Offered a freed slot to the waiting list: #2",
    ),
    "patient_registered": ("patient", "5", {}, "Registered Clever Manyika (MRN 000123)"),
    "patient_updated": (
        "patient",
        "5",
        {"changes": {"phone": ["+263 77 1", "+263 77 2"]}},
        "Changed the details of Clever Manyika (MRN 000123): phone",
    ),
    "patient_sms_opt_out": ("patient", "5", {}, "Clever Manyika (MRN 000123) opted out of SMS"),
    "patient_sms_opt_in": ("patient", "5", {}, "Clever Manyika (MRN 000123) opted in to SMS again"),
    "feedback_submitted": (
        "patient_feedback",
        "1",
        {"appointment_id": 7},
        f"Recorded the patient's feedback on {APPOINTMENT}",
    ),
    "sms_reply_received": (
        "sms_reply",
        "1",
        {"action": "confirm"},
        "Received an SMS reply: confirm",
    ),
    "sms_reply_read": ("sms_reply", "1", {}, "Marked an SMS reply as read"),
    "payment_received": (
        "payment",
        "9",
        {"receipt": "R000001", "amount": "150.00", "method": "mobile_money"},
        "Took 150.00 by mobile money from Clever Manyika, receipt R000001",
    ),
    "payment_refunded": (
        "payment",
        "9",
        {"receipt": "R000002", "amount": "-20.00", "reason": "overcharged"},
        "Refunded 20.00 to Clever Manyika, receipt R000002: overcharged",
    ),
    "claim_submitted": (
        "medical_aid_claim",
        "1",
        {"appointment": "A0004919", "claimed": "120.00"},
        f"Submitted a medical-aid claim of 120.00 for {APPOINTMENT}",
    ),
    "medical_aid_claim": (
        "medical_aid_claim",
        "1",
        {"settled": "100.00", "shortfall": "20.00"},
        "Recorded the medical aid's answer: paid 100.00, shortfall 20.00",
    ),
    "report_claimed": ("report", "11", {}, f"Took the report of {APPOINTMENT} to write"),
    "report_released": ("report", "11", {}, f"Gave back the report of {APPOINTMENT}"),
    "report_draft_saved": ("report", "11", {}, f"Saved a draft report for {APPOINTMENT}"),
    "report_finalised": ("report", "11", {}, f"Finalised and signed the report of {APPOINTMENT}"),
    "report_reviewed": ("report", "11", {}, f"Marked the report of {APPOINTMENT} as reviewed"),
    "report_addendum_added": (
        "report",
        "11",
        {},
        f"Added an addendum to the report of {APPOINTMENT}",
    ),
    "report_pdf_attached": (
        "report",
        "11",
        {"filename": "ct.pdf"},
        f"Attached the report PDF ct.pdf to {APPOINTMENT}",
    ),
    "report_pdf_detached": ("report", "11", {}, f"Removed the report PDF from {APPOINTMENT}"),
    "report_pdf_identity_confirmed": (
        "report",
        "11",
        {},
        f"Confirmed that the report PDF names the patient of {APPOINTMENT}",
    ),
    "critical_finding_flagged": (
        "report",
        "11",
        {},
        f"Flagged a critical finding on {APPOINTMENT}",
    ),
    "critical_finding_acknowledged": (
        "report",
        "11",
        {},
        f"Recorded that the referrer was told of the critical finding on {APPOINTMENT}",
    ),
    "login": ("staff_user", "3", {}, "Logged in"),
    "logout": ("staff_user", "3", {}, "Logged out"),
    "login_failed": ("staff_user", None, {}, "Failed login as nndlovu"),
    "login_refused_disabled": (
        "staff_user",
        "3",
        {},
        "Login refused: the account nndlovu is disabled",
    ),
    "login_refused_locked": ("staff_user", "3", {}, "Login refused: the account nndlovu is locked"),
    "account_locked": ("staff_user", "3", {}, "Locked the account nndlovu after failed logins"),
    "unlock": ("staff_user", "3", {}, "Unlocked the screen"),
    "unlock_failed": ("staff_user", "3", {}, "Failed to unlock the screen (wrong password)"),
    "authorisation_given": ("staff_user", "3", {"role": "manager"}, "Authorised as manager"),
    "authorisation_failed": (
        "staff_user",
        "3",
        {"role": "manager"},
        "Failed to authorise as manager",
    ),
    "password_changed": ("staff_user", "3", {}, "Changed their own password"),
    "password_reset": ("staff_user", "3", {}, "Set a new password for Nomsa Ndlovu"),
    "staff_added": (
        "staff_user",
        "3",
        {"role": "manager"},
        "Added the staff account Nomsa Ndlovu (manager)",
    ),
    "staff_details_changed": (
        "staff_user",
        "3",
        {"before": {"full_name": "Nomsa Dube"}},
        "Changed the name or title of Nomsa Ndlovu",
    ),
    "staff_disabled": ("staff_user", "3", {}, "Disabled the account of Nomsa Ndlovu"),
    "staff_enabled": ("staff_user", "3", {}, "Enabled the account of Nomsa Ndlovu"),
    "staff_role_changed": (
        "staff_user",
        "3",
        {"from": "reception", "to": "manager"},
        "Changed the role of Nomsa Ndlovu from reception to manager",
    ),
    "radiologist_availability_changed": (
        "staff_user",
        "3",
        {"radiologist": "Dr Ann Adams"},
        "Changed the weekly hours of Dr Ann Adams",
    ),
    "radiologist_leave_added": (
        "staff_user",
        "3",
        {"radiologist": "Dr Ann Adams"},
        "Added leave for Dr Ann Adams",
    ),
    "radiologist_leave_removed": (
        "staff_user",
        "3",
        {"radiologist": "Dr Ann Adams"},
        "Removed leave of Dr Ann Adams",
    ),
    "clinic_settings_changed": (
        "clinic_settings",
        "1",
        {"currency": {"from": "USD", "to": "ZAR"}},
        "Changed the clinic settings: currency",
    ),
    "clinic_logo_changed": (
        "clinic_settings",
        "1",
        {},
        "Changed the logo on the clinic's documents",
    ),
    "backup_schedule_changed": (
        "clinic_settings",
        "1",
        {"backup_keep": {"from": 7, "to": 14}},
        "Changed the daily backup: backup keep",
    ),
    "modality_added": ("modality", "1", {"code": "CT"}, "Added the modality CT"),
    "modality_changed": (
        "modality",
        "1",
        {"name": {"from": "CT", "to": "Computed tomography"}},
        "Changed the modality #1: name",
    ),
    "room_added": ("room", "1", {"name": "CT 1"}, "Added the room CT 1"),
    "room_changed": (
        "room",
        "1",
        {"name": {"from": "CT 1", "to": "CT A"}},
        "Changed the room #1: name",
    ),
    "room_opening_hours_changed": (
        "room",
        "1",
        {"name": "CT 1"},
        "Changed the opening hours of CT 1",
    ),
    "scan_type_added": (
        "scan_type",
        "1",
        {"name": "CT head", "price": "150.00"},
        "Added the scan type CT head at 150.00",
    ),
    "scan_type_changed": (
        "scan_type",
        "1",
        {"duration_minutes": {"from": "30", "to": "25"}},
        "Changed the scan type #1: duration minutes",
    ),
    "scan_type_price_changed": (
        "scan_type",
        "1",
        {"code": "CT-HEAD", "from": "150.00", "to": "160.00"},
        "Changed the price of CT-HEAD from 150.00 to 160.00",
    ),
    "closure_added": ("closure", "1", {"name": "Christmas"}, "Added the closure Christmas"),
    "closure_removed": ("closure", "1", {"name": "Christmas"}, "Removed the closure Christmas"),
    "public_holidays_added": (
        "closure",
        None,
        {"country": "ZW", "days": ["a", "b"]},
        "Added 2 public holidays (ZW)",
    ),
    "medical_aid_scheme_added": (
        "medical_aid_scheme",
        "1",
        {"name": "CIMAS"},
        "Added the medical aid CIMAS",
    ),
    "medical_aid_scheme_changed": (
        "medical_aid_scheme",
        "1",
        {"name": "CIMAS"},
        "Changed the medical aid CIMAS",
    ),
    "medical_aid_plan_added": (
        "medical_aid_plan",
        "1",
        {"plan": "CIMAS Gold"},
        "Added the medical-aid plan CIMAS Gold",
    ),
    "medical_aid_plan_changed": (
        "medical_aid_plan",
        "1",
        {"plan": "CIMAS Gold", "default_coverage_percent": {"from": "80", "to": "85"}},
        "Changed the plan CIMAS Gold: default coverage percent",
    ),
    "coverage_rule_added": (
        "coverage_rule",
        "1",
        {"plan": "CIMAS Gold"},
        "Added a cover rule to CIMAS Gold",
    ),
    "coverage_rule_changed": (
        "coverage_rule",
        "1",
        {"plan": "CIMAS Gold"},
        "Changed a cover rule of CIMAS Gold",
    ),
    "coverage_rule_removed": (
        "coverage_rule",
        "1",
        {"plan": "CIMAS Gold"},
        "Removed a cover rule of CIMAS Gold",
    ),
    "referring_doctor_added": (
        "referring_doctor",
        "1",
        {"name": "Dr Moyo"},
        "Added the referring doctor Dr Moyo",
    ),
    "notification_template_saved": (
        "notification_template",
        "1",
        {"template": "reminder"},
        "Saved the message template reminder",
    ),
    "message_resent": ("outbox_message", "4", {}, "Sent a message again (#4)"),
    "test_message_sent": (
        "messaging",
        None,
        {"channel": "sms", "to": "+263771"},
        "Sent a test sms to +263771",
    ),
    "test_message_failed": (
        "messaging",
        None,
        {"channel": "email", "to": "a@b.zw", "result": "refused"},
        "A test email to a@b.zw failed: refused",
    ),
    "dicom_device_added": ("dicom_device", "1", {"name": "CT-1"}, "Added the scanner CT-1 (DICOM)"),
    "dicom_device_removed": (
        "dicom_device",
        "1",
        {"name": "CT-1"},
        "Removed the scanner CT-1 (DICOM)",
    ),
    "dicom_settings_changed": (
        "clinic_settings",
        "1",
        {"port": {"from": 104, "to": 11112}},
        "Changed the DICOM settings: port",
    ),
    "dicom_mpps_refused": (
        "dicom_device",
        "1",
        {"reason": "unknown accession"},
        "A scanner's report was refused: unknown accession",
    ),
    "audit_log_exported": ("audit_log", None, {"rows": 12}, "Exported 12 audit log entries"),
    "demo_data_loaded": (None, None, {}, "Loaded the demo clinic"),
}


@pytest.mark.parametrize("action", sorted(EXAMPLES))
def test_each_action_kind_reads_as_a_sentence(action: str) -> None:
    entity, entity_id, details, expected = EXAMPLES[action]
    assert sentence(action, entity, entity_id, details, NAMES, "nndlovu") == expected


def test_every_action_the_services_write_has_a_sentence() -> None:
    """Every action string passed to the audit writers in mic_desktop/services (found by
    reading the source) has a sentence of its own and an example above."""
    writers = {"_audit", "record", "_audit_change", "_move", "_changed"}
    found: set[str] = set()
    for path in SERVICES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", "")
            )
            if name not in writers:
                continue
            for argument in node.args[:4]:
                for part in ast.walk(argument):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        found.add(part.value)
    actions = {
        value for value in found if re.fullmatch(r"[a-z]+(_[a-z]+)+|login|logout|unlock", value)
    }
    actions -= NOT_ACTIONS
    assert actions - set(SENTENCES) == set(), "actions without a sentence"
    assert set(SENTENCES) - set(EXAMPLES) == set(), "sentences without an example"


# Entity names and detail keys passed to the same writers (not actions).
NOT_ACTIONS = {
    "audit_log", "clinic_settings", "critical_finding", "dicom_device", "document_id",
    "identity_check", "medical_aid_claim_entity", "medical_aid_plan", "medical_aid_scheme",
    "must_change", "notifications_queued", "saved_despite_duplicates", "scan_type",
    "signed_name", "size_bytes", "sms_reply", "staff_user", "start_at", "typed_text",
    "waitlist_entry",
}  # fmt: skip


def test_an_unknown_action_still_reads_as_words() -> None:
    text = sentence("room_painted", "room", "4", {"colour": "blue"}, NAMES)
    assert text == "Room painted (room 4)"
    assert short_name("Dr Tinashe Mutasa") == "T. Mutasa" and short_name("Chipo") == "Chipo"


def test_field_changes_in_every_shape() -> None:
    trigger = {"before": {"phone": "1", "email": None}, "after": {"phone": "2", "email": "a@b"}}
    assert field_changes(trigger) == (
        FieldChange("Phone", "1", "2"),
        FieldChange("Email", "—", "a@b"),
    )
    assert field_changes({"is_active": {"from": True, "to": False}}) == (
        FieldChange("Is active", "yes", "no"),
    )
    assert field_changes({"mrn": "1", "changes": {"last_name": ["A", "B"]}}) == (
        FieldChange("Last name", "A", "B"),
    )
    assert field_changes({"reason": "x"}) == ()


# -- a transaction as one entry -------------------------------------------------------------


def _row(id: int, txid: int | None, action: str, entity: str, key: str, details: dict):  # type: ignore[no-untyped-def]
    return SimpleNamespace(
        id=id, txid=txid, action=action, entity=entity, entity_id=key, details=details
    )


def test_a_service_row_and_its_trigger_rows_read_as_one_entry() -> None:
    rows = [
        _row(5, 900, "patient_updated", "patient", "12", {"mrn": "000012"}),
        _row(6, 900, "row.update", "patient", "12",
             {"before": {"phone": "+263771"}, "after": {"phone": "+263772"}}),
        _row(7, 901, "row.update", "scan_type", "3",
             {"before": {"price": "150.00"}, "after": {"price": "1.00"}}),
        _row(8, None, "login", "staff_user", "2", {}),
        _row(9, 902, "row.insert", "payment", "44", {"after": {"amount": "10.00"}}),
        _row(10, 902, "row.insert", "receipt_counter", "1", {"after": {"value": 7}}),
    ]  # fmt: skip
    entries = group_by_transaction(rows)
    assert [e.first_row.id for e in entries] == [5, 7, 8, 9]
    edit, outside, login, two_tables = entries
    assert not edit.outside_the_program
    assert edit.changes == (FieldChange("Phone", "+263771", "+263772"),)
    assert outside.outside_the_program
    assert outside.outside_sentence == "Changed outside the program: scan_type 3"
    assert outside.changes == (FieldChange("Price", "150.00", "1.00"),)
    assert login.trigger_rows == () and login.changes == ()
    assert two_tables.outside_sentence == (
        "Changed outside the program: payment 44, receipt_counter 1"
    )
    assert two_tables.changes == (
        FieldChange("payment.Amount", "—", "10.00"),
        FieldChange("receipt_counter.Value", "—", "7"),
    )
    assert sentence("row.update", "scan_type", "3", {}, NAMES) == (
        "Changed outside the program: scan_type 3"
    )
