"""From a dataset version to its infographics, and from those to a draft post.

``render_version`` draws every preset of a version's chart (through the image cache: the
same version + spec + preset + branding + public URL + renderer renders the same bytes, so
nothing is drawn twice) and records a ``DatasetImage`` per image. The worker calls it from a
tick (``jobs/ticks.render_versions``), never the web request; the staff page asks
``preview_png`` for a one-off preview. When the dataset says so, ``draft_post`` turns the
portrait images, their alt text and a drafted caption into a draft post of the owning OPD.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pressroom import charts
from pressroom.datasets import diff as diffs
from pressroom.datasets.schema import region_codes
from pressroom.models import Dataset, DatasetImage, DatasetVersion, Post, SocialAccount, User
from pressroom.services import datasets, posts
from pressroom.storage import LocalStorage

#: Presets rendered for every version; the portrait one goes into posts.
RENDER_PRESETS = ("portrait", "square", "landscape", "story")
POST_PRESET = "portrait"
#: Settings a dataset's chart may carry besides template, label and value (see charts.ChartSpec).
CHART_OPTIONS = ("mode", "top_n", "rest", "page_size", "target_column", "target", "entity")


def public_page(public_url: str, dataset: Dataset) -> str:
    return f"{public_url.rstrip('/')}/data/{dataset.slug}"


def branding_for(dataset: Dataset, version: DatasetVersion, storage: LocalStorage,
                 public_url: str) -> charts.Branding:
    opd = dataset.opd
    logo = None
    if opd.logo_key and storage.exists(opd.logo_key, public=True):
        logo = storage.get(opd.logo_key, public=True)
    data_date = version.data_date.date() if version.data_date else None
    return charts.Branding(
        opd_name=opd.name, primary=opd.primary_color or "#1f4e79", accent=opd.accent_color or "#f2a900",
        logo_png=logo, source=dataset.source_line, processed_by=dataset.processed_by, data_date=data_date,
        status="sementara" if dataset.provisional else "final", public_url=public_page(public_url, dataset))


def rows_for(dataset: Dataset, version: DatasetVersion) -> list[dict[str, Any]]:
    """Typed rows without the columns hidden for personal data; project rows gain ``lokasi``."""
    rows = diffs.rows_from_json(version.rows, datasets.schema_of(version, dataset.key_column))
    hidden = datasets.hidden_columns(dataset)
    clean = [{k: v for k, v in row.items() if k not in hidden} for row in rows]
    if dataset.kind == "progres":
        names = region_codes()
        for row in clean:
            row.setdefault("lokasi", names.get(str(row.get("kode_kabkota") or ""), row.get("kode_kabkota")))
            if isinstance(row.get("tanggal"), date):
                row["tanggal"] = row["tanggal"].isoformat()
    return clean


def specs_for(dataset: Dataset, version: DatasetVersion) -> list[charts.ChartSpec]:
    """The chart(s) of a version: the dataset's chart settings, or the progress kind's pair."""
    if dataset.kind == "progres":
        from pressroom.charts.kinds import project_specs

        return project_specs(dataset.title, dataset.period)
    chart = dict(dataset.chart or {})
    columns = [c["name"] for c in version.schema or []]
    numeric = [c["name"] for c in version.schema or [] if c.get("type") in ("integer", "decimal", "percent")]
    label = chart.get("label") if chart.get("label") in columns else _label_column(version, dataset)
    value = chart.get("value") if chart.get("value") in columns else (numeric[-1] if numeric else "")
    template = chart.get("template") if chart.get("template") in charts.TEMPLATES else "ranked_bar"
    options = {k: chart[k] for k in CHART_OPTIONS if chart.get(k) not in (None, "")}
    if template in ("line", "column", "big_number"):
        options.setdefault("entity", "tahun")
    return [charts.ChartSpec(template, dataset.title, value_column=value, label_column=label,
                             subtitle=dataset.period, unit=dataset.unit, **options)]


def _label_column(version: DatasetVersion, dataset: Dataset) -> str:
    """A readable label: a name column beside a code key (Kabupaten/Kota beside Kode), else the key."""
    texts = [c["name"] for c in version.schema or [] if c.get("type") == "text"]
    return texts[0] if texts else dataset.key_column


def render_version(session: Session, storage: LocalStorage, public_url: str, version: DatasetVersion,
                   presets: Iterable[str] = RENDER_PRESETS) -> list[DatasetImage]:
    """Draw (or take from the cache) every preset of the version's chart(s); replace its image rows."""
    dataset = session.get(Dataset, version.dataset_id)
    branding = branding_for(dataset, version, storage, public_url)
    rows = rows_for(dataset, version)
    cache = charts.ImageCache(storage, prefix="charts", public=True)
    # Alt text a person edited stays with an image whose pixels did not change (same cache key).
    edited = {(i.cache_key, i.storage_key): i.alt_text for i in session.scalars(
        select(DatasetImage).where(DatasetImage.version_id == version.id))}
    session.execute(delete(DatasetImage).where(DatasetImage.version_id == version.id))
    made: list[DatasetImage] = []
    for preset in presets:
        page = 0
        for spec in specs_for(dataset, version):
            key = charts.cache_key(version.content_hash, spec, preset, branding)
            images = cache.render(version.content_hash, rows, spec, branding, preset)
            for image, storage_key in zip(images, cache.storage_keys(key, images), strict=True):
                thumb_key = storage_key.rsplit(".", 1)[0] + "-thumb.jpg"
                if not storage.exists(thumb_key, public=True):
                    storage.put(thumb_key, image.thumbnail(), public=True)
                row = DatasetImage(version_id=version.id, preset=preset, page=page, cache_key=key,
                                   storage_key=storage_key, thumb_key=thumb_key, width=image.width,
                                   height=image.height,
                                   alt_text=edited.get((key, storage_key), image.alt_text)[:1000])
                session.add(row)
                made.append(row)
                page += 1
    session.flush()
    return made


def preview_png(session: Session, storage: LocalStorage, public_url: str, dataset: Dataset,
                preset: str = POST_PRESET) -> bytes:
    """A one-off preview of the current version's first image (cached like the real ones)."""
    version = datasets.current_version(session, dataset)
    if version is None:
        raise LookupError("no version yet")
    branding = branding_for(dataset, version, storage, public_url)
    spec = specs_for(dataset, version)[0]
    cache = charts.ImageCache(storage, prefix="charts", public=True)
    return cache.render(version.content_hash, rows_for(dataset, version), spec, branding, preset)[0].png


def draft_caption(session: Session, storage: LocalStorage, public_url: str, dataset: Dataset,
                  version: DatasetVersion) -> str:
    branding = branding_for(dataset, version, storage, public_url)
    spec = specs_for(dataset, version)[-1]
    return charts.draft_caption(rows_for(dataset, version), spec, branding)


def draft_post(session: Session, storage: LocalStorage, public_url: str, version: DatasetVersion,
               author: User, *, scheduled_at=None) -> Post:
    """A draft post of the owning OPD from the version's portrait images (at most 10, the
    platforms' carousel limit), their alt text and a caption drafted from the same numbers.
    It follows the publishing workflow from here: edited, submitted, approved by a person."""
    dataset = session.get(Dataset, version.dataset_id)
    images = [i for i in version.images if i.preset == POST_PRESET][:10]
    accounts = session.scalars(select(SocialAccount.id).where(
        SocialAccount.opd_id == dataset.opd_id, SocialAccount.is_active.is_(True))).all()
    post = posts.create_post(session, author, dataset.opd_id,
                             caption=draft_caption(session, storage, public_url, dataset, version),
                             variants={}, scheduled_at=scheduled_at, account_ids=list(accounts),
                             origin=f"dataset:{dataset.id}")
    for image in images:
        png = storage.get(image.storage_key, public=True)
        # add_image re-encodes to JPEG (Instagram accepts nothing else) with a phone preview.
        posts.add_image(session, author, storage, post, png, alt_text=image.alt_text)
    version.post_id = post.id
    return post

