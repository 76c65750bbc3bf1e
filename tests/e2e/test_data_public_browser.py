"""The public data centre on a 390×844 phone: the catalogue and a dataset page load light (JPEG
thumbnails), nothing overflows sideways, the data table scrolls inside its own focusable box,
and axe-core finds no serious or critical accessibility violation."""

from __future__ import annotations

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image, ImageDraw

from pressroom.models import DatasetImage
from pressroom.services import datasets
from tests.e2e.test_browser import _shot
from tests.web.test_data_public import PADI, PENDUDUK, _ingest

pytestmark = pytest.mark.browser
ALT = ("Diagram batang horizontal: Penduduk Jawa Tengah 2025. Nilai terbesar: Kabupaten Brebes, "
       "2,07 juta jiwa; terkecil: Kota Magelang, 128.709 jiwa.")


def _chart(size: tuple[int, int], bars: int) -> tuple[bytes, bytes]:
    """A stand-in infographic (the renderer is not under test): a header band and bars."""
    width, height = size
    image = Image.new("RGB", size, (238, 242, 246))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, height // 10), fill=(31, 78, 121))
    draw.rectangle((0, height // 10, width, height // 10 + 8), fill=(242, 169, 0))
    top, step = height // 5, (height * 3 // 5) // bars
    for i in range(bars):
        length = int((width - 160) * (1 - i / (bars + 2)))
        draw.rounded_rectangle((80, top + i * step, 80 + length, top + i * step + step * 2 // 3), 6,
                               fill=(0, 114, 178))
    png, jpeg = io.BytesIO(), io.BytesIO()
    image.save(png, format="PNG")
    image.thumbnail((540, 540))
    image.save(jpeg, format="JPEG", quality=82)
    return png.getvalue(), jpeg.getvalue()


@pytest.fixture
def published(factory, session, storage):
    dukcapil = factory.opd("DISDUKCAPIL", short_name="Disdukcapil",
                           name="Dinas Kependudukan dan Pencatatan Sipil")
    tani = factory.opd("DISTANPANGAN", short_name="Distanpangan", name="Dinas Pertanian dan Perkebunan")
    editor, tani_editor = factory.user("editor", dukcapil), factory.user("editor", tani)
    walidata = factory.user("walidata", factory.opd("BAPPEDA"))
    penduduk = datasets.create_dataset(
        session, editor, opd_id=dukcapil.id, title="Penduduk Jawa Tengah 2025", key_column="Kode",
        description="Jumlah penduduk menurut jenis kelamin dan luas wilayah per kabupaten/kota "
                    "di Jawa Tengah.",
        topic="Kependudukan", unit="jiwa", source_line="Sumber: Kepmendagri No. 300.2.2-2138/2025",
        processed_by="Diolah oleh Diskominfo Provinsi Jawa Tengah", period="Semester I 2025",
        update_frequency="Semesteran")
    _ingest(session, penduduk, PENDUDUK.read_bytes(), editor, nik=True)
    datasets.resolve_flag(session, editor, penduduk, "NIK", "hidden")
    datasets.request_publication(session, editor, penduduk)
    datasets.decide_publication(session, walidata, penduduk, approve=True)
    version = _ingest(session, penduduk, PENDUDUK.read_bytes().replace(b"805,757", b"805,760"), editor,
                      name="ralat.csv", nik=True,
                      correction_note="Luas Kabupaten Purbalingga salah ketik pada versi 1.").version
    session.flush()
    for preset, size, page in (("portrait", (1080, 1350), 0), ("portrait", (1080, 1350), 1),
                               ("portrait", (1080, 1350), 2), ("landscape", (1600, 900), 0)):
        png, jpeg = _chart(size, 12 - 4 * page)
        key = f"charts/e2e/{preset}-{page}.png"
        storage.put(key, png, public=True)
        storage.put(key.replace(".png", "-thumb.jpg"), jpeg, public=True)
        session.add(DatasetImage(version_id=version.id, preset=preset, page=page,
                                 cache_key=f"e2e{preset}{page}", storage_key=key,
                                 thumb_key=key.replace(".png", "-thumb.jpg"), width=size[0], height=size[1],
                                 alt_text=ALT if page == 0 else f"{ALT} Gambar {page + 1}."))
    padi = datasets.create_dataset(session, tani_editor, opd_id=tani.id, title="Produksi Padi Jawa Tengah",
                                   key_column="tahun", topic="Pertanian", unit="ton", provisional=True,
                                   description="Luas panen, produksi padi dan beras per tahun.")
    _ingest(session, padi, PADI.read_bytes(), tani_editor, name="padi.csv")
    datasets.request_publication(session, tani_editor, padi)
    datasets.decide_publication(session, walidata, padi, approve=True)
    session.commit()
    return penduduk


def _serious(page) -> list[dict]:
    results = Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_the_data_centre_on_a_phone_is_light_and_accessible(live_server, phone, published):
    page = phone
    page.goto(f"{live_server}/data")
    assert page.locator(".data-card").count() == 2
    thumb = page.locator(".data-card img").first
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0")
    assert thumb.get_attribute("src").endswith("-thumb.jpg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not _serious(page)
    _shot(page, "data-catalogue")

    page.goto(f"{live_server}/data?q=padi")
    assert page.locator(".data-card").count() == 1
    assert not _serious(page)

    page.goto(f"{live_server}/data")
    page.locator(".data-card h2 a", has_text="Penduduk").click()
    page.wait_for_url(f"{live_server}/data/{published.slug}")
    chart = page.locator(".data-chart > img")
    assert chart.get_attribute("alt") == ALT
    # A phone at 1x loads the JPEG thumbnail, not the full PNG.
    assert chart.evaluate("img => img.complete && img.currentSrc.endsWith('-thumb.jpg')")
    assert page.locator(".data-corrections").is_visible()
    assert page.locator(".data-table tbody tr").count() == 35
    assert page.locator(".data-table").inner_text().count("2.059.748") == 1
    # The table scrolls inside its own box, which a keyboard can reach; the page does not.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    wrap = page.locator(".data-table-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth") and wrap.get_attribute("tabindex") == "0"
    assert not _serious(page)
    _shot(page, "data-dataset")
