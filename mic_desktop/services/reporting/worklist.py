"""The radiologists' worklist: completed scans whose report is not final, and claiming them.

The list is one SQL query (filters, search, sort, the hours since the scan and the
overdue flag all computed by PostgreSQL). Claiming assigns a study to one
radiologist with a conditional ``UPDATE ... WHERE radiologist_id IS NULL``: when two
radiologists claim at the same moment, PostgreSQL lets exactly one update the row
and the other is told who has it. Every claim and release sends a live update.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    and_,
    any_,
    case,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    ClinicSettings,
    Modality,
    Patient,
    ReferringDoctor,
    Report,
    ReportStatus,
    Role,
    ScanType,
    StaffUser,
    Urgency,
)
from mic_desktop.services import audit, live
from mic_desktop.services.base import ClinicService
from mic_desktop.services.dicom.steps import completed_by
from mic_desktop.services.errors import NotFoundError, PermissionDeniedError
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.reporting.errors import (
    AlreadyClaimedError,
    NotClaimedError,
    ReportAlreadyFinalError,
    ScanNotCompletedError,
)
from mic_desktop.services.text_checks import check_search

OPEN_REPORT_STATUSES = (ReportStatus.PENDING.value, ReportStatus.IN_PROGRESS.value)
DEFAULT_OVERDUE_HOURS = 48
_LIKE_SPECIAL = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})


class WorklistScope(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"

    @property
    def label(self) -> str:
        return {"mine": "Mine", "unassigned": "Unassigned", "all": "All"}[self.value]


class WorklistSort(StrEnum):
    PRIORITY = "priority"  # urgent first, then the longest waiting
    OLDEST = "oldest"
    NEWEST = "newest"
    PATIENT = "patient"
    MODALITY = "modality"


@dataclass(frozen=True)
class WorklistFilter:
    """What the worklist shows; dates are clinic days of the scan's completion, inclusive."""

    scope: WorklistScope = WorklistScope.ALL
    modality: str | None = None  # a modality code: CT, MR, XR ...
    urgency: Urgency | None = None
    completed_from: dt.date | None = None
    completed_to: dt.date | None = None
    search: str = ""
    sort: WorklistSort = WorklistSort.PRIORITY
    limit: int = 500


@dataclass(frozen=True)
class WorklistItem:
    """One study waiting for its final report."""

    appointment_id: int
    report_id: int | None  # None until claimed when reception made no report row
    reference: str
    patient_id: int
    patient_name: str
    mrn: str
    scan_type: str
    modality: str  # code, e.g. CT
    modality_name: str
    urgency: Urgency
    referring_doctor: str | None
    radiologist_id: int | None
    radiologist_name: str | None
    report_status: ReportStatus
    completed_at: dt.datetime
    claimed_at: dt.datetime | None
    hours_waiting: float
    is_overdue: bool
    is_mine: bool
    scanned_by: str | None = None  # the scanner (AE title) that reported it done over DICOM

    @property
    def is_urgent(self) -> bool:
        return self.urgency is Urgency.URGENT

    @property
    def is_claimed(self) -> bool:
        return self.radiologist_id is not None


@dataclass(frozen=True)
class WorklistCounts:
    """Numbers for the worklist's tabs and badges."""

    mine: int
    unassigned: int
    total: int
    urgent: int
    overdue: int


@dataclass(frozen=True)
class Claim:
    """A study assigned to a radiologist."""

    report_id: int
    appointment_id: int
    radiologist_id: int
    claimed_at: dt.datetime
    version: int


def _zone(session: Session) -> ZoneInfo:
    settings = session.get(ClinicSettings, 1)
    return ZoneInfo(settings.time_zone if settings is not None else "UTC")


class WorklistService(ClinicService):
    # --- reading -------------------------------------------------------------------

    def items(self, criteria: WorklistFilter | None = None) -> list[WorklistItem]:
        """The worklist as filtered and sorted by ``criteria``, in one query."""
        self._require(Role.RADIOLOGIST, Role.MANAGER)
        criteria = criteria or WorklistFilter()
        now = self._clock()
        radiologist = aliased(StaffUser)
        completed_at = _completed_at()
        overdue = _is_overdue(completed_at, now)
        hours = func.extract("epoch", literal(now) - completed_at) / 3600
        query = (
            select(
                Appointment.id,
                Report.id,
                Appointment.reference,
                Patient.id,
                Patient.first_name,
                Patient.last_name,
                Patient.mrn,
                ScanType.name,
                Modality.code,
                Modality.name,
                Appointment.urgency,
                ReferringDoctor.full_name,
                Report.radiologist_id,
                radiologist.full_name,
                Report.status,
                completed_at,
                Report.claimed_at,
                hours,
                overdue,
                completed_by(),
            )
            .select_from(Appointment)
            .join(Patient, Patient.id == Appointment.patient_id)
            .join(ScanType, ScanType.id == Appointment.scan_type_id)
            .join(Modality, Modality.id == ScanType.modality_id)
            .outerjoin(ReferringDoctor, ReferringDoctor.id == Appointment.referring_doctor_id)
            .outerjoin(Report, Report.appointment_id == Appointment.id)
            .outerjoin(radiologist, radiologist.id == Report.radiologist_id)
            .where(_awaiting_report(), *self._conditions(criteria, completed_at))
            .order_by(*_ordering(criteria.sort, completed_at))
            .limit(max(1, criteria.limit))
        )
        with self._sessions() as session:
            if criteria.completed_from or criteria.completed_to:
                zone = _zone(session)
                query = query.where(*_date_range(criteria, completed_at, zone))
            rows = session.execute(query).all()
        return [
            WorklistItem(
                appointment_id=row[0],
                report_id=row[1],
                reference=row[2],
                patient_id=row[3],
                patient_name=f"{row[4]} {row[5]}",
                mrn=row[6],
                scan_type=row[7],
                modality=row[8],
                modality_name=row[9],
                urgency=Urgency(row[10]),
                referring_doctor=row[11],
                radiologist_id=row[12],
                radiologist_name=row[13],
                report_status=ReportStatus(row[14] or ReportStatus.PENDING.value),
                completed_at=row[15],
                claimed_at=row[16],
                hours_waiting=max(0.0, float(row[17])),
                is_overdue=bool(row[18]),
                is_mine=row[12] is not None and row[12] == self._actor.id,
                scanned_by=row[19],
            )
            for row in rows
        ]

    def counts(self) -> WorklistCounts:
        """How many studies wait: mine, unassigned, all, urgent and overdue (one query)."""
        self._require(Role.RADIOLOGIST, Role.MANAGER)
        now = self._clock()
        completed_at = _completed_at()
        query = (
            select(
                func.count().filter(Report.radiologist_id == self._actor.id),
                func.count().filter(Report.radiologist_id.is_(None)),
                func.count(),
                func.count().filter(Appointment.urgency == Urgency.URGENT.value),
                func.count().filter(_is_overdue(completed_at, now)),
            )
            .select_from(Appointment)
            .join(Patient, Patient.id == Appointment.patient_id)
            .outerjoin(Report, Report.appointment_id == Appointment.id)
            .where(_awaiting_report(), Patient.deleted_at.is_(None))
        )
        with self._sessions() as session:
            row = session.execute(query).one()
        return WorklistCounts(*row)

    # --- claiming ------------------------------------------------------------------

    def claim(self, appointment_id: int) -> Claim:
        """Assign the study to me; :class:`AlreadyClaimedError` if someone else was first."""
        self._require(Role.RADIOLOGIST)
        now = self._clock()
        me = self._actor.id
        with self._sessions.begin() as session:
            appointment = session.execute(
                select(Appointment.status)
                .where(Appointment.id == appointment_id)
                .with_for_update(read=True)
            ).one_or_none()
            if appointment is None:
                raise NotFoundError("This appointment no longer exists.")
            if appointment.status != AppointmentStatus.COMPLETED.value:
                raise ScanNotCompletedError(
                    "This scan is not completed yet, so there is nothing to report."
                )
            created = session.execute(
                insert(Report)
                .values(appointment_id=appointment_id, status=ReportStatus.PENDING.value)
                .on_conflict_do_nothing(index_elements=["appointment_id"])
                .returning(Report.id)
            ).scalar_one_or_none()
            # Under READ COMMITTED a concurrent claimer waits for this row's lock and then
            # re-checks the WHERE clause, so only one of two simultaneous claims updates it.
            claimed = session.execute(
                update(Report)
                .where(
                    Report.appointment_id == appointment_id,
                    Report.radiologist_id.is_(None),
                    Report.status.in_(OPEN_REPORT_STATUSES),
                )
                .values(
                    radiologist_id=me,
                    claimed_at=now,
                    updated_by_id=me,
                    version=Report.version + 1,
                )
                .returning(Report.id, Report.version)
                .execution_options(synchronize_session=False)
            ).one_or_none()
            if claimed is None:
                return self._claim_refused(session, appointment_id)
            audit.record(
                session,
                "report_claimed",
                staff_id=me,
                username=self._actor.username,
                entity="report",
                entity_id=claimed.id,
                details={"appointment_id": appointment_id, "report_created": created is not None},
                workstation=self._workstation,
            )
            live.notify(session, LiveChannel.REPORT, claimed.id)
            return Claim(claimed.id, appointment_id, me, now, claimed.version)

    def _claim_refused(self, session: Session, appointment_id: int) -> Claim:
        row = session.execute(
            select(Report, StaffUser.full_name)
            .outerjoin(StaffUser, StaffUser.id == Report.radiologist_id)
            .where(Report.appointment_id == appointment_id)
        ).one()
        report, holder = row
        if report.status not in OPEN_REPORT_STATUSES:
            raise ReportAlreadyFinalError(report.signed_name)
        if report.radiologist_id == self._actor.id:  # claiming twice is harmless
            assert report.claimed_at is not None
            return Claim(
                report.id, appointment_id, self._actor.id, report.claimed_at, report.version
            )
        raise AlreadyClaimedError(holder or "another radiologist")

    def release(self, report_id: int) -> None:
        """Give a claimed study back to the worklist (its holder, or a manager)."""
        self._require(Role.RADIOLOGIST, Role.MANAGER)
        me = self._actor.id
        holder_condition: ColumnElement[bool] = (
            Report.radiologist_id.is_not(None)
            if self._actor.role is Role.MANAGER
            else Report.radiologist_id == me
        )
        with self._sessions.begin() as session:
            released = session.execute(
                update(Report)
                .where(
                    Report.id == report_id,
                    holder_condition,
                    Report.status.in_(OPEN_REPORT_STATUSES),
                )
                .values(
                    radiologist_id=None,
                    claimed_at=None,
                    updated_by_id=me,
                    version=Report.version + 1,
                )
                .returning(Report.appointment_id)
                .execution_options(synchronize_session=False)
            ).one_or_none()
            if released is None:
                self._release_refused(session, report_id)
                return
            audit.record(
                session,
                "report_released",
                staff_id=me,
                username=self._actor.username,
                entity="report",
                entity_id=report_id,
                details={"appointment_id": released.appointment_id},
                workstation=self._workstation,
            )
            live.notify(session, LiveChannel.REPORT, report_id)

    def _release_refused(self, session: Session, report_id: int) -> None:
        row = session.execute(
            select(Report, StaffUser.full_name)
            .outerjoin(StaffUser, StaffUser.id == Report.radiologist_id)
            .where(Report.id == report_id)
        ).one_or_none()
        if row is None:
            raise NotFoundError("This report no longer exists.")
        report, holder = row
        if report.status not in OPEN_REPORT_STATUSES:
            raise ReportAlreadyFinalError(report.signed_name)
        if report.radiologist_id is None:
            return  # already back on the worklist
        raise NotClaimedError(
            f"This study is claimed by {holder}; only they or a manager can release it."
        )

    # --- helpers -------------------------------------------------------------------

    def _require(self, *roles: Role) -> None:
        if self._actor.role not in roles:
            raise PermissionDeniedError("The worklist is for radiologists and the manager.")

    def _conditions(
        self, criteria: WorklistFilter, completed_at: ColumnElement[dt.datetime]
    ) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [Patient.deleted_at.is_(None)]
        if criteria.scope is WorklistScope.MINE:
            conditions.append(Report.radiologist_id == self._actor.id)
        elif criteria.scope is WorklistScope.UNASSIGNED:
            conditions.append(Report.radiologist_id.is_(None))
        if criteria.modality:
            conditions.append(Modality.code == criteria.modality)
        if criteria.urgency is not None:
            conditions.append(Appointment.urgency == criteria.urgency.value)
        haystack = func.unaccent(
            func.concat_ws(
                " ",
                Patient.first_name,
                Patient.last_name,
                Patient.mrn,
                Appointment.reference,
                ScanType.name,
                ScanType.code,
                Modality.code,
                ReferringDoctor.full_name,
            )
        )
        for word in check_search(criteria.search).split():
            pattern = f"%{word.translate(_LIKE_SPECIAL)}%"
            conditions.append(haystack.ilike(func.unaccent(pattern), escape="\\"))
        return conditions


def _completed_at() -> ColumnElement[dt.datetime]:
    # Reception records scan_completed_at; older rows may only have the booked end.
    return func.coalesce(Appointment.scan_completed_at, Appointment.end_at)


def _awaiting_report() -> ColumnElement[bool]:
    """Completed appointments whose report is open or was never created.

    The ids come from an ``ARRAY(subquery)``: open reports through a small partial
    index plus an index-only anti-join for completed scans without a report row. The
    planner then fetches those few appointments by key instead of joining every
    completed appointment of the clinic's history with its report.
    """
    open_report = aliased(Report)
    completed = aliased(Appointment)
    any_report = aliased(Report)
    open_ids = select(open_report.appointment_id).where(
        open_report.status.in_(OPEN_REPORT_STATUSES)
    )
    unreported_ids = select(completed.id).where(
        completed.status == AppointmentStatus.COMPLETED.value,
        ~select(any_report.id).where(any_report.appointment_id == completed.id).exists(),
    )
    ids = func.array(union_all(open_ids, unreported_ids).scalar_subquery())
    return and_(
        Appointment.id == any_(ids),
        Appointment.status == AppointmentStatus.COMPLETED.value,
        or_(Report.id.is_(None), Report.status.in_(OPEN_REPORT_STATUSES)),
    )


def _is_overdue(completed_at: ColumnElement[dt.datetime], now: dt.datetime) -> ColumnElement[bool]:
    overdue_hours = (
        select(ClinicSettings.report_overdue_hours).where(ClinicSettings.id == 1).scalar_subquery()
    )
    hours = func.coalesce(overdue_hours, DEFAULT_OVERDUE_HOURS)
    return completed_at < literal(now) - func.make_interval(0, 0, 0, 0, hours)


def _date_range(
    criteria: WorklistFilter, completed_at: ColumnElement[dt.datetime], zone: ZoneInfo
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if criteria.completed_from is not None:
        start = dt.datetime.combine(criteria.completed_from, dt.time(), zone)
        conditions.append(completed_at >= start.astimezone(dt.UTC))
    if criteria.completed_to is not None:
        end = dt.datetime.combine(criteria.completed_to + dt.timedelta(days=1), dt.time(), zone)
        conditions.append(completed_at < end.astimezone(dt.UTC))
    return conditions or [true()]


def _ordering(sort: WorklistSort, completed_at: ColumnElement[dt.datetime]) -> list[object]:
    if sort is WorklistSort.OLDEST:
        return [completed_at, Appointment.id]
    if sort is WorklistSort.NEWEST:
        return [completed_at.desc(), Appointment.id.desc()]
    if sort is WorklistSort.PATIENT:
        return [Patient.last_name, Patient.first_name, completed_at]
    if sort is WorklistSort.MODALITY:
        return [Modality.code, completed_at]
    urgent_first = case((Appointment.urgency == Urgency.URGENT.value, 0), else_=1)
    return [urgent_first, completed_at, Appointment.id]
