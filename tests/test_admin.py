"""The manager's administration: staff, catalogue and prices, rooms, radiologists'
schedules, medical aids, clinic settings and the audit log viewer.

Real PostgreSQL; races are real threads with their own sessions; NOTIFYs are heard
on a separate LISTEN connection, as another desk would.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import psycopg
import pytest
from PIL import Image
from sqlalchemy import URL, select

from mic_desktop.db import Database
from mic_desktop.models import (
    Appointment,
    AuditLog,
    Modality,
    Patient,
    Role,
    Room,
    ScanTypePrice,
    StaffUser,
)
from mic_desktop.services.accounts.auth import AuthService, StaffAccount
from mic_desktop.services.admin.audit_viewer import AuditLogService, AuditQuery
from mic_desktop.services.admin.catalogue import FacilityAdminService, ScanTypeDraft
from mic_desktop.services.admin.clinic_settings import ClinicSettingsService
from mic_desktop.services.admin.medical_aid import (
    MedicalAidAdminService,
    RuleDraft,
    SchemeDraft,
)
from mic_desktop.services.admin.staff import LastManagerError, StaffService
from mic_desktop.services.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    StaleRecordError,
    ValidationError,
)
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.scheduling.availability import RadiologistScheduleService, WeeklyPeriod
from mic_desktop.services.scheduling.rooms import OpeningPeriod
from tests.conftest import TEST_PASSWORD
from tests.fixed_time import CLINIC_ZONE


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@contextmanager
def heard(db_url: URL, channel: LiveChannel) -> Iterator[Callable[[], list[str]]]:
    """Payloads NOTIFYed on ``channel`` while the block runs, as another desk hears them."""
    conninfo = db_url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"LISTEN {channel.value}")
        payloads: list[str] = []

        def collect() -> list[str]:
            payloads.extend(n.payload for n in conn.notifies(timeout=0.5))
            return payloads

        yield collect


def _actions(database: Database, entity: str | None = None) -> list[str]:
    with database.session() as session:
        query = select(AuditLog.action).order_by(AuditLog.id)
        if entity:
            query = query.where(AuditLog.entity == entity)
        return list(session.scalars(query))


@pytest.fixture
def manager(staff: dict[str, StaffAccount]) -> StaffAccount:
    return staff["manager"]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def facilities(database: Database, manager: StaffAccount, clock: Clock) -> FacilityAdminService:
    return FacilityAdminService(
        database.session_factory, actor=manager, workstation="office", clock=clock
    )


@pytest.fixture
def xray(database: Database) -> int:
    with database.session() as session:
        modality = Modality(code="XR", name="X-ray")
        session.add(modality)
        session.flush()
        return modality.id


# -- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "service",
    [
        StaffService,
        FacilityAdminService,
        RadiologistScheduleService,
        MedicalAidAdminService,
        ClinicSettingsService,
        AuditLogService,
    ],
)
def test_only_a_manager_administers(
    database: Database, staff: dict[str, StaffAccount], service: type
) -> None:
    for role in ("reception", "radiologist"):
        with pytest.raises(PermissionDeniedError, match="practice manager"):
            service(database.session_factory, actor=staff[role], workstation="desk-1")
    service(database.session_factory, actor=staff["manager"], workstation="office")


# -- staff ----------------------------------------------------------------------------------


def test_a_reset_password_must_be_changed_at_the_next_login(
    database: Database, db_url: URL, manager: StaffAccount
) -> None:
    service = StaffService(database.session_factory, actor=manager, workstation="office")
    with heard(db_url, LiveChannel.STAFF) as payloads:
        service.reset_password("reception1", "temporary-pass-1")
        staff_id = next(s.id for s in service.list_staff() if s.username == "reception1")
        assert payloads() == [str(staff_id)]
    account = AuthService(database.session_factory, "desk-1").login(
        "reception1", "temporary-pass-1"
    )
    assert account.must_change_password
    with database.session() as session:
        row = session.scalars(
            select(AuditLog).where(AuditLog.action == "password_reset").order_by(AuditLog.id.desc())
        ).first()
        assert row is not None
        assert (row.username, row.workstation, row.details["must_change"]) == (
            "manager1",
            "office",
            True,
        )


def test_staff_details_refuse_a_stale_copy(database: Database, manager: StaffAccount) -> None:
    service = StaffService(database.session_factory, actor=manager, workstation="office")
    listing = next(s for s in service.list_staff() if s.username == "radiologist1")
    changed = service.update_details(
        "radiologist1",
        full_name="Dr Rufaro Moyo",
        professional_title="MBChB, MMed Radiology",
        expected_version=listing.version,
    )
    assert (changed.full_name, changed.version) == ("Dr Rufaro Moyo", listing.version + 1)
    with pytest.raises(StaleRecordError, match="changed by manager1"):
        service.update_details(
            "radiologist1", full_name="Someone", professional_title=None,
            expected_version=listing.version,
        )  # fmt: skip


def test_two_managers_cannot_disable_each_other_at_once(
    database: Database, manager: StaffAccount
) -> None:
    """With two managers left, two desks disabling "the other one" leave one active."""
    StaffService(database.session_factory, actor=manager, workstation="office").add(
        "manager2", "Second Manager", Role.MANAGER, TEST_PASSWORD
    )
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def disable(target: str) -> None:
        service = StaffService(database.session_factory, actor=None, workstation=f"pc-{target}")
        barrier.wait()
        try:
            service.disable(target)
            outcomes[target] = "disabled"
        except LastManagerError:
            outcomes[target] = "refused"

    threads = [threading.Thread(target=disable, args=(name,)) for name in ("manager1", "manager2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["disabled", "refused"]
    with database.session() as session:
        active = session.scalars(
            select(StaffUser.username).where(StaffUser.role == "manager", StaffUser.is_active)
        ).all()
    assert len(active) == 1


# -- scan types and prices --------------------------------------------------------------


def test_a_price_change_keeps_history_and_booked_prices(
    database: Database, db_url: URL, facilities: FacilityAdminService, xray: int, clock: Clock,
    manager: StaffAccount,
) -> None:  # fmt: skip
    chest = facilities.add_scan_type(
        ScanTypeDraft(code="xrch", name="X-ray chest", modality_id=xray, duration_minutes=15),
        "50.00",
    )
    assert (chest.code, chest.price, chest.modality) == ("XRCH", Decimal("50.00"), "XR")
    with database.session() as session:
        room = Room(name="X-ray 1", modality_id=xray)
        patient = Patient(first_name="Ana", last_name="Dube", date_of_birth=dt.date(1990, 5, 1))
        session.add_all([room, patient])
        session.flush()
        booked = Appointment(
            reference="A1", patient_id=patient.id, scan_type_id=chest.id, room_id=room.id,
            start_at=clock.now + dt.timedelta(days=3),
            end_at=clock.now + dt.timedelta(days=3, minutes=15),
            price=chest.price, patient_copay=chest.price,
        )  # fmt: skip
        session.add(booked)
        session.flush()
        booked_id = booked.id

    clock.now += dt.timedelta(days=1)
    with heard(db_url, LiveChannel.CATALOGUE) as payloads:
        dearer = facilities.change_price(chest.id, "65.50", expected_version=chest.version)
        assert payloads() == [f"scan_type:{chest.id}"]
    assert (dearer.price, dearer.version) == (Decimal("65.50"), chest.version + 1)
    history = facilities.price_history(chest.id)
    assert [(h.price, h.valid_from, h.changed_by) for h in history] == [
        (Decimal("65.50"), clock.now, manager.full_name),
        (Decimal("50.00"), clock.now - dt.timedelta(days=1), manager.full_name),
    ]
    with database.session() as session:
        assert session.get(Appointment, booked_id).price == Decimal("50.00")  # as booked
        assert session.scalar(select(ScanTypePrice.id).where(ScanTypePrice.price == 65.5))
    assert _actions(database, "scan_type") == ["scan_type_added", "scan_type_price_changed"]

    with pytest.raises(StaleRecordError, match="The price of X-ray chest was changed by manager1"):
        facilities.change_price(chest.id, "70.00", expected_version=chest.version)
    with pytest.raises(ValidationError, match="already costs"):
        facilities.change_price(chest.id, "65.5", expected_version=dearer.version)
    for wrong, message in (("-1", "negative"), ("12.345", "two decimals"), ("abc", "amount")):
        with pytest.raises(ValidationError, match=message) as error:
            facilities.change_price(chest.id, wrong, expected_version=dearer.version)
        assert error.value.field == "price"
    assert len(facilities.price_history(chest.id)) == 2  # nothing half-written


def test_scan_type_rules(facilities: FacilityAdminService, xray: int) -> None:
    draft = ScanTypeDraft(code="XRCH", name="X-ray chest", modality_id=xray, duration_minutes=15)
    chest = facilities.add_scan_type(draft, "50")
    with pytest.raises(ValidationError, match="taken") as error:
        facilities.add_scan_type(draft, "50")
    assert error.value.field == "code"
    with pytest.raises(ValidationError, match="between 5 and 480"):
        facilities.add_scan_type(
            ScanTypeDraft(code="XRK", name="Knee", modality_id=xray, duration_minutes=0), "1"
        )
    renamed = facilities.update_scan_type(
        chest.id,
        ScanTypeDraft(
            code="XRCH", name="X-ray chest PA", modality_id=xray, duration_minutes=20,
            requires_preauthorisation=True,
        ),
        expected_version=chest.version,
    )  # fmt: skip
    assert (renamed.name, renamed.duration_minutes, renamed.price) == (
        "X-ray chest PA", 20, Decimal("50.00"))  # fmt: skip
    assert [s.name for s in facilities.scan_types()] == ["X-ray chest PA"]


# -- rooms ----------------------------------------------------------------------------------


def test_opening_hours_replace_the_week_and_are_checked(
    facilities: FacilityAdminService, xray: int
) -> None:
    room = facilities.add_room("X-ray 1", xray, sort_order=1)
    week = [OpeningPeriod(day, dt.time(8), dt.time(12)) for day in range(5)]
    week += [OpeningPeriod(day, dt.time(13), dt.time(17)) for day in range(5)]
    opened = facilities.set_opening_hours(room.id, week, expected_version=room.version)
    assert opened.open_minutes_per_week == 5 * 8 * 60
    assert opened.version == room.version + 1
    with pytest.raises(StaleRecordError):
        facilities.set_opening_hours(room.id, week[:1], expected_version=room.version)
    with pytest.raises(ValidationError, match="overlap on Monday"):
        facilities.set_opening_hours(
            room.id, [*week, OpeningPeriod(0, dt.time(11), dt.time(14))],
            expected_version=opened.version,
        )  # fmt: skip
    with pytest.raises(ValidationError, match="closes before it opens"):
        facilities.set_opening_hours(
            room.id, [OpeningPeriod(5, dt.time(12), dt.time(9))], expected_version=opened.version
        )
    saturday = facilities.set_opening_hours(
        room.id, [OpeningPeriod(5, dt.time(8), dt.time(12))], expected_version=opened.version
    )
    assert saturday.opening_hours == (OpeningPeriod(5, dt.time(8), dt.time(12)),)
    with pytest.raises(ValidationError, match="already a room called x-ray 1"):
        facilities.add_room("x-ray 1", xray)


def test_a_room_with_bookings_ahead_stays_open(
    database: Database, facilities: FacilityAdminService, xray: int, clock: Clock
) -> None:
    room = facilities.add_room("X-ray 1", xray)
    chest = facilities.add_scan_type(
        ScanTypeDraft(code="XRCH", name="X-ray chest", modality_id=xray, duration_minutes=15), "50"
    )
    with database.session() as session:
        patient = Patient(first_name="Ana", last_name="Dube", date_of_birth=dt.date(1990, 5, 1))
        session.add(patient)
        session.flush()
        start = dt.datetime(2026, 11, 24, 9, 30, tzinfo=CLINIC_ZONE)
        session.add(
            Appointment(
                reference="A1", patient_id=patient.id, scan_type_id=chest.id, room_id=room.id,
                start_at=start, end_at=start + dt.timedelta(minutes=15), price=chest.price,
                patient_copay=chest.price,
            )
        )  # fmt: skip
    with pytest.raises(ValidationError, match=r"1 booking ahead .*Tue 24 Nov 2026 09:30"):
        facilities.update_room(
            room.id, name="X-ray 1", modality_id=xray, is_active=False, sort_order=0,
            expected_version=room.version,
        )  # fmt: skip
    clock.now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    closed = facilities.update_room(
        room.id, name="X-ray 1 (old)", modality_id=xray, is_active=False, sort_order=0,
        expected_version=room.version,
    )  # fmt: skip
    assert (closed.name, closed.is_active) == ("X-ray 1 (old)", False)


# -- radiologists -----------------------------------------------------------------------------


def test_availability_and_leave(
    database: Database, db_url: URL, staff: dict[str, StaffAccount], manager: StaffAccount,
    clock: Clock,
) -> None:  # fmt: skip
    service = RadiologistScheduleService(
        database.session_factory, actor=manager, workstation="office", clock=clock
    )
    doctor = staff["radiologist"].id
    week = [WeeklyPeriod(day, dt.time(8), dt.time(16)) for day in range(5)]
    with heard(db_url, LiveChannel.SCHEDULE) as payloads:
        schedule = service.set_availability(doctor, week)
        assert payloads() == [str(doctor)]
    assert schedule.availability == tuple(week)
    with pytest.raises(ValidationError, match="overlap on Friday"):
        service.set_availability(doctor, [*week, WeeklyPeriod(4, dt.time(15), dt.time(18))])
    with pytest.raises(NotFoundError):
        service.set_availability(staff["reception"].id, week)

    first = dt.datetime(2026, 12, 1, tzinfo=CLINIC_ZONE)
    leave = service.add_leave(doctor, first, first + dt.timedelta(days=7), "Conference")
    assert leave.affected_appointments == 0
    with pytest.raises(ValidationError, match="already on leave from Tue 1 Dec 2026 00:00"):
        service.add_leave(doctor, first + dt.timedelta(days=6), first + dt.timedelta(days=9))
    with pytest.raises(ValidationError, match="ends before it starts"):
        service.add_leave(doctor, first, first - dt.timedelta(hours=1))
    assert [item.reason for item in service.schedule(doctor).leave] == ["Conference"]
    service.remove_leave(leave.id)
    assert service.schedule(doctor).leave == ()
    assert _actions(database, "staff_user")[-3:] == [
        "radiologist_availability_changed", "radiologist_leave_added",
        "radiologist_leave_removed",
    ]  # fmt: skip


# -- medical aids -----------------------------------------------------------------------------


@pytest.fixture
def aid(database: Database, manager: StaffAccount) -> MedicalAidAdminService:
    return MedicalAidAdminService(database.session_factory, actor=manager, workstation="office")


def test_coverage_rules_are_validated(
    aid: MedicalAidAdminService, facilities: FacilityAdminService, xray: int
) -> None:
    chest = facilities.add_scan_type(
        ScanTypeDraft(code="XRCH", name="X-ray chest", modality_id=xray, duration_minutes=15), "50"
    )
    scheme = aid.add_scheme(SchemeDraft("CIMAS", "cim", "+263 242 700 000", "claims@cimas.example"))
    assert scheme.code == "CIM"
    plan = aid.add_plan(scheme.id, "Gold", "80")
    for percent, cap, message, field in (
        ("101", None, "between 0 and 100", "coverage_percent"),
        ("-5", None, "between 0 and 100", "coverage_percent"),
        ("12.345", None, "two decimals", "coverage_percent"),
        ("eighty", None, "not a number", "coverage_percent"),
        ("80", "-1", "cannot be negative", "cap_amount"),
    ):
        with pytest.raises(ValidationError, match=message) as error:
            aid.add_rule(plan.id, RuleDraft(chest.id, percent, cap), expected_version=plan.version)
        assert error.value.field == field
    ruled = aid.add_rule(
        plan.id, RuleDraft(chest.id, "90 %", "100.00", True), expected_version=plan.version
    )
    (rule,) = ruled.rules
    assert (rule.coverage_percent, rule.cap_amount, rule.requires_preauthorisation) == (
        Decimal("90.00"), Decimal("100.00"), True)  # fmt: skip
    assert ruled.version == plan.version + 1
    with pytest.raises(ValidationError, match="already has a rule for X-ray chest"):
        aid.add_rule(plan.id, RuleDraft(chest.id, "50"), expected_version=ruled.version)
    with pytest.raises(StaleRecordError, match="CIMAS Gold was changed by manager1"):
        aid.update_rule(rule.id, RuleDraft(chest.id, "70"), expected_version=plan.version)
    capped = aid.update_rule(
        rule.id, RuleDraft(chest.id, "70", "0"), expected_version=ruled.version
    )
    assert capped.rules[0].cap_amount == Decimal("0.00")  # a zero cap: not covered
    emptied = aid.remove_rule(rule.id, expected_version=capped.version)
    assert emptied.rules == ()
    with pytest.raises(ValidationError, match="already has a plan called gold"):
        aid.add_plan(scheme.id, "gold")
    with pytest.raises(ValidationError, match="not valid") as error:
        aid.add_scheme(SchemeDraft("PSMAS", "PSM", None, "not-an-address"))
    assert error.value.field == "claims_email"
    [listed] = aid.schemes()
    assert (listed.name, [p.name for p in listed.plans]) == ("CIMAS", ["Gold"])


def test_two_desks_adding_the_same_rule_get_one_rule(
    database: Database, aid: MedicalAidAdminService, facilities: FacilityAdminService, xray: int,
    manager: StaffAccount,
) -> None:  # fmt: skip
    chest = facilities.add_scan_type(
        ScanTypeDraft(code="XRCH", name="X-ray chest", modality_id=xray, duration_minutes=15), "50"
    )
    plan = aid.add_plan(aid.add_scheme(SchemeDraft("CIMAS", "CIM")).id, "Gold")
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def add(percent: str) -> None:
        service = MedicalAidAdminService(
            database.session_factory, actor=manager, workstation=f"pc-{percent}"
        )
        barrier.wait()
        try:
            service.add_rule(plan.id, RuleDraft(chest.id, percent), expected_version=plan.version)
        except (StaleRecordError, ValidationError) as error:
            errors.append(error)

    threads = [threading.Thread(target=add, args=(p,)) for p in ("60", "70")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1 and isinstance(errors[0], StaleRecordError)
    assert len(aid.schemes()[0].plans[0].rules) == 1


# -- clinic settings --------------------------------------------------------------------------


def _png(size: tuple[int, int] = (120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#2f6fa8").save(buffer, format="PNG")
    return buffer.getvalue()


def test_clinic_settings(database: Database, db_url: URL, manager: StaffAccount) -> None:
    service = ClinicSettingsService(database.session_factory, actor=manager, workstation="office")
    current = service.load()
    form = current.form
    new = form.__class__(
        **{**vars(form), "name": "Harare Imaging", "phone": "0242 700 123", "currency": "zar",
           "time_zone": "Africa/Johannesburg", "reminder_offsets_hours": (2, 24, 24),
           "late_cancellation_hours": 12}
    )  # fmt: skip
    with heard(db_url, LiveChannel.SETTINGS) as payloads:
        saved = service.update(new, expected_version=current.version)
        assert payloads() == ["clinic"]
    assert (saved.form.name, saved.form.phone, saved.form.currency) == (
        "Harare Imaging", "+263242700123", "ZAR")  # fmt: skip
    assert saved.form.reminder_offsets_hours == (24, 2)
    assert saved.version == current.version + 1
    with database.session() as session:
        change = session.scalars(
            select(AuditLog.details).where(AuditLog.action == "clinic_settings_changed")
        ).one()
    assert change["time_zone"] == {"from": CLINIC_ZONE.key, "to": "Africa/Johannesburg"}
    assert change["late_cancellation_hours"] == {"from": 24, "to": 12}

    with pytest.raises(StaleRecordError, match="The clinic's setup was changed by manager1"):
        service.update(new, expected_version=current.version)
    for changes, field in (
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"currency": "US"}, "currency"),
        ({"quiet_hours_end": form.quiet_hours_start}, "quiet_hours_end"),
        ({"reminder_offsets_hours": (200,)}, "reminder_offsets_hours"),
        ({"idle_lock_minutes": 0}, "idle_lock_minutes"),
        ({"report_pdf_max_mb": 500}, "report_pdf_max_mb"),
        ({"phone": "12"}, "phone"),
        ({"name": "  "}, "name"),
    ):
        with pytest.raises(ValidationError) as error:
            service.update(
                form.__class__(**{**vars(form), **changes}), expected_version=saved.version
            )
        assert error.value.field == field, changes

    with pytest.raises(ValidationError, match="must be a PNG"):
        service.set_logo(b"GIF89a...", expected_version=saved.version)
    with pytest.raises(ValidationError, match="damaged"):
        service.set_logo(_png()[:40], expected_version=saved.version)
    with_logo = service.set_logo(_png(), expected_version=saved.version)
    assert with_logo.logo_png == _png()
    assert service.set_logo(None, expected_version=with_logo.version).logo_png is None


# -- audit log viewer -------------------------------------------------------------------------


def test_the_audit_log_viewer_filters_pages_and_exports(
    database: Database, staff: dict[str, StaffAccount], manager: StaffAccount
) -> None:
    auth = AuthService(database.session_factory, "desk-1")
    for _ in range(3):
        auth.login("reception1", TEST_PASSWORD)
    with pytest.raises(AuthenticationError):
        auth.login("=cmd|' /C calc'!A0", "wrong-password")
    staff_service = StaffService(database.session_factory, actor=manager, workstation="office")
    staff_service.disable("reception1")
    viewer = AuditLogService(database.session_factory, actor=manager, workstation="office")

    logins = viewer.search(AuditQuery(staff_id=staff["reception"].id, action="login"), page_size=2)
    assert (logins.total, logins.pages, len(logins.entries)) == (3, 2, 2)
    second = viewer.search(AuditQuery(staff_id=staff["reception"].id, action="login"), page=1,
                           page_size=2)  # fmt: skip
    assert len(second.entries) == 1
    ids = [e.id for e in logins.entries + second.entries]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert all(e.person == "Test Reception" and e.workstation == "desk-1" for e in logins.entries)

    record = viewer.search(AuditQuery(entity="staff_user", entity_id=str(staff["reception"].id)))
    assert record.entries[0].action == "staff_disabled"
    assert record.entries[0].details["username"] == "reception1"
    assert "login_failed" in viewer.actions()
    assert "staff_user" in viewer.entities()
    unknown = viewer.search(AuditQuery(username="=cmd|' /C calc'!A0"))
    assert [e.action for e in unknown.entries] == ["login_failed"]

    today = viewer.search(AuditQuery()).entries[0].at.date()  # stamped by the server's clock
    assert viewer.search(AuditQuery(first_day=today, last_day=today)).total >= 6
    assert viewer.search(AuditQuery(last_day=today - dt.timedelta(days=1))).total == 0
    with pytest.raises(ValidationError, match="before the first"):
        viewer.search(AuditQuery(first_day=today, last_day=today - dt.timedelta(days=1)))

    rows = list(csv.reader(io.StringIO(viewer.export_csv(AuditQuery(action="login_failed")))))
    assert rows[0] == [
        "When", "Person", "Username", "Action", "Record", "Record id", "Details", "Workstation",
        "What", "Changes",
    ]  # fmt: skip
    assert len(rows) == 2
    assert rows[1][1].startswith("'=cmd") and rows[1][2].startswith("'=cmd")
    assert rows[1][8] == "Failed login as =cmd|' /C calc'!A0"  # no leading "=": not a formula
    exported = viewer.search(AuditQuery(action="audit_log_exported")).entries[0]
    assert exported.details == {"rows": 1, "format": "csv", "filter": {"action": "login_failed"}}
