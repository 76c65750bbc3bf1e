"""The parts around the drawing: preparing rows (ranks, gaps, pages), the image cache and its
key, the "progres pembangunan" kind, the bundled fonts and the formatting it all goes through."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pressroom import formatting
from pressroom.charts import PRESETS, ChartSpec, DataError, ImageCache, cache_key, fonts, render, rows_hash
from pressroom.charts.kinds import PROGRES_PEMBANGUNAN, check_rows, project_specs
from pressroom.charts.prepare import prepare
from pressroom.charts.spec import RENDERER_VERSION, Branding
from pressroom.storage import LocalStorage
from tests.charts.cases import CASES, DUKCAPIL, PADI, POPULATION, POPULATION_SPEC, PROJECTS, load

PORTRAIT = PRESETS["portrait"]


# Preparing rows -------------------------------------------------------------------------------
def test_ranking_is_largest_first_with_ties_by_name():
    prepared = prepare(POPULATION, POPULATION_SPEC, PORTRAIT)
    top3 = ["Kabupaten Brebes", "Kabupaten Cilacap", "Kabupaten Banyumas"]
    assert [i.label for i in prepared.items[:3]] == top3
    assert [i.rank for i in prepared.items] == list(range(1, 36))
    tied = [{"n": "B", "v": "5"}, {"n": "A", "v": "5"}, {"n": "C", "v": ""}]
    spec = ChartSpec("ranked_bar", "t", value_column="v", label_column="n")
    prepared = prepare(tied, spec, PORTRAIT)
    assert [i.label for i in prepared.items] == ["A", "B"] and [i.label for i in prepared.missing] == ["C"]


def test_carousel_pages_are_even():
    prepared = prepare(POPULATION, POPULATION_SPEC, PORTRAIT)
    assert prepared.mode == "carousel" and [len(p.items) for p in prepared.pages] == [12, 12, 11]
    story = prepare(POPULATION, POPULATION_SPEC, PRESETS["story"])
    assert [len(p.items) for p in story.pages] == [12, 12, 11]
    few = prepare(POPULATION[:10], POPULATION_SPEC, PORTRAIT)
    assert few.mode == "all" and len(few.pages) == 1


def test_top_mode_sums_the_rest():
    spec = dataclasses.replace(POPULATION_SPEC, mode="top", top_n=10)
    [page] = prepare(POPULATION, spec, PORTRAIT).pages
    assert len(page.items) == 10
    assert page.rest.label == "25 kabupaten/kota lainnya" and page.rest.value == 21_687_988
    mean = prepare(POPULATION, dataclasses.replace(spec, rest="mean"), PORTRAIT).pages[0].rest
    assert mean.value == pytest.approx(21_687_988 / 25)
    assert prepare(POPULATION, dataclasses.replace(spec, rest="none"), PORTRAIT).pages[0].rest.value is None


def test_missing_year_is_a_gap_never_a_value():
    spec = CASES["line"][1]
    items = prepare(PADI, spec, PORTRAIT).items
    assert [i.label for i in items] == ["2019", "2020", "2021", "2022", "2023", "2024"]
    assert [i.kind for i in items].count("missing") == 1 and items[2].value is None


def test_line_is_broken_at_the_gap(monkeypatch):
    """No drawn line or area spans the missing year: the runs before and after stay apart."""
    from pressroom.charts import canvas as canvas_module
    from pressroom.charts import templates

    drawn: list[list[float]] = []  # x coordinates of every data line and area drawn
    original_line, original_area = canvas_module.Canvas.line, canvas_module.Canvas.area

    def line(self, xs, ys, color, *args, **kwargs):
        if color == canvas_module.BLUE:
            drawn.append(list(xs))
        return original_line(self, xs, ys, color, *args, **kwargs)

    def area(self, xs, ys, *args, **kwargs):
        drawn.append(list(xs))
        return original_area(self, xs, ys, *args, **kwargs)

    monkeypatch.setattr(canvas_module.Canvas, "line", line)
    monkeypatch.setattr(canvas_module.Canvas, "area", area)
    rows, spec, _branding, _m = CASES["line"]
    prepared = prepare(rows, spec, PORTRAIT)
    canvas = canvas_module.Canvas(900, 700)
    templates.line(canvas, prepared, prepared.pages[0])
    canvas.to_image()
    x_gap = next(label.x for label in canvas.labels if label.text == "2021")
    assert [len(xs) for xs in drawn] == [2, 3]  # 2019–2020, then 2022–2024
    for xs in drawn:
        assert not min(xs) < x_gap < max(xs), f"a line crosses 2021: {xs}"


def test_bad_rows_say_what_is_wrong():
    spec = ChartSpec("ranked_bar", "t", value_column="jumlah", label_column="nama")
    with pytest.raises(DataError, match="kolom 'jumlah' tidak ada"):
        prepare([{"nama": "A", "total": 1}], spec, PORTRAIT)
    with pytest.raises(DataError, match="bukan angka"):
        prepare([{"nama": "A", "jumlah": "1.234,5"}], spec, PORTRAIT)  # people's format, not the data's
    with pytest.raises(DataError, match="tidak ada baris"):
        prepare([], spec, PORTRAIT)
    with pytest.raises(ValueError, match="unknown chart template"):
        ChartSpec("pie", "t")
    with pytest.raises(ValueError, match="unknown preset"):
        render(POPULATION, POPULATION_SPEC, DUKCAPIL, "a4")


# Cache ----------------------------------------------------------------------------------------
def test_cache_key_covers_everything_that_changes_pixels():
    key = cache_key("v1", POPULATION_SPEC, "portrait", DUKCAPIL)
    assert key == cache_key("v1", POPULATION_SPEC, "portrait", DUKCAPIL) and len(key) == 64
    variants = [
        cache_key("v2", POPULATION_SPEC, "portrait", DUKCAPIL),
        cache_key("v1", dataclasses.replace(POPULATION_SPEC, top_n=5), "portrait", DUKCAPIL),
        cache_key("v1", POPULATION_SPEC, "square", DUKCAPIL),
        cache_key("v1", POPULATION_SPEC, "portrait", dataclasses.replace(DUKCAPIL, primary="#000000")),
        cache_key("v1", POPULATION_SPEC, "portrait", dataclasses.replace(DUKCAPIL, logo_png=b"other logo")),
        cache_key("v1", POPULATION_SPEC, "portrait", dataclasses.replace(DUKCAPIL, public_url="https://x.example/")),
        cache_key("v1", POPULATION_SPEC, "portrait", DUKCAPIL, renderer_version=RENDERER_VERSION + "+next"),
    ]
    assert len(set(variants) | {key}) == len(variants) + 1
    assert rows_hash(POPULATION) == rows_hash([dict(r) for r in POPULATION]) != rows_hash(POPULATION[1:])


def test_cache_renders_once_and_keeps_alt_text(tmp_path: Path):
    storage = LocalStorage(tmp_path, "https://pressroom.example", "secret")
    cache = ImageCache(storage)
    calls = []

    def counting(*args):
        calls.append(args)
        return render(*args)

    rows, spec, branding, _m = CASES["column"]
    first = cache.render("v1", rows, spec, branding, "square", renderer=counting)
    again = cache.render("v1", rows, spec, branding, "square", renderer=counting)
    assert len(calls) == 1
    assert [i.png for i in again] == [i.png for i in first]
    assert [i.alt_text for i in again] == [i.alt_text for i in first] and again[0].preset == "square"
    moved = dataclasses.replace(branding, public_url="https://pressroom.example/data/padi-baru")
    cache.render("v1", rows, spec, moved, "square", renderer=counting)
    assert len(calls) == 2  # a new public address is a new image (its QR code changed)
    key = cache_key("v1", spec, "square", branding)
    [stored] = cache.storage_keys(key, first)
    storage.put(stored, b"damaged")
    cache.render("v1", rows, spec, branding, "square", renderer=counting)
    assert len(calls) == 3


# Progres pembangunan --------------------------------------------------------------------------
def test_project_kind_checks_rows():
    regions = {r["nama_kabupaten_kota"] for r in load("jateng_kabkota_2025.csv")}
    assert check_rows(PROJECTS, regions=regions) == []
    bad = [dict(PROJECTS[0], realisasi_fisik="120", status="mangkrak", lokasi="Kabupaten Atlantis",
                tanggal="28/02/2025")]
    problems = check_rows(bad, regions=regions)
    assert any("realisasi_fisik: 120 di luar 0–100" in p for p in problems)
    assert any("'mangkrak' bukan salah satu" in p for p in problems)
    assert any("'Kabupaten Atlantis' bukan nama kabupaten/kota" in p for p in problems)
    assert any("bukan tanggal" in p for p in problems)
    assert check_rows([{"proyek": "x"}]) [0].startswith("kolom wajib tidak ada")
    assert PROGRES_PEMBANGUNAN.column_names[:2] == ("proyek", "lokasi")


def test_project_specs_render_a_card_then_bars():
    summary, bars = project_specs("Progres pembangunan (data contoh)")
    assert (summary.template, bars.template) == ("project_summary", "project_progress")
    [card] = render(PROJECTS, summary, CASES["project_summary"][2])
    assert "4 proyek per 1 Maret 2025: 1 belum mulai, 2 berjalan, dan 1 selesai" in card.alt_text
    assert "2 dari 4 proyek sesuai atau melampaui target fisik" in card.alt_text
    pages = render(PROJECTS * 3, bars, CASES["project_summary"][2])
    assert len(pages) == 3 and "Gambar 1 dari 3: proyek 1–4 dari 12" in pages[0].alt_text


# Fonts and formatting -------------------------------------------------------------------------
def test_bundled_font_and_its_licence():
    assert fonts.REGULAR.stat().st_size > 100_000 and fonts.BOLD.stat().st_size > 100_000
    licence = (fonts.FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Copyright 2015 Google LLC" in licence
    properties = fonts.matplotlib_font(20, bold=True)
    assert Path(properties.get_file()) == fonts.BOLD
    assert fonts.text_width("Kab. Cilacap", 27) == pytest.approx(fonts.pil_font(27).getlength("Kab. Cilacap"))
    assert fonts.wrap("Jumlah penduduk kabupaten/kota di Jawa Tengah", 300, 30, max_lines=2)[-1].endswith("…")


def test_formatting_additions_for_charts():
    assert formatting.percent(0.553) == "55,3%" and formatting.percent(0.75) == "75%"
    assert formatting.percent(0.021, signed=True) == "+2,1%"
    assert formatting.percent(-0.08, signed=True) == "-8%"
    assert formatting.amount(9_080_000) == "9,08 juta" and formatting.amount(806_139.4) == "806.139"
    assert formatting.amount(55.3) == "55,3" and formatting.amount(1_234_567) == "1,23 juta"
    assert formatting.number(1_234_567) == "1.234.567" and formatting.rupiah(15_500) == "Rp15.500"


def test_money_and_percent_units_on_values():
    from pressroom.charts.text import value_text

    assert value_text(15_500, "Rp") == "Rp15.500" and value_text(2_500_000_000, "Rp") == "Rp2,5 miliar"
    assert value_text(62.5, "%") == "62,5%" and value_text(2_066_426, "jiwa") == "2,07 juta jiwa"
    assert value_text(None, "jiwa") == "tidak ada data"


def test_branding_is_checked():
    with pytest.raises(ValueError, match="colour"):
        Branding("Dinas", primary="blue")
    with pytest.raises(ValueError, match="status"):
        Branding("Dinas", status="draft")
    assert Branding("Dinas", source="BPS").source_line == "Sumber: BPS"
    assert Branding("Dinas", processed_by="Diolah oleh Diskominfo").processed_line == "Diolah oleh Diskominfo"


def test_render_stays_the_function_after_the_drawing_module_is_loaded():
    """The package's ``render`` must not be shadowed by a submodule of the same name."""
    from pressroom import charts
    from tests.charts.cases import DUKCAPIL, POPULATION, POPULATION_SPEC

    first = charts.render(POPULATION, POPULATION_SPEC, DUKCAPIL)
    second = charts.render(POPULATION, POPULATION_SPEC, DUKCAPIL)  # the drawing module is loaded now
    assert callable(charts.render) and first[0].png == second[0].png
