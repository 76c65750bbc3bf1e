"""What the public data centre reads: which datasets are public, their public versions, their
rows without the hidden columns, and the images that go with them. Nothing here writes.

A dataset is public while ``datasets.is_public`` says so (approved and unchanged since). That
test compares a hash of what was approved, so it runs in Python: the catalogue first narrows
to approved datasets in SQL, then keeps the ones still public, and hands the web layer a
query over those ids to paginate. Columns in ``datasets.hidden_columns`` never leave here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pressroom.datasets import diff as diffs
from pressroom.i18n import _l
from pressroom.models import Dataset, DatasetImage, DatasetVersion, Opd
from pressroom.services import datasets

#: Version states the public sees: the current one and the ones it replaced (corrections
#: included). Held, submitted and rejected schema changes stay internal.
PUBLIC_VERSION_STATES = ("current", "superseded")
#: The chart shown on the page and in posts; carousels are its pages.
PAGE_PRESET = "portrait"
#: Link previews (Open Graph, X cards) are wide: the 16:9 image fits them best.
SHARE_PRESET = "landscape"


# Which datasets are public ------------------------------------------------------------------------
def _folded(text: str) -> str:
    """Text for matching: case and accents ignored, whitespace collapsed."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def public_dataset_ids(session: Session, *, q: str = "", opd_code: str = "", topic: str = "") -> list[int]:
    """Ids of the public datasets matching every word of ``q`` (in the title or description),
    the OPD (by code) and the topic; an empty filter matches everything."""
    query = select(Dataset).where(Dataset.state == "approved")
    if opd_code:
        query = query.join(Opd, Opd.id == Dataset.opd_id).where(Opd.code == opd_code)
    if topic:
        query = query.where(Dataset.topic == topic)
    words = _folded(q).split()
    found = []
    for dataset in session.scalars(query):
        if not datasets.is_public(dataset):
            continue
        haystack = _folded(f"{dataset.title} {dataset.description}")
        if all(word in haystack for word in words):
            found.append(dataset.id)
    return found


def catalogue_query(ids: Sequence[int]) -> Select:
    """The catalogue's list over ``ids``: the most recently updated data first, then by title."""
    return (select(Dataset)
            .outerjoin(DatasetVersion, DatasetVersion.id == Dataset.current_version_id)
            .where(Dataset.id.in_(list(ids)))
            .order_by(DatasetVersion.created_at.desc(), Dataset.title, Dataset.id))


def facets(session: Session) -> tuple[list[Opd], list[str]]:
    """The OPDs and topics that have public datasets (for the catalogue's filters)."""
    public = [d for d in session.scalars(select(Dataset).where(Dataset.state == "approved"))
              if datasets.is_public(d)]
    opds = sorted({d.opd.id: d.opd for d in public}.values(), key=lambda o: o.short_name.casefold())
    topics = sorted({d.topic for d in public if d.topic}, key=str.casefold)
    return opds, topics


def find_public(session: Session, slug: str) -> Dataset | None:
    """The public dataset at ``slug``; None for an unknown or internal one alike."""
    dataset = session.scalar(select(Dataset).where(Dataset.slug == slug))
    if dataset is None or not datasets.is_public(dataset) or dataset.current_version_id is None:
        return None
    return dataset


# Versions ----------------------------------------------------------------------------------------------
def public_versions(session: Session, dataset: Dataset) -> list[DatasetVersion]:
    """The versions the public sees, newest first."""
    return list(session.scalars(select(DatasetVersion).where(
        DatasetVersion.dataset_id == dataset.id, DatasetVersion.state.in_(PUBLIC_VERSION_STATES))
        .order_by(DatasetVersion.number.desc())))


def public_version(session: Session, dataset: Dataset, number: int | None = None) -> DatasetVersion | None:
    """Version ``number`` of a public dataset if the public may see it (default: the current one)."""
    if number is None:
        return datasets.current_version(session, dataset)
    return session.scalar(select(DatasetVersion).where(
        DatasetVersion.dataset_id == dataset.id, DatasetVersion.number == number,
        DatasetVersion.state.in_(PUBLIC_VERSION_STATES)))


def change_summary(version: DatasetVersion, hidden: Iterable[str] = ()) -> list[object]:
    """What a version changed, in lines for people (counts only: no cell of a hidden column)."""
    stored = version.diff or {}
    if version.number == 1 or not stored:
        return [_l("First version.")]
    hidden = set(hidden)
    change = diffs.Diff(
        stored.get("key"), added=list(stored.get("added") or []), removed=list(stored.get("removed") or []),
        changed=[diffs.ChangedRow(c.get("key"), tuple(
            diffs.CellChange(x.get("column"), x.get("old"), x.get("new")) for x in c.get("changes") or []))
            for c in stored.get("changed") or []],
        unchanged=int(stored.get("unchanged") or 0),
        columns_added=[c for c in stored.get("columns_added") or [] if c not in hidden],
        columns_removed=[c for c in stored.get("columns_removed") or [] if c not in hidden])
    lines = [change.summary()]
    if change.columns_added:
        lines.append(_l("New columns: %(columns)s.", columns=", ".join(change.columns_added)))
    if change.columns_removed:
        lines.append(_l("Columns removed: %(columns)s.", columns=", ".join(change.columns_removed)))
    return lines


# Rows ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PublicTable:
    """A version's rows as the public sees them: typed values, hidden columns dropped."""

    #: [{"name", "type"}] in the version's column order.
    columns: list[dict[str, str]]
    rows: list[dict[str, Any]]
    #: The column naming each row (a table's row header): a name beside a code, else the key.
    label: str | None


def public_table(dataset: Dataset, version: DatasetVersion) -> PublicTable:
    hidden = datasets.hidden_columns(dataset)
    schema = datasets.schema_of(version, dataset.key_column)
    columns = [{"name": c.name, "type": c.type} for c in schema.columns if c.name not in hidden]
    names = [c["name"] for c in columns]
    rows = [{name: row.get(name) for name in names} for row in diffs.rows_from_json(version.rows, schema)]
    texts = [c["name"] for c in columns if c["type"] == "text"]
    label = texts[0] if texts else (schema.key if schema.key in names else (names[0] if names else None))
    return PublicTable(columns, rows, label)


# Images -------------------------------------------------------------------------------------------------
def chart_images(version: DatasetVersion) -> list[DatasetImage]:
    """The version's chart as the page shows it: the portrait image or carousel pages in
    order (another preset when no portrait one was rendered); empty before rendering."""
    images = list(version.images)
    if not images:
        return []
    preset = PAGE_PRESET if any(i.preset == PAGE_PRESET for i in images) else images[0].preset
    return sorted((i for i in images if i.preset == preset), key=lambda i: i.page)


def share_image(version: DatasetVersion) -> DatasetImage | None:
    """The image a shared link shows: the wide one when rendered, else the page's first."""
    wide = [i for i in version.images if i.preset == SHARE_PRESET and i.page == 0]
    if wide:
        return wide[0]
    pages = chart_images(version)
    return pages[0] if pages else None


def cover_images(session: Session, items: Iterable[Dataset]) -> dict[int, DatasetImage]:
    """Each dataset's latest chart (its current version's first page), by dataset id."""
    by_version = {d.current_version_id: d.id for d in items if d.current_version_id}
    if not by_version:
        return {}
    found: dict[int, DatasetImage] = {}
    images = session.scalars(select(DatasetImage).where(DatasetImage.version_id.in_(list(by_version)))
                             .order_by(DatasetImage.version_id, DatasetImage.page))
    for image in images:
        dataset_id = by_version[image.version_id]
        mine = found.get(dataset_id)
        if mine is None or (image.preset == PAGE_PRESET and mine.preset != PAGE_PRESET):
            found[dataset_id] = image
    return found
