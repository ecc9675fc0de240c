"""A small clinic for the reception tests: rooms, hours, scans, plans, a radiologist.

Times are the clinic's (Africa/Harare, UTC+2, the default setting, unless
``MIC_TEST_CLINIC_ZONE`` names another: tests/fixed_time.py). The tests run on Monday
23 November 2026 unless they move the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import update

from mic_desktop.db import Database
from mic_desktop.models import (
    ClinicSettings,
    CoverageRule,
    MedicalAidPlan,
    MedicalAidScheme,
    Modality,
    RadiologistAvailability,
    Room,
    RoomOpeningHours,
    ScanType,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.patients.details import PatientDetails, PatientInput
from mic_desktop.services.patients.registry import PatientService
from mic_desktop.services.scheduling.booking import BookingRequest, BookingService
from tests.fixed_time import CLINIC_ZONE

ZONE = CLINIC_ZONE
MONDAY = dt.date(2026, 11, 23)
CT_PREPARATION = "Do not eat for 4 hours before the scan. Drink water as usual."


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """``day`` at ``hour:minute`` in the clinic, as a UTC instant."""
    return dt.datetime.combine(day, dt.time(hour, minute), ZONE).astimezone(dt.UTC)


class FakeClock:
    """A clock the test sets by hand (time is an input of the rules, not a mock)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass(frozen=True)
class Clinic:
    xray_room: int
    ct_room: int
    ct_room_2: int
    chest_xray: int  # 15 minutes, USD 50.00, X-ray (no radiologist on site)
    ct_head: int  # 30 minutes, USD 150.00, CT (radiologist on site)
    percent_plan: int  # 80 % of CT head, no cap
    capped_plan: int  # 90 % of CT head up to USD 100.00, pre-authorisation
    uncovered_plan: int  # no rule, default 0 %
    default_plan: int  # no rule, default 50 %
    radiologist: StaffAccount


def build_clinic(database: Database, staff: dict[str, StaffAccount]) -> Clinic:
    """Rooms open Monday-Friday (X-ray 08:00-12:00, CT 08:00-17:00), the radiologist
    works Monday-Friday 08:00-16:00."""
    radiologist = staff["radiologist"]
    with database.session() as session:
        session.execute(
            update(ClinicSettings).values(
                name="Harare Imaging Centre",
                address="12 Samora Machel Avenue\nHarare",
                phone="+263 24 270 0000",
                email="desk@harare-imaging.test",
            )
        )
        xray = Modality(code="XR", name="X-ray", needs_radiologist_on_site=False)
        ct = Modality(code="CT", name="CT", needs_radiologist_on_site=True)
        session.add_all([xray, ct])
        session.flush()
        xray_room = Room(name="X-ray 1", modality_id=xray.id, sort_order=1)
        ct_room = Room(name="CT 1", modality_id=ct.id, sort_order=2)
        ct_room_2 = Room(name="CT 2", modality_id=ct.id, sort_order=3)
        session.add_all([xray_room, ct_room, ct_room_2])
        session.flush()
        for weekday in range(5):
            session.add_all(
                [
                    RoomOpeningHours(
                        room_id=xray_room.id,
                        weekday=weekday,
                        opens_at=dt.time(8),
                        closes_at=dt.time(12),
                    ),
                    RoomOpeningHours(
                        room_id=ct_room.id,
                        weekday=weekday,
                        opens_at=dt.time(8),
                        closes_at=dt.time(17),
                    ),
                    RoomOpeningHours(
                        room_id=ct_room_2.id,
                        weekday=weekday,
                        opens_at=dt.time(8),
                        closes_at=dt.time(17),
                    ),
                    RadiologistAvailability(
                        radiologist_id=radiologist.id,
                        weekday=weekday,
                        starts_at=dt.time(8),
                        ends_at=dt.time(16),
                    ),
                ]
            )
        chest = ScanType(
            code="XR-CHEST",
            name="X-ray chest",
            modality_id=xray.id,
            duration_minutes=15,
            price=Decimal("50.00"),
            preparation="Remove jewellery from the neck and chest.",
        )
        head = ScanType(
            code="CT-HEAD",
            name="CT head",
            modality_id=ct.id,
            duration_minutes=30,
            price=Decimal("150.00"),
            preparation=CT_PREPARATION,
        )
        session.add_all([chest, head])
        scheme = MedicalAidScheme(name="CIMAS", code="CIMAS")
        session.add(scheme)
        session.flush()
        plans = {
            name: MedicalAidPlan(scheme_id=scheme.id, name=name, default_coverage_percent=percent)
            for name, percent in (
                ("Percent", Decimal(0)),
                ("Capped", Decimal(0)),
                ("Uncovered", Decimal(0)),
                ("Default", Decimal(50)),
            )
        }
        session.add_all(plans.values())
        session.flush()
        session.add_all(
            [
                CoverageRule(
                    plan_id=plans["Percent"].id, scan_type_id=head.id, coverage_percent=Decimal(80)
                ),
                CoverageRule(
                    plan_id=plans["Capped"].id,
                    scan_type_id=head.id,
                    coverage_percent=Decimal(90),
                    cap_amount=Decimal("100.00"),
                    requires_preauthorisation=True,
                ),
            ]
        )
        session.flush()
        return Clinic(
            xray_room=xray_room.id,
            ct_room=ct_room.id,
            ct_room_2=ct_room_2.id,
            chest_xray=chest.id,
            ct_head=head.id,
            percent_plan=plans["Percent"].id,
            capped_plan=plans["Capped"].id,
            uncovered_plan=plans["Uncovered"].id,
            default_plan=plans["Default"].id,
            radiologist=radiologist,
        )


def register(
    database: Database,
    actor: StaffAccount,
    first_name: str = "Tendai",
    last_name: str = "Moyo",
    *,
    born: dt.date = dt.date(1985, 4, 12),
    **fields: object,
) -> PatientDetails:
    service = PatientService(database.session_factory, actor, "desk-1")
    data = PatientInput(first_name=first_name, last_name=last_name, date_of_birth=born, **fields)
    return service.register(data, allow_duplicate=True)


def book(
    database: Database,
    actor: StaffAccount,
    clock: FakeClock,
    patient_id: int,
    scan_type_id: int,
    room_id: int,
    start_at: dt.datetime,
    **fields: object,
):  # type: ignore[no-untyped-def]
    service = BookingService(database.session_factory, actor, "desk-1", clock=clock)
    return service.book(
        BookingRequest(
            patient_id=patient_id,
            scan_type_id=scan_type_id,
            room_id=room_id,
            start_at=start_at,
            **fields,  # type: ignore[arg-type]
        )
    )
