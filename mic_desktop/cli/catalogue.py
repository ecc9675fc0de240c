"""``mic-desktop catalogue``: set a clinic up from a script.

catalogue modality add CODE --name NAME | modality list | modality disable CODE
catalogue room add NAME --modality CODE [--open-24h | --hours "Mon-Fri 07:00-18:00,Sat 08:00-12:00"]
catalogue room list
catalogue scan-type add CODE --name NAME --modality CODE --minutes N --price AMOUNT [--preauth]
catalogue scan-type list
catalogue closure add YYYY-MM-DD [--until YYYY-MM-DD] --name NAME [--room NAME] | closure list

Each change goes through the manager's catalogue service, so it is checked and
audited (as done from the command line) like the same change made on the pages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from mic_desktop.cli.common import CommandError, open_checked, positive
from mic_desktop.config import DatabaseTarget, workstation_name

if TYPE_CHECKING:
    from mic_desktop.services.admin.catalogue import FacilityAdminService

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PERIOD = re.compile(
    r"^(?P<days>[A-Za-z]{3}(?:-[A-Za-z]{3})?)\s+(?P<opens>\d{1,2}:\d{2})-(?P<closes>\d{1,2}:\d{2})$"
)
HoursEntry = tuple[int, dt.time, dt.time]  # weekday (0 = Monday), opens, closes (00:00 = 24:00)


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``catalogue`` and its actions to the ``mic-desktop`` subcommands."""
    catalogue = commands.add_parser(
        "catalogue", help="modalities, rooms, scan types and closures", parents=[common]
    )
    kinds = catalogue.add_subparsers(dest="catalogue_kind", metavar="WHAT", required=True)

    modality = kinds.add_parser("modality", help="modalities (DICOM codes)", parents=[common])
    actions = modality.add_subparsers(dest="catalogue_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a modality", parents=[common])
    add.add_argument("code", metavar="CODE", help="DICOM modality code, e.g. CT, MR, US, DX")
    add.add_argument("--name", required=True, help="display name, e.g. Computed tomography")
    actions.add_parser("list", help="list the modalities", parents=[common])
    disable = actions.add_parser("disable", help="disable a modality", parents=[common])
    disable.add_argument("code", metavar="CODE")

    room = kinds.add_parser("room", help="scan rooms and their opening hours", parents=[common])
    actions = room.add_subparsers(dest="catalogue_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a room", parents=[common])
    add.add_argument("name", metavar="NAME")
    add.add_argument("--modality", required=True, metavar="CODE")
    hours = add.add_mutually_exclusive_group()
    hours.add_argument("--open-24h", action="store_true", help="open 24 hours, every day")
    hours.add_argument(
        "--hours",
        metavar="HOURS",
        help='weekly hours, e.g. "Mon-Fri 07:00-18:00,Sat 08:00-12:00" (24:00 = midnight)',
    )
    actions.add_parser("list", help="list the rooms", parents=[common])

    scan = kinds.add_parser("scan-type", help="scan types and prices", parents=[common])
    actions = scan.add_subparsers(dest="catalogue_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a scan type", parents=[common])
    add.add_argument("code", metavar="CODE", help="e.g. CT-HEAD")
    add.add_argument("--name", required=True)
    add.add_argument("--modality", required=True, metavar="CODE")
    add.add_argument("--minutes", required=True, type=positive, metavar="N")
    add.add_argument("--price", required=True, metavar="AMOUNT")
    add.add_argument("--preauth", action="store_true", help="medical aids need pre-authorisation")
    actions.add_parser("list", help="list the scan types", parents=[common])

    closure = kinds.add_parser(
        "closure", help="days the clinic or a room is closed", parents=[common]
    )
    actions = closure.add_subparsers(dest="catalogue_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a closure day or period", parents=[common])
    add.add_argument("first_day", metavar="YYYY-MM-DD")
    add.add_argument("--until", metavar="YYYY-MM-DD", help="last day (default: the first)")
    add.add_argument("--name", required=True, help="e.g. Christmas Day")
    add.add_argument("--room", metavar="NAME", help="one room only (default: the whole clinic)")
    actions.add_parser("list", help="list closures", parents=[common])


def parse_day(value: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"{what} {value!r} is not a date written YYYY-MM-DD.") from None


def parse_hours(value: str) -> list[HoursEntry]:
    """ "Mon-Fri 07:00-18:00,Sat 08:00-12:00" as (weekday, opens, closes) periods."""
    periods: list[HoursEntry] = []
    for part in (p.strip() for p in value.split(",")):
        match = _PERIOD.match(part)
        if match is None:
            raise CommandError(
                f"Cannot read the hours {part!r}: write them like "
                '"Mon-Fri 07:00-18:00,Sat 08:00-12:00".'
            )
        first, _dash, last = match["days"].lower().partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise CommandError(f"{match['days']} is not a day or days like Mon or Mon-Fri.")
        start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        if end < start:
            raise CommandError(f"{match['days']} runs backwards; write the days Monday first.")
        opens, closes = _time(match["opens"], False), _time(match["closes"], True)
        periods += [(day, opens, closes) for day in range(start, end + 1)]
    return periods


def _time(value: str, closing: bool) -> dt.time:
    hours, minutes = (int(x) for x in value.split(":"))
    if closing and (hours, minutes) == (24, 0):
        return dt.time(0, 0)
    if hours > 23 or minutes > 59:
        raise CommandError(f"{value} is not a time of day (00:00 to 24:00).")
    return dt.time(hours, minutes)


def catalogue_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    from mic_desktop.services.admin.catalogue import FacilityAdminService

    database = open_checked(target)
    try:
        service = FacilityAdminService(
            database.session_factory, actor=None, workstation=workstation_name()
        )
        handler = {
            "modality": _modality,
            "room": _room,
            "scan-type": _scan_type,
            "closure": _closure,
        }[args.catalogue_kind]
        handler(service, args)
        return 0
    finally:
        database.dispose()


def _modality_id(service: FacilityAdminService, code: str) -> int:
    code = code.strip().upper()
    for modality in service.modalities(include_inactive=True):
        if modality.code == code:
            if not modality.is_active:
                raise CommandError(f"The modality {code} is disabled.")
            return modality.id
    raise CommandError(f"There is no modality {code}; add it with `catalogue modality add`.")


def _modality(service: FacilityAdminService, args: argparse.Namespace) -> None:
    if args.catalogue_action == "add":
        added = service.add_modality(args.code, args.name)
        print(f"Added modality {added.code} ({added.name}).")
    elif args.catalogue_action == "disable":
        disabled = service.set_modality_active(args.code, False)
        print(f"Modality {disabled.code} ({disabled.name}) disabled.")
    else:
        rows = service.modalities(include_inactive=True)
        for row in sorted(rows, key=lambda m: m.code):
            print(f"{row.code:<6} {row.name}{'' if row.is_active else '  (disabled)'}")
        if not rows:
            starters = ", ".join(code for code, _name in service.starter_modalities())
            print(f"No modalities yet; add the clinic's with `modality add` ({starters}).")


def _room(service: FacilityAdminService, args: argparse.Namespace) -> None:
    from mic_desktop.services.scheduling.rooms import OpeningPeriod

    if args.catalogue_action == "list":
        rooms = service.rooms()
        for room in rooms:
            state = "" if room.is_active else "  (not in use)"
            print(f"{room.name:<20} {room.modality:<6} {_hours_text(room.opening_hours)}{state}")
        if not rooms:
            print("No rooms yet.")
        return
    modality_id = _modality_id(service, args.modality)
    if args.open_24h:
        periods = [OpeningPeriod(day, dt.time(0), dt.time(0)) for day in range(7)]
    else:
        periods = [OpeningPeriod(*p) for p in parse_hours(args.hours)] if args.hours else []
    room = service.add_room(args.name, modality_id)
    if periods:
        room = service.set_opening_hours(room.id, periods, expected_version=room.version)
    print(f"Added room {room.name} ({room.modality}): {_hours_text(room.opening_hours)}.")


def _hours_text(periods: Any) -> str:
    from mic_desktop.services.scheduling.rooms import closing_text

    if not periods:
        return "no opening hours (closed)"
    if len(periods) == 7 and all(p.all_day for p in periods):
        return "open 24 hours, every day"
    return ", ".join(
        f"{DAY_NAMES[p.weekday].title()} {p.opens_at:%H:%M}-{closing_text(p.closes_at)}"
        for p in periods
    )


def _scan_type(service: FacilityAdminService, args: argparse.Namespace) -> None:
    from mic_desktop.services.admin.catalogue import ScanTypeDraft

    if args.catalogue_action == "list":
        scans = service.scan_types()
        for scan in scans:
            extra = " pre-auth" if scan.requires_preauthorisation else ""
            extra += "" if scan.is_active else " (not bookable)"
            print(
                f"{scan.code:<14} {scan.modality:<5} {scan.duration_minutes:>4} min "
                f"{scan.price:>12,.2f}  {scan.name}{extra}"
            )
        if not scans:
            print("No scan types yet.")
        return
    draft = ScanTypeDraft(
        code=args.code,
        name=args.name,
        modality_id=_modality_id(service, args.modality),
        duration_minutes=args.minutes,
        requires_preauthorisation=args.preauth,
    )
    scan = service.add_scan_type(draft, args.price)
    preauth = ", pre-authorisation needed" if scan.requires_preauthorisation else ""
    print(
        f"Added scan type {scan.code} ({scan.name}, {scan.modality}, "
        f"{scan.duration_minutes} min, {scan.price:,.2f}{preauth})."
    )


def _closure(service: FacilityAdminService, args: argparse.Namespace) -> None:
    if args.catalogue_action == "list":
        closures = service.closures()
        for closure in closures:
            print(f"{closure.days_text:<34} {closure.where:<16} {closure.name}")
        if not closures:
            print("No closures.")
        return
    first = parse_day(args.first_day, "The first day")
    last = parse_day(args.until, "The last day") if args.until else first
    room_id = None
    if args.room:
        room_id = next(
            (r.id for r in service.rooms() if r.name.lower() == args.room.strip().lower()), None
        )
        if room_id is None:
            raise CommandError(f"There is no room called {args.room}.")
    closure = service.add_closure(args.name, first, last, room_id=room_id)
    booked = (
        f"; {closure.bookings} booking(s) already on those days stay: move or cancel them"
        if closure.bookings
        else ""
    )
    print(f"Added closure {closure.name}: {closure.where}, {closure.days_text}{booked}.")


HANDLERS = {"catalogue": catalogue_command}
