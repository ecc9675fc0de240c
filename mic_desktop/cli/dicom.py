"""``mic-desktop dicom``: the worklist/MPPS service for the clinic's scanners.

dicom serve [--port N] [--ae-title AE]      run the service without a window
dicom modality add AE_TITLE --room ROOM [--host HOST] [--port N]
dicom modality list | modality remove AE_TITLE
dicom echo AE@HOST:PORT                     C-ECHO a scanner or the service

Scanners are changed through the manager's service (checked and audited as done from
the command line), like the same change on the manager's DICOM page.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from mic_desktop.cli.common import CommandError, open_checked, positive
from mic_desktop.config import DatabaseTarget, workstation_name

SERVE_HELP = """\
Answer the clinic's scanners without a window, e.g. on the clinic server: their
worklist (Modality Worklist C-FIND: confirmed and arrived appointments of their
room) and what they report (MPPS: in scan, completed, discontinued). The port and AE
title default to the manager's DICOM settings (else 11112 and MIC_RIS). Stops
cleanly on Ctrl+C or SIGTERM.
"""


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``dicom`` and its actions to the ``mic-desktop`` subcommands."""
    dicom = commands.add_parser(
        "dicom", help="worklist and MPPS service for the scanners (DICOM)", parents=[common]
    )
    actions = dicom.add_subparsers(dest="dicom_action", metavar="ACTION", required=True)
    serve = actions.add_parser(
        "serve",
        help="run the DICOM service (headless)",
        description=SERVE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    serve.add_argument("--port", type=positive, metavar="N", help="TCP port (default 11112)")
    serve.add_argument("--ae-title", metavar="AE", help="the service's AE title (MIC_RIS)")

    modality = actions.add_parser(
        "modality", help="the scanners the service knows", parents=[common]
    )
    kinds = modality.add_subparsers(dest="modality_action", metavar="ACTION", required=True)
    add = kinds.add_parser("add", help="add a scanner", parents=[common])
    add.add_argument("ae_title", metavar="AE_TITLE", help="the scanner's AE title, e.g. CT1")
    add.add_argument("--room", required=True, metavar="ROOM", help="the room it stands in")
    add.add_argument("--host", metavar="HOST", help="its host name or IP address (for Test)")
    add.add_argument("--port", type=positive, metavar="N", help="its DICOM port (default 104)")
    kinds.add_parser("list", help="list the scanners", parents=[common])
    remove = kinds.add_parser("remove", help="remove a scanner", parents=[common])
    remove.add_argument("ae_title", metavar="AE_TITLE")

    echo = actions.add_parser("echo", help="C-ECHO a DICOM node", parents=[common])
    echo.add_argument("address", metavar="AE@HOST:PORT", help="e.g. MIC_RIS@127.0.0.1:11112")


def dicom_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    if args.dicom_action == "echo":
        return _echo(args.address)
    database = open_checked(target)
    try:
        if args.dicom_action == "serve":
            return _serve(database, args)
        return _modality(database, args)
    finally:
        database.dispose()


def _echo(address: str) -> int:
    from mic_desktop.services.dicom.echo import echo, parse_address

    ae_title, host, port = parse_address(address)
    result = echo(ae_title, host, port)
    print(result.detail)
    return 0 if result.ok else 1


def _modality(database: Any, args: argparse.Namespace) -> int:
    from mic_desktop.services.dicom.devices import DicomDeviceService

    service = DicomDeviceService(
        database.session_factory, actor=None, workstation=workstation_name()
    )
    if args.modality_action == "add":
        added = service.add(args.ae_title, room=args.room, host=args.host, port=args.port)
        where = f" at {added.host}:{added.echo_port}" if added.host else ""
        print(
            f"Added scanner {added.ae_title} in {added.room_name} ({added.modality_code}){where}."
        )
    elif args.modality_action == "remove":
        removed = service.remove(args.ae_title)
        print(f"Removed scanner {removed.ae_title} ({removed.room_name}).")
    else:
        devices = service.devices()
        if not devices:
            print("No scanners yet: add one with `mic-desktop dicom modality add AE --room ROOM`.")
        for device in devices:
            address = f"{device.host}:{device.echo_port}" if device.host else "(no host)"
            print(
                f"{device.ae_title:<16} {device.room_name:<20} {device.modality_code:<5} {address}"
            )
    return 0


def _serve(database: Any, args: argparse.Namespace) -> int:
    import logging

    from mic_desktop.services.dicom.server import DicomServer
    from mic_desktop.services.dicom.settings import check_ae_title, load_dicom_settings

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        logging.getLogger("pynetdicom").setLevel(logging.WARNING)
    settings = load_dicom_settings(database.session_factory)
    ae_title = check_ae_title(args.ae_title) if args.ae_title else settings.ae_title
    port = args.port or settings.port
    server = DicomServer(
        database.session_factory, ae_title=ae_title, port=port, workstation=workstation_name()
    )
    try:
        server.start()
    except OSError as error:
        raise CommandError(f"Cannot listen on port {port}: {error.strerror or error}.") from None
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    print(f"DICOM service {ae_title} listening on port {server.port}; Ctrl+C stops it.",
          file=sys.stderr, flush=True)  # fmt: skip
    try:
        while not stop.wait(1.0):
            pass
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        print("DICOM service stopped.", file=sys.stderr, flush=True)
    return 0


HANDLERS = {"dicom": dicom_command}
