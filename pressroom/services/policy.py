"""The one permission function: ``can(user, action, obj)``, asked by routes and services.

A user's *capacities* come from current memberships (user × OPD × role) and from acting
appointments (Plt./Plh.) active right now. ``admin``, ``walidata`` and ``viewer`` reach
across OPDs; ``editor`` and ``approver`` act only inside their OPD.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pressroom import clock
from pressroom.models import ActingAppointment, Opd, User
from pressroom.models.user import PROVINCE_WIDE_ROLES


class Forbidden(Exception):
    """Raised by services when the policy refuses an action."""

    def __init__(self, action: str):
        super().__init__(action)
        self.action = action


@dataclass(frozen=True)
class Capacity:
    """One way a user may act: a role in an OPD, held directly or as Plt./Plh."""

    opd_id: int
    role: str
    level: str
    title: str
    acting: ActingAppointment | None = None

    @property
    def display(self) -> str:
        return self.acting.display_title if self.acting else self.title


def capacities(user: User | None, at: datetime | None = None) -> list[Capacity]:
    """Return every capacity ``user`` holds at ``at`` (default: now)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    at = at or clock.now()
    found = [
        Capacity(m.opd_id, m.role, m.level, m.position_title)
        for m in user.memberships
        if m.ended_at is None
    ]
    for appointment in user.acting_appointments:
        if appointment.is_active_at(at):
            found.append(
                Capacity(
                    appointment.opd_id,
                    "approver",
                    appointment.level,
                    appointment.position_title,
                    acting=appointment,
                )
            )
    return found


def _has_role(caps: list[Capacity], *roles: str) -> bool:
    return any(c.role in roles for c in caps)


def _in_opd(caps: list[Capacity], opd: Opd | int, *roles: str) -> bool:
    opd_id = opd if isinstance(opd, int) else opd.id
    return any(c.opd_id == opd_id and c.role in roles for c in caps)


def _opd_of(obj) -> Opd | int:
    """The OPD an object belongs to: the object itself, or its ``opd_id``."""
    if isinstance(obj, Opd | int):
        return obj
    return obj.opd_id


def _complaint_opd(obj) -> Opd | int | None:
    """The OPD a report was disposed to (None before disposition); an OPD or id as is."""
    if obj is None:
        return None
    return obj if isinstance(obj, Opd | int) else obj.opd_id


Rule = Callable[[list[Capacity], object], bool]

#: Every action Pressroom checks, and who may do it. Later features add their actions here.
RULES: dict[str, Rule] = {
    # Any staff member with a current capacity may enter the staff area.
    "app.enter": lambda caps, _obj: bool(caps),
    # Diskominfo administration: OPDs, users, memberships, acting appointments, settings.
    "admin.manage": lambda caps, _obj: _has_role(caps, "admin"),
    "audit.view": lambda caps, _obj: _has_role(caps, "admin"),
    # Reading one OPD's workspace: its members or anyone province-wide.
    "opd.view": lambda caps, obj: _has_role(caps, *PROVINCE_WIDE_ROLES)
    or _in_opd(caps, _opd_of(obj), "editor", "approver"),
    # Writing inside an OPD (drafts, contacts): its editors and approvers.
    "opd.edit": lambda caps, obj: _in_opd(caps, _opd_of(obj), "editor", "approver"),
    # Saying yes on behalf of an OPD: its approvers, including acting officials.
    "opd.approve": lambda caps, obj: _in_opd(caps, _opd_of(obj), "approver"),
    # The journalist directory is personal data: OPD staff who contact the press, and admins.
    "journalist.view": lambda caps, _obj: _has_role(caps, "editor", "approver", "admin"),
    "journalist.edit": lambda caps, _obj: _has_role(caps, "editor", "approver", "admin"),
    # An OPD's own relation to a journalist (follow, notes) and imports into that OPD.
    "journalist.opd_link": lambda caps, obj: _in_opd(caps, _opd_of(obj), "editor", "approver"),
    "journalist.import": lambda caps, obj: _has_role(caps, "admin")
    or _in_opd(caps, _opd_of(obj), "editor", "approver"),
    # Taking contacts out of Pressroom, or retiring a shared record: approvers and admins.
    "journalist.export": lambda caps, _obj: _has_role(caps, "approver", "admin"),
    "journalist.archive": lambda caps, _obj: _has_role(caps, "approver", "admin"),
    # Data-subject rights (UU 27/2022 PDP): access export and erasure, by admins.
    "journalist.pdp": lambda caps, _obj: _has_role(caps, "admin"),
    # Posts: an OPD's editors and approvers write them; deciding goes through services.approvals.
    "post.view": lambda caps, obj: _has_role(caps, *PROVINCE_WIDE_ROLES)
    or _in_opd(caps, _opd_of(obj), "editor", "approver"),
    "post.edit": lambda caps, obj: _in_opd(caps, _opd_of(obj), "editor", "approver"),
    # Press alerts (siaran pers, undangan, ralat): as posts; deciding goes through services.approvals.
    "release.view": lambda caps, obj: _has_role(caps, *PROVINCE_WIDE_ROLES)
    or _in_opd(caps, _opd_of(obj), "editor", "approver"),
    "release.edit": lambda caps, obj: _in_opd(caps, _opd_of(obj), "editor", "approver"),
    # Pauses, blackout windows, accounts and approval chains: Diskominfo admins.
    "sending.control": lambda caps, _obj: _has_role(caps, "admin"),
    # What the sandbox "sent" (demo and unconfigured channels): any staff member.
    "sandbox.view": lambda caps, _obj: bool(caps),
    # The data centre: an OPD's editors and approvers keep its datasets; walidata and admins
    # keep every OPD's. Seeing the internal catalogue: any staff member of the OPD or province-wide.
    "dataset.view": lambda caps, obj: _has_role(caps, *PROVINCE_WIDE_ROLES)
    or _in_opd(caps, _opd_of(obj), "editor", "approver"),
    "dataset.edit": lambda caps, obj: _has_role(caps, "admin", "walidata")
    or _in_opd(caps, _opd_of(obj), "editor", "approver"),
    "dataset.update": lambda caps, obj: _has_role(caps, "admin", "walidata")
    or _in_opd(caps, _opd_of(obj), "editor", "approver"),
    # An OPD's press settings (release numbering, public contact card): its approvers, and admins.
    "press.settings": lambda caps, obj: _has_role(caps, "admin") or _in_opd(caps, _opd_of(obj), "approver"),
    # Lapor Gub. Verifiers (Diskominfo) and admins see every report and reporters' identities;
    # an OPD's officers and approvers see and answer the reports disposed to it.
    "complaint.verify": lambda caps, _obj: _has_role(caps, "verifier", "admin"),
    "complaint.identity": lambda caps, _obj: _has_role(caps, "verifier", "admin"),
    "complaint.queue": lambda caps, _obj: _has_role(caps, "verifier", "admin", "officer", "approver"),
    "complaint.view": lambda caps, obj: _has_role(caps, "verifier", "admin")
    or (_complaint_opd(obj) is not None and _in_opd(caps, _complaint_opd(obj), "officer", "approver")),
    "complaint.answer": lambda caps, obj: _has_role(caps, "verifier", "admin")
    or (_complaint_opd(obj) is not None and _in_opd(caps, _complaint_opd(obj), "officer", "approver")),
    "complaint.manage": lambda caps, _obj: _has_role(caps, "admin"),
    # Entering a report taken at the counter or by phone: verifiers, officers and admins.
    "complaint.intake": lambda caps, _obj: _has_role(caps, "verifier", "officer", "admin"),
    # The leadership board (first response within 24 hours per OPD): complaint staff and the
    # province-wide readers (Setda, pimpinan).
    "complaint.board": lambda caps, _obj: _has_role(caps, "verifier", "admin", "officer", "approver",
                                                    "viewer"),
    # The managed vocabularies (beats) and the outlet register.
    "vocabulary.manage": lambda caps, _obj: _has_role(caps, "admin"),
}


def can(user: User | None, action: str, obj: object = None, *, at: datetime | None = None) -> bool:
    """Return whether ``user`` may do ``action`` (to ``obj``) at ``at`` (default now)."""
    try:
        rule = RULES[action]
    except KeyError:
        raise KeyError(f"unknown action {action!r}: add it to policy.RULES") from None
    return rule(capacities(user, at), obj)


def require(user: User | None, action: str, obj: object = None) -> None:
    """Raise ``Forbidden`` unless ``can(user, action, obj)``."""
    if not can(user, action, obj):
        raise Forbidden(action)


def visible_opd_ids(user: User | None) -> set[int] | None:
    """OPD ids the user may view; None means every OPD (province-wide roles)."""
    caps = capacities(user)
    if _has_role(caps, *PROVINCE_WIDE_ROLES):
        return None
    return {c.opd_id for c in caps}


def working_opd_ids(user: User | None) -> set[int]:
    """OPDs where the user writes or approves (as editor or approver, acting included)."""
    return {c.opd_id for c in capacities(user) if c.role in ("editor", "approver")}


def acting_as(user: User | None, opd: Opd | int | None = None, *, role: str | None = None) -> str:
    """Describe the capacity in which ``user`` acts (for audit rows and approvals).

    Prefers a direct membership in ``opd`` over an acting appointment; for province-wide
    work, the highest province-wide role.
    """
    caps = capacities(user)
    if opd is not None:
        opd_id = opd if isinstance(opd, int) else opd.id
        in_opd = [c for c in caps if c.opd_id == opd_id and (role is None or c.role == role)]
        in_opd.sort(key=lambda c: (c.acting is not None, -("staf", "kabid", "kepala").index(c.level)))
        if in_opd:
            return in_opd[0].display
    for wide in ("admin", "walidata", "viewer"):
        if _has_role(caps, wide):
            return wide
    return caps[0].display if caps else "system"


def requires_two_factor(user: User, at: datetime | None = None) -> bool:
    """Admins and approvers (including present and future acting officials) need TOTP."""
    at = at or clock.now()
    if any(m.ended_at is None and m.role in ("admin", "approver") for m in user.memberships):
        return True
    return any(a.revoked_at is None and a.ends_at > at for a in user.acting_appointments)
