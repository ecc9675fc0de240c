"""What a scan costs, what the patient's medical aid covers and what the patient pays.

The plan's coverage rule for the scan type decides the cover: a percentage of the
price, optionally capped at an amount. Scan types without a rule of their own get
the plan's default percentage (0 = not covered). The patient pays the rest.
Pre-authorisation is needed when the medical aid covers the scan and either the
scan type or the plan's rule for it requires one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import CoverageRule, MedicalAidPlan, Patient, ScanType
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.errors import NotFoundError, ValidationError
from mic_desktop.services.formats import format_money, money
from mic_desktop.services.records import clinic_settings

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Quote:
    """The money of one scan for one patient, as reception shows it before booking."""

    scan_type_id: int
    scan_name: str
    plan_id: int | None
    plan_name: str | None
    currency: str
    price: Decimal  # the service charge
    coverage_percent: Decimal
    cap_amount: Decimal | None
    medical_aid_cover: Decimal
    patient_copay: Decimal
    requires_preauthorisation: bool

    @property
    def is_covered(self) -> bool:
        return self.medical_aid_cover > 0

    @property
    def coverage_text(self) -> str:
        """``80 % up to USD 100.00``, ``Not covered`` or ``No medical aid``."""
        if self.plan_id is None:
            return "No medical aid"
        if self.coverage_percent <= 0 or (self.cap_amount is not None and self.cap_amount <= 0):
            return "Not covered"
        text = f"{self.coverage_percent.normalize():f} %"
        if self.cap_amount is not None:
            text += f" up to {format_money(self.cap_amount, self.currency)}"
        return text


def medical_aid_cover(price: Decimal, percent: Decimal, cap: Decimal | None) -> Decimal:
    """``percent`` of ``price`` rounded to cents, no more than ``cap`` nor the price."""
    cover = money(price * percent / HUNDRED)
    if cap is not None:
        cover = min(cover, money(cap))
    return max(Decimal("0.00"), min(cover, money(price)))


def quote_in(session: Session, scan_type_id: int, plan_id: int | None) -> Quote:
    """The quote computed inside the caller's transaction (booking uses the same)."""
    scan = session.get(ScanType, scan_type_id)
    if scan is None:
        raise NotFoundError("This scan type no longer exists.")
    currency = clinic_settings(session).currency
    price = money(scan.price)
    if plan_id is None:
        return Quote(
            scan.id, scan.name, None, None, currency, price, Decimal(0), None,
            Decimal("0.00"), price, False,
        )  # fmt: skip
    plan = session.get(MedicalAidPlan, plan_id)
    if plan is None:
        raise NotFoundError("This medical-aid plan no longer exists.")
    if not plan.is_active or not plan.scheme.is_active:
        raise ValidationError(
            f"The medical-aid plan {plan.display_name} is no longer accepted: "
            "update the patient's medical aid or book the scan as private.",
            "medical_aid_plan_id",
        )
    rule = session.scalars(
        select(CoverageRule).where(
            CoverageRule.plan_id == plan.id, CoverageRule.scan_type_id == scan.id
        )
    ).one_or_none()
    percent = Decimal(rule.coverage_percent if rule is not None else plan.default_coverage_percent)
    cap = money(rule.cap_amount) if rule is not None and rule.cap_amount is not None else None
    cover = medical_aid_cover(price, percent, cap)
    needs_preauth = cover > 0 and (
        scan.requires_preauthorisation or (rule is not None and rule.requires_preauthorisation)
    )
    return Quote(
        scan_type_id=scan.id,
        scan_name=scan.name,
        plan_id=plan.id,
        plan_name=plan.display_name,
        currency=currency,
        price=price,
        coverage_percent=percent,
        cap_amount=cap,
        medical_aid_cover=cover,
        patient_copay=price - cover,
        requires_preauthorisation=needs_preauth,
    )


class PricingService:
    """Read-only quotes for the booking dialog's payment panel."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        actor: StaffAccount | None = None,
        workstation: str = "",
    ) -> None:
        self._sessions = session_factory

    def quote(self, scan_type_id: int, plan_id: int | None) -> Quote:
        """Service charge, medical-aid cover and co-payment of a scan under ``plan_id``."""
        with self._sessions() as session:
            return quote_in(session, scan_type_id, plan_id)

    def quote_for_patient(
        self, scan_type_id: int, patient_id: int, *, use_medical_aid: bool = True
    ) -> Quote:
        """The quote under the patient's own plan (or private when ``use_medical_aid`` is off)."""
        with self._sessions() as session:
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise NotFoundError("This patient no longer exists.")
            plan_id = patient.medical_aid_plan_id if use_medical_aid else None
            return quote_in(session, scan_type_id, plan_id)
