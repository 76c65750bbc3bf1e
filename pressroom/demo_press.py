"""The demo's press desk: each OPD's press profile (numbering pattern, a plainly fictional
spokesperson card), and a few press alerts through the real approval chain — a release on
the newsroom, an embargoed one that appears by itself two hours after seeding, a coverage
invitation, and a draft to play with. Texts describe the demo's real data sets without
inventing any figure. Their deliveries go to the sandbox feed like every demo message."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.models import Opd, PressProfile, PressRelease, User
from pressroom.services import releases

#: (OPD code, classification code, fictional spokesperson, position)
PROFILES = {
    "DISKOMINFO": ("480", "Yoga Pratama Wibisono (demo)", "Pranata Humas Ahli Pertama"),
    "BAPPEDA": ("050", "Bagus Setyo Nugroho (demo)", "Statistisi Ahli Muda"),
    "DISTANBUN": ("500", "Fajar Ramadhan Saputra (demo)", "Pranata Humas Ahli Pertama"),
    "DINKES": ("440", "Nadia Ayu Safitri (demo)", "Penyuluh Kesehatan"),
    "DISDIKBUD": ("420", "Putri Anggraini (demo)", "Pranata Humas"),
    "DISHANPAN": ("500", "Wulan Sari Dewi (demo)", "Analis Ketahanan Pangan"),
    "DPUBMCK": ("600", "Rizky Aditya Nugraha (demo)", "Pranata Humas"),
    "BIROUMUM": ("480", "Arif Budiman Santosa (demo)", "Pranata Humas"),
    "SETDA": ("000", "Dwi Lestari Handayani (demo)", "Kepala Bagian Data Pimpinan"),
}

PADI_BODY = """Dinas Pertanian dan Perkebunan Provinsi Jawa Tengah membuka data luas panen, produksi
padi (GKG) dan produksi beras Jawa Tengah per tahun di Pusat Data Pressroom. Setiap angka
mengutip Berita Resmi Statistik BPS Jawa Tengah, dibulatkan sesuai presisi yang diterbitkan.

Data tahun 2021 tidak tersedia pada sumber yang dikutip; grafik menampilkannya sebagai
celah, **bukan** hasil interpolasi.

Wartawan dapat mengunduh data dalam format CSV dan Excel, beserta infografik siap pakai,
di halaman Pusat Data. *Siaran pers ini adalah contoh dalam demo Pressroom.*"""

WILAYAH_BODY = """Pusat Data Pressroom menyediakan data jumlah penduduk menurut jenis
kelamin dan luas wilayah untuk 35 kabupaten/kota di Jawa Tengah, bersumber dari Kepmendagri
No. 300.2.2-2138/2025 dan Badan Informasi Geospasial.

*Siaran pers ini adalah contoh dalam demo Pressroom; isinya menunggu embargo berakhir.*"""


def _contact_phone(index: int) -> str:
    # Fictional numbers in a block that is plainly a demo (0811-0000-00xx).
    return f"+62811000000{index:02d}"


def seed_press(session: Session, by_code: dict[str, Opd], by_local: dict[str, User]) -> int:
    """Create the press profiles and demo alerts that are missing; return how many rows."""
    added = 0
    for index, (code, (classification, name, position)) in enumerate(PROFILES.items(), start=1):
        opd = by_code.get(code)
        if opd is None or session.get(PressProfile, opd.id) is not None:
            continue
        session.add(PressProfile(
            opd_id=opd.id, number_pattern="{class}/{seq}/{opd}/{month_roman}/{year}",
            classification=classification, contact_name=name, contact_position=position,
            contact_phone=_contact_phone(index), contact_email=f"humas.{code.lower()}@demo.example",
            address="Jl. Pahlawan, Semarang (demo)", website=""))
        added += 1
    session.flush()
    if session.scalar(select(func.count()).select_from(PressRelease)):
        return added

    def compose(code: str, author: str, **values) -> PressRelease:
        profile = releases.get_profile(session, by_code[code].id)
        values.setdefault("contact_name", profile.contact_name)
        values.setdefault("contact_position", profile.contact_position)
        values.setdefault("contact_phone", profile.contact_phone)
        values.setdefault("contact_email", profile.contact_email)
        values.setdefault("audience", {"base": "followers", "channels": ["email", "whatsapp"]})
        return releases.create_release(session, by_local[author], by_code[code].id,
                                       releases.ReleaseInput(**values))

    def approve(release: PressRelease, author: str, approver: str) -> None:
        releases.submit_release(session, by_local[author], release)
        releases.approve_release(session, by_local[approver], release, comment="")

    padi = compose("DISTANBUN", "tani.editor", headline="Data produksi padi Jawa Tengah kini terbuka "
                   "di Pusat Data", lead="Luas panen, produksi padi dan produksi beras Jawa Tengah per "
                   "tahun kini dapat diunduh dan dikutip langsung.", body=PADI_BODY,
                   sources=[{"name": "Endang Purwaningsih (demo)",
                             "position": "Kepala Dinas Pertanian dan Perkebunan"}])
    approve(padi, "tani.editor", "tani.kabid")  # the Kabid, acting as Plh. Kepala
    embargo = clock.now().replace(second=0, microsecond=0) + timedelta(hours=2)
    embargoed = compose("DISKOMINFO", "kominfo.editor", headline="Data penduduk dan luas wilayah 35 "
                        "kabupaten/kota siap dipakai", lead="Data kependudukan dan luas wilayah se-Jawa "
                        "Tengah tersedia untuk perencanaan dan pemberitaan.", body=WILAYAH_BODY,
                        embargo_until=embargo, send_before_embargo=True)
    approve(embargoed, "kominfo.editor", "kominfo.kepala")
    starts = clock.to_wib(clock.now() + timedelta(days=3)).replace(hour=9, minute=0, second=0,
                                                                  microsecond=0)
    invitation = compose("DISKOMINFO", "kominfo.editor", kind="undangan",
                         headline="Undangan liputan: pengenalan Pusat Data dan Ruang Pers Pressroom",
                         lead="Rekan media diundang mengikuti pengenalan Pusat Data dan Ruang Pers.",
                         body="Acara ini adalah contoh dalam demo Pressroom.",
                         agenda="Pengenalan Pusat Data dan Ruang Pers (demo)",
                         venue="Ruang rapat Diskominfo, Semarang (demo)",
                         event_starts_at=clock.from_wib(starts.replace(tzinfo=None)),
                         event_ends_at=clock.from_wib(starts.replace(tzinfo=None)) + timedelta(hours=2))
    approve(invitation, "kominfo.editor", "kominfo.kepala")
    compose("DINKES", "sehat.editor", headline="(Draf) Jadwal layanan kesehatan akhir pekan",
            lead="Draf contoh untuk dicoba: ubah, tambahkan foto atau infografik, lalu ajukan.",
            body="Tulis isi siaran pers di sini.")
    return added + 4

