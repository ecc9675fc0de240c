"""The waitlist: freed slots offered by SMS one patient at a time; the first YES books it."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace
from decimal import Decimal

import pytest
from inbound_fakes import InboundTwilio
from notification_fakes import ACCOUNT_SID, AUTH_TOKEN, SENDER
from sqlalchemy import func, select

from mic_desktop.db import Database
from mic_desktop.models import (
    Appointment,
    FreedSlot,
    OutboxMessage,
    TimeOfDay,
    WaitlistEntry,
    WaitlistOffer,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.admin.clinic_settings import ClinicSettingsService
from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.analytics.reply_queries import ReplyAnalytics
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.messaging.replies import ReplyFetcher
from mic_desktop.services.messaging.sms import TwilioSms
from mic_desktop.services.scheduling.booking import BookingService
from mic_desktop.services.scheduling.waitlist import WaitlistService
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, book, build_clinic, register

TUESDAY = MONDAY + dt.timedelta(days=1)
FRIDAY = MONDAY + dt.timedelta(days=4)


@pytest.fixture
def clinic(database: Database, staff: dict[str, StaffAccount]) -> Clinic:
    return build_clinic(database, staff)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(MONDAY, 9))


@pytest.fixture
def twilio(clock: FakeClock) -> InboundTwilio:
    return InboundTwilio(clock=clock)


@pytest.fixture
def waitlist(
    database: Database, staff: dict[str, StaffAccount], clock: FakeClock
) -> WaitlistService:
    return WaitlistService(database.session_factory, staff["reception"], "desk-1", clock)


def fetcher(database: Database, twilio: InboundTwilio, clock: FakeClock, pc: str) -> ReplyFetcher:
    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, http_client=twilio)
    return ReplyFetcher(database.session_factory, workstation=pc, sms=sms, clock=clock)


def offers(database: Database) -> list[tuple[str, str]]:
    """(patient's first name, offer status) in the order offered."""
    with database.session() as session:
        rows = session.scalars(select(WaitlistOffer).order_by(WaitlistOffer.id)).all()
        return [
            (session.get(WaitlistEntry, row.entry_id).patient.first_name, row.status)  # type: ignore[union-attr]
            for row in rows
        ]


def offer_texts(database: Database) -> list[tuple[str, str]]:
    with database.session() as session:
        return list(
            session.execute(
                select(OutboxMessage.recipient, OutboxMessage.body)
                .where(OutboxMessage.kind.in_(("waitlist_offer", "waitlist_taken")))
                .order_by(OutboxMessage.id)
            ).all()
        )


def waitlisted(
    database: Database,
    staff: dict[str, StaffAccount],
    waitlist: WaitlistService,
    clinic: Clinic,
    name: str,
    phone: str,
    *,
    priority: int = 2,
    earliest: dt.date = MONDAY,
    latest: dt.date = FRIDAY,
    time_of_day: TimeOfDay = TimeOfDay.ANY,
) -> int:
    patient = register(database, staff["reception"], name, "Dube", phone=phone)
    return waitlist.add(
        patient.id, clinic.ct_head, earliest, latest, time_of_day=time_of_day, priority=priority
    ).id


def free_tuesday_slot(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock
) -> Appointment:
    owner = register(database, staff["reception"], "Chipo", "Banda", phone="+263772000000")
    booked = book(
        database, staff["reception"], clock, owner.id, clinic.ct_head, clinic.ct_room,
        at(TUESDAY, 10),
    )  # fmt: skip
    desk = BookingService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    return desk.cancel(booked.id, booked.version)  # a day ahead: no authorisation


def test_the_waitlist_reads_by_priority_then_age_and_checks_its_input(
    database: Database,
    staff: dict[str, StaffAccount],
    clinic: Clinic,
    clock: FakeClock,
    waitlist: WaitlistService,
) -> None:
    waitlisted(database, staff, waitlist, clinic, "Anesu", "+263771000001")
    clock.now += dt.timedelta(minutes=5)
    waitlisted(database, staff, waitlist, clinic, "Blessing", "+263771000002", priority=1)
    clock.now += dt.timedelta(minutes=5)
    waitlisted(database, staff, waitlist, clinic, "Farai", "+263771000003", priority=3)
    assert [line.patient_name.split()[0] for line in waitlist.waiting()] == [
        "Blessing",
        "Anesu",
        "Farai",
    ]
    patient = register(database, staff["reception"], "Kuda", "Dube")
    with pytest.raises(ValidationError, match="on or after the earliest"):
        waitlist.add(patient.id, clinic.ct_head, FRIDAY, MONDAY)
    with pytest.raises(ValidationError, match="already passed"):
        waitlist.add(
            patient.id, clinic.ct_head, MONDAY - dt.timedelta(days=9), MONDAY - dt.timedelta(days=2)
        )
    first = waitlist.waiting()[0]
    waitlist.remove(first.id, first.version)
    assert len(waitlist.waiting()) == 2


def test_a_freed_slot_is_offered_in_order_with_the_clinics_timeout(
    database: Database,
    staff: dict[str, StaffAccount],
    clinic: Clinic,
    clock: FakeClock,
    twilio: InboundTwilio,
    waitlist: WaitlistService,
) -> None:
    settings = ClinicSettingsService(
        database.session_factory, actor=staff["manager"], workstation="m"
    )
    info = settings.load()
    with pytest.raises(ValidationError, match="5 to 1440 minutes"):
        settings.update(replace(info.form, waitlist_offer_minutes=2), expected_version=info.version)
    settings.update(replace(info.form, waitlist_offer_minutes=20), expected_version=info.version)
    waitlisted(database, staff, waitlist, clinic, "Anesu", "+263771000001")
    clock.now += dt.timedelta(minutes=1)
    waitlisted(database, staff, waitlist, clinic, "Blessing", "+263771000002", priority=1)
    clock.now += dt.timedelta(minutes=1)
    waitlisted(  # wants afternoons: the 10:00 slot does not fit
        database, staff, waitlist, clinic, "Chiedza", "+263771000003",
        priority=1, time_of_day=TimeOfDay.AFTERNOON,
    )  # fmt: skip
    waitlisted(  # only from Wednesday
        database, staff, waitlist, clinic, "Dudzai", "+263771000004",
        earliest=MONDAY + dt.timedelta(days=2),
    )  # fmt: skip
    clock.now += dt.timedelta(minutes=1)
    waitlisted(database, staff, waitlist, clinic, "Eve", "+263771000005")
    free_tuesday_slot(database, staff, clinic, clock)
    pc = fetcher(database, twilio, clock, "desk-1")

    assert pc.advance_offers().offered == 1
    assert offers(database) == [("Blessing", "offered")]
    ((to, text),) = offer_texts(database)
    assert to == "+263771000002"
    assert text.startswith("Blessing, a CT slot opened Tue 24 Nov 10:00 for your CT head.")
    assert "Reply YES within 20 min to take it." in text

    clock.now += dt.timedelta(minutes=19)
    assert pc.advance_offers().offered == 0  # still waiting for Blessing
    clock.now += dt.timedelta(minutes=2)
    round_ = pc.advance_offers()
    assert (round_.expired, round_.offered) == (1, 1)
    assert offers(database) == [("Blessing", "expired"), ("Anesu", "offered")]

    twilio.receive("+263771000001", "yes", clock.now)
    clock.now += dt.timedelta(minutes=1)
    assert pc.fetch_replies().actions == {"offer_taken": 1}
    with database.session() as session:
        booked = session.scalars(
            select(Appointment).where(
                Appointment.start_at == at(TUESDAY, 10), Appointment.status == "confirmed"
            )
        ).one()
        assert booked.patient.first_name == "Anesu" and booked.room_id == clinic.ct_room
        slot = session.scalars(select(FreedSlot)).one()
        assert (slot.status, slot.filled_appointment_id) == ("filled", booked.id)
    assert [line.patient_name.split()[0] for line in waitlist.waiting()] == [
        "Blessing",
        "Chiedza",
        "Dudzai",
        "Eve",
    ]

    # Blessing's late YES: sorry, and she stays on the list.
    twilio.receive("+263771000002", "YES", clock.now)
    clock.now += dt.timedelta(minutes=1)
    assert pc.fetch_replies().actions == {"offer_too_late": 1}
    assert offer_texts(database)[-1][1].startswith("Sorry, that slot has been taken")
    assert offers(database) == [("Blessing", "too_late"), ("Anesu", "accepted")]
    assert "Blessing Dube" in [line.patient_name for line in waitlist.waiting()]

    # The attendance tab: one slot refilled, its charge recovered.
    analytics = ReplyAnalytics(database.session_factory, actor=staff["manager"], clock=clock)
    figures = analytics.figures(Period.custom(MONDAY, FRIDAY))
    assert (figures.slots_refilled, figures.revenue_recovered) == (1, Decimal("150.00"))
    assert figures.revenue_label == "USD 150.00"
    assert analytics.figures(Period.custom(MONDAY, MONDAY)).slots_refilled == 0


def test_two_yes_replies_racing_for_one_slot_book_it_once(
    database: Database,
    staff: dict[str, StaffAccount],
    clinic: Clinic,
    clock: FakeClock,
    twilio: InboundTwilio,
    waitlist: WaitlistService,
) -> None:
    waitlisted(database, staff, waitlist, clinic, "Anesu", "+263771000001")
    clock.now += dt.timedelta(minutes=1)
    waitlisted(database, staff, waitlist, clinic, "Blessing", "+263771000002")
    free_tuesday_slot(database, staff, clinic, clock)
    one, two = (fetcher(database, twilio, clock, pc) for pc in ("pc-1", "pc-2"))
    one.advance_offers()
    clock.now += dt.timedelta(minutes=31)
    one.advance_offers()  # Anesu's offer expired; Blessing is asked
    assert offers(database) == [("Anesu", "expired"), ("Blessing", "offered")]
    # Both answer YES at once; each PC picks up one of the replies.
    barrier = threading.Barrier(2)
    results: list[object] = []
    from mic_desktop.services.messaging.sms import InboundSms

    def answer(pc: ReplyFetcher, phone: str, sid: str) -> None:
        reply = InboundSms(sid, phone, SENDER, "YES", clock.now)
        barrier.wait()
        try:
            results.append(pc.store(reply))
        except Exception as exc:  # pragma: no cover - shown by the assertion
            results.append(exc)

    threads = [
        threading.Thread(target=answer, args=(one, "+263771000001", "SMrace1")),
        threading.Thread(target=answer, args=(two, "+263771000002", "SMrace2")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == ["offer_taken", "offer_too_late"], results  # type: ignore[type-var]
    with database.session() as session:
        assert (
            session.scalar(
                select(func.count()).where(
                    Appointment.start_at == at(TUESDAY, 10),
                    Appointment.status.not_in(("cancelled", "no_show")),
                )
            )
            == 1
        )
        statuses = sorted(session.scalars(select(WaitlistOffer.status)).all())
        assert statuses == ["accepted", "too_late"]
    assert offer_texts(database)[-1][1].startswith("Sorry, that slot has been taken")


def test_reception_offers_a_free_time_by_hand(
    database: Database,
    staff: dict[str, StaffAccount],
    clinic: Clinic,
    clock: FakeClock,
    waitlist: WaitlistService,
) -> None:
    entry = waitlisted(database, staff, waitlist, clinic, "Anesu", "+263771000001")
    line = waitlist.waiting()[0]
    with pytest.raises(ValidationError, match="does not do"):
        waitlist.offer_by_hand(entry, line.version, clinic.xray_room, at(TUESDAY, 11))
    offered = waitlist.offer_by_hand(entry, line.version, clinic.ct_room_2, at(TUESDAY, 11))
    assert offered.offer_status == "offered" and offered.offer_start_at == at(TUESDAY, 11)
    assert offer_texts(database)[0][0] == "+263771000001"
