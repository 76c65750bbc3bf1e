"""One cell: number styles decided per column, never per cell; dates; missing markers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from pressroom.datasets.values import (
    CellProblem,
    decide_number_format,
    guess_kind,
    is_missing,
    number_token,
    parse_date,
    parse_number,
)


@pytest.mark.parametrize("text, style", [
    ("2059748", "plain"),
    ("1.234.567,89", "id"),
    ("2,5", "id"),
    ("1234,56", "id"),
    ("0,123", "id"),  # a leading zero never groups thousands
    ("1.234.567", "id"),
    ("1,234,567.89", "en"),
    ("2325.173", "en"),
    ("0.5", "en"),
    ("1,234,567", "en"),
    ("1.234", "ambiguous"),
    ("18,558", "ambiguous"),
    ("1.23.4", "invalid"),
    ("12.34,5", "invalid"),
])
def test_each_cell_is_classified_alone(text, style):
    assert number_token(text).style == style


@pytest.mark.parametrize("text, value, percent", [
    ("Rp15.500", Decimal("15500"), False),
    ("Rp 15.000,-", Decimal("15000"), False),
    ("45,2%", Decimal("45.2"), True),
    ("45,2 %", Decimal("45.2"), True),
    ("-1.234,5", Decimal("-1234.5"), False),
    ("−7", Decimal("-7"), False),
    ("1 234 567", Decimal("1234567"), False),
    (",5", Decimal("0.5"), False),
])
def test_decoration_around_numbers_is_understood(text, value, percent):
    assert parse_number(text, "id") == (value, percent)


@pytest.mark.parametrize("text", ["abc", "12 34", "1.2.3", "Rp", "3301a", "1.234,"])
def test_text_is_not_a_number(text):
    with pytest.raises(CellProblem) as caught:
        parse_number(text, "id")
    assert caught.value.code == "not_a_number"


def test_ambiguous_cells_are_decided_by_the_rest_of_their_column():
    # 1.234 alone could be either; the column's 2.500,5 says Indonesian style.
    fmt = decide_number_format(["1.234", "2.500,5", "17"])
    assert (fmt.style, fmt.ambiguous, fmt.conflict) == ("id", False, None)
    assert parse_number("1.234", fmt.style)[0] == Decimal("1234")
    assert parse_number("2.500,5", fmt.style)[0] == Decimal("2500.5")
    # The same 18.558 in an English-style column (the area column of the real BPS file) is 18.558.
    fmt = decide_number_format(["2325.173", "18.558"])
    assert fmt.style == "en"
    assert parse_number("18.558", fmt.style)[0] == Decimal("18.558")


def test_a_column_of_only_ambiguous_cells_assumes_indonesian_style_and_says_so():
    fmt = decide_number_format(["1.234", "2.500", "950"])
    assert fmt.style == "id" and fmt.ambiguous
    assert decide_number_format(["12", "950"]).style == "plain"


def test_a_column_mixing_both_styles_is_a_conflict_never_a_guess():
    fmt = decide_number_format(["7", "1,234.5", "1.234,5"])
    assert fmt.conflict == ((2, "1.234,5"), (1, "1,234.5"))


def test_a_cell_in_the_other_style_does_not_parse_in_its_column():
    with pytest.raises(CellProblem) as caught:
        parse_number("1,234.5", "id")
    assert caught.value.code == "number_format"


def test_typed_numbers_fit_any_column():
    assert parse_number(3301, "id") == (Decimal(3301), False)
    assert parse_number(0.1 + 0.2, "en") == (Decimal("0.3"), False)  # what a spreadsheet shows
    assert decide_number_format([1234.5, "1.234,5"]).style == "id"
    with pytest.raises(CellProblem):
        parse_number(True, "id")


@pytest.mark.parametrize("text, expected", [
    ("1 Maret 2025", date(2025, 3, 1)),
    ("Sabtu, 1 Maret 2025", date(2025, 3, 1)),
    ("17 Agt 2025", date(2025, 8, 17)),
    ("1 Mar. 2025", date(2025, 3, 1)),
    ("01/03/2025", date(2025, 3, 1)),  # day first, as Indonesians write it
    ("01-03-2025", date(2025, 3, 1)),
    ("2025-03-01", date(2025, 3, 1)),
    ("2025-03-01 00:00:00", date(2025, 3, 1)),
])
def test_dates_in_indonesian_and_iso(text, expected):
    assert parse_date(text) == expected


def test_dates_from_a_workbook_and_impossible_dates():
    assert parse_date(datetime(2025, 3, 1, 0, 0)) == date(2025, 3, 1)
    for text in ("31/02/2025", "Maret 2025", "1 Foo 2025", "2025"):
        with pytest.raises(CellProblem) as caught:
            parse_date(text)
        assert caught.value.code == "not_a_date"


def test_missing_markers():
    for value in (None, "", "  ", "-", "–", "—", "...", "…", "n/a"):
        assert is_missing(value)
    for value in ("0", 0, "x-ray", "Tidak"):
        assert not is_missing(value)


def test_column_kinds():
    assert guess_kind(["1.043.157", "63.612"]).kind == "integer"
    assert guess_kind(["2.325,173", "18,558"]).kind == "decimal"
    assert guess_kind(["45,5%", "100%"]).kind == "percent"
    assert guess_kind(["1 Maret 2025", "2025-04-01"]).kind == "date"
    assert guess_kind(["Kabupaten Cilacap", "Kota Tegal"]).kind == "text"
    assert guess_kind(["", "-"]).kind == "empty"
    # Leading zeros and 16-digit numbers are identifiers, not numbers.
    assert guess_kind(["081234567890", "085712345678"]).kind == "text"
    assert guess_kind(["3374012345670001"]).kind == "text"
    # Mostly numbers with some text: numeric, so that validation names the text cells.
    assert guess_kind(["1", "2", "3", "4", "lima"]).kind == "integer"
