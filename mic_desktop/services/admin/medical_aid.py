"""Medical aids as the manager keeps them: schemes, their plans, and coverage rules.

A coverage rule says what a plan pays for one scan type: a percentage of the price
(0-100), optionally capped at an amount (0 or more), and whether it needs
pre-authorisation. A plan has at most one rule per scan type (also a database
constraint); scan types without a rule get the plan's default percentage (see
:mod:`pricing`). Rules belong to their plan: adding, changing or removing one moves
the plan's version on, so two managers editing one plan cannot overwrite each other.
Every change is audited and announced on the medical-aid channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from mic_desktop.models import CoverageRule, MedicalAidPlan, MedicalAidScheme, ScanType
from mic_desktop.services.base import ManagerService, lock_row
from mic_desktop.services.errors import NotFoundError, ValidationError
from mic_desktop.services.formats import money
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.records import check_version

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+() .-]{3,32}$")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class CoverageRuleInfo:
    id: int
    plan_id: int
    scan_type_id: int
    scan_type: str
    coverage_percent: Decimal
    cap_amount: Decimal | None
    requires_preauthorisation: bool


@dataclass(frozen=True)
class PlanInfo:
    id: int
    scheme_id: int
    name: str
    default_coverage_percent: Decimal
    is_active: bool
    version: int
    rules: tuple[CoverageRuleInfo, ...]


@dataclass(frozen=True)
class SchemeInfo:
    id: int
    name: str
    code: str
    claims_phone: str | None
    claims_email: str | None
    is_active: bool
    plans: tuple[PlanInfo, ...]


@dataclass(frozen=True)
class SchemeDraft:
    name: str
    code: str
    claims_phone: str | None = None
    claims_email: str | None = None
    is_active: bool = True


@dataclass(frozen=True)
class RuleDraft:
    scan_type_id: int
    coverage_percent: Decimal | str
    cap_amount: Decimal | str | None = None
    requires_preauthorisation: bool = False


class MedicalAidAdminService(ManagerService):
    """Schemes, plans and coverage rules."""

    def schemes(self) -> list[SchemeInfo]:
        with self._sessions() as session:
            rows = session.scalars(
                select(MedicalAidScheme)
                .options(selectinload(MedicalAidScheme.plans).selectinload(MedicalAidPlan.rules))
                .order_by(MedicalAidScheme.name)
            ).all()
            names = dict(session.execute(select(ScanType.id, ScanType.name)).all())
            return [_scheme_info(row, names) for row in rows]

    # -- schemes --------------------------------------------------------------------------

    def add_scheme(self, draft: SchemeDraft) -> SchemeInfo:
        values = _scheme_values(draft)
        with self._sessions.begin() as session:
            _refuse_taken_scheme(session, values, None)
            row = MedicalAidScheme(**values)
            session.add(row)
            session.flush()
            self._audit(
                session,
                "medical_aid_scheme_added",
                "medical_aid_scheme",
                row.id,
                {"name": row.name, "code": row.code},
            )
            notify(session, LiveChannel.MEDICAL_AID, f"scheme:{row.id}")
            return SchemeInfo(
                row.id, row.name, row.code, row.claims_phone, row.claims_email, row.is_active, ()
            )

    def update_scheme(self, scheme_id: int, draft: SchemeDraft) -> None:
        values = _scheme_values(draft)
        with self._sessions.begin() as session:
            row = session.get(MedicalAidScheme, scheme_id, with_for_update=True)
            if row is None:
                raise NotFoundError("That medical aid no longer exists; reload the list.")
            _refuse_taken_scheme(session, values, row.id)
            changes = {
                name: {"from": getattr(row, name), "to": value}
                for name, value in values.items()
                if getattr(row, name) != value
            }
            for name, value in values.items():
                setattr(row, name, value)
            if changes:
                self._audit(
                    session, "medical_aid_scheme_changed", "medical_aid_scheme", row.id, changes
                )
                notify(session, LiveChannel.MEDICAL_AID, f"scheme:{row.id}")

    # -- plans ----------------------------------------------------------------------------

    def add_plan(
        self, scheme_id: int, name: str, default_coverage_percent: Decimal | str = "0"
    ) -> PlanInfo:
        name = _plan_name(name)
        percent = _percent(default_coverage_percent, "default_coverage_percent")
        with self._sessions.begin() as session:
            scheme = session.get(MedicalAidScheme, scheme_id, with_for_update=True)
            if scheme is None:
                raise NotFoundError("That medical aid no longer exists; reload the list.")
            _refuse_taken_plan(session, scheme, name, None)
            plan = MedicalAidPlan(scheme_id=scheme.id, name=name, default_coverage_percent=percent)
            session.add(plan)
            session.flush()
            self._audit(
                session,
                "medical_aid_plan_added",
                "medical_aid_plan",
                plan.id,
                {"scheme": scheme.name, "plan": name, "default_percent": str(percent)},
            )
            notify(session, LiveChannel.MEDICAL_AID, f"plan:{plan.id}")
            return _plan_info(plan, {})

    def update_plan(
        self,
        plan_id: int,
        *,
        name: str,
        default_coverage_percent: Decimal | str,
        is_active: bool,
        expected_version: int,
    ) -> PlanInfo:
        name = _plan_name(name)
        percent = _percent(default_coverage_percent, "default_coverage_percent")
        with self._sessions.begin() as session:
            plan = self._locked_plan(session, plan_id, expected_version)
            _refuse_taken_plan(session, plan.scheme, name, plan.id)
            values = {"name": name, "default_coverage_percent": percent, "is_active": is_active}
            changes = {
                key: {"from": str(getattr(plan, key)), "to": str(value)}
                for key, value in values.items()
                if getattr(plan, key) != value
            }
            if changes:
                for key, value in values.items():
                    setattr(plan, key, value)
                session.flush()
                self._audit(
                    session,
                    "medical_aid_plan_changed",
                    "medical_aid_plan",
                    plan.id,
                    {"plan": plan.display_name, **changes},
                )
                notify(session, LiveChannel.MEDICAL_AID, f"plan:{plan.id}")
            return _plan_info(plan, _scan_names(session))

    # -- coverage rules ---------------------------------------------------------------------

    def add_rule(self, plan_id: int, draft: RuleDraft, *, expected_version: int) -> PlanInfo:
        """A rule for one more scan type; a second rule for the same scan type is refused."""
        percent, cap = _rule_numbers(draft)
        with self._sessions.begin() as session:
            plan = self._locked_plan(session, plan_id, expected_version)
            scan = session.get(ScanType, draft.scan_type_id)
            if scan is None:
                raise ValidationError("Choose a scan type.", "scan_type")
            if any(rule.scan_type_id == scan.id for rule in plan.rules):
                raise _duplicate(plan, scan)
            plan.rules.append(
                CoverageRule(
                    scan_type_id=scan.id,
                    coverage_percent=percent,
                    cap_amount=cap,
                    requires_preauthorisation=draft.requires_preauthorisation,
                )
            )
            flag_modified(plan, "name")  # the plan's version counts its rules
            try:
                with session.begin_nested():
                    session.flush()
            except IntegrityError as exc:  # another desk's rule won the race
                if "uq_coverage_rule_plan_id" in str(exc.orig):
                    raise _duplicate(plan, scan) from None
                raise
            self._audit(
                session,
                "coverage_rule_added",
                "medical_aid_plan",
                plan.id,
                {
                    "plan": plan.display_name,
                    "scan_type": scan.name,
                    **_rule_text(percent, cap, draft),
                },
            )
            notify(session, LiveChannel.MEDICAL_AID, f"plan:{plan.id}")
            return _plan_info(plan, _scan_names(session))

    def update_rule(self, rule_id: int, draft: RuleDraft, *, expected_version: int) -> PlanInfo:
        """New numbers for an existing rule (its scan type stays)."""
        percent, cap = _rule_numbers(draft)
        with self._sessions.begin() as session:
            rule = self._rule(session, rule_id)
            plan = self._locked_plan(session, rule.plan_id, expected_version)
            before = _rule_text(rule.coverage_percent, rule.cap_amount, rule)
            rule.coverage_percent = percent
            rule.cap_amount = cap
            rule.requires_preauthorisation = draft.requires_preauthorisation
            flag_modified(plan, "name")
            session.flush()
            scan = _scan_names(session).get(rule.scan_type_id, "?")
            self._audit(
                session,
                "coverage_rule_changed",
                "medical_aid_plan",
                plan.id,
                {
                    "plan": plan.display_name,
                    "scan_type": scan,
                    "before": before,
                    "after": _rule_text(percent, cap, draft),
                },
            )
            notify(session, LiveChannel.MEDICAL_AID, f"plan:{plan.id}")
            return _plan_info(plan, _scan_names(session))

    def remove_rule(self, rule_id: int, *, expected_version: int) -> PlanInfo:
        """The scan type falls back to the plan's default percentage."""
        with self._sessions.begin() as session:
            rule = self._rule(session, rule_id)
            plan = self._locked_plan(session, rule.plan_id, expected_version)
            scan = _scan_names(session).get(rule.scan_type_id, "?")
            before = _rule_text(rule.coverage_percent, rule.cap_amount, rule)
            plan.rules.remove(rule)
            flag_modified(plan, "name")
            session.flush()
            self._audit(
                session,
                "coverage_rule_removed",
                "medical_aid_plan",
                plan.id,
                {"plan": plan.display_name, "scan_type": scan, "before": before},
            )
            notify(session, LiveChannel.MEDICAL_AID, f"plan:{plan.id}")
            return _plan_info(plan, _scan_names(session))

    # -- helpers --------------------------------------------------------------------------

    def _locked_plan(self, session: Session, plan_id: int, expected_version: int) -> MedicalAidPlan:
        plan = lock_row(session, MedicalAidPlan, plan_id)
        if plan is None:
            raise NotFoundError("That medical-aid plan no longer exists; reload the list.")
        check_version(
            session,
            plan.version,
            expected_version,
            f"The plan {plan.display_name}",
            "medical_aid_plan",
            plan.id,
        )
        return plan

    @staticmethod
    def _rule(session: Session, rule_id: int) -> CoverageRule:
        rule = session.get(CoverageRule, rule_id)
        if rule is None:
            raise NotFoundError("That coverage rule no longer exists; reload the plan.")
        return rule


def _percent(value: Decimal | str, field: str) -> Decimal:
    try:
        percent = Decimal(str(value).strip().rstrip("%").strip())
    except InvalidOperation:
        raise ValidationError("The percentage is not a number.", field) from None
    if not percent.is_finite() or not 0 <= percent <= HUNDRED:
        raise ValidationError("A percentage is between 0 and 100.", field)
    if percent != percent.quantize(Decimal("0.01")):
        raise ValidationError("A percentage has at most two decimals.", field)
    return percent.quantize(Decimal("0.01"))


def _cap(value: Decimal | str | None) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        cap = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationError("The cap is not an amount.", "cap_amount") from None
    if not cap.is_finite() or cap < 0:
        raise ValidationError(
            "The cap cannot be negative (leave it empty for no cap).", "cap_amount"
        )
    if cap != cap.quantize(Decimal("0.01")):
        raise ValidationError("An amount has at most two decimals.", "cap_amount")
    return money(cap)


def _rule_numbers(draft: RuleDraft) -> tuple[Decimal, Decimal | None]:
    return _percent(draft.coverage_percent, "coverage_percent"), _cap(draft.cap_amount)


def _rule_text(percent: Decimal, cap: Decimal | None, rule: object) -> dict[str, object]:
    return {
        "percent": str(percent),
        "cap": None if cap is None else str(cap),
        "preauthorisation": bool(getattr(rule, "requires_preauthorisation", False)),
    }


def _duplicate(plan: MedicalAidPlan, scan: ScanType) -> ValidationError:
    return ValidationError(
        f"{plan.display_name} already has a rule for {scan.name}: change that rule instead.",
        "scan_type",
    )


def _scheme_values(draft: SchemeDraft) -> dict[str, object]:
    name = draft.name.strip()
    if not name or len(name) > 120:
        raise ValidationError("Enter the medical aid's name (120 characters at most).", "name")
    code = draft.code.strip().upper()
    if not _CODE.match(code):
        raise ValidationError("A code has 1-20 capital letters, digits, '-' or '_'.", "code")
    phone = (draft.claims_phone or "").strip() or None
    if phone is not None and not _PHONE.match(phone):
        raise ValidationError("The claims phone number has unexpected characters.", "claims_phone")
    email = (draft.claims_email or "").strip() or None
    if email is not None and (len(email) > 254 or not _EMAIL.match(email)):
        raise ValidationError("The claims e-mail address is not valid.", "claims_email")
    return {
        "name": name,
        "code": code,
        "claims_phone": phone,
        "claims_email": email,
        "is_active": draft.is_active,
    }


def _refuse_taken_scheme(session: Session, values: dict[str, object], own_id: int | None) -> None:
    for field, column in (("name", MedicalAidScheme.name), ("code", MedicalAidScheme.code)):
        value = str(values[field])
        taken = session.scalar(
            select(MedicalAidScheme.id).where(func.lower(column) == value.lower())
        )
        if taken is not None and taken != own_id:
            raise ValidationError(f"Another medical aid already has the {field} {value}.", field)


def _plan_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationError("Enter the plan's name (120 characters at most).", "name")
    return name


def _refuse_taken_plan(
    session: Session, scheme: MedicalAidScheme, name: str, own_id: int | None
) -> None:
    taken = session.scalar(
        select(MedicalAidPlan.id).where(
            MedicalAidPlan.scheme_id == scheme.id, func.lower(MedicalAidPlan.name) == name.lower()
        )
    )
    if taken is not None and taken != own_id:
        raise ValidationError(f"{scheme.name} already has a plan called {name}.", "name")


def _scan_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(ScanType.id, ScanType.name)).all())


def _plan_info(plan: MedicalAidPlan, names: dict[int, str]) -> PlanInfo:
    rules = sorted(
        (
            CoverageRuleInfo(
                rule.id,
                plan.id,
                rule.scan_type_id,
                names.get(rule.scan_type_id, "?"),
                rule.coverage_percent,
                rule.cap_amount,
                rule.requires_preauthorisation,
            )
            for rule in plan.rules
        ),
        key=lambda rule: rule.scan_type,
    )
    return PlanInfo(
        plan.id,
        plan.scheme_id,
        plan.name,
        plan.default_coverage_percent,
        plan.is_active,
        plan.version,
        tuple(rules),
    )


def _scheme_info(row: MedicalAidScheme, names: dict[int, str]) -> SchemeInfo:
    return SchemeInfo(
        row.id,
        row.name,
        row.code,
        row.claims_phone,
        row.claims_email,
        row.is_active,
        tuple(_plan_info(plan, names) for plan in sorted(row.plans, key=lambda p: p.name)),
    )
