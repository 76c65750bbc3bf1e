"""OPDs: creating and editing agencies and their branding."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pressroom.charts.logo import render_logo
from pressroom.i18n import _l
from pressroom.models import Opd, User
from pressroom.models.opd import OPD_KINDS
from pressroom.services import ValidationError, audit
from pressroom.storage import LocalStorage

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
_FIELDS = ("code", "name", "short_name", "kind", "primary_color", "accent_color")


def _validate(values: dict) -> dict:
    errors: dict[str, object] = {}
    clean = dict(values)
    clean["code"] = (values.get("code") or "").strip().upper()
    if not _CODE.match(clean["code"]):
        errors["code"] = _l("Use 2–32 capital letters, digits, '-' or '_'.")
    for field in ("name", "short_name"):
        clean[field] = " ".join((values.get(field) or "").split())
        if not clean[field]:
            errors[field] = _l("This field is required.")
    if len(clean["name"]) > 200 or len(clean["short_name"]) > 60:
        errors["short_name"] = _l("This is too long.")
    if clean.get("kind") not in OPD_KINDS:
        errors["kind"] = _l("Choose a kind from the list.")
    for field in ("primary_color", "accent_color"):
        clean[field] = (values.get(field) or "").strip().lower()
        if not _HEX.match(clean[field]):
            errors[field] = _l("Use a colour like #1f4e79.")
    if errors:
        raise ValidationError(errors)
    return clean


def _store_logo(opd: Opd, storage: LocalStorage) -> None:
    png = render_logo(opd.short_name, opd.primary_color, opd.accent_color)
    key = f"opd/{opd.code.lower()}/logo-{opd.primary_color[1:]}{opd.accent_color[1:]}.png"
    storage.put(key, png, public=True)
    opd.logo_key = key


def create_opd(session: Session, actor: User | None, storage: LocalStorage, **values) -> Opd:
    clean = _validate(values)
    if session.scalar(select(Opd.id).where(func.upper(Opd.code) == clean["code"])):
        raise ValidationError.one("code", _l("An OPD with this code already exists."))
    opd = Opd(**{k: clean[k] for k in _FIELDS})
    opd.approval_steps = 2 if str(values.get("approval_steps")) == "2" else 1
    session.add(opd)
    session.flush()
    _store_logo(opd, storage)
    audit.record(session, actor, "opd.created", opd, fields=sorted(clean))
    return opd


def update_opd(session: Session, actor: User, storage: LocalStorage, opd: Opd, **values) -> list[str]:
    clean = _validate(values)
    if clean["code"] != opd.code and session.scalar(
        select(Opd.id).where(func.upper(Opd.code) == clean["code"], Opd.id != opd.id)
    ):
        raise ValidationError.one("code", _l("An OPD with this code already exists."))
    changed = audit.changed_fields(opd, {k: clean[k] for k in _FIELDS})
    steps = values.get("approval_steps")
    if steps is not None and int(steps) in (1, 2) and int(steps) != opd.approval_steps:
        opd.approval_steps = int(steps)
        changed.append("approval_steps")
    if "is_active" in values and bool(values["is_active"]) != opd.is_active:
        opd.is_active = bool(values["is_active"])
        changed.append("is_active")
    if {"short_name", "primary_color", "accent_color", "code"} & set(changed) or not opd.logo_key:
        _store_logo(opd, storage)
    if changed:
        audit.record(session, actor, "opd.updated", opd, fields=changed)
    return changed
