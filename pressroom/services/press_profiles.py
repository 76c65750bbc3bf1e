"""An OPD's press settings: how its releases are numbered (the tata naskah dinas pattern
and the default classification code) and the public contact card journalists save
(spokesperson, phone, email, address, website) — and, read from configuration, which
channels press alerts actually go out on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.i18n import _l
from pressroom.models import Opd, PressProfile, User
from pressroom.press import numbering
from pressroom.services import ValidationError, audit
from pressroom.services.contact_points import ContactError, normalise_email, normalise_phone

DEFAULT_CLASSIFICATION = "480"
#: The sequence number the settings page shows its example with.
EXAMPLE_SEQUENCE = 7
#: Editable fields, in form order.
FIELDS = ("number_pattern", "classification", "contact_name", "contact_position", "contact_phone",
          "contact_email", "address", "website")
_LIMITS = {"contact_name": 150, "contact_position": 150, "address": 300}
_CLASSIFICATION_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-")


def get_profile(session: Session, opd_id: int) -> PressProfile:
    """The OPD's saved profile, or an unsaved one with the defaults (not added to the session)."""
    profile = session.get(PressProfile, opd_id)
    if profile is not None:
        return profile
    return PressProfile(opd_id=opd_id, number_pattern=numbering.DEFAULT_PATTERN,
                        classification=DEFAULT_CLASSIFICATION, contact_name="", contact_position="",
                        contact_phone="", contact_email="", address="", website="")


def example_number(pattern: str, opd: Opd, classification: str | None, when: datetime | None = None
                   ) -> str | None:
    """The number ``pattern`` gives release no. 7 today (WIB), or None if it cannot be formed."""
    try:
        return numbering.format_number(pattern, seq=EXAMPLE_SEQUENCE, opd_code=opd.code,
                                       classification=classification, when=when or clock.now())
    except ValueError:
        return None


def clean_profile(opd: Opd, values: Mapping[str, Any]) -> dict[str, str]:
    """Validate and normalise the settings form; raise ValidationError naming every bad field."""
    errors: dict[str, Any] = {}
    clean: dict[str, str] = {}
    pattern = str(values.get("number_pattern") or "").strip()
    problems = numbering.validate_pattern(pattern)
    if problems:
        errors["number_pattern"] = " ".join(str(p) for p in problems)
    clean["number_pattern"] = pattern
    classification = "".join(str(values.get("classification") or "").split())
    if len(classification) > 20 or not set(classification) <= _CLASSIFICATION_CHARS:
        errors["classification"] = _l("The classification code may hold only letters, digits, dots and "
                                      "hyphens, at most 20 characters (for example 480 or 000.2.3).")
    elif not classification and "{class}" in pattern:
        errors["classification"] = _l("The numbering pattern uses {class}: enter the classification code.")
    clean["classification"] = classification
    for name, limit in _LIMITS.items():
        text = " ".join(str(values.get(name) or "").split())
        if len(text) > limit:
            errors[name] = _l("At most %(max)s characters.", max=limit)
        clean[name] = text
    clean["contact_phone"] = _phone(values.get("contact_phone"), errors)
    clean["contact_email"] = _email(values.get("contact_email"), errors)
    clean["website"] = _website(values.get("website"), errors)
    if not errors and example_number(pattern, opd, classification) is None:
        errors["number_pattern"] = _l("This pattern cannot form a number for %(opd)s.", opd=opd.code)
    if errors:
        raise ValidationError(errors)
    return clean


def save_profile(session: Session, actor: User, opd: Opd, values: Mapping[str, Any]) -> list[str]:
    """Save the OPD's press settings (creating its profile if it has none); return the changed
    field names. Flushes and audits with the field names, never their values."""
    clean = clean_profile(opd, values)
    profile = session.get(PressProfile, opd.id)
    created = profile is None
    if created:
        profile = get_profile(session, opd.id)
        changed = [name for name in FIELDS if getattr(profile, name) != clean[name]]
        for name in FIELDS:
            setattr(profile, name, clean[name])
        session.add(profile)
    else:
        changed = audit.changed_fields(profile, {name: clean[name] for name in FIELDS})
    if not changed and not created:
        return []
    session.flush()
    audit.record(session, actor, "press_profile.created" if created else "press_profile.updated",
                 object_type="press_profile", object_id=opd.id, opd_id=opd.id, fields=changed)
    return changed


def _phone(raw: Any, errors: dict[str, Any]) -> str:
    text = str(raw or "").strip()
    if not text:
        return ""
    try:
        return normalise_phone(text).e164
    except ContactError as exc:
        errors["contact_phone"] = exc.message
        return ""


def _email(raw: Any, errors: dict[str, Any]) -> str:
    text = str(raw or "").strip()
    if not text:
        return ""
    try:
        return normalise_email(text).address
    except ContactError as exc:
        errors["contact_email"] = exc.message
        return ""


def _website(raw: Any, errors: dict[str, Any]) -> str:
    text = str(raw or "").strip()
    if not text:
        return ""
    if "://" not in text:
        text = "https://" + text  # "jatengprov.go.id" as people write it
    parts = urlsplit(text)
    host = parts.hostname or ""
    if (parts.scheme not in ("http", "https") or "." not in host or any(ch.isspace() for ch in text)
            or len(text) > 200):
        errors["website"] = _l("Enter a web address such as https://diskominfo.jatengprov.go.id "
                               "(at most 200 characters).")
        return ""
    return text


# What is configured ------------------------------------------------------------------------
#: The unofficial gateways (see pressroom/channels/wa_gateway.py and the README).
GATEWAY_PROVIDERS = ("fonnte", "wablas")


@dataclass(frozen=True)
class DeliverySetup:
    """Where press alerts go, from the application's configuration."""

    #: "sandbox", "cloud", "fonnte" or "wablas" (or the unknown word configured).
    whatsapp: str
    #: "sandbox" or "smtp".
    email: str
    smtp_host: str = ""
    gateway_delay_seconds: float = 0

    @property
    def whatsapp_is_gateway(self) -> bool:
        return self.whatsapp in GATEWAY_PROVIDERS


def delivery_setup(config: Mapping[str, Any]) -> DeliverySetup:
    """Which WhatsApp provider and which email route the registry will use (read only)."""
    from pressroom.channels.registry import sandboxed_names

    forced = sandboxed_names(config)

    def sandboxed(name: str) -> bool:
        return "*" in forced or name in forced

    provider = str(config.get("WHATSAPP_PROVIDER") or "").strip().lower()
    if provider in ("", "sandbox") or sandboxed("whatsapp"):
        provider = "sandbox"
    host = str(config.get("SMTP_HOST") or "").strip()
    email = "smtp" if host and not sandboxed("email") else "sandbox"
    return DeliverySetup(whatsapp=provider, email=email, smtp_host=host if email == "smtp" else "",
                         gateway_delay_seconds=float(config.get("WHATSAPP_GATEWAY_DELAY_SECONDS") or 5))
