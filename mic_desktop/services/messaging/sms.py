"""SMS through Twilio's Messages API, with the SDK's HTTP client injectable.

Every failure is sorted into what the dispatcher must do next:

- :class:`TemporarySmsError`: the message did not reach Twilio or Twilio asked us to
  come back (network before the request left, 429, 5xx): retry later;
- :class:`PermanentSmsError`: Twilio refused this message for good (invalid number,
  unsubscribed ...): mark it failed with the reason;
- :class:`AmbiguousSmsError`: the request may have reached Twilio (timeout while
  waiting for the answer): Twilio takes no idempotency key, so look the message up
  (:meth:`TwilioSms.find_sent`) before any resend;
- :class:`SmsConfigurationError`: the account or sender is wrong; no message is at
  fault.

Production uses the SDK's ``TwilioHttpClient`` with a timeout and without its request
logging (which would write phone numbers to the log); tests inject an
:class:`twilio.http.HttpClient` subclass that answers with canned Twilio JSON.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from mic_desktop.log_redaction import register_secret

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 15.0
# Twilio's own statuses after which nothing changes any more.
FINAL_DELIVERY_STATUSES = frozenset({"delivered", "undelivered", "failed", "read", "canceled"})
UNSUBSCRIBED = 21610
# How far apart this PC's clock and Twilio's may be when looking a message up.
LOOKUP_CLOCK_SKEW = dt.timedelta(minutes=2)

# Twilio error codes a receptionist can act on, in words she can read.
ERROR_REASONS: dict[int, str] = {
    20003: "Twilio refused the account SID or auth token.",
    20404: "Twilio does not know this account (check the account SID).",
    21211: "The phone number is not a valid number.",
    21408: "The clinic's Twilio account may not send SMS to this country.",
    21610: "The patient has unsubscribed from the clinic's SMS (replied STOP).",
    21612: "Twilio cannot send SMS to this number.",
    21614: "The number is not a mobile number and cannot receive SMS.",
    21617: "The message is longer than an SMS may be.",
    21606: "The clinic's sender number cannot send SMS (check the Twilio settings).",
    21659: "The clinic's sender number is not a Twilio number (check the Twilio settings).",
    30003: "The phone was off or out of coverage.",
    30004: "The message was blocked by the patient or their network.",
    30005: "The number is unknown or no longer in service.",
    30006: "The number is a landline or its network cannot receive SMS.",
    30007: "The patient's network filtered the message as spam.",
    30008: "The patient's network could not deliver the message.",
}
# Refusals that concern the account or sender, not the message.
CONFIGURATION_CODES = frozenset({20003, 20404, 21606, 21659})


class SmsError(Exception):
    """An SMS could not be sent; ``reason`` is readable, ``code`` is Twilio's."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TemporarySmsError(SmsError):
    pass


class PermanentSmsError(SmsError):
    @property
    def unsubscribed(self) -> bool:
        return self.code == UNSUBSCRIBED


class AmbiguousSmsError(SmsError):
    pass


class SmsConfigurationError(SmsError):
    pass


@dataclass(frozen=True)
class SentSms:
    """A message as Twilio knows it."""

    sid: str
    status: str
    to: str
    body: str
    created_at: dt.datetime | None
    error_code: int | None = None
    error_message: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_DELIVERY_STATUSES

    @property
    def error_reason(self) -> str | None:
        if self.error_code is None:
            return None
        return reason_for(self.error_code, self.error_message)


@dataclass(frozen=True)
class InboundSms:
    """A message a patient sent to the clinic's number."""

    sid: str
    from_number: str
    to_number: str
    body: str
    sent_at: dt.datetime


class SmsGateway(Protocol):
    """What the dispatcher needs from an SMS provider."""

    sender: str

    def send(self, to: str, body: str) -> SentSms: ...

    def find_sent(
        self, to: str, body: str, since: dt.datetime, until: dt.datetime
    ) -> SentSms | None: ...

    def fetch(self, sid: str) -> SentSms: ...


def reason_for(code: int | None, message: str | None = None) -> str:
    if code is not None and code in ERROR_REASONS:
        return ERROR_REASONS[code]
    text = (message or "").strip() or "Twilio refused the message."
    return f"{text} (Twilio error {code})" if code is not None else text


class QuietTwilioHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, logging only the method and path (no numbers, no bodies)."""

    def log_request(self, kwargs: dict[str, Any]) -> None:
        url = str(kwargs.get("url", ""))
        self.logger.debug("Twilio %s %s", kwargs.get("method"), url.split("?")[0])

    def log_response(self, status_code: int, response: Any) -> None:
        self.logger.debug("Twilio answered %s", status_code)


def production_http_client(timeout: float = DEFAULT_TIMEOUT_SECONDS) -> HttpClient:
    return QuietTwilioHttpClient(timeout=timeout)


def _connect_phase(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection failed before the request could be sent."""
    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError):
        return True
    text = repr(exc.args[0]) if exc.args else ""
    return any(
        marker in text
        for marker in ("NewConnectionError", "NameResolutionError", "ConnectTimeoutError")
    )


class TwilioSms:
    """Sends, looks up and follows SMS with the twilio SDK."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        *,
        http_client: HttpClient | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        register_secret(auth_token)
        self.sender = sender
        self.account_sid = account_sid
        http_client = http_client or production_http_client(timeout)
        if http_client.timeout is None:
            http_client.timeout = timeout
        self._client = Client(account_sid, auth_token, http_client=http_client)

    def send(self, to: str, body: str) -> SentSms:
        try:
            message = self._client.messages.create(to=to, from_=self.sender, body=body)
        except requests.exceptions.ConnectionError as exc:
            if _connect_phase(exc):
                raise TemporarySmsError("Twilio could not be reached.") from exc
            raise AmbiguousSmsError(
                "The connection to Twilio broke after the message was sent."
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise AmbiguousSmsError("Twilio did not answer in time.") from exc
        except requests.exceptions.RequestException as exc:
            raise AmbiguousSmsError("Twilio's answer could not be read.") from exc
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _classify(exc) from exc
        except TwilioException as exc:  # the request went out; the answer was unusable
            raise AmbiguousSmsError("Twilio's answer could not be read.") from exc
        return _sent(message)

    def find_sent(
        self, to: str, body: str, since: dt.datetime, until: dt.datetime
    ) -> SentSms | None:
        """The message with this recipient and body created in ``[since, until]``, if any."""
        low, high = since - LOOKUP_CLOCK_SKEW, until + LOOKUP_CLOCK_SKEW
        wanted = _normalised(body)
        messages = self._call(
            lambda: self._client.messages.list(to=to, from_=self.sender, limit=50)
        )
        for message in messages:
            sent = _sent(message)
            when = sent.created_at
            if _normalised(sent.body) == wanted and (when is None or low <= when <= high):
                return sent
        return None

    def fetch(self, sid: str) -> SentSms:
        return _sent(self._call(lambda: self._client.messages(sid).fetch()))

    def received(self, since: dt.datetime, page_size: int = 50) -> list[InboundSms]:
        """Messages sent to the clinic's number since ``since``, oldest first (every page)."""
        messages = self._call(
            lambda: list(
                self._client.messages.stream(
                    to=self.sender, date_sent_after=since, page_size=page_size
                )
            )
        )
        found = []
        for message in messages:
            sent_at = message.date_sent or message.date_created
            if str(message.direction or "") != "inbound" or not isinstance(sent_at, dt.datetime):
                continue
            if sent_at.tzinfo is None:
                sent_at = sent_at.replace(tzinfo=dt.UTC)
            if sent_at >= since:
                found.append(
                    InboundSms(
                        message.sid,
                        message.from_ or "",
                        message.to or "",
                        message.body or "",
                        sent_at,
                    )
                )
        return sorted(found, key=lambda sms: (sms.sent_at, sms.sid))

    def _call(self, action: Any) -> Any:
        """A read-only request: any failure is temporary (or a configuration problem)."""
        try:
            return action()
        except (TwilioRestException, TwilioServiceException) as exc:
            error = _classify(exc)
            if isinstance(error, SmsConfigurationError):
                raise error from exc
            raise TemporarySmsError(error.reason, error.code) from exc
        except (requests.exceptions.RequestException, TwilioException) as exc:
            raise TemporarySmsError("Twilio could not be reached.") from exc


def _classify(exc: TwilioRestException | TwilioServiceException) -> SmsError:
    """Sort an error answer from Twilio (either of the SDK's two error shapes)."""
    code = exc.code if isinstance(exc.code, int) and exc.code >= 10000 else None
    if isinstance(exc, TwilioServiceException):
        message = exc.detail or exc.title or ""
    else:
        message = str(exc.msg).split(": ", 1)[-1] if exc.msg else ""
    status = int(exc.status or 0)
    if status in (401, 403) or code in CONFIGURATION_CODES:
        return SmsConfigurationError(reason_for(code or 20003, message), code)
    if status == 429:
        return TemporarySmsError("Twilio asked to slow down (too many requests).", code)
    if status >= 500:
        return TemporarySmsError(f"Twilio had a server error ({status}).", code)
    return PermanentSmsError(reason_for(code, message), code)


def _normalised(body: str | None) -> str:
    return " ".join((body or "").split())


def _sent(message: Any) -> SentSms:
    created = message.date_created
    if isinstance(created, dt.datetime) and created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    code = message.error_code
    return SentSms(
        sid=message.sid,
        status=str(message.status or "queued"),
        to=message.to or "",
        body=message.body or "",
        created_at=created if isinstance(created, dt.datetime) else None,
        error_code=int(code) if code not in (None, "") else None,
        error_message=message.error_message,
    )
