"""The public newsroom (/pers): only approved releases whose time has come are seen (page, list,
feeds, PDF alike), an embargo lifts by itself, filters narrow the list, corrections show on the
original, the feeds, PDF and vCard are what their readers expect, and link previews carry
absolute addresses."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
import vobject
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from pressroom import clock
from pressroom.models import (
    Beat,
    DatasetImage,
    PressProfile,
    PressRelease,
    ReleaseAttachment,
    ReleaseInfographic,
    ReleasePhoto,
)
from pressroom.services import datasets, newsroom, releases

PUBLIC_URL = "http://pressroom.test"
#: 08.00 WIB on Monday 2 March 2026.
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
PHOTO_ALT = "Gubernur meninjau panen raya padi di sawah Desa Sidorejo, Demak."
CHART_ALT = "Diagram batang: produksi padi Jawa Tengah 2020–2025, tertinggi 2025 sebesar 9,08 juta ton."
BODY = """Produksi padi Jawa Tengah **naik 4,2%** dibanding tahun lalu.

## Rincian

- Demak: 1.234.567 ton
- Grobogan: 987.654 ton

<script>alert("x")</script>
"""


def _jpeg(size=(1600, 1067), color=(30, 120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", quality=80)
    return out.getvalue()


def _png(size=(1080, 1350)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (31, 78, 121)).save(out, format="PNG")
    return out.getvalue()


class Desk:
    """Arranges releases straight in the models, as the lead's approval code leaves them."""

    def __init__(self, session, storage, author):
        self.session, self.storage, self.author = session, storage, author
        self.n = 0

    def release(self, opd, *, state="approved", public_from=NOW - timedelta(hours=1), headline=None,
                topics=(), **values) -> PressRelease:
        self.n += 1
        headline = headline or f"Siaran pers uji nomor {self.n}"
        release = PressRelease(
            opd_id=opd.id, author_id=self.author.id, state=state, public_from=public_from,
            headline=headline, slug=datasets.slugify(headline),
            lead=values.pop("lead", f"Teras berita {self.n}."),
            body=values.pop("body", "Isi siaran pers."),
            number=values.pop("number", f"480/{self.n}/{opd.code}/III/2026"),
            approved_at=public_from or NOW, **values)
        release.topics = list(topics)
        self.session.add(release)
        self.session.flush()
        return release

    def photo(self, release, *, caption="Panen raya di Demak.", credit="Humas Distanpangan",
              alt_text=PHOTO_ALT) -> ReleasePhoto:
        data = _jpeg()
        base = f"press/{release.opd_id}/{release.id}/foto-{len(release.photos)}"
        self.storage.put(f"{base}.jpg", data, public=True)
        thumb = io.BytesIO()
        Image.new("RGB", (480, 320), (30, 120, 60)).save(thumb, format="JPEG")
        self.storage.put(f"{base}-thumb.jpg", thumb.getvalue(), public=True)
        photo = ReleasePhoto(storage_key=f"{base}.jpg", thumb_key=f"{base}-thumb.jpg", width=1600,
                             height=1067, size_bytes=len(data), sha256="0" * 64, caption=caption,
                             credit=credit, alt_text=alt_text, position=len(release.photos))
        release.photos.append(photo)
        self.session.flush()
        return photo

    def infographic(self, release, version_id: int) -> DatasetImage:
        key = f"charts/news/{release.id}-portrait-0.png"
        self.storage.put(key, _png(), public=True)
        image = DatasetImage(version_id=version_id, preset="portrait", page=0, cache_key=f"news{release.id}",
                             storage_key=key, thumb_key=None, width=1080, height=1350, alt_text=CHART_ALT)
        self.session.add(image)
        self.session.flush()
        release.infographics.append(ReleaseInfographic(dataset_image_id=image.id, position=0))
        self.session.flush()
        return image


@pytest.fixture
def desk(factory, session, storage):
    tani = factory.opd("DISTANPANGAN", name="Dinas Pertanian dan Perkebunan", short_name="Distanpangan")
    kes = factory.opd("DINKES", name="Dinas Kesehatan", short_name="Dinkes")
    editor = factory.user("editor", tani)
    walidata = factory.user("walidata", factory.opd("BAPPEDA"))
    dataset = datasets.create_dataset(session, editor, opd_id=tani.id, title="Produksi Padi",
                                      key_column="tahun")
    datasets.ingest(session, dataset, [{"tahun": "2025", "ton": "9080000"}], origin="upload:padi.csv",
                    author=editor)
    datasets.request_publication(session, editor, dataset)
    assert datasets.decide_publication(session, walidata, dataset, approve=True)
    session.commit()
    beats = {b.name: b for b in session.scalars(select(Beat))}
    d = Desk(session, storage, editor)
    d.tani, d.kes, d.dataset, d.beats = tani, kes, dataset, beats
    return d


def _meta(page: str) -> dict[str, str]:
    pattern = r'<meta (?:property|name)="((?:og|twitter|article):[a-z:_]+)" content="([^"]*)"'
    return dict(re.findall(pattern, page))


def _feed(response) -> list[ET.Element]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


def _titles(entries) -> list[str]:
    return [e.findtext(f"{ATOM}title") for e in entries]


# What is public -------------------------------------------------------------------------------------------
def test_only_approved_releases_whose_time_has_come_are_public(client, desk, session):
    with clock.frozen(NOW):
        shown = desk.release(desk.tani, headline="Panen raya padi Jawa Tengah")
        hidden = {
            "draft": desk.release(desk.tani, state="draft", headline="Konsep belum disetujui"),
            "submitted": desk.release(desk.tani, state="submitted", headline="Menunggu persetujuan"),
            "held": desk.release(desk.tani, state="held", headline="Ditahan masa jeda"),
            "rejected": desk.release(desk.tani, state="rejected", headline="Ditolak kepala dinas"),
            "withdrawn": desk.release(desk.tani, state="withdrawn", headline="Ditarik setelah terbit"),
            "embargoed": desk.release(desk.tani, public_from=NOW + timedelta(hours=2),
                                      headline="Masih diembargo sampai siang"),
            "unscheduled": desk.release(desk.tani, public_from=None, headline="Disetujui tanpa waktu terbit"),
        }
        session.commit()

        listing = client.get("/pers").get_data(as_text=True)
        opd_page = client.get("/pers/opd/DISTANPANGAN").get_data(as_text=True)
        feeds = [_titles(_feed(client.get(url)))
                 for url in ("/pers/feed.atom", "/pers/opd/DISTANPANGAN/feed.atom")]
        assert "Panen raya padi Jawa Tengah" in listing and "Panen raya padi Jawa Tengah" in opd_page
        assert all(titles == ["Panen raya padi Jawa Tengah"] for titles in feeds)
        assert client.get(newsroom.release_path(shown)).status_code == 200
        for why, release in hidden.items():
            path = newsroom.release_path(release)
            for url in (path, f"/pers/{release.id}", f"{path}.pdf"):
                assert client.get(url).status_code == 404, (why, url)
            assert release.headline not in listing and release.headline not in opd_page, why
        assert "1 siaran pers" in listing  # the count is of public releases only
        assert client.get("/pers/999999/tidak-ada").status_code == 404


def test_an_embargoed_release_appears_by_itself_when_the_embargo_lifts(client, desk, session):
    embargo = NOW + timedelta(hours=3)  # 11.00 WIB
    with clock.frozen(NOW):
        release = desk.release(desk.tani, headline="Harga gabah naik menjelang panen", embargo_until=embargo,
                               send_before_embargo=True, public_from=embargo)
        session.commit()
        path = newsroom.release_path(release)
        assert client.get(path).status_code == 404
        assert "Harga gabah" not in client.get("/pers").get_data(as_text=True)
        assert _feed(client.get("/pers/feed.atom")) == []

        clock.advance(timedelta(hours=3) - timedelta(seconds=1))
        assert client.get(path).status_code == 404  # one second before: still hidden

        clock.advance(timedelta(seconds=1))
        page = client.get(path)
        assert page.status_code == 200
        assert "Harga gabah naik menjelang panen" in page.get_data(as_text=True)
        assert "2 Maret 2026 11.00 WIB" in page.get_data(as_text=True)
        assert "Harga gabah" in client.get("/pers").get_data(as_text=True)
        assert _titles(_feed(client.get("/pers/feed.atom"))) == ["Harga gabah naik menjelang panen"]


# The list --------------------------------------------------------------------------------------------------
def test_the_list_is_newest_first_and_filters_by_opd_and_topic(client, desk, session):
    pangan, kesehatan = desk.beats["Pertanian dan Pangan"], desk.beats["Kesehatan"]
    with clock.frozen(NOW):
        desk.release(desk.tani, headline="Pupuk bersubsidi tersedia", public_from=NOW - timedelta(days=2),
                     topics=[pangan])
        desk.release(desk.kes, headline="Imunisasi campak serentak", public_from=NOW - timedelta(days=1),
                     topics=[kesehatan])
        desk.release(desk.tani, headline="Posyandu dan gizi petani", public_from=NOW - timedelta(hours=1),
                     topics=[pangan, kesehatan])
        session.commit()

        page = client.get("/pers").get_data(as_text=True)
        order = [page.index(h) for h in ("Posyandu dan gizi", "Imunisasi campak", "Pupuk bersubsidi")]
        assert order == sorted(order)
        # The filters are labelled select controls, sent with GET.
        assert re.search(r'<form method="get" action="/pers"', page)
        assert '<label for="news-opd">' in page and '<select id="news-opd" name="opd">' in page
        assert '<label for="news-topic">' in page and '<select id="news-topic" name="topik">' in page
        assert f'<option value="{pangan.id}">Pertanian dan Pangan</option>' in page
        assert "Olahraga" not in page  # only topics that public releases carry

        by_opd = client.get("/pers?opd=DINKES").get_data(as_text=True)
        assert "Imunisasi campak" in by_opd and "Pupuk bersubsidi" not in by_opd
        assert "Posyandu dan gizi" not in by_opd

        by_topic = client.get(f"/pers?topik={kesehatan.id}").get_data(as_text=True)
        assert "Imunisasi campak" in by_topic and "Posyandu dan gizi" in by_topic
        assert "Pupuk bersubsidi" not in by_topic

        both = client.get(f"/pers?opd=DISTANPANGAN&topik={kesehatan.id}").get_data(as_text=True)
        assert "Posyandu dan gizi" in both and "Imunisasi campak" not in both and "Pupuk" not in both
        assert f'<option value="{kesehatan.id}" selected>' in both

        # Nonsense in the address: a notice, every release, never an error.
        for query in ("opd=NOPE", "topik=abc", "topik=99999", "page=abc", "page=-3", "opd=" + "x" * 500):
            response = client.get(f"/pers?{query}")
            assert response.status_code == 200, query
            assert "Imunisasi campak" in response.get_data(as_text=True), query
        assert "NOPE" in client.get("/pers?opd=NOPE").get_data(as_text=True)


def test_the_list_pages_by_twenty(client, desk, session):
    with clock.frozen(NOW):
        for i in range(21):
            desk.release(desk.kes, headline=f"Kabar kesehatan edisi {i:02d}",
                         public_from=NOW - timedelta(hours=i + 1))
        session.commit()
        first = client.get("/pers").get_data(as_text=True)
        second = client.get("/pers?page=2").get_data(as_text=True)
    assert first.count('class="data-card news-card"') == 20
    assert "edisi 00" in first and "edisi 20" not in first
    assert second.count('class="data-card news-card"') == 1 and "edisi 20" in second
    assert "/pers?page=2" in first


# A release -------------------------------------------------------------------------------------------------
@pytest.fixture
def full_release(desk, session, storage):
    """A public release with everything: sources, contact, photos, infographic, attachment, topics,
    an English version."""
    with clock.frozen(NOW):
        release = desk.release(
            desk.tani, headline="Produksi padi Jawa Tengah naik 4,2 persen", body=BODY,
            lead="Produksi padi Jawa Tengah 2025 mencapai 9,08 juta ton.",
            sources=[{"name": "Ir. Supriyanto, M.M.",
                      "position": "Plt. Kepala Dinas Pertanian dan Perkebunan"}],
            contact_name="Dewi Lestari", contact_position="Kepala Subbagian Umum",
            contact_phone="+6281234567890", contact_email="humas@distanbun.jatengprov.go.id",
            headline_en="Central Java rice output up 4.2 percent",
            lead_en="Central Java produced 9.08 million tonnes of rice in 2025.",
            body_en="Rice output **rose 4.2%** on last year.", topics=[desk.beats["Pertanian dan Pangan"]],
            embargo_until=NOW - timedelta(hours=1))
        desk.photo(release)
        desk.photo(release, caption="Petani memanen padi.", credit="", alt_text="")
        desk.infographic(release, desk.dataset.current_version_id)
        storage.put(f"press/{release.id}/laporan.pdf", b"%PDF-1.4 uji", public=True)
        release.attachments.append(ReleaseAttachment(storage_key=f"press/{release.id}/laporan.pdf",
                                                     filename="laporan-produksi-padi.pdf",
                                                     size_bytes=1_250_000, sha256="1" * 64))
        session.commit()
    return release


def test_the_release_page_shows_everything_a_journalist_needs(client, full_release, desk):
    release = full_release
    with clock.frozen(NOW + timedelta(minutes=5)):
        response = client.get(newsroom.release_path(release))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Produksi padi Jawa Tengah naik 4,2 persen</h1>" in page
    assert "Number: 480/1/DISTANPANGAN/III/2026" in page or "Nomor: 480/1/DISTANPANGAN/III/2026" in page
    assert "2 Maret 2026 07.00 WIB" in page  # public_from, in WIB
    assert "Produksi padi Jawa Tengah 2025 mencapai 9,08 juta ton." in page
    assert "<strong>naik 4,2%</strong>" in page and "<h2>Rincian</h2>" in page
    assert "<script>alert" not in page and 'alert("x")' not in page
    # Sources and the contact block.
    assert "Ir. Supriyanto, M.M." in page and "Plt. Kepala Dinas Pertanian dan Perkebunan" in page
    assert "Dewi Lestari" in page and "Kepala Subbagian Umum" in page
    assert 'href="tel:+6281234567890"' in page and "0812-3456-7890" in page
    assert 'href="mailto:humas@distanbun.jatengprov.go.id"' in page
    assert 'href="/pers/opd/DISTANPANGAN.vcf"' in page
    # Photos: shown with alt text (or the caption), caption and credit, downloadable full size.
    first, second = release.photos
    assert f'alt="{PHOTO_ALT}"' in page and 'alt="Petani memanen padi."' in page
    assert "Panen raya di Demak." in page and "Humas Distanpangan" in page
    assert f'href="/media/{first.storage_key}" download="{release.slug}-foto-1.jpg"' in page
    assert f'href="/media/{second.storage_key}" download="{release.slug}-foto-2.jpg"' in page
    assert f'srcset="/media/{first.thumb_key} 480w, /media/{first.storage_key} 1600w"' in page
    # The infographic, with its alt text from the data centre and a link to its data.
    chart = release.infographics[0].image
    assert f'alt="{CHART_ALT}"' in page and f'href="/media/{chart.storage_key}"' in page
    assert f'href="/data/{desk.dataset.slug}"' in page
    # Attachments and the printable PDF.
    assert 'download="laporan-produksi-padi.pdf"' in page and "1,2 MB" in page
    assert f'href="{newsroom.release_path(release)}.pdf"' in page
    # Topics link back to the filtered list; the English version is offered.
    assert f'href="/pers?topik={desk.beats["Pertanian dan Pangan"].id}"' in page
    assert f'href="{newsroom.release_path(release)}?lang=en"' in page and 'hreflang="en"' in page
    assert "Central Java rice output" not in page
    # Every image carries alt text (decorative ones an empty one).
    assert all(' alt="' in tag for tag in re.findall(r"<img\b[^>]*>", page))


def test_the_english_version_is_one_link_away(client, full_release):
    with clock.frozen(NOW):
        page = client.get(f"{newsroom.release_path(full_release)}?lang=en").get_data(as_text=True)
        plain = client.get(newsroom.release_path(full_release)).get_data(as_text=True)
    assert '<h1 id="release-title" lang="en">Central Java rice output up 4.2 percent</h1>' in page
    assert "Central Java produced 9.08 million tonnes" in page and "<strong>rose 4.2%</strong>" in page
    assert "Produksi padi Jawa Tengah naik 4,2 persen</h1>" not in page
    assert f'href="{newsroom.release_path(full_release)}" hreflang="id"' in page
    assert f'<link rel="canonical" href="{PUBLIC_URL}{newsroom.release_path(full_release)}?lang=en">' in page
    assert f'<link rel="canonical" href="{PUBLIC_URL}{newsroom.release_path(full_release)}">' in plain


def test_link_previews_carry_absolute_addresses(client, full_release, desk, session, storage):
    with clock.frozen(NOW):
        page = client.get(newsroom.release_path(full_release)).get_data(as_text=True)
        meta = _meta(page)
        assert meta["og:type"] == "article"
        assert meta["og:site_name"] == "Pressroom Jawa Tengah" and meta["og:locale"] == "id_ID"
        assert meta["og:title"] == "Produksi padi Jawa Tengah naik 4,2 persen"
        assert meta["og:description"] == "Produksi padi Jawa Tengah 2025 mencapai 9,08 juta ton."
        assert meta["og:url"] == f"{PUBLIC_URL}{newsroom.release_path(full_release)}"
        chart = full_release.infographics[0].image
        assert meta["og:image"] == f"{PUBLIC_URL}/media/{chart.storage_key}"  # the infographic first
        assert meta["og:image:alt"] == CHART_ALT
        assert meta["twitter:card"] == "summary_large_image" and meta["twitter:image"] == meta["og:image"]
        assert meta["article:published_time"] == full_release.public_from.isoformat()
        assert f'<link rel="alternate" type="application/atom+xml" title="Siaran pers (Atom)" ' \
               f'href="{PUBLIC_URL}/pers/feed.atom">' in page
        assert f'href="{PUBLIC_URL}/pers/opd/DISTANPANGAN/feed.atom"' in page

        # A release with photos only shows its first photo; the list shows the newest release's picture.
        only_photo = desk.release(desk.kes, headline="Foto saja", public_from=NOW - timedelta(minutes=1))
        photo = desk.photo(only_photo)
        session.commit()
        meta = _meta(client.get(newsroom.release_path(only_photo)).get_data(as_text=True))
        assert meta["og:image"] == f"{PUBLIC_URL}/media/{photo.storage_key}"
        assert meta["og:image:type"] == "image/jpeg"
        for url in ("/pers", "/pers/opd/DINKES"):
            listing = client.get(url).get_data(as_text=True)
            meta = _meta(listing)
            assert meta["og:url"] == PUBLIC_URL + url and meta["og:type"] == "website"
            assert meta["og:image"] == f"{PUBLIC_URL}/media/{photo.storage_key}"
            assert f'href="{PUBLIC_URL}/pers/feed.atom"' in listing

        bare = desk.release(desk.kes, headline="Tanpa gambar", public_from=NOW - timedelta(seconds=1))
        session.commit()
        meta = _meta(client.get(newsroom.release_path(bare)).get_data(as_text=True))
        assert meta["twitter:card"] == "summary" and "og:image" not in meta
        assert meta["og:url"].startswith(PUBLIC_URL + "/pers/")


def test_a_wrong_slug_and_the_short_address_redirect_permanently(client, full_release):
    path = newsroom.release_path(full_release)
    with clock.frozen(NOW):
        for url, target in ((f"/pers/{full_release.id}", path), (f"/pers/{full_release.id}/judul-lama", path),
                            (f"/pers/{full_release.id}/judul-lama?lang=en", f"{path}?lang=en"),
                            (f"/pers/{full_release.id}/judul-lama.pdf", f"{path}.pdf")):
            response = client.get(url)
            assert response.status_code == 301, url
            assert response.headers["Location"] == target, url
        assert client.get(path).status_code == 200
        # Other query arguments are dropped, never an error.
        response = client.get(f"/pers/{full_release.id}/x?release_id=9&release_slug=y&utm_source=wa")
        assert response.status_code == 301 and response.headers["Location"] == path
        assert client.get(f"{path}?release_id=9&lang=xx").status_code == 200


def test_release_path_is_the_route(app, full_release):
    with app.test_request_context():
        from flask import url_for

        path = url_for("newsroom.release", release_id=full_release.id,
                       release_slug=newsroom.release_slug(full_release))
    assert path == newsroom.release_path(full_release) == releases.public_path(full_release)
    assert path == f"/pers/{full_release.id}/{newsroom.release_slug(full_release)}"
    assert newsroom.release_url(full_release, PUBLIC_URL + "/") == PUBLIC_URL + path


def test_a_release_without_a_stored_slug_gets_one_from_its_headline(client, desk, session):
    with clock.frozen(NOW):
        release = desk.release(desk.tani, headline="Bantuan Benih untuk 1.000 Petani")
        release.slug = ""
        session.commit()
        assert newsroom.release_path(release) == f"/pers/{release.id}/bantuan-benih-untuk-1-000-petani"
        assert client.get(newsroom.release_path(release)).status_code == 200


# Corrections and invitations -------------------------------------------------------------------------------
def test_a_correction_is_shown_on_the_original_and_links_back(client, desk, session):
    with clock.frozen(NOW):
        original = desk.release(desk.tani, headline="Luas panen padi 1,7 juta hektare",
                                public_from=NOW - timedelta(days=1))
        correction = desk.release(desk.tani, kind="ralat", corrects_id=original.id,
                                  headline="Ralat: luas panen padi 1,6 juta hektare",
                                  correction_note="Luas panen tertulis 1,7 juta hektare; "
                                                  "yang benar 1,6 juta hektare.",
                                  public_from=NOW - timedelta(hours=2))
        pending = desk.release(desk.tani, kind="ralat", corrects_id=original.id, headline="Ralat kedua",
                               correction_note="Belum terbit.", public_from=NOW + timedelta(days=1))
        session.commit()

        page = client.get(newsroom.release_path(original)).get_data(as_text=True)
        box = page[page.index('class="data-corrections news-corrections"'):page.index('<article')]
        assert f'href="{newsroom.release_path(correction)}"' in box
        assert "2 Maret 2026 06.00 WIB" in box
        assert "yang benar 1,6 juta hektare" in box and correction.number in box
        assert "Belum terbit." not in page and newsroom.release_path(pending) not in page

        own = client.get(newsroom.release_path(correction)).get_data(as_text=True)
        assert f'href="{newsroom.release_path(original)}"' in own and original.number in own
        assert "yang benar 1,6 juta hektare" in own

        listing = client.get("/pers").get_data(as_text=True)
        cards = {re.search(r'<a href="[^"]+">([^<]+)</a></h2>', li).group(1): li
                 for li in re.findall(r'<li class="data-card news-card">.*?</li>', listing, re.S)}
        assert "data-correction-tag" in cards["Luas panen padi 1,7 juta hektare"]
        assert "data-correction-tag" not in cards["Ralat: luas panen padi 1,6 juta hektare"]

        # A correction of a release that was withdrawn names its number, without its text or a link.
        original.state = "withdrawn"
        session.commit()
        own = client.get(newsroom.release_path(correction)).get_data(as_text=True)
        assert original.number in own and "Luas panen padi 1,7 juta hektare" not in own
        assert f'href="{newsroom.release_path(original)}"' not in own


def test_a_coverage_invitation_shows_what_where_and_when_in_wib(client, desk, session):
    with clock.frozen(NOW):
        invitation = desk.release(desk.kes, kind="undangan", headline="Undangan liputan peluncuran imunisasi",
                                  agenda="Peluncuran Bulan Imunisasi Anak Nasional",
                                  venue="Gedung Gradhika, Semarang",
                                  event_starts_at=datetime(2026, 3, 5, 2, 0, tzinfo=UTC),
                                  event_ends_at=datetime(2026, 3, 5, 4, 30, tzinfo=UTC))
        session.commit()
        page = client.get(newsroom.release_path(invitation)).get_data(as_text=True)
        assert "Peluncuran Bulan Imunisasi Anak Nasional" in page and "Gedung Gradhika, Semarang" in page
        assert "5 Maret 2026 09.00 WIB" in page and "5 Maret 2026 11.30 WIB" in page
        doc = newsroom.release_doc(invitation, desk.storage, PUBLIC_URL)
        assert "**Tempat:** Gedung Gradhika, Semarang" in doc.body_markdown
        assert "5 Maret 2026 09.00 WIB – 11.30 WIB" in doc.body_markdown


# Files: PDF, feeds, vCard ----------------------------------------------------------------------------------
def test_the_printable_pdf_opens_and_holds_the_release(client, full_release, desk, session):
    with clock.frozen(NOW):
        correction = desk.release(desk.tani, kind="ralat", corrects_id=full_release.id,
                                  headline="Ralat produksi",
                                  correction_note="Angka Grobogan diperbaiki.", contact_name="Dewi Lestari")
        session.commit()
        response = client.get(f"{newsroom.release_path(full_release)}.pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"] == f'inline; filename="{full_release.slug}.pdf"'
        reader = PdfReader(io.BytesIO(response.data))
        text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
        assert "Produksi padi Jawa Tengah naik 4,2 persen" in text
        assert full_release.number in text
        assert "Dewi Lestari" in text and "0812-3456-7890" in text and "Kepala Subbagian Umum" in text
        assert "Ir. Supriyanto, M.M." in text
        assert f"{PUBLIC_URL}{newsroom.release_path(full_release)}" in text
        assert "EMBARGO" in text
        assert reader.metadata.title == "Produksi padi Jawa Tengah naik 4,2 persen"
        # Both photos are in it, full size.
        images = [image for page in reader.pages for image in page.images]
        assert sum(1 for i in images if i.image.size == (1600, 1067)) == 2

        corrected = PdfReader(io.BytesIO(client.get(f"{newsroom.release_path(correction)}.pdf").data))
        text = " ".join(" ".join((page.extract_text() or "").split()) for page in corrected.pages)
        assert "RALAT" in text and f"Ralat atas siaran pers nomor {full_release.number}" in text
        assert "Angka Grobogan diperbaiki." in text


def test_a_missing_photo_file_does_not_break_the_pdf(client, full_release, storage):
    storage.delete(full_release.photos[0].storage_key, public=True)
    with clock.frozen(NOW):
        response = client.get(f"{newsroom.release_path(full_release)}.pdf")
    assert response.status_code == 200
    assert PdfReader(io.BytesIO(response.data)).pages


def test_the_feeds_are_atom_with_the_release_content(client, full_release, desk, session):
    with clock.frozen(NOW):
        other = desk.release(desk.kes, headline="Imunisasi campak serentak",
                             public_from=NOW - timedelta(days=1))
        session.commit()
        entries = _feed(client.get("/pers/feed.atom"))
        assert _titles(entries) == ["Produksi padi Jawa Tengah naik 4,2 persen", "Imunisasi campak serentak"]
        entry = entries[0]
        assert entry.findtext(f"{ATOM}id") == f"{PUBLIC_URL}/pers/{full_release.id}"
        assert entry.find(f"{ATOM}link").get("href") == f"{PUBLIC_URL}{newsroom.release_path(full_release)}"
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated")) == full_release.public_from
        assert entry.findtext(f"{ATOM}summary") == "Produksi padi Jawa Tengah 2025 mencapai 9,08 juta ton."
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html" and "<strong>naik 4,2%</strong>" in content.text
        assert "<script>" not in content.text
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Dinas Pertanian dan Perkebunan"
        assert entry.find(f"{ATOM}category").get("label") == "Pertanian dan Pangan"

        root = ET.fromstring(client.get("/pers/feed.atom").data)
        links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
        assert links == {"self": f"{PUBLIC_URL}/pers/feed.atom", "alternate": f"{PUBLIC_URL}/pers"}
        assert datetime.fromisoformat(root.findtext(f"{ATOM}updated")) == full_release.public_from

        kes = _feed(client.get("/pers/opd/DINKES/feed.atom"))
        assert _titles(kes) == ["Imunisasi campak serentak"]
        assert kes[0].findtext(f"{ATOM}author/{ATOM}name") == "Dinas Kesehatan"
        assert other.id != full_release.id
        assert client.get("/pers/opd/NOPE/feed.atom").status_code == 404
        assert client.get("/pers/opd/dinkes/feed.atom").headers["Location"] == "/pers/opd/DINKES/feed.atom"


def test_a_feed_holds_the_latest_fifty(client, desk, session):
    with clock.frozen(NOW):
        for i in range(52):
            desk.release(desk.kes, headline=f"Kabar {i:02d}", public_from=NOW - timedelta(minutes=i + 1))
        session.commit()
        titles = _titles(_feed(client.get("/pers/feed.atom")))
    assert len(titles) == 50 and titles[0] == "Kabar 00" and titles[-1] == "Kabar 49"


def test_the_opd_contact_card_is_a_vcard(client, desk, session):
    session.add(PressProfile(opd_id=desk.tani.id, contact_name="Dewi Lestari",
                             contact_position="Kepala Subbagian Umum dan Kepegawaian",
                             contact_phone="+6281234567890", contact_email="humas@distanbun.jatengprov.go.id",
                             address="Jl. Gatot Subroto, Tarubudaya, Ungaran, Kabupaten Semarang",
                             website="https://distanbun.jatengprov.go.id"))
    session.commit()
    response = client.get("/pers/opd/DISTANPANGAN.vcf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/vcard; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="kontak-pers-distanpangan.vcf"'
    card = vobject.readOne(response.get_data(as_text=True))
    assert card.version.value in ("3.0", "4.0")
    assert card.fn.value == "Dewi Lestari"
    assert card.org.value == ["Dinas Pertanian dan Perkebunan"]
    assert card.title.value == "Kepala Subbagian Umum dan Kepegawaian"
    assert card.tel.value == "+6281234567890"
    assert {t.lower() for t in card.tel.params["TYPE"]} == {"work", "voice"}
    assert card.email.value == "humas@distanbun.jatengprov.go.id"
    assert "Ungaran" in card.adr.value.street and "Ungaran" in card.label.value
    assert [u.value for u in card.contents["url"]] == [f"{PUBLIC_URL}/pers/opd/DISTANPANGAN",
                                                       "https://distanbun.jatengprov.go.id"]

    # No press profile: the card is the OPD itself.
    bare = vobject.readOne(client.get("/pers/opd/DINKES.vcf").get_data(as_text=True))
    assert bare.fn.value == "Dinas Kesehatan" and bare.org.value == ["Dinas Kesehatan"]
    assert "tel" not in bare.contents and bare.url.value == f"{PUBLIC_URL}/pers/opd/DINKES"
    assert client.get("/pers/opd/NOPE.vcf").status_code == 404


def test_the_opd_page_shows_its_contact_and_releases(client, desk, session):
    session.add(PressProfile(opd_id=desk.tani.id, contact_name="Dewi Lestari", contact_position="Humas",
                             contact_phone="+6281234567890", contact_email="humas@distanbun.jatengprov.go.id",
                             website="javascript:alert(1)"))
    with clock.frozen(NOW):
        desk.release(desk.tani, headline="Pupuk bersubsidi tersedia")
        desk.release(desk.kes, headline="Imunisasi campak serentak")
        session.commit()
        page = client.get("/pers/opd/DISTANPANGAN").get_data(as_text=True)
        assert "<h1>Dinas Pertanian dan Perkebunan</h1>" in page
        assert "Dewi Lestari" in page and 'href="tel:+6281234567890"' in page and "0812-3456-7890" in page
        assert 'href="/pers/opd/DISTANPANGAN.vcf"' in page
        assert "javascript:" not in page
        assert "Pupuk bersubsidi tersedia" in page and "Imunisasi campak" not in page

        bare = client.get("/pers/opd/DINKES").get_data(as_text=True)
        assert "<h1>Dinas Kesehatan</h1>" in bare and "Imunisasi campak serentak" in bare
        assert "Dewi Lestari" not in bare and 'href="/pers/opd/DINKES.vcf"' in bare

        assert client.get("/pers/opd/NOPE").status_code == 404
        redirect = client.get("/pers/opd/dinkes?opd_code=x&page=2")
        assert redirect.status_code == 301 and redirect.headers["Location"] == "/pers/opd/DINKES?page=2"


def test_the_public_footer_links_to_the_newsroom(client):
    assert 'href="/pers"' in client.get("/").get_data(as_text=True)
