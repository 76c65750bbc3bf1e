"""The printable release: what it says, in Noto Sans, over how many pages, and the same bytes
for the same release.

pypdf is not a dependency, so the text is read with ``pdftext`` from an uncompressed render
(``compress=False``); when pypdf is installed, one test also reads the compressed PDF with it.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
from datetime import UTC, datetime

import pytest
from PIL import Image

from pressroom.press import pdf as press_pdf
from pressroom.press.pdf import Contact, Photo, ReleaseDoc, Source, release_pdf
from tests.press.pdftext import page_count, pages_text, plain

RELEASED = datetime(2026, 11, 19, 18, 0, tzinfo=UTC)  # 01.00 WIB on 20 November 2026
EMBARGO = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 09.00 WIB
MM = 72 / 25.4  # PDF points per millimetre


def jpeg(width: int, height: int, color=(30, 120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def png_logo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (200, 240), (200, 0, 0, 255)).save(buffer, "PNG")
    return buffer.getvalue()


BODY = """Produksi padi Jawa Tengah **naik 4,2%** menurut *Badan Pusat Statistik*.

## Rincian per wilayah

- Demak: 1.234.567 ton
- Grobogan: 987.654 ton

1. Panen pertama
2. Panen kedua

> “Petani kita luar biasa,” ujar Gubernur.

| Kabupaten | Ton |
|:--|--:|
| Demak | 1.234.567 |

Data lengkap di [portal data](https://data.jatengprov.go.id).
"""


def release(**overrides) -> ReleaseDoc:
    values = dict(
        opd_name="Dinas Pertanian dan Perkebunan Provinsi Jawa Tengah",
        number="480/7/DISTANBUN/XI/2026",
        released_at=RELEASED,
        headline="Panen Raya 2026 – Jawa Tengah Tetap “Lumbung Pangan” Nasional",
        lead="SEMARANG – Pemerintah Provinsi Jawa Tengah mencatat produksi padi 9,08 juta ton.",
        body_markdown=BODY,
        sources=[Source("Dr. Ir. Siti Aminah, M.Si.", "Plh. Kepala Dinas Pertanian dan Perkebunan")],
        contacts=[Contact("Budi Santoso", "+62 812-3456-7890", "Kepala Seksi Informasi",
                          "humas.distanbun@jatengprov.go.id")],
        photos=[Photo(jpeg(1600, 1067), "Gubernur meninjau panen di Demak", "Humas Distanbun")],
        logo_png=png_logo(),
        url="https://pers.jatengprov.go.id/pers/480-7",
    )
    values.update(overrides)
    return ReleaseDoc(**values)


def read(doc: ReleaseDoc) -> tuple[bytes, list[str]]:
    data = release_pdf(doc, compress=False)
    return data, pages_text(data)


def test_a_pdf_with_everything_on_it():
    data, pages = read(release())
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert page_count(data) == len(pages) == 2  # the photo and the people go on page 2
    text = plain(" ".join(pages))
    for expected in (
        "PEMERINTAH PROVINSI JAWA TENGAH",
        "Dinas Pertanian dan Perkebunan Provinsi Jawa Tengah",
        "SIARAN PERS",
        "Nomor: 480/7/DISTANBUN/XI/2026",
        "Semarang, 20 November 2026",  # the WIB date: still 19 November in UTC
        "Panen Raya 2026 – Jawa Tengah Tetap “Lumbung Pangan” Nasional",
        "SEMARANG – Pemerintah Provinsi Jawa Tengah mencatat produksi padi 9,08 juta ton.",
        "Produksi padi Jawa Tengah naik 4,2% menurut Badan Pusat Statistik.",
        "Rincian per wilayah",
        "• Demak: 1.234.567 ton • Grobogan: 987.654 ton",
        "1. Panen pertama 2. Panen kedua",
        "“Petani kita luar biasa,” ujar Gubernur.",
        "Kabupaten Ton Demak 1.234.567",
        "Data lengkap di portal data.",
        "Foto", "Gubernur meninjau panen di Demak", "Foto: Humas Distanbun",
        "Narasumber", "Dr. Ir. Siti Aminah, M.Si.", "Plh. Kepala Dinas Pertanian dan Perkebunan",
        "Narahubung", "Budi Santoso (Kepala Seksi Informasi)", "+62 812-3456-7890",
        "humas.distanbun@jatengprov.go.id",
        "Versi daring: https://pers.jatengprov.go.id/pers/480-7",
        "Halaman 1 dari 2", "Halaman 2 dari 2",
    ):
        assert expected in text, expected
    assert "EMBARGO" not in text and "RALAT" not in text
    assert "\ufffd" not in text
    # The body's link is a link in the PDF too.
    assert b"/URI (https://data.jatengprov.go.id)" in data


def test_the_bundled_noto_sans_is_embedded_and_no_core_font_used():
    data, _ = read(release())
    base_fonts = set(re.findall(rb"/BaseFont /(\S+)", data))
    assert base_fonts and all(b"NotoSans" in name for name in base_fonts)
    assert b"/FontFile2" in data
    assert b"Helvetica" not in data and b"Times" not in data and b"Courier" not in data


def test_embargo_banner_on_the_first_page_and_in_every_later_header():
    data, pages = read(release(embargo_until=EMBARGO, body_markdown=BODY * 6))
    assert len(pages) >= 2
    assert "EMBARGO hingga 20 November 2026 09.00 WIB" in pages[0]
    assert "Tidak untuk disiarkan sebelum waktu tersebut." in pages[0]
    for page in pages[1:]:
        assert "EMBARGO hingga 20 November 2026 09.00 WIB" in page
        assert "Nomor: 480/7/DISTANBUN/XI/2026" in page


def test_a_correction_says_ralat_and_what_it_corrects():
    _, pages = read(release(number="480/9/DISTANBUN/XI/2026", corrects_number="480/7/DISTANBUN/XI/2026",
                            correction_note="Angka produksi diperbaiki menjadi **9,08** juta ton."))
    text = plain(pages[0])
    assert "RALAT" in text
    assert "Ralat atas siaran pers nomor 480/7/DISTANBUN/XI/2026." in text
    # A person's note is printed as typed, not read as markup.
    assert "Angka produksi diperbaiki menjadi **9,08** juta ton." in text


def test_page_numbers_count_every_page():
    data, pages = read(release(body_markdown=BODY * 10))
    total = page_count(data)
    assert total == len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Halaman {number} dari {total}" in page


def test_photos_are_scaled_to_fit_and_embedded_as_jpeg():
    photos = [Photo(jpeg(4000, 1000), "Lebar", "A"), Photo(jpeg(800, 1200), "Tegak", "B")]
    data, pages = read(release(photos=photos, logo_png=None))
    drawn = re.findall(rb"q ([\d.]+) 0 0 ([\d.]+) [\d.]+ [\d.]+ cm /I\d+ Do Q", data)
    placed = [(float(w), float(h)) for w, h in drawn]
    assert len(placed) == 2
    (wide_w, wide_h), (tall_w, tall_h) = placed
    assert wide_w == pytest.approx(170 * MM, abs=0.05)  # the text width
    assert wide_h == pytest.approx(170 * MM / 4, abs=0.05)
    assert tall_h == pytest.approx(press_pdf.PHOTO_MAX_HEIGHT * MM, abs=0.05)
    assert tall_w == pytest.approx(press_pdf.PHOTO_MAX_HEIGHT * MM * 800 / 1200, abs=0.05)
    assert data.count(b"/Filter /DCTDecode") == 2
    text = plain(" ".join(pages))
    assert "Lebar" in text and "Foto: A" in text and "Tegak" in text and "Foto: B" in text


def test_without_optional_parts():
    data, pages = read(release(lead="", body_markdown="", sources=[], contacts=[], photos=[], logo_png=None,
                               url=None))
    text = plain(pages[0])
    assert "Panen Raya 2026" in text and "Halaman 1 dari 1" in text
    for absent in ("Narasumber", "Narahubung", "Foto", "Versi daring"):
        assert absent not in text
    assert b"/Subtype /Image" not in data


def test_same_release_same_bytes_and_the_release_date_as_creation_date():
    first, second = release_pdf(release()), release_pdf(release())
    assert first == second
    assert release_pdf(release(), compress=False) == release_pdf(release(), compress=False)
    assert b"/CreationDate (D:20261119180000Z)" in release_pdf(release(), compress=False)
    assert release_pdf(release(headline="Judul lain")) != first
    assert len(first) < len(release_pdf(release(), compress=False))


def test_characters_outside_the_font_do_not_break_the_pdf():
    data, pages = read(release(headline="Panen raya 🌾 sukses", body_markdown="Selamat 🎉 petani"))
    assert "Panen raya" in plain(pages[0]) and "sukses" in plain(pages[0])


def test_markup_fpdf2_cannot_lay_out_falls_back_to_plain_paragraphs(monkeypatch, caplog):
    def refuse(self, *args, **kwargs):
        raise NotImplementedError("Unsupported nested HTML tags inside <td> element: <a>")

    monkeypatch.setattr(press_pdf._ReleasePDF, "write_html", refuse)
    with caplog.at_level(logging.WARNING, logger="pressroom.press.pdf"):
        _, pages = read(release())
    text = plain(pages[0])
    assert "Produksi padi Jawa Tengah naik 4,2% menurut Badan Pusat Statistik." in text
    assert "- Demak: 1.234.567 ton" in text
    assert "Data lengkap di portal data (https://data.jatengprov.go.id)." in text
    assert "plain text" in caplog.text


def test_body_html_is_reshaped_for_fpdf2():
    html = press_pdf.pdf_html(
        '<ol>\n<li>\n<p>satu</p>\n<p>lanjut</p>\n</li>\n</ol>'
        '<table><tr><td><a href="https://x.id">tautan</a> dan <b>tebal</b></td></tr></table>'
        '<h2>Judul <a href="https://x.id">tautan</a></h2><p>a &amp; b &lt; c</p>'
    )
    assert html == ('<ol><li>satu<br>lanjut</li></ol>'
                    '<table><tr><td>tautan dan tebal</td></tr></table>'
                    '<h2>Judul tautan</h2><p>a &amp; b &lt; c</p>')


def test_raw_html_in_the_body_still_renders():
    body = ("<table><tr><td><ul><li>sel</li></ul><p>satu</p></td></tr></table>\n\n"
            "<ul><li>butir<table><tr><th>kepala</th></tr></table></li></ul>\n\n"
            "<blockquote><h3>judul kutipan</h3></blockquote>")
    _, pages = read(release(body_markdown=body, photos=[]))
    text = plain(pages[0])
    for expected in ("sel satu", "butir", "kepala", "judul kutipan", "Halaman 1 dari 1"):
        assert expected in text


def test_release_doc_is_frozen_keeps_tuples_and_wants_aware_datetimes():
    doc = release()
    assert all(isinstance(value, tuple) for value in (doc.sources, doc.photos, doc.contacts))
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.headline = "x"
    with pytest.raises(ValueError):
        release(released_at=datetime(2026, 11, 20, 1, 0))
    with pytest.raises(ValueError):
        release(embargo_until=datetime(2026, 11, 20, 9, 0))
    assert not doc.is_correction
    assert release(correction_note="x").is_correction


def test_pypdf_reads_the_compressed_pdf():
    pypdf = pytest.importorskip("pypdf")
    data = release_pdf(release(embargo_until=EMBARGO))
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == page_count(release_pdf(release(embargo_until=EMBARGO), compress=False))
    text = plain(" ".join(page.extract_text() for page in reader.pages))
    assert "Panen Raya 2026 – Jawa Tengah Tetap “Lumbung Pangan” Nasional" in text
    assert "480/7/DISTANBUN/XI/2026" in text and "EMBARGO hingga 20 November 2026 09.00 WIB" in text
