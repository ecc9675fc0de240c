"""C-ECHO: does a scanner (or the clinic's DICOM service) answer on the network?"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from mic_desktop.services.errors import ValidationError

ECHO_CALLING_AE = "MIC_ECHO"
_ADDRESS = re.compile(
    r"^(?P<ae>[^@]{1,16})@(?P<host>[^:@\s]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})$"
)


@dataclass(frozen=True)
class EchoResult:
    ok: bool
    detail: str  # one sentence: the answer and the time it took, or why not
    milliseconds: float | None = None


def parse_address(value: str) -> tuple[str, str, int]:
    """``AE@HOST:PORT`` as (AE title, host, port)."""
    match = _ADDRESS.match((value or "").strip())
    if match is None or not 1 <= int(match["port"]) <= 65535:
        raise ValidationError(
            f"{value!r} is not a DICOM address: write AE@HOST:PORT, "
            "e.g. MIC_RIS@192.168.1.20:11112."
        )
    return match["ae"].strip(), match["host"].strip("[]"), int(match["port"])


def echo(
    ae_title: str,
    host: str,
    port: int,
    *,
    calling_ae: str = ECHO_CALLING_AE,
    timeout: float = 5.0,
) -> EchoResult:
    """Associate with ``ae_title`` at ``host:port`` and send one C-ECHO."""
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

    ae = AE(ae_title=calling_ae)
    ae.add_requested_context(Verification)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    ae.connection_timeout = timeout
    where = f"{ae_title}@{host}:{port}"
    started = time.perf_counter()
    assoc = ae.associate(host, port, ae_title=ae_title)
    try:
        if assoc.is_rejected:
            return EchoResult(
                False, f"{where} refused the association (is {calling_ae} known there?)."
            )
        if not assoc.is_established:
            return EchoResult(False, f"{where} did not answer (no DICOM service on that port?).")
        status = assoc.send_c_echo()
        elapsed = (time.perf_counter() - started) * 1000
        code = getattr(status, "Status", None)
        if code == 0x0000:
            return EchoResult(True, f"{where} answered C-ECHO in {elapsed:.0f} ms.", elapsed)
        return EchoResult(False, f"{where} answered C-ECHO with status {code!r}.")
    finally:
        if assoc.is_established:
            assoc.release()
