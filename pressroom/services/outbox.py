"""The outbox's rules: enqueueing deliveries, what stops sending (pauses, blackout windows),
recording results, reaping expired leases, and the sending outcome derived from deliveries.

Claiming and sending happen in ``jobs/dispatch.py`` (the door); this module holds the rules
it applies, each taking a session and flushing, never committing.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.channels.base import CONTINUE, FAILED, RETRY, SENT, Result
from pressroom.db import upsert
from pressroom.models import Delivery, SendingStop, SendPace, User

#: Backoff for retries: base × 2^attempts with ±25 % jitter, capped.
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
#: After this many retries a delivery that never got through is failed for a person to see.
MAX_ATTEMPTS = 8


def enqueue(session: Session, *, kind: str, channel: str, subject_type: str, subject_id: int,
            due_at: datetime | None = None, opd_id: int | None = None, account_id: int | None = None,
            recipient: str | None = None, payload: dict[str, Any] | None = None,
            not_after: datetime | None = None) -> Delivery:
    delivery = Delivery(kind=kind, channel=channel, subject_type=subject_type, subject_id=subject_id,
                        due_at=due_at or clock.now(), opd_id=opd_id, account_id=account_id,
                        recipient=recipient, payload=payload or {}, not_after=not_after)
    session.add(delivery)
    return delivery


def enqueue_notice(session: Session, user: User, *, subject: str, text: str, link: str | None) -> Delivery:
    """An email to a staff member (approver notifications and the like)."""
    return enqueue(session, kind="notice", channel="email", subject_type="user", subject_id=user.id,
                   recipient=user.email, payload={"subject": subject, "text": text, "link": link})


# What stops sending ---------------------------------------------------------------------------
def active_stops(session: Session, opd_id: int | None, at: datetime | None = None) -> list[SendingStop]:
    """Pauses and blackout windows in force for ``opd_id`` (or province-wide) at ``at``."""
    at = at or clock.now()
    return list(session.scalars(select(SendingStop).where(
        SendingStop.lifted_at.is_(None), SendingStop.starts_at <= at,
        or_(SendingStop.ends_at.is_(None), SendingStop.ends_at > at),
        or_(SendingStop.opd_id.is_(None), SendingStop.opd_id == opd_id),
    ).order_by(SendingStop.starts_at)))


def stops_between(session: Session, opd_id: int | None, start: datetime, end: datetime) -> list[SendingStop]:
    """Stops that overlap [start, end] (to warn when scheduling into a blackout)."""
    return list(session.scalars(select(SendingStop).where(
        SendingStop.lifted_at.is_(None), SendingStop.starts_at <= end,
        or_(SendingStop.ends_at.is_(None), SendingStop.ends_at > start),
        or_(SendingStop.opd_id.is_(None), SendingStop.opd_id == opd_id))))


# Recording results ----------------------------------------------------------------------------
def pace_key(channel: str, account_id: int | None) -> str:
    return f"{channel}:{account_id or ''}"


def reserve_slot(connection, key: str, interval: float) -> float:
    """Reserve the next send slot on the pace ``key`` (shared by every worker process) and
    return when it starts (``clock.epoch`` seconds): now, or ``interval`` after the slot
    reserved before it. Under the row's lock, so two senders never get the same slot; the
    caller commits at once (the row stays locked until then)."""
    now = clock.epoch()
    pace = SendPace.__table__
    statement = upsert(connection, pace).values(key=key, next_at=now + interval)
    statement = statement.on_conflict_do_update(
        index_elements=[pace.c.key],
        set_={"next_at": case((pace.c.next_at > now, pace.c.next_at), else_=now) + interval},
    ).returning(pace.c.next_at)
    return connection.execute(statement).scalar_one() - interval


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    if retry_after is not None and retry_after > 0:
        return timedelta(seconds=retry_after) + timedelta(seconds=random.uniform(0, 1))
    delay = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)
    return delay * random.uniform(0.75, 1.25)


def record_result(session: Session, delivery: Delivery, result: Result) -> None:
    """Store what the channel said; the external id first, then the state."""
    now = clock.now()
    delivery.lease_owner, delivery.lease_expires_at = None, None
    if result.external_id:
        delivery.external_id = result.external_id
    if result.external_url:
        delivery.external_url = result.external_url
    if result.status == SENT:
        delivery.status, delivery.sent_at, delivery.last_error = "sent", now, None
        delivery.attempt_started_at = None
    elif result.status == CONTINUE:
        # A step done (Instagram: container made, still processing) starts the count afresh:
        # attempts count the tries of the current step, so polling never exhausts the retries.
        delivery.status, delivery.step, delivery.attempts = "due", result.step, 0
        delivery.step_data = dict(result.step_data or {})
        delivery.due_at = now + timedelta(seconds=result.retry_after or 0)
        delivery.attempt_started_at = None
    elif result.status == RETRY:
        delivery.last_error = result.reason
        delivery.attempt_started_at = None
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
            delivery.last_error = f"{result.reason} (gave up after {delivery.attempts} attempts)"
        else:
            delivery.status = "due"
            delivery.due_at = now + backoff(delivery.attempts, result.retry_after)
    elif result.status == FAILED:
        delivery.status, delivery.last_error = "failed", result.reason
        delivery.attempt_started_at = None
    else:  # UNKNOWN: may have happened; a person checks, nothing re-sends it
        delivery.status, delivery.last_error = "unknown", result.reason


def reap_expired_leases(session: Session, at: datetime | None = None) -> tuple[int, int]:
    """Return expired claims: to ``due`` when the attempt never started, else ``unknown``.

    Returns (returned to due, marked unknown)."""
    at = at or clock.now()
    expired = (Delivery.status == "claimed") & (Delivery.lease_expires_at < at)
    never_started = session.execute(update(Delivery).where(expired, Delivery.attempt_started_at.is_(None))
                                    .values(status="due", lease_owner=None, lease_expires_at=None))
    maybe_sent = session.execute(update(Delivery).where(expired, Delivery.attempt_started_at.is_not(None))
                                 .values(status="unknown", lease_owner=None, lease_expires_at=None,
                                         last_error="the worker stopped during the attempt; it may have "
                                                    "been sent — check the platform"))
    return never_started.rowcount or 0, maybe_sent.rowcount or 0


# The sending outcome ------------------------------------------------------------------------
def outcome(deliveries: Iterable[Delivery]) -> str:
    """Derive a subject's sending outcome from its deliveries (never stored).

    scheduled (nothing claimed yet), sending (some in flight), published (all sent),
    partially_published, failed, needs_check (any unknown — whatever the others say)."""
    counts = Counter(d.status for d in deliveries if d.status != "cancelled")
    if not counts:
        return "none"
    if counts["unknown"]:
        return "needs_check"
    total = sum(counts.values())
    if counts["sent"] == total:
        return "published"
    if counts["failed"] == total:
        return "failed"
    if counts["claimed"] or (counts["sent"] and counts["due"]):
        return "sending"
    if counts["due"] == total:
        return "scheduled"
    if counts["sent"] and counts["failed"] and not counts["due"]:
        return "partially_published"
    return "sending"


def resolve_unknown(session: Session, user: User, delivery: Delivery, *, happened: bool,
                    external_url: str | None = None) -> None:
    """A person checked the platform: it was published (sent) or it was not (failed)."""
    from pressroom.services import audit

    if delivery.status != "unknown":
        return
    delivery.status = "sent" if happened else "failed"
    delivery.resolved_by_id = user.id
    if happened:
        delivery.sent_at = delivery.sent_at or clock.now()
        delivery.external_url = external_url or delivery.external_url
    audit.record(session, user, "delivery.resolved", delivery, opd_id=delivery.opd_id,
                 fields=["status"], details={"happened": happened})
