"""Words from the same numbers as the image: value labels, alt text and draft captions.

Indonesian, in a neutral public-service voice: regions are named with their figures and
ranges, never called the worst or the lowest (an official account does not shame a region).
Numbers go through ``pressroom.formatting``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from pressroom import formatting
from pressroom.charts.prepare import DataError, Item, Page, Prepared, prepare, to_date, to_number
from pressroom.charts.spec import ALT_TEXT_MAX, DEFAULT_PRESET, PRESETS, Branding, ChartSpec

#: Words a generated caption or alt text never uses about regions (tests check every template).
SHAMING_WORDS = ("terendah", "paling rendah", "terburuk", "paling buruk", "terparah", "terjelek",
                 "tertinggal", "juru kunci", "terbelakang", "worst", "lowest")
KIND_WORDS = {
    "ranked_bar": "Diagram batang horizontal",
    "line": "Grafik garis",
    "column": "Diagram kolom",
    "big_number": "Kartu angka",
    "progress": "Diagram progres menuju target",
    "table": "Tabel",
    "project_progress": "Diagram progres proyek",
    "project_summary": "Kartu ringkasan progres pembangunan",
}
PROJECT_STATUSES = ("belum mulai", "berjalan", "selesai", "terhenti")


# Values ---------------------------------------------------------------------------------------
def value_text(value: float | None, unit: str = "", *, with_unit: bool = True) -> str:
    """A figure as people read it: ``2,06 juta jiwa``, ``Rp15.500``, ``55,3%``."""
    if value is None:
        return "tidak ada data"
    if unit == "%":
        return formatting.percent(value / 100)
    if unit.lower() == "rp":
        if not with_unit:
            return formatting.amount(value)
        return formatting.rupiah(value) if abs(value) < 1_000_000 else "Rp" + formatting.compact(value)
    text = formatting.amount(value)
    return f"{text} {unit}" if unit and with_unit else text


def pct(part: float, whole: float) -> str:
    return formatting.percent(part / whole) if whole else "—"


def change_text(current: float, previous: float) -> str:
    """``naik 2,1%``, ``turun 8%``, ``tidak berubah`` (neutral words, no judgement)."""
    if current == previous:
        return "tidak berubah"
    if previous == 0:
        return "naik dari nol" if current > 0 else "turun dari nol"
    share = formatting.percent(abs(current - previous) / abs(previous))
    return f"{'naik' if current > previous else 'turun'} {share}"


def project_status(row: Mapping) -> str:
    return str(row.get("status") or "").strip().lower() or "tanpa status"


def data_line(branding: Branding) -> str:
    """``Data per 1 Maret 2025 · angka sementara``."""
    parts = []
    if branding.data_date:
        parts.append(f"Data per {formatting.day(branding.data_date)}")
    parts.append("angka sementara" if branding.status == "sementara" else "data final")
    text = " · ".join(parts)
    return text[0].upper() + text[1:]


def chart_subtitle(spec: ChartSpec) -> str:
    """The subtitle as drawn: value labels on bars and lines carry no unit, so the subtitle names
    it once when the title and subtitle do not already."""
    unit = spec.unit.strip()
    if spec.template not in {"ranked_bar", "column", "line"} or unit.lower() in ("", "%", "rp"):
        return spec.subtitle
    if re.search(rf"(?<!\w){re.escape(unit)}(?!\w)", f"{spec.title} {spec.subtitle}", re.IGNORECASE):
        return spec.subtitle
    return f"{spec.subtitle} · satuan: {unit}" if spec.subtitle else f"Satuan: {unit}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?:" else text + "."


def _listing(parts: list[str]) -> str:
    if len(parts) <= 2:
        return " dan ".join(parts)
    return ", ".join(parts[:-1]) + ", dan " + parts[-1]


# Alt text -------------------------------------------------------------------------------------
def _fit(head: list[str], details: list[str], tail: list[str], limit: int = ALT_TEXT_MAX) -> str:
    """Join sentences; drop named values from the end (saying how many) until it fits."""
    def join(shown: list[str], dropped: int) -> str:
        middle = "; ".join(shown)
        if dropped:
            middle += f"; dan {dropped} lainnya"
        parts = head + ([_sentence(middle)] if middle else []) + tail
        return " ".join(_sentence(p) for p in parts if p)

    shown = list(details)
    text = join(shown, 0)
    while len(text) > limit and shown:
        shown.pop()
        text = join(shown, len(details) - len(shown))
    return text[:limit]


def _head(prepared: Prepared) -> list[str]:
    spec = prepared.spec
    head = [f"{KIND_WORDS[spec.template]}: {spec.title}"]
    if spec.subtitle:
        head.append(spec.subtitle)
    return head


def _tail(branding: Branding) -> list[str]:
    return [branding.source_line, branding.processed_line, data_line(branding)]


def _carousel(page: Page) -> str:
    return f"Gambar {page.number} dari {page.count}" if page.count > 1 else ""


def alt_text(prepared: Prepared, page: Page, branding: Branding) -> str:
    """Alt text for one image, from the numbers on it."""
    describe = {
        "ranked_bar": _alt_ranked, "line": _alt_series, "column": _alt_series,
        "big_number": _alt_big_number, "progress": _alt_progress, "table": _alt_table,
        "project_progress": _alt_projects, "project_summary": _alt_project_summary,
    }[prepared.spec.template]
    head, details = describe(prepared, page)
    return _fit(_head(prepared) + head, details, _tail(branding))


def _alt_ranked(prepared: Prepared, page: Page) -> tuple[list[str], list[str]]:
    spec, unit = prepared.spec, prepared.spec.unit
    total = len(prepared.items) + len(prepared.missing)
    head = []
    if prepared.mode == "carousel":
        ranks = [item.rank for item in page.items if item.rank]
        span = f"peringkat {ranks[0]}–{ranks[-1]}" if ranks else "tanpa nilai"
        head.append(f"{_carousel(page)}: {span} dari {total} {spec.entity}, diurutkan dari nilai terbesar")
    elif page.rest is not None:
        head.append(f"{len(page.items)} dari {total} {spec.entity} dengan nilai terbesar, "
                    "urut dari yang terbesar")
        if page.rest.value is None:
            head.append(f"{page.rest.count} {spec.entity} lainnya tidak ditampilkan")
        else:
            how = "jumlah" if spec.rest == "sum" else "rata-rata"
            head.append(f"{page.rest.label} ({how}): {value_text(page.rest.value, unit)}")
    else:
        head.append(f"{total} {spec.entity}, diurutkan dari nilai terbesar")
    largest, smallest = prepared.largest, prepared.smallest
    head.append(f"Nilai terbesar: {largest.label}, {value_text(largest.value, unit)}")
    if smallest is not largest:
        head.append(f"Rentang nilai: {value_text(smallest.value, unit)} ({smallest.label}) "
                    f"sampai {value_text(largest.value, unit)} ({largest.label})")
    if _additive(spec):
        head.append(f"Jumlah seluruhnya: {value_text(sum(i.value for i in prepared.values), unit)}")
    details = [f"{item.rank}. {item.label}: {value_text(item.value, unit)}" if item.rank
               else f"{item.label}: tidak ada data" for item in page.items]
    return head, details


def _additive(spec: ChartSpec) -> bool:
    return spec.rest == "sum" and spec.unit != "%"


def _periods(prepared: Prepared) -> tuple[Item, Item, list[Item]]:
    values = prepared.values
    return values[0], values[-1], [item for item in prepared.items if item.missing]


def _alt_series(prepared: Prepared, page: Page) -> tuple[list[str], list[str]]:
    spec, unit = prepared.spec, prepared.spec.unit
    first, last, gaps = _periods(prepared)
    items = prepared.items
    head = [f"{len(items)} periode, {items[0].label}–{items[-1].label}" + (f", dalam {unit}" if unit else "")]
    if first is not last:
        head.append(f"Dari {value_text(first.value, unit)} ({first.label}) menjadi "
                    f"{value_text(last.value, unit)} ({last.label}), {change_text(last.value, first.value)}")
        largest = prepared.largest
        head.append(f"Tertinggi {value_text(largest.value, unit)} pada {largest.label}")
    if gaps:
        how = "garis terputus" if spec.template == "line" else "kolom dibiarkan kosong"
        labels = _listing([g.label for g in gaps])
        head.append(f"Tidak ada data untuk {labels} ({how}, tidak diisi perkiraan)")
    details = [f"{item.label}: {value_text(item.value, unit)}" for item in items]
    return head, details


def big_number_parts(prepared: Prepared) -> tuple[Item, Item | None, list[Item]]:
    """The latest figure, the one before it that exists, and the periods skipped between."""
    values = prepared.values
    current = values[-1]
    previous = values[-2] if len(values) > 1 else None
    skipped = []
    if previous is not None:
        index = prepared.items.index(previous)
        skipped = [i for i in prepared.items[index + 1:prepared.items.index(current)] if i.missing]
    return current, previous, skipped


def _alt_big_number(prepared: Prepared, page: Page) -> tuple[list[str], list[str]]:
    unit = prepared.spec.unit
    current, previous, skipped = big_number_parts(prepared)
    head = [f"{current.label}: {value_text(current.value, unit)}"]
    if previous is not None:
        head.append(f"{change_text(current.value, previous.value).capitalize()} dibanding {previous.label} "
                    f"({value_text(previous.value, unit)})")
    if skipped:
        head.append(f"Data {_listing([i.label for i in skipped])} tidak tersedia")
    if len(prepared.items) > 1:
        span = f"{prepared.items[0].label}–{prepared.items[-1].label}"
        head.append(f"Garis kecil di bawahnya menunjukkan {span}")
    return head, []


def _achievement(item: Item) -> float | None:
    if item.value is None or not item.target:
        return None
    return item.value / item.target


def _alt_progress(prepared: Prepared, page: Page) -> tuple[list[str], list[str]]:
    unit = prepared.spec.unit
    head = [s for s in (_carousel(page),) if s]
    best = max((i for i in prepared.items if _achievement(i) is not None), key=_achievement, default=None)
    if best is not None and len(prepared.items) > 1:
        head.append(f"Capaian terbesar: {best.label}, {formatting.percent(_achievement(best))} dari target")
    details = []
    for item in page.items:
        if item.value is None:
            details.append(f"{item.label}: tidak ada data")
        elif item.target:
            details.append(f"{item.label}: {value_text(item.value, unit)} dari target "
                           f"{value_text(item.target, unit)} ({formatting.percent(_achievement(item))})")
        else:
            details.append(f"{item.label}: {value_text(item.value, unit)}, tanpa target")
    return head, details


def table_columns(spec: ChartSpec) -> list[tuple[str, str]]:
    """(column, heading) pairs a table shows."""
    columns = list(spec.columns) or [spec.label_column, spec.value_column]
    titles = list(spec.column_titles) or [c.replace("_", " ").capitalize() for c in columns]
    return list(zip(columns, titles, strict=True))


def cell_text(spec: ChartSpec, column: str, value) -> str:
    """A table cell: numbers formatted for people (the value column with its unit)."""
    if column == spec.label_column:
        return str(value if value is not None else "")
    try:
        number = to_number(value, column)
    except DataError:
        return str(value)
    if number is None:
        return "—"
    if column == spec.value_column:
        return value_text(number, spec.unit)
    return formatting.amount(number)


def _alt_table(prepared: Prepared, page: Page) -> tuple[list[str], list[str]]:
    spec = prepared.spec
    columns = table_columns(spec)
    head = [s for s in (_carousel(page),) if s]
    head.append(f"{len(prepared.items)} baris; kolom: {', '.join(t for _c, t in columns)}")
    largest = prepared.largest
    if largest is not None:
        title = dict(columns).get(spec.value_column, spec.value_column)
        head.append(f"{title} terbesar: {largest.label}, {value_text(largest.value, spec.unit)}")
    details = [", ".join(f"{t} {cell_text(spec, c, item.row.get(c))}" if c != spec.label_column
                         else cell_text(spec, c, item.row.get(c)) for c, t in columns) for item in page.items]
    return head, details


def _project_line(item: Item) -> str:
    row = item.row
    where = ", ".join(p for p in (str(row.get("lokasi") or "").strip(), project_status(row)) if p)
    parts = [f"fisik {value_text(item.value, '%')}"]
    if item.target is not None:
        parts.append(f"target fisik {value_text(item.target, '%')}")
    financial = to_number(row.get("realisasi_keuangan"), "realisasi_keuangan")
    parts.append(f"keuangan {value_text(financial, '%')}")
    return f"{item.label} ({where}): " + ", ".join(parts)


def _alt_projects(prepared: Prepared, page: Page) -> tuple[list[str], list[str]]:
    head = []
    if page.count > 1:
        start = prepared.items.index(page.items[0]) + 1
        head.append(f"{_carousel(page)}: proyek {start}–{start + len(page.items) - 1} "
                    f"dari {len(prepared.items)}")
    else:
        head.append(f"{len(prepared.items)} proyek")
    head.append("Batang biru: realisasi fisik; batang oranye: realisasi keuangan; garis tegak: target fisik")
    return head, [_project_line(item) for item in page.items]


def project_summary(prepared: Prepared) -> dict:
    """Counts and simple averages for the summary card, its alt text and caption."""
    items = prepared.items
    physical = [i.value for i in items if i.value is not None]
    financial = [v for v in (to_number(i.row.get("realisasi_keuangan"), "realisasi_keuangan") for i in items)
                 if v is not None]
    statuses: dict[str, int] = {}
    for item in items:
        statuses[project_status(item.row)] = statuses.get(project_status(item.row), 0) + 1
    order = {s: n for n, s in enumerate(PROJECT_STATUSES)}
    planned = [i for i in items if i.value is not None and i.target is not None]
    dates = [d for d in (to_date(i.row.get("tanggal"), "tanggal") for i in items) if d]
    return {
        "count": len(items),
        "physical": sum(physical) / len(physical) if physical else None,
        "financial": sum(financial) / len(financial) if financial else None,
        "statuses": sorted(statuses.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])),
        "on_plan": sum(1 for i in planned if i.value >= i.target),
        "planned": len(planned),
        "latest": max(dates) if dates else None,
        "most_advanced": max((i for i in items if i.value is not None), key=lambda i: i.value, default=None),
    }


def _summary_sentences(prepared: Prepared) -> list[str]:
    s = project_summary(prepared)
    when = f" per {formatting.day(s['latest'])}" if s["latest"] else ""
    statuses = _listing([f"{n} {status}" for status, n in s["statuses"]])
    out = [f"{s['count']} proyek{when}: {statuses}"]
    if s["physical"] is not None:
        line = f"Rata-rata realisasi fisik {value_text(s['physical'], '%')}"
        if s["financial"] is not None:
            line += f" dan keuangan {value_text(s['financial'], '%')}"
        out.append(line + " (rata-rata sederhana)")
    if s["planned"]:
        out.append(f"{s['on_plan']} dari {s['planned']} proyek sesuai atau melampaui target fisik")
    if s["most_advanced"] is not None:
        top = s["most_advanced"]
        out.append(f"Progres fisik terjauh: {top.label}, {value_text(top.value, '%')}")
    return out


def _alt_project_summary(prepared: Prepared, page: Page) -> tuple[list[str], list[str]]:
    return _summary_sentences(prepared), []


def alt_texts(rows: Iterable[Mapping], spec: ChartSpec, branding: Branding,
              preset: str = DEFAULT_PRESET) -> list[str]:
    """The alt text of every image ``render`` would make, without drawing them."""
    prepared = prepare(rows, spec, PRESETS[preset])
    return [alt_text(prepared, page, branding) for page in prepared.pages]


# Captions -------------------------------------------------------------------------------------
def draft_caption(rows: Iterable[Mapping], spec: ChartSpec, branding: Branding) -> str:
    """A first draft of the post text, from the same numbers; a person edits and approves it."""
    prepared = prepare(rows, spec, PRESETS[DEFAULT_PRESET])
    lead = {
        "ranked_bar": _caption_ranked, "line": _caption_series, "column": _caption_series,
        "big_number": _caption_series, "progress": _caption_progress, "table": _caption_table,
        "project_progress": _summary_sentences, "project_summary": _summary_sentences,
    }[spec.template](prepared)
    heading = _sentence(spec.title) + (f"\n{_sentence(spec.subtitle)}" if spec.subtitle else "")
    body = " ".join(_sentence(s) for s in lead if s)
    footer = []
    if branding.public_url:
        footer.append(f"Data lengkap: {branding.public_url}")
    credits = " · ".join(p for p in (branding.source_line, branding.processed_line) if p)
    if credits:
        footer.append(credits)
    footer.append(_sentence(data_line(branding)))
    return "\n\n".join(p for p in (heading, body, "\n".join(footer)) if p)


def _caption_ranked(prepared: Prepared) -> list[str]:
    spec, unit = prepared.spec, prepared.spec.unit
    values = prepared.values
    largest = values[0]
    total = len(values) + len(prepared.missing)
    out = [f"{largest.label} mencatat angka terbesar, {value_text(largest.value, unit)}, "
           f"dari {total} {spec.entity}"]
    if len(values) > 1:
        followers = [f"{i.label} ({value_text(i.value, unit)})" for i in values[1:3]]
        out.append(f"Berikutnya {_listing(followers)}")
    if _additive(spec):
        out.append(f"Jumlah seluruh {spec.entity}: {value_text(sum(i.value for i in values), unit)}")
    if prepared.missing:
        out.append(f"Data {len(prepared.missing)} {spec.entity} belum tersedia")
    if prepared.mode == "carousel":
        out.append(f"Geser untuk melihat seluruh {total} {spec.entity}")
    return out


def _caption_series(prepared: Prepared) -> list[str]:
    unit = prepared.spec.unit
    current, previous, skipped = big_number_parts(prepared)
    line = f"Angka {current.label}: {value_text(current.value, unit)}"
    if previous is not None:
        line += (f", {change_text(current.value, previous.value)} dibanding {previous.label} "
                 f"({value_text(previous.value, unit)})")
    out = [line]
    values = prepared.values
    if len(values) > 2:
        largest = prepared.largest
        out.append(f"Selama {prepared.items[0].label}–{prepared.items[-1].label}, angka tertinggi tercatat "
                   f"pada {largest.label} ({value_text(largest.value, unit)})")
    gaps = [item.label for item in prepared.items if item.missing]
    if gaps:
        out.append(f"Data {_listing(gaps)} tidak tersedia, sehingga grafik dibiarkan kosong pada periode itu")
    return out


def _caption_progress(prepared: Prepared) -> list[str]:
    unit = prepared.spec.unit
    out = []
    for item in prepared.items[:3]:
        if item.value is not None and item.target:
            out.append(f"{item.label}: {value_text(item.value, unit)} dari target "
                       f"{value_text(item.target, unit)} ({formatting.percent(_achievement(item))} tercapai)")
    if len(prepared.items) > 3:
        out.append(f"Capaian {len(prepared.items)} {prepared.spec.entity} selengkapnya ada pada gambar")
    return out


def _caption_table(prepared: Prepared) -> list[str]:
    spec = prepared.spec
    largest = prepared.largest
    out = [f"Tabel {len(prepared.items)} {spec.entity}"]
    if largest is not None:
        out.append(f"Angka terbesar: {largest.label}, {value_text(largest.value, spec.unit)}")
    return out


def is_neutral(text: str) -> bool:
    lowered = text.lower()
    return not any(word in lowered for word in SHAMING_WORDS)
