"""The demo clinic's patients: who they are, where they live, how to reach them.

Names, ages and sexes in the clinic's mix, Harare-area addresses, national ids, unique
phone numbers (shared with the referring doctors) and e-mail addresses, medical-aid
membership; and the ``patient`` rows once the visits have been simulated.
"""

from __future__ import annotations

import datetime as dt
import itertools

from mic_desktop.services.demo import catalogue as cat
from mic_desktop.services.demo.shape import AGE_BANDS, FEMALE_SHARE
from mic_desktop.services.demo.state import DemoClinic, SimPatient

_MOBILE_PREFIXES = [prefix for prefix, _ in cat.MOBILE_PREFIXES]
_MOBILE_CUM = list(itertools.accumulate(weight for _, weight in cat.MOBILE_PREFIXES))


def mobile_number(clinic: DemoClinic) -> str:
    """A Zimbabwean mobile number not handed out before (patients and doctors)."""
    rng = clinic.rng
    prefix = rng.choices(_MOBILE_PREFIXES, cum_weights=_MOBILE_CUM)[0]
    while True:
        number = f"+263{prefix}{rng.randint(2000000, 9999999)}"
        if number not in clinic.used_phones:
            clinic.used_phones.add(number)
            return number


def new_patient(clinic: DemoClinic, patient_id: int, day: dt.date) -> SimPatient:
    """A new patient first seen on ``day``: age, sex, address, contacts and medical aid."""
    rng = clinic.rng
    female = rng.random() < FEMALE_SHARE
    band = rng.choices(range(len(AGE_BANDS)), cum_weights=clinic.age_cum)[0]
    low, high = AGE_BANDS[band]
    date_of_birth = day - dt.timedelta(days=rng.randint(low * 365 + 1, high * 365 + 364))
    first = rng.choice(cat.FEMALE_FIRST_NAMES if female else cat.MALE_FIRST_NAMES)
    last = rng.choices(clinic.surnames, cum_weights=clinic.surname_cum)[0]
    town = rng.choices(cat.TOWNS, cum_weights=clinic.town_cum)[0]
    address = (
        f"{rng.randint(1, 240)} {rng.choice(town.streets)}, {rng.choice(town.suburbs)}, {town.name}"
    )
    national_id = None
    if low >= 16 and rng.random() < 0.96:
        while national_id is None or national_id in clinic.used_ids:
            serial = str(rng.randint(100000, 9999999))
            letter = cat.ID_CHECK_LETTERS[int(town.id_office + serial) % 23]
            district = rng.choice(cat.ID_DISTRICTS)
            national_id = f"{town.id_office}-{serial} {letter} {district}"
        clinic.used_ids.add(national_id)
    phone = mobile_number(clinic) if rng.random() < 0.96 else None
    email = None
    if rng.random() < (0.0, 0.45, 0.42, 0.3, 0.12)[band]:
        suffix = str(rng.randint(1, 99)) if rng.random() < 0.5 else ""
        local = f"{first}.{last}{suffix}".lower()
        email = f"{local}@{rng.choice(cat.EMAIL_DOMAINS)}"
        while email in clinic.used_emails:
            email = f"{local}{rng.randint(100, 999)}@{rng.choice(cat.EMAIL_DOMAINS)}"
        clinic.used_emails.add(email)
    plan = member_number = None
    if rng.random() < 0.6:
        plan = clinic.plans[rng.choices(range(len(clinic.plans)), cum_weights=clinic.plan_cum)[0]]
        scheme = plan.scheme
        number = rng.randint(10 ** (scheme.member_digits - 1), 10**scheme.member_digits - 1)
        dependant = rng.randint(1, 4) if band == 0 else rng.choice((0, 0, 0, 1))
        member_number = f"{scheme.member_prefix}{number}-{dependant:02d}"
    return SimPatient(
        patient_id,
        first,
        last,
        date_of_birth,
        "F" if female else "M",
        band,
        national_id,
        phone,
        email,
        address,
        plan,
        member_number,
        rng.random() > 0.06,
        rng.random() > 0.12,
    )


def build_patient_rows(clinic: DemoClinic) -> None:
    """The ``patient`` rows; medical record numbers follow the ids."""
    patients = [
        (
            p.id,
            f"MIC{clinic.mrn_base + p.id}",
            p.first_name,
            p.last_name,
            p.date_of_birth,
            p.sex,
            p.national_id,
            p.phone,
            p.email,
            p.address,
            p.plan.id if p.plan else None,
            p.member_number,
            p.sms_opt_in,
            p.email_opt_in,
            p.created_at,
            p.created_at,
            None,
            1,
        )
        for p in clinic.patients
    ]
    clinic.rows["patient"] = patients
