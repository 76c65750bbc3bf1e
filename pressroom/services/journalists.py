"""The journalist directory's rules: one province-wide record per person, per-OPD links,
consent per channel, merges that fill blanks, search, and PDP access and erasure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal_column, or_, select, text
from sqlalchemy.orm import Session, selectinload

from pressroom import clock
from pressroom.i18n import _l
from pressroom.models import (
    AuditEntry,
    Beat,
    Consent,
    Journalist,
    JournalistBeat,
    JournalistEmail,
    JournalistOpd,
    JournalistPhone,
    JournalistRegion,
    Opd,
    Outlet,
    Region,
    User,
)
from pressroom.models.journalist import CHANNELS, CONSENT_STATES, OUTLET_TYPES, UKW_LEVELS
from pressroom.services import ValidationError, audit
from pressroom.services.contact_points import (
    ContactError,
    normalise_email,
    normalise_phone,
    sort_key,
)

ERASURE_REASONS = ("subject_request", "left_profession", "deceased", "duplicate", "other")
#: Fields a merge may fill when the existing record has them blank.
FILLABLE = ("full_name", "outlet_id", "position", "ukw_level", "press_card_issuer")


@dataclass
class JournalistData:
    """Validated, normalised input for one journalist."""

    full_name: str
    outlet_id: int | None = None
    position: str | None = None
    ukw_level: str | None = None
    press_card_issuer: str | None = None
    province_wide: bool = False
    region_codes: list[str] = field(default_factory=list)
    beat_ids: list[int] = field(default_factory=list)
    #: (address, is_shared)
    emails: list[tuple[str, bool]] = field(default_factory=list)
    #: (e164, kind)
    phones: list[tuple[str, str]] = field(default_factory=list)
    preferred_channels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ConsentInput:
    method: str
    basis: str


def _clean_text(value: str | None, limit: int) -> str | None:
    text = " ".join((value or "").split())
    return text[:limit] or None


def _normalise_each(raws, normalise, field: str, errors: dict[str, Any], *, key: str) -> list:
    """Normalise each non-blank contact point, once per ``key``; record the last error on ``field``."""
    found: dict[str, Any] = {}
    for raw in raws or []:
        if not (raw or "").strip():
            continue
        try:
            point = normalise(raw)
        except ContactError as exc:
            errors[field] = exc.message
            continue
        found.setdefault(getattr(point, key), point)
    return list(found.values())


def clean_input(
    session: Session,
    *,
    full_name: str,
    outlet_id: int | None = None,
    position: str | None = None,
    ukw_level: str | None = None,
    press_card_issuer: str | None = None,
    province_wide: bool = False,
    region_codes: list[str] | None = None,
    beat_ids: list[int] | None = None,
    emails: list[str] | None = None,
    phones: list[str] | None = None,
    preferred_channels: list[str] | None = None,
) -> JournalistData:
    """Validate and normalise raw values; raise ValidationError naming every bad field."""
    errors: dict[str, Any] = {}
    name = _clean_text(full_name, 200)
    if not name:
        errors["full_name"] = _l("The name is required.")
    if outlet_id is not None and session.get(Outlet, outlet_id) is None:
        errors["outlet_id"] = _l("Choose an outlet from the list.")
    if ukw_level and ukw_level not in UKW_LEVELS:
        errors["ukw_level"] = _l("Choose a UKW level from the list.")
    codes = sorted({c.strip() for c in region_codes or [] if c and c.strip()})
    if codes:
        known = set(session.scalars(select(Region.code).where(Region.code.in_(codes))))
        unknown = [c for c in codes if c not in known]
        if unknown:
            errors["region_codes"] = _l(
                "Unknown kabupaten/kota code(s): %(codes)s.", codes=", ".join(unknown)
            )
    beat_list = sorted(set(beat_ids or []))
    if beat_list:
        known_beats = set(session.scalars(select(Beat.id).where(Beat.id.in_(beat_list))))
        if set(beat_list) - known_beats:
            errors["beat_ids"] = _l("Choose beats from the list.")
    clean_emails = [(e.address, e.is_shared)
                    for e in _normalise_each(emails, normalise_email, "emails", errors, key="address")]
    clean_phones = [(p.e164, p.kind)
                    for p in _normalise_each(phones, normalise_phone, "phones", errors, key="e164")]
    channels: list[str] = []
    for channel in preferred_channels or []:
        if channel not in CHANNELS:
            errors["preferred_channels"] = _l("Unknown channel.")
        elif channel not in channels:
            channels.append(channel)
    if errors:
        raise ValidationError(errors)
    return JournalistData(
        full_name=name or "",
        outlet_id=outlet_id,
        position=_clean_text(position, 100),
        ukw_level=ukw_level or None,
        press_card_issuer=_clean_text(press_card_issuer, 100),
        province_wide=bool(province_wide),
        region_codes=codes,
        beat_ids=beat_list,
        emails=clean_emails,
        phones=clean_phones,
        preferred_channels=channels,
    )


# Duplicates ----------------------------------------------------------------------------
def find_duplicates(
    session: Session, data: JournalistData, exclude_id: int | None = None
) -> list[Journalist]:
    """People in the whole province sharing a personal (not desk) number or email."""
    emails = [e for e, shared in data.emails if not shared]
    phones = [p for p, _k in data.phones]
    conditions = []
    if emails:
        conditions.append(
            Journalist.id.in_(
                select(JournalistEmail.journalist_id).where(
                    JournalistEmail.address.in_(emails), JournalistEmail.is_shared.is_(False)
                )
            )
        )
    if phones:
        conditions.append(
            Journalist.id.in_(
                select(JournalistPhone.journalist_id).where(
                    JournalistPhone.e164.in_(phones), JournalistPhone.is_shared.is_(False)
                )
            )
        )
    if not conditions:
        return []
    query = select(Journalist).where(or_(*conditions), Journalist.status != "erased")
    if exclude_id is not None:
        query = query.where(Journalist.id != exclude_id)
    return list(session.scalars(query.order_by(Journalist.id)))


# Writing -------------------------------------------------------------------------------
def _apply_sets(
    journalist: Journalist, data: JournalistData, session: Session, *, replace: bool
) -> list[str]:
    changed: list[str] = []
    current_emails = {e.address for e in journalist.emails}
    wanted_emails = {e for e, _s in data.emails}
    if replace and current_emails != wanted_emails:
        journalist.emails = [e for e in journalist.emails if e.address in wanted_emails]
    for address, shared in data.emails:
        if address not in current_emails:
            journalist.emails.append(JournalistEmail(address=address, is_shared=shared))
    if (current_emails != wanted_emails) if replace else (wanted_emails - current_emails):
        changed.append("emails")
    current_phones = {p.e164 for p in journalist.phones}
    wanted_phones = {p for p, _k in data.phones}
    if replace and current_phones != wanted_phones:
        journalist.phones = [p for p in journalist.phones if p.e164 in wanted_phones]
    for e164, kind in data.phones:
        if e164 not in current_phones:
            journalist.phones.append(JournalistPhone(e164=e164, kind=kind))
    if (current_phones != wanted_phones) if replace else (wanted_phones - current_phones):
        changed.append("phones")
    beats = {b.id for b in journalist.beats}
    wanted_beats = set(data.beat_ids) if replace else beats | set(data.beat_ids)
    if wanted_beats != beats:
        journalist.beats = list(session.scalars(select(Beat).where(Beat.id.in_(wanted_beats))))
        changed.append("beats")
    regions = {r.code for r in journalist.regions}
    wanted_regions = set(data.region_codes) if replace else regions | set(data.region_codes)
    if wanted_regions != regions:
        journalist.regions = list(session.scalars(select(Region).where(Region.code.in_(wanted_regions))))
        changed.append("regions")
    channels = list(journalist.preferred_channels or [])
    wanted = (
        list(data.preferred_channels)
        if replace
        else channels + [c for c in data.preferred_channels if c not in channels]
    )
    if wanted != channels:
        journalist.preferred_channels = wanted
        changed.append("preferred_channels")
    return changed


def _ensure_consents(journalist: Journalist, consent: dict[str, ConsentInput] | None) -> list[str]:
    """Create missing consent rows; fill an *awaiting* one from a documented basis only."""
    changed = []
    now = clock.now()
    for channel in CHANNELS:
        row = journalist.consent_for(channel)
        given = (consent or {}).get(channel)
        if row is None:
            row = Consent(channel=channel, state="awaiting")
            journalist.consents.append(row)
            changed.append(f"consent.{channel}")
        if given and row.state == "awaiting":
            row.state, row.given_at = "given", now
            row.method, row.basis = given.method[:100], given.basis[:300]
            changed.append(f"consent.{channel}")
    return changed


def _link(session: Session, journalist: Journalist, opd: Opd) -> JournalistOpd:
    link = journalist.link_for(opd.id)
    if link is None:
        link = JournalistOpd(opd_id=opd.id, following=True, subscribed=True)
        journalist.links.append(link)
    return link


def create_journalist(
    session: Session,
    actor: User,
    opd: Opd,
    data: JournalistData,
    consent: dict[str, ConsentInput] | None = None,
) -> Journalist:
    """Add a person to the province's directory, followed by ``opd``."""
    journalist = Journalist(
        full_name=data.full_name,
        sort_name=sort_key(data.full_name),
        outlet_id=data.outlet_id,
        position=data.position,
        ukw_level=data.ukw_level,
        press_card_issuer=data.press_card_issuer,
        province_wide=data.province_wide,
        preferred_channels=[],
    )
    session.add(journalist)
    _apply_sets(journalist, data, session, replace=True)
    _ensure_consents(journalist, consent)
    _link(session, journalist, opd)
    session.flush()
    audit.record(
        session,
        actor,
        "journalist.created",
        journalist,
        opd_id=opd.id,
        fields=["full_name", "outlet", "emails", "phones", "beats", "regions", "consent"],
        details={"consent": sorted((consent or {}).keys())},
    )
    return journalist


def update_journalist(
    session: Session, actor: User, journalist: Journalist, data: JournalistData
) -> list[str]:
    _require_not_erased(journalist)
    changed = audit.changed_fields(
        journalist,
        {
            "full_name": data.full_name,
            "outlet_id": data.outlet_id,
            "position": data.position,
            "ukw_level": data.ukw_level,
            "press_card_issuer": data.press_card_issuer,
            "province_wide": data.province_wide,
        },
    )
    journalist.sort_name = sort_key(journalist.full_name or "")
    changed += _apply_sets(journalist, data, session, replace=True)
    if changed:
        journalist.updated_at = clock.now()
        audit.record(session, actor, "journalist.updated", journalist, fields=changed)
    return changed


def merge_into(
    session: Session,
    actor: User | None,
    journalist: Journalist,
    data: JournalistData,
    opd: Opd,
    consent: dict[str, ConsentInput] | None = None,
    *,
    source: str = "import",
) -> list[str]:
    """Merge incoming data into an existing person: fill blanks, union sets, never
    overwrite consent (only an *awaiting* channel can become given, from a basis)."""
    _require_not_erased(journalist)
    changed = []
    for name in FILLABLE:
        if getattr(journalist, name) in (None, "") and getattr(data, name) not in (None, ""):
            setattr(journalist, name, getattr(data, name))
            changed.append(name)
    if data.province_wide and not journalist.province_wide:
        journalist.province_wide = True
        changed.append("province_wide")
    journalist.sort_name = sort_key(journalist.full_name or "")
    changed += _apply_sets(journalist, data, session, replace=False)
    changed += _ensure_consents(journalist, consent)
    link = journalist.link_for(opd.id)
    if link is None or not link.following:
        _link(session, journalist, opd).following = True
        changed.append("following")
    if changed:
        journalist.updated_at = clock.now()
        audit.record(
            session,
            actor,
            "journalist.merged",
            journalist,
            opd_id=opd.id,
            fields=changed,
            details={"source": source},
        )
    return changed


def _require_not_erased(journalist: Journalist) -> None:
    if journalist.status == "erased":
        raise ValidationError.one("", _l("This record was erased and can no longer be changed."))


def follow(session: Session, actor: User, journalist: Journalist, opd: Opd) -> None:
    _require_not_erased(journalist)
    link = _link(session, journalist, opd)
    if not link.following or link.id is None:
        link.following = True
        session.flush()
        audit.record(session, actor, "journalist.followed", journalist, opd_id=opd.id, fields=["following"])


def unfollow(session: Session, actor: User, journalist: Journalist, opd: Opd) -> None:
    link = journalist.link_for(opd.id)
    if link is not None and link.following:
        link.following = False
        link.subscribed = False
        audit.record(
            session,
            actor,
            "journalist.unfollowed",
            journalist,
            opd_id=opd.id,
            fields=["following", "subscribed"],
        )


def set_notes(session: Session, actor: User, journalist: Journalist, opd: Opd, notes: str) -> None:
    _require_not_erased(journalist)
    text = (notes or "").strip()[:4000] or None
    link = journalist.link_for(opd.id)
    if link is None:
        link = _link(session, journalist, opd)
        link.following = False
        link.subscribed = False
    if link.notes != text:
        link.notes = text
        audit.record(session, actor, "journalist.notes_changed", journalist, opd_id=opd.id, fields=["notes"])


def record_consent(
    session: Session, actor: User, journalist: Journalist, channel: str, *, method: str, basis: str
) -> None:
    _require_not_erased(journalist)
    if channel not in CHANNELS:
        raise ValidationError.one("channel", _l("Unknown channel."))
    method_text, basis_text = _clean_text(method, 100), _clean_text(basis, 300)
    if not method_text or not basis_text:
        raise ValidationError.one("basis", _l("Say how consent was given and on what basis."))
    _ensure_consents(journalist, None)
    row = journalist.consent_for(channel)
    row.state, row.given_at, row.method, row.basis = "given", clock.now(), method_text, basis_text
    row.withdrawn_at = row.withdrawn_how = None
    audit.record(
        session,
        actor,
        "consent.given",
        journalist,
        fields=[f"consent.{channel}"],
        details={"channel": channel},
    )


def withdraw_consent(
    session: Session, actor: User | None, journalist: Journalist, channel: str, *, how: str
) -> None:
    if channel not in CHANNELS:
        raise ValidationError.one("channel", _l("Unknown channel."))
    _ensure_consents(journalist, None)
    row = journalist.consent_for(channel)
    if row.state == "withdrawn":
        return
    row.state, row.withdrawn_at, row.withdrawn_how = "withdrawn", clock.now(), _clean_text(how, 100)
    audit.record(
        session,
        actor,
        "consent.withdrawn",
        journalist,
        fields=[f"consent.{channel}"],
        details={"channel": channel},
    )


def archive(session: Session, actor: User, journalist: Journalist) -> None:
    _require_not_erased(journalist)
    if journalist.status == "active":
        journalist.status, journalist.archived_at = "archived", clock.now()
        audit.record(session, actor, "journalist.archived", journalist, fields=["status"])


def restore(session: Session, actor: User, journalist: Journalist) -> None:
    if journalist.status == "archived":
        journalist.status, journalist.archived_at = "active", None
        audit.record(session, actor, "journalist.restored", journalist, fields=["status"])


# Search ----------------------------------------------------------------------------------
@dataclass
class Filters:
    q: str = ""
    opd_id: int | None = None
    beat_id: int | None = None
    region_code: str | None = None
    outlet_type: str | None = None
    channel: str | None = None
    consent: str | None = None
    status: str = "active"
    sort: str = "name"


SORTS = ("name", "outlet", "recent")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_query(session: Session, filters: Filters) -> Select:
    """The directory list for ``filters`` (no pagination, no eager loading).

    Filters on linked tables are written as ``id IN (SELECT journalist_id …)`` so that the
    most selective one can drive the query through its index; the outlets matching a name
    search are resolved first (a few hundred rows) instead of OR-ing a sub-select, which
    would force a scan of every journalist.
    """
    status = filters.status if filters.status in ("active", "archived") else "active"
    query = select(Journalist)
    status_condition = Journalist.status == status
    selective = False
    if filters.q:
        needle = sort_key(filters.q)
        like = f"%{_escape_like(needle)}%"
        by_name = Journalist.sort_name.like(like, escape="\\")
        outlet_ids = list(
            session.scalars(select(Outlet.id).where(func.lower(Outlet.name).like(like, escape="\\")))
        )
        matches = or_(by_name, Journalist.outlet_id.in_(outlet_ids)) if outlet_ids else by_name
        plain = not any(ch in needle for ch in "%_\\")
        if session.get_bind().dialect.name == "sqlite" and len(needle) >= 3 and plain:
            # The FTS5 trigram index (migration 0004) finds the names and drives the query.
            # (FTS5 answers LIKE from its index only without an ESCAPE clause.)
            named = (
                select(literal_column("rowid"))
                .select_from(text("journalist_name_fts"))
                .where(literal_column("sort_name").like(f"%{needle}%"))
            )
            if outlet_ids:
                named = named.union(select(Journalist.id).where(Journalist.outlet_id.in_(outlet_ids)))
            query = query.where(Journalist.id.in_(named))
        query = query.where(matches)
        selective = len(needle) >= 3
        if selective:
            # "status || ''" keeps both planners from walking the (status, sort_name) index
            # through every journalist instead of starting from the name index's matches.
            status_condition = (Journalist.status + "") == status

    query = query.where(status_condition)

    def linked(column, condition):
        # Few candidates (a name search): check each one by its key. Otherwise let the
        # linked table's index produce the candidates.
        if selective:
            return exists().where(column == Journalist.id, condition)
        return Journalist.id.in_(select(column).where(condition))

    if filters.opd_id:
        query = query.where(linked(JournalistOpd.journalist_id, and_(
            JournalistOpd.opd_id == filters.opd_id, JournalistOpd.following.is_(True))))
    if filters.beat_id:
        query = query.where(linked(JournalistBeat.journalist_id, JournalistBeat.beat_id == filters.beat_id))
    if filters.region_code:
        query = query.where(or_(
            Journalist.province_wide.is_(True),
            linked(JournalistRegion.journalist_id, JournalistRegion.region_code == filters.region_code)))
    if filters.outlet_type in OUTLET_TYPES:
        query = query.where(
            Journalist.outlet_id.in_(
                list(session.scalars(select(Outlet.id).where(Outlet.type == filters.outlet_type))) or [0]
            )
        )
    if filters.channel == "email":
        query = query.where(exists().where(JournalistEmail.journalist_id == Journalist.id))
    elif filters.channel == "whatsapp":
        query = query.where(
            exists().where(JournalistPhone.journalist_id == Journalist.id, JournalistPhone.kind == "mobile")
        )
    if filters.consent in CONSENT_STATES:
        condition = [Consent.state == filters.consent]
        if filters.channel in CHANNELS:
            condition.append(Consent.channel == filters.channel)
        query = query.where(Journalist.id.in_(select(Consent.journalist_id).where(*condition)))
    if filters.sort == "outlet":
        query = query.outerjoin(Outlet, Outlet.id == Journalist.outlet_id).order_by(
            Outlet.name, Journalist.sort_name, Journalist.id
        )
    elif filters.sort == "recent":
        query = query.order_by(Journalist.updated_at.desc(), Journalist.id.desc())
    else:
        query = query.order_by(Journalist.sort_name, Journalist.id)
    return query


@dataclass
class ListRow:
    """What one line of the directory list shows (read with plain SQL, not ORM objects)."""

    id: int
    full_name: str
    position: str | None
    outlet_id: int | None
    beats: list[str] = field(default_factory=list)
    #: channel -> consent state, for channels the person can be reached on.
    reach: dict[str, str] = field(default_factory=dict)
    followed_by_mine: bool = False


def search_page(session: Session, filters: Filters, page: int, per_page: int = 50,
                my_opd_ids: set[int] | frozenset[int] = frozenset()) -> tuple[list[ListRow], int]:
    """One page of the directory and the total, in one pass over the matches (a window
    count), then a handful of small look-ups for the page's 50 people."""
    query = search_query(session, filters).with_only_columns(
        Journalist.id, Journalist.full_name, Journalist.position, Journalist.outlet_id,
        func.count().over().label("total"))
    found = session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    if not found:
        if page > 1:  # past the end: still say how many there are
            total = session.scalar(select(func.count()).select_from(
                search_query(session, filters).order_by(None).subquery())) or 0
            return [], int(total)
        return [], 0
    rows = {r.id: ListRow(r.id, r.full_name or "", r.position, r.outlet_id) for r in found}
    ids = list(rows)
    for journalist_id, name in session.execute(
            select(JournalistBeat.journalist_id, Beat.name).join(Beat, Beat.id == JournalistBeat.beat_id)
            .where(JournalistBeat.journalist_id.in_(ids)).order_by(Beat.name)):
        rows[journalist_id].beats.append(name)
    emails = set(session.scalars(select(JournalistEmail.journalist_id).where(
        JournalistEmail.journalist_id.in_(ids))))
    mobiles = set(session.scalars(select(JournalistPhone.journalist_id).where(
        JournalistPhone.journalist_id.in_(ids), JournalistPhone.kind == "mobile")))
    for journalist_id, channel, state in session.execute(
            select(Consent.journalist_id, Consent.channel, Consent.state)
            .where(Consent.journalist_id.in_(ids)).order_by(Consent.channel)):
        if journalist_id in (emails if channel == "email" else mobiles):
            rows[journalist_id].reach[channel] = state
    if my_opd_ids:
        for journalist_id in session.scalars(select(JournalistOpd.journalist_id).where(
                JournalistOpd.journalist_id.in_(ids), JournalistOpd.opd_id.in_(list(my_opd_ids)),
                JournalistOpd.following.is_(True))):
            rows[journalist_id].followed_by_mine = True
    return [rows[r.id] for r in found], int(found[0].total)


def with_list_details(query: Select) -> Select:
    """Eager-load what a list row shows."""
    return query.options(
        selectinload(Journalist.emails),
        selectinload(Journalist.phones),
        selectinload(Journalist.beats),
        selectinload(Journalist.consents),
        selectinload(Journalist.links),
    )


# Personal data (UU 27/2022 PDP) --------------------------------------------------------------
def subject_access_export(session: Session, journalist: Journalist) -> dict[str, Any]:
    """Everything Pressroom holds about one journalist, for an access request."""

    def ts(value):
        return value.isoformat() if value else None

    events = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "journalist", AuditEntry.object_id == str(journalist.id))
        .order_by(AuditEntry.id)
    )
    return {
        "generated_at": ts(clock.now()),
        "controller": "Pemerintah Provinsi Jawa Tengah",
        "journalist": {
            "id": journalist.id,
            "full_name": journalist.full_name,
            "position": journalist.position,
            "outlet": journalist.outlet.name if journalist.outlet else None,
            "ukw_level": journalist.ukw_level,
            "press_card_issuer": journalist.press_card_issuer,
            "province_wide": journalist.province_wide,
            "coverage_regions": [{"code": r.code, "name": r.name} for r in journalist.regions],
            "beats": [b.name for b in journalist.beats],
            "emails": [{"address": e.address, "shared_desk_address": e.is_shared} for e in journalist.emails],
            "phones": [
                {
                    "number": p.e164,
                    "kind": p.kind,
                    "whatsapp_capable": p.whatsapp_capable,
                    "shared_desk_number": p.is_shared,
                }
                for p in journalist.phones
            ],
            "preferred_channels": list(journalist.preferred_channels or []),
            "status": journalist.status,
            "created_at": ts(journalist.created_at),
            "updated_at": ts(journalist.updated_at),
        },
        "consent": [
            {
                "channel": c.channel,
                "state": c.state,
                "given_at": ts(c.given_at),
                "method": c.method,
                "basis": c.basis,
                "withdrawn_at": ts(c.withdrawn_at),
                "withdrawn_how": c.withdrawn_how,
            }
            for c in journalist.consents
        ],
        "opd_relations": [
            {
                "opd": link.opd.name,
                "following": link.following,
                "subscribed": link.subscribed,
                "notes": link.notes,
            }
            for link in journalist.links
        ],
        "processing_history": [{"at": ts(e.at), "action": e.action, "fields": e.fields} for e in events],
    }


def erase(
    session: Session, admin: User, journalist: Journalist, *, reason: str, reference: str | None = None
) -> None:
    """Remove every personal value; keep an anonymous stub so the audit trail stays whole."""
    if reason not in ERASURE_REASONS:
        raise ValidationError.one("reason", _l("Choose a reason from the list."))
    if journalist.status == "erased":
        return
    for name in ("full_name", "position", "press_card_issuer", "ukw_level", "outlet_id"):
        setattr(journalist, name, None)
    journalist.sort_name = ""
    journalist.province_wide = False
    journalist.preferred_channels = []
    journalist.emails.clear()
    journalist.phones.clear()
    journalist.beats = []
    journalist.regions = []
    journalist.links.clear()
    journalist.consents.clear()
    journalist.status, journalist.erased_at = "erased", clock.now()
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        # Merge the name index's segments so no deleted term survives in an old one.
        session.execute(text("INSERT INTO journalist_name_fts(journalist_name_fts) VALUES ('optimize')"))
    audit.record(
        session,
        admin,
        "journalist.erased",
        journalist,
        fields=[
            "full_name",
            "position",
            "press_card_issuer",
            "ukw_level",
            "outlet",
            "emails",
            "phones",
            "beats",
            "regions",
            "opd_links",
            "notes",
            "consent",
        ],
        details={"reason": reason, "reference": _clean_text(reference, 60)},
    )
