"""Demo journalists: a few hundred plainly fictional people at invented outlets.

Everything here is made up. Outlet and person names carry "(demo)"; every email address
is on the reserved ``demo.example`` domain; every mobile number is in the fake block
+62 899-0000-0001 … 0999 and every landline in +62 24 0000 0001 … 0999 (both parse as
valid Indonesian numbers, so the directory treats them like real ones). Records are made
through the directory services, so audit rows exist as in real use. Deterministic
(``random.Random(2026)``) and idempotent: nothing is added once the demo outlets exist.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pressroom.models import Beat, Journalist, Opd, Outlet, Region, User
from pressroom.services import journalists, outlets

SEED = 2026
COUNT = 300
EMAIL_DOMAIN = "demo.example"
MARK = " (demo)"
#: The fake number blocks: +62 899-0000-0001 … 0999 (mobile), +62 24 0000 0001 … 0999 (landline).
MOBILE_BLOCK = "+62 899-0000-{:04d}"
LANDLINE_BLOCK = "+62 24 0000 {:04d}"
BLOCK_SIZE = 999

#: (invented name, type, Dewan Pers state, home region BPS code or None)
OUTLETS = [
    ("Warta Lereng Merapi", "cetak", "faktual", "3308"),
    ("Harian Kedu Sejahtera", "cetak", "administratif", "3371"),
    ("Pelita Pantura Pos", "cetak", "faktual", "3375"),
    ("Serat Kabar Rembang", "cetak", "belum", "3317"),
    ("Mingguan Tani Makmur", "cetak", "administratif", "3315"),
    ("Kabar Telaga Warna", "online", "administratif", "3304"),
    ("Gema Serayu Daring", "online", "faktual", "3302"),
    ("Jurnal Alun-Alun", "online", "belum", "3374"),
    ("Dieng Dalam Berita", "online", "belum", "3307"),
    ("Catatan Kali Garang", "online", "administratif", "3374"),
    ("Kota Lumpia Harian Daring", "online", "faktual", "3374"),
    ("Batik Pesisir Kabar", "online", "belum", "3326"),
    ("Suluh Gunung Gajah Mungkur", "online", "administratif", "3312"),
    ("Kabar Sawah Ladang", "online", "belum", "3314"),
    ("Ronda Berita Klaten", "online", "belum", "3310"),
    ("Sehat Sentosa Media", "online", "administratif", None),
    ("Radio Swara Sindoro", "radio", "administratif", "3323"),
    ("Radio Gita Kali Pepe", "radio", "belum", "3309"),
    ("Radio Kenthongan Kidul", "radio", "belum", "3305"),
    ("Radio Suara Tembakau Lereng", "radio", "administratif", "3323"),
    ("Lintas Muria Televisi", "tv", "faktual", "3319"),
    ("Sinar Slamet Televisi", "tv", "administratif", "3327"),
    ("Kanal Candi Televisi", "tv", "faktual", "3308"),
    ("Kantor Berita Jagad Tengah", "kantor_berita", "faktual", None),
    ("Kantor Berita Antar Warta Khayal", "kantor_berita", "administratif", None),
]

FIRST_NAMES = [
    "Adi", "Agung", "Ahmad", "Anisa", "Ayu", "Bambang", "Bayu", "Citra", "Dani", "Dewi", "Dimas",
    "Eko", "Endah", "Fajar", "Fitri", "Galih", "Gilang", "Hana", "Hendra", "Indah", "Intan",
    "Joko", "Kartika", "Laras", "Lukman", "Maya", "Nanda", "Nur", "Okta", "Prasetyo", "Purnama",
    "Rahma", "Rizal", "Sekar", "Setyo", "Tika", "Tri", "Umi", "Wahyu", "Wening", "Yuli", "Zaki",
]
LAST_NAMES = [
    "Adiwinata", "Anggoro", "Ardiansyah", "Basuki", "Cahyaningrum", "Darmawan", "Febriani",
    "Hartono", "Hidayat", "Irawan", "Kurniawati", "Kusuma", "Lestari", "Maharani", "Mulyadi",
    "Nugroho", "Permatasari", "Pramono", "Prihatin", "Puspitasari", "Rahayu", "Ramadhani",
    "Riyanto", "Santika", "Saputra", "Setiawan", "Sulistyo", "Susanti", "Utami", "Wardhani",
    "Widyastuti", "Wijayanto", "Yulianto",
]
#: (position, weight); broadcasters get a camera or microphone role instead of "Fotografer".
POSITIONS = [("Reporter", 50), ("Kontributor", 15), ("Redaktur", 12), ("Koresponden", 8),
             ("Fotografer", 6), ("Redaktur Pelaksana", 4), ("Pemimpin Redaksi", 2)]
BROADCAST_POSITIONS = {"tv": "Juru Kamera", "radio": "Penyiar"}
FREELANCE_POSITION = "Jurnalis lepas"
PRESS_CARD_ISSUERS = ["Ikatan Pewarta Khayalan (demo)", "Perkumpulan Jurnalis Lereng (demo)",
                      "Kartu pers internal redaksi (demo)"]
UKW = [(None, 45), ("muda", 30), ("madya", 17), ("utama", 8)]
#: Consent per channel: mostly awaiting, some given (documented), a few withdrawn.
CONSENT = [("awaiting", 60), ("given", 33), ("withdrawn", 7)]
CONSENT_METHOD, CONSENT_BASIS = "formulir", "formulir persetujuan (demo)"
WITHDRAWN_HOW = "balasan email (demo)"

#: Which beats each demo OPD follows.
FOLLOWED_BEATS = {
    "DISTANBUN": {"Pertanian dan Pangan"},
    "DISHANPAN": {"Pertanian dan Pangan", "Sosial"},
    "DINKES": {"Kesehatan"},
    "DISDIKBUD": {"Pendidikan", "Budaya dan Pariwisata"},
    "DPUBMCK": {"Infrastruktur dan Transportasi", "Kebencanaan"},
    "BAPPEDA": {"Ekonomi dan Bisnis", "Pemerintahan"},
    "BIROUMUM": {"Pemerintahan", "Politik"},
    "SETDA": {"Pemerintahan", "Politik"},
    "DISKOMINFO": {"Teknologi", "Pemerintahan"},
}
NOTES = [
    "Catatan demo: paling cepat dihubungi lewat WhatsApp pagi hari.",
    "Catatan demo: minta data dalam format tabel, bukan gambar.",
    "Catatan demo: hadir di konferensi pers bulan lalu.",
    "Catatan demo: meliput panen raya; tertarik data produksi padi.",
    "Catatan demo: lebih suka siaran pers dalam bahasa Indonesia dan Jawa.",
]
NOTE_SHARE = 0.12


@dataclass
class Vocabulary:
    beats: dict[str, Beat]
    regions: list[str]
    outlets: list[Outlet]


def _weighted(rng: random.Random, options: list[tuple]) -> object:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def outlet_domain(outlet: Outlet | None) -> str:
    """``warta-lereng-merapi.demo.example``; freelancers share ``lepas.demo.example``."""
    base = outlet.name.removesuffix(MARK) if outlet else "lepas"
    return f"{_slug(base)}.{EMAIL_DOMAIN}"


def already_seeded(session: Session) -> bool:
    names = [name + MARK for name, *_ in OUTLETS]
    return session.scalar(select(Outlet.id).where(Outlet.name.in_(names)).limit(1)) is not None


def _create_outlets(session: Session, admin: User, region_codes: set[str]) -> list[Outlet]:
    return [
        outlets.create_outlet(session, admin, name=name + MARK, type=kind, dewan_pers=state,
                              region_code=code if code in region_codes else None)
        for name, kind, state, code in OUTLETS
    ]


def _names(rng: random.Random, count: int) -> list[str]:
    pairs = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    return [f"{first} {last}{MARK}" for first, last in rng.sample(pairs, count)]


def _regions(rng: random.Random, outlet: Outlet | None, vocab: Vocabulary) -> tuple[bool, list[str]]:
    """Coverage: news agencies, TV and a few others province-wide; else 1–3 regions,
    starting with a local outlet's home region."""
    if not vocab.regions:
        return True, []
    wide = (outlet is not None and outlet.type in ("kantor_berita", "tv") and rng.random() < 0.6) \
        or rng.random() < 0.08
    codes = rng.sample(vocab.regions, rng.choice((1, 1, 2, 3)))
    if outlet is not None and outlet.region_code:
        codes = [outlet.region_code, *[c for c in codes if c != outlet.region_code][:1]]
    return wide, sorted(codes)


def _contact(rng: random.Random, name: str, outlet: Outlet | None,
             counters: dict[str, int]) -> tuple[list[str], list[str]]:
    """Emails and phones for one person, numbers drawn in order from the fake blocks."""
    first, last = name.removesuffix(MARK).lower().split(" ", 1)
    domain = outlet_domain(outlet)
    emails = [f"{first}.{_slug(last)}@{domain}"]  # names are unique, so addresses are too
    if outlet is not None and rng.random() < 0.15:
        emails.append(f"redaksi@{domain}")  # the newsroom's desk address (flagged shared)
    phones = [MOBILE_BLOCK.format(_next(counters, "mobile"))]
    if rng.random() < 0.12:
        phones.append(MOBILE_BLOCK.format(_next(counters, "mobile")))
    if outlet is not None and rng.random() < 0.1:
        phones.append(LANDLINE_BLOCK.format(_next(counters, "landline")))
    if rng.random() < 0.05:
        emails = []  # reachable by phone only
    return emails, phones


def _next(counters: dict[str, int], kind: str) -> int:
    counters[kind] += 1
    if counters[kind] > BLOCK_SIZE:
        raise RuntimeError(f"the fake {kind} block is used up")
    return counters[kind]


def _position(rng: random.Random, outlet: Outlet | None) -> str:
    position = _weighted(rng, POSITIONS)
    if outlet is None:
        return FREELANCE_POSITION
    if position == "Fotografer" and outlet.type in BROADCAST_POSITIONS:
        return BROADCAST_POSITIONS[outlet.type]
    return position


def _preferred(rng: random.Random, emails: list[str]) -> list[str]:
    channels = ["whatsapp", "email"] if emails else ["whatsapp"]
    rng.shuffle(channels)
    return channels[: rng.choice((0, 1, 2, 2))]


def _data(session: Session, rng: random.Random, name: str, vocab: Vocabulary,
          counters: dict[str, int]) -> journalists.JournalistData:
    outlet = rng.choice(vocab.outlets) if rng.random() < 0.92 else None
    province_wide, region_codes = _regions(rng, outlet, vocab)
    emails, phones = _contact(rng, name, outlet, counters)
    beat_names = rng.sample(sorted(vocab.beats), min(len(vocab.beats), rng.choice((1, 1, 2, 2, 3))))
    return journalists.clean_input(
        session, full_name=name, outlet_id=outlet.id if outlet else None,
        position=_position(rng, outlet), ukw_level=_weighted(rng, UKW),
        press_card_issuer=rng.choice(PRESS_CARD_ISSUERS) if rng.random() < 0.6 else None,
        province_wide=province_wide, region_codes=region_codes,
        beat_ids=[vocab.beats[b].id for b in beat_names], emails=emails, phones=phones,
        preferred_channels=_preferred(rng, emails),
    )


def _followers(rng: random.Random, data: journalists.JournalistData, vocab: Vocabulary,
               opds: dict[str, Opd]) -> list[Opd]:
    """The OPDs that plausibly follow this person: by beat, plus Diskominfo for some."""
    beats = {name for name, beat in vocab.beats.items() if beat.id in data.beat_ids}
    codes = [code for code, followed in FOLLOWED_BEATS.items() if beats & followed and code in opds]
    if "DISKOMINFO" in opds and "DISKOMINFO" not in codes and (data.province_wide or rng.random() < 0.3):
        codes.append("DISKOMINFO")
    if not codes:
        codes = ["DISKOMINFO" if "DISKOMINFO" in opds else sorted(opds)[0]]
    return [opds[code] for code in codes]


def _consents(session: Session, rng: random.Random, journalist: Journalist, admin: User) -> None:
    """Record some consent as given (on a demo basis) and withdraw a few, per channel."""
    reachable = {"email": bool(journalist.emails),
                 "whatsapp": any(p.whatsapp_capable for p in journalist.phones)}
    for channel in ("email", "whatsapp"):
        state = _weighted(rng, CONSENT)
        if state == "awaiting" or not reachable[channel]:
            continue
        journalists.record_consent(session, admin, journalist, channel, method=CONSENT_METHOD,
                                   basis=CONSENT_BASIS)
        if state == "withdrawn":
            journalists.withdraw_consent(session, admin, journalist, channel, how=WITHDRAWN_HOW)


def _add_one(session: Session, rng: random.Random, admin: User, followers: list[Opd],
             data: journalists.JournalistData) -> Journalist:
    """Create the person through the first following OPD; the others follow, some note."""
    journalist = journalists.create_journalist(session, admin, followers[0], data)
    for opd in followers[1:]:
        journalists.follow(session, admin, journalist, opd)
    for opd in followers:
        if rng.random() < NOTE_SHARE:
            journalists.set_notes(session, admin, journalist, opd, rng.choice(NOTES))
    _consents(session, rng, journalist, admin)
    return journalist


def seed_journalists(session: Session, opds_by_code: dict[str, Opd], admin: User,
                     count: int = COUNT) -> int:
    """Add the demo outlets and ``count`` journalists; return how many records were added."""
    if already_seeded(session) or not opds_by_code:
        return 0
    rng = random.Random(SEED)
    region_codes = list(session.scalars(select(Region.code).order_by(Region.code)))
    vocab = Vocabulary(
        beats={b.name: b for b in session.scalars(select(Beat).where(Beat.is_active.is_(True)))},
        regions=region_codes,
        outlets=_create_outlets(session, admin, set(region_codes)),
    )
    counters = {"mobile": 0, "landline": 0}
    for name in _names(rng, count):
        data = _data(session, rng, name, vocab, counters)
        _add_one(session, rng, admin, _followers(rng, data, vocab, opds_by_code), data)
    session.flush()
    return len(vocab.outlets) + count
