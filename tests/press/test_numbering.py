"""Release numbers: tokens, padding, Roman months, the WIB year boundary and pattern checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pressroom.press.numbering import (
    DEFAULT_PATTERN,
    format_number,
    next_sequence,
    numbering_year,
    roman,
    validate_pattern,
)

NOV = datetime(2026, 11, 15, 3, 0, tzinfo=UTC)  # 10.00 WIB


def messages(pattern):
    return [str(message) for message in validate_pattern(pattern)]


@pytest.mark.parametrize(("n", "expected"), [
    (1, "I"), (2, "II"), (3, "III"), (4, "IV"), (5, "V"), (6, "VI"), (7, "VII"), (8, "VIII"),
    (9, "IX"), (10, "X"), (11, "XI"), (12, "XII"), (14, "XIV"), (40, "XL"), (90, "XC"),
    (1994, "MCMXCIV"), (2026, "MMXXVI"), (3999, "MMMCMXCIX"),
])
def test_roman(n, expected):
    assert roman(n) == expected


@pytest.mark.parametrize("bad", [0, -1, 4000, True, 1.0, "3"])
def test_roman_refuses_what_has_no_numeral(bad):
    with pytest.raises(ValueError):
        roman(bad)


def test_the_default_pattern():
    assert validate_pattern(DEFAULT_PATTERN) == []
    number = format_number(DEFAULT_PATTERN, seq=7, opd_code="DISKOMINFO", classification="480", when=NOV)
    assert number == "480/7/DISKOMINFO/XI/2026"


def test_zero_padding_and_every_token():
    pattern = "PR-{seq:3}/{opd}/{class}/{month_roman}/{year}"
    assert validate_pattern(pattern) == []
    when = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert format_number(pattern, seq=7, opd_code="DINKES", classification="000.1.2", when=when) == \
        "PR-007/DINKES/000.1.2/III/2026"
    # Padding never truncates a number longer than its width.
    assert format_number(pattern, seq=1234, opd_code="DINKES", classification="480", when=when) == \
        "PR-1234/DINKES/480/III/2026"


def test_class_is_only_needed_when_the_pattern_uses_it():
    assert format_number("{seq}/{opd}/{year}", seq=1, opd_code="BAPPEDA", classification=None,
                         when=NOV) == "1/BAPPEDA/2026"
    with pytest.raises(ValueError, match=r"\{class\}"):
        format_number(DEFAULT_PATTERN, seq=1, opd_code="BAPPEDA", classification="  ", when=NOV)
    with pytest.raises(ValueError, match=r"\{opd\}"):
        format_number(DEFAULT_PATTERN, seq=1, opd_code="", classification="480", when=NOV)


def test_month_and_year_are_those_of_the_wib_date():
    # 23.30 WIB on 31 December 2026 is 16.30 UTC: still December 2026.
    late = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert format_number(DEFAULT_PATTERN, seq=98, opd_code="DISKOMINFO", classification="480",
                         when=late) == "480/98/DISKOMINFO/XII/2026"
    assert numbering_year(late) == 2026
    # 00.30 WIB on 1 January 2027 is still 31 December 2026 in UTC, but numbered in 2027.
    early = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    assert format_number(DEFAULT_PATTERN, seq=1, opd_code="DISKOMINFO", classification="480",
                         when=early) == "480/1/DISKOMINFO/I/2027"
    assert numbering_year(early) == 2027
    # Any aware datetime is first put in WIB.
    in_wita = datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=8)))  # 23.30 WIB on 31 Dec
    assert numbering_year(in_wita) == 2026


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        numbering_year(datetime(2026, 12, 31, 23, 30))
    with pytest.raises(ValueError):
        format_number(DEFAULT_PATTERN, seq=1, opd_code="X", classification="480", when=datetime(2026, 1, 1))


def test_next_sequence():
    assert next_sequence(None) == 1
    assert next_sequence(0) == 1
    assert next_sequence(41) == 42
    for bad in (-1, 1.5, "3", True):
        with pytest.raises(ValueError):
            next_sequence(bad)


@pytest.mark.parametrize("seq", [0, -3, 2.0, True])
def test_format_refuses_a_sequence_below_one(seq):
    with pytest.raises(ValueError):
        format_number(DEFAULT_PATTERN, seq=seq, opd_code="X", classification="480", when=NOV)


def test_unknown_tokens_are_named_with_the_available_ones():
    problems = messages("{seq}/{opd}/{bulan}/{year}/{bulan}")
    assert problems == [
        "Unknown token {bulan}. Available tokens: {seq}, {seq:3}, {opd}, {class}, {month_roman}, {year}."
    ]


def test_missing_seq_and_year():
    assert messages("{opd}/{month_roman}") == [
        "The numbering pattern must contain {seq}, the release's sequence number.",
        "The numbering pattern must contain {year}, because the sequence restarts every year.",
    ]


def test_seq_only_once():
    assert messages("{seq}/{seq:2}/{year}") == ["The numbering pattern may contain {seq} only once."]


@pytest.mark.parametrize("pattern", ["{seq/{year}", "{seq}}/{year}", "{{seq}/{year}", "{seq}/{year"])
def test_unpaired_braces(pattern):
    assert ("The numbering pattern has a brace without its pair: every token is written as {name}."
            in messages(pattern))


@pytest.mark.parametrize("width", ["0", "10", "99"])
def test_padding_width_is_bounded(width):
    assert messages(f"{{seq:{width}}}/{{year}}") == [
        f"{{seq:{width}}}: the zero-padding width must be between 1 and 9, as in {{seq:3}}."
    ]


def test_empty_long_and_multiline_patterns():
    assert messages("") == ["Enter a numbering pattern, for example " + DEFAULT_PATTERN + "."]
    assert messages("   ") == messages("")
    assert messages(None) == messages("")
    assert messages("{seq}/{year}/" + "X" * 100) == [
        "The numbering pattern may be at most 100 characters long."
    ]
    assert messages("{seq}\n{year}") == [
        "The numbering pattern must be a single line without control characters."
    ]


def test_an_invalid_pattern_cannot_be_formatted():
    with pytest.raises(ValueError, match=r"must contain \{seq\}"):
        format_number("{opd}/{year}", seq=1, opd_code="X", classification=None, when=NOV)


def test_messages_escape_what_the_person_typed():
    [problem] = validate_pattern("{seq}/{year}/{<b>}")
    assert "<b>" in str(problem)
    assert "&lt;b&gt;" in problem.__html__()
