"""Pressroom configuration: classes per environment, overridden by PRESSROOM_* variables.

Every setting a deployment may change is read from an environment variable named
``PRESSROOM_<NAME>``; README.md lists them all. Production refuses to start when a secret
or an address it cannot guess is missing (see ``ProductionConfig.validate``).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = Path(os.environ.get("PRESSROOM_INSTANCE_PATH", ROOT / "instance"))


def env(name: str, default=None):
    return os.environ.get(f"PRESSROOM_{name}", default)


def env_int(name: str, default: int) -> int:
    return int(env(name, default))


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class ConfigError(RuntimeError):
    """Raised at start-up when required configuration is missing or invalid."""


class Config:
    #: Signs sessions, CSRF tokens and signed file URLs.
    SECRET_KEY = env("SECRET_KEY", "dev-only-not-secret")
    #: SQLAlchemy URL; SQLite under instance/ is the embedded default.
    DATABASE_URL = env("DATABASE_URL", f"sqlite:///{INSTANCE / 'pressroom.sqlite3'}")
    #: Fernet key(s), comma-separated, newest first: encrypts TOTP secrets and credentials.
    ENCRYPTION_KEYS = env("ENCRYPTION_KEY", "")
    #: The one public base URL (links in messages, public files, QR codes).
    PUBLIC_URL = env("PUBLIC_URL", "http://127.0.0.1:5000")
    INSTANCE_PATH = str(INSTANCE)
    #: Where the local storage backend keeps files.
    STORAGE_PATH = env("STORAGE_PATH", str(INSTANCE / "storage"))
    #: Largest accepted request body (uploads), in megabytes.
    MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 20)
    #: Most data rows one journalist import (CSV/XLSX) may hold; longer files are refused.
    IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 20000)
    #: Number of proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_HOPS = env_int("PROXY_HOPS", 0)
    #: Idle minutes before a staff session expires; absolute hours before re-login.
    SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
    SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
    #: Failed logins allowed per account (and per client address ×4) within the window.
    LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_WINDOW_MINUTES = env_int("LOGIN_WINDOW_MINUTES", 15)
    #: Default lifetime of a signed URL for a private file, in seconds.
    SIGNED_URL_SECONDS = env_int("SIGNED_URL_SECONDS", 3600)
    #: SQLite busy timeout, in milliseconds (web and worker share the file).
    SQLITE_BUSY_TIMEOUT_MS = env_int("SQLITE_BUSY_TIMEOUT_MS", 15000)
    #: Name shown as the product; the data protection officer on the privacy page.
    SITE_NAME = env("SITE_NAME", "Pressroom Jawa Tengah")
    DPO_NAME = env("DPO_NAME", "Pejabat Pelindungan Data Pribadi, Diskominfo Provinsi Jawa Tengah")
    DPO_EMAIL = env("DPO_EMAIL", "ppdp@example.invalid")
    DPO_ADDRESS = env("DPO_ADDRESS", "Jl. Contoh No. 1, Semarang")
    #: Worker tick intervals, in seconds.
    PURGE_INTERVAL_SECONDS = env_int("PURGE_INTERVAL_SECONDS", 300)
    DISPATCH_INTERVAL_SECONDS = env_int("DISPATCH_INTERVAL_SECONDS", 5)
    #: Sessions (SMTP connections, HTTP requests in flight) one worker keeps open at once per
    #: channel without an account (email, WhatsApp); a social account always gets one.
    DISPATCH_SESSIONS_PER_CHANNEL = env_int("DISPATCH_SESSIONS_PER_CHANNEL", 4)
    #: Minutes a post may still go out after its scheduled time (after an outage); later it is missed.
    MISSED_WINDOW_MINUTES = env_int("MISSED_WINDOW_MINUTES", 30)
    #: Hosts allowed as PRESSROOM_PUBLIC_URL for Instagram although private or loopback (tests and
    #: local fakes); https is still required, as Instagram fetches only https image URLs.
    INSTAGRAM_URL_ALLOW = env("INSTAGRAM_URL_ALLOW", "")
    #: Outside services (pressroom/channels/registry.py). Without SMTP_HOST, email goes to the
    #: sandbox feed; every base URL is configuration so tests talk to local fakes.
    SMTP_HOST = env("SMTP_HOST", "")
    SMTP_PORT = env_int("SMTP_PORT", 587)
    SMTP_SECURITY = env("SMTP_SECURITY", "starttls")
    SMTP_USERNAME = env("SMTP_USERNAME", "")
    SMTP_PASSWORD = env("SMTP_PASSWORD", "")
    SMTP_TIMEOUT = env_int("SMTP_TIMEOUT", 10)
    MAIL_SENDER = env("MAIL_SENDER", "Pressroom Jateng <noreply@pressroom.invalid>")
    TELEGRAM_API_BASE = env("TELEGRAM_API_BASE", "https://api.telegram.org")
    TELEGRAM_TIMEOUT = env_int("TELEGRAM_TIMEOUT", 15)
    TELEGRAM_RATE_PER_MINUTE = env_int("TELEGRAM_RATE_PER_MINUTE", 20)
    #: X API v2 (tweets, media upload, media metadata, users/me) on one base URL.
    X_API_BASE = env("X_API_BASE", "https://api.x.com")
    X_TIMEOUT = env_int("X_TIMEOUT", 20)
    #: Posts per 15 minutes per X account (X's documented POST /2/tweets user limit is 100).
    X_RATE_PER_15_MIN = env_int("X_RATE_PER_15_MIN", 100)
    #: Graph API (Facebook Pages and Instagram professional accounts) and its version.
    GRAPH_API_BASE = env("GRAPH_API_BASE", "https://graph.facebook.com")
    GRAPH_API_VERSION = env("GRAPH_API_VERSION", "v21.0")
    GRAPH_TIMEOUT = env_int("GRAPH_TIMEOUT", 20)
    #: Publishing calls per minute per Page / Instagram account (paces a batch; 429s still honoured).
    GRAPH_RATE_PER_MINUTE = env_int("GRAPH_RATE_PER_MINUTE", 60)
    #: WhatsApp: empty (sandbox), cloud (the official Cloud API, recommended), fonnte or wablas
    #: (unofficial gateways: a number can be banned; a data-processing agreement is needed).
    WHATSAPP_PROVIDER = env("WHATSAPP_PROVIDER", "")
    WHATSAPP_API_BASE = env("WHATSAPP_API_BASE", "https://graph.facebook.com")
    WHATSAPP_API_VERSION = env("WHATSAPP_API_VERSION", "v21.0")
    WHATSAPP_PHONE_NUMBER_ID = env("WHATSAPP_PHONE_NUMBER_ID", "")
    WHATSAPP_ACCESS_TOKEN = env("WHATSAPP_ACCESS_TOKEN", "")
    WHATSAPP_RATE_PER_SECOND = env_int("WHATSAPP_RATE_PER_SECOND", 80)
    WHATSAPP_TIMEOUT = env_int("WHATSAPP_TIMEOUT", 15)
    WHATSAPP_GATEWAY_DELAY_SECONDS = env_int("WHATSAPP_GATEWAY_DELAY_SECONDS", 5)
    FONNTE_API_BASE = env("FONNTE_API_BASE", "https://api.fonnte.com")
    FONNTE_TOKEN = env("FONNTE_TOKEN", "")
    WABLAS_API_BASE = env("WABLAS_API_BASE", "")
    WABLAS_TOKEN = env("WABLAS_TOKEN", "")
    WABLAS_SECRET_KEY = env("WABLAS_SECRET_KEY", "")
    #: WhatsApp webhooks (/webhooks/whatsapp…). The Cloud API: the verify token typed into Meta's
    #: webhook settings (answers the subscription handshake) and the app secret that signs every
    #: delivery status (X-Hub-Signature-256); without it statuses are refused. The gateways sign
    #: nothing: their status callback URL carries this shared secret (?secret=…); without it,
    #: refused.
    WHATSAPP_VERIFY_TOKEN = env("WHATSAPP_VERIFY_TOKEN", "")
    WHATSAPP_APP_SECRET = env("WHATSAPP_APP_SECRET", "")
    WHATSAPP_GATEWAY_WEBHOOK_SECRET = env("WHATSAPP_GATEWAY_WEBHOOK_SECRET", "")
    #: Hosts a gateway's media link (a citizen's photo) may point at although private or loopback.
    WHATSAPP_MEDIA_ALLOW = env("WHATSAPP_MEDIA_ALLOW", "")
    #: The business's own WhatsApp numbers (comma-separated, E.164 or digits): inbound messages
    #: from them are never taken as Lapor Gub reports (a gateway's own device is always skipped).
    WHATSAPP_OWN_NUMBERS = env("WHATSAPP_OWN_NUMBERS", "")
    #: The approved template (utility, language "id"; body {{1}} tracking ID, {{2}} the citizen-facing
    #: status) that tells a Lapor Gub reporter of a change more than 24 hours after they last wrote.
    LAPOR_WHATSAPP_TEMPLATE = env("LAPOR_WHATSAPP_TEMPLATE", "balasan_aduan")
    #: Lapor Gub, the public complaint channel: its display name; flood limits on web reports (per
    #: contact — email or WhatsApp number — per 24 hours, per client address per hour; the address is
    #: only kept as an HMAC); and guess throttling on the status page: wrong PINs per tracking ID and
    #: unknown IDs or wrong PINs per client address, within the window (minutes). Throttle rows share
    #: the login-throttle table; the purge tick must keep them for this window too.
    LAPOR_NAME = env("LAPOR_NAME", "Lapor Gub")
    LAPOR_MAX_PER_CONTACT_DAY = env_int("LAPOR_MAX_PER_CONTACT_DAY", 5)
    LAPOR_MAX_PER_CLIENT_HOUR = env_int("LAPOR_MAX_PER_CLIENT_HOUR", 10)
    LAPOR_MAX_PIN_FAILURES = env_int("LAPOR_MAX_PIN_FAILURES", 10)
    LAPOR_MAX_LOOKUP_FAILURES = env_int("LAPOR_MAX_LOOKUP_FAILURES", 30)
    LAPOR_GUESS_WINDOW_MINUTES = env_int("LAPOR_GUESS_WINDOW_MINUTES", 60)
    #: Open311 GeoReport v2 (/open311/v2/): the API keys that may post service requests
    #: (comma-separated; empty: posting is refused, reading needs no key), and who to ask for one
    #: (the discovery document's contact).
    LAPOR_OPEN311_API_KEYS = env("LAPOR_OPEN311_API_KEYS", "")
    LAPOR_OPEN311_CONTACT = env("LAPOR_OPEN311_CONTACT",
                                "Diskominfo Provinsi Jawa Tengah (Lapor Gub), ppid@example.invalid")
    #: The OPD (code) whose data centre keeps the monthly "Statistik Lapor Gub" dataset.
    LAPOR_STATS_OPD = env("LAPOR_STATS_OPD", "DISKOMINFO")
    #: Lapor Gub office hours (WIB, "HH:MM-HH:MM"): working-day clocks of a report received
    #: outside them start at the next working morning, and SLA reminders go out only within them
    #: (unless a report is urgent). Periods with other hours (Ramadan) and the days off are kept in
    #: the app (/app/lapor/atur).
    LAPOR_OFFICE_HOURS = env("LAPOR_OFFICE_HOURS", "08:00-16:00")
    #: SLA reminders: the PIC (or the OPD's officers, or the verifiers) is reminded this many hours
    #: before a clock runs out; the OPD head and the admins get an escalation this many hours after
    #: both the deadline and the reminder; the tick looks every LAPOR_REMINDER_INTERVAL_SECONDS.
    LAPOR_REMIND_BEFORE_HOURS = env_int("LAPOR_REMIND_BEFORE_HOURS", 4)
    LAPOR_ESCALATE_AFTER_HOURS = env_int("LAPOR_ESCALATE_AFTER_HOURS", 4)
    LAPOR_REMINDER_INTERVAL_SECONDS = env_int("LAPOR_REMINDER_INTERVAL_SECONDS", 300)
    #: The approved WhatsApp template (utility/authentication category, one body parameter: the text)
    #: that carries notices to journalists — one-time codes, unsubscribe confirmations, consent
    #: requests — so the Cloud API delivers them outside the 24-hour window; and its language.
    #: Gateways and the sandbox send the text itself.
    WHATSAPP_NOTICE_TEMPLATE = env("WHATSAPP_NOTICE_TEMPLATE", "pressroom_pemberitahuan")
    WHATSAPP_NOTICE_LANGUAGE = env("WHATSAPP_NOTICE_LANGUAGE", "id")
    #: The approved template press alerts go out with on the Cloud API (language "id"): an image
    #: header (the infographic, a photo or the OPD's logo), body {{1}} headline, {{2}} OPD, {{3}} the
    #: time (WIB) or the embargo, and a URL button "Baca selengkapnya" ending in the release's path
    #: under <PUBLIC_URL>/pers/. Gateways and the sandbox send the whole text.
    WHATSAPP_PRESS_TEMPLATE = env("WHATSAPP_PRESS_TEMPLATE", "siaran_pers")
    #: Hosts a dataset's source URL may point at although private or loopback (intranet portals).
    DATASET_SOURCE_ALLOW = env("DATASET_SOURCE_ALLOW", "")
    #: Seconds to wait for a dataset source (CSV URL or CKAN) per request.
    DATASET_SOURCE_TIMEOUT = env_int("DATASET_SOURCE_TIMEOUT", 20)
    #: Days before a token's expiry that the daily account check starts warning.
    ACCOUNT_EXPIRY_WARNING_DAYS = env_int("ACCOUNT_EXPIRY_WARNING_DAYS", 14)
    #: A CA bundle for a mail server with a private certificate (intranet relays).
    SMTP_CA_FILE = env("SMTP_CA_FILE", "")
    #: Channels always sent to the sandbox ("*" for all), and where the sandbox feed lives.
    SANDBOX_CHANNELS = env("SANDBOX_CHANNELS", "")
    SANDBOX_PATH = env("SANDBOX_PATH", "")
    #: Cookie settings.
    SESSION_COOKIE_NAME = "pressroom_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    REMEMBER_COOKIE_DURATION = 0
    WTF_CSRF_TIME_LIMIT = None  # the session's own expiry bounds the token
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")
    TESTING = False
    DEBUG = False

    def validate(self) -> None:
        """Check settings that every environment needs."""
        if self.MAX_UPLOAD_MB <= 0:
            raise ConfigError("PRESSROOM_MAX_UPLOAD_MB must be positive")


class DevelopmentConfig(Config):
    DEBUG = False  # the demo runs the real server; set FLASK_DEBUG for the debugger
    # A fixed development key keeps sessions and encrypted demo data valid across restarts.
    ENCRYPTION_KEYS = env("ENCRYPTION_KEY", "ZGV2LW9ubHktZGV2LW9ubHktZGV2LW9ubHktMzJieXQ=")


class TestingConfig(Config):
    TESTING = True
    # Real senders are unreachable from tests by configuration: no mail server, no Bot API.
    SMTP_HOST = ""
    TELEGRAM_API_BASE = ""
    X_API_BASE = ""
    GRAPH_API_BASE = ""
    WHATSAPP_PROVIDER = ""
    SECRET_KEY = "testing-secret"
    ENCRYPTION_KEYS = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ="
    PUBLIC_URL = "http://pressroom.test"
    LOGIN_MAX_FAILURES = 5


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)

    def validate(self) -> None:
        super().validate()
        missing = [
            f"PRESSROOM_{name}"
            for name in ("SECRET_KEY", "DATABASE_URL", "ENCRYPTION_KEY", "PUBLIC_URL")
            if not env(name)
        ]
        if missing:
            raise ConfigError("missing required setting(s): " + ", ".join(missing))
        if len(self.SECRET_KEY) < 32:
            raise ConfigError("PRESSROOM_SECRET_KEY must be at least 32 characters")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load(name: str | None = None) -> Config:
    """Return the configuration named by ``name`` or PRESSROOM_ENV (default development)."""
    name = name or env("ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ConfigError(f"unknown PRESSROOM_ENV {name!r}; use one of {sorted(CONFIGS)}") from None
