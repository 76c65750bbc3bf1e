"""The personal-data check (UU 27/2022 PDP): columns that look like they hold people's data.

A flagged column blocks publication until a person confirms it may be published, or removes
it. The check errs on the side of flagging: confirming a false alarm takes a click, a leak
cannot be taken back. It flags

* ``nik``: 16-digit population numbers (NIK, and KK numbers built the same way): a province
  code (11–96), regency and district codes, a birth date (day + 40 for women) — also when
  Excel turned them into ``3,30101E+15``;
* ``phone``: Indonesian phone numbers (``0812…``, ``+62 812…``, ``(024) 351…``) that the
  ``phonenumbers`` library accepts as valid;
* ``email``: e-mail addresses;
* ``name_address``: a column of people's names (by its header: "Nama", "Nama Penerima",
  "Pemilik" …, not "Nama Kabupaten" or "Nama Proyek"; or by titles such as "Bpk.", "Hj.",
  ", S.Pd.") in the same table as a column of home addresses ("Alamat", or cells with RT/RW,
  "Jl.", "Gg.", "Dusun", "No. 12"): both columns are flagged.

A column is flagged when at least 30 % of its non-empty cells match, or when its header says
what it is (NIK, No HP, Email …) and at least one cell matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException

from pressroom.datasets.schema import name_key
from pressroom.datasets.tables import Preview
from pressroom.datasets.values import Cell, is_missing, native_number
from pressroom.i18n import _l

#: Share of a column's non-empty cells that must match for it to be flagged.
SHARE = 0.3
#: Row numbers kept per flag, for a person to look at.
EXAMPLE_ROWS = 5

#: Kemendagri province codes (Aceh 11 … Papua Barat Daya 96).
PROVINCES = frozenset([*range(11, 20), 21, *range(31, 37), 51, 52, 53, *range(61, 66), *range(71, 77), 81, 82,
                       *range(91, 97)])
_NIK_WORDS = {"nik", "ktp", "kk", "nkk", "kependudukan", "nomor induk kependudukan"}
_PHONE_WORDS = {"hp", "telp", "tlp", "telepon", "telpon", "phone", "ponsel", "handphone", "whatsapp", "wa",
                "mobile", "seluler", "kontak", "contact"}
_EMAIL_WORDS = {"email", "surel", "mail"}
_NAME_WORDS = {"nama", "name"}
_PERSON_WORDS = {"penerima", "pemilik", "warga", "pasien", "pelapor", "pemohon", "responden", "peserta",
                 "krt", "ahli waris", "kepala keluarga", "korban", "siswa", "mahasiswa", "pegawai", "petani",
                 "nelayan", "debitur", "tersangka", "lengkap", "orang tua", "ayah", "ibu", "wali"}
#: Words that make a "nama …" header name something other than a person.
_NOT_PERSON_WORDS = {
    "kabupaten", "kota", "kab", "kabkota", "kecamatan", "kec", "desa", "kelurahan", "kel", "provinsi",
    "wilayah", "daerah", "proyek", "kegiatan", "program", "paket", "opd", "dinas", "instansi", "sekolah",
    "perusahaan", "usaha", "badan", "lembaga", "media", "komoditas", "barang", "jalan", "ruas", "jembatan",
    "pasar", "rumah sakit", "puskesmas", "kelompok", "koperasi", "unit", "satuan", "indikator", "dataset",
    "produk", "tempat", "lokasi", "bidang", "sektor", "jenis", "kategori", "objek", "obyek", "wisata",
}
_ADDRESS_WORDS = {"alamat", "address", "domisili", "tempat tinggal"}
_ADDRESS_CELL = re.compile(r"\b(?:jl|jln|gg|dsn)\.|\b(?:gang|dusun|perum|perumahan|komplek|kompleks)\s+\w|"
                           r"\brt\.?\s*\d|\brw\.?\s*\d|\bno\.?\s*\d+", re.I)
_TITLE_CELL = re.compile(r"^(?:bpk|bapak|ibu|sdr|sdri|saudara|saudari|h|hj|dr|drs|dra|ir|ny|tn)\.?\s+[a-z]|"
                         r",\s*(?:s|m|a|d)\.\s?[a-z]", re.I)
_EMAIL_CELL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.I)
_PHONE_CELL = re.compile(r"\+?[\d\s().-]{9,22}")
_SCIENTIFIC = re.compile(r"(\d)[.,](\d+)e\+?(\d+)", re.I)


@dataclass(frozen=True)
class PersonalDataFlag:
    column: str
    kind: str  # nik | phone | email | name_address
    reason: object  # for people, in their language
    matches: int  # cells that look like it
    rows: tuple[int, ...]  # a few row numbers where it shows

    def as_dict(self) -> dict:
        return {"column": self.column, "kind": self.kind, "reason": str(self.reason), "matches": self.matches,
                "rows": list(self.rows)}


def _words(header: str) -> tuple[set[str], str]:
    key = name_key(header)
    return set(key.split()), key


def _has(words: set[str], key: str, vocabulary: set[str]) -> bool:
    return any((w in key) if " " in w else (w in words) for w in vocabulary)


def _digits(value: Cell) -> str | None:
    """The digits of a number-like identifier cell ("3301 0123…", 3301012345670001)."""
    number = native_number(value)
    if number is not None:
        return str(int(number)) if number == int(number) and number >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"[\d .-]+", text):
        return re.sub(r"\D", "", text)
    return None


def looks_like_nik(value: Cell) -> bool:
    """A 16-digit number laid out like a NIK: PP KK CC DDMMYY NNNN."""
    if isinstance(value, str) and (match := _SCIENTIFIC.fullmatch(value.strip())):
        # Excel showed a 16-digit number as 3,37401E+15: only the province code is left to check.
        return int(match[3]) == 15 and int(match[1] + match[2][:1]) in PROVINCES
    digits = _digits(value)
    if digits is None or len(digits) != 16:
        return False
    day, month = int(digits[6:8]), int(digits[8:10])
    return (int(digits[:2]) in PROVINCES and digits[2:4] != "00" and digits[4:6] != "00"
            and (1 <= day <= 31 or 41 <= day <= 71) and 1 <= month <= 12)


def looks_like_phone(value: Cell) -> bool:
    """An Indonesian phone number, as people write them."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not _PHONE_CELL.fullmatch(text):
        return False
    digits = re.sub(r"\D", "", text)
    if not 9 <= len(digits) <= 15:
        return False
    plus = text.startswith("+")
    if not (digits.startswith("0") or digits.startswith("62") or plus):
        return False
    if digits.startswith("62") and not plus:
        digits = "+" + digits
    elif plus:
        digits = "+" + digits
    try:
        number = phonenumbers.parse(digits, "ID")
    except NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def _looks_like_header_phone(value: Cell) -> bool:
    """Under a phone header, also numbers that lost their leading zero in a spreadsheet."""
    if looks_like_phone(value):
        return True
    digits = _digits(value)
    return digits is not None and digits.startswith("8") and looks_like_phone("0" + digits)


def check_personal_data(columns: Sequence[str], rows: Iterable[Sequence[Cell] | Mapping[str, Cell]], *,
                        row_numbers: Sequence[int] | None = None) -> list[PersonalDataFlag]:
    """Flag the columns that look like personal data. ``rows`` are lists in ``columns``' order
    or mappings by column name; ``row_numbers`` as the person sees them (default 1, 2, …)."""
    table = [[row.get(c) for c in columns] if isinstance(row, Mapping) else list(row) for row in rows]
    numbers = list(row_numbers) if row_numbers is not None else list(range(1, len(table) + 1))
    flags: dict[int, PersonalDataFlag] = {}
    names, addresses = [], []
    for index, column in enumerate(columns):
        cells = [(n, r[index]) for n, r in zip(numbers, table, strict=True)
                 if index < len(r) and not is_missing(r[index])]
        if not cells:
            continue
        words, key = _words(column)

        def matching(test, cells=cells) -> list[int]:
            return [n for n, v in cells if test(v)]

        def enough(hits: list[int], header: bool, cells=cells) -> bool:
            return bool(hits) and (header or len(hits) >= SHARE * len(cells))

        nik = matching(looks_like_nik)
        if enough(nik, _has(words, key, _NIK_WORDS)):
            flags[index] = _flag(column, "nik", nik, _l(
                "%(count)s cells look like NIK or KK numbers (16 digits: a province code, a date of birth, a "
                "serial number).", count=len(nik)))
            continue
        phone_header = _has(words, key, _PHONE_WORDS)
        phones = matching(_looks_like_header_phone if phone_header else looks_like_phone)
        if enough(phones, phone_header):
            flags[index] = _flag(column, "phone", phones, _l("%(count)s cells look like phone numbers.",
                                                              count=len(phones)))
            continue
        emails = matching(lambda v: isinstance(v, str) and bool(_EMAIL_CELL.fullmatch(v.strip())))
        if enough(emails, _has(words, key, _EMAIL_WORDS)):
            flags[index] = _flag(column, "email", emails, _l("%(count)s cells look like e-mail addresses.",
                                                              count=len(emails)))
            continue
        titled = matching(lambda v: isinstance(v, str) and bool(_TITLE_CELL.search(v)))
        person_header = (_has(words, key, _NAME_WORDS | _PERSON_WORDS)
                         and not _has(words, key, _NOT_PERSON_WORDS))
        if person_header or enough(titled, False):
            names.append((index, [n for n, _v in cells]))
            continue
        located = matching(lambda v: isinstance(v, str) and bool(_ADDRESS_CELL.search(v)))
        if _has(words, key, _ADDRESS_WORDS) or enough(located, False):
            addresses.append((index, located or [n for n, _v in cells]))
    if names and addresses:
        name_list = ", ".join(columns[i] for i, _r in names)
        address_list = ", ".join(columns[i] for i, _r in addresses)
        for index, hits in names + addresses:
            flags[index] = _flag(columns[index], "name_address", hits, _l(
                "People's names together with their addresses (columns %(names)s and %(addresses)s).",
                names=name_list, addresses=address_list))
    return [flags[i] for i in sorted(flags)]


def check_preview(preview: Preview) -> list[PersonalDataFlag]:
    """check_personal_data for a preview's table."""
    return check_personal_data(preview.names, preview.rows, row_numbers=preview.row_numbers)


def _flag(column: str, kind: str, rows: list[int], reason: object) -> PersonalDataFlag:
    return PersonalDataFlag(column, kind, reason, len(rows), tuple(rows[:EXAMPLE_ROWS]))
