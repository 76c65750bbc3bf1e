"""Saved audience lists: an OPD's named lists of journalists ("Media peliput pertanian")
that a press alert can be sent to.

Only active journalists count: an archived or erased one stays on the list (so that the
list shows what happened to them) but is never counted and never receives anything
through it (``member_ids_query``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pressroom.i18n import _l
from pressroom.models import AudienceList, AudienceListMember, Journalist, Opd, Outlet, PressRelease, User
from pressroom.services import ValidationError, audit

NAME_MAX = 120


def _clean_name(session: Session, opd_id: int, name: str | None, list_id: int | None = None) -> str:
    clean = " ".join((name or "").split())
    if not clean:
        raise ValidationError.one("name", _l("Give the list a name."))
    if len(clean) > NAME_MAX:
        raise ValidationError.one("name", _l("At most %(max)s characters.", max=NAME_MAX))
    taken = session.scalar(select(AudienceList.id).where(
        AudienceList.opd_id == opd_id, func.lower(AudienceList.name) == clean.lower(),
        AudienceList.id != (list_id or 0)))
    if taken:
        raise ValidationError.one("name", _l("Your OPD already has a list called “%(name)s”.", name=clean))
    return clean


def _save_unique(session: Session, name: str, change: Callable[[], None]) -> None:
    """Make ``change`` and flush it inside a savepoint: a list of the same name saved at the
    same moment by someone else is then the person's error, not a 500. (The savepoint is
    begun first: beginning one flushes what is pending.)"""
    try:
        with session.begin_nested():
            change()
            session.flush()
    except IntegrityError:
        raise ValidationError.one(
            "name", _l("Your OPD already has a list called “%(name)s”.", name=name)) from None


def create_list(session: Session, actor: User, opd: Opd, name: str) -> AudienceList:
    clean = _clean_name(session, opd.id, name)
    audience = AudienceList(opd_id=opd.id, name=clean, created_by_id=actor.id)
    _save_unique(session, clean, lambda: session.add(audience))
    audit.record(session, actor, "audience_list.created", audience, fields=["name"])
    return audience


def rename_list(session: Session, actor: User, audience: AudienceList, name: str) -> bool:
    clean = _clean_name(session, audience.opd_id, name, audience.id)
    if clean == audience.name:
        return False

    def rename() -> None:
        audience.name = clean

    _save_unique(session, clean, rename)
    audit.record(session, actor, "audience_list.renamed", audience, fields=["name"])
    return True


def releases_using(session: Session, audience: AudienceList) -> int:
    """How many of the OPD's releases not yet frozen (drafts, submitted, held) send to this list."""
    return session.scalar(select(func.count()).select_from(PressRelease).where(
        PressRelease.opd_id == audience.opd_id, PressRelease.frozen_at.is_(None),
        PressRelease.state != "withdrawn",
        PressRelease.audience["list_id"].as_integer() == audience.id)) or 0


def delete_list(session: Session, actor: User, audience: AudienceList) -> None:
    """Delete a list that no unsent release depends on (sent ones froze their recipients)."""
    using = releases_using(session, audience)
    if using:
        raise ValidationError.one("", _l(
            "%(count)s release(s) not yet sent use this list as their audience; choose another audience "
            "there first.", count=using))
    audit.record(session, actor, "audience_list.deleted", audience, fields=["name"])
    session.execute(delete(AudienceListMember).where(AudienceListMember.list_id == audience.id))
    session.delete(audience)
    session.flush()


def add_members(session: Session, actor: User, audience: AudienceList, journalist_ids: list[int]) -> int:
    """Add active journalists to the list; return how many were new. Others are skipped."""
    wanted = sorted({int(i) for i in journalist_ids})
    if not wanted:
        return 0
    active = set(session.scalars(select(Journalist.id).where(
        Journalist.id.in_(wanted), Journalist.status == "active")))
    present = set(session.scalars(select(AudienceListMember.journalist_id).where(
        AudienceListMember.list_id == audience.id, AudienceListMember.journalist_id.in_(wanted))))
    new = [i for i in wanted if i in active and i not in present]
    if new:
        session.execute(insert(AudienceListMember),
                        [{"list_id": audience.id, "journalist_id": i} for i in new])
        audit.record(session, actor, "audience_list.members_added", audience,
                     details={"journalist_ids": new})
        session.flush()
    return len(new)


def remove_members(session: Session, actor: User, audience: AudienceList, journalist_ids: list[int]) -> int:
    wanted = sorted({int(i) for i in journalist_ids})
    if not wanted:
        return 0
    removed = list(session.scalars(select(AudienceListMember.journalist_id).where(
        AudienceListMember.list_id == audience.id, AudienceListMember.journalist_id.in_(wanted))))
    if removed:
        session.execute(delete(AudienceListMember).where(
            AudienceListMember.list_id == audience.id, AudienceListMember.journalist_id.in_(removed)))
        audit.record(session, actor, "audience_list.members_removed", audience,
                     details={"journalist_ids": sorted(removed)})
        session.flush()
    return len(removed)


# Reading -------------------------------------------------------------------------------------
def member_ids_query(list_id: int) -> Select:
    """The ids of the list's active journalists, for use as a sub-query
    (``Journalist.id.in_(member_ids_query(list_id))``)."""
    return (select(AudienceListMember.journalist_id)
            .join(Journalist, Journalist.id == AudienceListMember.journalist_id)
            .where(AudienceListMember.list_id == list_id, Journalist.status == "active"))


def _counts(session: Session, list_ids: list[int]) -> dict[int, int]:
    if not list_ids:
        return {}
    return dict(session.execute(
        select(AudienceListMember.list_id, func.count())
        .join(Journalist, Journalist.id == AudienceListMember.journalist_id)
        .where(AudienceListMember.list_id.in_(list_ids), Journalist.status == "active")
        .group_by(AudienceListMember.list_id)).all())


def list_choices(session: Session, opd_id: int) -> list[tuple[int, str, int]]:
    """The OPD's lists as (id, name, active member count), by name — for the composer."""
    lists = session.execute(select(AudienceList.id, AudienceList.name)
                            .where(AudienceList.opd_id == opd_id).order_by(AudienceList.name)).all()
    counts = _counts(session, [row.id for row in lists])
    return [(row.id, row.name, counts.get(row.id, 0)) for row in lists]


@dataclass(frozen=True)
class ListSummary:
    id: int
    opd_id: int
    name: str
    count: int


def lists_of(session: Session, opd_ids: set[int] | list[int]) -> list[ListSummary]:
    """The lists of these OPDs with their active member counts, by OPD and name."""
    if not opd_ids:
        return []
    lists = session.execute(select(AudienceList.id, AudienceList.opd_id, AudienceList.name)
                            .where(AudienceList.opd_id.in_(list(opd_ids)))
                            .order_by(AudienceList.opd_id, AudienceList.name)).all()
    counts = _counts(session, [row.id for row in lists])
    return [ListSummary(row.id, row.opd_id, row.name, counts.get(row.id, 0)) for row in lists]


@dataclass(frozen=True)
class Member:
    journalist_id: int
    #: None once erased.
    full_name: str | None
    outlet: str | None
    status: str

    @property
    def counts(self) -> bool:
        return self.status == "active"


def members(session: Session, audience: AudienceList) -> list[Member]:
    """Everyone on the list, active ones first (by name), then archived and erased ones."""
    rows = session.execute(
        select(Journalist.id, Journalist.full_name, Journalist.status, Journalist.sort_name, Outlet.name)
        .join(AudienceListMember, AudienceListMember.journalist_id == Journalist.id)
        .outerjoin(Outlet, Outlet.id == Journalist.outlet_id)
        .where(AudienceListMember.list_id == audience.id)).all()
    order = {"active": 0, "archived": 1, "erased": 2}
    rows = sorted(rows, key=lambda r: (order.get(r.status, 3), r.sort_name or "", r.id))
    return [Member(r.id, r.full_name, r[4], r.status) for r in rows]
