"""The demo seed: Central Java provincial OPDs and plainly fictional staff in each position.

Agency names are the province's real institutions; every person is invented, and no real
official or politician appears. The directory gets invented journalists at invented outlets
(``demo_journalists``). Safe to run again: existing rows are left as they are.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from pressroom import clock
from pressroom.demo_journalists import seed_journalists
from pressroom.models import ActingAppointment, Membership, Opd, User
from pressroom.services import opds, users

DEMO_PASSWORD = "demo-pressroom-2026"
DOMAIN = "demo.example"

#: (code, official name, short name, kind, primary colour, accent colour)
OPDS = [
    ("DISKOMINFO", "Dinas Komunikasi dan Informatika Provinsi Jawa Tengah", "Diskominfo", "dinas",
     "#1f4e79", "#f2a900"),
    ("BAPPEDA", "Badan Perencanaan Pembangunan Daerah Provinsi Jawa Tengah", "Bappeda", "badan",
     "#5b2c83", "#e8b04b"),
    ("DISTANBUN", "Dinas Pertanian dan Perkebunan Provinsi Jawa Tengah", "Distanbun", "dinas",
     "#2e7d32", "#f9a825"),
    ("DINKES", "Dinas Kesehatan Provinsi Jawa Tengah", "Dinkes", "dinas", "#00796b", "#ef5350"),
    ("DISDIKBUD", "Dinas Pendidikan dan Kebudayaan Provinsi Jawa Tengah", "Disdikbud", "dinas",
     "#1565c0", "#ffb300"),
    ("DISHANPAN", "Dinas Ketahanan Pangan Provinsi Jawa Tengah", "Dishanpan", "dinas",
     "#8d6e00", "#43a047"),
    ("DPUBMCK", "Dinas Pekerjaan Umum Bina Marga dan Cipta Karya Provinsi Jawa Tengah", "DPU BMCK",
     "dinas", "#bf5b04", "#37474f"),
    ("BIROUMUM", "Biro Umum Sekretariat Daerah Provinsi Jawa Tengah (Humas)", "Biro Umum", "biro",
     "#6d4c41", "#ffca28"),
    ("SETDA", "Sekretariat Daerah Provinsi Jawa Tengah", "Setda", "sekretariat", "#263238",
     "#c62828"),
]

#: (email local part, invented full name, OPD code, role, position title, level)
USERS = [
    ("admin", "Rina Kusumawardani (demo)", "DISKOMINFO", "admin",
     "Pranata Humas Ahli Muda", "staf"),
    ("walidata", "Bagus Setyo Nugroho (demo)", "BAPPEDA", "walidata",
     "Statistisi Ahli Muda", "staf"),
    ("pimpinan", "Dwi Lestari Handayani (demo)", "SETDA", "viewer",
     "Kepala Bagian Data Pimpinan", "kabid"),
    ("kominfo.editor", "Yoga Pratama Wibisono (demo)", "DISKOMINFO", "editor",
     "Pranata Humas Ahli Pertama", "staf"),
    ("kominfo.kepala", "Sri Wahyuningsih (demo)", "DISKOMINFO", "approver",
     "Kepala Dinas Komunikasi dan Informatika", "kepala"),
    ("tani.editor", "Fajar Ramadhan Saputra (demo)", "DISTANBUN", "editor",
     "Pranata Humas Ahli Pertama", "staf"),
    ("tani.kabid", "Agus Priyanto Wicaksono (demo)", "DISTANBUN", "approver",
     "Kepala Bidang Tanaman Pangan", "kabid"),
    ("tani.kepala", "Endang Purwaningsih (demo)", "DISTANBUN", "approver",
     "Kepala Dinas Pertanian dan Perkebunan", "kepala"),
    ("sehat.editor", "Nadia Ayu Safitri (demo)", "DINKES", "editor", "Penyuluh Kesehatan", "staf"),
    ("sehat.kepala", "Hendra Gunawan Saputro (demo)", "DINKES", "approver",
     "Kepala Dinas Kesehatan", "kepala"),
    ("didik.editor", "Putri Anggraini (demo)", "DISDIKBUD", "editor", "Pranata Humas", "staf"),
    ("didik.kepala", "Joko Santoso Mulyono (demo)", "DISDIKBUD", "approver",
     "Kepala Dinas Pendidikan dan Kebudayaan", "kepala"),
    ("pangan.editor", "Wulan Sari Dewi (demo)", "DISHANPAN", "editor", "Analis Ketahanan Pangan",
     "staf"),
    ("pangan.kepala", "Teguh Widodo Prasetyo (demo)", "DISHANPAN", "approver",
     "Kepala Dinas Ketahanan Pangan", "kepala"),
    ("pu.editor", "Rizky Aditya Nugraha (demo)", "DPUBMCK", "editor", "Pranata Humas", "staf"),
    ("pu.kepala", "Siti Rahmawati (demo)", "DPUBMCK", "approver",
     "Kepala Dinas Pekerjaan Umum Bina Marga dan Cipta Karya", "kepala"),
    ("humas.editor", "Arif Budiman Santosa (demo)", "BIROUMUM", "editor", "Pranata Humas", "staf"),
    ("humas.kepala", "Ratna Dewi Kartika (demo)", "BIROUMUM", "approver", "Kepala Biro Umum",
     "kepala"),
    # Lapor Gub: a verifier at Diskominfo and an officer (PIC) in two OPDs.
    ("lapor.verifikator", "Maya Kartikasari (demo)", "DISKOMINFO", "verifier",
     "Verifikator Lapor Gub", "staf"),
    ("pu.petugas", "Bayu Aji Nugroho (demo)", "DPUBMCK", "officer", "Petugas Pengaduan", "staf"),
    ("sehat.petugas", "Indah Permatasari (demo)", "DINKES", "officer", "Petugas Pengaduan", "staf"),
]

#: The Kabid of Distanbun acts as Plh. head while the head is away (for a week from seeding).
ACTING = ("tani.kabid", "DISTANBUN", "plh", "Kepala Dinas Pertanian dan Perkebunan",
          "800.1.11.1/123/2026 (demo)")


def demo_logins() -> list[tuple[str, str]]:
    return [(f"{local}@{DOMAIN}", f"{role} — {opd}, {title}") for local, _n, opd, role, title, _l in USERS]


#: Every demo OPD gets sandbox accounts (no credentials): what they "publish" shows in the
#: sandbox feed, so the whole flow can be seen after `make run` without any real account.
DEMO_PLATFORMS = (("telegram", "Kanal Telegram {short} (demo)"), ("x", "@{code}_demo"),
                  ("facebook", "{short} Jateng (demo)"), ("instagram", "@{code}.jateng.demo"))


def _seed_accounts(app: Flask, session, by_code: dict[str, Opd], admin: User) -> int:
    from pressroom.models import SocialAccount
    from pressroom.services import sending

    added = 0
    for code, opd in by_code.items():
        if session.scalar(select(SocialAccount.id).where(SocialAccount.opd_id == opd.id)):
            continue
        for platform, pattern in DEMO_PLATFORMS:
            name = pattern.format(short=opd.short_name, code=code.lower())
            sending.create_account(session, admin, app.extensions["crypto"], opd_id=opd.id,
                                   platform=platform, name=name, credentials="")
            added += 1
    return added


def seed_demo(app: Flask) -> int:
    """Create what is missing of the demo; return how many records were added."""
    from pressroom.storage import LocalStorage

    storage: LocalStorage = app.extensions["storage"]
    session = app.extensions["db"].new_session()
    added = 0
    try:
        by_code = {o.code: o for o in session.scalars(select(Opd))}
        for code, name, short, kind, primary, accent in OPDS:
            if code not in by_code:
                by_code[code] = opds.create_opd(
                    session, None, storage, code=code, name=name, short_name=short, kind=kind,
                    primary_color=primary, accent_color=accent,
                )
                added += 1
            elif not by_code[code].logo_key or not storage.exists(by_code[code].logo_key, public=True):
                opds.update_opd(session, None, storage, by_code[code], code=code, name=by_code[code].name,
                                short_name=by_code[code].short_name, kind=by_code[code].kind,
                                primary_color=by_code[code].primary_color,
                                accent_color=by_code[code].accent_color)
        by_email = {u.email: u for u in session.scalars(select(User))}
        for local, full_name, code, role, title, level in USERS:
            email = f"{local}@{DOMAIN}"
            user = by_email.get(email)
            if user is None:
                user = users.create_user(session, None, email=email, full_name=full_name,
                                         password=DEMO_PASSWORD, must_change_password=False)
                by_email[email] = user
                added += 1
            has = session.scalar(select(Membership.id).where(
                Membership.user_id == user.id, Membership.opd_id == by_code[code].id,
                Membership.role == role))
            if not has:
                users.add_membership(session, user, user, opd=by_code[code], role=role,
                                     position_title=title, level=level)
                added += 1
        local, code, kind, title, sk = ACTING
        acting_user = by_email[f"{local}@{DOMAIN}"]
        exists = session.scalar(select(ActingAppointment.id).where(
            ActingAppointment.user_id == acting_user.id, ActingAppointment.sk_number == sk))
        if not exists:
            admin = by_email[f"admin@{DOMAIN}"]
            start = clock.now().replace(minute=0, second=0, microsecond=0)
            users.appoint_acting(session, admin, acting_user, opd=by_code[code], kind=kind,
                                 position_title=title, level="kepala", sk_number=sk,
                                 starts_at=start, ends_at=start + timedelta(days=7))
            added += 1
        added += seed_journalists(session, by_code, by_email[f"admin@{DOMAIN}"],
                                  count=int(app.config.get("DEMO_JOURNALISTS", 300)))
        added += _seed_accounts(app, session, by_code, by_email[f"admin@{DOMAIN}"])
        from pressroom.demo_data import seed_datasets

        added += seed_datasets(session, by_code, {e.split("@")[0]: u for e, u in by_email.items()
                                                  if e.endswith("@" + DOMAIN)})
        from pressroom.demo_press import seed_press

        added += seed_press(session, by_code, {e.split("@")[0]: u for e, u in by_email.items()
                                               if e.endswith("@" + DOMAIN)})
        from pressroom.demo_complaints import seed_complaints

        added += seed_complaints(session, by_code, {e.split("@")[0]: u for e, u in by_email.items()
                                                    if e.endswith("@" + DOMAIN)},
                                 storage=storage, config=app.config)
        session.commit()
    finally:
        session.close()
    return added
