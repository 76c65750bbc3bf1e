"""Transport-failure helpers shared by the HTTP adapters (Telegram, X, Graph API).

Telling "never reached the platform" (safe to retry) from "the request may have been
applied" (unknown) is the outbox's central rule; every adapter asks these the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from urllib3.exceptions import ConnectTimeoutError, NewConnectionError


def causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield ``exc`` and everything requests/urllib3 wrapped inside it."""
    seen: set[int] = set()
    pending: list[Any] = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([getattr(current, "reason", None), current.__cause__, current.__context__])
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))


def never_connected(exc: BaseException) -> bool:
    never = (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError)
    return any(isinstance(cause, never) for cause in causes(exc))


def short(exc: BaseException) -> str:
    """Return the plainest words available for a transport error ("Connection refused")."""
    for cause in causes(exc):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
    return type(exc).__name__
