"""Money in the demo clinic: medical-aid claims and the payments at the desk.

Claims of completed visits with medical-aid cover (submitted, settled in full or short,
rejected as the claims service does), co-payments on the day or later, shortfalls paid
after a settlement, and the odd double payment refunded; with card, EFT and mobile-money
references and the cash tendered.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from decimal import Decimal
from typing import Any

from mic_desktop.models import AppointmentStatus, ClaimStatus, PaymentMethod
from mic_desktop.services.demo import catalogue as cat
from mic_desktop.services.demo.shape import CENT, PAYMENT_METHODS, random_minutes, round_cents
from mic_desktop.services.demo.state import DemoClinic, Row, SimVisit, needs_preauthorisation

_ARRIVED = AppointmentStatus.ARRIVED.value
_CHECKED_IN = frozenset(
    (
        AppointmentStatus.ARRIVED.value,
        AppointmentStatus.IN_PROGRESS.value,
        AppointmentStatus.COMPLETED.value,
    )
)
_METHODS = [method for method, _ in PAYMENT_METHODS]
_METHOD_CUM = list(itertools.accumulate(weight for _, weight in PAYMENT_METHODS))
_LATER_METHOD_CUM = list(itertools.accumulate((15, 15, 40, 30)))  # balances: more EFT


def build_money(clinic: DemoClinic) -> None:
    """Medical-aid claims of completed visits, then the payments and refunds at the desk."""
    rng = clinic.rng
    now = clinic.now
    claims: list[Row] = []
    shortfalls: list[tuple[SimVisit, Decimal, dt.datetime]] = []
    for visit in clinic.visits:
        plan = visit.patient.plan
        if visit.status != AppointmentStatus.COMPLETED.value or plan is None or visit.cover <= 0:
            continue
        completed = visit.events[-1][1]
        submitted = completed + random_minutes(rng, 20, 300)
        if submitted > now:
            continue
        decided = submitted + dt.timedelta(days=rng.uniform(12, 55))
        decided = decided.replace(microsecond=0)
        no_preauth = needs_preauthorisation(plan, visit.scan, visit.cover) and not visit.preauth
        draw = rng.random()
        settled: Decimal | None = None
        settled_at: dt.datetime | None = None
        shortfall = Decimal("0.00")
        notes = None
        if decided > now:
            status = ClaimStatus.SUBMITTED.value
        elif no_preauth or draw < 0.025:
            # As PaymentService.reject_claim: nothing paid, the patient owes it all.
            status = ClaimStatus.REJECTED.value
            settled, settled_at, shortfall = Decimal("0.00"), decided, visit.cover
            notes = cat.CLAIM_NO_PREAUTH_NOTE
            if not no_preauth:
                notes = rng.choice(cat.CLAIM_REJECTION_NOTES)
        elif draw < 0.175:
            status = ClaimStatus.SETTLED.value
            settled = round_cents(visit.cover * Decimal(str(round(rng.uniform(0.55, 0.92), 3))))
            settled_at, shortfall = decided, visit.cover - settled
            notes = rng.choice(cat.CLAIM_SHORT_PAID_NOTES)
        else:
            status = ClaimStatus.SETTLED.value
            settled, settled_at = visit.cover, decided
        if shortfall > 0 and settled_at is not None:
            shortfalls.append((visit, shortfall, settled_at))
        claims.append(
            (
                0,
                visit.id,
                plan.id,
                visit.patient.member_number,
                visit.cover,
                status,
                submitted,
                settled,
                settled_at,
                shortfall,
                notes,
                1 if status == ClaimStatus.SUBMITTED.value else 2,
            )
        )
    claims.sort(key=lambda row: (row[6], row[1]))
    clinic.rows["medical_aid_claim"] = [(n, *row[1:]) for n, row in enumerate(claims, 1)]

    # Payments: (received_at, order, patient, visit, method, amount, refund of, reason)
    payments: list[list[Any]] = []

    def pay(visit: SimVisit, amount: Decimal, at: dt.datetime, later: bool = False) -> None:
        if at > now or amount <= 0:
            return
        weights = _LATER_METHOD_CUM if later else _METHOD_CUM
        method = rng.choices(_METHODS, cum_weights=weights)[0]
        payments.append([at, len(payments), visit, method, amount, None, None])

    for visit in clinic.visits:
        if visit.copay <= 0 or visit.status not in _CHECKED_IN:
            continue
        arrived = next(at for status, at, _, _ in visit.events if status == _ARRIVED)
        at_desk = arrived + random_minutes(rng, 1, 6)
        later = at_desk + dt.timedelta(days=rng.uniform(2, 30))
        draw = rng.random()
        if draw < 0.03:  # nothing paid on the day
            if rng.random() < 0.5:
                pay(visit, visit.copay, later, later=True)
        elif draw < 0.075 and visit.copay > 10:
            part = Decimal(max(5, int(float(visit.copay) * rng.uniform(0.3, 0.7)) // 5 * 5))
            pay(visit, part, at_desk)
            if rng.random() < 0.75:
                pay(visit, visit.copay - part, later, later=True)
        else:
            pay(visit, visit.copay, at_desk)
    for visit, shortfall, settled_at in shortfalls:
        if rng.random() < 0.55:
            pay(visit, shortfall, settled_at + dt.timedelta(days=rng.uniform(3, 40)), True)
    for first in list(payments):
        # Now and then a visit is paid twice; the second payment is refunded.
        if rng.random() < 0.006:
            twice = first[0] + random_minutes(rng, 2, 90)
            refunded = twice + dt.timedelta(days=rng.uniform(1, 10))
            if refunded <= now:
                method = rng.choice(_METHODS)
                duplicate = [twice, len(payments), first[2], method, first[4], None, None]
                payments.append(duplicate)
                reason = rng.choice(cat.REFUND_REASONS)
                payments.append(
                    [refunded, len(payments), first[2], method, -first[4], duplicate, reason]
                )
    payments.sort(key=lambda p: (p[0], p[1]))
    rows: list[Row] = []
    ids: dict[int, int] = {}
    for number, (at, order, visit, method, amount, refund_of, reason) in enumerate(payments, 1):
        at = at.replace(microsecond=0)
        ids[order] = number
        clerk = clinic.receptionist()
        rows.append(
            (
                number,
                f"R{number:07d}",
                visit.patient.id,
                visit.id,
                method,
                amount,
                _tendered(clinic, amount) if method == PaymentMethod.CASH.value else None,
                _payment_reference(clinic, method, at),
                ids[refund_of[1]] if refund_of else None,
                reason,
                clerk,
                at,
                clinic.workstation[clerk],
            )
        )
    clinic.rows["payment"] = rows


def _tendered(clinic: DemoClinic, amount: Decimal) -> Decimal | None:
    rng = clinic.rng
    if amount < 0 or rng.random() < 0.4:
        return amount if amount > 0 else None
    note = rng.choice((10, 20, 50))
    return Decimal(math.ceil(amount / note) * note).quantize(CENT)


def _payment_reference(clinic: DemoClinic, method: str, at: dt.datetime) -> str | None:
    rng = clinic.rng
    if method == PaymentMethod.CARD.value:
        return f"AUTH {rng.randint(0, 999999):06d}"
    if method == PaymentMethod.EFT.value:
        return f"EFT{at:%y%m%d}{rng.randint(0, 9999):04d}"
    if method == PaymentMethod.MOBILE_MONEY.value:
        letter = rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")
        return f"MP{at:%y%m%d.%H%M}.{letter}{rng.randint(10000, 99999)}"
    return None
