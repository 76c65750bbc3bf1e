"""The one approval mechanism: submit → the OPD's chain (one step, or Kabid then Kepala) →
approve or reject with a comment. Acting officials decide in the head's place during their
appointment; nobody decides on what they wrote or submitted; the decision stores a hash of
exactly what was approved, and any edit clears it. Every step is audited and notifies the
next approver (in-app and by email through the outbox).

A subject (a post now; press releases, dataset publications and schema changes later) has
``id``, ``opd_id``, ``author_id``, ``state``, ``approval_step``, ``submitted_at``,
``approved_at``, ``approval_hash``, ``state_reason`` and ``approval_content()``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.i18n import _l
from pressroom.models import ActingAppointment, ApprovalDecision, Membership, Opd, User
from pressroom.services import ValidationError, audit, notifications
from pressroom.services.policy import Capacity, can, capacities


class Approvable(Protocol):
    id: int
    opd_id: int
    author_id: int
    state: str
    approval_step: int
    submitted_at: datetime | None
    approved_at: datetime | None
    approval_hash: str | None
    state_reason: str | None

    def approval_content(self) -> dict[str, Any]: ...


def content_hash(subject: Approvable) -> str:
    """SHA-256 over a canonical JSON of exactly what a person approves."""
    canonical = json.dumps(subject.approval_content(), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _levels_for_step(steps: int, step: int) -> tuple[str, ...]:
    # A two-step chain: a Kabid (or the head) first, then the Kepala. One step: the Kepala.
    return ("kabid", "kepala") if steps == 2 and step == 1 else ("kepala",)


def deciding_capacity(user: User, opd_id: int, steps: int, step: int,
                      at: datetime | None = None) -> Capacity | None:
    """The capacity in which ``user`` may decide ``step`` for the OPD (prefer direct over acting)."""
    levels = _levels_for_step(steps, step)
    fitting = [c for c in capacities(user, at) if c.opd_id == opd_id and c.role == "approver"
               and c.level in levels]
    fitting.sort(key=lambda c: c.acting is not None)
    return fitting[0] if fitting else None


def describe(capacity: Capacity) -> str:
    """How a decision is signed, e.g. "Plh. Kepala Dinas Kesehatan (SK 800/45/2026)"."""
    if capacity.acting:
        return f"{capacity.acting.display_title} (SK {capacity.acting.sk_number})"
    return capacity.title


def approvers_for(session: Session, opd_id: int, steps: int, step: int) -> list[User]:
    """Everyone who can decide ``step`` now: direct approvers and acting officials."""
    levels = _levels_for_step(steps, step)
    now = clock.now()
    direct = select(Membership.user_id).where(
        Membership.opd_id == opd_id, Membership.role == "approver", Membership.level.in_(levels),
        Membership.ended_at.is_(None))
    acting = select(ActingAppointment.user_id).where(
        ActingAppointment.opd_id == opd_id, ActingAppointment.level.in_(levels),
        ActingAppointment.revoked_at.is_(None), ActingAppointment.starts_at <= now,
        ActingAppointment.ends_at > now)
    return list(session.scalars(select(User).where(
        User.is_active.is_(True), User.id.in_(direct.union(acting))).order_by(User.id)))


def _author(session: Session, subject: Approvable) -> User | None:
    """Who wrote it (None for what a machine made: an API push, a polled source)."""
    return session.get(User, subject.author_id) if subject.author_id is not None else None


def _decisions(session: Session, subject_type: str, subject_id: int) -> list[ApprovalDecision]:
    return list(session.scalars(select(ApprovalDecision).where(
        ApprovalDecision.subject_type == subject_type, ApprovalDecision.subject_id == subject_id,
        ApprovalDecision.cleared_at.is_(None)).order_by(ApprovalDecision.id)))


def submit(session: Session, user: User, subject: Approvable, subject_type: str, *, link: str,
           title: str) -> None:
    if subject.state not in ("draft", "rejected", "held", "withdrawn"):
        raise ValidationError.one("", _l("Only a draft can be submitted."))
    opd = session.get(Opd, subject.opd_id)
    subject.state, subject.approval_step, subject.submitted_at = "submitted", 1, clock.now()
    subject.state_reason = None
    audit.record(session, user, f"{subject_type}.submitted", subject, opd_id=subject.opd_id,
                 fields=["state"])
    notifications.notify(session, approvers_for(session, subject.opd_id, opd.approval_steps, 1),
                         _l("Waiting for your approval: %(title)s", title=title), link)


def check_can_decide(session: Session, user: User, subject: Approvable, subject_type: str, *,
                     stewards: tuple[str, ...] = ()) -> Capacity:
    """Return the capacity to decide the current step, or raise ValidationError saying why not.

    ``stewards`` are province-wide roles that may decide any step besides the OPD's chain
    (a walidata for making a dataset public)."""
    if subject.state != "submitted":
        raise ValidationError.one("", _l("This is not waiting for approval."))
    steward = next((c for c in capacities(user) if c.role in stewards), None)
    if steward is None and not can(user, "opd.approve", subject.opd_id):
        raise ValidationError.one("", _l("You are not an approver of this OPD."))
    if user.id == subject.author_id:
        raise ValidationError.one("", _l("Nobody approves their own work: another approver must decide."))
    opd = session.get(Opd, subject.opd_id)
    capacity = deciding_capacity(user, subject.opd_id, opd.approval_steps, subject.approval_step) or steward
    if capacity is None:
        raise ValidationError.one("", _l("This step needs the head of the OPD (or their Plt./Plh.)."))
    earlier = [d for d in _decisions(session, subject_type, subject.id) if d.decision == "approved"]
    if any(d.decided_by_id == user.id for d in earlier):
        raise ValidationError.one("", _l("You approved the earlier step; the next step needs someone else."))
    return capacity


def approve(session: Session, user: User, subject: Approvable, subject_type: str, *, comment: str = "",
            link: str, title: str, stewards: tuple[str, ...] = ()) -> bool:
    """Record an approval of the current step; return True when the chain is complete."""
    capacity = check_can_decide(session, user, subject, subject_type, stewards=stewards)
    opd = session.get(Opd, subject.opd_id)
    digest = content_hash(subject)
    session.add(ApprovalDecision(
        subject_type=subject_type, subject_id=subject.id, opd_id=subject.opd_id,
        step=subject.approval_step, decision="approved", decided_by_id=user.id,
        acting_as=describe(capacity), comment=(comment or "").strip()[:2000] or None, content_hash=digest))
    final = subject.approval_step >= opd.approval_steps
    if final:
        subject.state, subject.approved_at, subject.approval_hash = "approved", clock.now(), digest
    else:
        subject.approval_step += 1
        notifications.notify(session, approvers_for(session, subject.opd_id, opd.approval_steps,
                                                    subject.approval_step),
                             _l("Waiting for your approval (step %(step)s): %(title)s",
                                step=subject.approval_step, title=title), link)
    audit.record(session, user, f"{subject_type}.approved", subject, opd_id=subject.opd_id,
                 fields=["state"], acting_as=describe(capacity),
                 details={"step": subject.approval_step, "final": final})
    notifications.notify(session, [_author(session, subject)],
                         _l("Approved by %(who)s: %(title)s", who=describe(capacity), title=title)
                         if final else _l("Step approved by %(who)s: %(title)s", who=describe(capacity),
                                          title=title), link, email=final)
    return final


def reject(session: Session, user: User, subject: Approvable, subject_type: str, *, comment: str,
           link: str, title: str, stewards: tuple[str, ...] = ()) -> None:
    capacity = check_can_decide(session, user, subject, subject_type, stewards=stewards)
    text = (comment or "").strip()
    if not text:
        raise ValidationError.one("comment", _l("Say why, so the author can fix it."))
    session.add(ApprovalDecision(
        subject_type=subject_type, subject_id=subject.id, opd_id=subject.opd_id,
        step=subject.approval_step, decision="rejected", decided_by_id=user.id,
        acting_as=describe(capacity), comment=text[:2000], content_hash=content_hash(subject)))
    subject.state, subject.approval_step, subject.state_reason = "rejected", 0, text[:300]
    audit.record(session, user, f"{subject_type}.rejected", subject, opd_id=subject.opd_id,
                 fields=["state"], acting_as=describe(capacity))
    notifications.notify(session, [_author(session, subject)],
                         _l("Returned by %(who)s: %(title)s", who=describe(capacity), title=title), link)


def clear(session: Session, subject: Approvable, subject_type: str, *, to_state: str = "draft",
          reason: str | None = None) -> bool:
    """Clear every decision (after an edit, a hold …). Return True if anything was cleared."""
    had = bool(subject.approval_hash) or subject.state in ("submitted", "approved")
    session.execute(update(ApprovalDecision).where(
        ApprovalDecision.subject_type == subject_type, ApprovalDecision.subject_id == subject.id,
        ApprovalDecision.cleared_at.is_(None)).values(cleared_at=clock.now()))
    subject.approval_hash, subject.approved_at, subject.approval_step = None, None, 0
    subject.state, subject.state_reason = to_state, reason
    return had


def still_approved(subject: Approvable) -> bool:
    """True when the subject is approved and unchanged since (the hash still matches)."""
    return subject.state == "approved" and subject.approval_hash == content_hash(subject)


def decisions(session: Session, subject_type: str, subject_id: int) -> list[ApprovalDecision]:
    """Every decision, cleared ones included, oldest first (for the activity trail)."""
    return list(session.scalars(select(ApprovalDecision).where(
        ApprovalDecision.subject_type == subject_type, ApprovalDecision.subject_id == subject_id)
        .order_by(ApprovalDecision.id)))
