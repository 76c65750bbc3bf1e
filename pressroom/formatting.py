"""The one place that formats numbers, money and times for people (Babel, id_ID default).

Indonesian (PUEBI) style: ``1.234.567,89``, ``Rp15.500``, ``9,08 juta``, ``1 Maret 2025``;
every time shown to a person is in WIB with the "WIB" label.
"""

from __future__ import annotations

from datetime import date, datetime

from babel import dates, numbers

from pressroom import clock

LOCALES = {"id": "id_ID", "en": "en_GB"}


def _locale(lang: str | None) -> str:
    return LOCALES.get(lang or "id", "id_ID")


def number(value: float | int, lang: str | None = None, *, decimals: int | None = None) -> str:
    if decimals is None:
        return numbers.format_decimal(value, locale=_locale(lang))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return numbers.format_decimal(value, format=pattern, locale=_locale(lang))


def compact(value: float | int, lang: str | None = None, *, decimals: int = 2) -> str:
    """Large numbers in words: ``9,08 juta``."""
    return numbers.format_compact_decimal(
        value, format_type="long", fraction_digits=decimals, locale=_locale(lang)
    )


def rupiah(value: float | int, lang: str | None = None) -> str:
    """Money in rupiah: ``Rp15.500`` (no space, no decimals for whole amounts)."""
    text = numbers.format_currency(
        value, "IDR", format="¤#,##0", currency_digits=False, locale=_locale(lang)
    )
    return text.replace("\xa0", "")


def day(value: date | datetime, lang: str | None = None) -> str:
    """A date: ``1 Maret 2025`` (datetimes are first put in WIB)."""
    if isinstance(value, datetime):
        value = clock.to_wib(value).date()
    return dates.format_date(value, format="d MMMM y", locale=_locale(lang))


def wib(value: datetime | None, lang: str | None = None, *, with_date: bool = True) -> str:
    """A moment for people: ``1 Maret 2025 14.30 WIB``."""
    if value is None:
        return "—"
    local = clock.to_wib(value)
    time_text = dates.format_time(local, format="HH.mm" if (lang or "id") == "id" else "HH:mm",
                                  locale=_locale(lang))
    if not with_date:
        return f"{time_text} WIB"
    return f"{day(local.date(), lang)} {time_text} WIB"


def percent(fraction: float, lang: str | None = None, *, decimals: int = 1, signed: bool = False) -> str:
    """A share, given as a fraction like Babel takes it: ``0.553`` -> ``55,3%``, ``0.75`` -> ``75%``.

    Up to ``decimals`` decimals, without trailing zeros; ``signed`` adds ``+`` to rises.
    """
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "") + "%"
    if signed:
        pattern = f"+{pattern};-{pattern}"
    return numbers.format_percent(fraction, format=pattern, locale=_locale(lang))


def amount(value: float | int, lang: str | None = None) -> str:
    """A figure for a chart label or a headline: in full below a million (``806.139``,
    ``55,3``), in words from a million (``9,08 juta``)."""
    size = abs(value)
    if size >= 1_000_000:
        return compact(value, lang)
    if size >= 1000:
        return number(round(value), lang)
    pattern = "#,##0.#" if size >= 100 else "#,##0.##"
    return numbers.format_decimal(value, format=pattern, locale=_locale(lang))
