"""Importing journalists from a CSV or XLSX file into the province's directory for one OPD.

Three steps, each of which re-reads the privately stored upload:

1. ``start_import`` checks the upload (type, encoding, header, row limit), stores it and
   records an ``ImportBatch``;
2. ``build_preview`` maps the columns (guessed from Indonesian or English headers, or as
   the importer chose), checks every row and looks for the same people in the whole
   province and earlier in the file;
3. ``commit_import`` does it all again with the submitted mapping and decisions and writes
   every row in one transaction, or refuses and writes nothing.

Rules worth knowing:

* **Duplicates** are found by personal contact points: a normalised email address or phone
  number (the rule of ``journalists.find_duplicates``, applied to the whole file with one
  query per chunk of contact points instead of one per row). A contact point is *shared*
  when it is a desk address (``redaksi@`` …), when the file gives it to people with
  different names, or when the directory holds it for someone with another name or marks
  it shared. A shared contact point is flagged for a person, never used as a duplicate
  key, and a row that has one is never merged without a person choosing so.
* **Decisions**: a row without a match is created; a row with exactly one match and no
  shared contact is merged into it; any other row with a match waits for a person's
  decision (or the importer's choice for all undecided rows). Rows can always be skipped.
* **Consent**: imported contacts await consent. A row gets consent for the channels it has
  (email when it has an address, WhatsApp when it has a mobile number) only when its
  consent column says yes *and* its basis column says on what basis (method "impor"), or
  when the importer attests a basis for the whole file. A "persetujuan" column covers both
  channels; "persetujuan email" / "persetujuan wa" columns cover one and win over it. A
  row's explicit "no" wins over the attestation. A merge never changes a consent that is
  not awaiting (``merge_into``).
* **Writes**: merges go through ``journalists.merge_into``. New people get exactly the rows
  ``journalists.create_journalist`` writes (its consent rule, its audit row), inserted in
  bulk, because one flush per person makes a 20,000-row file take minutes.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import uuid
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from pressroom import clock
from pressroom.i18n import _l, _ln
from pressroom.models import (
    AuditEntry,
    Beat,
    Consent,
    ImportBatch,
    Journalist,
    JournalistBeat,
    JournalistEmail,
    JournalistOpd,
    JournalistPhone,
    JournalistRegion,
    Opd,
    Outlet,
    Region,
    User,
)
from pressroom.models.journalist import OUTLET_TYPES, UKW_LEVELS
from pressroom.services import ValidationError, audit, journalists
from pressroom.services.contact_points import ContactError, normalise_email, normalise_phone, sort_key
from pressroom.services.journalists import ConsentInput, JournalistData
from pressroom.services.policy import acting_as, can

#: File name endings accepted, and how each is read.
EXTENSIONS = {"csv": "csv", "txt": "csv", "tsv": "csv", "xlsx": "xlsx", "xlsm": "xlsx"}
MAX_COLUMNS = 100
#: Largest unpacked size of an XLSX upload (a small zip can unpack to gigabytes).
MAX_XLSX_INFLATED = 300 * 1024 * 1024
#: Longest cell kept; longer text is cut (no field of a journalist is longer).
MAX_CELL = 1000
#: Rows written per bulk INSERT.
CHUNK = 1000
#: Contact points looked up per query.
LOOKUP_CHUNK = 500
#: Rows the preview lists for a person's attention, and rows shown as a sample.
ATTENTION_LIMIT = 300
SAMPLE_LIMIT = 20
IGNORE = "ignore"
CREATE, SKIP, UNDECIDED = "create", "skip", ""
#: Method recorded for consent taken from the file's own consent column.
IMPORT_METHOD = "impor"


def _file_error(message: object) -> ValidationError:
    return ValidationError.one("file", message)


class _TooManyRows(ValidationError):
    """The file is longer than IMPORT_MAX_ROWS (no other sheet is tried)."""


# Columns --------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: object
    #: Several columns may hold this field (their values are combined).
    multi: bool = False


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("full_name", _l("Name")),
    FieldSpec("outlet", _l("Outlet (media)")),
    FieldSpec("outlet_type", _l("Outlet type")),
    FieldSpec("position", _l("Position")),
    FieldSpec("email", _l("Email"), multi=True),
    FieldSpec("phone", _l("Phone / WhatsApp"), multi=True),
    FieldSpec("beats", _l("Beats (pos liputan)"), multi=True),
    FieldSpec("regions", _l("Coverage area (kabupaten/kota)"), multi=True),
    FieldSpec("ukw_level", _l("UKW level")),
    FieldSpec("press_card_issuer", _l("Press card issuer")),
    FieldSpec("consent", _l("Consent (email and WhatsApp)")),
    FieldSpec("consent_email", _l("Consent for email")),
    FieldSpec("consent_whatsapp", _l("Consent for WhatsApp")),
    FieldSpec("consent_basis", _l("Consent basis / evidence")),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
IGNORE_LABEL = _l("Ignore this column")

#: Normalised header text -> field, for the common exact names.
_HEADER_ALIASES = {
    "nama": "full_name", "name": "full_name", "nama lengkap": "full_name", "full name": "full_name",
    "nama wartawan": "full_name", "nama jurnalis": "full_name", "wartawan": "full_name",
    "jurnalis": "full_name", "journalist": "full_name", "nama peserta": "full_name",
    "media": "outlet", "outlet": "outlet", "nama media": "outlet", "nama outlet": "outlet",
    "perusahaan pers": "outlet", "kantor media": "outlet", "asal media": "outlet",
    "publication": "outlet", "instansi": "outlet",
    "jabatan": "position", "position": "position", "posisi": "position", "title": "position",
    "job title": "position",
    "kartu pers": "press_card_issuer", "penerbit kartu pers": "press_card_issuer",
    "press card": "press_card_issuer", "press card issuer": "press_card_issuer",
}
_CONSENT_WORDS = {"persetujuan", "consent", "setuju", "bersedia", "izin", "ijin", "optin"}
_BASIS_WORDS = {"dasar", "basis", "bukti", "evidence"}
_EMAIL_WORDS = {"email", "surel", "mail", "emel"}
_WHATSAPP_WORDS = {"wa", "whatsapp"}
_PHONE_WORDS = _WHATSAPP_WORDS | {"hp", "telepon", "telp", "tlp", "telpon", "ponsel", "phone", "mobile",
                                  "handphone", "telephone", "tel", "kontak", "contact", "seluler"}
_REGION_WORDS = {"wilayah", "kabupaten", "kota", "kab", "kabkota", "region", "daerah", "area", "domisili"}
_BEAT_WORDS = {"pos", "beat", "beats", "bidang", "liputan", "desk", "rubrik"}
_OUTLET_WORDS = {"media", "outlet", "koran", "perusahaan", "publikasi", "publication", "redaksi"}


def _words(text: str) -> str:
    """Lower-case ASCII words of ``text``: accents dropped, punctuation as spaces."""
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded.lower()).split())


def guess_field(header: str) -> str:
    """The field a column probably holds, judged by its header (Indonesian or English)."""
    text = re.sub(r"(\s\d+)+$", "", _words(header))  # "Email 2" is another email column
    text = text.replace("e mail", "email")
    if text in _HEADER_ALIASES:
        return _HEADER_ALIASES[text]
    words = set(text.split())
    if words & _BASIS_WORDS:
        return "consent_basis"
    if words & _CONSENT_WORDS:
        if words & _EMAIL_WORDS:
            return "consent_email"
        if words & _WHATSAPP_WORDS:
            return "consent_whatsapp"
        return "consent"
    if "kartu" in words or "card" in words:
        return "press_card_issuer"
    if words & _EMAIL_WORDS:
        return "email"
    if words & _PHONE_WORDS:
        return "phone"
    if words & {"ukw", "kompetensi"}:
        return "ukw_level"
    if words & {"jenis", "tipe", "type", "kategori"} and words & (_OUTLET_WORDS | {"outlet"}):
        return "outlet_type"
    if words & _REGION_WORDS:
        return "regions"
    if words & _BEAT_WORDS:
        return "beats"
    if words & _OUTLET_WORDS:
        return "outlet"
    if words & {"jabatan", "position", "posisi"}:
        return "position"
    if words & {"nama", "name"}:
        return "full_name"
    return IGNORE


def guess_mapping(headers: list[str]) -> list[str]:
    """One field per column; a single-valued field goes to the first column that fits."""
    mapping, taken = [], set()
    for header in headers:
        key = guess_field(header)
        if key != IGNORE and not FIELD_BY_KEY[key].multi and key in taken:
            key = IGNORE
        taken.add(key)
        mapping.append(key)
    return mapping


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: A … Z, AA …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# Reading files --------------------------------------------------------------------------
@dataclass
class Table:
    """The file's header and non-blank rows, as text, with the numbers a spreadsheet shows."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    header_row: int = 1
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None

    @property
    def letters(self) -> list[str]:
        return [column_letter(i) for i in range(len(self.headers))]

    def label(self, index: int) -> str:
        """How a column is named to people: its header, or its letter."""
        return self.headers[index] or column_letter(index)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SCIENTIFIC = re.compile(r"^[+-]?\d+([.,]\d+)?e\+?\d+$", re.I)


def file_kind(filename: str) -> str | None:
    """``csv`` or ``xlsx`` from the file name's ending, None if neither."""
    _stem, dot, ext = (filename or "").rpartition(".")
    return EXTENSIONS.get(ext.lower()) if dot else None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    elif isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    elif isinstance(value, date | time):
        text = value.isoformat()
    else:
        text = str(value)
    return _CONTROL.sub(" ", text).strip()[:MAX_CELL]


def read_table(data: bytes, filename: str, *, max_rows: int, sheet: str | None = None) -> Table:
    """Read an uploaded CSV or XLSX file; raise ValidationError("file") saying what is wrong."""
    kind = file_kind(filename)
    if kind is None:
        raise _file_error(_l("Upload a CSV (.csv) or Excel (.xlsx) file."))
    if not data.strip():
        raise _file_error(_l("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, max_rows=max_rows, sheet=sheet)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error(_l("This is an old Excel (.xls) file. Open it in Excel or LibreOffice and save "
                             "it as .xlsx or CSV, then upload that."))
    if kind == "xlsx":
        raise _file_error(_l("The file is not a readable .xlsx workbook."))
    return _read_csv(data, max_rows=max_rows)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _file_error(_l("The file could not be read as text.")) from None
    if b"\x00" in data:
        raise _file_error(_l("This is not a CSV text file (it contains binary data). Upload the "
                             "spreadsheet as .xlsx, or save it as CSV first."))
    # UTF-8 (with or without BOM) first; then legacy Windows exports, which latin-1 always reads.
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:65536]
        if len(_CONTROL.findall(sample)) > max(2, len(sample) // 100):
            break
        return text
    raise _file_error(_l("This is not a CSV text file (it contains binary data). Upload the "
                         "spreadsheet as .xlsx, or save it as CSV first."))


def detect_delimiter(text: str) -> str:
    """The delimiter among , ; tab | that splits the header into the most columns and the
    following lines into as many (like csv.Sniffer, but limited to these four and stable)."""
    lines = [line for line in text[:65536].splitlines() if line.strip()][:50]
    best, best_score = ",", (-1.0, 0)
    for delimiter in (",", ";", "\t", "|"):
        try:
            records = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        rest = records[1:]
        consistency = sum(len(r) == width for r in rest) / len(rest) if rest else 1.0
        score = (consistency, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(data: bytes, *, max_rows: int) -> Table:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detect_delimiter(text))

    def records() -> Iterator[list[str]]:
        try:
            yield from reader
        except csv.Error:
            raise _file_error(_l("The file could not be read as CSV near line %(line)s.",
                                 line=reader.line_num)) from None

    return _table(records(), max_rows=max_rows)


def _open_workbook(data: bytes):
    """Open an XLSX upload read-only; refuse a damaged file or one that unpacks too large."""
    import openpyxl

    unreadable = _file_error(_l("The file is not a readable .xlsx workbook."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise unreadable from None
    if inflated > MAX_XLSX_INFLATED:
        raise _file_error(_l("The workbook is too large once unpacked. Save it as CSV and upload that."))
    try:
        with warnings.catch_warnings():  # openpyxl warns about styles and extensions it skips
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # any failure to open an untrusted workbook means it is unreadable
        raise unreadable from None


def _read_xlsx(data: bytes, *, max_rows: int, sheet: str | None) -> Table:
    workbook = _open_workbook(data)
    try:
        names = [ws.title for ws in workbook.worksheets]
        if not names:
            raise _file_error(_l("The workbook has no sheet."))
        # The chosen sheet; else the first one that reads.
        candidates = [sheet] if sheet in names else names
        first_error: ValidationError | None = None
        for name in candidates:
            worksheet = workbook[name]
            worksheet.reset_dimensions()  # some writers store a wrong size
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    rows = (list(r) for r in worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1))
                    table = _table(rows, max_rows=max_rows)
            except _TooManyRows:
                raise
            except ValidationError as exc:
                first_error = first_error or exc
                continue
            except Exception:  # damaged sheet XML
                raise _file_error(_l("The file is not a readable .xlsx workbook.")) from None
            table.sheets, table.sheet = names, name
            return table
        raise first_error or _file_error(_l("The workbook has no sheet."))
    finally:
        workbook.close()


def sheet_names(data: bytes) -> list[str]:
    """The worksheets of an XLSX file; empty for anything else or an unreadable workbook."""
    if not data.startswith(b"PK\x03\x04"):
        return []
    try:
        workbook = _open_workbook(data)
    except ValidationError:
        return []
    try:
        return [ws.title for ws in workbook.worksheets]
    finally:
        workbook.close()


def _table(records: Iterable[list[Any]], *, max_rows: int) -> Table:
    header: tuple[int, list[str]] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, raw in enumerate(records, 1):
        if len(raw) > MAX_COLUMNS and any(v not in (None, "") for v in raw[MAX_COLUMNS:]):
            raise _file_error(_l("The file has more than %(limit)s columns.", limit=MAX_COLUMNS))
        cells = [_cell_text(v) for v in raw[:MAX_COLUMNS]]
        if not any(cells):
            continue
        if header is None:
            header = (number, cells)
            continue
        rows.append((number, cells))
        if len(rows) > max_rows:
            raise _TooManyRows({"file": _l(
                "The file has more than %(limit)s rows, the most one import takes (setting "
                "IMPORT_MAX_ROWS). Split it into smaller files and import them one after another.",
                limit=max_rows)})
    if header is None:
        raise _file_error(_l("The file is empty."))
    header_number, headers = header
    headers = [" ".join(h.split()) for h in headers]
    if any("@" in h or len(re.sub(r"\D", "", h)) >= 7 for h in headers):
        raise _file_error(_l("The first row must name the columns (for example Nama, Media, Email, "
                             "No HP), but it looks like data."))
    if not rows:
        raise _file_error(_l("The file has a header row but no rows of data."))

    def width(cells: list[str]) -> int:
        return max((i + 1 for i, v in enumerate(cells) if v), default=0)

    columns = max([width(headers)] + [width(c) for _n, c in rows])
    headers = (headers + [""] * columns)[:columns]
    rows = [(n, (c + [""] * columns)[:columns]) for n, c in rows]
    return Table(headers=headers, rows=rows, header_row=header_number)


# Settings of one batch ------------------------------------------------------------------------
@dataclass
class ImportSettings:
    """What the importer chose so far; kept next to the file between requests."""

    sheet: str | None = None
    #: Field per column, and the headers it was chosen for (a new sheet resets it).
    mapping: list[str] | None = None
    mapping_headers: list[str] | None = None
    #: Row number -> "create", "skip", "merge:<journalist id>" or "row:<row number>".
    decisions: dict[int, str] = field(default_factory=dict)
    #: A consent basis the importer attests for every row (both empty: none).
    consent_method: str = ""
    consent_basis: str = ""
    skip_error_rows: bool = False
    #: What to do with rows that need a decision nobody made: "", "skip" or "create".
    undecided: str = ""

    def to_json(self) -> bytes:
        return json.dumps({
            "sheet": self.sheet, "mapping": self.mapping, "mapping_headers": self.mapping_headers,
            "decisions": {str(k): v for k, v in self.decisions.items()},
            "consent_method": self.consent_method, "consent_basis": self.consent_basis,
            "skip_error_rows": self.skip_error_rows, "undecided": self.undecided,
        }).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> ImportSettings:
        try:
            data = json.loads(raw)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()

        def text(name: str) -> str:
            return data.get(name) if isinstance(data.get(name), str) else ""

        mapping = data.get("mapping")
        headers = data.get("mapping_headers")
        decisions = data.get("decisions") if isinstance(data.get("decisions"), dict) else {}
        return cls(
            sheet=data.get("sheet") if isinstance(data.get("sheet"), str) else None,
            mapping=[str(m) for m in mapping] if isinstance(mapping, list) else None,
            mapping_headers=[str(h) for h in headers] if isinstance(headers, list) else None,
            decisions={int(k): str(v) for k, v in decisions.items() if str(k).isdigit()},
            consent_method=text("consent_method"), consent_basis=text("consent_basis"),
            skip_error_rows=data.get("skip_error_rows") is True,
            undecided=text("undecided") if text("undecided") in (SKIP, CREATE) else "",
        )


def _settings_key(batch: ImportBatch) -> str:
    return batch.file_key + ".json"


def load_settings(storage, batch: ImportBatch) -> ImportSettings:
    key = _settings_key(batch)
    return ImportSettings.from_json(storage.get(key)) if storage.exists(key) else ImportSettings()


def save_settings(storage, batch: ImportBatch, settings: ImportSettings) -> None:
    storage.put(_settings_key(batch), settings.to_json())


def _attestation(settings: ImportSettings) -> tuple[ConsentInput | None, object | None]:
    """The batch-wide consent basis, or an error message when it is half given."""
    method = " ".join(settings.consent_method.split())[:100]
    basis = " ".join(settings.consent_basis.split())[:300]
    if not method and not basis:
        return None, None
    if not method or not basis:
        return None, _l("To attest consent for the whole file, say both how it was given and on "
                        "what basis; or leave both empty.")
    if len(basis) < 5:
        return None, _l("Describe the consent basis, e.g. “formulir persetujuan acara Hari Pers 2026”.")
    return ConsentInput(method=method, basis=basis), None


# Starting, cancelling, who may open a batch -----------------------------------------------------
def start_import(
    session: Session, storage, actor: User, opd: Opd, *, filename: str, data: bytes, max_rows: int,
    consent_method: str = "", consent_basis: str = "",
) -> ImportBatch:
    """Check an upload, store it privately and record the batch (status ``preview``)."""
    display_name = re.split(r"[\\/]", filename or "")[-1].strip()[:200] or "upload"
    kind = file_kind(display_name)
    table = read_table(data, display_name, max_rows=max_rows)
    settings = ImportSettings(sheet=table.sheet, consent_method=consent_method or "",
                              consent_basis=consent_basis or "")
    _consent, problem = _attestation(settings)
    if problem:
        raise ValidationError.one("consent_basis", problem)
    stored_kind = "xlsx" if data.startswith(b"PK\x03\x04") else kind
    key = f"imports/{clock.now():%Y%m}/{uuid.uuid4().hex}.{stored_kind}"
    storage.put(key, data)
    batch = ImportBatch(opd_id=opd.id, created_by_id=actor.id, file_key=key, filename=display_name,
                        row_count=len(table.rows), status="preview")
    session.add(batch)
    session.flush()
    save_settings(storage, batch, settings)
    audit.record(session, actor, "journalist.import_started", batch, opd_id=opd.id,
                 details={"rows": len(table.rows), "file_type": stored_kind})
    return batch


def may_open(user: User, batch: ImportBatch) -> bool:
    """Only the person who uploaded a batch, or an admin, sees or commits it, and only while
    they may import into its OPD."""
    if not can(user, "journalist.import", batch):
        return False
    return batch.created_by_id == getattr(user, "id", None) or can(user, "admin.manage")


def importable_opds(session: Session, user: User) -> list[Opd]:
    """Active OPDs ``user`` may import into, by short name."""
    opds = session.scalars(select(Opd).where(Opd.is_active.is_(True)).order_by(Opd.short_name))
    return [opd for opd in opds if can(user, "journalist.import", opd)]


def recent_batches(session: Session, user: User, limit: int = 10) -> list[ImportBatch]:
    return list(session.scalars(select(ImportBatch).where(ImportBatch.created_by_id == user.id)
                                .order_by(ImportBatch.id.desc()).limit(limit)))


def cancel_import(session: Session, actor: User, batch: ImportBatch) -> bool:
    """Cancel a batch still in preview; return whether it was."""
    changed = session.execute(
        update(ImportBatch).where(ImportBatch.id == batch.id, ImportBatch.status == "preview")
        .values(status="cancelled").execution_options(synchronize_session="fetch")
    ).rowcount
    if changed:
        audit.record(session, actor, "journalist.import_cancelled", batch, opd_id=batch.opd_id,
                     fields=["status"])
    return bool(changed)


def discard_files(storage, batch: ImportBatch) -> None:
    """Delete the uploaded file and its settings (after a commit or cancel): the directory now
    holds what was imported, and personal data is not kept twice."""
    storage.delete(batch.file_key)
    storage.delete(_settings_key(batch))


def committed_counts(session: Session, batch: ImportBatch) -> dict[str, int]:
    """The counts recorded when ``batch`` was committed (empty if it was not)."""
    entry = session.scalar(select(AuditEntry).where(
        AuditEntry.action == "journalist.import_committed", AuditEntry.object_type == "journalist_import",
        AuditEntry.object_id == str(batch.id)))
    return dict(entry.details) if entry is not None else {}


# Checking rows --------------------------------------------------------------------------------
@dataclass
class Issue:
    """A problem or a remark about one row, naming the column as the file names it."""

    column: str | None
    message: object


@dataclass(frozen=True)
class Holder:
    """Someone in the directory who holds a contact point the file mentions."""

    id: int
    name: str
    outlet: str | None
    status: str
    is_shared: bool

    @property
    def name_tokens(self) -> frozenset[str]:
        return frozenset(_words(self.name).split())


@dataclass
class RowCheck:
    number: int
    name: str = ""
    position: str | None = None
    outlet_name: str | None = None
    outlet_type: str | None = None
    ukw_level: str | None = None
    press_card_issuer: str | None = None
    #: (address, is a desk address)
    emails: list[tuple[str, bool]] = field(default_factory=list)
    #: (e164, "mobile" or "landline")
    phones: list[tuple[str, str]] = field(default_factory=list)
    beat_tokens: list[tuple[str, str]] = field(default_factory=list)
    region_tokens: list[tuple[str, str]] = field(default_factory=list)
    consent: dict[str, ConsentInput] = field(default_factory=dict)
    errors: list[Issue] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)
    data: JournalistData | None = None
    # Filled in against the directory:
    province_wide: bool = False
    region_names: list[str] = field(default_factory=list)
    beat_names: list[str] = field(default_factory=list)
    outlet_id: int | None = None
    outlet_is_new: bool = False
    shared: set[tuple[str, str]] = field(default_factory=set)
    options: list[tuple[str, object]] = field(default_factory=list)
    default: str = CREATE
    decision: str = CREATE
    #: ("j", journalist id) or ("row", number of the row whose new record this is).
    target: tuple[str, int] | None = None

    @property
    def name_tokens(self) -> frozenset[str]:
        return frozenset(_words(self.name).split())

    @property
    def contact_keys(self) -> list[tuple[str, str]]:
        return [("email", a) for a, _d in self.emails] + [("phone", p) for p, _k in self.phones]

    @property
    def has_mobile(self) -> bool:
        return any(kind == "mobile" for _p, kind in self.phones)

    @property
    def status(self) -> str:
        if self.decision == SKIP:
            return "skip"
        if self.errors:
            return "error"
        if self.decision == UNDECIDED:
            return "undecided"
        return "create" if self.decision == CREATE else "merge"

    @property
    def needs_attention(self) -> bool:
        return bool(self.errors or self.notes or self.shared or len(self.options) > 2
                    or self.decision != self.default)


_MULTI_SPLIT = re.compile(r"[,;|\n]+")
_EMAIL_SPLIT = re.compile(r"[\s,;|]+")
_PHONE_SPLIT = re.compile(r"[,;/|\n]+")
_YES = {"ya", "y", "iya", "yes", "setuju", "bersedia", "true", "1", "ok", "v", "x", "sudah", "benar",
        "ya setuju", "ya bersedia", "bersedia dihubungi", "boleh"}
_NO = {"tidak", "tdk", "no", "n", "t", "false", "0", "belum", "tidak setuju", "tidak bersedia", "menolak",
       "tolak", "jangan", "ga", "gak", "nggak"}
_NONE_WORDS = {"", "tidak ada", "belum", "belum ukw", "tidak", "none", "no", "n a", "na", "blank", "kosong"}
_UKW_NOISE = {"ukw", "wartawan", "jenjang", "tingkat", "level", "kompetensi", "sertifikat"}
_OUTLET_TYPES_BY_WORD = {
    "cetak": "cetak", "media cetak": "cetak", "koran": "cetak", "surat kabar": "cetak", "harian": "cetak",
    "majalah": "cetak", "tabloid": "cetak", "print": "cetak", "newspaper": "cetak", "magazine": "cetak",
    "online": "online", "media online": "online", "daring": "online", "media daring": "online",
    "siber": "online", "media siber": "online", "portal": "online", "website": "online", "web": "online",
    "tv": "tv", "televisi": "tv", "television": "tv", "media televisi": "tv",
    "radio": "radio", "media radio": "radio",
    "kantor berita": "kantor_berita", "kantor_berita": "kantor_berita", "news agency": "kantor_berita",
    "agency": "kantor_berita",
}


def _answer(value: str) -> bool | None | str:
    """Yes (True), no (False), blank (None), or "bad" for anything else."""
    if value.strip() in ("✓", "✔", "☑"):
        return True
    text = _words(value)
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    return "bad"


def split_phones(text: str) -> tuple[list, list[tuple[str, object]]]:
    """Numbers in one cell (separated by , ; / | or spaces) -> (phones, [(text, problem)]).

    "0812 3456 7890" is one number; "081234567890 085712345678" two: where the whole piece is
    not one number, the longest run of words that makes a valid number is taken, in order.
    """
    phones, problems = [], []
    for piece in _PHONE_SPLIT.split(text):
        piece = piece.strip()
        if not piece:
            continue
        if _SCIENTIFIC.match(piece):
            problems.append((piece, _l("“%(value)s” lost its digits in a spreadsheet (it is written as "
                                       "a number in scientific notation). Format the column as text "
                                       "and type the number again.", value=piece[:40])))
            continue
        try:
            phones.append(normalise_phone(piece))
            continue
        except ContactError as exc:
            whole_problem = exc.message
        words = piece.split()
        found, start = [], 0
        while start < len(words):
            for end in range(len(words), start, -1):
                candidate = " ".join(words[start:end])
                if len(re.sub(r"\D", "", candidate)) > 15:
                    continue
                try:
                    found.append(normalise_phone(candidate))
                except ContactError:
                    continue
                start = end
                break
            else:
                found = []
                break
        if len(found) > 1:
            phones.extend(found)
        else:
            problems.append((piece, whole_problem))
    return phones, problems


def _parse_row(session: Session, number: int, cells: list[str], columns: list[tuple[int, str]],
               table: Table, attestation: ConsentInput | None) -> RowCheck:
    """Check one row by itself (no database): names, contacts, values, consent."""
    row = RowCheck(number=number)
    values: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for index, key in columns:
        if cells[index]:
            values[key].append((table.label(index), cells[index]))

    def single(key: str) -> tuple[str | None, str]:
        found = values.get(key)
        return (found[0][0], found[0][1]) if found else (None, "")

    label, name = single("full_name")
    name = " ".join(name.split())
    row.name = name
    if not name:
        row.errors.append(Issue(label, _l("The name is required.")))
    elif "<" in name or ">" in name:
        row.errors.append(Issue(label, _l("A name cannot contain < or >.")))
    elif len(name) > 200:
        row.errors.append(Issue(label, _l("The name is longer than 200 characters.")))

    label, outlet = single("outlet")
    outlet = " ".join(outlet.split())
    if outlet:
        if "<" in outlet or ">" in outlet:
            row.errors.append(Issue(label, _l("An outlet name cannot contain < or >.")))
        elif len(outlet) > 150:
            row.errors.append(Issue(label, _l("The outlet name is longer than 150 characters.")))
        row.outlet_name = outlet
    label, outlet_type = single("outlet_type")
    if outlet_type:
        row.outlet_type = _OUTLET_TYPES_BY_WORD.get(_words(outlet_type))
        if row.outlet_type is None:
            row.notes.append(Issue(label, _l("“%(value)s” is not an outlet type Pressroom knows (cetak, "
                                             "online, tv, radio, kantor berita); a new outlet will be "
                                             "recorded as online.", value=outlet_type[:40])))

    label, ukw = single("ukw_level")
    ukw_words = " ".join(w for w in _words(ukw).split() if w not in _UKW_NOISE)
    if ukw_words in UKW_LEVELS:
        row.ukw_level = ukw_words
    elif _words(ukw) not in _NONE_WORDS and ukw_words not in _NONE_WORDS:
        row.errors.append(Issue(label, _l("“%(value)s” is not a UKW level: write muda, madya or utama, "
                                          "or leave it empty.", value=ukw[:40])))

    for label, text in values.get("email", []):
        for token in _EMAIL_SPLIT.split(text):
            token = token.strip().strip("<>()[]\"'").removeprefix("mailto:")
            if not token:
                continue
            try:
                email = normalise_email(token)
            except ContactError as exc:
                row.errors.append(Issue(label, exc.message))
                continue
            if email.address not in [a for a, _s in row.emails]:
                row.emails.append((email.address, email.is_shared))
    for label, text in values.get("phone", []):
        phones, problems = split_phones(text)
        for phone in phones:
            if phone.e164 not in [p for p, _k in row.phones]:
                row.phones.append((phone.e164, phone.kind))
        for _piece, problem in problems:
            row.errors.append(Issue(label, problem))
    if not row.emails and not row.phones and not row.errors:
        row.notes.append(Issue(None, _l("No email address or phone number: alerts cannot reach this "
                                        "person.")))

    for key, target in (("beats", row.beat_tokens), ("regions", row.region_tokens)):
        for label, text in values.get(key, []):
            target.extend((label, t.strip()) for t in _MULTI_SPLIT.split(text) if t.strip())

    row.consent = _row_consent(row, values, attestation)

    _label, position = single("position")
    _label, press_card = single("press_card_issuer")
    if not row.errors:
        # The directory's own rules for the text fields; the contact points were checked above
        # one by one with the same contact_points functions (to name the column of a bad one),
        # so they are not normalised a second time.
        try:
            row.data = journalists.clean_input(session, full_name=name, position=position,
                                               ukw_level=row.ukw_level, press_card_issuer=press_card)
        except ValidationError as exc:
            row.errors.extend(Issue(None, message) for message in exc.errors.values())
        else:
            row.data.emails, row.data.phones = list(row.emails), list(row.phones)
            row.position, row.press_card_issuer = row.data.position, row.data.press_card_issuer
    return row


def _row_consent(row: RowCheck, values: dict[str, list[tuple[str, str]]],
                 attestation: ConsentInput | None) -> dict[str, ConsentInput]:
    """Consent per channel the row has; see the module docstring for the rule."""
    answers: dict[str, bool | None] = {}
    for key in ("consent", "consent_email", "consent_whatsapp"):
        found = values.get(key)
        if not found:
            answers[key] = None
            continue
        label, text = found[0]
        answer = _answer(text)
        if answer == "bad":
            row.errors.append(Issue(label, _l("“%(value)s” is not a yes or no: write ya or tidak, or "
                                              "leave it empty.", value=text[:40])))
            answer = None
        answers[key] = answer  # type: ignore[assignment]
    basis = " ".join(" ".join(text for _l_, text in values.get("consent_basis", [])).split())[:300]
    channels = (["email"] if row.emails else []) + (
        ["whatsapp"] if any(kind == "mobile" for _p, kind in row.phones) else [])
    consent: dict[str, ConsentInput] = {}
    said_yes_without_basis = False
    for channel in channels:
        specific = answers[f"consent_{channel}"]
        answer = specific if specific is not None else answers["consent"]
        if answer is True and basis:
            consent[channel] = ConsentInput(method=IMPORT_METHOD, basis=basis)
        elif answer is not False and attestation is not None:
            consent[channel] = attestation
        elif answer is True:
            said_yes_without_basis = True
    if said_yes_without_basis:
        row.notes.append(Issue(None, _l("Consent is marked yes but no basis is given: the contact will "
                                        "await consent. Add a basis column (e.g. the consent form's "
                                        "number), or attest a basis for the whole file.")))
    return consent


# The directory's side ---------------------------------------------------------------------------
@dataclass
class Vocabulary:
    beats: dict[str, Beat]
    regions: dict[str, Region]
    #: Normalised kab/kota name -> codes: ("kabupaten"|"kota"|"", base name) -> [codes].
    region_names: dict[tuple[str, str], list[str]]
    outlets: dict[str, tuple[int, str]]

    def beat(self, beat_id: int) -> Beat:
        return next(b for b in self.beats.values() if b.id == beat_id)  # a dozen or two beats

    @classmethod
    def load(cls, session: Session) -> Vocabulary:
        beats = {" ".join(b.name.lower().split()): b
                 for b in session.scalars(select(Beat).where(Beat.is_active.is_(True)))}
        regions = {r.code: r for r in session.scalars(select(Region))}
        names: dict[tuple[str, str], list[str]] = defaultdict(list)
        for region in regions.values():
            kind = "kota" if region.kind.lower() == "kota" else "kabupaten"
            base = _words(re.sub(r"^(kabupaten|kota)\s+", "", region.name, flags=re.I))
            names[(kind, base)].append(region.code)
            names[("", base)].append(region.code)
        outlets = {o.name.lower(): (o.id, o.name) for o in session.execute(select(Outlet.id, Outlet.name))}
        return cls(beats=beats, regions=regions, region_names=dict(names), outlets=outlets)


_PROVINCE_WORDS = {"jawa tengah", "jateng", "provinsi", "provinsi jawa tengah", "prov jawa tengah",
                   "prov jateng", "provinsi jateng", "semua", "semua wilayah", "seluruh",
                   "seluruh jawa tengah", "se jawa tengah", "se jateng", "all", "province", "province wide",
                   "semua kabupaten kota", "seluruh kabupaten kota", "central java"}
_REGION_PREFIXES = (("kabupaten ", "kabupaten"), ("kab ", "kabupaten"), ("kotamadya ", "kota"),
                    ("kodya ", "kota"), ("kota ", "kota"), ("kot ", "kota"))
_REGION_ALIASES = {"solo": ("kota", "surakarta")}


def _resolve_vocabulary(row: RowCheck, vocab: Vocabulary) -> None:
    codes: list[str] = []
    for label, token in row.region_tokens:
        digits = token.replace(".", "").replace(" ", "")
        if digits.isdigit():
            if digits in vocab.regions:
                codes.append(digits)
            else:
                row.errors.append(Issue(label, _l("“%(value)s” is not the BPS code of a kabupaten/kota in "
                                                  "Jawa Tengah (3301–3376).", value=token[:40])))
            continue
        text = _words(token)
        if text in _PROVINCE_WORDS:
            row.province_wide = True
            continue
        kind, base = "", text
        for prefix, prefix_kind in _REGION_PREFIXES:
            if text.startswith(prefix):
                kind, base = prefix_kind, text[len(prefix):]
                break
        if base in _REGION_ALIASES and kind in ("", _REGION_ALIASES[base][0]):
            kind, base = _REGION_ALIASES[base]
        found = vocab.region_names.get((kind, base), [])
        if len(found) == 1:
            codes.append(found[0])
        elif len(found) > 1:
            row.errors.append(Issue(label, _l("“%(value)s” could mean Kabupaten %(name)s or Kota %(name)s: "
                                              "write “Kab. %(name)s” or “Kota %(name)s”.",
                                              value=token[:40], name=base.title())))
        else:
            row.errors.append(Issue(label, _l("“%(value)s” is not a kabupaten/kota of Jawa Tengah. Write "
                                              "e.g. “Kab. Semarang”, “Kota Semarang” or the BPS code 3374; "
                                              "“Jawa Tengah” for the whole province.", value=token[:40])))
    row.region_names = [vocab.regions[c].name for c in dict.fromkeys(codes)]
    beat_ids: list[int] = []
    for label, token in row.beat_tokens:
        beat = vocab.beats.get(" ".join(token.lower().split()))
        if beat is None:
            row.errors.append(Issue(label, _l("“%(value)s” is not a beat in the vocabulary. Known beats: "
                                              "%(beats)s.", value=token[:60],
                                              beats=", ".join(sorted(b.name for b in vocab.beats.values())))))
        elif beat.id not in beat_ids:
            beat_ids.append(beat.id)
            row.beat_names.append(beat.name)
    if row.outlet_name:
        match = vocab.outlets.get(row.outlet_name.lower())
        if match:
            row.outlet_id, row.outlet_name = match
        else:
            row.outlet_is_new = True
    if row.data is not None:
        row.data.region_codes = sorted(set(codes))
        row.data.beat_ids = sorted(beat_ids)
        row.data.province_wide = row.province_wide
        row.data.outlet_id = row.outlet_id


def _chunks(values: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _load_holders(session: Session, rows: list[RowCheck]) -> dict[tuple[str, str], list[Holder]]:
    """Everyone in the province (not erased) holding a contact point of the file."""
    emails = sorted({a for row in rows for a, _s in row.emails})
    phones = sorted({p for row in rows for p, _k in row.phones})
    holders: dict[tuple[str, str], list[Holder]] = defaultdict(list)
    for kind, model, column, values in (("email", JournalistEmail, JournalistEmail.address, emails),
                                        ("phone", JournalistPhone, JournalistPhone.e164, phones)):
        for chunk in _chunks(values):
            query = (select(column, model.is_shared, Journalist.id, Journalist.full_name, Journalist.status,
                            Outlet.name)
                     .join(Journalist, Journalist.id == model.journalist_id)
                     .outerjoin(Outlet, Outlet.id == Journalist.outlet_id)
                     .where(column.in_(chunk), Journalist.status != "erased")
                     .order_by(Journalist.id))
            for value, shared, jid, name, status, outlet in session.execute(query):
                holders[(kind, value)].append(Holder(jid, name or "", outlet, status, bool(shared)))
    return holders


def _same_person(a: frozenset[str], b: frozenset[str]) -> bool:
    """Names that may be one person: equal, or one's words all in the other's ("Budi" and
    "Budi Santoso, S.Sos.")."""
    return not a or not b or a <= b or b <= a


def _names_differ(names: Iterable[frozenset[str]]) -> bool:
    distinct = list({n for n in names if n})
    return any(not _same_person(a, b) for i, a in enumerate(distinct) for b in distinct[i + 1:])


def _target_value(target: tuple[str, int]) -> str:
    kind, ref = target
    return f"merge:{ref}" if kind == "j" else f"row:{ref}"


def _parse_decision(value: str) -> tuple[str, int] | None:
    kind, _sep, ref = value.partition(":")
    if kind in ("merge", "row") and ref.isdigit():
        return ("j" if kind == "merge" else "row", int(ref))
    return None


def _holder_label(holder: Holder) -> object:
    if holder.status == "archived":
        return _l("Merge into %(name)s (%(outlet)s, no. %(id)s, archived)", name=holder.name,
                  outlet=holder.outlet or "–", id=holder.id)
    return _l("Merge into %(name)s (%(outlet)s, no. %(id)s)", name=holder.name, outlet=holder.outlet or "–",
              id=holder.id)


def _resolve_duplicates(rows: list[RowCheck], holders: dict[tuple[str, str], list[Holder]],
                        settings: ImportSettings, decisions: dict[int, str], strict: bool) -> None:
    """Flag shared contact points, find each row's matches, and settle its decision.

    Rows are taken in file order, as the commit writes them, so a later row can be "the same
    person as row N" (the record row N creates or merges into).
    """
    names_by_contact: dict[tuple[str, str], list[frozenset[str]]] = defaultdict(list)
    for row in rows:
        for key in row.contact_keys:
            names_by_contact[key].append(row.name_tokens)
    differ_in_file = {key for key, names in names_by_contact.items() if _names_differ(names)}
    holder_by_id = {h.id: h for hs in holders.values() for h in hs}
    first_row_with: dict[tuple[str, str], int] = {}
    target_of_row: dict[int, tuple[str, int]] = {}
    for row in rows:
        desk = {("email", a) for a, is_desk in row.emails if is_desk}
        row.shared, other_name = set(), False
        for key in row.contact_keys:
            held = holders.get(key, [])
            named_otherwise = key in differ_in_file or any(
                not _same_person(h.name_tokens, row.name_tokens) for h in held)
            # A number given to people with different names is a desk line; an address is
            # more personal, so it still finds the person, but a person decides.
            if key in desk or any(h.is_shared for h in held) or (key[0] == "phone" and named_otherwise):
                row.shared.add(key)
            elif named_otherwise:
                other_name = True
        personal = [key for key in row.contact_keys if key not in row.shared]
        targets: dict[tuple[str, int], object] = {}
        for key in personal:
            for holder in holders.get(key, []):
                targets.setdefault(("j", holder.id), _holder_label(holder))
            if key in first_row_with:
                earlier = target_of_row[first_row_with[key]]
                label = (_holder_label(holder_by_id[earlier[1]]) if earlier[0] == "j"
                         else _l("Same person as row %(row)s", row=earlier[1]))
                targets.setdefault(earlier, label)
        possible = {}
        for key in sorted(row.shared):
            for holder in holders.get(key, []):
                if ("j", holder.id) not in targets and len(possible) < 5:
                    possible.setdefault(("j", holder.id), _holder_label(holder))
        row.options = [(CREATE, _l("Create a new record")), (SKIP, _l("Skip this row"))] + [
            (_target_value(t), label) for t, label in {**targets, **possible}.items()]
        if not targets:
            row.default = CREATE
        elif len(targets) == 1 and not row.shared and not other_name:
            row.default = _target_value(next(iter(targets)))
        else:
            row.default = UNDECIDED
            row.options.insert(0, (UNDECIDED, _l("— Choose —")))
        chosen = decisions.get(row.number)
        valid = {value for value, _label in row.options}
        if chosen is not None and chosen in valid:
            row.decision = chosen
        else:
            row.decision = row.default
            if chosen is not None and strict:
                row.errors.append(Issue(None, _l("The decision for this row no longer fits what the "
                                                 "directory holds; choose again.")))
        if row.decision == UNDECIDED and settings.undecided in (SKIP, CREATE):
            row.decision = settings.undecided
        if row.errors and settings.skip_error_rows:
            row.decision = SKIP
        if row.decision == SKIP:
            row.target = None
            continue
        parsed = _parse_decision(row.decision)
        row.target = parsed if parsed is not None else ("row", row.number)
        target_of_row[row.number] = row.target
        for key in personal:
            first_row_with.setdefault(key, row.number)
        if row.shared:
            row.notes.append(Issue(None, _l("A shared contact (a desk address, or a number given to "
                                            "people with different names) is not used to find this "
                                            "person and is never merged on its own; check the decision.")))
        if other_name and targets:
            row.notes.append(Issue(None, _l("This email address also belongs to someone with another "
                                            "name; choose whether it is the same person.")))


# Preview and commit ---------------------------------------------------------------------------------
@dataclass
class Check:
    """A whole file checked against the directory."""

    table: Table | None
    mapping: list[str]
    rows: list[RowCheck]
    mapping_errors: list[object] = field(default_factory=list)
    file_error: object | None = None
    consent_error: object | None = None
    attestation: ConsentInput | None = None
    #: The workbook's sheets (empty for CSV), to choose another one.
    sheets: list[str] = field(default_factory=list)
    vocabulary: Vocabulary | None = None

    @property
    def counts(self) -> dict[str, int]:
        counts = {"rows": len(self.rows), "create": 0, "merge": 0, "skip": 0, "error": 0, "undecided": 0,
                  "shared": sum(1 for r in self.rows if r.shared and r.decision != SKIP),
                  "new_outlets": len({r.outlet_name.lower() for r in self.rows
                                      if r.outlet_is_new and r.decision != SKIP and r.outlet_name})}
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def blocking(self) -> list[RowCheck]:
        """Rows that stop the commit: not skipped, and with an error or no decision."""
        return [r for r in self.rows if r.decision != SKIP and (r.errors or r.decision == UNDECIDED)]

    @property
    def can_commit(self) -> bool:
        return (self.file_error is None and not self.mapping_errors and self.consent_error is None
                and not self.blocking and any(r.decision != SKIP for r in self.rows))


def effective_mapping(headers: list[str], settings: ImportSettings) -> list[str]:
    """The mapping chosen for these headers, else the guessed one."""
    if settings.mapping is not None and settings.mapping_headers == headers \
            and len(settings.mapping) == len(headers):
        return [m if m in FIELD_BY_KEY or m == IGNORE else IGNORE for m in settings.mapping]
    return guess_mapping(headers)


def _mapping_errors(table: Table, mapping: list[str]) -> list[object]:
    errors = []
    by_field: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(mapping):
        if key != IGNORE:
            by_field[key].append(index)
    for key, indexes in by_field.items():
        if not FIELD_BY_KEY[key].multi and len(indexes) > 1:
            errors.append(_l("Only one column can be “%(field)s”, but %(columns)s are.",
                             field=FIELD_BY_KEY[key].label,
                             columns=", ".join(f"“{table.label(i)}”" for i in indexes)))
    if "full_name" not in by_field:
        errors.append(_l("Choose the column that holds the names."))
    return errors


def check_file(session: Session, storage, batch: ImportBatch, settings: ImportSettings, *,
               max_rows: int, strict: bool = False) -> Check:
    """Read the batch's file with ``settings`` and check every row against the directory.

    The file is read and checked row by row before the first query, so that a long file
    keeps no transaction open while it is parsed.
    """
    attestation, consent_error = _attestation(settings)
    data = storage.get(batch.file_key)
    try:
        table = read_table(data, batch.file_key, max_rows=max_rows, sheet=settings.sheet)
    except ValidationError as exc:
        return Check(table=None, mapping=[], rows=[], file_error=exc.errors.get("file"),
                     consent_error=consent_error, sheets=sheet_names(data))
    mapping = effective_mapping(table.headers, settings)
    mapping_errors = _mapping_errors(table, mapping)
    check = Check(table=table, mapping=mapping, rows=[], mapping_errors=mapping_errors,
                  consent_error=consent_error, attestation=attestation, sheets=table.sheets)
    if mapping_errors:
        return check
    columns = [(i, key) for i, key in enumerate(mapping) if key != IGNORE]
    check.rows = [_parse_row(session, number, cells, columns, table, attestation)
                  for number, cells in table.rows]
    vocab = check.vocabulary = Vocabulary.load(session)
    for row in check.rows:
        _resolve_vocabulary(row, vocab)
    _resolve_duplicates(check.rows, _load_holders(session, check.rows), settings, settings.decisions,
                        strict)
    return check


@dataclass
class Preview:
    check: Check
    attention: list[RowCheck]
    attention_total: int
    sample: list[RowCheck]

    @property
    def table(self) -> Table | None:
        return self.check.table

    def samples(self, index: int, limit: int = 3) -> list[str]:
        """The first few values of a column, to show what it holds."""
        found = []
        for _number, cells in self.check.table.rows if self.check.table else []:
            if cells[index] and cells[index] not in found:
                found.append(cells[index][:60])
                if len(found) == limit:
                    break
        return found


def build_preview(session: Session, storage, batch: ImportBatch, settings: ImportSettings, *,
                  max_rows: int) -> Preview:
    """The file as it would be imported now: rows that need a person first, then a sample."""
    check = check_file(session, storage, batch, settings, max_rows=max_rows)
    attention = [r for r in check.rows if r.needs_attention]
    quiet = [r for r in check.rows if not r.needs_attention]
    return Preview(check=check, attention=attention[:ATTENTION_LIMIT], attention_total=len(attention),
                   sample=quiet[:SAMPLE_LIMIT])


@dataclass
class ImportResult:
    created: int = 0
    merged: int = 0
    skipped: int = 0
    outlets_created: int = 0
    marked_shared: int = 0

    def as_details(self) -> dict[str, int]:
        return {"created": self.created, "merged": self.merged, "skipped": self.skipped,
                "outlets_created": self.outlets_created, "marked_shared": self.marked_shared}


def _refusal(check: Check) -> ValidationError | None:
    if check.file_error is not None:
        return ValidationError.one("", check.file_error)
    if check.mapping_errors:
        return ValidationError({"": check.mapping_errors[0]})
    if check.consent_error is not None:
        return ValidationError.one("consent_basis", check.consent_error)
    blocking = check.blocking
    if blocking:
        numbers = ", ".join(str(r.number) for r in blocking[:15]) + (" …" if len(blocking) > 15 else "")
        return ValidationError.one("", _ln(
            "Nothing was imported: %(num)s row still has an error or needs a decision (row %(rows)s). "
            "Correct the file and upload it again, or choose Skip for that row.",
            "Nothing was imported: %(num)s rows still have errors or need a decision (rows %(rows)s). "
            "Correct the file and upload it again, or choose Skip for those rows.",
            len(blocking), rows=numbers))
    if not any(r.decision != SKIP for r in check.rows):
        return ValidationError.one("", _l("Nothing to import: every row is skipped."))
    return None


def commit_import(session: Session, storage, actor: User, batch: ImportBatch, settings: ImportSettings, *,
                  max_rows: int) -> ImportResult:
    """Write the whole file as ``settings`` say, or raise ValidationError and write nothing.

    The caller commits; on ValidationError it must roll back. A batch is committed once:
    its status moves from ``preview`` in the same transaction (compare-and-set), so a
    second click, or a second request racing the first, finds nothing to do.
    """
    if batch.status != "preview":
        raise ValidationError.one("", already_done_message(batch))
    check = check_file(session, storage, batch, settings, max_rows=max_rows, strict=True)
    refusal = _refusal(check)
    if refusal is not None:
        raise refusal
    claimed = session.execute(
        update(ImportBatch).where(ImportBatch.id == batch.id, ImportBatch.status == "preview")
        .values(status="committed", committed_at=clock.now()).execution_options(synchronize_session="fetch")
    ).rowcount
    if claimed != 1:
        session.refresh(batch)
        raise ValidationError.one("", already_done_message(batch))
    opd = session.get(Opd, batch.opd_id)
    try:
        result = _write(session, actor, batch, opd, check)
    except IntegrityError:
        raise ValidationError.one("", _l("The directory changed while the file was being imported. "
                                         "Nothing was imported; please try again.")) from None
    audit.record(session, actor, "journalist.import_committed", batch, opd_id=batch.opd_id,
                 fields=["status"], details={"rows": len(check.rows), **result.as_details()})
    return result


def already_done_message(batch: ImportBatch) -> object:
    if batch.status == "committed":
        return _l("This file was already imported. Nothing was imported again.")
    return _l("This import was cancelled. Upload the file again to import it.")


# Writing ------------------------------------------------------------------------------------------------
_CREATED_FIELDS = ["full_name", "outlet", "emails", "phones", "beats", "regions", "consent"]


def _write(session: Session, actor: User, batch: ImportBatch, opd: Opd, check: Check) -> ImportResult:
    """Create the new people, then merge rows into existing ones (and into people an earlier
    row creates), in file order."""
    result = ImportResult()
    rows = [r for r in check.rows if r.decision != SKIP]
    result.skipped = len(check.rows) - len(rows)
    result.outlets_created = _create_outlets(session, actor, rows)
    who = acting_as(actor, opd)
    now = clock.now()
    creates = [r for r in rows if r.target == ("row", r.number)]
    merges = [r for r in rows if r.target != ("row", r.number)]
    created: dict[int, int] = {}  # row number -> new journalist id
    for chunk in _chunks(creates, CHUNK):
        created.update(_insert_people(session, actor, opd, batch, chunk, now, who))
    result.created = len(creates)
    target_ids = sorted({ref if kind == "j" else created[ref] for kind, ref in (r.target for r in merges)})
    people: dict[int, Journalist] = {}
    for chunk in _chunks(target_ids):
        people.update((j.id, j) for j in session.scalars(
            select(Journalist).where(Journalist.id.in_(chunk)).options(
                selectinload(Journalist.emails), selectinload(Journalist.phones),
                selectinload(Journalist.beats), selectinload(Journalist.regions),
                selectinload(Journalist.consents), selectinload(Journalist.links))))
    for number, row in enumerate(merges, 1):
        kind, ref = row.target
        person = people[ref if kind == "j" else created[ref]]
        _merge(session, actor, person, row, opd, check.vocabulary, now=now, who=who)
        if number % CHUNK == 0:
            session.flush()
    result.merged = len(merges)
    session.flush()
    result.marked_shared = _mark_shared(session, actor, check, set(created.values()), who)
    return result


def _merge(session: Session, actor: User, person: Journalist, row: RowCheck, opd: Opd, vocab: Vocabulary, *,
           now: datetime, who: str) -> list[str]:
    """``journalists.merge_into`` for one row: the same rules (fill blanks, union sets, consent
    only where it awaits, follow) and the same audit row, but no flush per person and beats and
    regions from the loaded vocabulary: a file of thousands of known people merges in seconds.
    tests/unit/test_directory_import.py checks that both give the same result."""
    if person.status == "erased":
        raise ValidationError.one("", _l("A record chosen for a merge was erased meanwhile. Nothing was "
                                         "imported; check the preview again."))
    data = row.data
    changed = []
    for name in journalists.FILLABLE:
        if getattr(person, name) in (None, "") and getattr(data, name) not in (None, ""):
            setattr(person, name, getattr(data, name))
            changed.append(name)
    if data.province_wide and not person.province_wide:
        person.province_wide = True
        changed.append("province_wide")
    person.sort_name = sort_key(person.full_name or "")
    emails = {e.address for e in person.emails}
    if any(address not in emails for address, _s in data.emails):
        person.emails.extend(JournalistEmail(address=a, is_shared=s)
                             for a, s in data.emails if a not in emails)
        changed.append("emails")
    phones = {p.e164 for p in person.phones}
    if any(e164 not in phones for e164, _k in data.phones):
        person.phones.extend(JournalistPhone(e164=p, kind=k) for p, k in data.phones if p not in phones)
        changed.append("phones")
    beats = {b.id for b in person.beats}
    if set(data.beat_ids) - beats:
        person.beats = sorted([*person.beats, *(vocab.beat(i) for i in data.beat_ids if i not in beats)],
                              key=lambda b: b.name)
        changed.append("beats")
    regions = {r.code for r in person.regions}
    if set(data.region_codes) - regions:
        person.regions = sorted([*person.regions, *(vocab.regions[c] for c in data.region_codes
                                                     if c not in regions)], key=lambda r: r.code)
        changed.append("regions")
    channels = list(person.preferred_channels or [])
    if any(c not in channels for c in data.preferred_channels):
        person.preferred_channels = channels + [c for c in data.preferred_channels if c not in channels]
        changed.append("preferred_channels")
    changed += journalists._ensure_consents(person, row.consent or None)
    link = person.link_for(opd.id)
    if link is None or not link.following:
        journalists._link(session, person, opd).following = True
        changed.append("following")
    if changed:
        person.updated_at = now
        audit.record(session, actor, "journalist.merged", object_type="journalist", object_id=person.id,
                     opd_id=opd.id, fields=changed, acting_as=who, details={"source": "import"})
    return changed


def _create_outlets(session: Session, actor: User, rows: list[RowCheck]) -> int:
    """Create the outlets the file names that the register lacks (type from the file, else online)."""
    new: dict[str, tuple[str, str]] = {}
    for row in rows:
        if row.outlet_is_new and row.outlet_name:
            key = row.outlet_name.lower()
            name, kind = new.get(key, (row.outlet_name, None))
            new[key] = (name, kind or row.outlet_type)
    outlets = {key: Outlet(name=name, type=kind if kind in OUTLET_TYPES else "online", dewan_pers="belum")
               for key, (name, kind) in new.items()}
    session.add_all(outlets.values())
    session.flush()
    for outlet in outlets.values():
        audit.record(session, actor, "outlet.created", outlet, object_id=outlet.id,
                     fields=["name", "type", "dewan_pers"], details={"source": "import"})
    ids = {key: outlet.id for key, outlet in outlets.items()}
    for row in rows:
        if row.outlet_is_new and row.outlet_name and row.data is not None:
            row.data.outlet_id = ids[row.outlet_name.lower()]
    return len(new)


def _consent_rows(consent: dict[str, ConsentInput]) -> list[dict[str, Any]]:
    """The consent rows create_journalist writes for a new person: its own rule, applied to a
    blank record that is never added to the session."""
    blank = Journalist()
    journalists._ensure_consents(blank, consent or None)
    return [{"channel": c.channel, "state": c.state, "given_at": c.given_at, "method": c.method,
             "basis": c.basis} for c in blank.consents]


def _insert_people(session: Session, actor: User, opd: Opd, batch: ImportBatch, rows: list[RowCheck],
                   now: datetime, who: str) -> dict[int, int]:
    """Insert new people as create_journalist would, with one INSERT per table; return their ids."""
    ids = session.scalars(
        insert(Journalist).returning(Journalist.id, sort_by_parameter_order=True),
        [{"full_name": r.data.full_name, "sort_name": sort_key(r.data.full_name),
          "outlet_id": r.data.outlet_id, "position": r.data.position, "ukw_level": r.data.ukw_level,
          "press_card_issuer": r.data.press_card_issuer, "province_wide": r.data.province_wide,
          "preferred_channels": list(r.data.preferred_channels), "status": "active", "created_at": now,
          "updated_at": now} for r in rows],
    ).all()
    children: dict[type, list[dict[str, Any]]] = defaultdict(list)
    consent_cache: dict[tuple, list[dict[str, Any]]] = {}
    for row, jid in zip(rows, ids, strict=True):
        data = row.data
        children[JournalistEmail] += [{"journalist_id": jid, "address": a, "is_shared": s}
                                      for a, s in data.emails]
        children[JournalistPhone] += [{"journalist_id": jid, "e164": p, "kind": k, "is_shared": False}
                                      for p, k in data.phones]
        children[JournalistBeat] += [{"journalist_id": jid, "beat_id": b} for b in data.beat_ids]
        children[JournalistRegion] += [{"journalist_id": jid, "region_code": c} for c in data.region_codes]
        children[JournalistOpd].append({"journalist_id": jid, "opd_id": opd.id, "following": True,
                                        "subscribed": True, "created_at": now, "updated_at": now})
        cache_key = tuple(sorted((ch, c.method, c.basis) for ch, c in row.consent.items()))
        if cache_key not in consent_cache:
            consent_cache[cache_key] = _consent_rows(row.consent)
        children[Consent] += [{**c, "journalist_id": jid, "updated_at": now}
                              for c in consent_cache[cache_key]]
    for model, values in children.items():
        if values:  # plain executemany: these rows need no ids back
            session.execute(insert(model.__table__), values)
    for row, jid in zip(rows, ids, strict=True):
        audit.record(session, actor, "journalist.created", object_type="journalist", object_id=jid,
                     opd_id=opd.id, fields=_CREATED_FIELDS, acting_as=who,
                     details={"consent": sorted(row.consent), "source": "import", "import_id": batch.id})
    return {row.number: jid for row, jid in zip(rows, ids, strict=True)}


def _mark_shared(session: Session, actor: User, check: Check, created_ids: set[int], who: str) -> int:
    """Mark contact points flagged as shared that now belong to two or more people; audit the
    change on records that existed before this import."""
    keys = {key for row in check.rows if row.decision != SKIP for key in row.shared}
    marked = 0
    for kind, model, column in (("email", JournalistEmail, JournalistEmail.address),
                                ("phone", JournalistPhone, JournalistPhone.e164)):
        values = sorted(v for k, v in keys if k == kind)
        for chunk in _chunks(values):
            holders: dict[str, set[int]] = defaultdict(set)
            unmarked: dict[str, set[int]] = defaultdict(set)
            for value, jid, shared in session.execute(
                    select(column, model.journalist_id, model.is_shared).join(
                        Journalist, Journalist.id == model.journalist_id).where(
                        column.in_(chunk), Journalist.status != "erased")):
                holders[value].add(jid)
                if not shared:
                    unmarked[value].add(jid)
            to_mark = [v for v, ids in holders.items() if len(ids) > 1 and unmarked.get(v)]
            if not to_mark:
                continue
            session.execute(update(model).where(column.in_(to_mark), model.is_shared.is_(False))
                            .values(is_shared=True).execution_options(synchronize_session="fetch"))
            touched = {jid for v in to_mark for jid in unmarked[v]}
            marked += len(to_mark)
            for jid in sorted(touched - created_ids):
                audit.record(session, actor, "journalist.updated", object_type="journalist", object_id=jid,
                             fields=[kind + "s"], acting_as=who,
                             details={"source": "import", "marked_shared": True})
    return marked

