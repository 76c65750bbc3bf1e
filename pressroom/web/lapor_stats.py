"""Lapor Gub's public statistics page at /lapor/statistik (no login).

Province-wide and all-time by default; one of OPD, category or region at a time, over a
range of months (WIB). Every figure comes from the rollups (services/complaint_stats.py),
so the page is cheap whatever the number of reports and never stale. Each headline figure
carries its exact value in a ``<data value>`` element, for people's tools and for the
benchmark that checks the page against a direct count.
"""

from __future__ import annotations

import functools
import re
from datetime import date

from babel import dates
from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from pressroom import db, formatting
from pressroom.i18n import _l
from pressroom.models import ComplaintCategory, Opd, Region
from pressroom.services import complaint_stats
from pressroom.services.complaint_stats import Figures, Selection
from pressroom.web.public_pages import public_url

bp = Blueprint("lapor_stats", __name__)

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
DIMENSION_ARGS = (("opd", "opd"), ("kategori", "category"), ("wilayah", "region"))


def _lang() -> str:
    return str(get_locale() or "id")


def _month(text: str) -> date | None:
    match = MONTH_RE.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_label(value: date, lang: str) -> str:
    """``Maret 2026``."""
    return dates.format_date(value, format="LLLL y", locale=formatting.LOCALES.get(lang, "id_ID"))


@functools.lru_cache(maxsize=4096)
def _hours(value: int | None, lang: str) -> str:
    if value is None:
        return "–"
    if value >= complaint_stats.LAST_BUCKET:
        return str(_l("%(hours)s hours or more", hours=formatting.number(value, lang)))
    return str(_l("%(hours)s hours", hours=formatting.number(value, lang)))


# Formatting the same figure always gives the same text: memoised, as a page has hundreds.
@functools.lru_cache(maxsize=4096)
def _number(value: int, lang: str) -> str:
    return formatting.number(value, lang)


@functools.lru_cache(maxsize=4096)
def _share(value: float | None, lang: str) -> str:
    return "–" if value is None else formatting.percent(value, lang)


def view_figures(figures: Figures, lang: str) -> dict:
    """What the template shows of one set of figures, formatted for people."""
    median = figures.median_hours
    return {
        "received": figures.received,
        "received_text": _number(figures.received, lang),
        "resolved": figures.resolved,
        "resolved_share": _share(figures.resolved_share, lang),
        "responded": figures.responded,
        "responded_24h": figures.responded_24h,
        "within_24h_share": _share(figures.within_24h_share, lang),
        "median": median,
        "median_text": _hours(median, lang),
    }


def _choices():
    opds = list(db.session.scalars(select(Opd).where(Opd.is_active.is_(True)).order_by(Opd.name)))
    categories = list(db.session.scalars(select(ComplaintCategory).order_by(ComplaintCategory.name)))
    regions = list(db.session.scalars(select(Region).order_by(Region.code)))
    return opds, categories, regions


def _selection(opds, categories, regions) -> tuple[Selection, dict, list[str]]:
    """Read the filters; anything unknown is dropped with a notice, never an error page."""
    notices: list[str] = []
    chosen = {"opd": request.args.get("opd", "").strip()[:40],
              "kategori": request.args.get("kategori", "").strip()[:40],
              "wilayah": request.args.get("wilayah", "").strip()[:10],
              "dari": request.args.get("dari", "").strip()[:7],
              "sampai": request.args.get("sampai", "").strip()[:7]}
    keys = {
        "opd": {o.code: (str(o.id), o.name) for o in opds},
        "kategori": {c.code: (str(c.id), c.name) for c in categories},
        "wilayah": {r.code: (r.code, r.name) for r in regions},
    }
    dimension, key, label = "all", "", ""
    for arg, name in DIMENSION_ARGS:
        value = chosen[arg]
        if not value:
            continue
        if value not in keys[arg]:
            notices.append(str(_l("The chosen filter is unknown; it was left out.")))
            chosen[arg] = ""
        elif dimension != "all":
            notices.append(str(_l("The figures cover one of OPD, category or region at a time; "
                                  "showing %(what)s.", what=label)))
            chosen[arg] = ""
        else:
            dimension, (key, label) = name, keys[arg][value]
    start, end = _month(chosen["dari"]), _month(chosen["sampai"])
    for arg, value in (("dari", start), ("sampai", end)):
        if chosen[arg] and value is None:
            notices.append(str(_l("Give months as YYYY-MM (e.g. 2026-03); that one was left out.")))
            chosen[arg] = ""
    if start and end and end < start:
        start, end = end, start
        chosen["dari"], chosen["sampai"] = f"{start:%Y-%m}", f"{end:%Y-%m}"
    return Selection(dimension, key, start, end), {**chosen, "label": label}, notices



@bp.get("/lapor/statistik")
def statistics():
    lang = _lang()
    opds, categories, regions = _choices()
    selection, chosen, notices = _selection(opds, categories, regions)
    overview = complaint_stats.overview(db.session, selection)
    first = selection.start or overview.first_month
    last = selection.end or overview.last_month
    if selection.start or selection.end:
        period = (f"{month_label(first, lang)} – {month_label(last, lang)}" if first and last
                  else month_label(first or last, lang))
    else:
        period = str(_l("All time")) + (f" ({month_label(first, lang)} – {month_label(last, lang)})"
                                        if first and last else "")
    name = current_app.config.get("LAPOR_NAME") or "Lapor Gub"
    total = view_figures(overview.total, lang)
    tables = {dimension: [{"label": row.label, **view_figures(row.figures, lang)} for row in rows]
              for dimension, rows in overview.tables.items()}
    months = [{"label": month_label(month, lang), **view_figures(figures, lang)}
              for month, figures in overview.months]
    description = str(_l("%(name)s in figures: %(received)s reports received, %(resolved)s resolved, "
                         "%(within)s answered within 24 hours.", name=name, received=total["received_text"],
                         resolved=total["resolved_share"], within=total["within_24h_share"]))
    response = Response(render_template(
        "lapor/statistics.html", name=name, total=total, tables=tables, months=months, period=period,
        chosen=chosen, notices=notices, opds=opds, categories=categories, regions=regions,
        filtered=any(chosen[a] for a in ("opd", "kategori", "wilayah", "dari", "sampai")),
        description=description, canonical=public_url("lapor_stats.statistics")))
    response.vary.add("Cookie")
    # Revalidated on every visit: the figures follow each change of a report.
    response.headers["Cache-Control"] = "private, no-store" if current_user.is_authenticated else "no-cache"
    return response
