"""Reports of the demo clinic and what patients thought of their visit.

A report per completed scan, finalised within working hours by a radiologist on duty
(a backlog of today's scans still on the worklist), reviews, addenda, critical findings
(the latest few still to be communicated) and the report access log; then the patient
feedback, which may rate the report once it was ready.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

from mic_desktop.models import AppointmentStatus, ReportAccessAction, ReportDelivery, ReportStatus
from mic_desktop.services.demo import catalogue as cat
from mic_desktop.services.demo.shape import (
    CRITICAL_RATE,
    DAY_OPENS,
    FEEDBACK_SHARE,
    OPEN_CRITICAL_FINDINGS,
    OVERALL_RATING_WEIGHTS,
    RECOMMEND_BY_RATING,
    REPORT_BACKLOG,
    random_minutes,
)
from mic_desktop.services.demo.state import DemoClinic, Row


def _reporting_time(clinic: DemoClinic, moment: dt.datetime) -> dt.datetime:
    """``moment``, or the next morning when it falls at night, on a Sunday or holiday."""
    local = moment.astimezone(clinic.zone)
    if 7 <= local.hour < 19 and clinic.is_open(local.date()):
        return moment
    day = local.date() if local.hour < 7 else local.date() + dt.timedelta(days=1)
    while not clinic.is_open(day):
        day += dt.timedelta(days=1)
    return clinic.at(day, DAY_OPENS) + random_minutes(clinic.rng, 0, 150)


def build_reports(clinic: DemoClinic) -> None:
    """A report per completed visit: signed, reviewed, in draft or waiting; and its trail."""
    rng = clinic.rng
    now = clinic.now
    reports: list[Row] = []
    addenda: list[Row] = []
    critical: list[list[Any]] = []
    access: list[Row] = []
    for visit in clinic.visits:
        if visit.status != AppointmentStatus.COMPLETED.value:
            continue
        report_id = len(reports) + 1
        completed = visit.events[-1][1]
        scan = visit.scan
        if visit.urgent:
            hours = rng.lognormvariate(math.log(0.8), 0.6)
        else:
            hours = rng.lognormvariate(math.log(2.5), 0.85)
            if rng.random() < 0.08:
                hours += rng.uniform(18, 96)
        finalised = _reporting_time(
            clinic, (completed + dt.timedelta(hours=hours)).replace(microsecond=0)
        )
        claimed = max(completed + dt.timedelta(minutes=2), finalised - random_minutes(rng, 8, 40))
        age = (now - completed) / dt.timedelta(days=1)
        backlog = REPORT_BACKLOG * math.exp(-age) * (0.3 if visit.urgent else 1.0)
        if finalised <= now and age < 3 and rng.random() < backlog:
            # Still on the worklist: some drafts started, the rest not yet claimed.
            finalised = now + dt.timedelta(days=1)
            claimed = finalised
            if rng.random() < 0.5:
                claimed = max(
                    completed + dt.timedelta(minutes=2), now - random_minutes(rng, 5, 120)
                )
        radiologist = visit.radiologist_id
        if radiologist is None or (radiologist, finalised.date()) in clinic.on_leave:
            present = [r for r, _, _ in clinic.on_duty(finalised.date())]
            radiologist = rng.choice(present or clinic.radiologists)
        crisis = None
        if scan.d.critical and rng.random() < CRITICAL_RATE[scan.modality.d.code]:
            crisis = rng.choice(scan.d.critical)
            findings, impression = crisis[0], crisis[1]
        elif rng.random() < 0.62:
            findings, impression = scan.d.reports[0]
        else:
            findings, impression = rng.choice(scan.d.reports[1:] or scan.d.reports)
        reviewed_at = reviewer = None
        if finalised <= now:
            status = ReportStatus.COMPLETED.value
            if rng.random() < 0.07:
                review = finalised + dt.timedelta(days=rng.uniform(1, 10))
                if review <= now:
                    status = ReportStatus.REVIEWED.value
                    reviewed_at = review.replace(microsecond=0)
                    others = [r for r in clinic.radiologists if r != radiologist]
                    reviewer = rng.choice(others or clinic.radiologists)
            signed = clinic.signature[radiologist]
            reports.append(
                (
                    report_id, visit.id, status, radiologist, claimed, findings, impression,
                    finalised, radiologist, signed, reviewed_at, reviewer, completed,
                    reviewed_at or finalised, reviewer or radiologist, 4 if reviewer else 3,
                    ReportDelivery.REPORT.value, "",
                )
            )  # fmt: skip
            if crisis is not None:
                critical.append([report_id, crisis[2], radiologist, finalised, visit])
            if rng.random() < 0.02:
                at = finalised + random_minutes(rng, 180, 6 * 24 * 60)
                if at <= now:
                    text_ = rng.choice(cat.ADDENDA)
                    addenda.append((len(addenda) + 1, report_id, text_, radiologist, signed, at))
            for action, staff, share in (
                (ReportAccessAction.VIEW.value, radiologist, 0.15),
                (ReportAccessAction.PRINT.value, None, 0.4),
            ):
                at = finalised + random_minutes(rng, 30, 3 * 24 * 60)
                if rng.random() < share and at <= now:
                    who = staff or clinic.receptionist()
                    detail = "Copy for the patient" if staff is None else None
                    access.append((0, report_id, who, action, detail, clinic.workstation[who], at))
        elif claimed <= now:
            draft = findings.split(". ")[0] + "."
            reports.append(
                (
                    report_id, visit.id, ReportStatus.IN_PROGRESS.value, radiologist,
                    claimed, draft, "", None, None, None, None, None, completed,
                    claimed, radiologist, 2, None, "",
                )
            )  # fmt: skip
        else:
            reports.append(
                (
                    report_id, visit.id, ReportStatus.PENDING.value, None, None, "", "",
                    None, None, None, None, None, completed, completed, None, 1, None, "",
                )
            )  # fmt: skip
    clinic.rows["report"] = reports
    clinic.rows["report_addendum"] = addenda
    clinic.report_finalised = {row[1]: row[7] for row in reports}
    critical.sort(key=lambda c: c[3])
    findings_rows: list[Row] = []
    for index, (report_id, description, radiologist, flagged, visit) in enumerate(critical):
        told = flagged + random_minutes(rng, 5, 40)
        still_open = index >= len(critical) - OPEN_CRITICAL_FINDINGS or told > now
        doctor = clinic.doctor_names.get(visit.doctor_id) if visit.doctor_id else None
        findings_rows.append(
            (
                index + 1, report_id, description, radiologist, flagged,
                None if still_open else doctor or "Casualty officer on duty",
                None if still_open else "phone",
                None if still_open else told,
                None if still_open else radiologist,
                None if still_open else told,
            )
        )  # fmt: skip
    clinic.rows["critical_finding"] = findings_rows
    access.sort(key=lambda row: (row[6], row[1]))
    clinic.rows["report_access_log"] = [(n, *row[1:]) for n, row in enumerate(access, 1)]


def build_feedback(clinic: DemoClinic) -> None:
    """Ratings and comments from about a third of the patients after their scan."""
    rng = clinic.rng
    rows: list[Row] = []
    ratings = [rating for rating, _ in OVERALL_RATING_WEIGHTS]
    rating_cum = list(itertools.accumulate(weight for _, weight in OVERALL_RATING_WEIGHTS))

    def near(value: int, spread: tuple[int, ...]) -> int:
        return min(5, max(1, value + rng.choice(spread)))

    for visit in clinic.visits:
        if visit.status != AppointmentStatus.COMPLETED.value or rng.random() >= FEEDBACK_SHARE:
            continue
        completed = visit.events[-1][1]
        submitted = completed + random_minutes(rng, 15, 48 * 60)
        if submitted > clinic.now:
            continue
        overall = rng.choices(ratings, cum_weights=rating_cum)[0]
        waited = visit.events[-2][1] - visit.events[-3][1]
        if waited > dt.timedelta(minutes=30) and rng.random() < 0.5:
            overall = max(1, overall - 1)
        finalised = clinic.report_finalised.get(visit.id)
        clarity = None
        if finalised is not None and finalised <= submitted and rng.random() < 0.8:
            clarity = near(overall, (-1, 0, 0, 1))
        comments = ""
        if rng.random() < 0.35:
            if overall >= 4:
                comments = rng.choice(cat.FEEDBACK_COMMENTS_GOOD)
            elif overall == 3:
                comments = rng.choice(cat.FEEDBACK_COMMENTS_MIXED)
            else:
                comments = rng.choice(cat.FEEDBACK_COMMENTS_BAD)
        rows.append(
            (
                0,
                visit.id,
                overall,
                near(overall, (-1, 0, 0, 0, 1)),
                near(overall, (-1, 0, 0, 1)),
                clarity,
                rng.random() < RECOMMEND_BY_RATING[overall],
                comments,
                submitted,
            )
        )
    rows.sort(key=lambda row: (row[8], row[1]))
    clinic.rows["patient_feedback"] = [(n, *row[1:]) for n, row in enumerate(rows, 1)]
