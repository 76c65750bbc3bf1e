"""Writing the audit log in the caller's transaction.

Audit rows hold ids, action names and *field names*; never personal values, so that erasing
a person leaves the log intact and harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from pressroom.models import AuditEntry, User


def record(
    session: Session,
    actor: User | None,
    action: str,
    obj: object | None = None,
    *,
    object_type: str | None = None,
    object_id: object | None = None,
    opd_id: int | None = None,
    fields: Iterable[str] = (),
    details: dict[str, Any] | None = None,
    acting_as: str | None = None,
) -> AuditEntry:
    """Add an audit row for ``action`` on ``obj`` to the session (flushed with the change)."""
    if obj is not None:
        object_type = object_type or obj.__class__.__tablename__
        if object_id is None:
            if obj.id is None:
                session.flush()  # a new object needs its id
            object_id = obj.id
        if opd_id is None:
            opd_id = getattr(obj, "opd_id", None)
            if opd_id is None and obj.__class__.__tablename__ == "opd":
                opd_id = obj.id
    if object_type is None:
        raise ValueError("audit.record needs an object or an object_type")
    if acting_as is None and actor is not None:
        from pressroom.services.policy import acting_as as describe

        acting_as = describe(actor, opd_id)
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        acting_as=acting_as if actor is not None else (acting_as or "system"),
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        opd_id=opd_id,
        fields=sorted(set(fields)),
        details=details or {},
    )
    session.add(entry)
    return entry


def changed_fields(obj: object, values: dict[str, Any]) -> list[str]:
    """Set ``values`` on ``obj`` and return the names of the attributes that changed."""
    changed = []
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit row."""


def _refuse_audit_changes(session: Session, _context, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("the audit log is append-only")


# PostgreSQL enforces this with triggers (see the migrations); the ORM refuses it everywhere.
from sqlalchemy import event  # noqa: E402

event.listen(Session, "before_flush", _refuse_audit_changes)
