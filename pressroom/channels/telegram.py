"""The Telegram channel: posts to a channel (or group) through the Bot API.

Credentials per account: ``{"bot_token": "123:ABC…", "chat_id": "@channelname" or
"-100…"}``; ``Message.recipient``, when set, overrides the chat. The API base URL comes
from configuration (``TELEGRAM_API_BASE``), so tests talk to a local fake.

What is sent:

* no image — ``sendMessage`` with the text;
* one image — ``sendPhoto``, the JPEG uploaded as multipart field ``photo``, the text as
  ``caption``;
* 2–10 images — ``sendMediaGroup``: an album whose ``media`` JSON refers to the uploaded
  parts as ``attach://photo0`` …, with the text as the caption of the first item only
  (Telegram's clients show a lone caption under the whole album).

Text goes out plain: no ``parse_mode``, so ``*``, ``_`` or ``<`` in a caption never break a
post. Limits (caption 1,024 characters, at most 10 images) are checked when a post is
approved; if one slips through, Telegram's 400 becomes ``failed`` with its description —
the adapter never shortens what a person approved. Telegram has no alt text for photos.

How answers map to results (Telegram publishes irreversibly, so doubt means ``unknown``):

* ``ok`` — ``sent``; ``external_id`` is ``<chat id>:<message id>[,<message id>…]`` and
  ``external_url`` is ``https://t.me/<username>/<message id>`` for a public chat;
* 429 — ``retry`` after ``parameters.retry_after`` seconds;
* other 4xx (bad request, wrong token, bot not admin) — ``failed`` with the description;
* 5xx, a read timeout, a connection lost after the request was written — ``unknown``:
  the post may be live, a person checks the channel;
* no connection at all (refused, DNS, connect timeout) — ``retry``: nothing left.

Rate limit: the Bot FAQ asks bots not to send more than one message per second to one
chat and says a bot cannot send more than 20 messages per minute to the same group
(channels behave alike). A Pressroom Telegram account is one bot posting into one
channel, so the default is 20 per minute (``per_second=1/3``); a burst beyond it (an
album counts as several messages) is answered with 429 and ``retry_after``, which the
outbox honours.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from pressroom.channels.base import AccountCheck, Message, RateLimit, Result
from pressroom.channels.http import never_connected, short

DEFAULT_API_BASE = "https://api.telegram.org"
#: Twenty messages a minute into one channel (see the module docstring).
DEFAULT_RATE_LIMIT = RateLimit(per_second=20 / 60)


@dataclass
class TelegramSession:
    """One batch: the account's credentials and a pooled HTTP connection."""

    http: requests.Session
    bot_token: str
    chat_id: str


class TelegramChannel:
    """Publish to a Telegram channel through the Bot API at ``base_url``."""

    name = "telegram"

    def __init__(
        self,
        base_url: str = DEFAULT_API_BASE,
        timeout: float = 15,
        connect_timeout: float | None = None,
        rate_limit: RateLimit | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.connect_timeout = connect_timeout if connect_timeout is not None else min(timeout, 5)
        self.rate_limit = rate_limit or DEFAULT_RATE_LIMIT

    # Channel protocol ----------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, credentials: dict[str, Any]) -> Iterator[TelegramSession]:
        """Keep one HTTP connection pool for the batch."""
        http = requests.Session()
        try:
            yield TelegramSession(
                http=http,
                bot_token=str(credentials.get("bot_token") or ""),
                chat_id=str(credentials.get("chat_id") or ""),
            )
        finally:
            http.close()

    def send(self, session: TelegramSession, message: Message) -> Result:
        """Post ``message`` as a text, a photo or an album."""
        chat_id = str(message.recipient or session.chat_id)
        if not session.bot_token or not chat_id:
            return Result.failed("the Telegram account has no bot token or chat id")
        images = message.images
        if not images:
            method, data, files = "sendMessage", {"chat_id": chat_id, "text": message.text}, None
        elif len(images) == 1:
            method = "sendPhoto"
            data = {"chat_id": chat_id}
            if message.text:
                data["caption"] = message.text
            image = images[0]
            files = {"photo": (image.filename, image.data, image.content_type)}
        else:
            method = "sendMediaGroup"
            media: list[dict[str, str]] = []
            files = {}
            for index, image in enumerate(images):
                field = f"photo{index}"
                item = {"type": "photo", "media": f"attach://{field}"}
                if index == 0 and message.text:
                    item["caption"] = message.text
                media.append(item)
                files[field] = (image.filename, image.data, image.content_type)
            data = {"chat_id": chat_id, "media": json.dumps(media, ensure_ascii=False)}

        outcome = self._call(session.http, session.bot_token, method, data, files)
        if isinstance(outcome, Result):
            return outcome
        posted = outcome if isinstance(outcome, list) else [outcome]
        return _published(chat_id, posted)

    def retract(self, credentials: dict[str, Any], external_id: str) -> Result:
        """Delete every message of the post (each photo of an album is its own message).

        A message Telegram no longer finds counts as deleted: the goal is that it is gone.
        """
        chat_id, _, ids = external_id.rpartition(":")
        message_ids = [part for part in ids.split(",") if part.strip()]
        token = str(credentials.get("bot_token") or "")
        if not chat_id or not message_ids or not token:
            return Result.failed(f"cannot retract {external_id!r}: no chat, message id or bot token")
        with self.session(credentials) as session:
            deleted = 0
            for message_id in message_ids:
                outcome = self._call(
                    session.http, token, "deleteMessage", {"chat_id": chat_id, "message_id": message_id}
                )
                if isinstance(outcome, Result):
                    if outcome.status == "failed" and "message to delete not found" in (outcome.reason or ""):
                        deleted += 1
                        continue
                    return _partly(outcome, deleted, len(message_ids))
                deleted += 1
        return Result.sent(external_id=external_id)

    def check_account(self, credentials: dict[str, Any]) -> AccountCheck:
        """``getMe`` (the token works), then ``getChatMember`` for the bot in the chat: it must
        be an administrator allowed to post (a channel) or a member (a group). Bot tokens do
        not expire, so ``expires_at`` stays None."""
        token = str(credentials.get("bot_token") or "")
        chat_id = str(credentials.get("chat_id") or "")
        if not token or not chat_id:
            return AccountCheck(ok=False, reason="the account has no bot token or chat id")
        with self.session(credentials) as session:
            me = self._call(session.http, token, "getMe", {})
            if isinstance(me, Result):
                return _check_failure(me)
            member = self._call(
                session.http, token, "getChatMember", {"chat_id": chat_id, "user_id": str(me["id"])}
            )
            if isinstance(member, Result):
                return _check_failure(member)
        name = "@" + str(me.get("username") or me.get("id"))
        status = member.get("status")
        if status not in ("administrator", "creator", "member"):
            return AccountCheck(ok=False, display_name=name,
                                reason=f"the bot is not in {chat_id} any more (status: {status})")
        if status == "administrator" and member.get("can_post_messages") is False:
            return AccountCheck(ok=False, display_name=name,
                                reason=f"the bot is an administrator of {chat_id} but may not post messages")
        return AccountCheck(ok=True, display_name=name)

    # HTTP ----------------------------------------------------------------------------------
    def _call(
        self,
        http: requests.Session,
        token: str,
        method: str,
        data: dict[str, str],
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> Any:
        """Call one Bot API method; return its ``result`` or a Result saying what went wrong."""
        url = f"{self.base_url}/bot{token}/{method}"
        try:
            response = http.post(url, data=data, files=files, timeout=(self.connect_timeout, self.timeout))
        except requests.RequestException as exc:
            return _transport_failure(exc, method)

        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {"ok": False, "error_code": response.status_code, "description": response.reason or ""}
        if body.get("ok") is True and response.status_code < 300:
            return body.get("result")

        code = int(body.get("error_code") or response.status_code)
        description = str(body.get("description") or f"HTTP {response.status_code}")
        parameters = body.get("parameters") or {}
        if code == 429:
            after = parameters.get("retry_after") or response.headers.get("Retry-After")
            return Result.retry(
                f"Telegram asked to slow down: {description}", after=float(after) if after else None
            )
        if code >= 500 or response.status_code >= 500:
            return Result.unknown(
                f"Telegram answered {method} with an error ({code} {description}); the post may "
                "have been published anyway — check the channel before sending again"
            )
        return Result.failed(f"Telegram refused {method}: {description}")


def _check_failure(outcome: Result) -> AccountCheck:
    """A refused call means the credentials or the chat are wrong; anything else says nothing."""
    if outcome.status == "failed":
        return AccountCheck(ok=False, reason=outcome.reason)
    return AccountCheck(ok=False, reachable=False, reason=outcome.reason)


def _published(chat_id: str, posted: list[dict[str, Any]]) -> Result:
    """Build the ``sent`` result from the Message objects Telegram returned."""
    ids = [str(item["message_id"]) for item in posted if isinstance(item, dict) and "message_id" in item]
    if not ids:
        return Result.unknown("Telegram said ok but returned no message id; check the channel")
    chat = posted[0].get("chat") or {}
    stable_chat = str(chat.get("id") or chat_id)
    username = chat.get("username") or (chat_id[1:] if chat_id.startswith("@") else None)
    url = f"https://t.me/{username}/{ids[0]}" if username else None
    return Result.sent(external_id=f"{stable_chat}:{','.join(ids)}", external_url=url)


def _transport_failure(exc: requests.RequestException, method: str) -> Result:
    """Tell "never reached Telegram" (retry) from "may have been applied" (unknown)."""
    if isinstance(exc, requests.ConnectTimeout) or never_connected(exc):
        return Result.retry(f"could not connect to Telegram: {short(exc)}")
    if isinstance(exc, requests.exceptions.SSLError):
        # The TLS handshake comes before the request is written.
        return Result.retry(f"could not set up a secure connection to Telegram: {short(exc)}")
    if isinstance(exc, requests.ReadTimeout):
        return Result.unknown(
            f"Telegram did not answer {method} in time; the post may have been published — "
            "check the channel before sending again"
        )
    return Result.unknown(
        f"the connection to Telegram failed during {method} ({short(exc)}); the post may have "
        "been published — check the channel before sending again"
    )


def _partly(outcome: Result, deleted: int, total: int) -> Result:
    if deleted == 0:
        return outcome
    note = f" ({deleted} of {total} messages were deleted before this)"
    return Result(outcome.status, reason=(outcome.reason or "") + note, retry_after=outcome.retry_after)
