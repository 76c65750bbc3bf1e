"""The dispatcher tick: claim due deliveries, apply the gates (approval still valid, pauses
and blackout windows, missed windows), send outside any transaction, record each result in
a transaction of its own.

Per claimed batch: a short claim transaction (``jobs.claim``), a gate transaction, then for
each (channel, account) group one channel session (one SMTP connection …) in a thread pool.
``attempt_started_at`` is committed before a request leaves, so after a crash the reaper can
tell "never sent" (back to due) from "maybe sent" (unknown, for a person).
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from jobs.claim import claim, renew
from pressroom import clock
from pressroom.channels.base import Image, Message, Result
from pressroom.models import Delivery, Post, SocialAccount
from pressroom.services import approvals, outbox, posts

log = logging.getLogger("pressroom.jobs.dispatch")
LEASE = timedelta(minutes=2)


class _Refuse:
    """Stands in for a channel that cannot send: every message fails with the reason."""

    name = "unavailable"

    def __init__(self, reason: str):
        from pressroom.channels.base import RateLimit

        self.reason = reason
        self.rate_limit = RateLimit()

    def session(self, credentials):
        import contextlib

        return contextlib.nullcontext(credentials)

    def send(self, _session, _message) -> Result:
        return Result.failed(self.reason)


def channel_for(app: Flask, delivery: Delivery, account: SocialAccount | None):
    """The channel adapter for a delivery, and the credentials it needs."""
    from pressroom.channels import registry

    if account is not None:
        if account.is_sandbox:
            return registry.build_sandbox(app.config, stands_for=account.platform), {}
        credentials = json.loads(app.extensions["crypto"].decrypt(account.credentials_encrypted))
        channel = registry.build_channel(account.platform, app.config)
        if channel.name == "sandbox" or getattr(channel, "stands_for", None):
            # Real credentials but no real adapter (or a sandboxed channel): never pretend.
            return _Refuse(f"no {account.platform} adapter is configured; nothing was sent"), credentials
        return channel, credentials
    return registry.build_channel(delivery.channel, app.config), {}


def _message(
    app: Flask, session, delivery: Delivery, post: Post | None, account: SocialAccount | None
) -> Message:
    if delivery.kind == "publish" and post is not None and account is not None:
        storage = app.extensions["storage"]
        images = [
            Image(
                data=storage.get(i.storage_key, public=True),
                filename=f"image-{i.position + 1}.jpg",
                alt_text=i.alt_text,
                public_url=storage.public_url_for(i.storage_key),
            )
            for i in post.images
        ]
        return Message(
            delivery_id=delivery.id,
            kind="publish",
            text=post.caption_for(account.platform),
            images=images,
            step=delivery.step,
            step_data=dict(delivery.step_data or {}),
        )
    payload = delivery.payload or {}
    text = payload.get("text", "")
    if payload.get("link") and payload["link"].startswith("/"):
        text = text.replace(payload["link"], app.config["PUBLIC_URL"].rstrip("/") + payload["link"])
    return Message(
        delivery_id=delivery.id,
        kind=delivery.kind,
        text=text,
        subject=payload.get("subject"),
        html=payload.get("html"),
        recipient=delivery.recipient,
        step=delivery.step,
        step_data=dict(delivery.step_data or {}),
    )


def _gate(session, delivery: Delivery) -> str | None:
    """Apply the rules that may stop a claimed delivery; return why it was stopped, or None."""
    now = clock.now()
    if delivery.subject_type == "post":
        post = session.get(Post, delivery.subject_id)
        if post is None or not approvals.still_approved(post):
            delivery.status, delivery.last_error = "cancelled", "no longer approved"
            return "not approved"
        stops = outbox.active_stops(session, delivery.opd_id, now)
        if stops:
            posts.hold(session, post, stops[0].reason)
            delivery.status, delivery.last_error = "cancelled", f"held: {stops[0].reason}"
            return "held"
        if delivery.not_after is not None and now > delivery.not_after and not delivery.step:
            posts.mark_missed(session, post, "Pressroom could not send it in time (the system was down).")
            delivery.status, delivery.last_error = "cancelled", "missed its window"
            return "missed"
    elif delivery.kind == "press" and outbox.active_stops(session, delivery.opd_id, now):
        # Press alerts wait out a pause; notices to staff (approvals, codes) still go.
        delivery.status, delivery.lease_owner, delivery.lease_expires_at = "due", None, None
        delivery.due_at = now + timedelta(minutes=5)
        return "paused"
    return None


def dispatch_due(app: Flask, *, owner: str, batch: int = 50, threads: int = 4) -> int:
    """Run one dispatch round; return how many deliveries were attempted."""
    database = app.extensions["db"]
    table = Delivery.__table__
    now = clock.now()
    claimed = claim(
        database.engine,
        table,
        due=(table.c.status == "due") & (table.c.due_at <= now),
        owner=owner,
        lease=LEASE,
        limit=batch,
        order_by=[table.c.due_at],
        values={"status": "claimed"},
    )
    if not claimed.ids:
        return 0
    groups: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    session = database.new_session()
    try:
        for delivery in session.scalars(
            select(Delivery).where(Delivery.id.in_(claimed.ids)).order_by(Delivery.due_at, Delivery.id)
        ):
            if _gate(session, delivery) is None:
                groups[(delivery.channel, delivery.account_id)].append(delivery.id)
        session.commit()
    finally:
        session.close()
    attempted = 0
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for count in pool.map(lambda item: _send_group(app, owner, item[1]), groups.items()):
            attempted += count
    return attempted


def _send_group(app: Flask, owner: str, ids: list[int]) -> int:
    """Send one (channel, account) group over one channel session."""
    database = app.extensions["db"]
    session = database.new_session()
    attempted = 0
    try:
        first = session.get(Delivery, ids[0])
        account = session.get(SocialAccount, first.account_id) if first.account_id else None
        channel, credentials = channel_for(app, first, account)
        interval = 1 / channel.rate_limit.per_second if channel.rate_limit.per_second else 0
        renewed_at = time.monotonic()
        with channel.session(credentials) as channel_session:
            for index, delivery_id in enumerate(ids):
                if time.monotonic() - renewed_at > LEASE.total_seconds() / 3:
                    # A live sender keeps its lease: a slow, rate-limited batch is not reaped.
                    session.commit()  # end this session's transaction first (SQLite's write lock)
                    renew(database.engine, Delivery.__table__, ids[index:], owner=owner, lease=LEASE)
                    renewed_at = time.monotonic()
                delivery = session.get(Delivery, delivery_id)
                if delivery is None or delivery.status != "claimed" or delivery.lease_owner != owner:
                    continue
                post = session.get(Post, delivery.subject_id) if delivery.subject_type == "post" else None
                message = _message(app, session, delivery, post, account)
                delivery.attempt_started_at = clock.now()
                delivery.attempts += 1
                session.commit()  # "maybe sent" from here on, if we crash
                started = time.monotonic()
                try:
                    result = channel.send(channel_session, message)
                except Exception as exc:  # noqa: BLE001 - an adapter bug must not lose the row
                    log.exception("channel %s raised on delivery %s", delivery.channel, delivery.id)
                    result = Result.unknown(f"internal error in the {delivery.channel} adapter: {exc}")
                outbox.record_result(session, delivery, result)
                session.commit()
                attempted += 1
                if result.status == "sent" and post is not None:
                    _after_publish(session, post)
                wait = interval - (time.monotonic() - started)
                if wait > 0:
                    time.sleep(wait)
    except Exception:  # noqa: BLE001
        log.exception("dispatch group failed; leases will expire and the reaper returns the rows")
        session.rollback()
    finally:
        session.close()
    return attempted


def _after_publish(session, post: Post) -> None:
    if outbox.outcome(posts.deliveries_of(session, post)) == "published":
        from pressroom.services import audit

        audit.record(session, None, "post.published", post, fields=["deliveries"])
        session.commit()


def reap(app: Flask) -> tuple[int, int]:
    session = app.extensions["db"].new_session()
    try:
        result = outbox.reap_expired_leases(session)
        session.commit()
    finally:
        session.close()
    if any(result):
        log.warning("reaper: %d returned to due, %d marked unknown", *result)
    return result
