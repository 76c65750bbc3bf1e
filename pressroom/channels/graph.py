"""What the Facebook Page and Instagram adapters share: one Graph API call turned into data
or a ``Result``, Graph's error body read, throttling headers read, and an account check
(the account's name, and when its token expires).

Graph API lives at ``<base>/<version>/<path>`` (``GRAPH_API_BASE``, ``GRAPH_API_VERSION``),
so tests talk to a local fake. The token goes as the ``access_token`` parameter: in the
query for GET/DELETE, in the form for POST.

An error is ``{"error": {"message", "type", "code", "error_subcode", "is_transient",
"error_user_msg", "fbtrace_id"}}`` (see Graph's "Handling Errors" guide). How it maps to a
result:

* throttled (codes 4, 9, 17, 32, 341, 613, 80001–80014) or ``is_transient`` — ``retry``,
  after ``Retry-After`` seconds or the ``estimated_time_to_regain_access`` (minutes) of
  ``X-Business-Use-Case-Usage`` when Graph sends them; a throttle without either waits
  five minutes (calling on while throttled only extends it);
* 190 (or 102) — ``failed``: the token expired or was revoked, reconnect the account;
* 10 or 200–299 — ``failed``: the token lacks a permission;
* 368 — ``failed``: Facebook blocked the account from the action for a policy reason; a
  person looks at it before anything is tried again;
* any other error with a 4xx status — ``failed`` with Graph's words;
* a 5xx (or an answer that is not Graph's JSON) — the call's *doubt*: a call that
  publishes (``publishes=True``) may have done so, hence ``unknown``; a call that makes
  nothing public (an unpublished photo, an Instagram container, a read) is ``retry``.

Transport failures follow telegram.py: no connection at all (refused, DNS, connect
timeout, TLS handshake) is ``retry``; a read timeout or a connection lost after the request
was written is the call's doubt.

The account check (``check_account``) reads the account itself (``ok`` False on 190 or a
refusal; ``reachable`` False on a network failure or 5xx) and then asks ``debug_token``
about the token (a token may inspect itself): the earlier of ``expires_at`` and
``data_access_expires_at`` (0 means never) is the ``expires_at`` reported. When
``debug_token`` cannot be asked the expiry is simply unknown.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from pressroom.channels.base import AccountCheck, Result
from pressroom.channels.http import never_connected, short

DEFAULT_API_BASE = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"
#: Throttling: app, user, page and business-use-case rate limits.
RATE_LIMIT_CODES = frozenset({4, 9, 17, 32, 341, 613, *range(80001, 80015)})
TOKEN_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
POLICY_BLOCK = 368
#: How long to keep away after a throttle that says nothing about when it ends.
DEFAULT_THROTTLE_DELAY = 300.0


@dataclass(frozen=True)
class GraphError:
    """An error answer from Graph, read from its body (or from the HTTP status if not JSON)."""

    status: int
    code: int | None = None
    subcode: int | None = None
    transient: bool = False
    message: str = ""
    user_message: str = ""
    trace_id: str | None = None

    @property
    def throttled(self) -> bool:
        return self.code in RATE_LIMIT_CODES

    def describe(self) -> str:
        """Graph's own words, with the code and trace id a support request needs."""
        words = self.user_message or self.message or f"HTTP {self.status}"
        tags = []
        if self.code is not None:
            tags.append(f"code {self.code}" + (f"/{self.subcode}" if self.subcode else ""))
        if self.trace_id:
            tags.append(f"trace {self.trace_id}")
        return f"{words} ({', '.join(tags)})" if tags else words


@dataclass(frozen=True)
class Failure:
    """A call that did not give data: the result to record, and Graph's error if it sent one."""

    result: Result
    error: GraphError | None = None


def read_error(response: requests.Response) -> GraphError:
    """Read Graph's error body; a body that is not Graph's JSON (a proxy's page) gives the status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        status = response.status_code
        return GraphError(status=status, message=f"HTTP {status} {response.reason}")
    return GraphError(
        status=response.status_code,
        code=_int(error.get("code")),
        subcode=_int(error.get("error_subcode")),
        transient=bool(error.get("is_transient")),
        message=str(error.get("message") or ""),
        user_message=str(error.get("error_user_msg") or ""),
        trace_id=str(error["fbtrace_id"]) if error.get("fbtrace_id") else None,
    )


def throttle_delay(response: requests.Response) -> float | None:
    """Seconds Graph asks to wait: ``Retry-After``, else the longest business-use-case wait."""
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
    usage = response.headers.get("X-Business-Use-Case-Usage")
    try:
        parsed = json.loads(usage) if usage else {}
    except ValueError:
        parsed = {}
    minutes = [
        float(entry.get("estimated_time_to_regain_access") or 0)
        for entries in (parsed.values() if isinstance(parsed, dict) else ())
        for entry in (entries if isinstance(entries, list) else ())
        if isinstance(entry, dict)
    ]
    longest = max(minutes, default=0.0)
    return longest * 60 if longest > 0 else None


class GraphAPI:
    """Calls one Graph API version for one platform ("Facebook" or "Instagram")."""

    def __init__(
        self,
        platform: str,
        place: str,
        base_url: str,
        version: str,
        timeout: float,
        connect_timeout: float | None = None,
    ):
        #: The platform's name and where a person looks for a post ("the Page", "the account").
        self.platform, self.place = platform, place
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.timeout = timeout
        self.connect_timeout = connect_timeout if connect_timeout is not None else min(timeout, 5)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{self.version}/{path.lstrip('/')}"

    def call(
        self,
        http: requests.Session,
        verb: str,
        path: str,
        token: str,
        *,
        what: str,
        publishes: bool,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any] | Failure:
        """Make one call; return Graph's JSON object, or a Failure saying what to record.

        ``what`` names the call in reasons ("the photo upload"); ``publishes`` says whether
        it makes something public, which decides what a 5xx or a lost answer means."""
        query = dict(params or {})
        form = dict(data or {}) if verb == "POST" else None
        if form is not None:
            form["access_token"] = token
        else:
            query["access_token"] = token
        try:
            response = http.request(
                verb, self.url(path), params=query, data=form, files=files,
                timeout=(self.connect_timeout, self.timeout),
            )
        except requests.RequestException as exc:
            return Failure(self._transport_failure(exc, what, publishes))
        with response:
            if response.status_code < 300:
                try:
                    body = response.json()
                except ValueError:
                    body = None
                if isinstance(body, dict) and "error" not in body:
                    return body
                return Failure(self._doubt(f"{self.platform} gave an unreadable answer to {what}", publishes))
            error = read_error(response)
            return Failure(self._refusal(error, response, what, publishes), error)

    # Reading answers ----------------------------------------------------------------------
    def _refusal(self, error: GraphError, response: requests.Response, what: str, publishes: bool) -> Result:
        said = error.describe()
        if error.throttled:
            after = throttle_delay(response)
            return Result.retry(
                f"{self.platform} asked to slow down during {what}: {said}",
                after=after if after is not None else DEFAULT_THROTTLE_DELAY,
            )
        if error.transient:
            return Result.retry(
                f"{self.platform} had a temporary problem during {what}: {said}",
                after=throttle_delay(response),
            )
        if error.code in TOKEN_CODES:
            return Result.failed(
                f"{self.platform} says the access token has expired or was revoked: reconnect the account "
                f"({said})"
            )
        if error.code in PERMISSION_CODES:
            return Result.failed(
                f"{self.platform} refused {what} because the token lacks a permission: reconnect the "
                f"account with the permissions Pressroom asks for ({said})"
            )
        if error.code == POLICY_BLOCK:
            return Result.failed(
                f"{self.platform} has blocked this account from {what} for a policy reason; someone must "
                f"look at it in {self.platform} before posting again ({said})"
            )
        if error.status >= 500:
            return self._doubt(f"{self.platform} answered {what} with a server error ({said})", publishes)
        return Result.failed(f"{self.platform} refused {what}: {said}")

    def _doubt(self, what_happened: str, publishes: bool) -> Result:
        if publishes:
            return Result.unknown(
                f"{what_happened}; the post may have been published anyway — check {self.place} before "
                "sending again"
            )
        return Result.retry(f"{what_happened}; nothing was published, it will be tried again")

    def _transport_failure(self, exc: requests.RequestException, what: str, publishes: bool) -> Result:
        if isinstance(exc, requests.ConnectTimeout) or never_connected(exc):
            return Result.retry(f"could not connect to {self.platform}: {short(exc)}")
        if isinstance(exc, requests.exceptions.SSLError):
            return Result.retry(f"could not set up a secure connection to {self.platform}: {short(exc)}")
        if isinstance(exc, requests.ReadTimeout):
            return self._doubt(f"{self.platform} did not answer {what} in time", publishes)
        return self._doubt(
            f"the connection to {self.platform} failed during {what} ({short(exc)})", publishes
        )

    # The account check ------------------------------------------------------------------------
    def check_account(
        self, path: str, token: str, fields: str, display_name: Callable[[dict[str, Any]], str | None]
    ) -> AccountCheck:
        """Read the account (``GET <path>?fields=…``) and ask ``debug_token`` when the token ends."""
        if not path or not token:
            return AccountCheck(ok=False, reason=f"the {self.platform} account has no id or access token")
        with requests.Session() as http:
            outcome = self.call(http, "GET", path, token, params={"fields": fields}, what="the account check",
                                publishes=False)
            if isinstance(outcome, Failure):
                if outcome.result.status == "failed":
                    return AccountCheck(ok=False, reason=outcome.result.reason)
                return AccountCheck(ok=False, reachable=False, reason=outcome.result.reason)
            return AccountCheck(ok=True, expires_at=self.token_expiry(http, token),
                                display_name=display_name(outcome))

    def token_expiry(self, http: requests.Session, token: str) -> datetime | None:
        """When the token stops working, where ``debug_token`` tells; None if never or unknown."""
        outcome = self.call(http, "GET", "debug_token", token, params={"input_token": token},
                            what="the token check", publishes=False)
        data = outcome.get("data") if isinstance(outcome, dict) else None
        if not isinstance(data, dict):
            return None
        stamps = [
            stamp for stamp in (_int(data.get("expires_at")), _int(data.get("data_access_expires_at")))
            if stamp and stamp > 0
        ]
        return datetime.fromtimestamp(min(stamps), UTC) if stamps else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
