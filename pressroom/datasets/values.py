"""One cell of a dataset: missing markers, numbers in Indonesian or English style, dates.

Numbers are decided per column, never per cell. A cell is classified alone —

* ``plain``: digits only (``2059748``), fits any column;
* ``id``: ``.`` groups thousands and ``,`` is the decimal mark (``1.234.567,89``, ``2,5``);
* ``en``: the other way round (``1,234,567.89``, ``2325.173``);
* ``ambiguous``: one separator followed by exactly three digits (``1.234``, ``18,558``);
* ``invalid``: not a number in either style (``1.23.4``, ``abc``);

— and ``decide_number_format`` turns a column's cells into one style: the style of its
unambiguous cells, Indonesian when only ambiguous cells are present (flagged, so the preview
can ask), and a conflict naming an ``id`` and an ``en`` cell when both occur. Numbers the
file already typed (XLSX numeric cells, JSON numbers) fit any column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

#: What a cell may hold: text (CSV, XLSX text), numbers and dates a workbook or JSON typed.
Cell = str | int | float | Decimal | date | datetime | bool | None

#: Texts that mean "no value" (BPS writes "-" for nil and "..." for not available).
MISSING = frozenset({"", "-", "–", "—", "−", "--", "...", "…", "n/a", "na", "#n/a", "null"})

ID, EN, PLAIN = "id", "en", "plain"
STYLES = (ID, EN)
#: How each style writes 1234567.89, for messages.
EXAMPLES = {ID: "1.234.567,89", EN: "1,234,567.89", PLAIN: "1234567"}

_WS = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")
_CURRENCY = re.compile(r"^(?:rp\.?|idr)\s*", re.I)
_SPACE_GROUPS = re.compile(r"\d{1,3}(?: \d{3})+(?:[.,]\d+)?")
_ID_BOTH = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+,\d+")
_EN_BOTH = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+\.\d+")


class CellProblem(ValueError):
    """A cell that does not fit its column; ``code`` is one of errors.CODES."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def is_missing(value: Cell) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return _WS.sub(" ", value).strip().lower() in MISSING
    return False


def cell_text(value: Cell, limit: int | None = 60) -> str:
    """A cell as text for people (messages, examples); long text is cut with an ellipsis."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, Decimal):
        text = decimal_text(value)
    elif isinstance(value, float):
        text = format(value, ".15g")
    else:
        text = " ".join(str(value).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def decimal_text(value: Decimal) -> str:
    """A Decimal in plain notation without trailing zeros: ``2.5``, ``100``, ``0.001``."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


# Numbers -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class NumberToken:
    """A text cell read as a number, before its column's style is known."""

    negative: bool
    body: str  # digits and separators only
    percent: bool
    style: str  # plain | id | en | ambiguous | invalid


def _style(body: str) -> str:
    if body.isdigit():
        return PLAIN
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        if body.rfind(",") > body.rfind("."):
            return ID if _ID_BOTH.fullmatch(body) else "invalid"
        return EN if _EN_BOTH.fullmatch(body) else "invalid"
    sep = "." if dots else ","
    decimal_style, grouping_style = (EN, ID) if sep == "." else (ID, EN)
    groups = re.escape(sep) + r"\d{3}"
    if (dots or commas) > 1:
        return grouping_style if re.fullmatch(rf"[1-9]\d{{0,2}}(?:{groups})+", body) else "invalid"
    if re.fullmatch(rf"[1-9]\d{{0,2}}{groups}", body):
        return "ambiguous"
    return decimal_style


def number_token(text: str) -> NumberToken | None:
    """Read ``text`` as a number written by a person: sign, ``Rp``, ``%``, spaces between
    thousands, ``Rp15.000,-``. None when it is not number-shaped at all."""
    t = _WS.sub(" ", text).strip()
    percent = t.endswith("%")
    if percent:
        t = t[:-1].rstrip()
    negative = False
    for _ in range(2):  # "-Rp 5.000" and "Rp -5.000"
        if t[:1] in ("-", "−", "+"):
            negative = t[0] != "+"
            t = t[1:].lstrip()
        stripped = _CURRENCY.sub("", t)
        if stripped == t:
            break
        t = stripped
    t = re.sub(r"[.,]-$", "", t)  # "15.000,-": whole rupiah
    if " " in t:
        if not _SPACE_GROUPS.fullmatch(t):
            return None
        t = t.replace(" ", "")
    if not t or not re.fullmatch(r"[\d.,]+", t) or not re.search(r"\d", t) or t[-1] in ".,":
        return None
    if t[0] in ".,":
        t = "0" + t
    return NumberToken(negative, t, percent, _style(t))


def native_number(value: Any) -> Decimal | None:
    """A number the file or JSON already typed, as a Decimal; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return Decimal(format(value, ".15g"))  # what a spreadsheet shows, not binary noise
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    return None


@dataclass(frozen=True)
class NumberFormat:
    """How one column writes its numbers."""

    style: str  # id | en | plain
    #: Only cells like 1.234 were seen, and Indonesian style was assumed: worth asking.
    ambiguous: bool = False
    #: (index, text) of a cell in Indonesian and of one in English style, when both occur.
    conflict: tuple[tuple[int, str], tuple[int, str]] | None = None


def decide_number_format(values: list[Cell] | tuple[Cell, ...]) -> NumberFormat:
    """The one style of a column, judged from all its cells (indexes refer to ``values``)."""
    first: dict[str, tuple[int, str]] = {}
    ambiguous = False
    for index, value in enumerate(values):
        if not isinstance(value, str):
            continue
        token = number_token(value)
        if token is None:
            continue
        if token.style in STYLES:
            first.setdefault(token.style, (index, value.strip()))
        elif token.style == "ambiguous":
            ambiguous = True
    if ID in first and EN in first:
        return NumberFormat(ID, conflict=(first[ID], first[EN]))
    if ID in first:
        return NumberFormat(ID)
    if EN in first:
        return NumberFormat(EN)
    return NumberFormat(ID, ambiguous=True) if ambiguous else NumberFormat(PLAIN)


def parse_number(value: Cell, style: str) -> tuple[Decimal, bool]:
    """``value`` as a Decimal in a column of ``style``, and whether it carried a ``%``.

    Raise CellProblem("not_a_number") for text that is no number, and
    CellProblem("number_format") for a number written in the other style."""
    native = native_number(value)
    if native is not None:
        return native, False
    if not isinstance(value, str):
        raise CellProblem("not_a_number")
    token = number_token(value)
    if token is None or token.style == "invalid":
        raise CellProblem("not_a_number")
    effective = ID if style == PLAIN else style
    if token.style in STYLES and token.style != effective:
        raise CellProblem("number_format")
    body = token.body
    if effective == ID:
        body = body.replace(".", "").replace(",", ".")
    else:
        body = body.replace(",", "")
    try:
        number = Decimal(body)
    except InvalidOperation:  # pragma: no cover - the patterns above only let numbers through
        raise CellProblem("not_a_number") from None
    return (-number if token.negative else number), token.percent


# Dates -------------------------------------------------------------------------------------
MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}
_WEEKDAYS = r"(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad|monday|tuesday|wednesday|thursday|" \
            r"friday|saturday|sunday)"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?)?")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_WORDS = re.compile(rf"(?:{_WEEKDAYS},?\s+)?(\d{{1,2}})\s+([a-z]+)\.?\s+(\d{{4}})", re.I)


def parse_date(value: Cell) -> date:
    """A date from a workbook, ISO ``2025-03-01``, ``01/03/2025`` (day first, as Indonesians
    write it) or words ``1 Maret 2025`` / ``Sabtu, 1 Maret 2025`` / ``1 Mar 2025``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise CellProblem("not_a_date")
    text = " ".join(value.split())
    parts = None
    if match := _ISO.fullmatch(text):
        parts = int(match[1]), int(match[2]), int(match[3])
    elif match := _DMY.fullmatch(text):
        parts = int(match[3]), int(match[2]), int(match[1])
    elif (match := _WORDS.fullmatch(text)) and match[2].lower() in MONTHS:
        parts = int(match[3]), MONTHS[match[2].lower()], int(match[1])
    if parts is None:
        raise CellProblem("not_a_date")
    try:
        return date(*parts)
    except ValueError:
        raise CellProblem("not_a_date") from None


def _is_date(value: Cell) -> bool:
    try:
        parse_date(value)
    except CellProblem:
        return False
    return True


# Guessing a column's kind ------------------------------------------------------------------------
#: Share of a column's non-missing cells that must read as numbers (or dates) for the column to
#: be numeric (or a date column): the rest are then reported as errors, not hidden as text.
KIND_THRESHOLD = 0.8


@dataclass(frozen=True)
class ColumnGuess:
    kind: str  # empty | text | integer | decimal | percent | date
    number_format: NumberFormat | None = None


def guess_kind(values: list[Cell]) -> ColumnGuess:
    """What a column holds, judged from all its cells."""
    present = [v for v in values if not is_missing(v)]
    if not present:
        return ColumnGuess("empty")
    dates = sum(isinstance(v, date) or (isinstance(v, str) and number_token(v) is None and _is_date(v))
                for v in present)
    if dates and dates >= KIND_THRESHOLD * len(present):
        return ColumnGuess("date")
    tokens = [number_token(v) if isinstance(v, str) else None for v in present]
    numeric = [v for v, t in zip(present, tokens, strict=True)
               if native_number(v) is not None or (t is not None and t.style != "invalid")]
    if len(numeric) < KIND_THRESHOLD * len(present):
        return ColumnGuess("text")
    # Digits with a leading zero, or longer than a spreadsheet keeps, are identifiers (phone
    # numbers, NIK, kode desa): numbers would lose their zeros and digits.
    if any(t is not None and t.style == PLAIN and len(t.body) > 1 and (t.body[0] == "0" or len(t.body) > 15)
           for t in tokens):
        return ColumnGuess("text")
    fmt = decide_number_format(present)
    if any(t is not None and t.percent for t in tokens):
        return ColumnGuess("percent", fmt)
    if fmt.conflict:
        return ColumnGuess("decimal", fmt)
    integral = True
    for value in numeric:
        try:
            number, _ = parse_number(value, fmt.style)
        except CellProblem:
            continue
        if number != number.to_integral_value():
            integral = False
            break
    return ColumnGuess("integer" if integral else "decimal", fmt)
