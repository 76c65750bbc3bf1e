"""The X (Twitter) channel: posts to one account through the X API v2.

Credentials per account (OAuth 1.0a user context, from the X developer console — the app
needs "Read and write" permission, and the access token must be generated after that
permission was set): ``{"api_key": "…", "api_secret": "…", "access_token": "…",
"access_token_secret": "…"}``, optionally ``"username": "diskominfojateng"`` for links
that name the account. The API base URL comes from configuration (``X_API_BASE``), so
tests talk to a local fake.

What is sent, every request signed with the account's OAuth 1.0a credentials:

* each image (at most 4) — ``POST /2/media/upload``, multipart with the JPEG as field
  ``media`` and ``media_category=tweet_image`` (only the ``oauth_*`` parameters are
  signed, as OAuth 1.0a prescribes for multipart bodies); X answers
  ``{"data": {"id": "…", "media_key": "…", …}}``;
* the alt text of each image that has one — ``POST /2/media/metadata`` with JSON
  ``{"id": <media id>, "metadata": {"alt_text": {"text": …}}}`` (X takes 1,000 characters);
* the post — ``POST /2/tweets`` through tweepy's ``Client.create_tweet``, with the text
  and ``media.media_ids``.

tweepy 4.17 speaks only the retired v1.1 media upload and hard-codes
``https://api.twitter.com``; ``_Client`` keeps tweepy's v2 methods and its error
classes but sends to our base URL, over the batch's ``requests.Session``, with timeouts,
and never sleeps on a rate limit. The text goes out as approved: limits (280 weighted
characters, 4 images) are checked at approval, and X's refusal becomes ``failed``.

How answers map to results (a post on X is public at once, so doubt means ``unknown``):

* created — ``sent``; ``external_id`` is the post id, ``external_url``
  ``https://x.com/<username>/status/<id>`` when the username is known, else
  ``https://x.com/i/web/status/<id>``;
* 429 — ``retry`` after ``x-rate-limit-reset`` (epoch seconds) minus now, at least 1 s;
* 402 Payment Required — ``failed``: the X API plan or credits are exhausted;
* 403 "duplicate content" — ``failed``: X does not take the same text twice;
* 401, other 403 — ``failed``: the tokens are wrong or revoked, or the app cannot write;
* 400 and other 4xx — ``failed`` with X's detail;
* media upload or alt text (nothing is public yet): a 5xx, a timeout or a lost
  connection — ``retry``; a 4xx as above;
* creating the post: a 5xx, a read timeout, a connection lost after the request was
  written — ``unknown``: the post may be live, a person checks the account;
* no connection at all (refused, DNS, connect timeout, TLS handshake) — ``retry``.

Retraction is ``DELETE /2/tweets/:id``; a post X no longer finds (404) counts as deleted.
The daily account check is ``GET /2/users/me``, naming the account "@username".

Rate limit: X's rate-limit table (docs.x.com/x-api/fundamentals/rate-limits, "Manage
posts") gives ``POST /2/tweets`` 100 requests per 15 minutes per user and 10,000 per 24
hours per app. A Pressroom X account is one user token, so the default is 100 per 15
minutes (``per_second=1/9``). Older X pages also mention 300 posts per 3 hours shared with
reposts and lower limits on small plans; whatever the account's real limit, a 429 with
``x-rate-limit-reset`` is honoured.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
import tweepy
from requests_oauthlib import OAuth1

from pressroom.channels.base import AccountCheck, Message, RateLimit, Result
from pressroom.channels.http import never_connected, short

DEFAULT_API_BASE = "https://api.x.com"
#: 100 posts per 15 minutes per user (see the module docstring).
DEFAULT_RATE_LIMIT = RateLimit(per_second=100 / (15 * 60))
CREDENTIAL_FIELDS = ("api_key", "api_secret", "access_token", "access_token_secret")
MAX_IMAGES = 4
ALT_TEXT_LIMIT = 1000


class _Client(tweepy.Client):
    """tweepy's v2 client sending to ``base_url`` over a given ``requests.Session``.

    Overrides only ``BaseClient.request`` (tweepy 4.17 joins every route to the
    hard-coded ``https://api.twitter.com``, sends no timeout and may sleep on a 429);
    status codes still become tweepy's exceptions, mapped as tweepy maps them
    (``_raise_for_status``), and tweepy still parses the answers.
    """

    def __init__(
        self,
        http: requests.Session,
        auth: OAuth1,
        base_url: str,
        timeout: tuple[float, float],
        credentials: dict[str, str],
    ):
        super().__init__(
            consumer_key=credentials["api_key"],
            consumer_secret=credentials["api_secret"],
            access_token=credentials["access_token"],
            access_token_secret=credentials["access_token_secret"],
            wait_on_rate_limit=False,
        )
        self.session.close()  # tweepy's own session: never used
        self.session = http
        self.auth = auth
        self.base_url = base_url
        self.timeout = timeout

    def request(self, method, route, params=None, json=None, user_auth=False):
        if not user_auth:
            raise ValueError("Pressroom calls X with OAuth 1.0a user context only")
        with self.session.request(
            method,
            self.base_url + route,
            params=params,
            json=json,
            headers={"User-Agent": self.user_agent},
            auth=self.auth,
            timeout=self.timeout,
        ) as response:
            _raise_for_status(response)
            return response


@dataclass
class XSession:
    """One batch: a pooled HTTP connection, the signer and the tweepy client over both."""

    http: requests.Session
    auth: OAuth1 | None
    client: _Client | None
    username: str | None = None
    missing: list[str] = field(default_factory=list)


class XChannel:
    """Publish to an X account through the X API v2 at ``base_url``."""

    name = "x"

    def __init__(
        self,
        base_url: str = DEFAULT_API_BASE,
        timeout: float = 20,
        connect_timeout: float | None = None,
        rate_limit: RateLimit | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.connect_timeout = connect_timeout if connect_timeout is not None else min(timeout, 5)
        self.rate_limit = rate_limit or DEFAULT_RATE_LIMIT

    # Channel protocol ----------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, credentials: dict[str, Any]) -> Iterator[XSession]:
        """Keep one HTTP connection pool (and one tweepy client) for the batch."""
        http = requests.Session()
        values = {key: str(credentials.get(key) or "").strip() for key in CREDENTIAL_FIELDS}
        missing = [key for key, value in values.items() if not value]
        auth = client = None
        if not missing:
            auth = OAuth1(
                values["api_key"],
                client_secret=values["api_secret"],
                resource_owner_key=values["access_token"],
                resource_owner_secret=values["access_token_secret"],
            )
            client = _Client(http, auth, self.base_url, self._timeouts, values)
        username = str(credentials.get("username") or "").strip().lstrip("@") or None
        try:
            yield XSession(http=http, auth=auth, client=client, username=username, missing=missing)
        finally:
            http.close()

    def send(self, session: XSession, message: Message) -> Result:
        """Upload the images (with alt text), then create the post; never raise."""
        try:
            return self._send(session, message)
        except Exception as exc:  # noqa: BLE001 - a surprise must not lose what may be live
            return Result.unknown(_CHECK.format(what=f"internal error in the X adapter ({exc!r})"))

    def _send(self, session: XSession, message: Message) -> Result:
        if session.client is None:
            return Result.failed(f"the X account lacks credentials: {', '.join(session.missing)}")
        if len(message.images) > MAX_IMAGES:
            return Result.failed(f"X takes at most {MAX_IMAGES} images; this post has {len(message.images)}")
        media_ids: list[str] = []
        for number, image in enumerate(message.images, start=1):
            uploaded = self._upload(session, image.data, image.filename, image.content_type, number)
            if isinstance(uploaded, Result):
                return uploaded
            media_ids.append(uploaded)
            alt = " ".join(image.alt_text.split())[:ALT_TEXT_LIMIT]
            if alt:
                described = self._describe(session, uploaded, alt, number)
                if described is not None:
                    return described

        try:
            response = session.client.create_tweet(text=message.text or None, media_ids=media_ids or None)
        except tweepy.HTTPException as exc:
            return _refused(exc, "the post", maybe_published=True)
        except requests.exceptions.JSONDecodeError:  # a 2xx whose body is not JSON
            return Result.unknown(_CHECK.format(what="X answered the post with something unreadable"))
        except requests.RequestException as exc:
            return _transport_failure(exc, "the post", maybe_published=True)
        tweet_id = str((response.data or {}).get("id") or "")
        if not tweet_id:
            return Result.unknown(_CHECK.format(what="X accepted the post but returned no id"))
        return Result.sent(external_id=tweet_id, external_url=_post_url(tweet_id, session.username))

    def retract(self, credentials: dict[str, Any], external_id: str) -> Result:
        """Delete the post; a post X no longer finds counts as deleted (the goal is that it is gone)."""
        tweet_id = (external_id or "").strip()
        if not tweet_id.isdigit():
            return Result.failed(f"cannot retract {external_id!r}: not an X post id")
        with self.session(credentials) as session:
            if session.client is None:
                return Result.failed(f"the X account lacks credentials: {', '.join(session.missing)}")
            try:
                response = session.client.delete_tweet(tweet_id)
            except tweepy.NotFound:
                return Result.sent(external_id=tweet_id)
            except tweepy.HTTPException as exc:
                return _refused(exc, "the deletion", maybe_published=False)
            except requests.exceptions.JSONDecodeError:
                return Result.retry("X answered the deletion with something unreadable; try again")
            except requests.RequestException as exc:
                return _transport_failure(exc, "the deletion", maybe_published=False)
        if (response.data or {}).get("deleted") is False:
            return Result.failed("X answered that the post was not deleted; delete it on x.com")
        return Result.sent(external_id=tweet_id)

    def check_account(self, credentials: dict[str, Any]) -> AccountCheck:
        """Ask X who these credentials belong to (``GET /2/users/me``)."""
        with self.session(credentials) as session:
            if session.client is None:
                return AccountCheck(ok=False, reason=f"missing credentials: {', '.join(session.missing)}")
            try:
                response = session.client.get_me(user_auth=True)
            except tweepy.HTTPException as exc:
                status = exc.response.status_code
                if status in (401, 402, 403):
                    return AccountCheck(ok=False, reason=_refused(exc, "the account check").reason)
                return AccountCheck(
                    ok=False, reachable=False, reason=f"X could not be asked ({status}: {_detail(exc)})"
                )
            except requests.exceptions.JSONDecodeError:
                return AccountCheck(ok=False, reachable=False, reason="X answered with something unreadable")
            except requests.RequestException as exc:
                reason = f"X could not be reached: {short(exc)}"
                return AccountCheck(ok=False, reachable=False, reason=reason)
        user = response.data
        username = getattr(user, "username", None)
        if not username:
            return AccountCheck(ok=False, reachable=False, reason="X answered without the account's username")
        return AccountCheck(ok=True, display_name=f"@{username}")

    # Media ---------------------------------------------------------------------------------
    @property
    def _timeouts(self) -> tuple[float, float]:
        return (self.connect_timeout, self.timeout)

    def _upload(
        self, session: XSession, data: bytes, filename: str, content_type: str, number: int
    ) -> str | Result:
        """Upload one image; return its media id or a Result saying what went wrong."""
        step = f"image {number}"
        body = self._media_call(
            session,
            "/2/media/upload",
            step,
            data={"media_category": "tweet_image"},
            files={"media": (filename, data, content_type)},
        )
        if isinstance(body, Result):
            return body
        media = body.get("data") or {}
        media_id = str(media.get("id") or "")
        if not media_id:
            return Result.retry(f"X accepted {step} but returned no media id; nothing was posted")
        processing = media.get("processing_info") or {}
        if processing.get("state") == "failed":
            error = (processing.get("error") or {}).get("message") or "processing failed"
            return Result.failed(f"X could not process {step}: {error}; nothing was posted")
        return media_id

    def _describe(self, session: XSession, media_id: str, alt: str, number: int) -> Result | None:
        """Attach alt text to an uploaded image; None when done."""
        body = self._media_call(
            session,
            "/2/media/metadata",
            f"the alt text of image {number}",
            json={"id": media_id, "metadata": {"alt_text": {"text": alt}}},
        )
        return body if isinstance(body, Result) else None

    def _media_call(self, session: XSession, route: str, step: str, **kwargs: Any) -> dict[str, Any] | Result:
        """POST to a media endpoint, signed; nothing is public yet, so doubt means ``retry``."""
        try:
            with session.http.post(
                self.base_url + route, auth=session.auth, timeout=self._timeouts, **kwargs
            ) as response:
                _raise_for_status(response)
                body = response.json()
        except tweepy.HTTPException as exc:
            return _refused(exc, step, maybe_published=False)
        except requests.exceptions.JSONDecodeError:
            return Result.retry(f"X answered {step} with something unreadable; nothing was posted")
        except requests.RequestException as exc:
            return _transport_failure(exc, step, maybe_published=False)
        return body if isinstance(body, dict) else {}


# Answers ------------------------------------------------------------------------------------
_CHECK = "{what}; the post may have been published — check the account on x.com before sending again"


def _raise_for_status(response: requests.Response) -> None:
    """Raise tweepy's exception for an error answer, exactly as tweepy's ``BaseClient.request``."""
    status = response.status_code
    if status == 400:
        raise tweepy.BadRequest(response)
    if status == 401:
        raise tweepy.Unauthorized(response)
    if status == 403:
        raise tweepy.Forbidden(response)
    if status == 404:
        raise tweepy.NotFound(response)
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset")
        raise tweepy.TooManyRequests(response, reset_time=int(reset) if reset and reset.isdigit() else None)
    if status >= 500:
        raise tweepy.TwitterServerError(response)
    if not 200 <= status < 300:
        raise tweepy.HTTPException(response)


def _refused(exc: tweepy.HTTPException, step: str, maybe_published: bool = False) -> Result:
    """Turn an error answer from X into a Result, in plain words."""
    status = exc.response.status_code
    detail = _detail(exc)
    if isinstance(exc, tweepy.TooManyRequests):
        after = max(1.0, exc.reset_time - time.time()) if exc.reset_time else None
        return Result.retry(f"X asked to slow down ({step}: {detail})", after=after)
    if status >= 500:
        if maybe_published:
            return Result.unknown(_CHECK.format(what=f"X answered {step} with an error ({status} {detail})"))
        return Result.retry(f"X answered {step} with an error ({status} {detail}); nothing was posted")
    if status == 402:
        return Result.failed(
            f"X refused {step}: 402 Payment Required — the X API plan or credits of this developer "
            f"account are exhausted ({detail}); top them up in the X developer console"
        )
    if status == 403 and "duplicate content" in detail.lower():
        return Result.failed(
            "X refused the post as a duplicate: this account already published exactly this text, "
            "and X does not allow posting the same text twice"
        )
    if status == 401:
        return Result.failed(
            f"X refused the credentials for {step} (401 {detail}): the API key/secret or the access "
            "token/secret are wrong or were revoked — enter fresh ones for this account"
        )
    if status == 403:
        return Result.failed(
            f"X refused {step} (403 {detail}): the tokens are not valid for this, or the X app lacks "
            "\"Read and write\" permission (regenerate the access token after changing it)"
        )
    return Result.failed(f"X refused {step} ({status} {detail})")


def _detail(exc: tweepy.HTTPException) -> str:
    """X's own words for an error (problem ``detail`` or ``errors[].message``), else the reason."""
    messages = [str(message) for message in exc.api_messages if message]
    return "; ".join(messages) or (exc.response.reason or "").strip() or "no detail"


def _transport_failure(exc: requests.RequestException, step: str, maybe_published: bool) -> Result:
    """Tell "never reached X" (retry) from "may have been applied" (unknown)."""
    if isinstance(exc, requests.ConnectTimeout) or never_connected(exc):
        return Result.retry(f"could not connect to X: {short(exc)}")
    if isinstance(exc, requests.exceptions.SSLError):
        # The TLS handshake comes before the request is written.
        return Result.retry(f"could not set up a secure connection to X: {short(exc)}")
    if not maybe_published:
        return Result.retry(f"the connection to X failed during {step} ({short(exc)}); nothing was posted")
    if isinstance(exc, requests.ReadTimeout):
        return Result.unknown(_CHECK.format(what=f"X did not answer {step} in time"))
    return Result.unknown(_CHECK.format(what=f"the connection to X failed during {step} ({short(exc)})"))


def _post_url(tweet_id: str, username: str | None) -> str:
    if username:
        return f"https://x.com/{username}/status/{tweet_id}"
    return f"https://x.com/i/web/status/{tweet_id}"
