"""The data centre's rules: the catalogue, updates becoming immutable versions, held schema
changes, corrections, the personal-data check, publication through the one approval
mechanism, and the post drafted from a version's images.

Every update — an upload, an API push, a polled source — ends in ``ingest``: validated
against the dataset's schema; refused whole with errors by row and column; nothing new when
the content is the same; held for approval when its columns differ. Parsing files and
sources lives in ``pressroom.datasets`` (DB-free); this module decides what the database
keeps. Functions flush, never commit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.datasets import diff as diffs
from pressroom.datasets import privacy, tables
from pressroom.datasets.schema import (
    BUILTIN_SCHEMAS,
    ColumnSpec,
    RowError,
    Schema,
    convert,
    infer_schema,
    schema_changed,
    validate,
)
from pressroom.i18n import _l
from pressroom.models import ApiToken, Dataset, DatasetVersion, Opd, User
from pressroom.services import ValidationError, approvals, audit, notifications
from pressroom.services.policy import Forbidden, can

#: Province-wide roles that may make any OPD's dataset public besides the OPD's approvers.
STEWARDS = ("walidata",)
#: Resolutions of a personal-data flag: not personal after all, or hidden from every public view.
RESOLUTIONS = ("not_personal", "hidden")
TEMPLATES = ("ranked_bar", "line", "column", "big_number", "progress", "table")


class UpdateRefused(Exception):
    """An update that cannot become a version; ``errors`` say where, by row and column."""

    def __init__(self, errors: Sequence[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the update")
        self.errors = list(errors)


@dataclass
class IngestResult:
    #: created (now current), unchanged (same content: nothing new), held (columns differ:
    #: waits for approval; or new personal data in a public dataset)
    status: str
    version: DatasetVersion | None = None
    changes: list[Any] = field(default_factory=list)
    flags: list[privacy.PersonalDataFlag] = field(default_factory=list)


# The catalogue --------------------------------------------------------------------------------
def schema_of(subject: Dataset | DatasetVersion, key: str | None = None) -> Schema:
    if isinstance(subject, Dataset):
        key = subject.key_column
    else:
        key = key or subject.dataset.key_column
    columns = subject.schema or []
    known = {c.get("name") for c in columns}
    return Schema.from_dict({"key": key if key in known else None, "columns": columns})


def slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:80] or "data"


def _unique_slug(session: Session, title: str) -> str:
    base = slugify(title)
    slug, n = base, 1
    while session.scalar(select(Dataset.id).where(Dataset.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _require(user: User | None, action: str, obj: object) -> None:
    if user is not None and not can(user, action, obj):
        raise Forbidden(action)


META_FIELDS = ("title", "description", "topic", "unit", "source_line", "processed_by", "period", "licence",
               "update_frequency", "provisional", "draft_post_on_update")


def create_dataset(session: Session, user: User, *, opd_id: int, title: str, key_column: str,
                   schema: Schema | None = None, kind: str = "table", chart: Mapping[str, Any] | None = None,
                   **meta: Any) -> Dataset:
    """A new, internal dataset. Its schema comes from the first update when not given."""
    _require(user, "dataset.edit", opd_id)
    clean_title = " ".join((title or "").split())[:200]
    if not clean_title:
        raise ValidationError.one("title", _l("The title is required."))
    if kind == "progres":
        schema = BUILTIN_SCHEMAS["progres_pembangunan"]
        key_column = schema.key or "proyek"
    if not (key_column or "").strip():
        raise ValidationError.one("key_column",
                                  _l("Say which column identifies a row (e.g. the region code)."))
    dataset = Dataset(opd_id=opd_id, slug=_unique_slug(session, clean_title), kind=kind, title=clean_title,
                      key_column=key_column.strip(), schema=schema.to_dict()["columns"] if schema else [],
                      chart=dict(chart or _default_chart(kind)), author_id=user.id)
    for name in META_FIELDS:
        if name in meta and name != "title":
            setattr(dataset, name, meta[name])
    session.add(dataset)
    session.flush()
    audit.record(session, user, "dataset.created", dataset, fields=["title", "schema", "key_column"])
    return dataset


def _default_chart(kind: str) -> dict[str, Any]:
    if kind == "progres":
        return {"template": "progress", "label": "proyek", "value": "realisasi_fisik", "target": "target"}
    return {"template": "ranked_bar"}


def update_dataset(session: Session, user: User, dataset: Dataset, **values: Any) -> list[str]:
    """Edit the catalogue entry (not the schema: that changes only through a held version)."""
    _require(user, "dataset.edit", dataset)
    changed = []
    for name in META_FIELDS:
        if name in values and getattr(dataset, name) != values[name]:
            setattr(dataset, name, values[name])
            changed.append(name)
    if "chart" in values and values["chart"] != dataset.chart:
        chart = dict(values["chart"])
        if chart.get("template") not in TEMPLATES:
            raise ValidationError.one("template", _l("Choose a chart template from the list."))
        dataset.chart = chart
        changed.append("chart")
    if not dataset.title.strip():
        raise ValidationError.one("title", _l("The title is required."))
    if changed:
        audit.record(session, user, "dataset.updated", dataset, fields=changed)
        if "chart" in changed and dataset.current_version_id:
            # The images follow the new design: the worker renders them again.
            version = session.get(DatasetVersion, dataset.current_version_id)
            version.render_status, version.render_due_at = "due", clock.now()
    return changed


def current_version(session: Session, dataset: Dataset) -> DatasetVersion | None:
    return session.get(DatasetVersion, dataset.current_version_id) if dataset.current_version_id else None


def versions(session: Session, dataset: Dataset) -> list[DatasetVersion]:
    return list(session.scalars(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)
                                .order_by(DatasetVersion.number.desc())))


# Updates ---------------------------------------------------------------------------------------
def ingest(session: Session, dataset: Dataset, records: Sequence[Mapping[str, Any]], *, origin: str,
           author: User | None, row_numbers: Sequence[int] | None = None,
           number_formats: Mapping[str, str] | None = None, correction_note: str | None = None,
           data_date: datetime | None = None) -> IngestResult:
    """Turn an update into a version, or refuse it whole (``UpdateRefused``) and change nothing."""
    if author is not None:
        _require(author, "dataset.update", dataset)
    records = list(records)
    if not records:
        raise UpdateRefused([RowError(None, None, "no_rows", _l("The update has no rows."))])
    current = current_version(session, dataset)
    schema = schema_of(dataset)
    held_for_schema = False
    if not schema.columns:
        # The first update defines the columns (a new dataset is internal: nothing public yet).
        schema = _inferred(records, dataset.key_column, number_formats)
    clean, errors = validate(records, schema, row_numbers=row_numbers, number_formats=number_formats)
    structural = [e for e in errors if e.code in ("unknown_column", "missing_column")]
    if structural:
        new_schema = _inferred(records, dataset.key_column, number_formats)
        clean, errors = validate(records, new_schema, row_numbers=row_numbers, number_formats=number_formats)
        if errors:
            raise UpdateRefused(structural + errors)
        changes = schema_changed(schema, new_schema)
        schema, held_for_schema = new_schema, bool(changes)
    elif errors:
        raise UpdateRefused(errors)
    digest = diffs.content_hash(clean, schema)
    if current is not None and current.content_hash == digest and not correction_note:
        return IngestResult("unchanged", current)
    if not held_for_schema:
        latest_held = session.scalar(select(DatasetVersion).where(
            DatasetVersion.dataset_id == dataset.id, DatasetVersion.content_hash == digest,
            DatasetVersion.state.in_(("held", "submitted"))))
        if latest_held is not None:
            return IngestResult("unchanged", latest_held)

    previous_rows = diffs.rows_from_json(current.rows, schema_of(current)) if current is not None else []
    change = diffs.diff(previous_rows, clean, schema.key, schema=schema)
    number = (session.scalar(select(func.max(DatasetVersion.number))
                             .where(DatasetVersion.dataset_id == dataset.id)) or 0) + 1
    version = DatasetVersion(
        dataset_id=dataset.id, opd_id=dataset.opd_id, number=number, rows=diffs.rows_to_json(clean, schema),
        schema=schema.to_dict()["columns"], content_hash=digest, row_count=len(clean), origin=origin[:200],
        author_id=author.id if author else None, diff=change.to_dict(), data_date=data_date or clock.now(),
        correction_note=(correction_note or "").strip() or None,
        corrects_version_id=current.id if (correction_note and current) else None,
    )
    session.add(version)
    session.flush()
    flags = _new_flags(dataset, schema.names, clean)
    if held_for_schema or (flags and dataset.is_public):
        version.state, version.render_status = "held", "none"
        version.state_reason = ("schema" if held_for_schema else "personal_data")
        _record_flags(dataset, flags)
        audit.record(session, author, "dataset.version_held", version, opd_id=dataset.opd_id,
                     fields=["schema"] if held_for_schema else ["privacy_flags"],
                     details={"dataset": dataset.id, "number": number})
        return IngestResult("held", version, changes=schema_changed(schema_of(dataset), schema)
                            if held_for_schema else [], flags=flags)
    if not dataset.schema:
        dataset.schema = schema.to_dict()["columns"]
    _record_flags(dataset, flags)
    _make_current(session, dataset, version, current)
    audit.record(session, author, "dataset.version_created", version, opd_id=dataset.opd_id, fields=["rows"],
                 details={"dataset": dataset.id, "number": number, "origin": origin[:60],
                          "correction": bool(version.correction_note)})
    return IngestResult("created", version, flags=flags)


def _inferred(records: Sequence[Mapping[str, Any]], key: str,
              number_formats: Mapping[str, str] | None) -> Schema:
    preview = tables.preview_records(records)
    inferred = infer_schema(preview)
    columns = [_as_chosen(spec, records, (number_formats or {}).get(spec.name)) for spec in inferred.columns]
    key_spec = inferred.column(key)
    return Schema(tuple(columns), key=key_spec.name if key_spec else None)


def _as_chosen(spec: ColumnSpec, records: Sequence[Mapping[str, Any]], style: str | None) -> ColumnSpec:
    """Inference reads "2.325" Indonesian-style (a whole number); when the person said the
    column is written the other way, its type follows their choice (decimal where needed)."""
    if style not in ("id", "en") or spec.type not in ("integer", "decimal"):
        return spec
    try:
        values = [convert(r.get(spec.name), ColumnSpec(spec.name, "decimal"), style) for r in records]
    except Exception:  # noqa: BLE001 - the validation that follows says what is wrong, by row
        return spec
    whole = all(v is None or v == v.to_integral_value() for v in values)
    return ColumnSpec(spec.name, "integer" if whole else "decimal", spec.required, spec.allowed,
                      spec.minimum, spec.maximum, spec.aliases)


def _make_current(session: Session, dataset: Dataset, version: DatasetVersion,
                  previous: DatasetVersion | None) -> None:
    if previous is not None and previous.id != version.id:
        previous.state = "superseded"
    version.state, version.render_status, version.render_due_at = "current", "due", clock.now()
    dataset.current_version_id = version.id


def _new_flags(dataset: Dataset, columns: list[str],
               rows: list[dict[str, Any]]) -> list[privacy.PersonalDataFlag]:
    """Personal-data flags on columns no person has resolved yet."""
    found = privacy.check_personal_data(columns, rows)
    resolved = {c for c, v in (dataset.privacy_flags or {}).items() if (v or {}).get("resolution")}
    return [f for f in found if f.column not in resolved]


def _record_flags(dataset: Dataset, flags: Iterable[privacy.PersonalDataFlag]) -> None:
    merged = dict(dataset.privacy_flags or {})
    for flag in flags:
        merged[flag.column] = {"kind": flag.kind, "reason": str(flag.reason), "resolution": None}
    dataset.privacy_flags = merged


def unresolved_flags(dataset: Dataset) -> dict[str, Any]:
    return {c: v for c, v in (dataset.privacy_flags or {}).items() if not (v or {}).get("resolution")}


def hidden_columns(dataset: Dataset) -> set[str]:
    """Columns never shown on public pages, in downloads or in the read API."""
    return {c for c, v in (dataset.privacy_flags or {}).items() if (v or {}).get("resolution") == "hidden"}


def resolve_flag(session: Session, user: User, dataset: Dataset, column: str, resolution: str) -> None:
    """A person looked at a flagged column: not personal data after all, or hidden from the public."""
    _require(user, "dataset.edit", dataset)
    flags = dict(dataset.privacy_flags or {})
    if column not in flags:
        raise ValidationError.one("column", _l("That column is not flagged."))
    if resolution not in RESOLUTIONS:
        raise ValidationError.one("resolution", _l("Choose: not personal data, or hide the column."))
    flags[column] = {**flags[column], "resolution": resolution, "by": user.id, "at": clock.now().isoformat()}
    dataset.privacy_flags = flags
    audit.record(session, user, "dataset.privacy_resolved", dataset, fields=["privacy_flags"],
                 details={"column_count": 1, "resolution": resolution})
    # A version held only for personal data goes ahead once every flag is resolved.
    if not unresolved_flags(dataset):
        for version in session.scalars(select(DatasetVersion).where(
                DatasetVersion.dataset_id == dataset.id, DatasetVersion.state == "held",
                DatasetVersion.state_reason == "personal_data")):
            _make_current(session, dataset, version, current_version(session, dataset))


# Images --------------------------------------------------------------------------------------
def set_image_alt_text(session: Session, user: User, image: Any, text: str) -> None:
    """A person improves the generated alt text of a rendered image (kept while the image is)."""
    dataset = image.version.dataset
    _require(user, "dataset.edit", dataset)
    clean = " ".join((text or "").split())
    if not clean:
        raise ValidationError.one("alt_text", _l("Alt text may not be empty: it is what blind readers hear."))
    if len(clean) > 1000:
        raise ValidationError.one("alt_text", _l("Alt text is limited to 1,000 characters."))
    if clean != image.alt_text:
        image.alt_text = clean
        audit.record(session, user, "dataset.alt_text_edited", image, opd_id=dataset.opd_id,
                     fields=["alt_text"])


# Corrections ------------------------------------------------------------------------------------
def correct(session: Session, user: User, dataset: Dataset, records: Sequence[Mapping[str, Any]], *,
            note: str, origin: str, **options: Any) -> IngestResult:
    """A correction (ralat) supersedes the current version; its public note stays on the page."""
    if not (note or "").strip():
        raise ValidationError.one("note",
                                  _l("A correction needs a note for the public saying what was wrong."))
    if dataset.current_version_id is None:
        raise ValidationError.one("", _l("There is no version to correct yet."))
    return ingest(session, dataset, records, origin=origin, author=user, correction_note=note, **options)


# Approvals: making a dataset public, accepting a schema change --------------------------------
def _link(dataset: Dataset) -> str:
    return f"/app/data/{dataset.id}"


def _stewards(session: Session) -> list[User]:
    from pressroom.models import Membership

    ids = select(Membership.user_id).where(Membership.role.in_(STEWARDS), Membership.ended_at.is_(None))
    return list(session.scalars(select(User).where(User.id.in_(ids), User.is_active.is_(True))))


def request_publication(session: Session, user: User, dataset: Dataset) -> None:
    _require(user, "dataset.edit", dataset)
    if dataset.current_version_id is None:
        raise ValidationError.one("", _l("Add the data first: an empty dataset cannot be published."))
    pending = unresolved_flags(dataset)
    if pending:
        raise ValidationError.one("", _l(
            "These columns look like personal data: %(columns)s. Confirm they are not, or hide them, "
            "before publishing.", columns=", ".join(sorted(pending))))
    if dataset.state == "approved" and not is_public(dataset):
        # Approved once, then its columns or personal-data choices changed: asked again.
        approvals.clear(session, dataset, "dataset", to_state="held",
                        reason="changed since it was approved")
    approvals.submit(session, user, dataset, "dataset", link=_link(dataset),
                     title=_l("Publish the dataset %(title)s", title=dataset.title))
    notifications.notify(session, [u for u in _stewards(session) if u.id != user.id],
                         _l("Waiting for your approval: publish the dataset %(title)s", title=dataset.title),
                         _link(dataset), email=False)


def decide_publication(session: Session, user: User, dataset: Dataset, *, approve: bool,
                       comment: str = "") -> bool:
    """Approve (True when the dataset is now public) or reject its publication."""
    title = _l("Publish the dataset %(title)s", title=dataset.title)
    if not approve:
        approvals.reject(session, user, dataset, "dataset", comment=comment, link=_link(dataset), title=title,
                         stewards=STEWARDS)
        return False
    return approvals.approve(session, user, dataset, "dataset", comment=comment, link=_link(dataset),
                             title=title, stewards=STEWARDS)


def make_internal(session: Session, user: User, dataset: Dataset, reason: str) -> None:
    """Take a public dataset off the public pages (it stays in the catalogue for staff)."""
    _require(user, "dataset.edit", dataset)
    approvals.clear(session, dataset, "dataset", to_state="withdrawn",
                    reason=(reason or "").strip()[:300] or None)
    audit.record(session, user, "dataset.withdrawn", dataset, fields=["state"])


def is_public(dataset: Dataset) -> bool:
    """Public only while approved and unchanged since (schema, flags) — else internal again."""
    return approvals.still_approved(dataset)


def submit_schema_change(session: Session, user: User, version: DatasetVersion) -> None:
    dataset = version.dataset
    _require(user, "dataset.edit", dataset)
    if version.state_reason != "schema":
        raise ValidationError.one("", _l("This version is not waiting for a schema change."))
    approvals.submit(session, user, version, "dataset_version", link=_link(dataset),
                     title=_l("New columns for %(title)s (version %(number)s)", title=dataset.title,
                              number=version.number))


def decide_schema_change(session: Session, user: User, version: DatasetVersion, *, approve: bool,
                         comment: str = "") -> bool:
    """Accept (the version becomes current under its new schema) or reject a held schema change."""
    dataset = version.dataset
    title = _l("New columns for %(title)s (version %(number)s)", title=dataset.title, number=version.number)
    if not approve:
        approvals.reject(session, user, version, "dataset_version", comment=comment, link=_link(dataset),
                         title=title, stewards=STEWARDS)
        return False
    final = approvals.approve(session, user, version, "dataset_version", comment=comment, link=_link(dataset),
                              title=title, stewards=STEWARDS)
    if final:
        dataset.schema = list(version.schema)
        flags = _new_flags(dataset, [c["name"] for c in version.schema],
                           diffs.rows_from_json(version.rows, schema_of(version, dataset.key_column)))
        _record_flags(dataset, flags)
        if dataset.state == "approved" and not flags:
            # The columns a public dataset shows were just approved: it stays public under them.
            dataset.approval_hash = approvals.content_hash(dataset)
        _make_current(session, dataset, version, current_version(session, dataset))
        audit.record(session, user, "dataset.schema_changed", dataset, fields=["schema"],
                     details={"version": version.number})
    return final


# API tokens ------------------------------------------------------------------------------------
TOKEN_PREFIX = "prs_"


def create_token(session: Session, user: User, opd: Opd, name: str) -> tuple[ApiToken, str]:
    """Return the token row and the secret, which is shown once and never stored."""
    _require(user, "dataset.edit", opd)
    label = " ".join((name or "").split())[:120]
    if not label:
        raise ValidationError.one("name", _l("Name the token after what uses it (e.g. the SIPD export)."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(opd_id=opd.id, name=label, prefix=secret[:10], token_hash=_token_hash(secret),
                     created_by_id=user.id)
    session.add(token)
    session.flush()
    audit.record(session, user, "api_token.created", token, fields=["name"])
    return token, secret


def revoke_token(session: Session, user: User, token: ApiToken) -> None:
    _require(user, "dataset.edit", token.opd_id)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        audit.record(session, user, "api_token.revoked", token, fields=["revoked_at"])


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_for(session: Session, secret: str | None) -> ApiToken | None:
    """The live token matching ``secret`` (compared by hash), or None."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(secret)))
    if token is None or token.revoked_at is not None:
        return None
    token.last_used_at = clock.now()
    return token


# Polled sources ---------------------------------------------------------------------------------
def poll_source(session: Session, dataset: Dataset, fetched: Any, *, now: datetime) -> IngestResult | None:
    """Record what a poll fetched (``sources.FetchResult`` or ``CkanResult``) and ingest it when
    it changed. The caller fetched outside any transaction and schedules the next poll."""
    dataset.last_poll_at, dataset.last_poll_error = now, None
    if getattr(fetched, "etag", None) is not None or getattr(fetched, "last_modified", None) is not None:
        dataset.source_etag = fetched.etag
        dataset.source_last_modified = fetched.last_modified
    digest = fetched.content_hash
    if getattr(fetched, "changed", True) is False or (digest and digest == dataset.source_hash):
        dataset.source_hash = digest or dataset.source_hash
        return None
    if hasattr(fetched, "records"):
        records, numbers, formats = fetched.records, None, None
        origin = "poll:ckan"
    else:
        preview = tables.preview(tables.read_table(fetched.content, "source.csv", fetched.content_type or ""))
        records, numbers, formats = preview.records(), preview.row_numbers, preview.number_formats
        origin = "poll:csv"
    result = ingest(session, dataset, records, origin=origin, author=None, row_numbers=numbers,
                    number_formats=formats)
    dataset.source_hash = digest
    return result


def poll_failed(dataset: Dataset, message: str, *, now: datetime) -> None:
    """A poll that could not fetch or was refused: said on the dataset page; the version stays."""
    dataset.last_poll_at, dataset.last_poll_error = now, message[:500]
