"""The chart templates: each draws one page of prepared data on a ``Canvas`` with a fixed layout.

Values are labelled directly (no axis to read off), in colour-blind-safe colours; a period
without data is a hatched band that says so, never a bridged line or an invented bar.
"""

from __future__ import annotations

import math

from pressroom import formatting
from pressroom.charts.canvas import (
    BLUE,
    CARD,
    FAINT,
    GREEN,
    GRID,
    INK,
    MUTED,
    ORANGE,
    TRACK,
    VERMILLION,
    Canvas,
)
from pressroom.charts.fonts import fit_text, text_width, wrap
from pressroom.charts.prepare import Item, Page, Prepared, short_label, to_date, to_number
from pressroom.charts.text import (
    big_number_parts,
    cell_text,
    change_text,
    project_status,
    project_summary,
    table_columns,
    value_text,
)

REST_GREY = "#8C96A3"
STATUS_COLOURS = {"selesai": GREEN, "berjalan": BLUE, "belum mulai": "#AAB4C0", "terhenti": VERMILLION}


def _shown(spec, label: str) -> str:
    return short_label(label) if spec.short_labels else label


def _bar_colour(spec, item: Item) -> str:
    return ORANGE if spec.highlight and item.label == spec.highlight else BLUE


# Ranked horizontal bars -----------------------------------------------------------------------
def _bare(value: float | None, unit: str) -> str:
    """A value label on a chart: the unit is said once (subtitle), except % and Rp."""
    return value_text(value, unit, with_unit=unit == "%" or unit.lower() == "rp")


def ranked_bar(c: Canvas, prepared: Prepared, page: Page) -> None:
    spec, s, unit = prepared.spec, c.scale, prepared.spec.unit
    rows = list(page.items)
    # Pages of a carousel share row height and columns (from the whole ranking), so they line up.
    per_page = max(len(p.items) for p in prepared.pages)
    slots = max(per_page + (1.6 if page.rest else 0), 4)
    slot = c.height / slots
    size = min(34 * s, max(18 * s, slot * 0.36))
    thickness = min(slot * 0.56, 52 * s)
    everything = list(prepared.items) + list(prepared.missing)
    rank_w = text_width(str(len(everything)), size, True) + 6 * s
    name_w = min(max(text_width(_shown(spec, i.label), size) for i in everything) + 4 * s, c.width * 0.36)
    labels = [_bare(i.value, unit) for i in prepared.values]
    if page.rest and page.rest.value is not None:
        labels.append(_bare(page.rest.value, unit))
    value_w = max(text_width(t, size, True) for t in labels) + 14 * s
    x_bar = rank_w + 14 * s + name_w + 14 * s
    span = max(40 * s, c.width - x_bar - value_w)
    low, high = prepared.scale
    x_zero = x_bar + span * (-low / (high - low))

    def x_of(value: float) -> float:
        return x_bar + span * (value - low) / (high - low)

    for index, item in enumerate(rows):
        mid = slot * (index + 0.5)
        highlight = bool(spec.highlight and item.label == spec.highlight)
        c.text(rank_w, mid, str(item.rank) if item.rank else "–", size * 0.85, bold=True, color=FAINT,
               anchor="rm")
        c.text(rank_w + 14 * s, mid, fit_text(_shown(spec, item.label), name_w, size, highlight), size,
               bold=highlight, anchor="lm")
        if item.value is None:
            c.text(x_zero + 12 * s, mid, "tidak ada data", size * 0.85, color=MUTED, anchor="lm")
            continue
        x_end = x_of(item.value)
        left, right = sorted((x_zero, x_end))
        c.rect(left, mid - thickness / 2, max(right - left, 1.5 * s), thickness, _bar_colour(spec, item),
               radius=5 * s)
        if item.value >= 0:
            c.text(right + 10 * s, mid, _bare(item.value, unit), size, bold=True, anchor="lm")
        else:
            c.text(left - 10 * s, mid, _bare(item.value, unit), size, bold=True, anchor="rm")
    bottom = slot * len(rows)
    c.line([x_zero, x_zero], [slot * 0.1, bottom - slot * 0.1], INK, 2 * s, zorder=5)
    if page.rest:
        _rest_row(c, prepared, page.rest, bottom, slot, size, thickness, rank_w, name_w, x_zero, x_of, high)


def _rest_row(c: Canvas, prepared: Prepared, rest: Item, top: float, slot: float, size: float,
              thickness: float, rank_w: float, name_w: float, x_zero: float, x_of, high: float) -> None:
    """The rows after the top N, summed or averaged, below a dashed rule; a sum larger than the
    axis is drawn to its end with a break mark, and its label gives the true figure."""
    s, spec = c.scale, prepared.spec
    c.line([0, c.width], [top + slot * 0.3] * 2, FAINT, 1.5 * s, dashes=(4 * s, 4 * s))
    mid = top + slot * 1.05
    how = {"sum": "jumlah", "mean": "rata-rata", "none": "tidak ditampilkan"}[spec.rest]
    small = size * 0.8
    lines = wrap(f"{rest.label} ({how})", name_w, small, max_lines=2)
    for n, line_text in enumerate(lines):
        offset = (n - (len(lines) - 1) / 2) * small * 1.25
        c.text(rank_w + 14 * s, mid + offset, line_text, small, color=MUTED, anchor="lm")
    if rest.value is None:
        return
    clipped = rest.value > high
    x_end = x_of(min(rest.value, high))
    c.rect(x_zero, mid - thickness / 2, max(x_end - x_zero, 1.5 * s), thickness, REST_GREY, radius=5 * s)
    if clipped:  # two white slashes: the bar goes on beyond the axis
        for dx in (-34 * s, -22 * s):
            x = x_end + dx
            low_y, high_y = mid + thickness * 0.75, mid - thickness * 0.75
            slash = [(x, low_y), (x + 5 * s, low_y), (x + 13 * s, high_y), (x + 8 * s, high_y)]
            c.polygon(slash, CARD, zorder=6)
    c.text(x_end + 10 * s, mid, _bare(rest.value, spec.unit), size, bold=True, color=MUTED, anchor="lm")


# Columns ------------------------------------------------------------------------------------
def _two_lines(text: str) -> list[str]:
    head, _, tail = text.rpartition(" ")
    return [head, tail] if head else [text]


def _gap_band(c: Canvas, x_mid: float, width: float, top: float, bottom: float, size: float) -> None:
    c.hatch(x_mid - width / 2, top, width, bottom - top)
    box_w = min(width - 4 * c.scale, text_width("tidak ada", size) + 16 * c.scale)
    y_mid = (top + bottom) / 2
    c.rect(x_mid - box_w / 2, y_mid - size * 1.45, box_w, size * 2.9, CARD, radius=6 * c.scale, zorder=1.5)
    c.text(x_mid, y_mid - size * 0.62, "tidak ada", size, color=MUTED, anchor="mm")
    c.text(x_mid, y_mid + size * 0.62, "data", size, color=MUTED, anchor="mm")


def column(c: Canvas, prepared: Prepared, page: Page) -> None:
    spec, s, unit = prepared.spec, c.scale, prepared.spec.unit
    items = list(page.items)
    slot = c.width / len(items)
    bar_w = min(slot * 0.64, 150 * s)
    labels = [_bare(i.value, unit) for i in items]
    shown = [t for t, i in zip(labels, items, strict=True) if i.value is not None]
    widest = max(text_width(t, 28 * s, True) for t in shown)
    size = max(17 * s, min(28 * s, 28 * s * slot * 0.92 / widest))  # smaller type before two lines
    split = any(text_width(t, size, True) > slot * 0.96 for t in shown)
    top_pad = size * (2.9 if split else 1.7)
    base = c.height - size * 2.0
    low, high = prepared.scale
    y_zero = top_pad + (base - top_pad) * high / (high - low)

    def y_of(value: float) -> float:
        return y_zero - (base - top_pad) * value / (high - low)

    for index, item in enumerate(items):
        x = slot * (index + 0.5)
        c.text(x, base + size * 0.55, fit_text(item.label, slot * 0.96, size), size, color=MUTED, anchor="ma")
        if item.value is None:
            _gap_band(c, x, min(slot * 0.9, bar_w * 1.2), top_pad * 0.3, y_zero, size * 0.78)
            continue
        top, bottom = sorted((y_of(item.value), y_zero))
        c.rect(x - bar_w / 2, top, bar_w, max(bottom - top, 1.5 * s), _bar_colour(spec, item), radius=5 * s)
        lines = _two_lines(labels[index]) if split else [labels[index]]
        for n, line in enumerate(reversed(lines)):
            c.text(x, top - 8 * s - n * size * 1.15, line, size, bold=True, anchor="md")
    c.line([0, c.width], [y_zero, y_zero], INK, 2 * s, zorder=5)


# Line / time series ---------------------------------------------------------------------------
def _nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def value_range(values: list[float]) -> tuple[float, float, float]:
    """Axis limits and tick step: from zero when the values are near it, otherwise around them
    (a line's slope is read from its labelled ticks, not from the length of a bar)."""
    low, high = min(values), max(values)
    if high == low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    elif low >= 0 and low > 0.5 * high:
        span = high - low
        low, high = low - span * 0.6, high + span * 0.3
    else:
        low, high = min(0.0, low), max(0.0, high) * 1.1
    step = _nice_step(high - low, 4)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _series_geometry(c: Canvas, items: list[Item], x0: float, x1: float, y0: float, y1: float,
                     low: float, high: float):
    count = len(items)
    slot = (x1 - x0) / count

    def x_of(index: int) -> float:
        return x0 + slot * (index + 0.5)

    def y_of(value: float) -> float:
        return y1 - (y1 - y0) * (value - low) / (high - low)

    return slot, x_of, y_of


def _draw_series(c: Canvas, items: list[Item], x_of, y_of, base: float, width: float, radius: float,
                 fill: bool) -> None:
    """Runs of consecutive values as lines (over a light area when the axis starts at zero, where
    an area's size means something); a gap ends a run, and nothing bridges it."""
    runs: list[list[int]] = [[]]
    for index, item in enumerate(items):
        if item.value is None:
            runs.append([])
        else:
            runs[-1].append(index)
    for run in (r for r in runs if r):
        xs, ys = [x_of(i) for i in run], [y_of(items[i].value) for i in run]
        if len(run) > 1:
            if fill:
                c.area(xs, ys, base, BLUE, 0.10)
            c.line(xs, ys, BLUE, width)
        for x, y in zip(xs, ys, strict=True):
            c.circle(x, y, radius, CARD, BLUE, width * 0.7)
    last = max((i for i, item in enumerate(items) if item.value is not None), default=None)
    if last is not None:
        c.circle(x_of(last), y_of(items[last].value), radius * 1.25, BLUE, zorder=5)


def line(c: Canvas, prepared: Prepared, page: Page) -> None:
    s, unit = c.scale, prepared.spec.unit
    items = list(page.items)
    values = [i.value for i in items if i.value is not None]
    low, high, step = value_range(values)
    ticks = [low + step * n for n in range(int(round((high - low) / step)) + 1)]
    size = 24 * s
    tick_texts = [value_text(t, unit, with_unit=False) for t in ticks]
    left = max(text_width(t, size * 0.9) for t in tick_texts) + 18 * s
    top, bottom = size * 1.7, c.height - size * 2.0
    slot, x_of, y_of = _series_geometry(c, items, left, c.width - 8 * s, top, bottom, low, high)
    for tick, label in zip(ticks, tick_texts, strict=True):
        y = y_of(tick)
        c.line([left, c.width], [y, y], GRID if tick else INK, 1.5 * s, zorder=1)
        c.text(left - 12 * s, y, label, size * 0.9, color=MUTED, anchor="rm")
    every = max(1, math.ceil(len(items) / max(1, int((c.width - left) / (size * 3.2)))))
    for index, item in enumerate(items):
        if item.value is None:
            _gap_band(c, x_of(index), min(slot * 0.9, 150 * s), top - size * 0.8, bottom, size * 0.78)
        if index % every == 0 or index == len(items) - 1 or item.value is None:
            c.text(x_of(index), bottom + size * 0.6, item.label, size * 0.9, color=MUTED, anchor="ma")
    _draw_series(c, items, x_of, y_of, bottom, 5 * s, 8 * s, fill=low == 0)
    largest = prepared.largest
    labelled = [i for i, it in enumerate(items) if it.value is not None]
    widest = max(text_width(_bare(items[i].value, unit), size * 0.9, True) for i in labelled)
    if widest > slot * 0.95:  # too crowded to label every point: the ends and the largest
        labelled = sorted({labelled[0], labelled[-1]} | {i for i, it in enumerate(items) if it is largest})
    for index in labelled:
        item = items[index]
        y = y_of(item.value)
        above = y - top > size * 1.4
        c.text(x_of(index), y - 16 * s if above else y + 16 * s, _bare(item.value, unit), size * 0.9,
               bold=True, anchor="md" if above else "ma")


# Big number card ------------------------------------------------------------------------------
def big_number(c: Canvas, prepared: Prepared, page: Page) -> None:
    s, unit = c.scale, prepared.spec.unit
    current, previous, skipped = big_number_parts(prepared)
    w, h = c.width, c.height
    spark = len(prepared.items) > 1
    block = h * (0.62 if spark else 1.0)
    label_size = 30 * s
    pill_w = text_width(current.label, label_size, True) + 36 * s
    y = block * 0.06
    c.rect(w / 2 - pill_w / 2, y, pill_w, label_size * 1.7, TRACK, radius=label_size * 0.85)
    c.text(w / 2, y + label_size * 0.85, current.label, label_size, bold=True, anchor="mm")
    number = value_text(current.value, unit, with_unit=unit.lower() == "rp")
    size = min(190 * s, block * 0.34, 0.92 * w / max(1.0, text_width(number, 100, True) / 100))
    y_number = y + label_size * 1.7 + size * 0.98
    c.text(w / 2, y_number, number, size, bold=True, color=BLUE, anchor="ms")
    y_next = y_number + size * 0.18
    if unit and unit.lower() != "rp" and unit != "%":
        c.text(w / 2, y_next + 10 * s, unit, 38 * s, color=MUTED, anchor="ma")
        y_next += 38 * s * 1.5
    if previous is not None:
        words = (f"{change_text(current.value, previous.value)} dibanding {previous.label} "
                 f"({value_text(previous.value, unit)})")
        text_size = 27 * s
        words = fit_text(words, w - 90 * s, text_size)
        pill = text_width(words, text_size) + 80 * s
        y_pill = y_next + 26 * s
        x = w / 2 - pill / 2
        c.rect(x, y_pill, pill, text_size * 2.0, TRACK, radius=text_size)
        cy, tx = y_pill + text_size, x + 34 * s
        t = 11 * s
        if current.value > previous.value:
            c.polygon([(tx - t, cy + t * 0.8), (tx + t, cy + t * 0.8), (tx, cy - t * 0.9)], INK)
        elif current.value < previous.value:
            c.polygon([(tx - t, cy - t * 0.8), (tx + t, cy - t * 0.8), (tx, cy + t * 0.9)], INK)
        else:
            c.rect(tx - t, cy - 2.5 * s, 2 * t, 5 * s, INK)
        c.text(x + 58 * s, cy, words, text_size, anchor="lm")
        if skipped:
            gap = ", ".join(i.label for i in skipped)
            c.text(w / 2, y_pill + text_size * 2.6, f"Data {gap} tidak tersedia", 22 * s, color=MUTED,
                   anchor="ma")
    if spark:
        _sparkline(c, prepared, top=h * 0.70, bottom=h - 34 * s)


def _sparkline(c: Canvas, prepared: Prepared, top: float, bottom: float) -> None:
    s, items = c.scale, list(prepared.items)
    values = [i.value for i in items if i.value is not None]
    low, high, _step = value_range(values)
    margin = 60 * s
    slot, x_of, y_of = _series_geometry(c, items, margin, c.width - margin, top, bottom, low, high)
    c.line([margin, c.width - margin], [bottom, bottom], GRID, 2 * s, zorder=1)
    for index, item in enumerate(items):
        if item.value is None:
            c.hatch(x_of(index) - slot * 0.3, top, slot * 0.6, bottom - top)
    _draw_series(c, items, x_of, y_of, bottom, 4 * s, 6 * s, fill=low == 0)
    size = 21 * s
    for index in sorted({0, len(items) - 1} | {i for i, it in enumerate(items) if it.value is None}):
        item = items[index]
        label = item.label + (" (tidak ada data)" if item.value is None else "")
        c.text(x_of(index), bottom + 8 * s, label, size, color=MUTED, anchor="ma")
        if item.value is not None:
            c.text(x_of(index), y_of(item.value) - 14 * s, _bare(item.value, prepared.spec.unit), size,
                   bold=True, anchor="md")


# Progress toward a target ---------------------------------------------------------------------
def progress(c: Canvas, prepared: Prepared, page: Page) -> None:
    spec, s, unit = prepared.spec, c.scale, prepared.spec.unit
    rows = list(page.items)
    single = len(rows) == 1 and page.count == 1
    per_page = max(len(p.items) for p in prepared.pages)
    block = c.height / max(per_page, 2)
    k = 1.0 if single else min(1.3, max(1.0, block / (170 * s)))
    name_size = (38 if single else 27 * k) * s
    pct_size = (150 if single else 42 * k) * s
    bar = (72 if single else 28 * k) * s
    note_size = (30 if single else 22 * k) * s
    content = name_size * 1.5 + pct_size * 1.3 + bar + note_size * 1.6 if single else \
        pct_size * 1.2 + bar + note_size * 1.8
    for index, item in enumerate(rows):
        y = block * index + max(0.0, (min(block, c.height) - content) / 2)
        achieved = item.value / item.target if item.value is not None and item.target else None
        pct_text = formatting.percent(achieved) if achieved is not None else ""
        pct_w = text_width(pct_text, pct_size, True)
        if single:
            c.text(0, y, fit_text(_shown(spec, item.label), c.width, name_size), name_size, bold=True)
            c.text(0, y + name_size * 1.5 + pct_size * 0.95, pct_text, pct_size, bold=True, color=BLUE,
                   anchor="ls")
            c.text(pct_w + 18 * s, y + name_size * 1.5 + pct_size * 0.95, "dari target", 36 * s, color=MUTED,
                   anchor="ls")
            y_bar = y + name_size * 1.5 + pct_size * 1.3
        else:
            c.text(0, y + pct_size * 0.5, fit_text(_shown(spec, item.label), c.width - pct_w - 24 * s,
                                                   name_size, True), name_size, bold=True, anchor="lm")
            c.text(c.width, y + pct_size * 0.5, pct_text, pct_size, bold=True, color=BLUE, anchor="rm")
            y_bar = y + pct_size * 1.2
        c.rect(0, y_bar, c.width, bar, TRACK, radius=bar / 2)
        if item.value is None:
            c.text(0, y_bar + bar + 10 * s, "tidak ada data", note_size, color=MUTED)
            continue
        if achieved is not None:
            c.rect(0, y_bar, c.width * min(1.0, max(0.0, achieved)), bar, BLUE, radius=bar / 2, zorder=3)
            note = f"{value_text(item.value, unit)} dari target {value_text(item.target, unit)}"
            if achieved > 1:
                note += " · melampaui target"
        else:
            note = f"{value_text(item.value, unit)} · tanpa target"
        c.text(0, y_bar + bar + 10 * s, note, note_size, color=MUTED)
        if not single and index < len(rows) - 1:
            c.line([0, c.width], [block * (index + 1)] * 2, GRID, 2 * s, zorder=1)


# Table ----------------------------------------------------------------------------------------
def table(c: Canvas, prepared: Prepared, page: Page) -> None:
    spec, s = prepared.spec, c.scale
    columns = table_columns(spec)
    rows = list(page.items)
    per_page = max(len(p.items) for p in prepared.pages)
    row_h = min(c.height / (per_page + 1), 110 * s)
    size = min(34 * s, row_h * 0.4)
    pad = 16 * s
    header = [title for _c, title in columns]
    cells = [[cell_text(spec, col, item.row.get(col)) if col != spec.label_column
              else _shown(spec, item.label) for col, _t in columns] for item in rows]
    everything = [[cell_text(spec, col, item.row.get(col)) if col != spec.label_column
                   else _shown(spec, item.label) for col, _t in columns] for item in prepared.items]
    numeric = [col != spec.label_column and all(_is_number(item.row.get(col)) for item in prepared.items)
               for col, _t in columns]
    natural = []
    for i, heading in enumerate(header):
        widest = max(text_width(row[i], size, numeric[i]) for row in everything)
        natural.append(max(widest, text_width(heading, size * 0.85, True)) + 2 * pad)
    widths = _fit_columns(natural, c.width)
    c.rect(0, 0, c.width, row_h, INK, radius=8 * s)
    x = 0.0
    for i, title in enumerate(header):
        _cell(c, x, row_h / 2, widths[i], title, size * 0.85, True, CARD, numeric[i], pad)
        x += widths[i]
    for r, row in enumerate(cells):
        y = row_h * (r + 1)
        if r % 2 == 1:
            c.rect(0, y, c.width, row_h, "#F3F5F8")
        x = 0.0
        for i, text in enumerate(row):
            bold = numeric[i] and columns[i][0] == spec.value_column
            _cell(c, x, y + row_h / 2, widths[i], text, size, bold, INK, numeric[i], pad)
            x += widths[i]
    c.line([0, c.width], [row_h * (len(rows) + 1)] * 2, GRID, 2 * s)


def _is_number(value) -> bool:
    try:
        return to_number(value) is not None or value in (None, "")
    except ValueError:
        return False


def _fit_columns(natural: list[float], width: float) -> list[float]:
    total = sum(natural)
    if total <= width:  # spread the spare room over the columns
        extra = (width - total) / len(natural)
        return [n + extra for n in natural]
    # Too wide: the first (label) column gives way.
    rest = sum(natural[1:])
    return [max(width * 0.3, width - rest)] + [n * min(1.0, (width * 0.7) / rest) for n in natural[1:]]


def _cell(c: Canvas, x: float, y: float, width: float, text: str, size: float, bold: bool, color: str,
          right: bool, pad: float) -> None:
    text = fit_text(text, width - 2 * pad, size, bold)
    if right:
        c.text(x + width - pad, y, text, size, bold=bold, color=color, anchor="rm")
    else:
        c.text(x + pad, y, text, size, bold=bold, color=color, anchor="lm")


# Progres pembangunan --------------------------------------------------------------------------
def _legend(c: Canvas, y: float, size: float) -> float:
    s = c.scale
    x = 0.0
    for colour, label in ((BLUE, "Realisasi fisik"), (ORANGE, "Realisasi keuangan")):
        c.rect(x, y - size * 0.4, size * 0.8, size * 0.8, colour, radius=3 * s)
        c.text(x + size * 1.1, y, label, size, color=MUTED, anchor="lm")
        x += size * 1.1 + text_width(label, size) + size * 1.4
    c.rect(x + size * 0.3, y - size * 0.6, 4 * s, size * 1.2, INK)
    c.text(x + size * 1.1, y, "Target fisik", size, color=MUTED, anchor="lm")
    return y + size * 1.6


def _status_chip(c: Canvas, x_right: float, y_mid: float, status: str, size: float) -> float:
    width = text_width(status, size, True) + 28 * c.scale
    colour = STATUS_COLOURS.get(status, "#6B7280")
    c.rect(x_right - width, y_mid - size * 0.95, width, size * 1.9, colour, radius=size * 0.95)
    c.text(x_right - width / 2, y_mid, status, size, bold=True,
           color=INK if colour in (STATUS_COLOURS["belum mulai"],) else CARD, anchor="mm")
    return width


def project_progress(c: Canvas, prepared: Prepared, page: Page) -> None:
    spec, s = prepared.spec, c.scale
    top = _legend(c, 14 * s, 21 * s)
    rows = list(page.items)
    per_page = max(len(rows), max(len(p.items) for p in prepared.pages))
    block = (c.height - top) / per_page
    name_size, meta_size, small = 27 * s, 21 * s, 22 * s
    bar = min(26 * s, block * 0.13)
    content = name_size * 1.35 + meta_size * 1.9 + bar * 2.9
    label_w = text_width("Keuangan", small) + 16 * s
    value_w = text_width("100%", small, True) + 12 * s
    for index, item in enumerate(rows):
        y = top + block * index + max(12 * s, (block - content) / 2)
        status = project_status(item.row)
        chip = _status_chip(c, c.width, y + name_size * 0.6, status, 18 * s)
        c.text(0, y + name_size * 0.6, fit_text(item.label, c.width - chip - 20 * s, name_size, True),
               name_size, bold=True, anchor="lm")
        when = to_date(item.row.get("tanggal"), "tanggal")
        meta = " · ".join(p for p in (_shown(spec, str(item.row.get("lokasi") or "")),
                                      formatting.day(when) if when else "") if p)
        c.text(0, y + name_size * 1.35, meta, meta_size, color=MUTED)
        financial = to_number(item.row.get("realisasi_keuangan"), "realisasi_keuangan")
        y_bar = y + name_size * 1.35 + meta_size * 1.9
        for n, (label, value, colour) in enumerate((("Fisik", item.value, BLUE),
                                                    ("Keuangan", financial, ORANGE))):
            yb = y_bar + n * bar * 1.9
            x0, x1 = label_w, c.width - value_w
            c.text(0, yb + bar / 2, label, small, color=MUTED, anchor="lm")
            c.rect(x0, yb, x1 - x0, bar, TRACK, radius=bar / 2)
            if value is not None:
                c.rect(x0, yb, (x1 - x0) * min(100.0, max(0.0, value)) / 100, bar, colour, radius=bar / 2,
                       zorder=3)
            c.text(c.width, yb + bar / 2, value_text(value, "%") if value is not None else "–", small,
                   bold=True, anchor="rm")
            if n == 0 and item.target is not None:
                xt = x0 + (x1 - x0) * min(100.0, max(0.0, item.target)) / 100
                c.rect(xt - 2 * s, yb - 6 * s, 4 * s, bar + 12 * s, INK, zorder=4)
        if index < len(rows) - 1:
            c.line([0, c.width], [top + block * (index + 1)] * 2, GRID, 2 * s, zorder=1)


def project_summary_card(c: Canvas, prepared: Prepared, page: Page) -> None:
    s = c.scale
    summary = project_summary(prepared)
    w, h = c.width, c.height
    big = min(130 * s, h * 0.2)
    kpi, status_h, bar = 100 * s, 140 * s, 30 * s
    gap = min(80 * s, max(24 * s, (h - big - 2 * kpi - status_h - 70 * s) / 4))
    count = str(summary["count"])
    c.text(0, big * 0.95, count, big, bold=True, color=BLUE, anchor="ls")
    x = text_width(count, big, True) + 20 * s
    c.text(x, big * 0.5, "proyek", 40 * s, bold=True, anchor="ls")
    if summary["latest"]:
        c.text(x, big * 0.5 + 14 * s, f"data per {formatting.day(summary['latest'])}", 24 * s, color=MUTED,
               anchor="la")
    y = big + gap
    for label, value, colour in (("Rata-rata realisasi fisik", summary["physical"], BLUE),
                                 ("Rata-rata realisasi keuangan", summary["financial"], ORANGE)):
        c.text(0, y + 22 * s, label, 26 * s, color=MUTED, anchor="lm")
        c.text(w, y + 22 * s, value_text(value, "%"), 44 * s, bold=True, anchor="rm")
        y_bar = y + kpi - bar
        c.rect(0, y_bar, w, bar, TRACK, radius=bar / 2)
        if value is not None:
            c.rect(0, y_bar, w * min(100.0, max(0.0, value)) / 100, bar, colour, radius=bar / 2, zorder=3)
        y += kpi + gap
    c.text(0, y, "Status proyek", 26 * s, color=MUTED, anchor="la")
    y += 44 * s
    x, total = 0.0, max(1, summary["count"])
    height = 46 * s
    for status, n in summary["statuses"]:
        width = w * n / total
        c.rect(x, y, width - 4 * s, height, STATUS_COLOURS.get(status, "#6B7280"), radius=6 * s)
        x += width
    y += height + 24 * s
    x = 0.0
    for status, n in summary["statuses"]:
        label = f"{n} {status}"
        c.rect(x, y, 22 * s, 22 * s, STATUS_COLOURS.get(status, "#6B7280"), radius=4 * s)
        c.text(x + 32 * s, y + 11 * s, label, 24 * s, anchor="lm")
        x += 32 * s + text_width(label, 24 * s) + 30 * s
    y += 26 * s + gap
    if summary["planned"]:
        on_plan = f"{summary['on_plan']} dari {summary['planned']} proyek sesuai atau melampaui target fisik"
        c.text(0, y, fit_text(on_plan, w, 26 * s, True), 26 * s, bold=True, anchor="la")
        y += 40 * s
    c.text(0, y, "Rata-rata sederhana dari seluruh proyek.", 20 * s, color=FAINT, anchor="la")


DRAW = {
    "ranked_bar": ranked_bar,
    "line": line,
    "column": column,
    "big_number": big_number,
    "progress": progress,
    "table": table,
    "project_progress": project_progress,
    "project_summary": project_summary_card,
}
