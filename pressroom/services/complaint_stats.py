"""Lapor Gub's public statistics, read from the per-month rollups (``ComplaintRollup``) that
``services.complaints`` keeps right in the same transaction as every change of a report —
never counted from the reports themselves, so the page costs a few hundred small rows
whatever the number of reports, and is never stale.

Figures: received, resolved (share of received), the median time to the first response
(from the whole-hour histogram: the hour in which the middle report was first answered,
so ± 1 hour), and the share answered within 24 hours (wall-clock, of those received).
One selection at a time — everything, or one OPD, one category or one region — over a
range of months (WIB), because the rollups count along one dimension each.

Each month, last month's figures per OPD become a version of the data centre dataset
"Statistik Lapor Gub" of Diskominfo (``publish_month``), so the usual chart → draft post →
approval path makes the "Lapor Gub this month" infographic.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.i18n import _l
from pressroom.models import (
    ComplaintCategory,
    ComplaintRollup,
    Dataset,
    DatasetVersion,
    Membership,
    Opd,
    Region,
    User,
)

DIMENSIONS = ("opd", "category", "region")
#: The histogram's last bucket: 720 hours (30 days) and more.
LAST_BUCKET = 720
UNKNOWN_LABELS = {
    "opd": _l("Not yet passed to an OPD"),
    "category": _l("No category"),
    "region": _l("Region not given"),
}


#: Histogram bucket names in order ("0", "1", … "720"), as the rollups store them.
BUCKETS = tuple(str(hour) for hour in range(LAST_BUCKET + 1))


@functools.lru_cache(maxsize=16384)
def _histogram(stored: str | None) -> Mapping[str, int]:
    """A stored histogram (the rollup's JSON text), decoded; shared, so never changed."""
    return json.loads(stored) if stored else {}


@functools.lru_cache(maxsize=1024)
def _median(stored: tuple[str, ...]) -> int | None:
    """The whole hour in which the middle report of these histograms got its first response.

    Walks the hours upwards across the histograms until half the answered reports are passed
    (a median is usually a few hours, so few buckets are read). Memoised by the exact stored
    texts: decoding and walking a thousand histograms is most of what the statistics page
    would cost, and the same texts always give the same median. No figure is cached — every
    request reads the current rollup rows, and a histogram that changed is new text."""
    histograms = [_histogram(text) for text in stored]
    total = sum(sum(h.values()) for h in histograms)
    if not total:
        return None
    middle, seen = (total + 1) // 2, 0
    for hour, bucket in enumerate(BUCKETS):
        for histogram in histograms:
            seen += histogram.get(bucket, 0)
        if seen >= middle:
            return hour
    return None  # unreachable: every answered report is in a bucket


@dataclass
class Figures:
    """Counts of one selection, and the stored first-response histograms (JSON text of
    {whole hours: reports}) of the rollup rows it adds up."""

    received: int = 0
    resolved: int = 0
    responded: int = 0
    responded_24h: int = 0
    histograms: list[str] = field(default_factory=list)

    def add(self, received: int, resolved: int, responded: int, responded_24h: int,
            histogram: str | None) -> None:
        self.received += received
        self.resolved += resolved
        self.responded += responded
        self.responded_24h += responded_24h
        if histogram and responded:
            self.histograms.append(histogram)

    @property
    def hours(self) -> dict[int, int]:
        """The histograms added up."""
        total: dict[int, int] = {}
        for stored in self.histograms:
            for bucket, count in _histogram(stored).items():
                total[int(bucket)] = total.get(int(bucket), 0) + count
        return total

    @property
    def resolved_share(self) -> float | None:
        return self.resolved / self.received if self.received else None

    @property
    def within_24h_share(self) -> float | None:
        """Answered within 24 hours, of the reports received."""
        return self.responded_24h / self.received if self.received else None

    @property
    def median_hours(self) -> int | None:
        """The whole hour in which the middle report got its first response (± 1 hour);
        ``LAST_BUCKET`` means that many hours or more."""
        return _median(tuple(self.histograms)) if self.histograms else None


@dataclass(frozen=True)
class Selection:
    """What the figures cover: ``dimension`` "all" (province-wide) or one of DIMENSIONS with
    its rollup ``key``; months from ``start`` to ``end`` (first days, inclusive, WIB)."""

    dimension: str = "all"
    key: str = ""
    start: date | None = None
    end: date | None = None


@dataclass
class Row:
    key: str
    label: str
    figures: Figures


@dataclass
class Overview:
    selection: Selection
    total: Figures
    #: The selection month by month, oldest first.
    months: list[tuple[date, Figures]]
    #: Per OPD, per category, per region over the same months (province-wide), most received first.
    tables: dict[str, list[Row]]
    #: The first and last month any report was received in (None when there is none yet).
    first_month: date | None
    last_month: date | None


def month_of(moment: datetime) -> date:
    """The (WIB) month a moment falls in, as its first day — the rollups' ``month``."""
    return clock.to_wib(moment).date().replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _rollup_rows(session: Session, start: date | None, end: date | None, dimensions: Iterable[str]):
    """(month, dimension, key, received, resolved, responded, responded_24h, histogram JSON text)."""
    table = ComplaintRollup.__table__
    statement = select(table.c.month, table.c.dimension, table.c.key, table.c.received, table.c.resolved,
                       table.c.responded, table.c.responded_24h, cast(table.c.response_hours, Text)).where(
        table.c.dimension.in_(tuple(dimensions)))
    if start is not None:
        statement = statement.where(table.c.month >= start)
    if end is not None:
        statement = statement.where(table.c.month <= end)
    # In a stable order, so the same histograms make the same memo key from one request to the next.
    return session.execute(statement.order_by(table.c.month, table.c.dimension, table.c.key)).all()


def labels(session: Session) -> dict[str, dict[str, str]]:
    """Names for rollup keys: OPD id → OPD name, category id → name, region code → name."""
    return {
        "opd": {str(i): name for i, name in session.execute(select(Opd.id, Opd.name))},
        "category": {str(i): name for i, name in session.execute(
            select(ComplaintCategory.id, ComplaintCategory.name))},
        "region": {code: name for code, name in session.execute(select(Region.code, Region.name))},
    }


def month_range(session: Session) -> tuple[date | None, date | None]:
    table = ComplaintRollup.__table__
    first, last = session.execute(
        select(func.min(table.c.month), func.max(table.c.month)).where(
            table.c.dimension == "all", table.c.received > 0)).one()
    return first, last


def overview(session: Session, selection: Selection) -> Overview:
    """The selection's totals and months, and the per-dimension tables, in one pass over the
    rollup rows of the chosen months."""
    total = Figures()
    months: dict[date, Figures] = {}
    per: dict[str, dict[str, Figures]] = {d: {} for d in DIMENSIONS}
    for month, dimension, key, received, resolved, responded, within, hours in _rollup_rows(
            session, selection.start, selection.end, ("all", *DIMENSIONS)):
        counts = (received, resolved, responded, within, hours)
        if dimension == selection.dimension and key == selection.key:
            total.add(*counts)
            months.setdefault(month, Figures()).add(*counts)
        if dimension != "all":
            bucket = per[dimension].get(key)
            if bucket is None:
                bucket = per[dimension][key] = Figures()
            bucket.add(*counts)
    names = labels(session)
    tables = {}
    for dimension, found in per.items():
        rows = [Row(key, names[dimension].get(key) or str(UNKNOWN_LABELS[dimension]), figures)
                for key, figures in found.items() if figures.received]
        rows.sort(key=lambda r: (-r.figures.received, r.label))
        tables[dimension] = rows
    first, last = month_range(session)
    return Overview(selection, total, sorted(months.items()), tables, first, last)


def figures_by(session: Session, dimension: str, month: date) -> dict[str, Figures]:
    """One month's figures per key of ``dimension``."""
    found: dict[str, Figures] = {}
    for _month, _dimension, key, *counts in _rollup_rows(session, month, month, (dimension,)):
        found.setdefault(key, Figures()).add(*counts)
    return found


# The monthly data centre version -------------------------------------------------------------------
ORIGIN_PREFIX = "lapor-statistik:"
KEY_COLUMN = "kode_opd"
UNASSIGNED_CODE = "BELUM-DISPOSISI"


def _share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def month_rows(session: Session, month: date) -> list[dict[str, Any]]:
    """The dataset rows for one month: one per OPD that received reports (and one for reports
    not yet passed to an OPD)."""
    opds = {str(o.id): o for o in session.scalars(select(Opd))}
    rows = []
    for key, figures in figures_by(session, "opd", month).items():
        if not figures.received:
            continue
        opd = opds.get(key)
        rows.append({
            KEY_COLUMN: opd.code if opd else UNASSIGNED_CODE,
            "opd": opd.short_name if opd else str(UNKNOWN_LABELS["opd"]),
            "bulan": month.strftime("%Y-%m"),
            "diterima": figures.received,
            "tuntas": figures.resolved,
            "persen_tuntas": _share(figures.resolved, figures.received),
            "persen_dijawab_24_jam": _share(figures.responded_24h, figures.received),
            "median_jam_respons_pertama": figures.median_hours,
        })
    rows.sort(key=lambda r: (-r["diterima"], r["opd"]))
    return rows


def _dataset_author(session: Session, opd: Opd) -> User | None:
    """Who the dataset (and the posts drafted from it) belongs to: an editor of the OPD, else
    an admin of it."""
    for role in ("editor", "admin"):
        user = session.scalar(
            select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.opd_id == opd.id, Membership.role == role, Membership.ended_at.is_(None),
                   User.is_active.is_(True))
            .order_by(User.id).limit(1))
        if user is not None:
            return user
    return None


def stats_dataset(session: Session, config: Mapping[str, Any], *, create: bool = True) -> Dataset | None:
    """The "Statistik Lapor Gub" dataset of the statistics OPD (Diskominfo), created if missing
    (internal, drafting a post on every new version); None when the OPD or an author is missing."""
    from pressroom.services import datasets

    opd = session.scalar(select(Opd).where(Opd.code == (config.get("LAPOR_STATS_OPD") or "DISKOMINFO")))
    if opd is None:
        return None
    found = session.scalar(
        select(Dataset).join(DatasetVersion, DatasetVersion.dataset_id == Dataset.id)
        .where(Dataset.opd_id == opd.id, DatasetVersion.origin.startswith(ORIGIN_PREFIX))
        .order_by(Dataset.id).limit(1))
    name = config.get("LAPOR_NAME") or "Lapor Gub"
    title = f"Statistik {name}"
    found = found or session.scalar(select(Dataset).where(Dataset.opd_id == opd.id, Dataset.title == title)
                                    .order_by(Dataset.id).limit(1))
    if found is not None or not create:
        return found
    author = _dataset_author(session, opd)
    if author is None:
        return None
    return datasets.create_dataset(
        session, author, opd_id=opd.id, title=title, key_column=KEY_COLUMN,
        chart={"template": "ranked_bar", "label": "opd", "value": "diterima", "mode": "top", "top_n": 10},
        description=(f"Laporan yang diterima {name} setiap bulan per OPD: jumlah diterima, jumlah dan "
                     "persentase tuntas, persentase yang mendapat respons pertama dalam 24 jam, dan median "
                     "waktu respons pertama (jam, ketelitian ± 1 jam). Dihitung pada awal bulan berikutnya."),
        topic="Pelayanan Publik", unit="laporan", period="Bulanan", update_frequency="Bulanan",
        source_line=f"Sumber: {name}, Pemerintah Provinsi Jawa Tengah",
        processed_by=f"Diolah oleh {opd.short_name}", draft_post_on_update=True)


def published_months(session: Session, dataset: Dataset) -> set[str]:
    origins = session.scalars(select(DatasetVersion.origin).where(
        DatasetVersion.dataset_id == dataset.id, DatasetVersion.origin.startswith(ORIGIN_PREFIX)))
    return {o[len(ORIGIN_PREFIX):] for o in origins}


def publish_month(session: Session, config: Mapping[str, Any], month: date | None = None):
    """Make ``month``'s statistics (default: last month, WIB) a version of the statistics
    dataset; a month already there is not ingested again. Returns the ingest result, or None
    when there is nothing to do (already done, no report that month, no dataset possible)."""
    from pressroom.services import datasets

    month = (month or previous_month(month_of(clock.now()))).replace(day=1)
    rows = month_rows(session, month)
    if not rows:
        return None
    dataset = stats_dataset(session, config)
    if dataset is None or month.strftime("%Y-%m") in published_months(session, dataset):
        return None
    last_day = next_month(month) - timedelta(days=1)
    return datasets.ingest(
        session, dataset, rows, origin=f"{ORIGIN_PREFIX}{month:%Y-%m}", author=None,
        number_formats={"persen_tuntas": "en", "persen_dijawab_24_jam": "en"},
        data_date=clock.from_wib(datetime.combine(last_day, time(12, 0))),
    )
