"""The sandbox channel: keeps what would have been sent instead of sending it.

It is the default wherever a real channel is not configured (no SMTP server, no Telegram
bot, the demo), so a new user sees the whole flow — approval, outbox, "published" — without
reaching anybody. Each send appends one JSON line to ``<store_dir>/outbox.jsonl`` and
writes the images next to it, so the in-app "sandbox feed" page can show exactly what
would have gone out (``read_entries``). A callable sink may take the entry instead (tests,
or a store other than a local folder).

The sandbox never fails on purpose: it answers ``sent`` with an id like
``sandbox-<uuid>``. Only a store it cannot write to (disk full, no permission) gives
``retry``, because nothing left Pressroom.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pressroom import clock
from pressroom.channels.base import Message, RateLimit, Result

#: The file, under the store directory, that holds one JSON object per line.
FEED_FILE = "outbox.jsonl"
#: Where image files are kept, one folder per sandbox id.
IMAGES_DIR = "images"

Sink = Callable[[dict[str, Any]], None]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_filename(name: str, index: int) -> str:
    cleaned = _UNSAFE.sub("-", os.path.basename(name or "")).strip(".-")
    return f"{index}-{cleaned or 'image'}"[:100]


class SandboxChannel:
    """Record messages instead of sending them; ``stands_for`` names the channel it replaces."""

    #: Always ``sandbox``, so nobody mistakes a recorded message for a real publication;
    #: ``stands_for`` says which channel it replaced (``email``, ``telegram`` …).
    name = "sandbox"
    rate_limit = RateLimit(per_second=None)

    def __init__(self, store: str | os.PathLike[str] | Sink, stands_for: str = "sandbox"):
        if callable(store):
            self.store_dir: Path | None = None
            self._sink: Sink = store
        else:
            self.store_dir = Path(store)
            self._sink = self._append
        self.stands_for = stands_for
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def session(self, credentials: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Nothing to open: the sandbox writes each entry as it comes."""
        yield dict(credentials or {})

    def send(self, session: Any, message: Message) -> Result:
        """Record ``message`` as sent; ``retry`` only when the store cannot be written."""
        sandbox_id = f"sandbox-{uuid.uuid4()}"
        try:
            entry = {
                "id": sandbox_id,
                "action": "send",
                "channel": self.stands_for,
                "delivery_id": message.delivery_id,
                "kind": message.kind,
                "recipient": message.recipient,
                "subject": message.subject,
                "text": message.text,
                "html": message.html,
                "images": self._keep_images(sandbox_id, message),
                "headers": dict(message.headers),
                "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": len(a.data)}
                                for a in message.attachments],
                "at": clock.now().isoformat(),
            }
            self._sink(entry)
        except OSError as exc:
            return Result.retry(f"the sandbox could not store the message: {exc.strerror or exc}")
        return Result.sent(external_id=sandbox_id)

    def retract(self, credentials: dict[str, Any], external_id: str) -> Result:
        """Record the retraction, so the feed can show the message as withdrawn."""
        try:
            self._sink(
                {
                    "id": external_id,
                    "action": "retract",
                    "channel": self.stands_for,
                    "at": clock.now().isoformat(),
                }
            )
        except OSError as exc:
            return Result.retry(f"the sandbox could not store the retraction: {exc.strerror or exc}")
        return Result.sent(external_id=external_id)

    def entries(self, limit: int | None = 50) -> list[dict[str, Any]]:
        """Return the newest recorded entries first (empty for a callable sink)."""
        if self.store_dir is None:
            return []
        return read_entries(self.store_dir, limit=limit)

    # Store ---------------------------------------------------------------------------------
    def _keep_images(self, sandbox_id: str, message: Message) -> list[dict[str, Any]]:
        images = []
        for index, image in enumerate(message.images):
            item: dict[str, Any] = {
                "filename": image.filename,
                "alt_text": image.alt_text,
                "content_type": image.content_type,
                "size": len(image.data),
                "public_url": image.public_url,
            }
            if self.store_dir is not None:
                relative = Path(IMAGES_DIR) / sandbox_id / _safe_filename(image.filename, index)
                target = self.store_dir / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(image.data)
                item["path"] = relative.as_posix()
            images.append(item)
        return images

    def _append(self, entry: dict[str, Any]) -> None:
        assert self.store_dir is not None
        self.store_dir.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        # One write on an O_APPEND descriptor keeps lines whole when several worker
        # processes share the folder; the lock does the same for threads of one process.
        with self._lock:
            fd = os.open(self.store_dir / FEED_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


def read_entries(store_dir: str | os.PathLike[str], limit: int | None = 50) -> list[dict[str, Any]]:
    """Return the entries under ``store_dir``, newest first; a retraction marks its send.

    Sends that were later retracted carry ``"retracted_at"``; retraction lines themselves
    are folded into their send rather than listed. A line cut short by a crash is skipped.
    """
    path = Path(store_dir) / FEED_FILE
    try:
        raw_lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    sends: list[dict[str, Any]] = []
    retracted: dict[str, str] = {}
    for raw in raw_lines:
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if entry.get("action") == "retract":
            retracted[entry.get("id", "")] = entry.get("at", "")
        else:
            sends.append(entry)
    sends.reverse()
    for entry in sends:
        if entry.get("id") in retracted:
            entry["retracted_at"] = retracted[entry["id"]]
    return sends if limit is None else sends[:limit]
