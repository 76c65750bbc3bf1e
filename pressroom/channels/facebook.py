"""The Facebook channel: posts to a Facebook Page through the Graph API.

Credentials per account: ``{"page_id": "1029384756", "page_access_token": "EAAG…"}`` — a
Page access token (long-lived, from a Page admin) with ``pages_manage_posts`` and
``pages_read_engagement``. The API base and version come from configuration
(``GRAPH_API_BASE``, ``GRAPH_API_VERSION``), so tests talk to a local fake; the calls and
how errors map to results are in graph.py.

What is sent:

* no image — ``POST /<page>/feed`` with ``message``;
* one image — ``POST /<page>/photos``: the JPEG uploaded as multipart field ``source``,
  the text as ``message``, ``published=true`` and the image's alt text as
  ``alt_text_custom``. ``external_id`` is the ``post_id`` Graph returns (the photo ``id``
  if it returns none);
* 2–10 images — each uploaded to ``/<page>/photos`` with ``published=false`` and
  ``temporary=true`` (not visible anywhere; Graph discards it if never attached) and its
  alt text, then one ``POST /<page>/feed`` with ``message`` and
  ``attached_media[i]={"media_fbid": "<photo id>"}``: one post holding every photo.

``external_url`` is ``https://www.facebook.com/<post id>`` (Graph's post ids are
``<page id>_<post number>``, which facebook.com resolves).

Facebook publishes irreversibly, so doubt on a call that publishes (the single photo, the
feed post) is ``unknown``: a 5xx or no answer in time may mean the post is live, and a
person checks the Page. Uploading unpublished photos makes nothing public, so a 5xx or a
timeout there is ``retry`` (the orphaned temporary photos are Graph's to discard).

Retraction deletes the post (``DELETE /<post id>``); a post Graph says does not exist
counts as deleted, since the goal is that it is gone. ``check_account`` reads
``/<page>?fields=id,name`` and the token's expiry (see graph.py).

Rate limit: Graph limits Pages by call volume per 24 hours (reported in usage headers and
answered with throttling errors, which become ``retry``); there is no posting rate to
honour beyond that, so the adapter only paces a batch to one post a second to one Page,
which keeps a burst of scheduled posts from looking like spam.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from pressroom.channels.base import AccountCheck, Image, Message, RateLimit, Result
from pressroom.channels.graph import DEFAULT_API_BASE, DEFAULT_VERSION, Failure, GraphAPI

DEFAULT_RATE_LIMIT = RateLimit(per_second=1.0)
#: Graph's answer to deleting something that is not there (code 100, subcode 33).
_GONE_SUBCODE = 33


@dataclass
class FacebookSession:
    """One batch: the Page, its token and a pooled HTTP connection."""

    http: requests.Session
    page_id: str
    token: str


class FacebookChannel:
    """Publish to a Facebook Page through the Graph API at ``base_url``."""

    name = "facebook"

    def __init__(
        self,
        base_url: str = DEFAULT_API_BASE,
        version: str = DEFAULT_VERSION,
        timeout: float = 20,
        connect_timeout: float | None = None,
        rate_limit: RateLimit | None = None,
    ):
        self.graph = GraphAPI("Facebook", "the Page", base_url, version, timeout, connect_timeout)
        self.rate_limit = rate_limit or DEFAULT_RATE_LIMIT

    # Channel protocol ----------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, credentials: dict[str, Any]) -> Iterator[FacebookSession]:
        """Keep one HTTP connection pool for the batch."""
        http = requests.Session()
        try:
            yield FacebookSession(
                http=http,
                page_id=str(credentials.get("page_id") or ""),
                token=str(credentials.get("page_access_token") or ""),
            )
        finally:
            http.close()

    def send(self, session: FacebookSession, message: Message) -> Result:
        """Post ``message`` as a text, a photo, or one post holding several photos."""
        if not session.page_id or not session.token:
            return Result.failed("the Facebook account has no Page id or Page access token")
        images = message.images
        if not images:
            if not message.text.strip():
                return Result.failed("there is nothing to post: no text and no image")
            outcome = self._post(session, "feed", {"message": message.text}, what="the post")
        elif len(images) == 1:
            outcome = self._upload(session, images[0], message.text, published=True)
        else:
            photo_ids = []
            for number, image in enumerate(images, start=1):
                uploaded = self._upload(session, image, None, published=False, number=number)
                if isinstance(uploaded, Failure):
                    return uploaded.result
                if not uploaded.get("id"):
                    return Result.retry(
                        f"Facebook returned no photo id for photo {number}; nothing was published"
                    )
                photo_ids.append(str(uploaded["id"]))
            form = {"message": message.text} if message.text else {}
            for index, photo_id in enumerate(photo_ids):
                form[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo_id})
            outcome = self._post(session, "feed", form, what="the post with its photos")
        if isinstance(outcome, Failure):
            return outcome.result
        post_id = outcome.get("post_id") or outcome.get("id")
        if not post_id:
            return Result.unknown("Facebook said it worked but returned no post id; check the Page")
        return Result.sent(external_id=str(post_id), external_url=f"https://www.facebook.com/{post_id}")

    def retract(self, credentials: dict[str, Any], external_id: str) -> Result:
        """Delete the post; one Facebook no longer has counts as deleted."""
        token = str(credentials.get("page_access_token") or "")
        if not external_id or not token:
            return Result.failed(f"cannot retract {external_id!r}: no post id or Page access token")
        with requests.Session() as http:
            outcome = self.graph.call(http, "DELETE", external_id, token, what="deleting the post",
                                      publishes=False)
        if isinstance(outcome, Failure):
            error = outcome.error
            if error is not None and (error.subcode == _GONE_SUBCODE or "does not exist" in error.message):
                return Result.sent(external_id=external_id)
            return outcome.result
        if outcome.get("success") is False:
            return Result.failed("Facebook did not delete the post (it answered success: false)")
        return Result.sent(external_id=external_id)

    def check_account(self, credentials: dict[str, Any]) -> AccountCheck:
        """Read the Page with its token, and when the token expires."""
        return self.graph.check_account(
            str(credentials.get("page_id") or ""),
            str(credentials.get("page_access_token") or ""),
            "id,name",
            lambda page: str(page.get("name") or "") or None,
        )

    # Calls ---------------------------------------------------------------------------------
    def _upload(
        self, session: FacebookSession, image: Image, caption: str | None, *, published: bool, number: int = 1
    ) -> dict[str, Any] | Failure:
        """Upload one photo: published with the caption, or unpublished to attach to a post."""
        form: dict[str, str] = {"published": "true" if published else "false"}
        if not published:
            form["temporary"] = "true"
        if caption:
            form["message"] = caption
        if image.alt_text:
            form["alt_text_custom"] = image.alt_text
        files = {"source": (image.filename, image.data, image.content_type)}
        what = "the photo post" if published else f"the upload of photo {number}"
        return self._post(session, "photos", form, what=what, files=files, publishes=published)

    def _post(
        self,
        session: FacebookSession,
        edge: str,
        form: dict[str, str],
        *,
        what: str,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        publishes: bool = True,
    ) -> dict[str, Any] | Failure:
        return self.graph.call(session.http, "POST", f"{session.page_id}/{edge}", session.token, what=what,
                               publishes=publishes, data=form, files=files)
