"""The demo's data centre: real Central Java figures (pressroom/data, see SOURCES.md) and one
plainly fictional "progres pembangunan" dataset. Everything goes through the real services:
ingest, the personal-data check, publication approved by a person (the demo walidata or the
OPD's head). The worker renders the charts within seconds of ``make run``."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.models import Dataset, Opd, User
from pressroom.services import ValidationError, datasets

DATA = Path(__file__).parent / "data"


def _csv(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _projects() -> list[dict[str, str]]:
    """Invented projects, named as such: a demo of the kind, not a report of real works."""
    today = clock.now().date().isoformat()
    rows = [
        ("Contoh fiktif A: peningkatan jalan provinsi", "3301", "65", "58,5", "52,0", "berjalan"),
        ("Contoh fiktif B: jembatan penghubung antardesa", "3315", "80", "81,2", "76,4", "berjalan"),
        ("Contoh fiktif C: rehabilitasi saluran irigasi", "3321", "100", "100", "97,8", "selesai"),
        ("Contoh fiktif D: pembangunan embung", "3317", "40", "22,5", "18,0", "berjalan"),
        ("Contoh fiktif E: penataan kawasan kumuh", "3374", "55", "0", "0", "belum mulai"),
    ]
    return [{"proyek": p, "kode_kabkota": k, "target": t, "realisasi_fisik": f, "realisasi_keuangan": u,
             "tanggal": today, "status": s} for p, k, t, f, u, s in rows]


#: slug → (OPD code, author, title, key, chart, metadata, rows, number formats)
def _datasets() -> list[dict]:
    return [
        {
            "slug": "penduduk-kabupaten-kota-jawa-tengah-2025", "opd": "DISKOMINFO",
            "author": "kominfo.editor",
            "title": "Jumlah penduduk menurut kabupaten/kota, Jawa Tengah 2025", "key": "kode_bps",
            "chart": {"template": "ranked_bar", "label": "nama_kabupaten_kota", "value": "penduduk_total",
                      "mode": "top", "top_n": 10},
            "meta": {"description": "Penduduk laki-laki, perempuan dan jumlahnya, serta luas wilayah, untuk "
                                    "35 kabupaten/kota di Jawa Tengah.",
                     "topic": "Kependudukan", "unit": "jiwa", "period": "2025",
                     "source_line": "Sumber: Kepmendagri No. 300.2.2-2138/2025 (penduduk); Badan Informasi "
                                    "Geospasial (luas)",
                     "processed_by": "Diolah oleh Diskominfo Jateng (demo)", "update_frequency": "Tahunan"},
            "rows": _csv("jateng_kabkota_2025.csv"), "formats": {"luas_km2": "en"},
        },
        {
            "slug": "produksi-padi-jawa-tengah", "opd": "DISTANBUN", "author": "tani.editor",
            "title": "Produksi padi Jawa Tengah", "key": "tahun",
            "chart": {"template": "line", "label": "tahun", "value": "produksi_padi_ton_gkg",
                      "entity": "tahun"},
            "meta": {"description": "Luas panen, produksi padi (gabah kering giling) dan produksi beras "
                                    "Provinsi Jawa Tengah per tahun. Tahun 2021 tidak tersedia dalam sumber.",
                     "topic": "Pertanian", "unit": "ton GKG", "period": "2019–2024",
                     "source_line": "Sumber: BPS Provinsi Jawa Tengah (Berita Resmi Statistik)",
                     "processed_by": "Diolah oleh Distanbun Jateng (demo)", "update_frequency": "Tahunan"},
            "rows": _csv("padi_jateng_provinsi.csv"), "formats": {},
        },
        {
            "slug": "lima-penghasil-padi-terbesar-2020", "opd": "DISTANBUN", "author": "tani.editor",
            "title": "Lima kabupaten penghasil padi terbesar di Jawa Tengah, 2020", "key": "kode_bps",
            "chart": {"template": "ranked_bar", "label": "nama_kabupaten_kota",
                      "value": "produksi_padi_ton_gkg", "mode": "all"},
            "meta": {"description": "Lima kabupaten dengan produksi padi terbesar pada 2020 (bukan peringkat "
                                    "lengkap).",
                     "topic": "Pertanian", "unit": "ton GKG", "period": "2020",
                     "source_line": "Sumber: BPS (pembaruan 15 Juli 2022), diberitakan iNews Jateng",
                     "processed_by": "Diolah oleh Distanbun Jateng (demo)", "update_frequency": "Tahunan"},
            "rows": _csv("padi_jateng_top5_2020.csv"), "formats": {"produksi_padi_ton_gkg": "en",
                                                                  "luas_panen_ha": "en"},
        },
        {
            "slug": "progres-pembangunan-contoh-fiktif", "opd": "DISKOMINFO", "author": "kominfo.editor",
            "title": "Progres pembangunan (contoh fiktif)", "key": "proyek", "kind": "progres",
            "chart": {}, "meta": {"description": "Contoh jenis data “progres pembangunan” dengan proyek "
                                                 "rekaan. Bukan data resmi.",
                                  "topic": "Pembangunan", "unit": "%", "period": "contoh",
                                  "source_line": "Sumber: data rekaan untuk demo Pressroom",
                                  "processed_by": "Diolah oleh Diskominfo Jateng (demo)",
                                  "update_frequency": "Bulanan"},
            "rows": _projects(), "formats": {"realisasi_fisik": "id", "realisasi_keuangan": "id"},
        },
    ]


def seed_datasets(session: Session, by_code: dict[str, Opd], by_local: dict[str, User]) -> int:
    """Create the demo datasets that are missing, publish them through approval; return how many."""
    added = 0
    deciders = [by_local[name] for name in ("walidata", "kominfo.kepala", "tani.kabid", "tani.kepala")
                if name in by_local]
    for spec in _datasets():
        if session.scalar(select(Dataset.id).where(Dataset.slug == spec["slug"])) is not None:
            continue
        author = by_local[spec["author"]]
        dataset = datasets.create_dataset(session, author, opd_id=by_code[spec["opd"]].id,
                                          title=spec["title"], key_column=spec["key"],
                                          kind=spec.get("kind", "table"), chart=spec["chart"] or None,
                                          **spec["meta"])
        dataset.slug = spec["slug"]
        data_date = _data_date(spec["meta"]["period"])
        datasets.ingest(session, dataset, spec["rows"], origin="seed", author=author,
                        number_formats=spec["formats"], data_date=data_date)
        datasets.request_publication(session, author, dataset)
        for decider in deciders:
            if dataset.state != "submitted":
                break
            try:
                datasets.decide_publication(session, decider, dataset, approve=True,
                                            comment="Demo: data publik.")
            except ValidationError:
                continue  # not this person's step (or their own work): the next one decides
        added += 1
    return added


def _data_date(period: str) -> datetime | None:
    """The last day of the period the figures describe, when it is a year."""
    years = [int(part) for part in period.replace("–", "-").split("-") if part.strip().isdigit()]
    if not years:
        return None
    return datetime.combine(date(max(years), 12, 31), time(12), tzinfo=UTC)
