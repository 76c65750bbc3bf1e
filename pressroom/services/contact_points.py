"""Normalising how journalists are reached: phone numbers to E.164, email addresses checked.

Indonesian numbers arrive as ``0812…``, ``+62 812…``, ``62812…`` or ``0812-3456-7890``:
all one number. Mobile numbers are WhatsApp-capable; landlines are kept but are not.
Desk numbers and ``redaksi@``-style addresses are flagged as shared so that nobody merges
two people because they share a newsroom's line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberType

from pressroom.i18n import _l

#: Local parts that name a desk, not a person.
SHARED_LOCAL_PARTS = frozenset({
    "redaksi", "redaktur", "newsroom", "news", "berita", "info", "informasi", "desk", "admin",
    "humas", "sekretariat", "sekred", "contact", "kontak", "office", "kantor", "marketing",
    "iklan", "pemred", "editor", "hello", "halo", "cs", "support", "tips", "liputan",
})
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class ContactError(ValueError):
    """A contact point that cannot be used; ``message`` is for people (lazy-translated)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Phone:
    e164: str
    kind: str  # "mobile" or "landline"

    @property
    def whatsapp_capable(self) -> bool:
        return self.kind == "mobile"


@dataclass(frozen=True)
class Email:
    address: str
    is_shared: bool


def normalise_phone(raw: str, region: str = "ID") -> Phone:
    """Parse an Indonesian (or international) number; raise ContactError if unusable."""
    text = (raw or "").strip()
    if not text:
        raise ContactError(_l("The phone number is empty."))
    digits = re.sub(r"[^\d+]", "", text)
    if digits.startswith("62") and not digits.startswith("+"):
        digits = "+" + digits  # 62812… written without the plus
    try:
        number = phonenumbers.parse(digits, region)
    except NumberParseException:
        raise ContactError(_l("“%(value)s” is not a phone number.", value=text[:40])) from None
    if not phonenumbers.is_valid_number(number):
        raise ContactError(_l("“%(value)s” is not a valid phone number.", value=text[:40]))
    kind = "mobile" if phonenumbers.number_type(number) in _MOBILE_TYPES else "landline"
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), kind)


def display_phone(e164: str) -> str:
    """A number as Indonesians write it: ``0812-3456-7890``; foreign numbers internationally."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if number.country_code == 62:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalise_email(raw: str) -> Email:
    text = (raw or "").strip()
    if not text:
        raise ContactError(_l("The email address is empty."))
    try:
        address = validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ContactError(_l("“%(value)s” is not a valid email address.", value=text[:60])) from None
    local = address.split("@", 1)[0]
    base = re.split(r"[.+_-]", local)[0]
    return Email(address, local in SHARED_LOCAL_PARTS or base in SHARED_LOCAL_PARTS)


def sort_key(name: str) -> str:
    """Lower-case, single-spaced name for sorting and substring search."""
    return " ".join((name or "").lower().split())
