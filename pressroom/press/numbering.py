"""Press release numbers in the style of tata naskah dinas: "480/7/DISKOMINFO/XI/2026".

Each OPD has a pattern made of literal text and tokens:

========================  =========================================================
``{seq}``                 the release's sequence number, restarting every year
``{seq:3}``               the same, zero-padded to 3 digits (``007``)
``{opd}``                 the OPD's code (``DISKOMINFO``)
``{class}``               the classification code of the filing scheme (``480``)
``{month_roman}``         the month in Roman numerals (``I``–``XII``)
``{year}``                the year, 4 digits
========================  =========================================================

The month and year are those of the release's date *in WIB*: 23.30 WIB on 31 December is
still December, 00.30 WIB on 1 January already the next year — where the sequence
restarts (``numbering_year``). Allocating the sequence itself (without gaps or reuse under
concurrent releases) is the database's job; this module only formats.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel.speaklater import LazyString

from pressroom import clock
from pressroom.i18n import _l

DEFAULT_PATTERN = "{class}/{seq}/{opd}/{month_roman}/{year}"
PATTERN_MAX_LENGTH = 100
#: Zero-padding widths ``{seq:N}`` accepts.
SEQ_WIDTHS = range(1, 10)
TOKENS = ("seq", "opd", "class", "month_roman", "year")
TOKENS_HELP = "{seq}, {seq:3}, {opd}, {class}, {month_roman}, {year}"

_TOKEN = re.compile(r"\{([^{}]*)\}")
_SEQ = re.compile(r"seq(?::(\d+))?")
_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def roman(n: int) -> str:
    """``n`` (1–3999) in Roman numerals: ``roman(11) == "XI"``."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 3999:
        raise ValueError(f"Roman numerals are written for 1 to 3999, not {n!r}")
    parts = []
    for value, letters in _ROMAN:
        count, n = divmod(n, value)
        parts.append(letters * count)
    return "".join(parts)


def validate_pattern(pattern: str | None) -> list[LazyString]:
    """What is wrong with ``pattern``, as messages for a person (lazy strings); empty if fine."""
    if not pattern or not pattern.strip():
        return [_l("Enter a numbering pattern, for example %(example)s.", example=DEFAULT_PATTERN)]
    problems: list[LazyString] = []
    if len(pattern) > PATTERN_MAX_LENGTH:
        problems.append(_l("The numbering pattern may be at most %(max)s characters long.",
                           max=PATTERN_MAX_LENGTH))
    if any(ord(char) < 32 or ord(char) == 127 for char in pattern):
        problems.append(_l("The numbering pattern must be a single line without control characters."))
    # Whatever is left after removing well-formed {…} tokens must contain no brace.
    if "{" in _TOKEN.sub("", pattern) or "}" in _TOKEN.sub("", pattern):
        problems.append(_l("The numbering pattern has a brace without its pair: every token is "
                           "written as {name}."))
    seq_count = 0
    reported: set[str] = set()
    for name in _TOKEN.findall(pattern):
        seq = _SEQ.fullmatch(name)
        if seq:
            seq_count += 1
            if seq.group(1) is not None and int(seq.group(1)) not in SEQ_WIDTHS:
                problems.append(_l("{%(token)s}: the zero-padding width must be between %(low)s and "
                                   "%(high)s, as in {seq:3}.", token=name, low=SEQ_WIDTHS[0],
                                   high=SEQ_WIDTHS[-1]))
        elif name not in TOKENS and name not in reported:
            reported.add(name)
            problems.append(_l("Unknown token {%(token)s}. Available tokens: %(tokens)s.",
                               token=name, tokens=TOKENS_HELP))
    if seq_count == 0:
        problems.append(_l("The numbering pattern must contain {seq}, the release's sequence number."))
    elif seq_count > 1:
        problems.append(_l("The numbering pattern may contain {seq} only once."))
    if "{year}" not in pattern:
        # The sequence restarts every year; without the year numbers would repeat.
        problems.append(_l("The numbering pattern must contain {year}, because the sequence "
                           "restarts every year."))
    return problems


def numbering_year(when: datetime) -> int:
    """The year a release made at ``when`` (aware) is numbered in: its WIB year."""
    return clock.to_wib(when).year


def next_sequence(existing_max: int | None) -> int:
    """The sequence number after the highest one used this year (``None``: none used yet)."""
    if existing_max is None:
        return 1
    if isinstance(existing_max, bool) or not isinstance(existing_max, int) or existing_max < 0:
        raise ValueError(f"the highest sequence used must be a whole number ≥ 0, not {existing_max!r}")
    return existing_max + 1


def format_number(pattern: str, *, seq: int, opd_code: str, classification: str | None,
                  when: datetime) -> str:
    """The release number ``pattern`` gives for sequence ``seq`` at ``when`` (aware, any zone:
    the month and year are taken in WIB).

    Raises ``ValueError`` for an invalid pattern or a value the pattern needs but lacks.
    """
    problems = validate_pattern(pattern)
    if problems:
        raise ValueError("; ".join(str(problem) for problem in problems))
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ValueError(f"the sequence number must be a whole number ≥ 1, not {seq!r}")
    local = clock.to_wib(when)
    values = {
        "opd": (opd_code or "").strip(),
        "class": (classification or "").strip(),
        "month_roman": roman(local.month),
        "year": f"{local.year:04d}",
    }

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        seq_token = _SEQ.fullmatch(name)
        if seq_token:
            return str(seq).zfill(int(seq_token.group(1) or 0))
        if not values[name]:
            raise ValueError(f"the pattern uses {{{name}}} but no value was given for it")
        return values[name]

    return _TOKEN.sub(replace, pattern)
