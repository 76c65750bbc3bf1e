"""The dispatcher tick: claim due deliveries, apply the gates (approval still valid, pauses
and blackout windows, missed windows), send outside any transaction, record each result in
a transaction of its own.

Per claimed batch: a short claim transaction (``jobs.claim``), a gate transaction, then for
each (channel, account) group one channel session (one SMTP connection, one HTTP connection
pool …) on the worker's sending threads. A social account is sent to over one session at a
time; a channel without an account (email, WhatsApp: press alerts, notices) over up to
``DISPATCH_SESSIONS_PER_CHANNEL`` sessions at once, its rows split among them.
``attempt_started_at`` is committed before a request leaves, so after a crash the reaper can
tell "never sent" (back to due) from "maybe sent" (unknown, for a person).

A tick drains: it claims the next batch while the last one is being sent, until nothing is
due or its time is up (a little less than the dispatch interval). While a backlog lasts, the
sending threads, their database connections and the channel sessions live on from one tick
to the next, and the sends a tick queued carry on while the next tick starts; when nothing
more is due they are closed. Each (channel, account) is paced by its rate limit across
batches, ticks and worker processes: each message takes its send slot from the database
(``outbox.reserve_slot``).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import math
import threading
import time
import weakref
from collections import defaultdict
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from jobs.claim import claim, renew
from pressroom import clock
from pressroom.channels.base import Image, Message, Result
from pressroom.models import Delivery, Post, SocialAccount
from pressroom.services import approvals, outbox, posts, press_messages, releases

log = logging.getLogger("pressroom.jobs.dispatch")
LEASE = timedelta(minutes=2)
#: Seconds the gate goes on trusting what it read about an OPD's pauses and blackout windows
#: while a backlog drains (sending a claimed batch took longer than this before, unchecked).
STOPS_FRESH = 2.0
#: Sessions open at once per channel without an account, unless DISPATCH_SESSIONS_PER_CHANNEL.
SESSIONS_PER_CHANNEL = 4


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
    if delivery.kind == "press":
        return _press_message(app, delivery, releases.load_for_gate(session, [delivery]))
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
        headers=dict(payload.get("headers") or {}),
        step=delivery.step,
        step_data=dict(delivery.step_data or {}),
    )


def _press_message(app: Flask, delivery: Delivery, press: releases.GateContext) -> Message:
    """A press delivery's message (its recipient, release and journalist read by the gate)."""
    recipient = press.recipients[delivery.subject_id]
    release = press.releases[recipient.release_id]
    return press_messages.press_message(
        app.config, app.extensions["storage"], delivery_id=delivery.id, release=release,
        original=press.originals.get(release.corrects_id), recipient=recipient,
        journalist=press.journalists[recipient.journalist_id], address=delivery.recipient)


def _gate(session, delivery: Delivery, stops_for=None,
          press: releases.GateContext | None = None) -> str | None:
    """Apply the rules that may stop a claimed delivery; return why it was stopped, or None.

    ``stops_for(opd_id, at)`` answers like ``outbox.active_stops`` (a batch asks once per OPD);
    ``press`` holds what press rows need (``releases.load_for_gate``, once per batch)."""
    now = clock.now()
    if stops_for is None:
        def stops_for(opd_id, at):
            return outbox.active_stops(session, opd_id, at)
    if delivery.subject_type == "post":
        post = session.get(Post, delivery.subject_id)
        if post is None or not approvals.still_approved(post):
            delivery.status, delivery.last_error = "cancelled", "no longer approved"
            return "not approved"
        stops = stops_for(delivery.opd_id, now)
        if stops:
            posts.hold(session, post, stops[0].reason)
            delivery.status, delivery.last_error = "cancelled", f"held: {stops[0].reason}"
            return "held"
        if delivery.not_after is not None and now > delivery.not_after and not delivery.step:
            posts.mark_missed(session, post, "Pressroom could not send it in time (the system was down).")
            delivery.status, delivery.last_error = "cancelled", "missed its window"
            return "missed"
    elif delivery.subject_type in (releases.RECIPIENT_SUBJECT, "journalist"):
        # Press alerts: approval, pauses, consent, unsubscribes and erasure, checked at claim.
        # Transactional messages to a journalist (codes, confirmations) go despite a pause.
        stops = stops_for(delivery.opd_id, now) if delivery.kind == "press" else []
        return releases.gate(session, delivery, press or releases.GateContext(), stops)
    return None


def dispatch_due(
    app: Flask, *, owner: str, batch: int = 50, threads: int = 8, budget: float | None = None
) -> int:
    """Run one dispatch tick; return how many deliveries were attempted.

    The tick claims batch after batch while work is due, the next batch while the last one's
    sends are in flight, for at most ``budget`` seconds (default ``tick_budget``: 90 % of
    ``DISPATCH_INTERVAL_SECONDS``, so it returns before the scheduler's next tick is due).
    If work remains when the time is up, the sends it queued carry on in the worker's
    sending threads and the next tick claims more (and counts what they attempted). When
    nothing more is due, it waits for its sends and closes the threads, their connections
    and the channel sessions.
    """
    worker = _worker(app)
    tick = _Tick(worker, time.monotonic() + (tick_budget(app) if budget is None else budget))
    worker.start(max(1, threads))
    attempted, exhausted = worker.collect(), False
    try:
        while True:
            room = _room(tick, worker.outstanding(), batch, threads)
            if not exhausted and room > 0:
                claimed, groups = _claim_batch(app, owner, room, tick)
                exhausted = claimed < room
                for ids in groups:
                    worker.submit(tick, app, owner, ids)
                if claimed and not exhausted:
                    continue  # claim more while the threads have room
            if not worker.busy():
                break
            if not exhausted and time.monotonic() >= tick.deadline:
                return attempted  # work remains: the queued sends carry on into the next tick
            attempted += worker.collect(wait=True, until=None if exhausted else tick.deadline)
            if exhausted and not worker.busy():
                exhausted = False  # the queue ran dry: look once more for rows due since
    except BaseException:
        worker.stop()  # after the sends in flight
        raise
    attempted += worker.collect()
    worker.stop()  # nothing more is due: close what a backlog keeps open
    return attempted


def tick_budget(app: Flask) -> float:
    """Seconds a dispatch tick may claim for: 90 % of ``DISPATCH_INTERVAL_SECONDS``."""
    return 0.9 * float(app.config.get("DISPATCH_INTERVAL_SECONDS") or 5)


def _room(tick: _Tick, outstanding: int, batch: int, threads: int) -> int:
    """How many rows to claim now: a batch when the sending threads are about to run short
    of work (so claimed rows never wait long in a queue), none after the deadline."""
    if time.monotonic() >= tick.deadline or outstanding > max(1, threads):
        return 0
    return batch


def _claim_batch(app: Flask, owner: str, limit: int, tick: _Tick) -> tuple[int, list[list[int]]]:
    """Claim up to ``limit`` due rows and gate them; return how many were claimed and the
    groups (ids per (channel, account)) to send. The rows, posts and accounts read here are
    handed to the groups through the tick, so a group does not read them again."""
    database = app.extensions["db"]
    table = Delivery.__table__
    due = (table.c.status == "due") & (table.c.due_at <= clock.now())
    waiting = tick.worker.pacing.waiting_past(tick.deadline)
    accounts = [account_id for _channel, account_id in waiting if account_id is not None]
    if accounts:
        # Accounts whose rate limit allows nothing more in this tick: leave their rows for later.
        due = due & (table.c.account_id.is_(None) | table.c.account_id.not_in(accounts))
    for channel in sorted({channel for channel, account_id in waiting if account_id is None}):
        due = due & ~((table.c.channel == channel) & table.c.account_id.is_(None))
    claimed = claim(
        database.engine,
        table,
        due=due,
        owner=owner,
        lease=LEASE,
        limit=max(1, limit),
        order_by=[table.c.due_at],
        values={"status": "claimed"},
    )
    if not claimed.ids:
        return 0, []
    groups: dict[tuple[str, int | None], list[Delivery]] = defaultdict(list)
    session = database.new_session()
    try:
        deliveries = list(session.scalars(
            select(Delivery).where(Delivery.id.in_(claimed.ids)).order_by(Delivery.due_at, Delivery.id)
        ))
        # Every post in one query (held here, so the identity map keeps them for the gate).
        loaded = _load_posts(session, {d.subject_id for d in deliveries if d.subject_type == "post"})
        press = releases.load_for_gate(session, deliveries)
        messages: dict[int, Message] = {}
        for delivery in deliveries:
            def stops_for(opd_id, at):
                return tick.worker.stops(session, opd_id, at)

            if _gate(session, delivery, stops_for, press) is None:
                groups[(delivery.channel, delivery.account_id)].append(delivery)
                if delivery.kind == "press":
                    messages[delivery.id] = _press_message(app, delivery, press)
        account_ids = {key[1] for key in groups if key[1] is not None}
        accounts = list(session.scalars(
            select(SocialAccount).where(SocialAccount.id.in_(account_ids))
        )) if account_ids else []
        session.commit()
    finally:
        session.close()
    tick.hand_over([d for group in groups.values() for d in group], loaded, accounts, messages)
    sessions = sessions_per_channel(app)
    split = []
    for (_channel, account_id), group in groups.items():
        ids = [d.id for d in group]
        # A channel without an account is sent over several sessions at once: one share each,
        # taken in turn so the earliest rows go first in every share.
        shares = 1 if account_id is not None else min(sessions, len(ids))
        split.extend(ids[i::shares] for i in range(shares))
    return len(claimed.ids), split


def sessions_per_channel(app: Flask) -> int:
    return max(1, int(app.config.get("DISPATCH_SESSIONS_PER_CHANNEL") or SESSIONS_PER_CHANNEL))


def _load_posts(session, post_ids: set[int]) -> dict[int, Post]:
    if not post_ids:
        return {}
    query = select(Post).where(Post.id.in_(post_ids)).options(
        selectinload(Post.images), selectinload(Post.targets))
    return {post.id: post for post in session.scalars(query)}


Key = tuple[str, int | None]  # (channel, account id)


class _Pacing:
    """Send slots per (channel, account), so a rate limit holds across batches, ticks and
    worker processes: each message takes the next slot from the database
    (``outbox.reserve_slot``, shared by every process). What is kept here is how far ahead
    this process has reserved, so a tick does not claim rows that could not go before its
    deadline."""

    def __init__(self):
        self._lock = threading.Lock()
        self._until: dict[Key, float] = {}  # monotonic: the end of the last slot reserved here

    def slot(self, key: Key, interval: float, reserve) -> float:
        """Take ``key``'s next send slot; return the monotonic time it starts. ``reserve()``
        reserves it in the database and returns when it starts (``clock.epoch``)."""
        start = _monotonic(reserve())
        with self._lock:
            self._until[key] = max(self._until.get(key, 0.0), start + interval)
        return start

    def waiting_past(self, moment: float) -> list[Key]:
        """The (channel, account)s whose reserved slots run past the monotonic ``moment``."""
        with self._lock:
            return [key for key, until in self._until.items() if until > moment]


def _monotonic(epoch: float) -> float:
    return time.monotonic() + (epoch - clock.epoch())


class _Worker:
    """What a worker (one app) keeps from tick to tick: its send slots (``_Pacing``); and,
    while a backlog lasts, the sending threads with their queued groups, their connections
    (``_Writes``), the lanes (channel sessions) and the gate's view of pauses and blackout
    windows."""

    def __init__(self, pacing: _Pacing | None = None):
        self.pacing = pacing or _Pacing()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_size = 0
        self._queued: dict[Future, int] = {}  # a queued group → how many rows it holds
        self._writes: list[_Writes] = []
        self._local = threading.local()
        self._lanes: dict[Key, _Lanes] = {}
        self._stops: dict[int | None, tuple[float, list]] = {}
        self._stopped_at_exit = False

    # What the gate reads -------------------------------------------------------------------
    def stops(self, session, opd_id: int | None, at) -> list:
        """``outbox.active_stops`` for an OPD, read again after ``STOPS_FRESH`` seconds (and
        after every backlog): a batch's gate asks once per OPD, not once per row."""
        now = time.monotonic()
        with self._lock:
            read_at, found = self._stops.get(opd_id, (-math.inf, []))
        if now - read_at >= STOPS_FRESH:
            found = outbox.active_stops(session, opd_id, at)
            with self._lock:
                self._stops[opd_id] = (now, found)
        return found

    # Sending threads -----------------------------------------------------------------------
    def start(self, threads: int) -> None:
        if self._pool is not None and self._pool_size != threads:
            self.stop()
        if self._pool is None:
            self._pool, self._pool_size = ThreadPoolExecutor(threads, thread_name_prefix="dispatch"), threads
            if not self._stopped_at_exit:
                # A worker stopping while a backlog drains: commit what waits after the last sends.
                atexit.register(_stop_at_exit, weakref.ref(self))
                self._stopped_at_exit = True

    def submit(self, tick: _Tick, app: Flask, owner: str, ids: list[int]) -> None:
        self._queued[self._pool.submit(_in_tick, tick, app, owner, ids)] = len(ids)

    def outstanding(self) -> int:
        """Rows queued or being sent."""
        return sum(size for future, size in self._queued.items() if not future.done())

    def busy(self) -> bool:
        return bool(self._queued)

    def collect(self, wait: bool = False, until: float | None = None) -> int:
        """Count what the finished groups attempted; with ``wait``, first wait until a group
        finishes (or the monotonic time ``until``)."""
        if wait and self._queued:
            timeout = None if until is None else max(0.0, until - time.monotonic())
            futures.wait(self._queued, timeout=timeout, return_when=futures.FIRST_COMPLETED)
        attempted = 0
        for future in [f for f in self._queued if f.done()]:
            del self._queued[future]
            attempted += future.result()
        return attempted

    def stop(self) -> None:
        """Wait for the queued groups; commit what waits; close connections, lanes, threads."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self._queued.clear()
        with self._lock:
            all_writes, self._writes = self._writes, []
            pools, self._lanes = list(self._lanes.values()), {}
            self._stops = {}
        self._local = threading.local()
        for writes in all_writes:
            try:
                writes.finish()
            except Exception:  # noqa: BLE001
                log.exception("could not commit a sender's last writes")
                writes.session.rollback()
            finally:
                writes.close()
        for lanes in pools:
            lanes.close()

    # What a sending thread uses ------------------------------------------------------------
    def writes(self, database) -> _Writes:
        """The calling thread's connection, session and pending writes."""
        writes = getattr(self._local, "writes", None)
        if writes is None:
            writes = self._local.writes = _Writes(database)
            with self._lock:
                self._writes.append(writes)
        return writes

    def abandon(self, writes: _Writes) -> None:
        """After a group's error: keep what can be kept; the thread starts afresh."""
        self._local.writes = None
        with self._lock:
            if writes in self._writes:
                self._writes.remove(writes)
        try:
            writes.abandon()
        finally:
            writes.close()

    def lanes(self, key: Key, size: int) -> _Lanes:
        with self._lock:
            return self._lanes.setdefault(key, _Lanes(size))


def _worker(app: Flask) -> _Worker:
    worker = app.extensions.get("dispatch_worker")
    if worker is None:
        worker = app.extensions.setdefault("dispatch_worker", _Worker())
    return worker


def _stop_at_exit(ref: weakref.ref) -> None:
    worker = ref()
    if worker is not None:
        worker.stop()


class _Lanes:
    """The channel sessions of one (channel, account): up to ``size`` open at once, each used
    by one group at a time and kept for the next while a backlog lasts."""

    def __init__(self, size: int):
        self.size = size
        self._idle: list[_Lane] = []
        self._opened = 0
        self._ready = threading.Condition()

    @contextlib.contextmanager
    def take(self):
        with self._ready:
            while not self._idle and self._opened >= self.size:
                self._ready.wait()
            if self._idle:
                lane = self._idle.pop()
            else:
                lane, self._opened = _Lane(), self._opened + 1
        try:
            yield lane
        finally:
            with self._ready:
                self._idle.append(lane)
                self._ready.notify()

    def close(self) -> None:
        with self._ready:
            lanes, self._idle, self._opened = self._idle, [], 0
        for lane in lanes:
            lane.close()


class _Lane:
    """One channel session of a (channel, account), opened by the first group and used by
    the next ones, one at a time, while a backlog lasts; reopened when the account's
    credentials changed."""

    def __init__(self):
        self.channel = None
        self.session = None
        self.account: SocialAccount | None = None
        self.interval = 0.0
        self._stack: contextlib.ExitStack | None = None

    def open(self, app: Flask, delivery: Delivery, account: SocialAccount | None) -> None:
        if self._stack is not None:
            if account is None or self.account is None or (
                    account.credentials_encrypted == self.account.credentials_encrypted):
                return
            self.close()  # new credentials
        channel, credentials = channel_for(app, delivery, account)
        stack = contextlib.ExitStack()
        self.session = stack.enter_context(channel.session(credentials))
        self.channel, self.account, self._stack = channel, account, stack
        per_second = channel.rate_limit.per_second
        self.interval = 1 / per_second if per_second else 0.0

    def close(self) -> None:
        stack, self._stack, self.session = self._stack, None, None
        if stack is not None:
            try:
                stack.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail too
                log.warning("closing a %s session failed", getattr(self.channel, "name", "?"), exc_info=True)


class _Tick:
    """One tick: its deadline, and the rows, posts and accounts its gate read (each row goes
    to its one group; posts and accounts are only read)."""

    def __init__(self, worker: _Worker, deadline: float):
        self.worker, self.deadline = worker, deadline
        self._rows: dict[int, Delivery] = {}
        self._posts: dict[int, Post] = {}
        self._accounts: dict[int, SocialAccount] = {}
        self._messages: dict[int, Message] = {}
        self._lock = threading.Lock()

    def hand_over(
        self, deliveries: list[Delivery], loaded: dict[int, Post], accounts: list[SocialAccount],
        messages: dict[int, Message] | None = None,
    ) -> None:
        with self._lock:
            self._rows.update((d.id, d) for d in deliveries)
            self._posts.update(loaded)
            self._accounts.update((a.id, a) for a in accounts)
            self._messages.update(messages or {})

    def take(self, ids: list[int]) -> tuple[dict[int, Delivery], dict[int, Post], dict[int, Message]]:
        with self._lock:
            rows = {i: self._rows.pop(i) for i in ids if i in self._rows}
            loaded = {d.subject_id: self._posts[d.subject_id] for d in rows.values()
                      if d.subject_type == "post" and d.subject_id in self._posts}
            messages = {i: self._messages.pop(i) for i in ids if i in self._messages}
        return rows, loaded, messages

    def account(self, account_id: int) -> SocialAccount | None:
        with self._lock:
            return self._accounts.get(account_id)


_current = threading.local()


def _in_tick(tick: _Tick, app: Flask, owner: str, ids: list[int]) -> int:
    """Run ``_send_group`` on a sending thread, which then knows its tick."""
    _current.tick = tick
    try:
        return _send_group(app, owner, ids)
    finally:
        _current.tick = None


def _send_group(app: Flask, owner: str, ids: list[int]) -> int:
    """Send one (channel, account) group over its lane's channel session.

    Per message: a compare-and-set ``UPDATE … WHERE still claimed by this owner`` marks the
    attempt and is committed before the request leaves (a row the reaper took back meanwhile
    is skipped); the result is written as soon as the answer is in (see ``_Writes``). The
    rows come from the gate, or are read here when the group is sent on its own.
    """
    tick = getattr(_current, "tick", None)
    own_tick = tick is None
    if own_tick:  # called on its own, outside a tick: nothing carried over, the same rate limits
        tick = _Tick(_Worker(_worker(app).pacing), math.inf)
    worker = tick.worker
    writes = worker.writes(app.extensions["db"])
    session = writes.session
    attempted = 0
    try:
        rows, loaded, messages = tick.take(ids)
        for delivery in rows.values():
            session.add(delivery)  # read by the gate; this group's alone now
        missing = [i for i in ids if i not in rows]
        if missing:
            rows.update((d.id, d) for d in session.scalars(select(Delivery).where(Delivery.id.in_(missing))))
            loaded.update(_load_posts(session, {
                d.subject_id for d in rows.values() if d.subject_type == "post" and d.subject_id not in loaded
            }))
        first = rows.get(ids[0])
        if first is None:
            return 0
        key = (first.channel, first.account_id)
        lanes = worker.lanes(key, 1 if first.account_id else sessions_per_channel(app))

        def reserve() -> float:
            writes.begin()
            connection = session.connection()
            if connection.dialect.name == "postgresql":
                # A slot is not worth a flush to disk. The result flushed before it is committed
                # with it, durably at the latest by the attempt mark's commit that follows (the
                # log is written in order); until then a crash leaves that row "maybe sent".
                connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
            start = outbox.reserve_slot(connection, outbox.pace_key(*key), lane.interval)
            writes.commit()  # the pace row stays locked only for this short transaction
            return start

        with lanes.take() as lane:
            account = None
            if first.account_id:
                account = tick.account(first.account_id) or session.get(SocialAccount, first.account_id)
            writes.commit()  # no transaction stays open while the lane opens
            lane.open(app, first, account)
            renewed_at, renew_every = time.monotonic(), LEASE.total_seconds() / 3

            def keep_lease(rest: list[int]) -> None:
                """A live sender keeps its lease: a slow, rate-limited batch is not reaped."""
                nonlocal renewed_at
                if time.monotonic() - renewed_at > renew_every:
                    writes.commit()  # end the session's transaction first (SQLite's write lock)
                    renew(writes.connection, Delivery.__table__, rest, owner=owner, lease=LEASE)
                    renewed_at = time.monotonic()

            for index, delivery_id in enumerate(ids):
                delivery = rows.get(delivery_id)
                if delivery is None:
                    continue
                keep_lease(ids[index:])
                post = loaded.get(delivery.subject_id) if delivery.subject_type == "post" else None
                message = messages.get(delivery.id) or _message(app, session, delivery, post, lane.account)
                send_at = worker.pacing.slot(key, lane.interval, reserve) if lane.interval else 0.0
                if send_at > time.monotonic():
                    writes.commit(audit=True)  # nothing waits uncommitted
                    while send_at > time.monotonic():  # the account's rate limit (slots may be far
                        keep_lease(ids[index:])  # ahead when several sessions share a slow one)
                        time.sleep(max(0.0, min(send_at - time.monotonic(), max(renew_every, 1.0))))
                writes.begin()
                if not _mark_attempt(session, delivery, owner):
                    writes.written(None)  # nothing changed
                    continue  # no longer ours (reaped, or ended by someone else)
                writes.commit()  # "maybe sent" from here on, if we crash
                try:
                    result = lane.channel.send(lane.session, message)
                except Exception as exc:  # noqa: BLE001 - an adapter bug must not lose the row
                    log.exception("channel %s raised on delivery %s", delivery.channel, delivery.id)
                    result = Result.unknown(f"internal error in the {delivery.channel} adapter: {exc}")
                writes.begin()
                outbox.record_result(session, delivery, result)
                releases.after_result(session, delivery, result.status, result.reason)
                writes.written(post if result.status == "sent" else None)
                attempted += 1
        writes.commit()  # the group's last result (audit checks may wait for a later commit)
        session.expunge_all()
    except Exception:  # noqa: BLE001
        log.exception("dispatch group failed; leases will expire and the reaper returns the rows")
        worker.abandon(writes)  # the thread's next group starts on a fresh connection
    finally:
        if own_tick:
            worker.stop()
    return attempted


class _Writes:
    """A sending thread's connection, session and pending writes.

    Every write is durable before the next request leaves: a result is flushed when the
    answer is in and committed with the next message's attempt mark, or before anything that
    waits or ends the group. One commit (one flush to disk) per message, and no lock is held
    across a request. A crash between an answer and that commit leaves the row "maybe sent"
    (``unknown`` for a person once its lease expires), never sent twice.

    Published posts are checked for their ``post.published`` audit entry (``_after_publish``)
    a few at a time, after their results are committed, so the check sees the other
    deliveries' committed states; trouble there is logged and never holds up sending.
    """

    AUDIT_EVERY = 8

    def __init__(self, database):
        self.connection = database.engine.connect()
        self.session = database.session_factory(bind=self.connection)
        self._written: list[Post] = []  # sent posts whose results are in the open transaction
        self._to_audit: list[Post] = []  # sent posts whose results are committed
        self._clean = True  # the open transaction holds only complete writes

    def begin(self) -> None:
        self._clean = False

    def written(self, post: Post | None) -> None:
        """A result was recorded (``post``: a published post): flush it, mark it complete."""
        self.session.flush()
        if post is not None:
            self._written.append(post)
        self._clean = True

    def commit(self, audit: bool = False) -> None:
        """Commit; check the posts waiting for it if ``audit`` or when several wait."""
        if self._to_audit and (audit or len(self._to_audit) >= self.AUDIT_EVERY):
            waiting, self._to_audit = self._to_audit, []
            try:
                with self.session.begin_nested():
                    _after_publish(self.session, waiting)
                    self.session.flush()
            except Exception:  # noqa: BLE001 - an audit entry must not stop publishing
                log.exception("could not check posts %s for their published audit entry",
                              [p.id for p in waiting])
        self.session.commit()
        self._to_audit.extend(self._written)
        self._written, self._clean = [], True

    def finish(self) -> None:
        self.commit()
        self.commit(audit=True)

    def abandon(self) -> None:
        """After an error: keep complete writes (results of sent messages), drop the rest."""
        try:
            if self._clean:
                self.finish()
                return
        except Exception:  # noqa: BLE001
            log.exception("could not commit the results recorded before the error")
        self.session.rollback()

    def close(self) -> None:
        self.session.close()
        self.connection.close()


def _mark_attempt(session, delivery: Delivery, owner: str) -> bool:
    """Record that an attempt starts, if the row is still claimed by ``owner``."""
    table = Delivery.__table__
    now = clock.now()
    marked = session.connection().execute(
        update(table)
        .where(table.c.id == delivery.id, table.c.status == "claimed", table.c.lease_owner == owner)
        .values(attempt_started_at=now, attempts=table.c.attempts + 1, updated_at=now)
    ).rowcount
    if marked:
        set_committed_value(delivery, "attempt_started_at", now)
        set_committed_value(delivery, "attempts", delivery.attempts + 1)
        set_committed_value(delivery, "updated_at", now)
    return marked == 1


def _after_publish(session, sent: list[Post]) -> None:
    """Audit ``post.published`` for each post whose deliveries are now all sent (the caller
    commits). One query for them all: each post's deliveries, as ``posts.deliveries_of``."""
    from pressroom.services import audit

    by_post: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in session.scalars(select(Delivery).where(
            Delivery.subject_type == posts.SUBJECT, Delivery.subject_id.in_({p.id for p in sent}))):
        by_post[delivery.subject_id].append(delivery)
    for post in {p.id: p for p in sent}.values():
        if outbox.outcome(by_post[post.id]) == "published":
            audit.record(session, None, "post.published", post, fields=["deliveries"])


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
