"""A release body: Markdown → sanitised HTML (what may and may not pass) and → plain text."""

from __future__ import annotations

import pytest

from pressroom.press.markdown import plain_text, render_body


def test_allowed_markup_is_kept():
    html = render_body(
        "## Panen raya\n\nParagraf **tebal** dan *miring*.\n\n- satu\n- dua\n\n1. pertama\n2. kedua\n\n"
        "> kutipan\n\n#### Rincian\n\n| Kabupaten | Ton |\n|:--|--:|\n| Demak | 1.234 |\n\n---\n"
    )
    for fragment in ("<h2>Panen raya</h2>", "<strong>tebal</strong>", "<em>miring</em>",
                     "<ul>\n<li>satu</li>", "<ol>\n<li>pertama</li>", "<blockquote>", "<h4>Rincian</h4>",
                     '<th align="left">Kabupaten</th>', '<td align="right">1.234</td>', "<hr>"):
        assert fragment in html


def test_links_get_rel_noopener_nofollow():
    html = render_body("Lihat [portal](https://jatengprov.go.id/data) dan <https://x.id>.")
    assert '<a href="https://jatengprov.go.id/data" rel="noopener nofollow">portal</a>' in html
    assert '<a href="https://x.id" rel="noopener nofollow">https://x.id</a>' in html
    # A rel or target the author typed does not survive.
    html = render_body('<a href="https://x.id" rel="opener" target="_blank">x</a>')
    assert html == '<p><a href="https://x.id" rel="noopener nofollow">x</a></p>'


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>Aman",
    "<style>p { display: none }</style>Aman",
    "<iframe src='https://evil.example'></iframe>Aman",
    "<svg onload='alert(1)'><circle/></svg>Aman",
])
def test_script_like_elements_go_with_their_content(source):
    html = render_body(source)
    assert "alert" not in html and "display" not in html and "evil" not in html
    assert "<script" not in html and "<style" not in html and "<iframe" not in html and "<svg" not in html
    assert "Aman" in html


def test_images_and_event_handlers_are_stripped():
    html = render_body('![foto](https://x.id/a.jpg)\n\n<img src=x onerror="alert(1)">\n\n'
                       '<p onclick="alert(2)" style="color:red" class="x" id="y">teks</p>')
    assert "<img" not in html and "onerror" not in html and "onclick" not in html
    assert "style" not in html and "class" not in html and "id=" not in html
    assert "alert" not in html
    assert "<p>teks</p>" in html


@pytest.mark.parametrize("link", [
    "[klik](javascript:alert(1))",
    "[klik](JaVaScRiPt:alert(1))",
    "[klik](&#106;avascript:alert(1))",
    '<a href="&#x6A;avascript:alert(1)">klik</a>',
    "[klik](data:text/html;base64,PHNjcmlwdD4=)",
    "[klik](vbscript:msgbox(1))",
])
def test_dangerous_urls_leave_only_the_text(link):
    html = render_body(link)
    assert html == "<p>klik</p>"


def test_mailto_and_tel_links_are_allowed():
    html = render_body("[surel](mailto:humas@jatengprov.go.id) [telepon](tel:+62243515591)")
    assert 'href="mailto:humas@jatengprov.go.id"' in html and 'href="tel:+62243515591"' in html


def test_headings_are_clamped_to_h2_to_h4():
    html = render_body("# Satu\n\n<h1>Mentah</h1>\n\n##### Lima\n\n###### Enam\n\n### Tiga")
    assert "<h1" not in html and "<h5" not in html and "<h6" not in html
    assert "<h2>Satu</h2>" in html and "<h2>Mentah</h2>" in html
    assert "<h4>Lima</h4>" in html and "<h4>Enam</h4>" in html and "<h3>Tiga</h3>" in html


def test_other_tags_are_unwrapped_keeping_their_text():
    html = render_body("<div><span>isi</span> <code>kode</code></div>")
    assert "<div" not in html and "<span" not in html and "<code" not in html
    assert "isi" in html and "kode" in html


def test_typography_and_entities_survive():
    html = render_body("Pangan – “lumbung” & 5 < 6")
    assert "–" in html and "“lumbung”" in html and "&amp;" in html and "&lt;" in html


def test_empty_body():
    assert render_body("") == "" and render_body(None) == "" and render_body("  \n ") == ""
    assert plain_text(None) == ""


def test_plain_text_is_readable():
    text = plain_text(
        "## Panen raya\n\n"
        "Produksi **naik** menurut [BPS](https://jateng.bps.go.id) & dinas.\nBaris lanjut.  \nBaris baru.\n\n"
        "- satu\n- dua\n    - dua a\n- tiga\n\n"
        "1. pertama\n2. kedua\n\n"
        "> kutipan **penting**\n\n"
        "| Kabupaten | Ton |\n|---|---|\n| Demak | 1.234 |\n| Grobogan | 2.345 |\n\n"
        "Surel [humas@jatengprov.go.id](mailto:humas@jatengprov.go.id), situs <https://jatengprov.go.id>.\n\n"
        "<script>alert(1)</script>[klik](javascript:alert(1))"
    )
    assert text == (
        "Panen raya\n\n"
        "Produksi naik menurut BPS (https://jateng.bps.go.id) & dinas. Baris lanjut.\nBaris baru.\n\n"
        "- satu\n- dua\n  - dua a\n- tiga\n\n"
        "1. pertama\n2. kedua\n\n"
        "> kutipan penting\n\n"
        "Kabupaten | Ton\nDemak | 1.234\nGrobogan | 2.345\n\n"
        "Surel humas@jatengprov.go.id, situs https://jatengprov.go.id.\n\n"
        "klik"
    )


def test_plain_text_numbers_loose_lists_and_keeps_their_start():
    text = plain_text("3. tiga\n\n4. empat\n\n    lanjutan empat\n\n5. lima\n")
    assert text == "3. tiga\n4. empat\n\n   lanjutan empat\n\n5. lima"
