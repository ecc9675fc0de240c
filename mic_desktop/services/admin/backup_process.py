"""Running ``pg_dump``, ``pg_restore`` and ``psql`` for a backup, a restore or a check.

Each stderr line goes to a callback (progress comes from the tools' ``--verbose``
output); on failure the last error lines come back for the message. The password
reaches a tool only through its environment. A ``cancel`` event kills the tool (the
program is closing). :func:`restore_through_psql` pipes pg_restore's SQL into psql,
leaving out ``SET`` lines of settings the target server does not know; lines inside
``COPY`` data are never touched.
"""

from __future__ import annotations

import io
import re
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from mic_desktop.services.admin.backup_tools import BackupError

_ERROR_LINES = 6
LineHandler = Callable[[str], None]


class BackupCancelledError(BackupError):
    """The work was stopped before it finished (the program or its jobs are stopping)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or "Stopped before it finished: MIC Desktop was closing.")


def _start(arguments: Sequence[str], env: dict[str, str], **kwargs: object) -> subprocess.Popen:
    try:
        return subprocess.Popen(list(arguments), env=env, **kwargs)  # type: ignore[call-overload]
    except OSError as exc:
        raise BackupError(f"{Path(arguments[0]).name} could not be started: {exc}") from exc


def _watch(processes: Sequence[subprocess.Popen], cancel: threading.Event | None) -> None:
    """Kill the processes when ``cancel`` is set before they end."""
    if cancel is None:
        return

    def watch() -> None:
        while any(process.poll() is None for process in processes):
            if cancel.wait(0.2):
                for process in processes:
                    if process.poll() is None:
                        process.kill()
                return

    threading.Thread(target=watch, name="backup-cancel-watch", daemon=True).start()


def _read_lines(stream: IO[str], on_line: LineHandler) -> list[str]:
    """Feed each line to ``on_line``; the last few lines for an error message."""
    tail: list[str] = []
    with stream:
        for raw in stream:
            line = raw.rstrip()
            tail = [*tail[-(_ERROR_LINES - 1) :], line]
            on_line(line)
    return tail


def _errors(tail: list[str]) -> list[str]:
    return [line for line in tail if "error" in line.lower() or "fatal" in line.lower()] or tail


def _text(stream: IO[bytes]) -> IO[str]:
    return io.TextIOWrapper(stream, encoding="utf-8", errors="replace")


def _text_pipe() -> dict[str, object]:
    return {"text": True, "encoding": "utf-8", "errors": "replace"}


def run_tool(
    arguments: Sequence[str],
    env: dict[str, str],
    on_line: LineHandler,
    cancel: threading.Event | None = None,
) -> list[str]:
    """Run a tool to its end; its last error lines when it failed, else ``[]``."""
    process = _start(
        arguments,
        env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **_text_pipe(),
    )
    _watch([process], cancel)
    assert process.stderr is not None
    tail = _read_lines(process.stderr, on_line)
    status = process.wait()
    if cancel is not None and cancel.is_set():
        raise BackupCancelledError()
    return _errors(tail) if status != 0 else []


def _setting_line(names: Sequence[str]) -> re.Pattern[bytes]:
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(rb"^SET (?:" + alternatives.encode() + rb") = [^;\n]*;\r?\n?$")


def _pump(source: IO[bytes], sink: IO[bytes], skip: re.Pattern[bytes], failed: list[str]) -> None:
    """Copy SQL lines from pg_restore to psql, dropping the ``SET`` lines to skip."""
    in_copy = False
    try:
        with sink:
            for line in source:
                if in_copy:
                    in_copy = line not in (b"\\.\n", b"\\.\r\n")
                elif line.startswith(b"COPY ") and line.rstrip().endswith(b"FROM stdin;"):
                    in_copy = True
                elif skip.match(line):
                    continue
                sink.write(line)
    except BrokenPipeError:
        failed.append("psql stopped reading")  # at an error: its own message says which
    except Exception as exc:
        failed.append(f"copying the SQL to psql failed: {exc}")
    finally:
        source.close()


def restore_through_psql(
    pg_restore: Sequence[str],
    psql: Sequence[str],
    skip_settings: Sequence[str],
    env: dict[str, str],
    on_line: LineHandler,
    cancel: threading.Event | None = None,
) -> list[str]:
    """``pg_restore ... --file=-`` piped into ``psql``; error lines when either failed."""
    restore = _start(
        [*pg_restore, "--file=-"],
        env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        sql = _start(
            psql, env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
    except BackupError:
        restore.kill()
        restore.wait()
        raise
    _watch([restore, sql], cancel)
    assert restore.stdout is not None and restore.stderr is not None
    assert sql.stdin is not None and sql.stderr is not None
    pump_failed: list[str] = []
    pump = threading.Thread(
        target=_pump,
        args=(restore.stdout, sql.stdin, _setting_line(skip_settings), pump_failed),
        name="backup-psql-pump",
        daemon=True,
    )
    psql_tail: list[str] = []

    def drain() -> None:
        psql_tail.extend(_read_lines(_text(sql.stderr), lambda _line: None))

    drainer = threading.Thread(target=drain, name="backup-psql-errors", daemon=True)
    pump.start()
    drainer.start()
    restore_tail = _read_lines(_text(restore.stderr), on_line)
    pump.join()
    sql_status = sql.wait()
    drainer.join()
    restore_status = restore.wait()
    if cancel is not None and cancel.is_set():
        raise BackupCancelledError()
    if sql_status != 0:
        return _errors(psql_tail) or [f"psql stopped with status {sql_status}"]
    if restore_status != 0:
        return _errors(restore_tail)
    return pump_failed


def clean_messages(lines: Sequence[str]) -> list[str]:
    """Tool messages without the tool's name prefix (and never a password: none is given)."""
    return [
        re.sub(r"^(pg_dump|pg_restore|psql)(:[^:]*:\d+)?: ", "", line.strip())
        for line in lines
        if line.strip()
    ]
