"""Exporting the journalist directory: CSV and XLSX for spreadsheets, vCard for phones.

What leaves Pressroom here is the shared, province-wide person record only. No OPD's
private notes (``JournalistOpd.notes``) are ever read, and erased records are skipped.

CSV choices:

* UTF-8 with a byte-order mark, so Excel recognises the encoding (names with é, ñ …).
* Semicolon as the delimiter. Excel opens a double-clicked CSV with the *list separator*
  of the Windows regional settings; with Indonesian settings (decimal comma) that is ``;``,
  so a comma-separated file would land in one column. LibreOffice and Google Sheets
  detect ``;`` as well. No ``sep=;`` line: it makes Excel ignore the BOM.
* Multi-valued cells (emails, numbers, beats …) are joined with ``"; "``; the csv module
  quotes any cell that contains the delimiter, so they stay in one column.

Formula injection: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with an apostrophe in CSV and XLSX alike (the XLSX may be saved
again as CSV). Indonesian phone numbers are written in national form (``0812-3456-7890``),
so they never need the prefix; XLSX cells are written as text, which keeps leading zeros.

Header and value labels live in this module (Indonesian for ``lang == "id"``, English
otherwise): an export is a file, not a page, and must not depend on the request's locale.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import vobject
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from pressroom.models import Journalist
from pressroom.services.contact_points import display_phone

#: Column keys, in order, with their headers per language.
COLUMNS: dict[str, dict[str, str]] = {
    "name": {"id": "Nama", "en": "Name"},
    "outlet": {"id": "Media", "en": "Outlet"},
    "outlet_type": {"id": "Jenis media", "en": "Outlet type"},
    "dewan_pers": {"id": "Status Dewan Pers", "en": "Dewan Pers status"},
    "position": {"id": "Jabatan", "en": "Position"},
    "emails": {"id": "Email", "en": "Email"},
    "phones": {"id": "Nomor telepon", "en": "Phone numbers"},
    "whatsapp": {"id": "Nomor WhatsApp", "en": "WhatsApp numbers"},
    "beats": {"id": "Pos liputan", "en": "Beats"},
    "regions": {"id": "Wilayah liputan", "en": "Coverage regions"},
    "channels": {"id": "Saluran pilihan", "en": "Preferred channels"},
    "consent_email": {"id": "Persetujuan email", "en": "Email consent"},
    "consent_whatsapp": {"id": "Persetujuan WhatsApp", "en": "WhatsApp consent"},
    "ukw_level": {"id": "Tingkat UKW", "en": "UKW level"},
    "press_card_issuer": {"id": "Penerbit kartu pers", "en": "Press card issuer"},
}
#: Columns holding phone numbers: formatted as text in XLSX.
PHONE_COLUMNS = ("phones", "whatsapp")

#: Stored codes → words people read, per language.
LABELS: dict[str, dict[str, dict[str, str]]] = {
    "outlet_type": {
        "id": {"cetak": "Cetak", "online": "Daring", "tv": "Televisi", "radio": "Radio",
               "kantor_berita": "Kantor berita"},
        "en": {"cetak": "Print", "online": "Online", "tv": "Television", "radio": "Radio",
               "kantor_berita": "News agency"},
    },
    "dewan_pers": {
        "id": {"faktual": "Terverifikasi faktual", "administratif": "Terverifikasi administratif",
               "belum": "Belum terverifikasi"},
        "en": {"faktual": "Verified (factual)", "administratif": "Verified (administrative)",
               "belum": "Not verified"},
    },
    "consent": {
        "id": {"awaiting": "Menunggu", "given": "Diberikan", "withdrawn": "Ditarik"},
        "en": {"awaiting": "Awaiting", "given": "Given", "withdrawn": "Withdrawn"},
    },
    "channel": {
        "id": {"email": "Email", "whatsapp": "WhatsApp"},
        "en": {"email": "Email", "whatsapp": "WhatsApp"},
    },
    "ukw_level": {
        "id": {"muda": "Muda", "madya": "Madya", "utama": "Utama"},
        "en": {"muda": "Muda (junior)", "madya": "Madya (intermediate)", "utama": "Utama (senior)"},
    },
}
PROVINCE_WIDE = {"id": "Jawa Tengah (provinsi)", "en": "Central Java (province-wide)"}

LIST_JOINER = "; "
CSV_DELIMITER = ";"
#: First characters a spreadsheet may take as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

XLSX_MIN_WIDTH, XLSX_MAX_WIDTH = 10, 50


def _lang(lang: str | None) -> str:
    return "id" if lang == "id" else "en"


def _label(kind: str, code: str | None, lang: str) -> str:
    if not code:
        return ""
    return LABELS[kind][lang].get(code, code)


def neutralise(text: str) -> str:
    """Prefix an apostrophe to a cell a spreadsheet could run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def headers(lang: str = "id") -> list[str]:
    lang = _lang(lang)
    return [names[lang] for names in COLUMNS.values()]


def _exportable(journalists: Iterable[Journalist]) -> Iterable[Journalist]:
    return (j for j in journalists if j.status != "erased" and j.full_name)


def row_values(journalist: Journalist, lang: str = "id") -> dict[str, str]:
    """One journalist as plain text per column key (not yet neutralised)."""
    lang = _lang(lang)
    outlet = journalist.outlet
    regions = [r.name for r in journalist.regions]
    if journalist.province_wide:
        regions.insert(0, PROVINCE_WIDE[lang])
    consent = {c.channel: c.state for c in journalist.consents}
    return {
        "name": journalist.full_name or "",
        "outlet": outlet.name if outlet else "",
        "outlet_type": _label("outlet_type", outlet.type if outlet else None, lang),
        "dewan_pers": _label("dewan_pers", outlet.dewan_pers if outlet else None, lang),
        "position": journalist.position or "",
        "emails": LIST_JOINER.join(e.address for e in journalist.emails),
        "phones": LIST_JOINER.join(display_phone(p.e164) for p in journalist.phones),
        "whatsapp": LIST_JOINER.join(display_phone(p.e164) for p in journalist.phones
                                     if p.whatsapp_capable),
        "beats": LIST_JOINER.join(_beat_names(journalist)),
        "regions": LIST_JOINER.join(regions),
        "channels": LIST_JOINER.join(_label("channel", c, lang)
                                     for c in journalist.preferred_channels or []),
        "consent_email": _label("consent", consent.get("email"), lang),
        "consent_whatsapp": _label("consent", consent.get("whatsapp"), lang),
        "ukw_level": _label("ukw_level", journalist.ukw_level, lang),
        "press_card_issuer": journalist.press_card_issuer or "",
    }


def _beat_names(journalist: Journalist) -> list[str]:
    return sorted(b.name for b in journalist.beats)


def _rows(journalists: Iterable[Journalist], lang: str) -> Iterable[list[str]]:
    for journalist in _exportable(journalists):
        values = row_values(journalist, lang)
        yield [neutralise(values[key]) for key in COLUMNS]


# CSV ---------------------------------------------------------------------------------------
def export_csv(journalists: Iterable[Journalist], lang: str = "id") -> bytes:
    """A semicolon-separated, UTF-8 (with BOM) CSV that Excel opens in columns."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(headers(lang))
    writer.writerows(_rows(journalists, lang))
    return buffer.getvalue().encode("utf-8-sig")


# XLSX --------------------------------------------------------------------------------------
def _column_widths(rows: Sequence[Sequence[str]]) -> list[int]:
    widths = [0] * len(COLUMNS)
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], len(value))
    return [min(max(w + 2, XLSX_MIN_WIDTH), XLSX_MAX_WIDTH) for w in widths]


def export_xlsx(journalists: Iterable[Journalist], lang: str = "id") -> bytes:
    """A workbook with a frozen header row; every cell is text (phones keep their zeros)."""
    header = headers(lang)
    rows = list(_rows(journalists, lang))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Wartawan" if _lang(lang) == "id" else "Journalists"
    bold = Font(bold=True)
    for col, title in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=col, value=title)
        cell.font = bold
    phone_cols = {list(COLUMNS).index(key) + 1 for key in PHONE_COLUMNS}
    for row_index, row in enumerate(rows, start=2):
        for col, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_index, column=col, value=value)
            cell.data_type = "s"  # explicit text: never a number (leading zeros), never a formula
            if col in phone_cols:
                cell.number_format = "@"
    for index, width in enumerate(_column_widths([header, *rows]), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# vCard -------------------------------------------------------------------------------------
def _vcard(journalist: Journalist) -> vobject.base.Component:
    card = vobject.vCard()
    name = journalist.full_name or ""
    card.add("fn").value = name
    # Most Indonesian names have no family name: keep the whole name as the given name,
    # so phones show and sort it as written instead of inventing a "surname".
    card.add("n").value = vobject.vcard.Name(family="", given=name)
    if journalist.outlet:
        card.add("org").value = [journalist.outlet.name]
    if journalist.position:
        card.add("title").value = journalist.position
    for email in journalist.emails:
        line = card.add("email")
        line.value = email.address
        line.params["TYPE"] = ["INTERNET", "WORK"] if email.is_shared else ["INTERNET"]
    for phone in journalist.phones:
        line = card.add("tel")
        line.value = phone.e164  # international form: dialable anywhere, matched by WhatsApp
        line.params["TYPE"] = ["CELL"] if phone.kind == "mobile" else ["WORK", "VOICE"]
    if journalist.beats:
        card.add("categories").value = _beat_names(journalist)
    return card


def export_vcard(journalists: Iterable[Journalist]) -> bytes:
    """One vCard 3.0 per person, concatenated: a .vcf that Android and iPhone import."""
    return "".join(_vcard(j).serialize() for j in _exportable(journalists)).encode("utf-8")
