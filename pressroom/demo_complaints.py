"""The demo's Lapor Gub: a plausible category list mapped to the demo OPDs (also the Open311
service list), a few answer templates, the national holidays fixed by law on fixed dates
(the moveable ones — Idulfitri, Waisak, Nyepi… — and cuti bersama are set each year by a
joint ministerial decree, so an admin enters them), and a handful of plainly fictional
reports in different states, worked through the real service functions (one anonymous,
one confidential, one resolved). Every person is invented and marked "(demo)"; contacts
are on demo.example, so updates go to the sandbox feed. Safe to run again: nothing that
exists is added twice or changed.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.models import AnswerTemplate, Complaint, ComplaintCategory, Holiday, Opd, User
from pressroom.services import complaint_settings, complaints
from pressroom.storage import LocalStorage

#: (code — the Open311 service_code —, name, English name, description, default OPD code)
CATEGORIES = [
    ("jalan-jembatan", "Jalan dan Jembatan", "Roads and bridges",
     "Jalan dan jembatan provinsi yang rusak atau berlubang, drainase dan penerangan di ruas jalan provinsi.",
     "DPUBMCK"),
    ("kesehatan", "Kesehatan", "Health",
     "Layanan rumah sakit milik provinsi, program kesehatan, obat dan tenaga kesehatan.", "DINKES"),
    ("pendidikan", "Pendidikan", "Education",
     "SMA, SMK dan SLB negeri (kewenangan provinsi): penerimaan siswa, biaya, sarana, guru.", "DISDIKBUD"),
    ("pertanian", "Pertanian dan Perkebunan", "Agriculture and estates",
     "Pupuk, benih, irigasi tingkat usaha tani, hama dan penyuluhan pertanian.", "DISTANBUN"),
    ("ketahanan-pangan", "Ketahanan Pangan", "Food security",
     "Ketersediaan dan harga pangan pokok, keamanan pangan segar, cadangan pangan.", "DISHANPAN"),
    ("informasi-publik", "Informasi Publik", "Public information",
     "Permintaan informasi publik (UU KIP) dan pertanyaan tentang program Pemerintah Provinsi.",
     "DISKOMINFO"),
    ("pelayanan-administrasi", "Pelayanan Administrasi", "Administrative services",
     "Surat-menyurat, pelayanan di kantor Pemerintah Provinsi, perizinan yang dilayani provinsi.",
     "BIROUMUM"),
    ("lainnya", "Lainnya", "Other", "Hal lain yang belum masuk kategori mana pun.", "DISKOMINFO"),
]

#: (category code or None for every category, title, text)
TEMPLATES = [
    (None, "Laporan diterima dan diteruskan",
     "Terima kasih atas laporan Anda. Laporan sudah kami terima dan kami teruskan kepada perangkat daerah "
     "yang berwenang. Perkembangannya kami sampaikan melalui kanal ini."),
    ("jalan-jembatan", "Perbaikan jalan dijadwalkan",
     "Terima kasih. Petugas sudah meninjau lokasi yang Anda laporkan. Perbaikan dijadwalkan dalam "
     "pekan ini; kami kabari lagi setelah pekerjaan selesai."),
    ("kesehatan", "Diteruskan ke fasilitas kesehatan",
     "Terima kasih. Keluhan Anda sudah kami sampaikan kepada pimpinan fasilitas kesehatan yang "
     "bersangkutan untuk ditindaklanjuti, dan kami pantau penyelesaiannya."),
    ("informasi-publik", "Informasi tersedia di PPID",
     "Terima kasih atas permintaan informasi Anda. Informasi yang Anda minta tersedia di laman PPID "
     "Pemerintah Provinsi Jawa Tengah; bila belum lengkap, balas pesan ini dan kami bantu."),
]

#: National holidays fixed by law on fixed dates: (month, day, name).
FIXED_HOLIDAYS = [
    (1, 1, "Tahun Baru Masehi"),
    (5, 1, "Hari Buruh Internasional"),
    (6, 1, "Hari Lahir Pancasila"),
    (8, 17, "Hari Proklamasi Kemerdekaan Republik Indonesia"),
    (12, 25, "Hari Raya Natal"),
]


@dataclass(frozen=True)
class DemoReport:
    """A fictional report and how far the demo works it."""

    category: str
    type: str
    description: str
    public_description: str
    region_code: str
    kecamatan: str
    reporter_name: str
    contact: str
    anonymous: bool
    confidential: bool
    received_hours_ago: int
    #: received (not reviewed) · in_progress (reviewed, passed to the OPD, a PIC named) ·
    #: answered · resolved (answered and resolved, confirmed by the reporter)
    stage: str
    opd: str = ""
    pic: str = ""
    answer: str = ""
    photo: bool = False


REPORTS = [
    DemoReport(
        category="jalan-jembatan", type="pengaduan",
        description="Jalan provinsi di dekat pasar berlubang cukup dalam, sudah dua pekan. Motor sering "
                    "terjatuh saat hujan. Saya Sutrisno Hadi, warga RT 03. (contoh laporan demo)",
        public_description="Jalan provinsi di dekat pasar berlubang cukup dalam, sudah dua pekan. Motor "
                           "sering terjatuh saat hujan. [nama disamarkan] (contoh laporan demo)",
        region_code="3322", kecamatan="Ungaran Barat", reporter_name="Sutrisno Hadi (demo)",
        contact="pelapor.jalan@demo.example", anonymous=False, confidential=False, received_hours_ago=96,
        stage="resolved", opd="DPUBMCK", pic="pu.petugas",
        answer="Terima kasih. Lubang sudah ditambal oleh tim pemeliharaan jalan pada pagi ini. "
               "(jawaban demo)",
        photo=True),
    DemoReport(
        category="kesehatan", type="pengaduan",
        description="Antrean pendaftaran di rumah sakit milik provinsi sangat panjang sejak pagi, loket "
                    "yang buka hanya satu. (contoh laporan demo)",
        public_description="Antrean pendaftaran di rumah sakit milik provinsi sangat panjang sejak pagi, "
                           "loket yang buka hanya satu. (contoh laporan demo)",
        region_code="3374", kecamatan="Semarang Selatan", reporter_name="Wati Lestari (demo)",
        contact="pelapor.anonim@demo.example", anonymous=True, confidential=False, received_hours_ago=30,
        stage="in_progress", opd="DINKES", pic="sehat.petugas"),
    DemoReport(
        category="pendidikan", type="pengaduan",
        description="Ada dugaan pungutan di luar ketentuan saat daftar ulang di sebuah SMA negeri. Mohon "
                    "nama saya dirahasiakan. (contoh laporan demo)",
        public_description="Dugaan pungutan saat daftar ulang di sebuah SMA negeri. (contoh laporan demo)",
        region_code="3372", kecamatan="Laweyan", reporter_name="Bambang Setiadi (demo)",
        contact="pelapor.rahasia@demo.example", anonymous=True, confidential=True, received_hours_ago=20,
        stage="in_progress", opd="DISDIKBUD"),
    DemoReport(
        category="informasi-publik", type="informasi",
        description="Saya ingin tahu jadwal dan syarat program beasiswa dari Pemerintah Provinsi tahun ini. "
                    "(contoh permintaan informasi demo)",
        public_description="Permintaan informasi jadwal dan syarat program beasiswa dari Pemerintah Provinsi "
                           "tahun ini. (contoh permintaan informasi demo)",
        region_code="3302", kecamatan="Purwokerto Utara", reporter_name="Rina Puspitasari (demo)",
        contact="pelapor.info@demo.example", anonymous=False, confidential=False, received_hours_ago=50,
        stage="answered", opd="DISKOMINFO", pic="lapor.verifikator",
        answer="Terima kasih. Jadwal dan syarat program diumumkan di laman PPID; kami kirim tautannya bila "
               "sudah terbit. (jawaban demo)"),
    DemoReport(
        category="pertanian", type="aspirasi",
        description="Usul agar penyuluh pertanian lebih sering datang ke kelompok tani di desa kami saat "
                    "musim tanam. (contoh aspirasi demo)",
        public_description="",
        region_code="3315", kecamatan="Purwodadi", reporter_name="Joko Waluyo (demo)",
        contact="pelapor.tani@demo.example", anonymous=False, confidential=False, received_hours_ago=2,
        stage="received"),
]


def demo_photo() -> bytes:
    """A drawn, plainly fictional "photo": a grey road with a dark hole and a DEMO label."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (150, 150, 145))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 640, 140), fill=(170, 205, 230))
    draw.rectangle((0, 300, 640, 312), fill=(235, 235, 235))
    draw.ellipse((230, 330, 410, 410), fill=(60, 55, 50))
    draw.text((20, 20), "FOTO CONTOH (demo)", fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _seed_categories(session: Session, by_code: Mapping[str, Opd], admin: User) -> int:
    existing = set(session.scalars(select(ComplaintCategory.code)))
    added = 0
    for code, name, name_en, description, opd_code in CATEGORIES:
        if code in existing:
            continue
        opd = by_code.get(opd_code)
        complaint_settings.save_category(session, admin, None, complaint_settings.CategoryInput(
            code=code, name=name, name_en=name_en, description=description,
            default_opd_id=opd.id if opd else None))
        added += 1
    return added


def _seed_templates(session: Session, admin: User) -> int:
    by_code = {c.code: c for c in session.scalars(select(ComplaintCategory))}
    existing = {(t.category_id, t.title) for t in session.scalars(select(AnswerTemplate))}
    added = 0
    for code, title, text in TEMPLATES:
        category_id = by_code[code].id if code and code in by_code else None
        if (code and code not in by_code) or (category_id, title) in existing:
            continue
        complaint_settings.save_template(session, admin, None, category_id=category_id, title=title,
                                         text=text)
        added += 1
    return added


def fixed_holidays(years: list[int]) -> list[tuple[date, str]]:
    return [(date(year, month, day), name) for year in years for month, day, name in FIXED_HOLIDAYS]


def _seed_holidays(session: Session, admin: User) -> int:
    year = clock.to_wib(clock.now()).year
    wanted = fixed_holidays([year, year + 1])
    present = set(session.scalars(select(Holiday.day).where(Holiday.day.in_([d for d, _n in wanted]))))
    missing = [complaint_settings.HolidayInput(day=d, name=n, kind="libur")
               for d, n in wanted if d not in present]
    if not missing:
        return 0
    added, _updated = complaint_settings.add_holidays(session, admin, missing)
    return added


def _work(session: Session, spec: DemoReport, complaint: Complaint, by_code: Mapping[str, Opd],
          by_local: Mapping[str, User], storage: LocalStorage, config: Mapping[str, Any]) -> None:
    """Take a report as far as the demo says, through the service functions."""
    verifier = by_local["lapor.verifikator"]
    if spec.stage == "received":
        return
    complaints.verify(session, verifier, complaint, config=config)
    complaints.review(session, verifier, complaint, public_description=spec.public_description,
                      storage=storage)
    complaints.dispose(session, verifier, complaint, by_code[spec.opd], config=config)
    if spec.pic:
        complaints.assign(session, verifier, complaint, by_local[spec.pic])
    if spec.stage in ("answered", "resolved"):
        officer = by_local[spec.pic] if spec.pic else verifier
        complaints.answer(session, officer, complaint, spec.answer, config=config,
                          resolved=spec.stage == "resolved")
    if spec.stage == "resolved":
        complaints.confirm(session, complaint, resolved=True, rating=5, comment="Terima kasih. (demo)",
                           config=config)


def _seed_reports(session: Session, by_code: Mapping[str, Opd], by_local: Mapping[str, User],
                  storage: LocalStorage, config: Mapping[str, Any]) -> int:
    seeded = session.scalar(select(Complaint.id).where(Complaint.reporter_name.like("%(demo)")).limit(1))
    needed = {"lapor.verifikator", *(r.pic for r in REPORTS if r.pic)}
    opds = {r.opd for r in REPORTS if r.opd}
    if seeded is not None or not needed <= set(by_local) or not opds <= set(by_code):
        return 0
    categories = {c.code: c for c in session.scalars(select(ComplaintCategory))}
    now = clock.now()
    added = 0
    for spec in REPORTS:
        category = categories.get(spec.category)
        if category is None:
            continue
        data = complaints.ReportInput(
            type=spec.type, category_id=category.id, description=spec.description,
            region_code=spec.region_code, kecamatan=spec.kecamatan, reporter_name=spec.reporter_name,
            contact=spec.contact, anonymous=spec.anonymous, confidential=spec.confidential)
        complaint, _pin = complaints.submit(session, data, config=config,
                                            received_at=now - timedelta(hours=spec.received_hours_ago))
        if spec.photo:
            complaints.add_photo(session, storage, complaint, demo_photo())
        _work(session, spec, complaint, by_code, by_local, storage, config)
        added += 1
    return added


def seed_complaints(session: Session, by_code: Mapping[str, Opd], by_local: Mapping[str, User], *,
                    storage: LocalStorage, config: Mapping[str, Any]) -> int:
    """Create what is missing of the demo's Lapor Gub; return how many records were added."""
    admin = by_local.get("admin")
    if admin is None:
        return 0
    added = _seed_categories(session, by_code, admin)
    added += _seed_templates(session, admin)
    added += _seed_holidays(session, admin)
    added += _seed_reports(session, by_code, by_local, storage, config)
    session.flush()
    return added
