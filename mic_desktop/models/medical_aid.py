"""Medical-aid schemes, their plans and the coverage rule of a plan per scan type."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mic_desktop.models.base import Base, Money


class MedicalAidScheme(Base):
    __tablename__ = "medical_aid_scheme"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    claims_phone: Mapped[str | None] = mapped_column(String(32))
    claims_email: Mapped[str | None] = mapped_column(String(254))
    is_active: Mapped[bool] = mapped_column(default=True)

    plans: Mapped[list[MedicalAidPlan]] = relationship(back_populates="scheme")


class MedicalAidPlan(Base):
    __tablename__ = "medical_aid_plan"
    __table_args__ = (
        UniqueConstraint("scheme_id", "name"),
        CheckConstraint(
            "default_coverage_percent BETWEEN 0 AND 100", name="default_coverage_percent"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("medical_aid_scheme.id"))
    name: Mapped[str] = mapped_column(String(120))
    # Applies to scan types without a rule of their own; 0 means not covered.
    default_coverage_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    scheme: Mapped[MedicalAidScheme] = relationship(back_populates="plans", lazy="joined")
    rules: Mapped[list[CoverageRule]] = relationship(
        back_populates="plan", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def display_name(self) -> str:
        return f"{self.scheme.name} {self.name}"


class CoverageRule(Base):
    """What a plan pays for one scan type: a percentage of the price, optionally capped."""

    __tablename__ = "coverage_rule"
    __table_args__ = (
        UniqueConstraint("plan_id", "scan_type_id"),
        CheckConstraint("coverage_percent BETWEEN 0 AND 100", name="coverage_percent"),
        CheckConstraint("cap_amount IS NULL OR cap_amount >= 0", name="cap_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("medical_aid_plan.id", ondelete="CASCADE"))
    scan_type_id: Mapped[int] = mapped_column(ForeignKey("scan_type.id"), index=True)
    coverage_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    cap_amount: Mapped[Money | None]
    requires_preauthorisation: Mapped[bool] = mapped_column(default=False)

    plan: Mapped[MedicalAidPlan] = relationship(back_populates="rules")
