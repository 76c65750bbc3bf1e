"""The public newsroom on a 390×844 phone: the list, a release with a photo, an infographic and a
correction, its English version, and an OPD's page load their pictures, do not overflow sideways,
and axe-core finds no serious or critical accessibility violation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image

from pressroom import clock
from pressroom.models import PressProfile
from pressroom.services import newsroom
from tests.e2e.test_browser import _shot
from tests.e2e.test_data_public_browser import _chart
from tests.web.test_newsroom import BODY, CHART_ALT, PHOTO_ALT, Desk, desk  # noqa: F401 - desk is a fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def newsroom_world(desk, session, storage):  # noqa: F811 - the imported fixture
    now = clock.now()
    session.add(PressProfile(opd_id=desk.tani.id, contact_name="Dewi Lestari",
                             contact_position="Kepala Subbagian Umum dan Kepegawaian",
                             contact_phone="+6281234567890", contact_email="humas@distanbun.jatengprov.go.id",
                             address="Jl. Gatot Subroto, Ungaran, Kabupaten Semarang",
                             website="https://distanbun.jatengprov.go.id"))
    release = desk.release(
        desk.tani, headline="Produksi padi Jawa Tengah naik 4,2 persen", body=BODY,
        lead="Produksi padi Jawa Tengah 2025 mencapai 9,08 juta ton, naik 4,2 persen dibanding 2024.",
        public_from=now - timedelta(hours=3), topics=[desk.beats["Pertanian dan Pangan"]],
        sources=[{"name": "Ir. Supriyanto, M.M.", "position": "Plt. Kepala Dinas Pertanian dan Perkebunan"}],
        contact_name="Dewi Lestari", contact_position="Kepala Subbagian Umum",
        contact_phone="+6281234567890", contact_email="humas@distanbun.jatengprov.go.id",
        headline_en="Central Java rice output up 4.2 percent",
        lead_en="Central Java produced 9.08 million tonnes of rice in 2025.",
        body_en="Rice output **rose 4.2%** on last year.")
    desk.photo(release)
    image = desk.infographic(release, desk.dataset.current_version_id)
    # A real-looking chart with a JPEG thumbnail, as the renderer stores them.
    png, jpeg = _chart((1080, 1350), 8)
    storage.put(image.storage_key, png, public=True)
    image.thumb_key = image.storage_key.replace(".png", "-thumb.jpg")
    storage.put(image.thumb_key, jpeg, public=True)
    with Image.open(storage.local_path(image.storage_key, public=True)) as stored:
        assert stored.size == (1080, 1350)
    desk.release(desk.tani, kind="ralat", corrects_id=release.id, headline="Ralat: produksi Grobogan",
                 correction_note="Produksi Grobogan tertulis 987.654 ton; yang benar 978.654 ton.",
                 public_from=now - timedelta(hours=1))
    desk.release(desk.kes, kind="undangan", headline="Undangan liputan peluncuran imunisasi campak",
                 agenda="Peluncuran Bulan Imunisasi Anak Nasional",
                 venue="Gedung Gradhika Bhakti Praja, Semarang",
                 event_starts_at=now + timedelta(days=2), event_ends_at=now + timedelta(days=2, hours=2),
                 public_from=now - timedelta(hours=2))
    session.commit()
    return release


def _serious(page) -> list[dict]:
    results = Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_newsroom_on_a_phone_is_accessible(live_server, phone, newsroom_world):
    page, release = phone, newsroom_world
    page.goto(f"{live_server}/pers")
    assert page.locator(".news-card").count() == 3
    assert page.locator("link[rel=alternate][type='application/atom+xml']").count() == 1
    assert _fits(page)
    assert not _serious(page)
    _shot(page, "newsroom-list")

    page.get_by_label("OPD").select_option("DINKES")
    page.locator("form.news-search button[type=submit]").click()
    page.wait_for_url(f"{live_server}/pers?opd=DINKES&topik=")
    assert page.locator(".news-card").count() == 1
    assert not _serious(page)

    page.goto(f"{live_server}/pers")
    page.locator(".news-card-title a", has_text="naik 4,2 persen").click()
    page.wait_for_url(f"{live_server}{newsroom.release_path(release)}")
    assert page.locator("h1").inner_text() == "Produksi padi Jawa Tengah naik 4,2 persen"
    assert page.locator(".news-corrections").is_visible()
    photo = page.locator(f"img[alt='{PHOTO_ALT}']")
    chart = page.locator(f"img[alt='{CHART_ALT}']")
    chart.scroll_into_view_if_needed()
    photo.scroll_into_view_if_needed()
    for image in (photo, chart):
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    # A 1x phone loads the JPEG previews, not the full-size files.
    assert chart.evaluate("img => img.currentSrc.endsWith('-thumb.jpg')")
    assert photo.evaluate("img => img.currentSrc.endsWith('-thumb.jpg')")
    assert _fits(page)
    assert not _serious(page)
    _shot(page, "newsroom-release")

    page.get_by_role("link", name="Read this release in English").click()
    assert page.locator("h1").inner_text() == "Central Java rice output up 4.2 percent"
    assert page.locator("h1").get_attribute("lang") == "en"
    assert not _serious(page)

    page.goto(f"{live_server}/pers")
    page.locator(".news-card-title a", has_text="Undangan liputan").click()
    assert page.locator(".news-invitation").is_visible()
    assert "WIB" in page.locator(".news-invitation").inner_text()
    assert not _serious(page)

    page.goto(f"{live_server}/pers/opd/DISTANPANGAN")
    assert page.locator("h1").inner_text() == "Dinas Pertanian dan Perkebunan"
    assert "Dewi Lestari" in page.locator(".news-contact-card").inner_text()
    assert page.locator(".news-card").count() == 2
    assert page.locator("link[rel=alternate][type='application/atom+xml']").count() == 2
    assert _fits(page)
    assert not _serious(page)
    _shot(page, "newsroom-opd")
