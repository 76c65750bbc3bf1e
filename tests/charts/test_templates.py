"""Every template renders real values: images checked as images and against committed
references, alt text and captions that name the figures (id_ID), identical bytes for
identical inputs.

Reference images live in ``tests/charts/reference/<case>.png``: each case drawn at the square
preset and reduced to a third (360×360). A render matches when it differs from its reference
by a mean of at most ``MAX_MEAN_DIFF`` per channel and in at most ``MAX_CHANGED`` of pixels by
more than ``CHANGED_BY`` in any channel: loose enough for a Matplotlib or FreeType patch
release to move an edge, tight enough that a moved bar, a lost label or a changed colour
fails. After an intended change to the drawing, look at the new images and regenerate:

    PRESSROOM_UPDATE_REFERENCES=1 .venv/bin/pytest -q -p no:cacheprovider tests/charts -k reference
"""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from pressroom.charts import PRESETS, ChartSpec, alt_texts, draft_caption, render
from pressroom.charts.text import is_neutral
from tests.charts.cases import CASES, DUKCAPIL, POPULATION, POPULATION_SPEC, REFERENCE_PRESET

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
UPDATE = os.environ.get("PRESSROOM_UPDATE_REFERENCES") == "1"
REDUCE = 3
MAX_MEAN_DIFF = 1.0
CHANGED_BY = 40
MAX_CHANGED = 0.002


@pytest.fixture(scope="module")
def rendered() -> dict:
    """Each case at the reference preset, rendered once for the module."""
    return {name: render(rows, spec, branding, REFERENCE_PRESET) for name, (rows, spec, branding, _m)
            in CASES.items()}


def open_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def difference(a: Image.Image, b: Image.Image) -> tuple[float, float]:
    """(mean absolute difference per channel, share of pixels off by more than CHANGED_BY)."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    mean = sum(ImageStat.Stat(diff).mean) / 3
    r, g, b = diff.split()
    strongest = ImageChops.lighter(ImageChops.lighter(r, g), b)
    changed = sum(strongest.histogram()[CHANGED_BY + 1:]) / (diff.width * diff.height)
    return mean, changed


def reduced(png: bytes) -> Image.Image:
    return open_png(png).convert("RGB").reduce(REDUCE)


# Words ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_alt_text_and_caption_name_the_figures(name):
    rows, spec, branding, must_say = CASES[name]
    alts = alt_texts(rows, spec, branding)
    caption = draft_caption(rows, spec, branding)
    every_alt = " ".join(alts)
    for words in must_say:
        assert words.lower() in every_alt.lower(), (name, words, every_alt)
        assert words in caption, (name, words, caption)
    for text in (*alts, caption):
        assert is_neutral(text), text
    assert all(0 < len(alt) <= 1000 for alt in alts)
    assert alts[0].startswith({"ranked_bar": "Diagram batang horizontal", "line": "Grafik garis",
                               "column": "Diagram kolom", "big_number": "Kartu angka", "table": "Tabel",
                               "progress": "Diagram progres", "project_progress": "Diagram progres proyek",
                               "project_summary": "Kartu ringkasan"}[spec.template])
    assert branding.public_url in caption and "Sumber: " in caption


def test_ranked_alt_text_gives_kind_range_and_named_values():
    [first, second, third] = alt_texts(POPULATION, POPULATION_SPEC, DUKCAPIL)
    assert "Gambar 1 dari 3: peringkat 1–12 dari 35 kabupaten/kota" in first
    assert "Nilai terbesar: Kabupaten Brebes, 2,07 juta jiwa" in first
    assert "Rentang nilai: 128.709 jiwa (Kota Magelang) sampai 2,07 juta jiwa (Kabupaten Brebes)" in first
    assert "Jumlah seluruhnya: 38,43 juta jiwa" in first
    assert "2. Kabupaten Cilacap: 2,06 juta jiwa" in first
    assert "Gambar 3 dari 3: peringkat 25–35" in third and "35. Kota Magelang: 128.709 jiwa" in third
    assert "Sumber: Kepmendagri No. 300.2.2-2138/2025" in first and "Data per 30 Juni 2025" in first


def test_caption_is_neutral_about_regions():
    caption = draft_caption(POPULATION, POPULATION_SPEC, DUKCAPIL)
    assert caption.startswith("Jumlah penduduk kabupaten/kota di Jawa Tengah.")
    assert "Kabupaten Brebes mencatat angka terbesar, 2,07 juta jiwa, dari 35 kabupaten/kota" in caption
    assert "Berikutnya Kabupaten Cilacap (2,06 juta jiwa) dan Kabupaten Banyumas" in caption
    assert "Kota Magelang" not in caption  # the smallest is not singled out
    assert "Geser untuk melihat seluruh 35 kabupaten/kota" in caption


def test_gap_year_is_said_never_filled():
    rows, spec, branding, _m = CASES["line"]
    [alt] = alt_texts(rows, spec, branding)
    assert "2021: tidak ada data" in alt
    assert "Tidak ada data untuk 2021 (garis terputus, tidak diisi perkiraan)" in alt
    assert "Data 2021 tidak tersedia" in draft_caption(rows, spec, branding)


def test_alt_text_is_editable_and_bounded(rendered):
    image = rendered["ranked_bar"][0]
    edited = image.with_alt_text("  Peringkat   penduduk\n35 kabupaten/kota ")
    assert edited.alt_text == "Peringkat penduduk 35 kabupaten/kota" and edited.png == image.png
    with pytest.raises(ValueError):
        image.with_alt_text("x" * 1001)
    with pytest.raises(ValueError):
        image.with_alt_text("   ")


# Images ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_images_are_images(rendered, name):
    preset = PRESETS[REFERENCE_PRESET]
    for image in rendered[name]:
        assert image.png.startswith(b"\x89PNG\r\n\x1a\n")
        picture = open_png(image.png)
        assert picture.size == (image.width, image.height) == (preset.width, preset.height)
        assert picture.mode == "RGB" and picture.format == "PNG"
        assert not {"tIME", "tEXt", "iTXt", "zTXt"} & _chunks(image.png)  # no timestamps, no software tag
        colours = picture.convert("RGB").getcolors(maxcolors=1 << 20)
        assert len(colours) > 200, "blank or flat image"
        assert max(ImageStat.Stat(picture.convert("L")).stddev) > 20


def _chunks(png: bytes) -> set[str]:
    names, offset = set(), 8
    while offset < len(png):
        length = int.from_bytes(png[offset:offset + 4], "big")
        names.add(png[offset + 4:offset + 8].decode("ascii"))
        offset += 12 + length
    return names


@pytest.mark.parametrize("name", list(CASES))
def test_matches_reference(rendered, name):
    path = REFERENCE_DIR / f"{name}.png"
    current = reduced(rendered[name][0].png)
    if UPDATE:
        REFERENCE_DIR.mkdir(exist_ok=True)
        current.save(path, format="PNG", optimize=True)
        pytest.skip(f"wrote {path.name}")
    assert path.exists(), f"no reference for {name}; regenerate (see this module's docstring)"
    mean, changed = difference(current, Image.open(path))
    assert mean <= MAX_MEAN_DIFF and changed <= MAX_CHANGED, (
        f"{name} differs from its reference: mean {mean:.2f} (max {MAX_MEAN_DIFF}), "
        f"{changed:.2%} of pixels changed (max {MAX_CHANGED:.1%})")


def test_reference_comparison_catches_a_real_change(rendered):
    """One bar in another colour, or another source line, is a real change: it must not pass."""
    rows, spec, branding, _m = CASES["ranked_bar_top"]
    reference = reduced(rendered["ranked_bar_top"][0].png)
    recoloured = ChartSpec(**{**spec.as_dict(), "highlight": "Kabupaten Brebes"})
    resourced = dataclasses.replace(branding, source="BPS Jawa Tengah")
    for changed in (render(rows, recoloured, branding, REFERENCE_PRESET)[0],
                    render(rows, spec, resourced, REFERENCE_PRESET)[0]):
        mean, share = difference(reduced(changed.png), reference)
        assert mean > MAX_MEAN_DIFF or share > MAX_CHANGED, (mean, share)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_keeps_its_size_and_safe_margins(preset):
    chosen = PRESETS[preset]
    images = render(POPULATION, POPULATION_SPEC, DUKCAPIL, preset)
    assert len(images) == -(-35 // min(chosen.max_rows, 35))
    left, top, right, bottom = chosen.safe
    for image in images:
        picture = open_png(image.png).convert("RGB")
        assert picture.size == (chosen.width, chosen.height)
        # Below the header band, the strips outside the safe margins hold nothing but background.
        band_end = top + round(140 * chosen.scale)
        for box in ((0, band_end, left - 2, chosen.height), (chosen.width - right + 2, band_end, chosen.width,
                                                              chosen.height),
                    (0, chosen.height - bottom + 2, chosen.width, chosen.height)):
            colours = picture.crop(box).getcolors()
            assert colours is not None and len(colours) == 1, (preset, box, colours and colours[:4])


def test_identical_inputs_give_identical_bytes(rendered):
    rows, spec, branding, _m = CASES["line"]
    again = render(rows, spec, branding, REFERENCE_PRESET)
    assert [i.png for i in again] == [i.png for i in rendered["line"]]


def test_identical_bytes_in_another_process(rendered):
    """A fresh process (new Figure, new font caches) draws the very same bytes."""
    script = ("import hashlib, sys; from pressroom.charts import render; "
              "from tests.charts.cases import CASES; "
              "rows, spec, branding, _ = CASES['ranked_bar']; "
              f"print(' '.join(hashlib.sha256(i.png).hexdigest() for i in render(rows, spec, branding, "
              f"{REFERENCE_PRESET!r})))")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "123"})
    assert out.stdout.split() == [image.sha256 for image in rendered["ranked_bar"]]


def test_carousel_pages_share_one_scale(rendered):
    pages = rendered["ranked_bar"]
    assert [(p.page, p.pages) for p in pages] == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    portrait = render(POPULATION, POPULATION_SPEC, DUKCAPIL)
    assert [p.page for p in portrait] == [1, 2, 3] and {p.pages for p in portrait} == {3}
    assert [p.alt_text.count("; ") + 1 for p in portrait] == [12, 12, 11]


def test_thumbnails_are_light(rendered):
    image = rendered["ranked_bar"][0]
    for fmt in ("JPEG", "WEBP"):
        data = image.thumbnail(max_side=540, fmt=fmt)
        thumb = open_png(data)
        assert thumb.format == fmt and max(thumb.size) == 540 and len(data) < len(image.png) / 2


def test_charts_never_touch_pyplot():
    """The server draws through Matplotlib's object API only; importing the package loads none of it."""
    script = ("import sys; import pressroom.charts as c; assert 'matplotlib' not in sys.modules; "
              "from tests.charts.cases import CASES; rows, spec, b, _ = CASES['column']; "
              "c.render(rows, spec, b); "
              "assert 'matplotlib.pyplot' not in sys.modules; print('ok')")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
