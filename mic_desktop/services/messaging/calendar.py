"""The appointment as a calendar event (RFC 5545, ``icalendar``) for the patient's e-mail.

The event's UID is made from the appointment's reference and the clinic, so it
stays the same for the appointment's life: a move sends it again with a higher
SEQUENCE (``appointment.calendar_sequence``, raised by every move), a cancellation
sends ``METHOD:CANCEL``, and the patient's calendar updates the one event. Times
are UTC; the location is the clinic's name, address and the room; the
description carries the preparation instructions.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from mic_desktop.models import Appointment, AppointmentStatus
from mic_desktop.services.messaging.email import Attachment
from mic_desktop.services.messaging.templates import clinic_or_blank

PRODID = "-//MIC Desktop//Appointments//EN"


def event_uid(appointment: Appointment, clinic_email: str) -> str:
    domain = clinic_email.rpartition("@")[2] or "mic-desktop.invalid"
    return f"appointment-{appointment.reference}@{domain}"


def appointment_ics(session: Session, appointment: Appointment, now: dt.datetime) -> bytes:
    """The event as it stands: cancelled appointments give ``METHOD:CANCEL``."""
    from icalendar import Calendar, Event, vCalAddress, vText  # loaded when one is sent

    clinic = clinic_or_blank(session)
    cancelled = appointment.status in (
        AppointmentStatus.CANCELLED.value,
        AppointmentStatus.NO_SHOW.value,
    )
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", event_uid(appointment, clinic.email))
    # A cancellation outranks every version of the event sent before it.
    event.add("sequence", appointment.calendar_sequence + (1 if cancelled else 0))
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", appointment.start_at.astimezone(dt.UTC))
    event.add("dtend", appointment.end_at.astimezone(dt.UTC))
    scan = appointment.scan_type
    event.add("summary", f"{scan.name} at {clinic.name}".strip())
    place = [clinic.name, " ".join(clinic.address.split()), appointment.room.name]
    event.add("location", ", ".join(part for part in place if part))
    description = [f"Booking reference {appointment.reference}."]
    if scan.preparation:
        description.append(f"Preparation: {scan.preparation}")
    if clinic.phone:
        description.append(f"To change it call {clinic.phone}.")
    event.add("description", "\n".join(description))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if clinic.email:
        organizer = vCalAddress(f"mailto:{clinic.email}")
        organizer.params["cn"] = vText(clinic.name)
        event.add("organizer", organizer)
    patient = appointment.patient
    if patient.email:
        attendee = vCalAddress(f"mailto:{patient.email}")
        attendee.params["cn"] = vText(patient.full_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical()


def calendar_attachment(session: Session, appointment_id: int, now: dt.datetime) -> Attachment:
    appointment = session.get(Appointment, appointment_id)
    assert appointment is not None
    return Attachment(
        f"appointment-{appointment.reference}.ics",
        appointment_ics(session, appointment, now),
        "text/calendar",
    )
