"""The public data centre at /data and its JSON read API at /api/v1/datasets.

No login: anyone reads a public dataset (``services.datasets.is_public``): its latest chart,
the data as a table, every version with its corrections, downloads of any version and the
same data as JSON. An internal or unknown dataset is a plain 404 everywhere, so nobody can
tell the two apart. Columns hidden for personal data never appear (the service drops them).

Downloads:
- CSV: UTF-8 with a byte order mark (Excel then reads the accents), comma-separated per
  RFC 4180, headers as stored, numbers in plain notation (``2325.173``) and dates in ISO, so
  any program reads the exact stored values whatever its locale. A comma rather than the
  semicolon that Indonesian Excel expects, because a semicolon file with dot decimals
  would be misread there anyway; Excel users get the XLSX, whose cells are real numbers.
  One exception to "exact": a text cell or header that a spreadsheet would run as a formula
  (``=…``, ``@…``, or ``+``/``-`` followed by more than a number) is prefixed with ``'``.
- XLSX: the same columns as typed cells (numbers, dates, text that is never a formula),
  and a second sheet saying what the data is, where it comes from and its licence.

The API answers JSON with a stable error shape (``{"error": {"code", "message"}}``), allows
any origin (it is public, read-only and uses no cookies), and carries an ETag built from the
version's content hash and what else the answer shows, so a client revalidates cheaply.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_babel import get_locale
from markupsafe import escape

from pressroom import db, formatting
from pressroom.datasets.values import decimal_text
from pressroom.i18n import _l, _ln
from pressroom.models import Dataset, DatasetVersion
from pressroom.services import data_catalogue, datasets
from pressroom.web.pagination import Page, paginate
from pressroom.web.public_pages import image_view, page_cache, public_url

bp = Blueprint("data", __name__)

#: Datasets per catalogue page, and per API page (default and most a client may ask for).
PER_PAGE = 24
API_PER_PAGE = 50
API_MAX_PER_PAGE = 100
#: Rows shown in the page's table; the downloads and the API always carry them all.
TABLE_ROWS = 500
NUMERIC = ("integer", "decimal", "percent")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: How long browsers and proxies may reuse an answer before asking again (seconds).
API_MAX_AGE = 60
DOWNLOAD_MAX_AGE = 300


def _lang() -> str:
    return str(get_locale() or "id")


def _dataset_or_404(slug: str) -> Dataset:
    dataset = data_catalogue.find_public(db.session, slug)
    if dataset is None:
        abort(404)
    return dataset


# What people see ----------------------------------------------------------------------------------------
def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def display_cell(value: Any, kind: str, lang: str) -> str:
    """A stored value for people: numbers and dates as the reader's language writes them,
    every stored decimal kept (``2.325,173``); codes and years as they are."""
    if value is None:
        return "–"
    if kind == "integer":
        return formatting.number(value, lang)
    if kind in ("decimal", "percent"):
        text = formatting.number(value, lang, decimals=_places(Decimal(value)))
        return f"{text}%" if kind == "percent" else text
    if kind == "date":
        return formatting.day(value, lang)
    return str(value)


def embed_snippet(image: dict[str, Any]) -> str:
    """The HTML another site pastes to show the chart: the image at its public address, its alt text."""
    return (f'<img src="{escape(image["absolute"])}" alt="{escape(image["alt"])}" '
            f'width="{image["width"]}" height="{image["height"]}">')


def _description(dataset: Dataset) -> str:
    text = " ".join((dataset.description or "").split())
    if not text:
        text = str(_l("Open data from %(opd)s.", opd=dataset.opd.name))
    return text if len(text) <= 200 else text[:197].rsplit(" ", 1)[0] + "…"


# Pages ------------------------------------------------------------------------------------------------------
@bp.get("/data")
def catalogue():
    """Every public dataset: search the title and description, filter by OPD and topic."""
    q = " ".join(request.args.get("q", "").split())[:100]
    opd = request.args.get("opd", "").strip()[:32]
    topic = request.args.get("topik", "").strip()[:80]
    ids = data_catalogue.public_dataset_ids(db.session, q=q, opd_code=opd, topic=topic)
    page = paginate(db.session, data_catalogue.catalogue_query(ids), per_page=PER_PAGE)
    covers = {dataset_id: image_view(image)
              for dataset_id, image in data_catalogue.cover_images(db.session, page.items).items()}
    updated = {d.id: v.created_at for d in page.items
               if (v := datasets.current_version(db.session, d)) is not None}
    opds, topics = data_catalogue.facets(db.session)
    filtered = bool(q or opd or topic)
    response = Response(render_template(
        "data/catalogue.html", page=page, covers=covers, updated=updated, opds=opds, topics=topics, q=q,
        opd=opd, topic=topic, filtered=filtered,
        count_text=_ln("%(num)s dataset", "%(num)s datasets", page.total),
        canonical=public_url("data.catalogue")))
    return page_cache(response)


@bp.get("/data/<dataset_slug>")
def dataset(dataset_slug: str):
    """One public dataset: chart, facts, corrections, the data, versions, downloads, embed."""
    item = _dataset_or_404(dataset_slug)
    version = datasets.current_version(db.session, item)
    hidden = datasets.hidden_columns(item)
    lang = _lang()
    table = data_catalogue.public_table(item, version)
    shown = table.rows[:TABLE_ROWS]
    cells = [[{"text": display_cell(row[c["name"]], c["type"], lang), "numeric": c["type"] in NUMERIC,
               "header": c["name"] == table.label} for c in table.columns] for row in shown]
    history = data_catalogue.public_versions(db.session, item)
    numbers = {v.id: v.number for v in history}
    entries = [{"version": v, "summary": data_catalogue.change_summary(v, hidden),
                "corrects": numbers.get(v.corrects_version_id)} for v in history]
    images = [image_view(i) for i in data_catalogue.chart_images(version)]
    embed_code = embed_snippet(images[0]) if images else ""
    share = data_catalogue.share_image(version)
    response = Response(render_template(
        "data/dataset.html", dataset=item, version=version, table=table, cells=cells,
        truncated=len(table.rows) > len(shown), entries=entries,
        corrections=[e for e in entries if e["version"].correction_note],
        images=images, embed_code=embed_code, share=image_view(share) if share else None,
        description=_description(item),
        canonical=public_url("data.dataset", dataset_slug=item.slug),
        api_url=public_url("data.api_dataset", dataset_slug=item.slug)))
    return page_cache(response)


# Downloads -------------------------------------------------------------------------------------------------
def _download_version(slug: str, number: int) -> tuple[Dataset, DatasetVersion]:
    item = _dataset_or_404(slug)
    version = data_catalogue.public_version(db.session, item, number)
    if version is None:
        abort(404)
    return item, version


def _tag(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:40]


def _not_modified(tag: str, cache_control: str) -> Response | None:
    if request.if_none_match.contains(tag):
        response = Response(status=304)
        response.set_etag(tag)
        response.headers["Cache-Control"] = cache_control
        return response
    return None


#: A text cell a spreadsheet would evaluate: "=…", "@…", a tab or CR first, or "+"/"-" followed
#: by anything but a plain number.
_FORMULA = re.compile(r"^(?:[=@\t\r]|[+-](?![\d\s.,]*$))")


def csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if kind not in NUMERIC and _FORMULA.match(text):
        return "'" + text
    return text


def _download(item: Dataset, version: DatasetVersion, fmt: str, body_of, mimetype: str,
              *parts: object) -> Response:
    cache_control = f"public, max-age={DOWNLOAD_MAX_AGE}"
    tag = _tag(fmt, version.id, version.content_hash, sorted(datasets.hidden_columns(item)), *parts)
    cached = _not_modified(tag, cache_control)
    if cached is not None:
        return cached
    response = Response(body_of(), mimetype=mimetype)
    filename = f"{item.slug}-v{version.number}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = cache_control
    response.set_etag(tag)
    return response


@bp.get("/data/<dataset_slug>/v<int:version_number>.csv")
def download_csv(dataset_slug: str, version_number: int):
    item, version = _download_version(dataset_slug, version_number)

    def body() -> bytes:
        table = data_catalogue.public_table(item, version)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([csv_value(c["name"], "text") for c in table.columns])
        for row in table.rows:
            writer.writerow([csv_value(row[c["name"]], c["type"]) for c in table.columns])
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    return _download(item, version, "csv", body, "text/csv")


@bp.get("/data/<dataset_slug>/v<int:version_number>.xlsx")
def download_xlsx(dataset_slug: str, version_number: int):
    item, version = _download_version(dataset_slug, version_number)
    about = _about(item, version)
    response = _download(item, version, "xlsx", lambda: _workbook(item, version, about), XLSX_TYPE,
                         json.dumps(about, ensure_ascii=False, default=str))
    response.vary.add("Cookie")  # the second sheet speaks the reader's language
    return response


def _about(item: Dataset, version: DatasetVersion) -> list[tuple[str, str]]:
    """The facts printed on the workbook's second sheet, in the reader's language."""
    facts = [
        (_l("Title"), item.title), (_l("Description"), item.description), (_l("OPD"), item.opd.name),
        (_l("Topic"), item.topic), (_l("Unit"), item.unit), (_l("Source"), item.source_line),
        (_l("Processed by"), item.processed_by), (_l("Period"), item.period),
        (_l("Figures"), _l("provisional") if item.provisional else _l("final")),
        (_l("Licence"), item.licence), (_l("Update frequency"), item.update_frequency),
        (_l("Version"), str(version.number)), (_l("Published"), formatting.wib(version.created_at, _lang())),
        (_l("Correction"), version.correction_note or ""),
        (_l("Address"), public_url("data.dataset", dataset_slug=item.slug)),
    ]
    return [(str(label), str(value or "")) for label, value in facts if value]


def _exact_float(value: Decimal) -> float | None:
    """The float that writes back as exactly ``value``, or None when there is none."""
    number = float(value)
    if math.isfinite(number) and Decimal(repr(number)) == value:
        return number
    return None


def _workbook(item: Dataset, version: DatasetVersion, about: list[tuple[str, str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    table = data_catalogue.public_table(item, version)
    book = Workbook(write_only=True)
    book.properties.title = item.title[:200]
    book.properties.creator = current_app.config["SITE_NAME"]
    sheet = book.create_sheet("Data")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def text_cell(value: str, font: Font | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # never a formula, whatever the text starts with
        if font is not None:
            cell.font = font
        return cell

    def cell(value: Any, kind: str) -> Any:
        if value is None:
            return None
        if isinstance(value, Decimal):
            number = _exact_float(value)
            return number if number is not None else text_cell(decimal_text(value))
        if isinstance(value, date):
            dated = WriteOnlyCell(sheet, value=value)
            dated.number_format = "yyyy-mm-dd"
            return dated
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return text_cell(str(value))

    sheet.append([text_cell(c["name"], bold) for c in table.columns])
    for row in table.rows:
        sheet.append([cell(row[c["name"]], c["type"]) for c in table.columns])
    info = book.create_sheet(str(_l("About"))[:31])
    for label, value in about:
        info.append([text_cell(label, bold), text_cell(value)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# The JSON read API ------------------------------------------------------------------------------------------
API_ENDPOINTS = ("data.api_datasets", "data.api_dataset")


@bp.after_request
def _cors(response: Response) -> Response:
    """Any site may read the public API (no cookies, no writes); nothing else gets CORS."""
    if request.endpoint in API_ENDPOINTS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


def api_error(code: str, message: object, status: int) -> Response:
    response = jsonify(error={"code": code, "message": str(message)})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _not_found() -> Response:
    return api_error("not_found", _l("There is no public dataset here."), 404)


def _int_arg(name: str, default: int | None, low: int, high: int | None = None) -> int | None:
    """A whole-number query parameter, or ValueError when it is not one in range."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ValueError(name)
    value = int(raw)
    if value < low or (high is not None and value > high):
        raise ValueError(name)
    return value


def _api_meta(item: Dataset, version: DatasetVersion) -> dict[str, Any]:
    return {
        "slug": item.slug,
        "title": item.title,
        "description": item.description,
        "opd": {"code": item.opd.code, "name": item.opd.name, "short_name": item.opd.short_name},
        "topic": item.topic,
        "unit": item.unit,
        "source": item.source_line,
        "processed_by": item.processed_by,
        "period": item.period,
        "licence": item.licence,
        "update_frequency": item.update_frequency,
        "provisional": bool(item.provisional),
        "current_version": version.number,
        "updated_at": version.created_at.isoformat(),
        "url": public_url("data.dataset", dataset_slug=item.slug),
        "api_url": public_url("data.api_dataset", dataset_slug=item.slug),
    }


def _version_meta(item: Dataset, version: DatasetVersion, corrects: int | None) -> dict[str, Any]:
    return {
        "number": version.number,
        "created_at": version.created_at.isoformat(),
        "data_date": version.data_date.isoformat() if version.data_date else None,
        "row_count": version.row_count,
        "current": version.id == item.current_version_id,
        "correction_note": version.correction_note,
        "corrects_version": corrects,
        "csv_url": public_url("data.download_csv", dataset_slug=item.slug, version_number=version.number),
        "xlsx_url": public_url("data.download_xlsx", dataset_slug=item.slug, version_number=version.number),
    }


def json_value(value: Any) -> Any:
    """A typed value for JSON: decimals as numbers when a float writes them back exactly (as
    text otherwise, so nothing is rounded), dates in ISO."""
    if isinstance(value, Decimal):
        number = _exact_float(value)
        return number if number is not None else decimal_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json_response(payload: dict[str, Any], tag: str | None = None) -> Response:
    response = jsonify(payload)
    response.headers["Cache-Control"] = f"public, max-age={API_MAX_AGE}"
    response.set_etag(tag or hashlib.sha256(response.get_data()).hexdigest()[:40])
    return response.make_conditional(request)


@bp.get("/api/v1/datasets")
def api_datasets():
    """Public datasets, newest data first; ``?page=``, ``?per_page=`` (at most 100), and the
    catalogue's filters ``?q=``, ``?opd=`` (an OPD code) and ``?topic=``."""
    try:
        page_number = _int_arg("page", 1, 1)
        per_page = _int_arg("per_page", API_PER_PAGE, 1, API_MAX_PER_PAGE)
    except ValueError as bad:
        return api_error("bad_request", _l("The parameter %(name)s must be a whole number in range.",
                                           name=str(bad)), 400)
    ids = data_catalogue.public_dataset_ids(
        db.session, q=" ".join(request.args.get("q", "").split())[:100],
        opd_code=request.args.get("opd", "").strip()[:32], topic=request.args.get("topic", "").strip()[:80])
    page: Page = paginate(db.session, data_catalogue.catalogue_query(ids), per_page=per_page)
    items = []
    for item in page.items:
        version = datasets.current_version(db.session, item)
        items.append(_api_meta(item, version))

    def link(number: int) -> str:
        args = {**request.args.to_dict(), "page": number}
        return public_url("data.api_datasets", **args)

    payload = {
        "data": items,
        "meta": {"page": page_number, "per_page": per_page, "total": page.total, "pages": page.pages},
        "links": {"self": link(page_number), "next": link(page_number + 1) if page.has_next else None,
                  "prev": link(page_number - 1) if page.has_prev else None},
    }
    return _json_response(payload)


@bp.get("/api/v1/datasets/<dataset_slug>")
def api_dataset(dataset_slug: str):
    """One public dataset: metadata, its versions, and the rows of the current version
    (or ``?version=N``), hidden columns dropped."""
    item = data_catalogue.find_public(db.session, dataset_slug)
    if item is None:
        return _not_found()
    try:
        number = _int_arg("version", None, 1)
    except ValueError:
        return api_error("bad_request", _l("The parameter %(name)s must be a whole number in range.",
                                           name="version"), 400)
    version = data_catalogue.public_version(db.session, item, number)
    if version is None:
        return api_error("not_found", _l("This dataset has no public version %(number)s.", number=number),
                         404)
    current = datasets.current_version(db.session, item)
    history = data_catalogue.public_versions(db.session, item)
    numbers = {v.id: v.number for v in history}
    meta = _api_meta(item, current)
    versions = [_version_meta(item, v, numbers.get(v.corrects_version_id)) for v in history]
    hidden = sorted(datasets.hidden_columns(item))
    tag = _tag("api", version.id, version.content_hash, hidden,
               json.dumps([meta, versions], sort_keys=True, ensure_ascii=False, default=str))
    cached = _not_modified(tag, f"public, max-age={API_MAX_AGE}")
    if cached is not None:
        return cached
    table = data_catalogue.public_table(item, version)
    payload = {"data": {
        **meta,
        "version": _version_meta(item, version, numbers.get(version.corrects_version_id)),
        "columns": table.columns,
        "rows": [{c["name"]: json_value(row[c["name"]]) for c in table.columns} for row in table.rows],
        "versions": versions,
    }}
    return _json_response(payload, tag)
