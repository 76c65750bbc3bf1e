"""Built-in dataset kinds that come with their own charts: "progres pembangunan".

A kind fixes the columns (so the charts know what each means) and offers ready specs; the
dataset layer stores rows of the kind and checks them with ``check_rows`` before a version is
accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pressroom.charts.prepare import DataError, to_date, to_number
from pressroom.charts.spec import ChartSpec
from pressroom.charts.text import PROJECT_STATUSES


@dataclass(frozen=True)
class Column:
    name: str
    #: text, region (a kabupaten/kota name), percent (0–100), date (YYYY-MM-DD), status
    type: str
    title: str
    required: bool = True


@dataclass(frozen=True)
class DatasetKind:
    name: str
    title: str
    columns: tuple[Column, ...]
    templates: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


PROGRES_PEMBANGUNAN = DatasetKind(
    name="progres_pembangunan",
    title="Progres pembangunan",
    columns=(
        Column("proyek", "text", "Proyek"),
        Column("lokasi", "region", "Lokasi (kabupaten/kota)"),
        #: the planned physical progress at ``tanggal`` (rencana fisik, %), drawn as a tick
        Column("target", "percent", "Target fisik (%)", required=False),
        Column("realisasi_fisik", "percent", "Realisasi fisik (%)"),
        Column("realisasi_keuangan", "percent", "Realisasi keuangan (%)"),
        Column("tanggal", "date", "Tanggal data"),
        Column("status", "status", "Status"),
    ),
    templates=("project_summary", "project_progress"),
)
KINDS = {PROGRES_PEMBANGUNAN.name: PROGRES_PEMBANGUNAN}


def project_specs(title: str = "Progres pembangunan", subtitle: str = "") -> list[ChartSpec]:
    """The summary card, then the progress bars per project (a carousel when they are many)."""
    return [
        ChartSpec("project_summary", f"Ringkasan {title[0].lower()}{title[1:]}", subtitle=subtitle,
                  entity="proyek"),
        ChartSpec("project_progress", title, subtitle=subtitle or "Realisasi fisik dan keuangan per proyek",
                  entity="proyek"),
    ]


def check_rows(rows: Iterable[Mapping], kind: DatasetKind = PROGRES_PEMBANGUNAN,
               regions: set[str] | None = None) -> list[str]:
    """Problems with rows of ``kind``, in Indonesian, one per line (an empty list: all good).

    ``regions`` is the set of valid kabupaten/kota names (e.g. from ``jateng_kabkota_2025.csv``).
    """
    problems: list[str] = []
    rows = list(rows)
    if not rows:
        return ["tidak ada baris data"]
    missing = [c.name for c in kind.columns if c.required and c.name not in rows[0]]
    if missing:
        return [f"kolom wajib tidak ada: {', '.join(missing)}"]
    for number, row in enumerate(rows, start=2):  # row 1 is the header in a spreadsheet
        for column in kind.columns:
            value = row.get(column.name)
            where = f"baris {number}, kolom {column.name}"
            try:
                if column.type == "percent":
                    figure = to_number(value, column.name)
                    if figure is None and column.required:
                        problems.append(f"{where}: kosong")
                    elif figure is not None and not 0 <= figure <= 100:
                        problems.append(f"{where}: {value} di luar 0–100")
                elif column.type == "date":
                    if to_date(value, column.name) is None:
                        problems.append(f"{where}: kosong")
                elif column.type == "status":
                    if str(value or "").strip().lower() not in PROJECT_STATUSES:
                        choices = ", ".join(PROJECT_STATUSES)
                        problems.append(f"{where}: {value!r} bukan salah satu dari {choices}")
                elif column.type == "region":
                    if regions is not None and str(value or "").strip() not in regions:
                        problems.append(f"{where}: {value!r} bukan nama kabupaten/kota")
                elif column.required and not str(value or "").strip():
                    problems.append(f"{where}: kosong")
            except DataError as exc:
                problems.append(f"baris {number}: {exc}")
    return problems
