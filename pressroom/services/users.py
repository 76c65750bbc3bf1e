"""Staff accounts: creation, memberships, acting appointments, resets and mutasi."""

from __future__ import annotations

import secrets
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.i18n import _l
from pressroom.models import ActingAppointment, Membership, Opd, User
from pressroom.models.user import ACTING_KINDS, LEVELS, ROLES
from pressroom.services import ValidationError, audit
from pressroom.services.auth import PasswordRejected, check_password_rules, hash_password

PASSWORD_MESSAGES = {
    "too_short": _l("The password must be at least 10 characters long."),
    "like_email": _l("The password must not be the email address."),
}


def normalise_email(raw: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationError.one("email", _l("This is not a valid email address.")) from None


def _clean_name(raw: str, field: str = "full_name", max_len: int = 200) -> str:
    value = " ".join((raw or "").split())
    if not value:
        raise ValidationError.one(field, _l("This field is required."))
    if len(value) > max_len:
        raise ValidationError.one(field, _l("This is too long."))
    return value


def _password(password: str, email: str) -> str:
    try:
        check_password_rules(password, email=email)
    except PasswordRejected as exc:
        raise ValidationError.one("password", PASSWORD_MESSAGES[exc.code]) from None
    return hash_password(password)


def temporary_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    session: Session,
    actor: User | None,
    *,
    email: str,
    full_name: str,
    password: str,
    nip: str | None = None,
    must_change_password: bool = True,
) -> User:
    email = normalise_email(email)
    if session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise ValidationError.one("email", _l("A user with this email already exists."))
    nip = (nip or "").strip() or None
    if nip and (not nip.isdigit() or len(nip) != 18):
        raise ValidationError.one("nip", _l("A NIP has 18 digits."))
    user = User(
        email=email,
        full_name=_clean_name(full_name),
        nip=nip,
        password_hash=_password(password, email),
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.created", user, fields=["email", "full_name", "nip"])
    return user


def update_user(session: Session, actor: User, user: User, *, full_name: str, nip: str | None) -> None:
    nip = (nip or "").strip() or None
    if nip and (not nip.isdigit() or len(nip) != 18):
        raise ValidationError.one("nip", _l("A NIP has 18 digits."))
    changed = audit.changed_fields(user, {"full_name": _clean_name(full_name), "nip": nip})
    if changed:
        audit.record(session, actor, "user.updated", user, fields=changed)


def change_password(session: Session, user: User, new_password: str) -> None:
    user.password_hash = _password(new_password, user.email)
    user.must_change_password = False
    audit.record(session, user, "user.password_changed", user, fields=["password"])


def reset_password(session: Session, admin: User, user: User) -> str:
    """Set a temporary password the user must change; log out their sessions."""
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.session_version += 1
    audit.record(session, admin, "user.password_reset", user, fields=["password"])
    return password


def add_membership(
    session: Session,
    actor: User,
    user: User,
    *,
    opd: Opd,
    role: str,
    position_title: str,
    level: str,
) -> Membership:
    if role not in ROLES:
        raise ValidationError.one("role", _l("Choose a role from the list."))
    if level not in LEVELS:
        raise ValidationError.one("level", _l("Choose a level from the list."))
    if not user.is_active:
        raise ValidationError.one("", _l("This account is deactivated."))
    existing = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.opd_id == opd.id, Membership.role == role
        )
    )
    title = _clean_name(position_title, "position_title")
    if existing is not None and existing.ended_at is None:
        raise ValidationError.one("role", _l("This user already has this role in this OPD."))
    if existing is not None:
        # Re-appointed to a role held before: reopen the row (unique per user × OPD × role).
        existing.ended_at = None
        existing.position_title = title
        existing.level = level
        membership = existing
    else:
        membership = Membership(
            user=user, opd_id=opd.id, role=role, position_title=title, level=level
        )
        session.add(membership)
    session.flush()
    audit.record(
        session, actor, "membership.added", membership,
        fields=["role", "position_title", "level"], details={"user_id": user.id, "role": role},
    )
    return membership


def end_membership(session: Session, actor: User, membership: Membership) -> None:
    if membership.ended_at is not None:
        return
    membership.ended_at = clock.now()
    audit.record(
        session, actor, "membership.ended", membership, fields=["ended_at"],
        details={"user_id": membership.user_id, "role": membership.role},
    )


def appoint_acting(
    session: Session,
    actor: User,
    user: User,
    *,
    opd: Opd,
    kind: str,
    position_title: str,
    level: str,
    sk_number: str,
    starts_at: datetime,
    ends_at: datetime,
) -> ActingAppointment:
    """Appoint ``user`` Plt./Plh. in a position of ``opd`` for [starts_at, ends_at)."""
    errors: dict[str, object] = {}
    if kind not in ACTING_KINDS:
        errors["kind"] = _l("Choose Plt. or Plh.")
    if level not in ("kabid", "kepala"):
        errors["level"] = _l("Only a Kabid or Kepala position can be held by an acting official.")
    if ends_at <= starts_at:
        errors["ends_at"] = _l("The end must be after the start.")
    elif ends_at <= clock.now():
        errors["ends_at"] = _l("The period has already ended.")
    if not user.is_active:
        errors[""] = _l("This account is deactivated.")
    sk = " ".join((sk_number or "").split())
    if not sk:
        errors["sk_number"] = _l("The SK or surat perintah number is required.")
    if errors:
        raise ValidationError(errors)
    title = _clean_name(position_title, "position_title")
    overlapping = session.scalar(
        select(ActingAppointment.id).where(
            ActingAppointment.opd_id == opd.id,
            ActingAppointment.position_title == title,
            ActingAppointment.revoked_at.is_(None),
            ActingAppointment.starts_at < ends_at,
            ActingAppointment.ends_at > starts_at,
        )
    )
    if overlapping:
        raise ValidationError.one(
            "starts_at", _l("Someone already acts in this position during this period.")
        )
    appointment = ActingAppointment(
        user=user, opd_id=opd.id, kind=kind, position_title=title, level=level,
        sk_number=sk, starts_at=starts_at, ends_at=ends_at, created_by_id=actor.id,
    )
    session.add(appointment)
    session.flush()
    audit.record(
        session, actor, "acting.appointed", appointment,
        fields=["kind", "position_title", "level", "sk_number", "starts_at", "ends_at"],
        details={"user_id": user.id, "kind": kind},
    )
    return appointment


def revoke_acting(session: Session, actor: User, appointment: ActingAppointment) -> None:
    if appointment.revoked_at is not None:
        return
    appointment.revoked_at = clock.now()
    audit.record(session, actor, "acting.revoked", appointment, fields=["revoked_at"])


def deactivate_user(session: Session, admin: User, user: User, *, reason: str) -> None:
    """Close the account of someone who moved (mutasi) or left; history stays."""
    if user.id == admin.id:
        raise ValidationError.one("", _l("You cannot deactivate your own account."))
    if not user.is_active:
        return
    now = clock.now()
    user.is_active = False
    user.deactivated_at = now
    user.deactivation_reason = " ".join((reason or "").split())[:300] or None
    user.session_version += 1
    for membership in user.memberships:
        if membership.ended_at is None:
            membership.ended_at = now
    for appointment in user.acting_appointments:
        if appointment.revoked_at is None and appointment.ends_at > now:
            appointment.revoked_at = now
    audit.record(
        session, admin, "user.deactivated", user,
        fields=["is_active", "deactivation_reason", "memberships", "acting_appointments"],
    )


def reactivate_user(session: Session, admin: User, user: User) -> None:
    if user.is_active:
        return
    user.is_active = True
    user.deactivated_at = None
    user.deactivation_reason = None
    audit.record(session, admin, "user.reactivated", user, fields=["is_active"])
