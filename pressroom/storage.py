"""One interface for files (uploads, rendered images), with public and signed URLs.

The local backend keeps files under ``instance/storage``: ``public/`` is served at
``/media/<key>`` to anyone; ``private/`` only through an expiring signed URL
(``/files/<key>?expires=…&signature=…``). Another backend (object storage shared by several
machines) implements the same four methods.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from pressroom import clock

_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class InvalidKey(ValueError):
    """A storage key that could escape the store or is not a plain relative path."""


def check_key(key: str) -> str:
    if not _KEY_RE.match(key) or ".." in key.split("/") or len(key) > 200:
        raise InvalidKey(key)
    return key


class LocalStorage:
    def __init__(self, root: str | os.PathLike, public_url: str, secret: str):
        self.root = Path(root)
        self.public_url = public_url.rstrip("/")
        self._secret = secret.encode()

    def _path(self, key: str, public: bool) -> Path:
        return self.root / ("public" if public else "private") / check_key(key)

    def put(self, key: str, data: bytes, *, public: bool = False) -> str:
        """Store ``data`` under ``key`` atomically and return the key."""
        path = self._path(key, public)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str, *, public: bool = False) -> bytes:
        return self._path(key, public).read_bytes()

    def exists(self, key: str, *, public: bool = False) -> bool:
        return self._path(key, public).is_file()

    def delete(self, key: str, *, public: bool = False) -> None:
        self._path(key, public).unlink(missing_ok=True)

    def local_path(self, key: str, *, public: bool = False) -> Path:
        """The file on disk (local backend only; used to stream it)."""
        return self._path(key, public)

    # URLs ---------------------------------------------------------------------------
    def public_url_for(self, key: str) -> str:
        return f"{self.public_url}/media/{check_key(key)}"

    def _signature(self, key: str, expires: int) -> str:
        return hmac.new(self._secret, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def signed_url_for(self, key: str, seconds: int) -> str:
        """A URL to a private file that stops working after ``seconds``."""
        expires = int(clock.now().timestamp()) + int(seconds)
        query = urlencode({"expires": expires, "signature": self._signature(check_key(key), expires)})
        return f"{self.public_url}/files/{key}?{query}"

    def verify_signature(self, key: str, expires: str | None, signature: str | None) -> bool:
        try:
            expires_at = int(expires or "")
        except ValueError:
            return False
        if expires_at < clock.now().timestamp():
            return False
        expected = self._signature(check_key(key), expires_at)
        return hmac.compare_digest(expected, signature or "")


def init_app(app) -> LocalStorage:
    storage = LocalStorage(app.config["STORAGE_PATH"], app.config["PUBLIC_URL"], app.config["SECRET_KEY"])
    app.extensions["storage"] = storage
    return storage


def get_storage() -> LocalStorage:
    from flask import current_app

    return current_app.extensions["storage"]
