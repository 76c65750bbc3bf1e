"""Signed links a journalist receives in every alert (no login): their own page, one-click
unsubscribe, a consent request's confirm link, and an invitation's "hadir" reply.

A link carries who it is for and is signed with the app's secret (itsdangerous, HMAC-SHA256),
each purpose under its own salt, so a link made for one purpose never opens another.
Links do not expire (an unsubscribe link in a year-old email must still work); what they
allow beyond unsubscribing is guarded by a one-time code (services/journalist_self.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

#: Purposes and their URL paths (the public base URL is prepended by ``absolute``).
PURPOSES = {
    "self": "/pers/saya/{token}",
    "unsubscribe": "/pers/berhenti/{token}",
    "consent": "/pers/persetujuan/{token}",
    "rsvp": "/pers/hadir/{token}",
}


@dataclass(frozen=True)
class LinkClaims:
    """What a link says: the journalist, and where relevant the OPD, channel, release or request."""

    journalist_id: int
    opd_id: int | None = None
    channel: str | None = None
    release_id: int | None = None
    request_id: int | None = None


def _serializer(secret: str, purpose: str) -> URLSafeSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return URLSafeSerializer(secret, salt=f"pressroom.press.{purpose}")


def make_token(secret: str, purpose: str, claims: LinkClaims) -> str:
    data = {"j": claims.journalist_id}
    for short, value in (("o", claims.opd_id), ("c", claims.channel), ("r", claims.release_id),
                         ("q", claims.request_id)):
        if value is not None:
            data[short] = value
    return _serializer(secret, purpose).dumps(data)


def read_token(secret: str, purpose: str, token: str) -> LinkClaims | None:
    """The claims of a genuine token for ``purpose``; None for a forged or mangled one."""
    try:
        data = _serializer(secret, purpose).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("j"), int):
        return None
    return LinkClaims(journalist_id=data["j"], opd_id=data.get("o"), channel=data.get("c"),
                      release_id=data.get("r"), request_id=data.get("q"))


def path(secret: str, purpose: str, claims: LinkClaims) -> str:
    return PURPOSES[purpose].format(token=make_token(secret, purpose, claims))


def absolute(public_url: str, secret: str, purpose: str, claims: LinkClaims) -> str:
    return public_url.rstrip("/") + path(secret, purpose, claims)
