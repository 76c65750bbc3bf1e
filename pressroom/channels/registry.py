"""The one registry of channels: a name and the app's configuration give an adapter.

``build_channel(name, config)`` is how the outbox (and anything else that sends) gets a
channel. Servers and base URLs come from configuration only, so tests point every adapter
at a local fake and nothing reaches a real service by accident. Where a channel is not
configured, the sandbox stands in for it (``stands_for`` = the channel's name) and keeps
what would have been sent for the "sandbox feed" page.

Configuration keys read (``PRESSROOM_<KEY>`` in the environment, by config.py's rule):

* ``SANDBOX_CHANNELS`` — channels that always go to the sandbox: a list or
  comma-separated names, or ``*``/``all`` for every one (demo, tests). Default: none.
* ``SANDBOX_PATH`` — folder of the sandbox feed. Default ``<STORAGE_PATH>/sandbox``
  (``STORAGE_PATH`` is read only for this default).
* ``SMTP_HOST`` — the mail server; empty means email goes to the sandbox.
* ``SMTP_PORT`` — default 587 (465 is usual with ``tls``, 25 with ``none``).
* ``SMTP_SECURITY`` — ``starttls`` (default), ``tls`` (implicit TLS) or ``none``.
* ``SMTP_USERNAME`` / ``SMTP_PASSWORD`` — the login; empty username means no AUTH.
* ``SMTP_CA_FILE`` — PEM file of the CA that signed the server's certificate, for a mail
  server with a private CA. Default: the system's trusted CAs.
* ``SMTP_TIMEOUT`` — seconds to wait for the server at each step. Default 10.
* ``MAIL_SENDER`` — the From header, e.g. ``Pressroom Jateng <noreply@jatengprov.go.id>``;
  required when ``SMTP_HOST`` is set (its domain also ends every Message-ID).
* ``TELEGRAM_API_BASE`` — Bot API base URL. Default ``https://api.telegram.org``; empty
  means Telegram goes to the sandbox.
* ``TELEGRAM_TIMEOUT`` — seconds to wait for a Bot API answer. Default 15.
* ``TELEGRAM_RATE_PER_MINUTE`` — messages per minute to one channel. Default 20 (the Bot
  API's documented limit for groups and channels).
* ``X_API_BASE`` — X API v2 base URL (tweets, media upload and metadata). Default
  ``https://api.x.com``; empty means X goes to the sandbox. ``X_TIMEOUT`` default 20;
  ``X_RATE_PER_15_MIN`` posts per 15 minutes per account, default 100 (X's documented limit).
* ``GRAPH_API_BASE`` / ``GRAPH_API_VERSION`` — the Graph API for Facebook Pages and
  Instagram. Default ``https://graph.facebook.com`` / ``v21.0``; an empty base means both go
  to the sandbox. ``GRAPH_TIMEOUT`` default 20; ``GRAPH_RATE_PER_MINUTE`` publishing calls
  per minute per account, default 60.
* ``WHATSAPP_PROVIDER`` — empty (the sandbox), ``cloud`` (WhatsApp Cloud API: ``WHATSAPP_API_BASE``,
  ``WHATSAPP_API_VERSION``, ``WHATSAPP_PHONE_NUMBER_ID``, ``WHATSAPP_ACCESS_TOKEN``,
  ``WHATSAPP_RATE_PER_SECOND``), ``fonnte`` (``FONNTE_API_BASE``, ``FONNTE_TOKEN``) or ``wablas``
  (``WABLAS_API_BASE``, ``WABLAS_TOKEN``, ``WABLAS_SECRET_KEY``); gateways wait
  ``WHATSAPP_GATEWAY_DELAY_SECONDS`` between messages. ``WHATSAPP_TIMEOUT`` default 15.

A delivery to an account that has no credentials is the outbox's to route: it asks for
``build_sandbox(config, stands_for=…)`` directly.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pressroom.channels.base import Channel, RateLimit
from pressroom.channels.email import EmailChannel
from pressroom.channels.sandbox import SandboxChannel
from pressroom.channels.telegram import DEFAULT_API_BASE, TelegramChannel


class UnknownChannel(KeyError):
    """A channel name the registry does not know (a typo, or an adapter not yet written)."""


def sandbox_path(config: Mapping[str, Any]) -> Path:
    """Where the sandbox feed is kept (``SANDBOX_PATH``, default ``<STORAGE_PATH>/sandbox``)."""
    storage = Path(config.get("STORAGE_PATH") or "instance/storage")
    return Path(config.get("SANDBOX_PATH") or storage / "sandbox")


def build_sandbox(config: Mapping[str, Any], stands_for: str = "sandbox") -> SandboxChannel:
    """Return the sandbox that keeps its feed under ``sandbox_path(config)``."""
    return SandboxChannel(sandbox_path(config), stands_for=stands_for)


def _email(config: Mapping[str, Any]) -> Channel | None:
    host = (config.get("SMTP_HOST") or "").strip()
    if not host:
        return None
    sender = config.get("MAIL_SENDER")
    if not sender:
        raise ValueError("MAIL_SENDER must be set when SMTP_HOST is (the From address of every email)")
    ca_file = config.get("SMTP_CA_FILE") or None
    return EmailChannel(
        host=host,
        port=int(config.get("SMTP_PORT") or 587),
        security=(config.get("SMTP_SECURITY") or "starttls").strip().lower(),
        username=config.get("SMTP_USERNAME") or None,
        password=config.get("SMTP_PASSWORD") or None,
        sender=sender,
        timeout=float(config.get("SMTP_TIMEOUT") or 10),
        ssl_context=ssl.create_default_context(cafile=ca_file) if ca_file else None,
    )


def _telegram(config: Mapping[str, Any]) -> Channel | None:
    base_url = config.get("TELEGRAM_API_BASE", DEFAULT_API_BASE)
    if not base_url:
        return None
    per_minute = config.get("TELEGRAM_RATE_PER_MINUTE")
    rate = RateLimit(per_second=float(per_minute) / 60) if per_minute else None
    timeout = float(config.get("TELEGRAM_TIMEOUT") or 15)
    return TelegramChannel(base_url=base_url, timeout=timeout, rate_limit=rate)


def _x(config: Mapping[str, Any]) -> Channel | None:
    base_url = config.get("X_API_BASE", "https://api.x.com")
    if not base_url:
        return None
    from pressroom.channels.x import XChannel

    per_15_min = config.get("X_RATE_PER_15_MIN")
    rate = RateLimit(per_second=float(per_15_min) / 900) if per_15_min else None
    return XChannel(base_url=base_url, timeout=float(config.get("X_TIMEOUT") or 20), rate_limit=rate)


def _graph_settings(config: Mapping[str, Any]) -> dict[str, Any] | None:
    base_url = config.get("GRAPH_API_BASE", "https://graph.facebook.com")
    if not base_url:
        return None
    settings: dict[str, Any] = {
        "base_url": base_url,
        "version": config.get("GRAPH_API_VERSION") or "v21.0",
        "timeout": float(config.get("GRAPH_TIMEOUT") or 20),
    }
    per_minute = config.get("GRAPH_RATE_PER_MINUTE")
    if per_minute:
        settings["rate_limit"] = RateLimit(per_second=float(per_minute) / 60)
    return settings


def _facebook(config: Mapping[str, Any]) -> Channel | None:
    settings = _graph_settings(config)
    if settings is None:
        return None
    from pressroom.channels.facebook import FacebookChannel

    return FacebookChannel(**settings)


def _instagram(config: Mapping[str, Any]) -> Channel | None:
    settings = _graph_settings(config)
    if settings is None:
        return None
    from pressroom.channels.instagram import QUOTA_TOTAL, InstagramChannel

    if "rate_limit" in settings:  # the pace is configured; the 50 posts / 24 h quota is Instagram's
        settings["rate_limit"] = RateLimit(per_second=settings["rate_limit"].per_second, per_day=QUOTA_TOTAL)
    return InstagramChannel(**settings)


def _whatsapp(config: Mapping[str, Any]) -> Channel | None:
    """WhatsApp by the provider chosen in configuration: the Cloud API (recommended) or an
    unofficial Indonesian gateway (Fonnte, Wablas: see pressroom/channels/wa_gateway.py)."""
    provider = (config.get("WHATSAPP_PROVIDER") or "").strip().lower()
    if provider in ("", "sandbox"):
        return None
    timeout = float(config.get("WHATSAPP_TIMEOUT") or 15)
    if provider == "cloud":
        base_url = config.get("WHATSAPP_API_BASE", "https://graph.facebook.com")
        if not base_url:
            return None
        from pressroom.channels.whatsapp import WhatsAppCloudChannel

        per_second = config.get("WHATSAPP_RATE_PER_SECOND")
        return WhatsAppCloudChannel(
            base_url=base_url,
            version=config.get("WHATSAPP_API_VERSION") or config.get("GRAPH_API_VERSION") or "v21.0",
            phone_number_id=config.get("WHATSAPP_PHONE_NUMBER_ID") or None,
            access_token=config.get("WHATSAPP_ACCESS_TOKEN") or None,
            timeout=timeout,
            rate_limit=RateLimit(per_second=float(per_second)) if per_second else None)
    delay = float(config.get("WHATSAPP_GATEWAY_DELAY_SECONDS") or 5)
    if provider == "fonnte":
        from pressroom.channels.wa_gateway import FONNTE_API_BASE, FonnteChannel

        return FonnteChannel(base_url=config.get("FONNTE_API_BASE") or FONNTE_API_BASE,
                             token=config.get("FONNTE_TOKEN") or None, delay_seconds=delay, timeout=timeout)
    if provider == "wablas":
        base_url = (config.get("WABLAS_API_BASE") or "").strip()
        if not base_url:
            raise ValueError("WABLAS_API_BASE must be set when WHATSAPP_PROVIDER is wablas "
                             "(e.g. https://solo.wablas.com)")
        from pressroom.channels.wa_gateway import WablasChannel

        return WablasChannel(base_url=base_url, token=config.get("WABLAS_TOKEN") or None,
                             secret_key=config.get("WABLAS_SECRET_KEY") or None, delay_seconds=delay,
                             timeout=timeout)
    raise ValueError(f"WHATSAPP_PROVIDER must be cloud, fonnte or wablas (or empty for the sandbox), "
                     f"not {provider!r}")


def _sandbox_only(config: Mapping[str, Any]) -> Channel | None:
    return None


#: Name → builder; a builder returning None means "not configured: use the sandbox".
BUILDERS: dict[str, Callable[[Mapping[str, Any]], Channel | None]] = {
    "sandbox": _sandbox_only,
    "email": _email,
    "telegram": _telegram,
    "x": _x,
    "facebook": _facebook,
    "instagram": _instagram,
    "whatsapp": _whatsapp,
}


def sandboxed_names(config: Mapping[str, Any]) -> set[str]:
    """Return the names ``SANDBOX_CHANNELS`` sends to the sandbox (``{"*"}`` for all)."""
    value = config.get("SANDBOX_CHANNELS") or ()
    names = value.split(",") if isinstance(value, str) else value
    cleaned = {str(name).strip().lower() for name in names if str(name).strip()}
    return {"*"} if cleaned & {"*", "all"} else cleaned


def build_channel(name: str, config: Mapping[str, Any]) -> Channel:
    """Return the adapter for ``name``, or the sandbox standing in when it is not configured."""
    try:
        builder = BUILDERS[name]
    except KeyError:
        raise UnknownChannel(f"no channel named {name!r}; known: {', '.join(sorted(BUILDERS))}") from None
    forced = sandboxed_names(config)
    channel = None if ("*" in forced or name in forced) else builder(config)
    return channel if channel is not None else build_sandbox(config, stands_for=name)
