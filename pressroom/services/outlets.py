"""The outlet register and the beat vocabulary shared by the directory."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pressroom.i18n import _l
from pressroom.models import Beat, Outlet, Region, User
from pressroom.models.journalist import DEWAN_PERS_STATES, OUTLET_TYPES
from pressroom.services import ValidationError, audit


def _clean_outlet(session: Session, outlet_id: int | None, *, name: str, type: str, dewan_pers: str,
                  region_code: str | None) -> dict:
    errors = {}
    clean_name = " ".join((name or "").split())[:150]
    if not clean_name:
        errors["name"] = _l("The name is required.")
    elif session.scalar(select(Outlet.id).where(func.lower(Outlet.name) == clean_name.lower(),
                                                Outlet.id != (outlet_id or 0))):
        errors["name"] = _l("An outlet with this name already exists.")
    if type not in OUTLET_TYPES:
        errors["type"] = _l("Choose a type from the list.")
    if dewan_pers not in DEWAN_PERS_STATES:
        errors["dewan_pers"] = _l("Choose a verification state from the list.")
    if region_code and session.get(Region, region_code) is None:
        errors["region_code"] = _l("Choose a region from the list.")
    if errors:
        raise ValidationError(errors)
    return {"name": clean_name, "type": type, "dewan_pers": dewan_pers, "region_code": region_code or None}


def create_outlet(session: Session, actor: User | None, **values) -> Outlet:
    outlet = Outlet(**_clean_outlet(session, None, **values))
    session.add(outlet)
    session.flush()
    audit.record(session, actor, "outlet.created", outlet, fields=sorted(values))
    return outlet


def update_outlet(session: Session, actor: User, outlet: Outlet, **values) -> list[str]:
    changed = audit.changed_fields(outlet, _clean_outlet(session, outlet.id, **values))
    if changed:
        audit.record(session, actor, "outlet.updated", outlet, fields=changed)
    return changed


def _clean_beat(session: Session, beat_id: int | None, name: str) -> str:
    clean = " ".join((name or "").split())[:80]
    if not clean:
        raise ValidationError.one("name", _l("The name is required."))
    if session.scalar(select(Beat.id).where(func.lower(Beat.name) == clean.lower(),
                                            Beat.id != (beat_id or 0))):
        raise ValidationError.one("name", _l("This beat already exists."))
    return clean


def create_beat(session: Session, actor: User, name: str) -> Beat:
    beat = Beat(name=_clean_beat(session, None, name), is_active=True)
    session.add(beat)
    session.flush()
    audit.record(session, actor, "beat.created", beat, fields=["name"])
    return beat


def update_beat(session: Session, actor: User, beat: Beat, *, name: str, is_active: bool) -> list[str]:
    """Rename or retire a beat; journalists keep retired beats, new entries cannot pick them."""
    changed = audit.changed_fields(beat, {"name": _clean_beat(session, beat.id, name),
                                          "is_active": bool(is_active)})
    if changed:
        audit.record(session, actor, "beat.updated", beat, fields=changed)
    return changed
