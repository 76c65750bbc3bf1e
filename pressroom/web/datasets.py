"""The staff data centre under /app/data: the catalogue, a dataset's page (metadata, current
version, versions with readable diffs, personal-data flags, publication and held schema
changes), the upload flow (upload → preview with sheet, header row and per-column number
format → confirm → result), a preview render, and the per-OPD API tokens.

The rules live in services.datasets (every update ends in ``ingest``) and
services.dataset_schedule; these routes parse forms, keep an upload between requests and
commit once.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from pressroom import clock, db, formatting
from pressroom.datasets import DatasetInputError, privacy, tables
from pressroom.datasets.diff import canonical_value
from pressroom.datasets.schema import TYPE_LABELS, schema_changed
from pressroom.datasets.values import cell_text
from pressroom.i18n import _l
from pressroom.models import ApiToken, Dataset, DatasetVersion, Opd, User
from pressroom.models.dataset import DATASET_STATES
from pressroom.services import ValidationError, approvals, dataset_schedule, datasets
from pressroom.services.policy import Forbidden, can, capacities, visible_opd_ids
from pressroom.storage import get_storage
from pressroom.web.forms import (
    WEEKDAY_LABELS,
    ApiTokenForm,
    ConfirmForm,
    DatasetEditForm,
    DatasetUploadForm,
    DecisionForm,
    NewDatasetForm,
    attempt,
    choices,
    show_errors,
)
from pressroom.web.pagination import paginate
from pressroom.web.security import permission_required

bp = Blueprint("datasets", __name__, url_prefix="/app/data")

STATE_LABELS = {
    "draft": _l("internal"),
    "submitted": _l("waiting for approval to publish"),
    "approved": _l("public"),
    "rejected": _l("internal (publication returned)"),
    "withdrawn": _l("internal (taken off the public pages)"),
    "held": _l("internal (held)"),
}
VERSION_LABELS = {
    "current": _l("current"),
    "superseded": _l("superseded"),
    "held": _l("held"),
    "submitted": _l("waiting for approval"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
}
HELD_REASONS = {
    "schema": _l("Its columns differ from the dataset's: it becomes current only when the change is "
                 "approved."),
    "personal_data": _l("It has columns that look like personal data, and the dataset is public: it becomes "
                        "current when every flagged column is resolved."),
}
RENDER_LABELS = {
    "due": _l("rendering in the worker"),
    "claimed": _l("rendering in the worker"),
    "done": _l("rendered"),
    "failed": _l("rendering failed"),
    "none": _l("not rendered"),
}
COLUMN_KIND_LABELS = {
    "empty": _l("empty"),
    "text": _l("text"),
    "integer": _l("whole numbers"),
    "decimal": _l("numbers"),
    "percent": _l("percentages"),
    "date": _l("dates"),
}
FORMAT_LABELS = {
    "id": _l("1.234,5 — point for thousands, comma for decimals"),
    "en": _l("1,234.5 — comma for thousands, point for decimals"),
    "plain": _l("digits only"),
}
#: How a decided column's separators are shown (the full label is its tooltip).
FORMAT_SHORT = {"id": "1.234,5", "en": "1,234.5", "plain": _l("digits only")}
FLAG_LABELS = {
    "nik": _l("NIK / KK numbers"),
    "phone": _l("phone numbers"),
    "email": _l("e-mail addresses"),
    "name_address": _l("names with home addresses"),
}
RESOLUTION_LABELS = {"not_personal": _l("confirmed: not personal data"),
                     "hidden": _l("hidden from the public")}
#: Rows of a sheet offered as the header row, and data rows shown in a preview or a version.
HEADER_CHOICES = 30
SAMPLE_ROWS = 12
#: Rows of an update's errors listed on the result page (the count says how many there are).
ERRORS_SHOWN = 200
#: Rows listed per kind of change in a diff.
DIFF_ROWS = 10
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


@bp.context_processor
def _labels():
    return {
        "STATE_LABELS": STATE_LABELS,
        "VERSION_LABELS": VERSION_LABELS,
        "HELD_REASONS": HELD_REASONS,
        "RENDER_LABELS": RENDER_LABELS,
        "TYPE_LABELS": TYPE_LABELS,
        "COLUMN_KIND_LABELS": COLUMN_KIND_LABELS,
        "FORMAT_LABELS": FORMAT_LABELS,
        "FORMAT_SHORT": FORMAT_SHORT,
        "FLAG_LABELS": FLAG_LABELS,
        "RESOLUTION_LABELS": RESOLUTION_LABELS,
        "WEEKDAY_LABELS": WEEKDAY_LABELS,
        "show": _show,
        "cell_text": cell_text,
    }


# Loading and permission ------------------------------------------------------------------------
def _load(dataset_id: int, **_kwargs) -> Dataset | None:
    return db.session.get(Dataset, dataset_id)


def _version_of(dataset: Dataset, version_id: int) -> DatasetVersion:
    version = db.session.get(DatasetVersion, version_id)
    if version is None or version.dataset_id != dataset.id:
        abort(404)
    return version


def _load_token(token_id: int) -> ApiToken | None:
    return db.session.get(ApiToken, token_id)


def _is_steward() -> bool:
    return any(c.role in datasets.STEWARDS for c in capacities(current_user))


def _may_decide(dataset: Dataset) -> bool:
    """Who may be asked to decide a dataset's publication or schema change: the OPD's approvers
    (acting ones included) and the province's walidata. The approval service then checks the
    step, the level and that nobody decides on their own work."""
    return can(current_user, "opd.approve", dataset.opd_id) or _is_steward()


def _can_decide(subject, subject_type: str) -> bool:
    try:
        approvals.check_can_decide(db.session, current_user, subject, subject_type,
                                   stewards=datasets.STEWARDS)
    except ValidationError:
        return False
    return True


def _editable_opds() -> list[Opd]:
    """Active OPDs whose datasets the user keeps (their own; every OPD for walidata and admins)."""
    opds = db.session.scalars(select(Opd).where(Opd.is_active.is_(True)).order_by(Opd.short_name))
    return [opd for opd in opds if can(current_user, "dataset.edit", opd)]


def _lang() -> str:
    from flask_babel import get_locale

    return str(get_locale())


# Showing values -----------------------------------------------------------------------------------
def _show(value: Any, kind: str | None = None) -> str:
    """A stored value for people: numbers and dates in the reader's style, "–" for nothing."""
    if value is None or value == "":
        return "–"
    lang = _lang()
    if kind in ("integer", "decimal", "percent") or isinstance(value, int | float | Decimal):
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return str(value)
        text = formatting.number(number, lang)
        return f"{text}%" if kind == "percent" else text
    if kind == "date" and isinstance(value, str):
        try:
            return formatting.day(date.fromisoformat(value), lang)
        except ValueError:
            return value
    return str(value)


def _signed(value: Any, kind: str | None) -> str:
    text = _show(value, kind)
    return text if text.startswith(("-", "−", "–")) else f"+{text}"


def _relative(value: Any) -> str:
    if value is None:
        return "–"
    share = Decimal(str(value)) * 100
    text = formatting.number(share, _lang(), decimals=1)
    return f"{text}%" if share < 0 else f"+{text}%"


def _label_column(dataset: Dataset, schema: list[dict[str, Any]]) -> str | None:
    """The column that names a row for people (the chart's label, else the first text column)."""
    names = [c.get("name") for c in schema]
    chosen = (dataset.chart or {}).get("label")
    if chosen in names and chosen != dataset.key_column:
        return chosen
    texts = [c.get("name") for c in schema if c.get("type") == "text" and c.get("name") != dataset.key_column]
    return texts[0] if texts else None


def _row_labels(dataset: Dataset, *versions: DatasetVersion | None) -> dict[str, str]:
    """Key value (as the diff writes it) → the row's name, from the given versions' rows."""
    labels: dict[str, str] = {}
    for version in versions:
        if version is None:
            continue
        column = _label_column(dataset, version.schema or [])
        if column is None:
            continue
        for row in version.rows or []:
            key = canonical_value(row.get(dataset.key_column))
            if key is not None and row.get(column) not in (None, ""):
                labels.setdefault(key, str(row[column]))
    return labels


def describe_diff(version: DatasetVersion, dataset: Dataset, labels: dict[str, str]) -> dict[str, Any]:
    """A version's stored diff as a view: counts, rows added/removed/changed with their names,
    and the largest movers per numeric column, every value formatted for the reader."""
    diff = version.diff or {}
    types = {c.get("name"): c.get("type") for c in version.schema or []}
    key = diff.get("key") or dataset.key_column

    def named(row_key: Any) -> dict[str, str]:
        text = canonical_value(row_key) or "–"
        return {"key": text, "label": labels.get(text, "")}

    added = [named(r.get(key)) for r in diff.get("added", [])]
    removed = [named(r.get(key)) for r in diff.get("removed", [])]
    changed = [{**named(c.get("key")), "changes": [
        {"column": x["column"], "old": _show(x.get("old"), types.get(x["column"])),
         "new": _show(x.get("new"), types.get(x["column"]))} for x in c.get("changes", [])]}
        for c in diff.get("changed", [])]
    movers = []
    for column, lists in (diff.get("movers") or {}).items():
        kind = types.get(column)
        rows = [{**named(m.get("key")), "old": _show(m.get("old"), kind), "new": _show(m.get("new"), kind),
                 "change": _signed(m.get("change"), kind), "relative": _relative(m.get("relative"))}
                for m in lists.get("absolute", [])]
        if rows:
            movers.append({"column": column, "rows": rows})
    first = not removed and not changed and not diff.get("unchanged") and len(added) == version.row_count
    return {
        "first": first,
        "counts": {"added": len(added), "removed": len(removed), "changed": len(changed),
                   "unchanged": diff.get("unchanged", 0)},
        "empty": not (added or removed or changed or diff.get("columns_added")
                      or diff.get("columns_removed")),
        "added": added[:DIFF_ROWS], "added_more": max(0, len(added) - DIFF_ROWS),
        "removed": removed[:DIFF_ROWS], "removed_more": max(0, len(removed) - DIFF_ROWS),
        "changed": changed[:DIFF_ROWS], "changed_more": max(0, len(changed) - DIFF_ROWS),
        "movers": movers,
        "columns_added": diff.get("columns_added", []),
        "columns_removed": diff.get("columns_removed", []),
    }


def _table(version: DatasetVersion | None, dataset: Dataset,
           limit: int = SAMPLE_ROWS) -> dict[str, Any] | None:
    """The first rows of a version, formatted, with the columns hidden from the public marked."""
    if version is None:
        return None
    hidden = datasets.hidden_columns(dataset)
    columns = [{"name": c["name"], "type": c.get("type", "text"), "hidden": c["name"] in hidden}
               for c in version.schema or []]
    rows = [[_show(row.get(c["name"]), c["type"]) for c in columns] for row in (version.rows or [])[:limit]]
    return {"columns": columns, "rows": rows, "total": version.row_count}


def _images(version: DatasetVersion | None) -> list[dict[str, Any]]:
    """A version's rendered images with a thumbnail and a full-size address each."""
    if version is None:
        return []
    return [{"image": i, "url": _image_url(i.thumb_key or i.storage_key), "full": _image_url(i.storage_key)}
            for i in version.images]


def _image_url(key: str | None) -> str | None:
    if not key:
        return None
    storage = get_storage()
    if storage.exists(key, public=True):
        return url_for("public.media", key=key)
    return storage.signed_url_for(key, current_app.config["SIGNED_URL_SECONDS"])


# The catalogue ------------------------------------------------------------------------------------
@bp.get("/")
@permission_required("app.enter")
def index():
    visible = visible_opd_ids(current_user)  # None: every OPD (province-wide roles)
    opd_query = select(Opd).where(Opd.is_active.is_(True)).order_by(Opd.short_name)
    query = select(Dataset).order_by(Dataset.updated_at.desc(), Dataset.id.desc())
    if visible is not None:
        opd_query = opd_query.where(Opd.id.in_(visible or {0}))
        query = query.where(Dataset.opd_id.in_(visible or {0}))
    opds = db.session.scalars(opd_query).all()
    chosen_opd = request.args.get("opd", type=int)
    if chosen_opd is not None:
        if chosen_opd not in {o.id for o in opds}:
            flash(_l("That OPD is not one you can see; showing every OPD you can."), "warning")
            chosen_opd = None
        else:
            query = query.where(Dataset.opd_id == chosen_opd)
    chosen_state = request.args.get("state") or None
    if chosen_state is not None:
        if chosen_state not in DATASET_STATES:
            chosen_state = None
        else:
            query = query.where(Dataset.state == chosen_state)
    page = paginate(db.session, query, per_page=30)
    current_ids = [d.current_version_id for d in page.items if d.current_version_id]
    current = {v.dataset_id: v for v in db.session.scalars(
        select(DatasetVersion).where(DatasetVersion.id.in_(current_ids or [0])))}
    return render_template("datasets/index.html", page=page, opds=opds, chosen_opd=chosen_opd,
                           chosen_state=chosen_state, current=current, waiting=_waiting(visible),
                           states=DATASET_STATES, may_create=bool(_editable_opds()))


def _waiting(visible: set[int] | None) -> list[dict[str, Any]]:
    """Publications and schema changes waiting for a decision this user may take."""
    if not (_is_steward() or any(c.role == "approver" for c in capacities(current_user))):
        return []
    found = []
    query = select(Dataset).where(Dataset.state == "submitted").order_by(Dataset.submitted_at)
    if visible is not None:
        query = query.where(Dataset.opd_id.in_(visible or {0}))
    for dataset in db.session.scalars(query):
        if _can_decide(dataset, "dataset"):
            found.append({"dataset": dataset, "version": None})
    query = (select(DatasetVersion).where(DatasetVersion.state == "submitted")
             .order_by(DatasetVersion.submitted_at))
    if visible is not None:
        query = query.where(DatasetVersion.opd_id.in_(visible or {0}))
    for version in db.session.scalars(query):
        if _can_decide(version, "dataset_version"):
            found.append({"dataset": version.dataset, "version": version})
    return found


def _chart(form, base: dict[str, Any] | None) -> dict[str, Any]:
    chart = dict(base or {})
    chart["template"] = form.template.data
    for name in ("label", "value"):
        value = (getattr(form, name).data or "").strip()
        if value:
            chart[name] = value
        else:
            chart.pop(name, None)
    return chart


def _meta(form) -> dict[str, Any]:
    values = {name: (getattr(form, name).data or "").strip()
              for name in ("title", "description", "topic", "unit", "source_line", "processed_by", "period",
                           "licence", "update_frequency")}
    values["provisional"] = bool(form.provisional.data)
    values["draft_post_on_update"] = bool(form.draft_post_on_update.data)
    return values


@bp.route("/baru", methods=["GET", "POST"])
@permission_required("app.enter")
def new():
    opds = _editable_opds()
    if not opds:
        abort(403)
    form = NewDatasetForm()
    form.opd_id.choices = choices((o.id, o.short_name) for o in opds)
    if request.method == "GET" and request.args.get("opd", type=int) in {o.id for o in opds}:
        form.opd_id.data = request.args.get("opd", type=int)
    if form.validate_on_submit():
        kind = form.kind.data
        try:
            meta = _meta(form)
            dataset = datasets.create_dataset(
                db.session, current_user, opd_id=form.opd_id.data, title=meta.pop("title"),
                key_column=form.key_column.data or "", kind=kind,
                chart=_chart(form, None) if kind == "table" else None, **meta)
        except ValidationError as exc:
            show_errors(exc, form)
        except Forbidden:
            db.session.rollback()
            abort(403)
        else:
            db.session.commit()
            flash(_l("Dataset created (internal). Upload its first data: the columns come from it."),
                  "success")
            return redirect(url_for("datasets.upload", dataset_id=dataset.id), 303)
    return render_template("datasets/form.html", form=form, dataset=None, columns=[]), (
        400 if form.errors else 200)


# One dataset ---------------------------------------------------------------------------------------
@bp.get("/<int:dataset_id>")
@permission_required("dataset.view", _load)
def detail(dataset_id: int, obj: Dataset):
    dataset = obj
    all_versions = datasets.versions(db.session, dataset)
    current = next((v for v in all_versions if v.id == dataset.current_version_id), None)
    waiting = [v for v in all_versions if v.state in ("held", "submitted")]
    shown = [v for v in all_versions if v.state not in ("held", "submitted")][:20]
    labels = _row_labels(dataset, *all_versions[:3])
    diffs = {v.id: describe_diff(v, dataset, labels) for v in shown + waiting}
    schema_changes = {v.id: _schema_changes(dataset, v) for v in waiting}
    trail = approvals.decisions(db.session, "dataset", dataset.id)
    version_trail = {v.id: approvals.decisions(db.session, "dataset_version", v.id) for v in waiting}
    people_ids = {d.decided_by_id for d in trail}
    people_ids |= {d.decided_by_id for t in version_trail.values() for d in t}
    people_ids |= {v.author_id for v in all_versions if v.author_id} | {dataset.author_id}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(people_ids or {0})))}
    public = datasets.is_public(dataset)
    return render_template(
        "datasets/detail.html", dataset=dataset, current=current, table=_table(current, dataset),
        versions=shown, version_count=len(all_versions), waiting=waiting, diffs=diffs,
        schema_changes=schema_changes, trail=trail, version_trail=version_trail, people=people,
        images=_images(current),
        public=public, public_link=_public_page(dataset) if public else None,
        unresolved=datasets.unresolved_flags(dataset),
        can_edit=can(current_user, "dataset.edit", dataset),
        can_update=can(current_user, "dataset.update", dataset),
        can_decide=_can_decide(dataset, "dataset"),
        can_decide_version={v.id: _can_decide(v, "dataset_version") for v in waiting},
        decision_form=DecisionForm(), csrf_form=ConfirmForm())


@bp.post("/<int:dataset_id>/gambar/<int:dataset_image_id>/alt")
@permission_required("dataset.edit", _load)
def image_alt_text(dataset_id: int, dataset_image_id: int, obj: Dataset):
    from pressroom.models import DatasetImage

    image = db.session.get(DatasetImage, dataset_image_id)
    if image is None or image.version.dataset_id != obj.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: datasets.set_image_alt_text(db.session, current_user, image,
                                                    request.form.get("alt_text", "")), _l("Alt text saved."))
    return redirect(url_for("datasets.detail", dataset_id=obj.id))


def _public_page(dataset: Dataset) -> str:
    """The dataset's public address, as printed on its charts."""
    from pressroom.services.renders import public_page

    return public_page(current_app.config["PUBLIC_URL"], dataset)


def _schema_changes(dataset: Dataset, version: DatasetVersion) -> list[str]:
    if version.state_reason == "personal_data":
        return []
    changes = schema_changed(datasets.schema_of(dataset), datasets.schema_of(version, dataset.key_column))
    return [str(c.message) for c in changes]


@bp.get("/<int:dataset_id>/versi/<int:version_id>")
@permission_required("dataset.view", _load)
def version(dataset_id: int, version_id: int, obj: Dataset):
    found = _version_of(obj, version_id)
    previous = db.session.scalar(select(DatasetVersion).where(
        DatasetVersion.dataset_id == obj.id, DatasetVersion.number < found.number)
        .order_by(DatasetVersion.number.desc()).limit(1))
    corrected = (db.session.get(DatasetVersion, found.corrects_version_id)
                 if found.corrects_version_id else None)
    author = db.session.get(User, found.author_id) if found.author_id else None
    return render_template(
        "datasets/version.html", dataset=obj, version=found, author=author, corrected=corrected,
        diff=describe_diff(found, obj, _row_labels(obj, found, previous)),
        table=_table(found, obj, limit=100), schema_changes=_schema_changes(obj, found)
        if found.state in ("held", "submitted") else [],
        images=_images(found))


@bp.route("/<int:dataset_id>/ubah", methods=["GET", "POST"])
@permission_required("dataset.edit", _load)
def edit(dataset_id: int, obj: Dataset):
    dataset = obj
    form = DatasetEditForm()
    columns = [c["name"] for c in dataset.schema or []]
    if request.method == "GET":
        for name in ("title", "description", "topic", "unit", "source_line", "processed_by", "period",
                     "licence", "update_frequency", "provisional", "draft_post_on_update", "source_kind",
                     "source_url", "source_resource", "poll_minutes"):
            getattr(form, name).data = getattr(dataset, name)
        chart = dataset.chart or {}
        form.template.data = chart.get("template", "ranked_bar")
        form.label.data, form.value.data = chart.get("label", ""), chart.get("value", "")
        series = dataset.series or {}
        form.series_every.data = series.get("every", "")
        form.series_weekday.data = series.get("weekday", 0)
        form.series_day.data = series.get("day", 1)
        if series:
            form.series_time.data = time(int(series.get("hour", 0)), int(series.get("minute", 0)))
    if form.validate_on_submit():
        for name in ("label", "value"):
            chosen = (getattr(form, name).data or "").strip()
            if chosen and columns and chosen not in columns:
                getattr(form, name).errors = [_l(
                    "“%(column)s” is not a column of this dataset (%(columns)s).", column=chosen,
                    columns=", ".join(columns))]
        if not (form.label.errors or form.value.errors):
            try:
                datasets.update_dataset(db.session, current_user, dataset, **_meta(form),
                                        chart=_chart(form, dataset.chart))
                dataset_schedule.update_schedule(
                    db.session, current_user, dataset, source_kind=form.source_kind.data,
                    source_url=form.source_url.data, source_resource=form.source_resource.data,
                    poll_minutes=form.poll_minutes.data, series=_series(form),
                    allow_hosts=_source_allow_hosts())
            except ValidationError as exc:
                exc.errors = {("series_time" if k in ("series_hour", "series_minute") else k): v
                              for k, v in exc.errors.items()}
                show_errors(exc, form)
            except Forbidden:
                db.session.rollback()
                abort(403)
            else:
                db.session.commit()
                flash(_l("Changes saved."), "success")
                return redirect(url_for("datasets.detail", dataset_id=dataset.id), 303)
    return render_template("datasets/form.html", form=form, dataset=dataset, columns=columns), (
        400 if form.errors or any(f.errors for f in form) else 200)


def _series(form: DatasetEditForm) -> dict[str, Any] | None:
    if not form.series_every.data:
        return None
    at = form.series_time.data
    return {"every": form.series_every.data, "weekday": form.series_weekday.data, "day": form.series_day.data,
            "hour": at.hour if at else None, "minute": at.minute if at else None}


def _source_allow_hosts() -> list[str]:
    """Hosts a source may use although they resolve to private addresses (tests, an intranet CKAN)."""
    allowed = str(current_app.config.get("DATASET_SOURCE_ALLOW", ""))
    return [h.strip() for h in allowed.split(",") if h.strip()]


@bp.post("/<int:dataset_id>/privasi")
@permission_required("dataset.edit", _load)
def resolve_flag(dataset_id: int, obj: Dataset):
    if ConfirmForm().validate_on_submit():
        resolution = request.form.get("resolution", "")
        attempt(lambda: datasets.resolve_flag(db.session, current_user, obj, request.form.get("column", ""),
                                              resolution),
                _l("The column stays hidden from every public page, download and the API.")
                if resolution == "hidden" else _l("Recorded: the column is not personal data."))
    return redirect(url_for("datasets.detail", dataset_id=obj.id) + "#privasi", 303)


@bp.post("/<int:dataset_id>/ajukan")
@permission_required("dataset.edit", _load)
def request_publication(dataset_id: int, obj: Dataset):
    if ConfirmForm().validate_on_submit():
        attempt(lambda: datasets.request_publication(db.session, current_user, obj),
                _l("Submitted: the OPD's approver and the walidata have been notified."))
    return redirect(url_for("datasets.detail", dataset_id=obj.id), 303)


def _decide(dataset: Dataset, subject: Any, approve: bool) -> None:
    if not _may_decide(dataset):
        abort(403)
    form = DecisionForm()
    if not form.validate_on_submit():
        return
    comment = form.comment.data or ""
    if isinstance(subject, DatasetVersion):
        outcome: list[bool] = []
        done = attempt(lambda: outcome.append(datasets.decide_schema_change(
            db.session, current_user, subject, approve=approve, comment=comment)))
        if done:
            final = approve and outcome[0]
            flash(_l("Approved: version %(number)s is now current.", number=subject.number) if final
                  else _l("Step approved; the next approver has been notified.") if approve
                  else _l("Rejected: the current version stays."), "success")
        return
    outcome = []
    done = attempt(lambda: outcome.append(datasets.decide_publication(
        db.session, current_user, dataset, approve=approve, comment=comment)))
    if done:
        flash(_l("Approved: the dataset is public.") if approve and outcome[0]
              else _l("Step approved; the next approver has been notified.") if approve
              else _l("Returned to the OPD with your comment."), "success")


@bp.post("/<int:dataset_id>/setujui")
@permission_required("dataset.view", _load)
def approve_publication(dataset_id: int, obj: Dataset):
    _decide(obj, obj, approve=True)
    return redirect(url_for("datasets.detail", dataset_id=obj.id), 303)


@bp.post("/<int:dataset_id>/tolak")
@permission_required("dataset.view", _load)
def reject_publication(dataset_id: int, obj: Dataset):
    _decide(obj, obj, approve=False)
    return redirect(url_for("datasets.detail", dataset_id=obj.id), 303)


@bp.post("/<int:dataset_id>/internal")
@permission_required("dataset.edit", _load)
def make_internal(dataset_id: int, obj: Dataset):
    form = DecisionForm()
    if form.validate_on_submit():
        attempt(lambda: datasets.make_internal(db.session, current_user, obj, form.comment.data or ""),
                _l("The dataset is internal again: it is off the public pages."))
    return redirect(url_for("datasets.detail", dataset_id=obj.id), 303)


@bp.post("/<int:dataset_id>/versi/<int:version_id>/ajukan")
@permission_required("dataset.edit", _load)
def submit_schema(dataset_id: int, version_id: int, obj: Dataset):
    found = _version_of(obj, version_id)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: datasets.submit_schema_change(db.session, current_user, found),
                _l("Submitted: the change waits for approval; the current version stays until then."))
    return redirect(url_for("datasets.detail", dataset_id=obj.id) + "#tertahan", 303)


@bp.post("/<int:dataset_id>/versi/<int:version_id>/setujui")
@permission_required("dataset.view", _load)
def approve_schema(dataset_id: int, version_id: int, obj: Dataset):
    _decide(obj, _version_of(obj, version_id), approve=True)
    return redirect(url_for("datasets.detail", dataset_id=obj.id), 303)


@bp.post("/<int:dataset_id>/versi/<int:version_id>/tolak")
@permission_required("dataset.view", _load)
def reject_schema(dataset_id: int, version_id: int, obj: Dataset):
    _decide(obj, _version_of(obj, version_id), approve=False)
    return redirect(url_for("datasets.detail", dataset_id=obj.id), 303)


# Preview render ------------------------------------------------------------------------------------
def _render_preview(dataset: Dataset) -> tuple[bytes | None, object | None]:
    """PNG bytes of the current version's first chart, drawn now (through the image cache), or
    a message saying why there is none."""
    from pressroom.services import renders  # Matplotlib: loaded when a preview is asked for

    try:
        return renders.preview_png(db.session, get_storage(), current_app.config["PUBLIC_URL"], dataset), None
    except Exception:  # noqa: BLE001 - a failed drawing is reported; the page still answers
        current_app.logger.exception("preview render of dataset %s failed", dataset.id)
        return None, _l("Preview unavailable: the chart could not be drawn from this data. Check the chart "
                        "settings (template, label and value columns).")


@bp.get("/<int:dataset_id>/pratinjau")
@permission_required("dataset.view", _load)
def preview_render(dataset_id: int, obj: Dataset):
    version = datasets.current_version(db.session, obj)
    image, message = (None, _l("There is no data to draw yet.")) if version is None else _render_preview(obj)
    data_uri = "data:image/png;base64," + base64.b64encode(image).decode() if image else None
    return render_template("datasets/render_preview.html", dataset=obj, version=version, image=data_uri,
                           message=message)


# The upload flow -------------------------------------------------------------------------------------
@dataclass
class PendingUpload:
    """An uploaded file waiting for its preview to be confirmed, and the choices made so far.
    It lives in private storage (not the database) and only its uploader opens it."""

    id: str
    dataset_id: int
    user_id: int
    filename: str
    size: int
    uploaded_at: str
    sheet: str | None = None
    #: 1-based, as in the file; None: found by the reader.
    header_row: int | None = None
    #: Column name → id | en, where the person chose the column's separators.
    number_formats: dict[str, str] = field(default_factory=dict)
    correction: bool = False
    note: str = ""

    @property
    def file_key(self) -> str:
        return f"dataset-uploads/{self.dataset_id}/{self.id}.upload"

    @property
    def settings_key(self) -> str:
        return f"dataset-uploads/{self.dataset_id}/{self.id}.json"

    @classmethod
    def start(cls, storage, dataset: Dataset, user: User, filename: str, data: bytes, *,
              correction: bool = False) -> PendingUpload:
        name = re.split(r"[\\/]", filename or "")[-1].strip()[:200] or "upload"
        upload = cls(id=uuid.uuid4().hex, dataset_id=dataset.id, user_id=user.id, filename=name,
                     size=len(data), uploaded_at=clock.now().isoformat(), correction=correction)
        storage.put(upload.file_key, data)
        upload.save(storage)
        return upload

    @classmethod
    def load(cls, storage, dataset_id: int, upload_id: str) -> PendingUpload | None:
        if not UPLOAD_ID.match(upload_id or ""):
            return None
        probe = cls(id=upload_id, dataset_id=dataset_id, user_id=0, filename="", size=0, uploaded_at="")
        if not (storage.exists(probe.settings_key) and storage.exists(probe.file_key)):
            return None
        try:
            saved = json.loads(storage.get(probe.settings_key))
            return cls(**{**saved, "id": upload_id, "dataset_id": dataset_id})
        except (ValueError, TypeError):
            return None

    def save(self, storage) -> None:
        storage.put(self.settings_key, json.dumps(asdict(self)).encode())

    def data(self, storage) -> bytes:
        return storage.get(self.file_key)

    def discard(self, storage) -> None:
        storage.delete(self.file_key)
        storage.delete(self.settings_key)


@dataclass
class UploadPreview:
    """What the preview page shows: the table found, or why none was (with what to choose)."""

    table: tables.Preview | None = None
    error: DatasetInputError | None = None
    #: Sheets that hold data (a person chooses among several), and the one shown.
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    #: The header row shown (the reader's guess, the person's choice, or where an error was).
    header_row: int | None = None
    #: (row number, the row's text) for the header row picker.
    rows: list[tuple[int, str]] = field(default_factory=list)
    #: Rows left out of the table: (kind, row number, text).
    dropped: list[tuple[str, int, str]] = field(default_factory=list)
    flags: list[privacy.PersonalDataFlag] = field(default_factory=list)
    new_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)


def _max_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def _row_text(row: list[Any], cell_limit: int = 30) -> str:
    cells = [cell_text(v, cell_limit) for v in row if v is not None and str(v).strip()]
    text = " · ".join(cells)
    return text if len(text) <= 110 else text[:109] + "…"


def build_upload_preview(upload: PendingUpload, data: bytes, dataset: Dataset) -> UploadPreview:
    """Read the file with the choices made so far (DB-free apart from the dataset's schema)."""
    result = UploadPreview()
    try:
        raw = tables.read_table(data, upload.filename, max_bytes=_max_bytes())
    except DatasetInputError as exc:
        result.error = exc
        return result
    result.sheets = raw.data_sheets
    sheet = upload.sheet if upload.sheet in raw.sheet_names else None
    if sheet is None and len(result.sheets) == 1:
        sheet = result.sheets[0]
    result.sheet = sheet
    if sheet is not None:
        rows = raw.sheet(sheet).rows
        result.rows = [(n, _row_text(r)) for n, r in enumerate(rows[:HEADER_CHOICES], 1) if _row_text(r)]
    result.header_row = upload.header_row
    try:
        table = tables.preview(raw, sheet, upload.header_row, number_formats=upload.number_formats)
    except DatasetInputError as exc:
        result.error = exc
        if result.header_row is None and isinstance(exc.details.get("row"), int):
            result.header_row = exc.details["row"]
        return result
    result.table, result.header_row = table, table.header_row
    rows = raw.sheet(table.sheet).rows if table.sheet else raw.sheets[0].rows
    result.dropped = ([("title", n, _row_text(rows[n - 1], 100)) for n in table.title_rows]
                      + [("numbering", n, _row_text(rows[n - 1])) for n in table.skipped_rows]
                      + [("note", n, _row_text(rows[n - 1], 100)) for n in table.note_rows])
    result.flags = privacy.check_preview(table)
    schema = datasets.schema_of(dataset)
    if schema.columns:
        result.new_columns = [c.name for c in table.columns if schema.column(c.name) is None]
        matched = {schema.column(c.name).name for c in table.columns if schema.column(c.name) is not None}
        result.missing_columns = [c.name for c in schema.columns if c.name not in matched]
    return result


def _own_upload(dataset: Dataset, upload_id: str) -> PendingUpload | None:
    """The upload, when it still exists; 403 for anyone but its uploader."""
    upload = PendingUpload.load(get_storage(), dataset.id, upload_id)
    if upload is not None and upload.user_id != current_user.id:
        abort(403)
    return upload


def _gone(dataset: Dataset):
    flash(_l("That upload is no longer here: it was saved or cancelled. Upload the file again if needed."),
          "warning")
    return redirect(url_for("datasets.upload", dataset_id=dataset.id), 303)


def _apply_choices(upload: PendingUpload) -> None:
    """The choices posted from the preview form; anything absent stays as saved."""
    form = request.form
    shown_sheet = form.get("shown_sheet", upload.sheet or "")
    sheet = form.get("sheet", shown_sheet) or None
    if (sheet or "") != shown_sheet:
        # Another sheet: its rows and columns are new, so let the reader find the header again.
        upload.sheet, upload.header_row, upload.number_formats = sheet, None, {}
    else:
        shown_header = form.get("shown_header", "")
        header = form.get("header_row", shown_header)
        if header != shown_header:
            upload.header_row = int(header) if header.isdigit() else None
            upload.number_formats = {}
        else:
            for key, value in form.items():
                if key.startswith("fmt:"):
                    name = key[4:]
                    if value in ("id", "en"):
                        upload.number_formats[name] = value
                    else:
                        upload.number_formats.pop(name, None)
    if "choices_sent" in form:
        upload.correction = form.get("correction") == "y"
        upload.note = form.get("note", "").strip()[:2000]


def _upload_form_page(dataset: Dataset, form: DatasetUploadForm, status: int = 200, error=None,
                      correction: bool | None = None):
    if correction is None:
        correction = request.values.get("ralat") == "1"
    return render_template("datasets/upload.html", dataset=dataset, form=form, error=error,
                           correction=correction, limit=current_app.config["MAX_UPLOAD_MB"]), status


@bp.route("/<int:dataset_id>/unggah", methods=["GET", "POST"])
@permission_required("dataset.update", _load)
def upload(dataset_id: int, obj: Dataset):
    form = DatasetUploadForm()
    if not form.validate_on_submit():
        return _upload_form_page(obj, form, 400 if form.errors else 200)
    stream = form.file.data.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    filename = form.file.data.filename or ""
    db.session.commit()  # end the first transaction: reading a file must not hold SQLite's write lock
    try:
        tables.check_size(size, _max_bytes())
        data = stream.read()
        raw = tables.read_table(data, filename, max_bytes=_max_bytes())
        if len(raw.data_sheets) <= 1:
            try:
                tables.preview(raw)
            except DatasetInputError as exc:
                # What no choice of sheet or header row can fix is refused now; the rest is
                # explained on the preview page, where a person can choose.
                if exc.code in ("empty_file", "not_a_table", "too_many_rows", "too_many_columns"):
                    raise
    except DatasetInputError as exc:
        return _upload_form_page(obj, form, 413 if exc.code == "too_large" else 422, error=exc)
    pending = PendingUpload.start(get_storage(), obj, current_user, filename, data,
                                  correction=request.form.get("ralat") == "1")
    return redirect(url_for("datasets.preview", dataset_id=obj.id, upload_id=pending.id), 303)


@bp.errorhandler(413)
def _too_large(_exc):
    """A body over MAX_UPLOAD_MB: on the upload page, say so there; elsewhere the usual page."""
    message = _l("The upload is larger than the limit of %(limit)s MB. Nothing was saved.",
                 limit=current_app.config["MAX_UPLOAD_MB"])
    dataset = _load(**(request.view_args or {})) if request.endpoint == "datasets.upload" else None
    if dataset is not None and can(current_user, "dataset.update", dataset):
        # The body is not read (it is too large): the form is shown empty, the question kept.
        return _upload_form_page(dataset, DatasetUploadForm(formdata=None), 413,
                                 error=DatasetInputError("too_large", message),
                                 correction=request.args.get("ralat") == "1")
    return render_template("errors/400.html", message=message), 413


@bp.route("/<int:dataset_id>/unggah/<upload_id>", methods=["GET", "POST"])
@permission_required("dataset.update", _load)
def preview(dataset_id: int, upload_id: str, obj: Dataset):
    storage = get_storage()
    pending = _own_upload(obj, upload_id)
    if pending is None:
        return _gone(obj)
    if request.method == "POST":
        if ConfirmForm().validate_on_submit():
            _apply_choices(pending)
            pending.save(storage)
        return redirect(url_for("datasets.preview", dataset_id=obj.id, upload_id=pending.id) + "#tabel", 303)
    found = build_upload_preview(pending, pending.data(storage), obj)
    current = datasets.current_version(db.session, obj)
    return render_template("datasets/preview.html", dataset=obj, upload=pending, found=found, current=current,
                           csrf_form=ConfirmForm())


@bp.post("/<int:dataset_id>/unggah/<upload_id>/simpan")
@permission_required("dataset.update", _load)
def confirm(dataset_id: int, upload_id: str, obj: Dataset):
    storage = get_storage()
    pending = _own_upload(obj, upload_id)
    if pending is None:
        return _gone(obj)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _apply_choices(pending)
    pending.save(storage)
    back = url_for("datasets.preview", dataset_id=obj.id, upload_id=pending.id)
    db.session.commit()  # parse the file outside a transaction (SQLite's write lock)
    found = build_upload_preview(pending, pending.data(storage), obj)
    if found.table is None:
        flash(str(found.error) if found.error else _l("Choose the sheet that holds the table."), "error")
        return redirect(back, 303)
    table = found.table
    options = {"origin": f"upload:{pending.filename}", "row_numbers": table.row_numbers,
               "number_formats": table.number_formats}
    try:
        if pending.correction:
            result = datasets.correct(db.session, current_user, obj, table.records(), note=pending.note,
                                      **options)
        else:
            result = datasets.ingest(db.session, obj, table.records(), author=current_user, **options)
    except datasets.UpdateRefused as exc:
        db.session.rollback()
        return render_template("datasets/result.html", dataset=obj, upload=pending, status="refused",
                               errors=exc.errors[:ERRORS_SHOWN], error_count=len(exc.errors), back=back,
                               csrf_form=ConfirmForm()), 422
    except ValidationError as exc:
        show_errors(exc)
        return redirect(back, 303)
    except Forbidden:
        db.session.rollback()
        abort(403)
    db.session.commit()
    pending.discard(storage)
    version = result.version
    previous = db.session.scalar(select(DatasetVersion).where(
        DatasetVersion.dataset_id == obj.id, DatasetVersion.number < version.number)
        .order_by(DatasetVersion.number.desc()).limit(1)) if version else None
    return render_template(
        "datasets/result.html", dataset=obj, upload=pending, status=result.status, version=version,
        diff=describe_diff(version, obj, _row_labels(obj, version, previous)) if version else None,
        changes=[str(c.message) for c in result.changes], flags=result.flags, csrf_form=ConfirmForm(),
        back=back)


@bp.post("/<int:dataset_id>/unggah/<upload_id>/batal")
@permission_required("dataset.update", _load)
def cancel(dataset_id: int, upload_id: str, obj: Dataset):
    pending = _own_upload(obj, upload_id)
    if pending is not None and ConfirmForm().validate_on_submit():
        pending.discard(get_storage())
        flash(_l("Cancelled: the file was deleted and nothing changed."), "success")
    return redirect(url_for("datasets.detail", dataset_id=obj.id), 303)


# API tokens ----------------------------------------------------------------------------------------
@bp.route("/token", methods=["GET", "POST"])
@permission_required("app.enter")
def tokens():
    opds = _editable_opds()
    if not opds:
        abort(403)
    form = ApiTokenForm()
    form.opd_id.choices = choices((o.id, o.short_name) for o in opds)
    created, secret = None, None
    if form.validate_on_submit():
        opd = next(o for o in opds if o.id == form.opd_id.data)
        try:
            created, secret = datasets.create_token(db.session, current_user, opd, form.name.data or "")
        except ValidationError as exc:
            show_errors(exc, form)
        except Forbidden:
            db.session.rollback()
            abort(403)
        else:
            db.session.commit()
            form.name.data = ""
    found = db.session.scalars(select(ApiToken).where(ApiToken.opd_id.in_([o.id for o in opds]))
                               .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc()))
    creators = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        select(ApiToken.created_by_id).where(ApiToken.opd_id.in_([o.id for o in opds])))))}
    # The secret is in this one response only (never in a flash: flashes live in the cookie).
    return render_template("datasets/tokens.html", form=form, tokens=list(found), created=created,
                           secret=secret, creators=creators, csrf_form=ConfirmForm()), (
        400 if form.errors else 200)


@bp.post("/token/<int:token_id>/cabut")
@permission_required("dataset.edit", lambda token_id: _load_token(token_id))
def revoke_token(token_id: int, obj: ApiToken):
    if ConfirmForm().validate_on_submit():
        attempt(lambda: datasets.revoke_token(db.session, current_user, obj),
                _l("Revoked: pushes with this token are refused from now on."))
    return redirect(url_for("datasets.tokens"), 303)
