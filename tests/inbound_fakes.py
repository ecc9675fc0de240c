"""Twilio's Messages API with patients' replies in it, for the two-way SMS tests.

:class:`InboundTwilio` is the outbox tests' :class:`~notification_fakes.FakeTwilio`
(the real SDK builds each request and parses each answer) that also holds inbound
messages to the clinic's number, answers a list with ``To``/``DateSent>`` filters
page by page (``next_page_uri``, as Twilio pages), and records every list request.
"""

from __future__ import annotations

import datetime as dt
import itertools
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from notification_fakes import ACCOUNT_SID, SENDER, FakeTwilio, RecordedRequest, _json
from twilio.http.response import Response

_inbound_numbers = itertools.count(1)


class InboundTwilio(FakeTwilio):
    """FakeTwilio plus replies sent to the clinic's number ``SENDER``."""

    def receive(self, from_number: str, body: str, at: dt.datetime, sid: str | None = None) -> str:
        """A patient's SMS arrives at Twilio; returns its SID."""
        sid = sid or f"SMin{next(_inbound_numbers):028x}"
        when = format_datetime(at.astimezone(dt.UTC), usegmt=True)
        with self._lock:
            self.messages[sid] = {
                "account_sid": ACCOUNT_SID,
                "api_version": "2010-04-01",
                "body": body,
                "date_created": when,
                "date_sent": when,
                "date_updated": when,
                "direction": "inbound",
                "error_code": None,
                "error_message": None,
                "from": from_number,
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "received",
                "subresource_uris": {},
                "to": SENDER,
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            }
        return sid

    def list_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "GET" and r.path.endswith(".json")]

    def request(
        self, method: str, uri: str, params: dict[str, object] | None = None, **kwargs: Any
    ) -> Response:  # type: ignore[override]
        # A next page comes as a whole URI: its query is the page's parameters.
        query = dict(parse_qsl(urlparse(uri).query))
        merged = {**query, **(params or {})}
        return super().request(method, uri.split("?")[0], params=merged, **kwargs)

    def _list(self, request: RecordedRequest) -> Response:
        params = request.params
        to, sender = params.get("To"), params.get("From")
        after = params.get("DateSent>")
        since = dt.datetime.fromisoformat(str(after).replace("Z", "+00:00")) if after else None
        with self._lock:
            found = [
                dict(m)
                for m in sorted(
                    self.messages.values(),
                    key=lambda m: parsedate_to_datetime(m["date_created"]),
                    reverse=True,  # Twilio lists newest first
                )
                if (to is None or m["to"] == to)
                and (sender is None or m["from"] == sender)
                and (
                    since is None
                    or m["date_sent"] is None
                    or parsedate_to_datetime(m["date_sent"]) >= since
                )
            ]
        page_size = int(params.get("PageSize", 50))
        page = int(params.get("Page", 0))
        chunk = found[page * page_size : (page + 1) * page_size]
        base = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        filters = "&" + urlencode(
            {key: value for key, value in params.items() if key in ("To", "DateSent>")}
        )
        more = (page + 1) * page_size < len(found)
        return _json(
            200,
            {
                "end": page * page_size + max(0, len(chunk) - 1),
                "first_page_uri": f"{base}?PageSize={page_size}&Page=0{filters}",
                "messages": chunk,
                "next_page_uri": (
                    f"{base}?PageSize={page_size}&Page={page + 1}{filters}" if more else None
                ),
                "page": page,
                "page_size": page_size,
                "previous_page_uri": None,
                "start": page * page_size,
                "uri": f"{base}?PageSize={page_size}&Page={page}{filters}",
            },
        )
