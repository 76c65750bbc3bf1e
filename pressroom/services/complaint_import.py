"""Importing existing Lapor Gub reports from a CSV file, keeping their original IDs.

Two steps, each reading the privately stored upload again: ``check_file`` reads every row and
says what would be imported and what is wrong, row by row; ``commit_import`` does the same
checks and writes every report in one transaction, or refuses and writes nothing.

The file: UTF-8 with or without a BOM (Windows-1252 is read too), separated by ``;`` or
``,`` (tab and ``|`` also work), the first row naming the columns in Indonesian or English
(``ALIASES``). Required: the original ID, when it was received, and the description.

What an imported report becomes:

* ``original_id`` is the ID in the file; it is also the tracking ID when it is free, at most
  20 characters and already written as people type it (upper-case letters, digits and
  ``-``), otherwise a new tracking ID is made. An original ID already in Pressroom is refused
  ("already imported"), as is the same ID twice in one file.
* ``source`` is ``import``. Times without a zone are WIB; a date without a time is 00.00 WIB.
* The status (Indonesian or internal words, ``STATUS_WORDS``) maps onto the internal states;
  without one, a report with an answer is ``answered``, else ``received``. The first response
  is the given one, else the earliest of forwarding, answer and resolution in the file.
* The reporter gets no message and has no PIN (they were never told one): the ID alone shows
  the status.
* **Nothing of an imported report is public until a verifier reviews it** (``reviewed_at`` is
  left empty), exactly as for a report received on the web.
* The rollups count it in the same transaction (``complaints.count_in_rollups``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.datasets.errors import DatasetInputError
from pressroom.datasets.tables import read_table
from pressroom.i18n import _l
from pressroom.models import Complaint, ComplaintCategory, ComplaintEvent, Opd, Region, User
from pressroom.models.complaint import COMPLAINT_TYPES
from pressroom.services import ValidationError, audit, complaints, workcal
from pressroom.services.contact_points import ContactError, normalise_email, normalise_phone

#: Rows shown as a sample in the preview, and row problems listed at most.
SAMPLE_LIMIT = 20
ERROR_LIMIT = 300
#: Rows looked up per query.
CHUNK = 500
MAX_ORIGINAL_ID = 60
#: An original ID used as the tracking ID must look like one (typed, read out, in a URL).
_TRACKING_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")

#: Fields, in the order the preview lists them.
FIELDS = ("original_id", "received_at", "type", "category", "description", "region", "kecamatan", "address",
          "status", "opd", "reporter_name", "contact", "answer", "first_response_at", "forwarded_at",
          "answered_at", "resolved_at", "anonymous", "confidential", "urgent")
REQUIRED = ("original_id", "received_at", "description")
FIELD_LABELS = {
    "original_id": _l("Original ID"), "received_at": _l("Received (WIB)"), "type": _l("Type"),
    "category": _l("Category"), "description": _l("Description"), "region": _l("Kabupaten/kota"),
    "kecamatan": _l("Kecamatan"), "address": _l("Address"), "status": _l("Status"), "opd": _l("OPD"),
    "reporter_name": _l("Reporter's name"), "contact": _l("Reporter's contact"), "answer": _l("Answer"),
    "first_response_at": _l("First response (WIB)"), "forwarded_at": _l("Forwarded to the OPD (WIB)"),
    "answered_at": _l("Answered (WIB)"), "resolved_at": _l("Resolved (WIB)"), "anonymous": _l("Anonymous"),
    "confidential": _l("Confidential"), "urgent": _l("Urgent"),
}
#: Normalised header (lower case, words only, "wib" dropped) -> field.
ALIASES: dict[str, str] = {}
for _field, _names in {
    "original_id": ("id", "id laporan", "no", "nomor", "no laporan", "nomor laporan", "kode laporan",
                    "no tiket", "nomor tiket", "tiket", "tracking id", "original id", "id asal", "id lama",
                    "kode", "report id", "service request id"),
    "received_at": ("diterima", "tanggal", "waktu", "tanggal laporan", "waktu laporan", "tanggal diterima",
                    "waktu diterima", "received", "received at", "tanggal masuk", "dibuat", "created",
                    "created at", "tgl", "tgl laporan", "requested datetime"),
    "type": ("jenis", "jenis laporan", "tipe", "type", "klasifikasi"),
    "category": ("kategori", "category", "kode kategori", "topik", "service code", "layanan"),
    "description": ("isi", "isi laporan", "uraian", "deskripsi", "description", "laporan", "keluhan",
                    "pengaduan", "detail"),
    "region": ("kab kota", "kabupaten kota", "kabkota", "kabupaten", "kota", "wilayah", "region", "kode bps",
               "kode wilayah", "daerah"),
    "kecamatan": ("kecamatan", "kec", "district"),
    "address": ("alamat", "lokasi", "address", "location"),
    "status": ("status", "state", "status laporan"),
    "opd": ("opd", "opd tujuan", "dinas", "instansi", "instansi tujuan", "agency", "disposisi ke"),
    "reporter_name": ("nama", "nama pelapor", "pelapor", "reporter", "reporter name", "name"),
    "contact": ("kontak", "contact", "email", "e mail", "no hp", "nomor hp", "hp", "telepon", "telp",
                "whatsapp", "wa", "no wa", "kontak pelapor"),
    "answer": ("jawaban", "tanggapan", "answer", "balasan", "tindak lanjut", "respon", "response"),
    "first_response_at": ("tanggapan pertama", "respon pertama", "first response", "first response at",
                          "waktu respon pertama", "waktu tanggapan pertama"),
    "forwarded_at": ("diteruskan", "tanggal diteruskan", "tanggal disposisi", "waktu disposisi",
                     "forwarded", "forwarded at"),
    "answered_at": ("dijawab", "tanggal jawaban", "waktu jawaban", "answered", "answered at",
                    "tanggal tanggapan", "waktu tanggapan", "tgl jawaban", "dijawab pada"),
    "resolved_at": ("selesai", "tanggal selesai", "waktu selesai", "resolved", "resolved at",
                    "tanggal tuntas"),
    "anonymous": ("anonim", "anonymous", "rahasiakan identitas"),
    "confidential": ("rahasia", "confidential", "laporan rahasia"),
    "urgent": ("mendesak", "urgent", "darurat"),
}.items():
    for _name in _names:
        ALIASES[_name] = _field

TYPE_WORDS = {
    "pengaduan": "pengaduan", "aduan": "pengaduan", "keluhan": "pengaduan", "complaint": "pengaduan",
    "aspirasi": "aspirasi", "saran": "aspirasi", "aspiration": "aspirasi", "usulan": "aspirasi",
    "informasi": "informasi", "permintaan informasi": "informasi", "info": "informasi",
    "information": "informasi", "information request": "informasi", "permohonan informasi": "informasi",
}
#: Status words (Indonesian citizen labels, common synonyms, the internal states) -> state.
STATUS_WORDS = {
    "menunggu": "received", "baru": "received", "diterima": "received", "belum diverifikasi": "received",
    "pending": "received", "received": "received", "open": "received",
    "diverifikasi": "verified", "terverifikasi": "verified", "verified": "verified",
    "disposisi": "dispositioned", "didisposisikan": "dispositioned", "diteruskan": "dispositioned",
    "dispositioned": "dispositioned",
    "dalam tindakan": "in_progress", "diproses": "in_progress", "proses": "in_progress",
    "dalam proses": "in_progress", "ditindaklanjuti": "in_progress", "in progress": "in_progress",
    "dijawab": "answered", "ditanggapi": "answered", "answered": "answered",
    "resolved": "resolved", "menunggu konfirmasi": "resolved",
    "tuntas": "closed", "selesai": "closed", "ditutup": "closed", "closed": "closed",
    "tidak layak": "rejected", "ditolak": "rejected", "rejected": "rejected",
    "bukan wewenang": "handed_off", "dialihkan": "handed_off", "handed off": "handed_off",
}
#: States in which the reporter has had a response (the first-response clock is done).
_RESPONDED = ("verified", "dispositioned", "in_progress", "answered", "resolved", "closed", "rejected",
              "handed_off")
_YES = {"ya", "y", "yes", "1", "true", "benar", "x", "iya"}
_NO = {"tidak", "t", "no", "n", "0", "false", "salah", "bukan", ""}
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%H.%M.%S", "%H.%M")
_REGION_PREFIXES = (("kabupaten ", "kabupaten"), ("kab ", "kabupaten"), ("kota ", "kota"))


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", (text or "").lower()).split())


def field_for(header: str) -> str | None:
    words = [w for w in _words(header).split() if w != "wib"]
    return ALIASES.get(" ".join(words))


def parse_moment(value: Any) -> datetime:
    """A moment from a cell: ISO text with or without a zone, ``20/03/2026 09.15``, a spreadsheet
    date or datetime. Without a zone it is WIB; a date alone is 00.00 WIB. ValueError otherwise."""
    if isinstance(value, datetime):
        return clock.from_wib(value)  # aware values are converted, naive ones read as WIB
    if isinstance(value, date):
        return clock.from_wib(datetime.combine(value, time()))
    text = " ".join(str(value or "").split())
    if not text:
        raise ValueError("empty")
    try:
        return clock.from_wib(datetime.fromisoformat(text))
    except ValueError:
        pass
    day_text, _, time_text = text.replace("T", " ", 1).partition(" ")
    day = None
    for fmt in _DATE_FORMATS:
        try:
            day = datetime.strptime(day_text, fmt).date()
            break
        except ValueError:
            continue
    if day is None:
        raise ValueError(text)
    moment = time()
    if time_text:
        for fmt in _TIME_FORMATS:
            try:
                moment = datetime.strptime(time_text.removesuffix("WIB").strip(), fmt).time()
                break
            except ValueError:
                continue
        else:
            raise ValueError(text)
    return clock.from_wib(datetime.combine(day, moment))


# Reading the file ------------------------------------------------------------------------------
@dataclass
class Row:
    """One row of the file: its number as a spreadsheet shows it, its values, its problems."""

    number: int
    original_id: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    errors: list[object] = field(default_factory=list)
    #: For the preview: labels rather than ids.
    shown: dict[str, str] = field(default_factory=dict)


@dataclass
class Check:
    filename: str
    #: Field -> the header naming it in the file.
    columns: dict[str, str]
    ignored: list[str]
    rows: list[Row]
    file_errors: list[object] = field(default_factory=list)

    @property
    def error_rows(self) -> list[Row]:
        return [r for r in self.rows if r.errors]

    @property
    def good_rows(self) -> list[Row]:
        return [r for r in self.rows if not r.errors]

    @property
    def can_commit(self) -> bool:
        return not self.file_errors and bool(self.rows) and not self.error_rows


@dataclass(frozen=True)
class ImportResult:
    count: int
    complaint_ids: list[int]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Context:
    """What rows are checked against, loaded once per file."""

    def __init__(self, session: Session, config, originals: list[str]):
        self.now = clock.now()
        self.calendar = workcal.load(session, config)
        categories = list(session.scalars(select(ComplaintCategory)))
        self.categories = {c.code.lower(): c for c in categories}
        for c in categories:
            self.categories.setdefault(_words(c.name), c)
            if c.name_en:
                self.categories.setdefault(_words(c.name_en), c)
        self.regions: dict[str, Region] = {}
        self.region_names: dict[tuple[str, str], list[Region]] = {}
        for region in session.scalars(select(Region)):
            self.regions[region.code] = region
            kind = "kota" if region.kind.lower() == "kota" else "kabupaten"
            base = _words(re.sub(r"^(kabupaten|kota)\s+", "", region.name, flags=re.I))
            self.region_names.setdefault((kind, base), []).append(region)
            self.region_names.setdefault(("", base), []).append(region)
        self.opds: dict[str, Opd] = {}
        for opd in session.scalars(select(Opd)):
            for key in (opd.code.lower(), _words(opd.short_name), _words(opd.name)):
                self.opds.setdefault(key, opd)
        ids = [o for o in dict.fromkeys(originals) if o]
        self.imported: set[str] = set()
        self.taken_tracking: set[str] = set()
        candidates = [o for o in ids if _TRACKING_RE.match(o)]
        for start in range(0, len(ids), CHUNK):
            self.imported.update(session.scalars(select(Complaint.original_id).where(
                Complaint.original_id.in_(ids[start:start + CHUNK]))))
        for start in range(0, len(candidates), CHUNK):
            self.taken_tracking.update(session.scalars(select(Complaint.tracking_id).where(
                Complaint.tracking_id.in_(candidates[start:start + CHUNK]))))

    def region(self, text: str) -> Region | None:
        digits = text.replace(".", "").replace(" ", "")
        if digits.isdigit():
            return self.regions.get(digits)
        words = _words(text)
        kind, base = "", words
        for prefix, prefix_kind in _REGION_PREFIXES:
            if words.startswith(prefix):
                kind, base = prefix_kind, words[len(prefix):]
                break
        found = self.region_names.get((kind, base), [])
        return found[0] if len(found) == 1 else None


def read_rows(data: bytes, filename: str, *, max_rows: int) -> tuple[list[str], list[tuple[int, list]]]:
    """The header and the data rows (with their numbers) of a CSV upload; ValidationError on a file
    that is not a readable table."""
    try:
        raw = read_table(data, filename, max_rows=max_rows)
    except DatasetInputError as exc:
        if exc.code == "too_many_rows":
            raise ValidationError.one("file", _l("The file has more than %(n)s reports; split it.",
                                                 n=max_rows)) from None
        raise ValidationError.one("file", exc.message) from None
    sheets = [s for s in raw.sheets if not s.is_blank]
    if not sheets:
        raise ValidationError.one("file", _l("The file is empty."))
    rows = sheets[0].rows
    start = next(i for i, r in enumerate(rows) if any(_cell_text(c) for c in r))
    header = [_cell_text(c) for c in rows[start]]
    body = [(i + 1, r) for i, r in enumerate(rows) if i > start and any(_cell_text(c) for c in r)]
    if len(body) > max_rows:
        raise ValidationError.one("file", _l("The file has more than %(n)s reports; split it.", n=max_rows))
    return header, body


def check_file(session: Session, data: bytes, filename: str, *, config, max_rows: int) -> Check:
    """Read and check every row; nothing is written."""
    header, body = read_rows(data, filename, max_rows=max_rows)
    columns: dict[str, int] = {}
    ignored: list[str] = []
    file_errors: list[object] = []
    for index, name in enumerate(header):
        target = field_for(name)
        if target is None:
            if name:
                ignored.append(name)
        elif target in columns:
            file_errors.append(_l("The columns “%(a)s” and “%(b)s” both look like %(field)s: rename or "
                                  "remove one.", a=header[columns[target]], b=name,
                                  field=FIELD_LABELS[target]))
        else:
            columns[target] = index
    for required in REQUIRED:
        if required not in columns:
            file_errors.append(_l("The file has no column for %(field)s (e.g. “%(example)s”).",
                                  field=FIELD_LABELS[required],
                                  example={"original_id": "ID", "received_at": "Tanggal diterima",
                                           "description": "Isi laporan"}[required]))
    named = {f: header[i] for f, i in sorted(columns.items(), key=lambda kv: kv[1])}
    if file_errors:
        return Check(filename, named, ignored, [], file_errors)
    if not body:
        return Check(filename, named, ignored, [], [_l("The file has a header row but no reports.")])

    def cell(cells: list, key: str) -> Any:
        index = columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    originals = [_cell_text(cell(cells, "original_id")) for _n, cells in body]
    context = _Context(session, config, originals)
    seen: dict[str, int] = {}
    used_tracking: set[str] = set()
    rows = []
    for number, cells in body:
        row = _check_row(number, {key: cell(cells, key) for key in columns}, context)
        if row.original_id:
            if row.original_id in seen:
                row.errors.append(_l("The ID %(id)s is also on row %(row)s.", id=row.original_id,
                                     row=seen[row.original_id]))
            else:
                seen[row.original_id] = number
        if not row.errors:
            original = row.original_id
            if (_TRACKING_RE.match(original) and original not in context.taken_tracking
                    and original not in used_tracking):
                row.values["tracking_id"] = original
                used_tracking.add(original)
        rows.append(row)
    # New tracking IDs for the others, free in the database and in the file.
    waiting = [row for row in rows if not row.errors and "tracking_id" not in row.values]
    for row, tracking in zip(waiting, _fresh_tracking_ids(session, len(waiting), used_tracking), strict=True):
        row.values["tracking_id"] = tracking
    return Check(filename, named, ignored, rows)


def _fresh_tracking_ids(session: Session, count: int, taken: set[str]) -> list[str]:
    """``count`` new tracking IDs (as ``complaints.new_tracking_id`` makes them), free in the
    database and not in ``taken``, looked up a chunk at a time rather than one by one."""
    found: list[str] = []
    while len(found) < count:
        batch = set()
        while len(batch) < min(CHUNK, count - len(found)):
            raw = "".join(secrets.choice(complaints.ALPHABET) for _ in range(8))
            candidate = f"LG-{raw[:4]}-{raw[4:]}"
            if candidate not in taken:
                batch.add(candidate)
        clash = set(session.scalars(select(Complaint.tracking_id).where(Complaint.tracking_id.in_(batch))))
        for candidate in sorted(batch - clash):
            taken.add(candidate)
            found.append(candidate)
    return found


def _flag(text: str, label: object, errors: list) -> bool | None:
    word = _words(text)
    if word in _YES:
        return True
    if word in _NO:
        return False if word else None
    errors.append(_l("%(field)s: “%(value)s” is not ya or tidak.", field=label, value=text[:20]))
    return None


def _check_row(number: int, cells: dict[str, Any], ctx: _Context) -> Row:
    row = Row(number)
    errors = row.errors
    text = {k: _cell_text(v) for k, v in cells.items()}
    original = text.get("original_id", "")
    row.original_id = original[:MAX_ORIGINAL_ID]
    if not original:
        errors.append(_l("The original ID is empty."))
    elif len(original) > MAX_ORIGINAL_ID:
        errors.append(_l("The original ID is longer than %(n)s characters.", n=MAX_ORIGINAL_ID))
    elif original in ctx.imported:
        errors.append(_l("Already imported: a report with the original ID %(id)s is in Pressroom.",
                         id=original))

    def moment(key: str, *, required: bool = False) -> datetime | None:
        raw = cells.get(key)
        if not text.get(key):
            if required:
                errors.append(_l("%(field)s is empty.", field=FIELD_LABELS[key]))
            return None
        try:
            value = parse_moment(raw)
        except ValueError:
            errors.append(_l("%(field)s: “%(value)s” is not a date and time (write 2025-11-03 09:15 or "
                             "03/11/2025 09.15, WIB).", field=FIELD_LABELS[key], value=text[key][:40]))
            return None
        if value > ctx.now:
            errors.append(_l("%(field)s is in the future.", field=FIELD_LABELS[key]))
            return None
        return value

    received = moment("received_at", required=True)
    first = moment("first_response_at")
    forwarded = moment("forwarded_at")
    answered = moment("answered_at")
    resolved = moment("resolved_at")
    if received is not None:
        for key, value in (("first_response_at", first), ("forwarded_at", forwarded),
                           ("answered_at", answered), ("resolved_at", resolved)):
            if value is not None and value < received:
                errors.append(_l("%(field)s is before the report was received.", field=FIELD_LABELS[key]))

    kind = TYPE_WORDS.get(_words(text.get("type", "")), "" if text.get("type") else "pengaduan")
    if kind not in COMPLAINT_TYPES:
        errors.append(_l("Type: “%(value)s” is not pengaduan, aspirasi or informasi.",
                         value=text["type"][:40]))
    category = None
    if text.get("category"):
        typed = text["category"]
        category = ctx.categories.get(typed.lower()) or ctx.categories.get(_words(typed))
        if category is None:
            errors.append(_l("Category: “%(value)s” is neither the code nor the name of a category. Add it "
                             "under Categories first, or correct the file.", value=text["category"][:60]))
    description = text.get("description", "")
    if not description:
        errors.append(_l("The description is empty."))
    elif len(description) > complaints.MAX_DESCRIPTION:
        errors.append(_l("The description is %(n)s characters; at most %(max)s.", n=len(description),
                         max=complaints.MAX_DESCRIPTION))
    region = None
    if text.get("region"):
        region = ctx.region(text["region"])
        if region is None:
            errors.append(_l("Kabupaten/kota: “%(value)s” is not one of Jawa Tengah's 35 (write e.g. “Kota "
                             "Semarang”, “Kab. Semarang” or the BPS code 3374).", value=text["region"][:40]))
    opd = None
    if text.get("opd"):
        opd = ctx.opds.get(text["opd"].lower()) or ctx.opds.get(_words(text["opd"]))
        if opd is None:
            errors.append(_l("OPD: “%(value)s” is not the code or name of an OPD in Pressroom.",
                             value=text["opd"][:60]))
    email = phone = None
    if text.get("contact"):
        try:
            if "@" in text["contact"]:
                email = normalise_email(text["contact"]).address
            else:
                phone = normalise_phone(text["contact"]).e164
        except ContactError as exc:
            errors.append(_l("Contact: %(why)s", why=exc.message))
    answer = text.get("answer", "")
    if len(answer) > 8000:
        errors.append(_l("The answer is longer than %(n)s characters.", n=8000))
    if text.get("status"):
        state = STATUS_WORDS.get(_words(text["status"]).replace("_", " "))
        if state is None:
            errors.append(_l("Status: “%(value)s” is not one of: %(words)s.", value=text["status"][:40],
                             words="menunggu, diverifikasi, disposisi, dalam tindakan, dijawab, tuntas, "
                                   "tidak layak, bukan wewenang"))
    else:
        state = "answered" if answer else "received"
    if answer and answered is None and state not in ("rejected", "handed_off") and not errors:
        errors.append(_l("The report has an answer but no date of the answer (column “%(field)s”).",
                         field=FIELD_LABELS["answered_at"]))
    flags = {key: _flag(text.get(key, ""), FIELD_LABELS[key], errors)
             for key in ("anonymous", "confidential", "urgent")}
    if errors or received is None or state is None:
        return row

    if state in ("resolved", "closed"):
        resolved = resolved or answered
    known = [m for m in (forwarded, answered, resolved) if m is not None]
    if first is None and state in _RESPONDED and known:
        first = min(known)
    closed_at = None
    if state == "closed":
        closed_at = resolved
    elif state in ("rejected", "handed_off"):
        closed_at = answered or first
    row.values = {
        "original_id": original,
        "type": kind,
        "category_id": category.id if category else None,
        "description": description,
        "region_code": region.code if region else None,
        "kecamatan": text.get("kecamatan", "")[:100],
        "address": text.get("address", "")[:300],
        "reporter_name": " ".join(text.get("reporter_name", "").split())[:150],
        "reporter_email": email,
        "reporter_phone": phone,
        "anonymous": True if flags["anonymous"] is None else flags["anonymous"],
        "confidential": bool(flags["confidential"]),
        "urgent": bool(flags["urgent"]),
        "state": state,
        "opd_id": opd.id if opd else None,
        "received_at": received,
        "clock_start_at": ctx.calendar.clock_start(received),
        "first_response_at": first,
        "forwarded_at": forwarded,
        "answered_at": answered if state not in ("rejected", "handed_off") else None,
        "resolved_at": resolved if state in ("resolved", "closed") else None,
        "closed_at": closed_at,
        "state_reason": answer[:2000] if state == "rejected" and answer else None,
    }
    if answer:
        kinds = {"rejected": "rejected", "handed_off": "handed_off"}
        row.events.append({"kind": kinds.get(state, "answer"), "text": answer,
                           "created_at": answered or first or received,
                           "details": {"imported": True, "resolved": state in ("resolved", "closed")}})
    row.shown = {
        "type": kind,
        "category": category.name if category else "",
        "region": region.name if region else "",
        "opd": opd.short_name if opd else "",
        "state": state,
        "status": complaints.citizen_status(SimpleNamespace(state=state)),
        "answered": "y" if answer or answered else "",
    }
    return row


# Writing -------------------------------------------------------------------------------------------
def _refusal(check: Check) -> ValidationError | None:
    if check.file_errors:
        return ValidationError.one("file", check.file_errors[0])
    if not check.rows:
        return ValidationError.one("file", _l("The file holds no reports."))
    if check.error_rows:
        return ValidationError.one("file", _l(
            "Nothing was imported: %(n)s row(s) have problems (listed below). Correct the file and upload it "
            "again.", n=len(check.error_rows)))
    return None


def commit_import(session: Session, actor: User, data: bytes, filename: str, *, config,
                  max_rows: int) -> ImportResult:
    """Check the file again and write every report, or raise ValidationError and write nothing."""
    check = check_file(session, data, filename, config=config, max_rows=max_rows)
    refusal = _refusal(check)
    if refusal is not None:
        raise refusal
    now = clock.now()
    values = [{**row.values, "source": "import", "created_by_id": actor.id, "reminders": {},
               "extended": False, "reopened_count": 0, "created_at": now, "updated_at": now,
               "public_description": None, "reviewed_at": None, "latitude": None, "longitude": None,
               # No PIN was ever told to the reporter: a random value that no PIN matches.
               "pin_hash": secrets.token_hex(32)} for row in check.rows]
    # One executemany (ORM objects, or RETURNING in parameter order, go row by row: minutes for a
    # file of 20,000); the new ids are then found by the original IDs, which are unique.
    session.execute(insert(Complaint.__table__), values)
    found: dict[str, int] = {}
    originals = [v["original_id"] for v in values]
    for start in range(0, len(originals), CHUNK):
        found.update(session.execute(select(Complaint.original_id, Complaint.id).where(
            Complaint.original_id.in_(originals[start:start + CHUNK]))).all())
    ids = [found[original] for original in originals]
    batch = uuid.uuid4().hex[:12]
    received = str(_l("Report received."))
    events: list[dict[str, Any]] = []

    def event(complaint_id: int, kind: str, *, public: bool, text: str = "", author_id: int | None = None,
              created_at: datetime, details: dict[str, Any]) -> None:
        events.append({"complaint_id": complaint_id, "kind": kind, "public": public, "text": text[:8000],
                       "author_id": author_id, "acting_as": "", "created_at": created_at, "details": details})

    for complaint_id, row, written in zip(ids, check.rows, values, strict=True):
        event(complaint_id, "received", public=True, text=received, created_at=written["received_at"],
              details={"imported": True})
        event(complaint_id, "imported", public=False, author_id=actor.id, created_at=now,
              details={"original_id": written["original_id"], "batch": batch, "row": row.number})
        for extra in row.events:
            event(complaint_id, extra["kind"], public=True, text=extra["text"],
                  created_at=extra["created_at"], details=extra["details"])
    session.execute(insert(ComplaintEvent.__table__), events)
    complaints.count_in_rollups(session, [SimpleNamespace(**v) for v in values])
    audit.record(session, actor, "complaint.imported", object_type="complaint_import", object_id=batch,
                 fields=["reports"], details={"count": len(ids), "first_id": ids[0], "last_id": ids[-1],
                                              "file_sha256": hashlib.sha256(data).hexdigest()})
    session.flush()
    return ImportResult(len(ids), ids)


# The pending upload ------------------------------------------------------------------------------
def store_upload(storage, data: bytes) -> str:
    """Keep the uploaded file privately between preview and commit; return its key."""
    key = f"imports/lapor/{clock.now():%Y%m}/{uuid.uuid4().hex}.csv"
    storage.put(key, data)
    return key


def load_upload(storage, key: str) -> bytes | None:
    if not key.startswith("imports/lapor/") or not storage.exists(key):
        return None
    return storage.get(key)


def discard_upload(storage, key: str) -> None:
    if key.startswith("imports/lapor/"):
        storage.delete(key)
