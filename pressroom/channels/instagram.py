"""The Instagram channel: posts to an Instagram professional account through the Graph API's
content publishing (Instagram API with Facebook Login).

Credentials per account: ``{"ig_user_id": "17841…", "access_token": "EAAG…"}`` — the
Instagram account's id and a token with ``instagram_basic`` and
``instagram_content_publish``. The API base and version come from configuration
(``GRAPH_API_BASE``, ``GRAPH_API_VERSION``); the calls and how errors map to results are in
graph.py.

Instagram fetches images itself: every image must have a ``public_url`` (Pressroom's
``PUBLIC_URL`` must be reachable from the internet, which is checked when a post is
approved); an image without one is ``failed``. Captions and image rules (2,200 characters,
30 hashtags, 1–10 JPEG images with an aspect between 4:5 and 1.91:1) are checked at
approval too; what slips through comes back as Instagram's refusal, ``failed``.

A post takes several steps, each in its own tick (the adapter never sleeps or waits for
Instagram inside one ``send``); the step reached and its ids are kept on the delivery
(``Message.step``/``step_data``):

1. step None — ask ``GET /<ig-user>/content_publishing_limit?fields=quota_usage,config``:
   at the quota (50 posts per 24 hours) the delivery is ``retry`` an hour later. Then create
   the container: one image → ``POST /<ig-user>/media`` with ``image_url``, ``caption`` and
   ``alt_text``; 2–10 images → one child container per image (``is_carousel_item=true``,
   ``image_url``, ``alt_text``), then ``media_type=CAROUSEL`` with ``children`` (the child
   ids, comma-separated) and the ``caption``. Answer: ``continue`` to step ``poll`` with
   ``{"container_id", "children", "polls": 0}``, due again in 5 seconds.
2. step ``poll`` — ``GET /<container>?fields=status_code,status``:
   ``IN_PROGRESS`` → ``continue`` (``polls`` + 1) a little later, up to ``MAX_POLLS`` polls
   (about five minutes), then ``failed``; ``ERROR``/``EXPIRED`` → ``failed`` with the
   status; ``PUBLISHED`` → ``unknown`` (something already published it: never twice);
   ``FINISHED`` → ``POST /<ig-user>/media_publish`` with ``creation_id``, then
   ``GET /<media>?fields=permalink`` for ``external_url`` (without a permalink the post is
   still ``sent``). ``external_id`` is the media id. A publish answered "not ready yet"
   (code 9007) goes back to polling.

Containers are not public, so a 5xx or a timeout while making or polling them is
``retry`` (a fresh start from step 1, or the same poll again); ``media_publish`` is
irreversible, so doubt there is ``unknown`` and a person checks the account.

Instagram's API cannot delete a published post: ``retract`` answers ``failed`` and says to
delete it in the Instagram app. ``check_account`` reads ``/<ig-user>?fields=id,username``
and the token's expiry (see graph.py).

Rate limit: 50 published posts per account in 24 hours (``per_day``, and asked of
Instagram before each post); a batch is paced to one call step a second.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from pressroom.channels.base import AccountCheck, Message, RateLimit, Result
from pressroom.channels.graph import DEFAULT_API_BASE, DEFAULT_VERSION, Failure, GraphAPI

DEFAULT_RATE_LIMIT = RateLimit(per_second=1.0, per_day=50)
QUOTA_TOTAL = 50
#: When the daily quota is used up: ask again in an hour (the 24-hour window slides).
QUOTA_RETRY_AFTER = 3600.0
MAX_IMAGES = 10
#: Seconds before the first poll, and between the following ones; their number bounds polling.
FIRST_POLL_AFTER = 5.0
POLL_DELAYS = (5, 5, 10, 10, 20, 30, 60, 60, 60, 60)
MAX_POLLS = len(POLL_DELAYS)
#: media_publish's "the media is not ready for publishing, please wait for a moment".
_NOT_READY_CODE = 9007


@dataclass
class InstagramSession:
    """One batch: the Instagram account, its token and a pooled HTTP connection."""

    http: requests.Session
    ig_user_id: str
    token: str


class InstagramChannel:
    """Publish to an Instagram professional account through the Graph API at ``base_url``."""

    name = "instagram"

    def __init__(
        self,
        base_url: str = DEFAULT_API_BASE,
        version: str = DEFAULT_VERSION,
        timeout: float = 20,
        connect_timeout: float | None = None,
        rate_limit: RateLimit | None = None,
    ):
        self.graph = GraphAPI(
            "Instagram", "the Instagram account", base_url, version, timeout, connect_timeout
        )
        self.rate_limit = rate_limit or DEFAULT_RATE_LIMIT

    # Channel protocol ----------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, credentials: dict[str, Any]) -> Iterator[InstagramSession]:
        """Keep one HTTP connection pool for the batch."""
        http = requests.Session()
        try:
            yield InstagramSession(
                http=http,
                ig_user_id=str(credentials.get("ig_user_id") or ""),
                token=str(credentials.get("access_token") or ""),
            )
        finally:
            http.close()

    def send(self, session: InstagramSession, message: Message) -> Result:
        """Run the step the delivery has reached (see the module docstring)."""
        if not session.ig_user_id or not session.token:
            return Result.failed("the Instagram account has no account id or access token")
        if message.step is None:
            return self._create(session, message)
        if message.step == "poll":
            return self._poll(session, message.step_data)
        return Result.failed(f"unknown Instagram step {message.step!r}; nothing more was sent")

    def retract(self, credentials: dict[str, Any], external_id: str) -> Result:
        """Instagram's API cannot delete a post; say so plainly."""
        return Result.failed(
            "Instagram's API does not allow deleting posts: delete it in the Instagram app "
            "(open the post, ··· , Delete)"
        )

    def check_account(self, credentials: dict[str, Any]) -> AccountCheck:
        """Read the Instagram account with its token, and when the token expires."""
        return self.graph.check_account(
            str(credentials.get("ig_user_id") or ""),
            str(credentials.get("access_token") or ""),
            "id,username",
            lambda user: f"@{user['username']}" if user.get("username") else None,
        )

    # Step 1: quota and containers ------------------------------------------------------------
    def _create(self, session: InstagramSession, message: Message) -> Result:
        images = message.images
        if not images:
            return Result.failed("an Instagram post needs at least one image")
        if len(images) > MAX_IMAGES:
            return Result.failed(f"Instagram takes at most {MAX_IMAGES} images in one post")
        if any(not image.public_url for image in images):
            return Result.failed(
                "Instagram needs a public image URL to fetch each image from, and an image has none "
                "(is PRESSROOM_PUBLIC_URL set to the public https address?)"
            )
        full = self._quota_used_up(session)
        if full is not None:
            return full
        if len(images) == 1:
            container = self._container(
                session, "the image container",
                image_url=images[0].public_url, caption=message.text, alt_text=images[0].alt_text,
            )
            children: list[str] = []
        else:
            children = []
            for number, image in enumerate(images, start=1):
                child = self._container(
                    session, f"the container of image {number}",
                    image_url=image.public_url, is_carousel_item="true", alt_text=image.alt_text,
                )
                if isinstance(child, Result):
                    return child
                children.append(child)
            container = self._container(
                session, "the carousel container",
                media_type="CAROUSEL", children=",".join(children), caption=message.text,
            )
        if isinstance(container, Result):
            return container
        return Result.next_step(
            "poll", {"container_id": container, "children": children, "polls": 0}, after=FIRST_POLL_AFTER
        )

    def _quota_used_up(self, session: InstagramSession) -> Result | None:
        """A ``retry`` when the account has used its 24-hour publishing quota, else None."""
        outcome = self.graph.call(
            session.http, "GET", f"{session.ig_user_id}/content_publishing_limit", session.token,
            params={"fields": "quota_usage,config"}, what="the publishing quota check", publishes=False,
        )
        if isinstance(outcome, Failure):
            return outcome.result
        entries = outcome.get("data") or [{}]
        entry = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else {}
        used = int(entry.get("quota_usage") or 0)
        config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        total = int(config.get("quota_total") or QUOTA_TOTAL)
        if used >= total:
            return Result.retry(
                f"this Instagram account has published {used} posts through the API in the last 24 hours, "
                f"the most Instagram allows ({total}); Pressroom tries again in an hour",
                after=QUOTA_RETRY_AFTER,
            )
        return None

    def _container(self, session: InstagramSession, what: str, **fields: str | None) -> str | Result:
        """Create one media container; return its id, or the Result saying why not."""
        form = {key: value for key, value in fields.items() if value}
        outcome = self.graph.call(session.http, "POST", f"{session.ig_user_id}/media", session.token,
                                  what=what, publishes=False, data=form)
        if isinstance(outcome, Failure):
            return outcome.result
        if not outcome.get("id"):
            return Result.retry(f"Instagram returned no id for {what}; nothing was published")
        return str(outcome["id"])

    # Step 2: poll, then publish ---------------------------------------------------------------
    def _poll(self, session: InstagramSession, data: dict[str, Any]) -> Result:
        container_id = str(data.get("container_id") or "")
        if not container_id:
            return Result.failed("the Instagram step lost its container id; nothing was published")
        outcome = self.graph.call(
            session.http, "GET", container_id, session.token,
            params={"fields": "status_code,status"}, what="the container status check", publishes=False,
        )
        if isinstance(outcome, Failure):
            return outcome.result
        status_code = str(outcome.get("status_code") or "").upper()
        detail = str(outcome.get("status") or status_code)
        if status_code == "FINISHED":
            return self._publish(session, data)
        if status_code == "IN_PROGRESS":
            return self._poll_again(data, "Instagram was still processing the images")
        if status_code == "ERROR":
            return Result.failed(f"Instagram could not process the images: {detail}")
        if status_code == "EXPIRED":
            return Result.failed(
                f"the Instagram container expired before it was published ({detail}); nothing was published"
            )
        if status_code == "PUBLISHED":
            return Result.unknown(
                "Instagram says this container was already published; check the Instagram account "
                "(Pressroom never publishes it twice)"
            )
        return Result.failed(f"Instagram gave an unexpected container status: {detail}")

    def _poll_again(self, data: dict[str, Any], why: str) -> Result:
        polls = int(data.get("polls") or 0)
        if polls >= MAX_POLLS:
            return Result.failed(
                f"{why} after {polls} checks over several minutes; Pressroom gave up, nothing was published"
            )
        return Result.next_step("poll", {**data, "polls": polls + 1}, after=float(POLL_DELAYS[polls]))

    def _publish(self, session: InstagramSession, data: dict[str, Any]) -> Result:
        outcome = self.graph.call(
            session.http, "POST", f"{session.ig_user_id}/media_publish", session.token,
            what="publishing", publishes=True, data={"creation_id": str(data["container_id"])},
        )
        if isinstance(outcome, Failure):
            if outcome.error is not None and outcome.error.code == _NOT_READY_CODE:
                return self._poll_again(data, "Instagram said the images were not ready")
            return outcome.result
        media_id = outcome.get("id")
        if not media_id:
            return Result.unknown("Instagram said it published but returned no media id; check the account")
        return Result.sent(external_id=str(media_id), external_url=self._permalink(session, str(media_id)))

    def _permalink(self, session: InstagramSession, media_id: str) -> str | None:
        """The post's public link; None if Instagram does not give it (the post is live anyway)."""
        outcome = self.graph.call(
            session.http, "GET", media_id, session.token,
            params={"fields": "permalink"}, what="reading the post's link", publishes=False,
        )
        if isinstance(outcome, Failure):
            return None
        permalink = outcome.get("permalink")
        return str(permalink) if permalink else None
