"""One chart per template, from the real data shipped in ``pressroom/data`` (and, for the two
project templates and progress, rows plainly marked as examples: there is no real data of
that kind in the repository, and none may be invented)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from pressroom.charts import Branding, ChartSpec

DATA = Path(__file__).resolve().parents[2] / "pressroom" / "data"


def load(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


POPULATION = load("jateng_kabkota_2025.csv")
PADI = load("padi_jateng_provinsi.csv")
PADI_TOP5 = load("padi_jateng_top5_2020.csv")

#: Clearly fictional projects (names say "Contoh"), in real kabupaten/kota.
PROJECTS = [
    {"proyek": "Contoh Proyek A", "lokasi": "Kabupaten Grobogan", "target": "60", "realisasi_fisik": "62.5",
     "realisasi_keuangan": "48", "tanggal": "2025-02-28", "status": "berjalan"},
    {"proyek": "Contoh Proyek B", "lokasi": "Kabupaten Cilacap", "target": "80", "realisasi_fisik": "71",
     "realisasi_keuangan": "65.2", "tanggal": "2025-02-28", "status": "berjalan"},
    {"proyek": "Contoh Proyek C", "lokasi": "Kabupaten Sragen", "target": "100", "realisasi_fisik": "100",
     "realisasi_keuangan": "97.5", "tanggal": "2025-02-20", "status": "selesai"},
    {"proyek": "Contoh Proyek D", "lokasi": "Kota Semarang", "target": "10", "realisasi_fisik": "0",
     "realisasi_keuangan": "5", "tanggal": "2025-03-01", "status": "belum mulai"},
]
TARGETS = [
    {"sasaran": "Contoh Sasaran A", "capaian": "7500", "target": "10000"},
    {"sasaran": "Contoh Sasaran B", "capaian": "4200", "target": "5000"},
    {"sasaran": "Contoh Sasaran C", "capaian": "1300", "target": "1200"},
]

DUKCAPIL = Branding(
    "Dinas Kependudukan dan Pencatatan Sipil", primary="#1f4e79", accent="#f2a900",
    source="Kepmendagri No. 300.2.2-2138/2025", processed_by="Diskominfo Jateng", data_date=date(2025, 6, 30),
    status="final", public_url="https://pressroom.example/data/penduduk-2025")
DISTANBUN = Branding(
    "Dinas Pertanian dan Perkebunan", primary="#2d6a4f", accent="#f2c14e",
    source="BPS Provinsi Jawa Tengah", processed_by="Diskominfo Jateng", data_date=date(2024, 10, 15),
    status="sementara", public_url="https://pressroom.example/data/padi")
EXAMPLE = Branding(
    "Dinas Pekerjaan Umum Bina Marga dan Cipta Karya", primary="#7a1f2b", accent="#f2a900",
    source="Data contoh untuk uji (fiktif)", processed_by="Diskominfo Jateng", data_date=date(2025, 3, 1),
    status="sementara", public_url="https://pressroom.example/data/contoh-progres")

POPULATION_SPEC = ChartSpec("ranked_bar", "Jumlah penduduk kabupaten/kota di Jawa Tengah",
                            value_column="penduduk_total", label_column="nama_kabupaten_kota",
                            subtitle="Semester I 2025, jiwa", unit="jiwa")

#: name -> (rows, spec, branding, what the alt text and caption must both say)
CASES = {
    "ranked_bar": (POPULATION, POPULATION_SPEC, DUKCAPIL, ["Kabupaten Brebes", "2,07 juta jiwa"]),
    "ranked_bar_top": (
        POPULATION, ChartSpec("ranked_bar", "Sepuluh kabupaten/kota berpenduduk terbanyak",
                              value_column="penduduk_total", label_column="nama_kabupaten_kota",
                              subtitle="Jawa Tengah, semester I 2025", unit="jiwa", mode="top", top_n=10),
        DUKCAPIL, ["Kabupaten Brebes", "2,07 juta jiwa", "38,43 juta jiwa"]),
    "line": (
        PADI, ChartSpec("line", "Produksi padi Jawa Tengah 2019–2024", value_column="produksi_padi_ton_gkg",
                        label_column="tahun", subtitle="Gabah kering giling per tahun", unit="ton GKG",
                        entity="tahun"),
        DISTANBUN, ["8,89 juta ton GKG", "2024", "9,66 juta ton GKG", "2021"]),
    "column": (
        PADI, ChartSpec("column", "Luas panen padi Jawa Tengah", value_column="luas_panen_ha",
                        label_column="tahun", subtitle="Hektare per tahun, 2019–2024", unit="ha",
                        entity="tahun"),
        DISTANBUN, ["1,55 juta ha", "1,69 juta ha", "2022", "2021"]),
    "big_number": (
        PADI, ChartSpec("big_number", "Produksi beras Jawa Tengah 2024", value_column="produksi_beras_ton",
                        label_column="tahun", subtitle="Setara beras dari produksi padi", unit="ton",
                        entity="tahun"),
        DISTANBUN, ["5,11 juta ton", "turun 2,1%", "2023", "5,22 juta ton"]),
    "table": (
        PADI_TOP5, ChartSpec("table", "Lima kabupaten penghasil padi terbesar 2020",
                             value_column="produksi_padi_ton_gkg", label_column="nama_kabupaten_kota",
                             columns=("nama_kabupaten_kota", "produksi_padi_ton_gkg", "luas_panen_ha"),
                             column_titles=("Kabupaten", "Produksi (ton GKG)", "Luas panen (ha)"),
                             entity="kabupaten"),
        DISTANBUN, ["Kabupaten Grobogan", "806.139"]),
    "progress": (
        TARGETS, ChartSpec("progress", "Capaian terhadap target (data contoh)", value_column="capaian",
                           label_column="sasaran", target_column="target", unit="unit", entity="sasaran"),
        EXAMPLE, ["Contoh Sasaran A", "7.500 unit dari target 10.000 unit", "75%"]),
    "project_progress": (
        PROJECTS, ChartSpec("project_progress", "Progres pembangunan (data contoh)", entity="proyek"),
        EXAMPLE, ["Contoh Proyek C", "100%"]),
    "project_summary": (
        PROJECTS,
        ChartSpec("project_summary", "Ringkasan progres pembangunan (data contoh)", entity="proyek"),
        EXAMPLE, ["4 proyek", "58,4%", "53,9%", "Contoh Proyek C"]),
}
#: References are drawn at this preset and compared at a third of its size.
REFERENCE_PRESET = "square"
