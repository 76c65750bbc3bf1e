"""Reading a table from bytes (a CSV or XLSX upload, a fetched CSV) and previewing it.

``read_table`` turns bytes into a ``RawTable``: every sheet's rows as the file has them
(CSV cells as text; XLSX cells as the workbook typed them — numbers, dates, text — with
percent-formatted numbers as the percentage shown, 45.2 for ``45,2%``). ``preview`` then
finds the table in a sheet, the way BPS and OPD spreadsheets are laid out:

* title rows above the header are skipped: the header is the first row that fills most of
  the table's width with names rather than numbers (the caller may choose another row);
* a numbering row of ``(1) (2) (3)`` right under the header is skipped;
* the table ends at a note row below it ("Sumber: …", "Keterangan", "Catatan", "*) …"),
  or at a one-cell row after a blank row (a second table's title); blank rows are dropped;
* each column gets a kind (text, integer, decimal, percent, date) and, for numbers, one
  number format for the whole column (see ``values``): a column mixing ``1.234,5`` and
  ``1,234.5`` carries a ``mixed_number_format`` error; the caller may set the format.

Structural problems raise DatasetInputError (see errors.CODES); limits are checked before
parsing (bytes) and while reading (rows, columns, an XLSX's unpacked size).
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from pressroom.datasets.errors import DatasetInputError
from pressroom.datasets.values import (
    Cell,
    NumberFormat,
    cell_text,
    guess_kind,
    is_missing,
    native_number,
    number_token,
)
from pressroom.i18n import _l

#: Largest upload or fetched body (the web layer passes the configured limit).
MAX_BYTES = 20 * 1024 * 1024
#: Most data rows in one version.
MAX_ROWS = 100_000
MAX_COLUMNS = 200
#: Largest unpacked size of an XLSX file (a small zip can unpack to gigabytes).
MAX_XLSX_INFLATED = 300 * 1024 * 1024
#: Rows read beyond MAX_ROWS for titles and notes before a file is refused as too long.
ROW_SLACK = 1000
SAMPLE_ROWS = 20
#: Rows looked at to find the header.
HEADER_WINDOW = 60

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOTE = re.compile(r"^(?:sumber|source|sources|keterangan|ket\s*[.:]|catatan|note|notes|nb\s*[.:]|diolah|"
                   r"\*|\d+\)\s|\(\d+\)\s)", re.I)
_NUMBERING = re.compile(r"\(\d{1,3}\)")
_DELIMITERS = (";", ",", "\t", "|")
_XLSX_EXTENSIONS = {"xlsx", "xlsm"}
_OTHER_FILES = {"pdf", "doc", "docx", "ppt", "pptx", "odt", "png", "jpg", "jpeg", "gif", "webp", "zip",
                "rar", "json", "xml", "html", "htm"}
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]{1,3}\d+(?::[A-Z]{1,3}\d+)?)\"")


def column_letter(index: int) -> str:
    """Spreadsheet name of a 0-based column index: A … Z, AA …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    """1-based index of a column name (A → 1)."""
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


# Raw tables ---------------------------------------------------------------------------------------
@dataclass
class Sheet:
    """One sheet as read: ``rows[0]`` is row 1 as the user sees it in the file."""

    name: str
    rows: list[list[Cell]]
    #: Merged ranges as (first row, first column, last row, last column), 1-based.
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False

    @property
    def is_blank(self) -> bool:
        return not any(_filled(row) for row in self.rows)


@dataclass
class RawTable:
    kind: str  # "csv" or "xlsx"
    sheets: list[Sheet]
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    @property
    def data_sheets(self) -> list[str]:
        """Visible sheets with at least one filled cell (the ones a person must choose among)."""
        return [s.name for s in self.sheets if not s.hidden and not s.is_blank]

    def sheet(self, name: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise DatasetInputError("unknown_sheet", _l("The workbook has no sheet “%(sheet)s”.", sheet=name),
                                {"sheet": name, "sheets": self.sheet_names})


def _filled(row: list[Cell]) -> int:
    return sum(not _blank(v) for v in row)


def _blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_size(size: int, max_bytes: int = MAX_BYTES) -> None:
    """Refuse a body of ``size`` bytes above the limit (call it with Content-Length first)."""
    if size > max_bytes:
        raise DatasetInputError("too_large", _l(
            "The file is %(size)s MB; the most Pressroom takes is %(limit)s MB. Split the table, or "
            "remove sheets and columns it does not need.",
            size=_megabytes(size), limit=_megabytes(max_bytes)), {"size": size, "limit": max_bytes})


def _megabytes(size: int) -> int:
    """Whole megabytes, rounded up (no decimal separator to read the wrong way)."""
    return max(1, math.ceil(size / 1024 / 1024))


def _not_a_table(message: object, detected: str) -> DatasetInputError:
    return DatasetInputError("not_a_table", message, {"detected": detected})


def read_table(data: bytes, filename: str = "", content_type: str = "", *, max_bytes: int = MAX_BYTES,
               max_rows: int = MAX_ROWS) -> RawTable:
    """Read a CSV or XLSX file (judged by its content first, its name and type second)."""
    check_size(len(data), max_bytes)
    if not data.strip():
        raise DatasetInputError("empty_file", _l("The file is empty."))
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, max_rows=max_rows)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _not_a_table(_l("This is an old Excel (.xls) file. Open it in Excel or LibreOffice, save it "
                              "as .xlsx or CSV, and upload that."), "xls")
    for magic, kind in ((b"%PDF", "pdf"), (b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"),
                        (b"Rar!", "rar"), (b"\x1f\x8b", "gzip")):
        if data.startswith(magic):
            raise _not_a_table(_l("This file is not a table (it is a %(kind)s file). Upload a CSV or an "
                                  "Excel (.xlsx) file.", kind=kind.upper()), kind)
    if ext in _XLSX_EXTENSIONS or "spreadsheetml" in content_type:
        raise DatasetInputError("unreadable_xlsx", _l("The file is not a readable .xlsx workbook."))
    if ext in _OTHER_FILES:
        raise _not_a_table(_l("This file is not a table (it is a .%(ext)s file). Upload a CSV or an Excel "
                              "(.xlsx) file.", ext=ext), ext)
    return _read_csv(data, max_rows=max_rows)


# CSV ---------------------------------------------------------------------------------------------
def _decode(data: bytes) -> tuple[str, str]:
    """Text and its encoding: a BOM decides; else UTF-8; else Windows-1252 (old Excel exports)."""
    binary = _not_a_table(_l("This is not a CSV text file (it contains binary data). Upload the "
                             "spreadsheet as .xlsx, or save it as CSV first."), "binary")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise binary from None
    if b"\x00" in data[:65536]:
        raise binary
    text, encoding = None, ""
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    assert text is not None  # latin-1 reads any bytes
    sample = text[:65536]
    if len(_CONTROL.findall(sample)) > max(2, len(sample) // 100):
        raise binary
    return text, ("utf-8" if encoding == "utf-8-sig" else encoding)


def _shape_score(lines: list[str], delimiter: str) -> tuple[int, int]:
    """(lines that have the most common width ≥ 2, that width) when split by ``delimiter``."""
    try:
        widths = [len(record) for record in csv.reader(lines, delimiter=delimiter)]
    except csv.Error:
        return (0, 0)
    counts = Counter(w for w in widths if w >= 2)
    if not counts:
        return (0, 0)
    width = max(counts, key=lambda w: (counts[w], w))
    return (counts[width], width)


def detect_delimiter(text: str) -> str:
    """``;``, ``,``, tab or ``|``: the one that splits most lines into the same number (≥ 2)
    of cells — title and note rows above and below do not count against it, and a decimal
    comma in a ``;`` file does not fool it. csv.Sniffer's answer wins a tie."""
    lines = [line for line in text[:65536].splitlines() if line.strip()][:100]
    scores = {d: _shape_score(lines, d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: scores[d])
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines[:30]), delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in scores and scores[sniffed] == scores[best]:
        return sniffed
    return best


def _read_csv(data: bytes, *, max_rows: int) -> RawTable:
    text, encoding = _decode(data)
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html", "<head", "<body", "<table", "<?xml")):
        raise _not_a_table(_l("This is a web page (HTML), not a table. Download the data itself as CSV "
                              "or .xlsx."), "html")
    if head.startswith(("{", "[")):
        raise _not_a_table(_l("This is JSON, not a table. Upload a CSV or an Excel (.xlsx) file."), "json")
    delimiter = detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[Cell]] = []
    try:
        for record in reader:
            rows.append(_limit_columns([_CONTROL.sub(" ", cell).strip() for cell in record], len(rows) + 1))
            if len(rows) > max_rows + ROW_SLACK:
                raise too_many_rows(max_rows)
    except csv.Error:
        raise _not_a_table(_l("The file could not be read as CSV near line %(line)s.", line=reader.line_num),
                           "csv_error") from None
    return RawTable("csv", [Sheet("", _trim_rows(rows))], encoding=encoding, delimiter=delimiter)


def _limit_columns(cells: list[Cell], number: int) -> list[Cell]:
    if len(cells) > MAX_COLUMNS:
        if any(not _blank(v) for v in cells[MAX_COLUMNS:]):
            raise DatasetInputError("too_many_columns", _l(
                "Row %(row)s has more than %(limit)s columns, the most a dataset takes.",
                row=number, limit=MAX_COLUMNS), {"row": number, "limit": MAX_COLUMNS})
        cells = cells[:MAX_COLUMNS]
    while cells and _blank(cells[-1]):
        cells.pop()
    return cells


def _trim_rows(rows: list[list[Cell]]) -> list[list[Cell]]:
    while rows and not _filled(rows[-1]):
        rows.pop()
    return rows


def too_many_rows(limit: int) -> DatasetInputError:
    return DatasetInputError("too_many_rows", _l(
        "The table has more than %(limit)s rows, the most one dataset version takes.", limit=limit),
        {"limit": limit})


# XLSX --------------------------------------------------------------------------------------------
def _read_xlsx(data: bytes, *, max_rows: int) -> RawTable:
    import openpyxl

    unreadable = DatasetInputError("unreadable_xlsx", _l("The file is not a readable .xlsx workbook."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise unreadable from None
    if "xl/workbook.xml" not in names:
        archive.close()
        raise _not_a_table(_l("This file is not a table (it is a zip archive or another Office document). "
                              "Upload a CSV or an Excel (.xlsx) file."), "zip")
    if inflated > MAX_XLSX_INFLATED:
        archive.close()
        raise DatasetInputError("unreadable_xlsx", _l(
            "The workbook is too large once unpacked. Save the sheet you need as CSV and upload that."))
    try:
        with warnings.catch_warnings():  # openpyxl warns about styles and extensions it skips
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # any failure to open an untrusted workbook means it is unreadable
        archive.close()
        raise unreadable from None
    try:
        sheets = []
        for worksheet in workbook.worksheets:
            try:
                rows = _xlsx_rows(worksheet, max_rows)
            except DatasetInputError:
                raise
            except Exception:  # damaged sheet XML
                raise unreadable from None
            path = getattr(worksheet, "_worksheet_path", None)
            merged = _merged_ranges(archive, path) if path in names else []
            sheets.append(Sheet(worksheet.title, rows, merged, hidden=worksheet.sheet_state != "visible"))
    finally:
        workbook.close()
        archive.close()
    if not sheets:
        raise DatasetInputError("empty_file", _l("The workbook has no sheet."))
    return RawTable("xlsx", sheets)


def _xlsx_rows(worksheet, max_rows: int) -> list[list[Cell]]:
    worksheet.reset_dimensions()  # some writers store a wrong size
    rows: list[list[Cell]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cells in worksheet.iter_rows(min_row=1, min_col=1, max_col=MAX_COLUMNS + 1):
            rows.append(_limit_columns([_xlsx_value(c) for c in cells], len(rows) + 1))
            if len(rows) > max_rows + ROW_SLACK:
                raise too_many_rows(max_rows)
    return _trim_rows(rows)


def _xlsx_value(cell: Any) -> Cell:
    value = cell.value
    if value is None:
        return None
    if isinstance(value, str):
        return _CONTROL.sub(" ", value).strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        number = native_number(value)
        if number is None:
            return str(value)
        if "%" in (getattr(cell, "number_format", None) or ""):
            return number * 100  # 0.452 shown as 45,2% is the percentage 45.2
        return value if isinstance(value, int) else number
    if isinstance(value, datetime):
        return value.date() if value.time() == time() else value
    if isinstance(value, date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def _merged_ranges(archive: zipfile.ZipFile, path: str) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a sheet, read from its XML in chunks (read-only openpyxl omits them)."""
    ranges = []
    tail = b""
    with archive.open(path) as source:
        while chunk := source.read(1 << 20):
            buffer = tail + chunk
            end = 0
            for match in _MERGE.finditer(buffer):
                ranges.append(_parse_range(match[1].decode()))
                end = match.end()
            tail = buffer[max(end, len(buffer) - 300):]
    return ranges


def _parse_range(ref: str) -> tuple[int, int, int, int]:
    first, _, last = ref.partition(":")
    last = last or first
    (c1, r1), (c2, r2) = (re.fullmatch(r"([A-Z]+)(\d+)", x).groups() for x in (first, last))
    return int(r1), _column_index(c1), int(r2), _column_index(c2)


def _range_text(r: tuple[int, int, int, int]) -> str:
    return f"{column_letter(r[1] - 1)}{r[0]}:{column_letter(r[3] - 1)}{r[2]}"


# Finding the table in a sheet --------------------------------------------------------------------------
def _number_like(value: Cell) -> bool:
    """A cell that reads as data (a number or date), not as a column name; years count as names
    (wide tables put 2019, 2020 … in the header)."""
    if isinstance(value, date):
        return True
    number = native_number(value)
    if number is None and isinstance(value, str):
        token = number_token(value)
        if token is None or token.style == "invalid":
            return False
        if token.style == "plain" and not token.percent and 1900 <= int(token.body) <= 2100:
            return False
        return True
    return number is not None and not (number == int(number) and 1900 <= number <= 2100)


def _is_note(row: list[Cell], width: int) -> bool:
    cells = [v for v in row if not _blank(v)]
    if not cells or len(cells) > (2 if width >= 3 else 1):
        return False
    return isinstance(cells[0], str) and bool(_NOTE.match(cells[0]))


def _is_numbering(row: list[Cell]) -> bool:
    cells = [v for v in row if not _blank(v)]
    return len(cells) >= 2 and all(isinstance(v, str) and _NUMBERING.fullmatch(v.strip()) for v in cells)


def guess_header_row(rows: list[list[Cell]]) -> int:
    """The 1-based number of the row that names the columns: the first one that fills at least
    60 % of the table's usual width (and two cells) with names rather than numbers."""
    window = [(n, _filled(r)) for n, r in enumerate(rows, 1) if _filled(r)][:HEADER_WINDOW]
    if not window:
        raise DatasetInputError("empty_file", _l("The file is empty."))
    counts = Counter(c for _n, c in window if c >= 2)
    if not counts:
        return window[0][0]
    width = max(counts, key=lambda c: (counts[c], c))
    for number, count in window:
        row = rows[number - 1]
        if count < max(2, math.ceil(0.6 * width)) or _is_note(row, width) or _is_numbering(row):
            continue
        cells = [v for v in row if not _blank(v)]
        if sum(_number_like(v) for v in cells) * 2 < len(cells):
            return number
    return window[0][0]


def _table_rows(rows: list[list[Cell]], header_row: int,
                width: int) -> tuple[list[int], list[int], list[int]]:
    """Row numbers of the body, of the notes below it, and of skipped numbering rows."""
    body: list[int] = []
    notes: list[int] = []
    skipped: list[int] = []
    ended = after_blank = False
    for number in range(header_row + 1, len(rows) + 1):
        row = rows[number - 1]
        filled = _filled(row)
        if not filled:
            after_blank = bool(body)
            continue
        if not ended and (_is_note(row, width) or (after_blank and filled == 1 and width >= 3)):
            ended = True
        if ended:
            notes.append(number)
        elif not body and _is_numbering(row):
            skipped.append(number)
        else:
            body.append(number)
            after_blank = False
    return body, notes, skipped


# Preview --------------------------------------------------------------------------------------
@dataclass
class PreviewColumn:
    index: int  # 0-based position in the file
    letter: str  # spreadsheet column name (A, B …); for records, the 1-based position
    name: str
    kind: str  # empty | text | integer | decimal | percent | date
    #: id | en | plain for numeric columns (one format for the whole column); None for other
    #: columns, and for a column that mixes both styles until a person chooses its format.
    number_format: str | None = None
    #: The format was assumed (only cells like 1.234 were seen): worth asking the person.
    ambiguous: bool = False
    examples: list[str] = field(default_factory=list)
    #: mixed_number_format when the column writes numbers in both styles.
    error: DatasetInputError | None = None


@dataclass
class Preview:
    """A table found in a sheet: its columns, and its data rows with their numbers in the file."""

    columns: list[PreviewColumn]
    rows: list[list[Cell]]
    row_numbers: list[int]
    header_row: int  # 0 for records pushed or fetched as JSON
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    title_rows: list[int] = field(default_factory=list)
    note_rows: list[int] = field(default_factory=list)
    skipped_rows: list[int] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def number_formats(self) -> dict[str, str]:
        """Column name → id | en | plain, for the numeric columns (pass it to ``validate``)."""
        return {c.name: c.number_format for c in self.columns if c.number_format}

    @property
    def errors(self) -> list[DatasetInputError]:
        return [c.error for c in self.columns if c.error is not None]

    def sample(self, size: int = SAMPLE_ROWS) -> list[tuple[int, list[Cell]]]:
        return list(zip(self.row_numbers[:size], self.rows[:size], strict=True))

    def records(self) -> list[dict[str, Cell]]:
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self.rows]


def preview(raw: RawTable, sheet: str | None = None, header_row: int | None = None, *,
            number_formats: Mapping[str, str] | None = None, max_rows: int = MAX_ROWS) -> Preview:
    """Find the table: in ``sheet`` (required when several sheets hold data), below
    ``header_row`` (1-based as in the file; guessed when None). ``number_formats`` maps a
    column name to "id" or "en" where the person decided the column's separators."""
    if sheet is None:
        candidates = raw.data_sheets
        if not candidates:
            raise DatasetInputError("empty_file", _l("The file is empty."))
        if len(candidates) > 1:
            raise DatasetInputError("several_sheets", _l(
                "The workbook has several sheets with data (%(sheets)s). Choose the sheet that holds the "
                "table.",
                sheets=", ".join(candidates)), {"sheets": candidates})
        sheet = candidates[0]
    chosen = raw.sheet(sheet)
    rows = chosen.rows
    if header_row is None:
        header_row = guess_header_row(rows)
    elif not 1 <= header_row <= len(rows) or not _filled(rows[header_row - 1]):
        raise DatasetInputError("bad_header_row", _l(
            "Row %(row)s cannot be the header: it is empty or outside the table.", row=header_row),
            {"row": header_row})
    header = rows[header_row - 1]
    width = max(len(header), 1)
    body, notes, skipped = _table_rows(rows, header_row, max(_filled(header), 1))
    _check_merged(chosen, header_row, body)
    if body:
        width = max(width, *(len(rows[n - 1]) for n in body))
    table = [(rows[n - 1] + [None] * width)[:width] for n in body]
    header = (header + [None] * width)[:width]
    keep, names = [], []
    for index in range(width):
        name = " ".join(cell_text(header[index], limit=None).split())
        has_values = any(not _blank(r[index]) for r in table)
        if not name:
            if has_values:
                raise DatasetInputError("blank_header", _l(
                    "Column %(column)s has values but no name in the header row (row %(row)s). Give it a "
                    "name, or choose another header row.", column=column_letter(index), row=header_row),
                    {"column": column_letter(index), "row": header_row})
            continue
        keep.append(index)
        names.append(name)
    _check_names(names)
    if len(keep) < 2:
        raise _not_a_table(_l("No table was found: the file has a single column. A table needs at least "
                              "two (for example a region and a value)."), "single_column")
    if not body:
        raise DatasetInputError("no_rows", _l(
            "The table has a header row (row %(row)s) but no rows of data.", row=header_row),
            {"row": header_row})
    if len(body) > max_rows:
        raise too_many_rows(max_rows)
    columns = [
        _column(i, column_letter(i), name, [r[i] for r in table], body, (number_formats or {}).get(name))
        for i, name in zip(keep, names, strict=True)
    ]
    title_rows = [n for n in range(1, header_row) if _filled(rows[n - 1])]
    return Preview(columns, [[r[i] for i in keep] for r in table], body, header_row,
                   sheet=chosen.name or None, sheets=raw.sheet_names if raw.kind == "xlsx" else [],
                   title_rows=title_rows, note_rows=notes, skipped_rows=skipped)


def _check_merged(sheet: Sheet, header_row: int, body: list[int]) -> None:
    first, last = (body[0], body[-1]) if body else (header_row, header_row)
    header_cells = [r for r in sheet.merged if r[0] <= header_row <= r[2]]
    if header_cells:
        cells = ", ".join(_range_text(r) for r in header_cells)
        raise DatasetInputError("merged_header", _l(
            "The header row (row %(row)s) has merged cells (%(cells)s). Unmerge them so that every column "
            "has its own name in one row, or choose another header row.", row=header_row, cells=cells),
            {"row": header_row, "cells": [_range_text(r) for r in header_cells]})
    body_cells = [r for r in sheet.merged if r[0] <= last and r[2] >= first]
    if body_cells:
        cells = ", ".join(_range_text(r) for r in body_cells[:5])
        raise DatasetInputError("merged_cells", _l(
            "The table has merged cells (%(cells)s). Unmerge them and fill every cell, so that each row "
            "stands on its own.", cells=cells), {"cells": [_range_text(r) for r in body_cells]})


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _check_names(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        key = _name_key(name)
        if key in seen:
            raise DatasetInputError("duplicate_header", _l(
                "Two columns are named “%(column)s”. Give every column its own name.", column=name),
                {"column": name})
        seen.add(key)


def _column(index: int, letter: str, name: str, values: list[Cell], numbers: list[int],
            chosen_format: str | None) -> PreviewColumn:
    guess = guess_kind(values)
    fmt: NumberFormat | None = guess.number_format
    column = PreviewColumn(index, letter, name, guess.kind,
                           examples=[cell_text(v) for v in values if not is_missing(v)][:3])
    if fmt is None:
        return column
    if chosen_format in ("id", "en"):
        column.number_format = chosen_format
        return column
    if fmt.conflict:  # no format until a person chooses one: never guessed per cell
        column.error = mixed_format_error(name, fmt, numbers)
    else:
        column.number_format, column.ambiguous = fmt.style, fmt.ambiguous
    return column


def mixed_format_error(column: str, fmt: NumberFormat, numbers: list[int] | None = None) -> DatasetInputError:
    """The error for a column whose numbers use both styles; ``numbers`` maps the conflict's
    indexes to row numbers (1-based positions when None)."""
    assert fmt.conflict is not None
    (id_index, id_text), (en_index, en_text) = fmt.conflict
    id_row = numbers[id_index] if numbers else id_index + 1
    en_row = numbers[en_index] if numbers else en_index + 1
    return DatasetInputError("mixed_number_format", _l(
        "The column “%(column)s” writes numbers in two ways: “%(id_value)s” (row %(id_row)s) uses a point "
        "for thousands and a comma for decimals, “%(en_value)s” (row %(en_row)s) a comma for thousands and "
        "a point for decimals. Write every number in the column the same way, or choose the column's format.",
        column=column, id_value=id_text, id_row=id_row, en_value=en_text, en_row=en_row),
        {"column": column, "rows": [id_row, en_row], "values": [id_text, en_text]})


# Records (JSON pushes, CKAN) --------------------------------------------------------------------------
_SCALARS = (str, int, float, Decimal, bool, type(None))


def preview_records(records: Any, columns: Iterable[str] | None = None, *,
                    max_rows: int = MAX_ROWS) -> Preview:
    """A Preview of records that arrive as JSON objects (an API push, a CKAN resource): row
    numbers are 1-based positions in the list. ``columns`` fixes the order (else first seen)."""
    malformed = DatasetInputError("malformed_records", _l(
        "The data must be a list of rows, each an object of column names and plain values."))
    if not isinstance(records, list):
        raise malformed
    if not records:
        raise DatasetInputError("no_rows", _l("There are no rows of data."), {"row": 0})
    if len(records) > max_rows:
        raise too_many_rows(max_rows)
    names: dict[str, None] = dict.fromkeys(columns or ())
    for number, record in enumerate(records, 1):
        if not isinstance(record, dict):
            raise DatasetInputError("malformed_records", _l(
                "Row %(row)s is not an object of column names and values.", row=number), {"row": number})
        for key, value in record.items():
            if not isinstance(key, str) or not isinstance(value, _SCALARS):
                raise DatasetInputError("malformed_records", _l(
                    "Row %(row)s, “%(column)s”: a value must be text, a number or null.",
                    row=number, column=str(key)[:60]), {"row": number, "column": str(key)})
            names.setdefault(" ".join(key.split()), None)
    ordered = [n for n in names if n]
    if len(ordered) > MAX_COLUMNS:
        raise DatasetInputError("too_many_columns", _l(
            "The data has more than %(limit)s columns, the most a dataset takes.", limit=MAX_COLUMNS),
            {"limit": MAX_COLUMNS})
    _check_names(ordered)
    lookup = [{" ".join(k.split()): v for k, v in r.items()} for r in records]
    rows: list[list[Cell]] = [[r.get(n) for n in ordered] for r in lookup]
    numbers = list(range(1, len(rows) + 1))
    cols = [_column(i, str(i + 1), n, [r[i] for r in rows], numbers, None) for i, n in enumerate(ordered)]
    return Preview(cols, rows, numbers, header_row=0)
