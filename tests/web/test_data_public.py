"""The public data centre and its read API: internal datasets stay invisible (404 everywhere),
a public dataset shows its real figures formatted for Indonesian readers, hidden columns never
leave (page, CSV, XLSX, API), corrections keep their note, link previews carry the chart, and
the downloads give back exactly what is stored."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from pressroom.datasets import tables
from pressroom.models import DatasetImage, DatasetVersion
from pressroom.services import datasets
from pressroom.web.data_public import csv_value, display_cell, json_value

FIXTURES = Path(__file__).parents[1] / "datasets" / "fixtures"
PENDUDUK = FIXTURES / "bps_penduduk_luas_2025.csv"
PADI = FIXTURES / "padi_jateng_provinsi.csv"
NIK = "3374001201900001"  # the first row's value in the hidden column
ALT = "Diagram batang: Penduduk Jawa Tengah 2025. Nilai terbesar: Kabupaten Brebes, 2,07 juta jiwa."


def _records(data: bytes, name: str, nik: bool = False):
    preview = tables.preview(tables.read_table(data, name))
    records = preview.records()
    if nik:
        for i, row in enumerate(records):
            row["NIK"] = f"3374{i:02d}1201900001"[:16]
    return records, preview.row_numbers, preview.number_formats


def _ingest(session, dataset, data: bytes, user, name: str = "penduduk.csv", nik: bool = False, **kwargs):
    records, numbers, formats = _records(data, name, nik)
    return datasets.ingest(session, dataset, records, origin=f"upload:{name}", author=user,
                           row_numbers=numbers, number_formats=formats, **kwargs)


def _image(storage, version: DatasetVersion, preset: str, size: tuple[int, int],
           page: int = 0) -> DatasetImage:
    png, jpeg = io.BytesIO(), io.BytesIO()
    picture = Image.new("RGB", size, (31, 78, 121))
    picture.save(png, format="PNG")
    picture.thumbnail((540, 540))
    picture.save(jpeg, format="JPEG")
    key = f"charts/test/v{version.id}-{preset}-{page}.png"
    storage.put(key, png.getvalue(), public=True)
    storage.put(key.replace(".png", "-thumb.jpg"), jpeg.getvalue(), public=True)
    return DatasetImage(version_id=version.id, preset=preset, page=page,
                        cache_key=f"{version.id}{preset}{page}", storage_key=key,
                        thumb_key=key.replace(".png", "-thumb.jpg"), width=size[0], height=size[1],
                        alt_text=ALT if page == 0 else f"Gambar {page + 1}")


@pytest.fixture
def centre(factory, session, storage):
    """Two public datasets (one with a hidden NIK column, a correction and a later update) and
    two internal ones (a draft, and one waiting for approval)."""
    dukcapil = factory.opd("DISDUKCAPIL", short_name="Disdukcapil",
                           name="Dinas Kependudukan dan Pencatatan Sipil")
    tani = factory.opd("DISTANPANGAN", short_name="Distanpangan", name="Dinas Pertanian dan Perkebunan")
    editor = factory.user("editor", dukcapil)
    tani_editor = factory.user("editor", tani)
    walidata = factory.user("walidata", factory.opd("BAPPEDA"))

    penduduk = datasets.create_dataset(
        session, editor, opd_id=dukcapil.id, title="Penduduk Jawa Tengah 2025", key_column="Kode",
        description="Jumlah penduduk dan luas wilayah per kabupaten/kota.", topic="Kependudukan", unit="jiwa",
        source_line="Sumber: Kepmendagri No. 300.2.2-2138/2025", processed_by="Diolah oleh Diskominfo Jateng",
        period="2025", update_frequency="Tahunan")
    _ingest(session, penduduk, PENDUDUK.read_bytes(), editor, nik=True)
    datasets.resolve_flag(session, editor, penduduk, "NIK", "hidden")
    datasets.request_publication(session, editor, penduduk)
    assert datasets.decide_publication(session, walidata, penduduk, approve=True)
    corrected = PENDUDUK.read_bytes().replace(b"805,757", b"805,760")
    _ingest(session, penduduk, corrected, editor, name="ralat.csv", nik=True,
            correction_note="Luas Kabupaten Purbalingga salah ketik pada versi sebelumnya.")
    latest = _ingest(session, penduduk, corrected.replace(b"2.066.426", b"2.066.500"), editor,
                     name="update.csv", nik=True).version
    session.flush()
    for image in (_image(storage, latest, "portrait", (1080, 1350)),
                  _image(storage, latest, "portrait", (1080, 1350), page=1),
                  _image(storage, latest, "landscape", (1600, 900))):
        session.add(image)

    padi = datasets.create_dataset(session, tani_editor, opd_id=tani.id, title="Produksi Padi Jawa Tengah",
                                   key_column="tahun", topic="Pertanian", unit="ton", provisional=True)
    _ingest(session, padi, PADI.read_bytes(), tani_editor, name="padi.csv")
    datasets.request_publication(session, tani_editor, padi)
    assert datasets.decide_publication(session, walidata, padi, approve=True)

    draft = datasets.create_dataset(session, editor, opd_id=dukcapil.id, title="Penduduk rahasia internal",
                                    key_column="Kode", topic="Kependudukan")
    _ingest(session, draft, PENDUDUK.read_bytes(), editor)
    waiting = datasets.create_dataset(session, editor, opd_id=dukcapil.id,
                                      title="Penduduk menunggu persetujuan", key_column="Kode",
                                      topic="Kependudukan")
    _ingest(session, waiting, PENDUDUK.read_bytes(), editor)
    datasets.request_publication(session, editor, waiting)
    session.commit()
    return {"penduduk": penduduk, "padi": padi, "draft": draft, "waiting": waiting, "editor": editor,
            "latest": latest}


def _text(response) -> str:
    return response.get_data(as_text=True)


# Internal stays invisible ------------------------------------------------------------------------------
def test_internal_and_unknown_datasets_are_404_everywhere(client, centre):
    for name in ("draft", "waiting"):
        slug = centre[name].slug
        for path in (f"/data/{slug}", f"/data/{slug}/v1.csv", f"/data/{slug}/v1.xlsx"):
            assert client.get(path).status_code == 404, path
        api = client.get(f"/api/v1/datasets/{slug}")
        assert api.status_code == 404
        assert api.json == client.get("/api/v1/datasets/tidak-ada").json  # never reveals existence
        assert api.json["error"]["code"] == "not_found" and api.json["error"]["message"]
        assert api.headers["Access-Control-Allow-Origin"] == "*"
    page = _text(client.get("/data"))
    assert "Penduduk Jawa Tengah 2025" in page and "Produksi Padi" in page
    assert "rahasia" not in page and "menunggu" not in page
    listed = {d["slug"] for d in client.get("/api/v1/datasets").json["data"]}
    assert listed == {centre["penduduk"].slug, centre["padi"].slug}


def test_a_dataset_taken_off_the_public_pages_is_404_again(client, session, centre, factory):
    dataset = centre["padi"]
    assert client.get(f"/data/{dataset.slug}").status_code == 200
    datasets.make_internal(session, factory.user("walidata", factory.opd("SETDA")), dataset, "Perlu dicek")
    session.commit()
    assert client.get(f"/data/{dataset.slug}").status_code == 404
    assert client.get(f"/data/{dataset.slug}/v1.csv").status_code == 404
    assert client.get(f"/api/v1/datasets/{dataset.slug}").status_code == 404


def test_held_versions_and_unknown_numbers_are_not_downloadable(client, centre):
    slug = centre["penduduk"].slug
    assert client.get(f"/data/{slug}/v4.csv").status_code == 404
    assert client.get(f"/data/{slug}/v0.xlsx").status_code == 404
    assert client.get(f"/api/v1/datasets/{slug}?version=9").json["error"]["code"] == "not_found"
    bad = client.get(f"/api/v1/datasets/{slug}?version=satu")
    assert bad.status_code == 400 and bad.json["error"]["code"] == "bad_request"


# The dataset page ------------------------------------------------------------------------------------------
def test_the_page_shows_the_real_figures_in_indonesian_format_and_no_hidden_column(client, centre):
    response = client.get(f"/data/{centre['penduduk'].slug}")
    assert response.status_code == 200
    page = _text(response)
    assert '<th scope="row">Kabupaten Cilacap</th>' in page
    assert '<td class="num">2.059.748</td>' in page  # id_ID thousands, right-aligned
    assert '<td class="num">2.325,173</td>' in page  # every stored decimal, comma
    assert '<td class="num">2.066.500</td>' in page  # the latest version's figure
    assert re.search(r"<caption[^>]*>Penduduk Jawa Tengah 2025", page)
    assert '<th scope="col" class="num">Jumlah</th>' in page
    assert "NIK" not in page and NIK not in page
    for fact in ("Dinas Kependudukan dan Pencatatan Sipil", "Kependudukan", "jiwa", "Kepmendagri",
                 "Diolah oleh Diskominfo Jateng", "Tahunan", "CC BY 4.0"):
        assert fact in page, fact
    assert f'alt="{ALT}"' in page and 'width="1080" height="1350"' in page
    assert "Gambar 2" in page  # the carousel's other page


def test_a_correction_note_stays_visible_after_a_later_version(client, centre):
    page = _text(client.get(f"/data/{centre['penduduk'].slug}"))
    assert centre["latest"].number == 3
    assert page.count("Luas Kabupaten Purbalingga salah ketik pada versi sebelumnya.") == 2  # box + history
    assert 'class="data-corrections"' in page
    for number in (1, 2, 3):
        assert f"/data/{centre['penduduk'].slug}/v{number}.csv" in page
        assert f"/data/{centre['penduduk'].slug}/v{number}.xlsx" in page


def test_link_previews_carry_the_chart_at_an_absolute_public_address(client, centre):
    page = _text(client.get(f"/data/{centre['penduduk'].slug}"))
    meta = dict(re.findall(r'<meta (?:property|name)="((?:og|twitter):[a-z:_]+)" content="([^"]*)"', page))
    assert meta["og:title"] == "Penduduk Jawa Tengah 2025" and meta["og:site_name"] == "Pressroom Jawa Tengah"
    assert meta["og:locale"] == "id_ID"
    assert meta["og:description"].startswith("Jumlah penduduk")
    assert meta["og:url"] == f"http://pressroom.test/data/{centre['penduduk'].slug}"
    assert re.fullmatch(r"http://pressroom\.test/media/charts/test/v\d+-landscape-0\.png", meta["og:image"])
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1600", "900")
    assert meta["twitter:card"] == "summary_large_image" and meta["twitter:image"] == meta["og:image"]
    # The embed snippet: the page's chart at its public address, with its alt text.
    embed = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert embed.startswith("&lt;img src=&#34;http://pressroom.test/media/charts/test/")
    assert "portrait-0.png" in embed and "Kabupaten Brebes" in embed


def test_a_page_without_rendered_images_still_shows_the_data(client, centre):
    page = _text(client.get(f"/data/{centre['padi'].slug}"))
    assert '<meta name="twitter:card" content="summary">' in page and "og:image" not in page
    assert '<th scope="row">2019</th><td class="num">1.680.000</td><td class="num">9.660.000</td>' in page
    assert "provisional" in page or "sementara" in page


# Downloads -----------------------------------------------------------------------------------------------
def _stored(session, dataset, number: int) -> DatasetVersion:
    return session.query(DatasetVersion).filter_by(dataset_id=dataset.id, number=number).one()


def test_csv_downloads_give_back_the_stored_values_without_the_hidden_column(client, session, centre):
    dataset = centre["penduduk"]
    for number in (1, 3):
        response = client.get(f"/data/{dataset.slug}/v{number}.csv")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert f'filename="{dataset.slug}-v{number}.csv"' in response.headers["Content-Disposition"]
        body = response.get_data()
        assert body.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        stored = _stored(session, dataset, number)
        names = [c["name"] for c in stored.schema if c["name"] != "NIK"]
        assert list(rows[0]) == names
        assert [{k: ("" if r[k] is None else str(r[k])) for k in names} for r in stored.rows] == rows
        assert NIK.encode() not in body and b"NIK" not in body
    old = list(csv.DictReader(io.StringIO(client.get(f"/data/{dataset.slug}/v1.csv").get_data()
                                             .decode("utf-8-sig"))))
    brebes = next(r for r in old if r["Kode"] == "3329")
    assert brebes["Jumlah"] == "2066426" and brebes["Luas (km²)"] == "1754.77"


def test_xlsx_downloads_give_back_the_stored_values_as_numbers(client, session, centre):
    dataset = centre["penduduk"]
    response = client.get(f"/data/{dataset.slug}/v3.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book["Data"]
    values = list(sheet.iter_rows(values_only=True))
    stored = _stored(session, dataset, 3)
    names = [c["name"] for c in stored.schema if c["name"] != "NIK"]
    assert list(values[0]) == names
    for row, expected in zip(values[1:], stored.rows, strict=True):
        for name, cell in zip(names, row, strict=True):
            want = expected[name]
            if isinstance(cell, float):
                assert Decimal(repr(cell)) == Decimal(want), (name, cell, want)
            else:
                assert cell == want, (name, cell, want)
    cilacap = next(r for r in values[1:] if r[0] == "3301")
    assert cilacap[names.index("Jumlah")] == 2059748 and isinstance(cilacap[names.index("Jumlah")], int)
    assert len(book.sheetnames) == 2  # the data, and what it is (source, licence, version)
    about = {r[0]: r[1] for r in book[book.sheetnames[1]].iter_rows(values_only=True)}
    assert "Sumber: Kepmendagri No. 300.2.2-2138/2025" in about.values()
    everything = [str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row]
    assert "NIK" not in everything and NIK not in everything


def test_downloads_revalidate_with_an_etag(client, centre):
    path = f"/data/{centre['penduduk'].slug}/v2.csv"
    first = client.get(path)
    assert first.headers["ETag"] and "public" in first.headers["Cache-Control"]
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()


def test_csv_text_that_a_spreadsheet_would_run_is_defused_and_the_rest_is_exact():
    assert csv_value("=HYPERLINK(\"http://x\")", "text") == "'=HYPERLINK(\"http://x\")"
    assert csv_value("@SUM(A1)", "text") == "'@SUM(A1)"
    assert csv_value("+cmd|' /C calc'!A0", "text") == "'+cmd|' /C calc'!A0"
    for plain in ("-", "-12,5", "+62 812 0000", "Kabupaten Cilacap", "3301"):
        assert csv_value(plain, "text") == plain
    assert csv_value(Decimal("2325.173"), "decimal") == "2325.173"
    assert csv_value(None, "integer") == ""


def test_values_for_people_and_for_json():
    assert display_cell(2059748, "integer", "id") == "2.059.748"
    assert display_cell(Decimal("2325.173"), "decimal", "id") == "2.325,173"
    assert display_cell(Decimal("55.3"), "percent", "id") == "55,3%"
    assert display_cell(2025, "year", "id") == "2025"
    assert display_cell(None, "integer", "id") == "–"
    assert json_value(Decimal("2325.173")) == 2325.173
    assert json_value(Decimal("12345678901234567.891")) == "12345678901234567.891"  # no float holds it


# The JSON read API ---------------------------------------------------------------------------------------
def test_the_api_lists_public_datasets_with_pagination_and_cors(client, centre):
    response = client.get("/api/v1/datasets?per_page=1")
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.json
    assert body["meta"] == {"page": 1, "per_page": 1, "total": 2, "pages": 2}
    assert body["links"]["next"].startswith("http://pressroom.test/api/v1/datasets?")
    assert body["links"]["prev"] is None
    second = client.get("/api/v1/datasets?per_page=1&page=2").json
    slugs = {body["data"][0]["slug"], second["data"][0]["slug"]}
    assert slugs == {centre["penduduk"].slug, centre["padi"].slug}
    item = next(d for d in (body["data"] + second["data"]) if d["slug"] == centre["penduduk"].slug)
    assert item["current_version"] == 3 and item["opd"]["code"] == "DISDUKCAPIL"
    assert item["url"] == f"http://pressroom.test/data/{centre['penduduk'].slug}"
    assert client.get("/api/v1/datasets?page=nol").json["error"]["code"] == "bad_request"
    assert client.get("/api/v1/datasets?per_page=1000").status_code == 400
    assert "Access-Control-Allow-Origin" not in client.get("/data").headers


def test_the_api_gives_a_dataset_with_its_rows_and_no_hidden_column(client, centre):
    slug = centre["penduduk"].slug
    response = client.get(f"/api/v1/datasets/{slug}")
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.json["data"]
    assert data["title"] == "Penduduk Jawa Tengah 2025" and data["current_version"] == 3
    assert data["version"]["number"] == 3 and data["version"]["current"] is True
    assert [c["name"] for c in data["columns"]] == ["Kode", "Kabupaten/Kota", "Laki-laki", "Perempuan",
                                                      "Jumlah", "Luas (km²)"]
    assert len(data["rows"]) == 35
    cilacap = next(r for r in data["rows"] if r["Kode"] == "3301")
    assert cilacap["Jumlah"] == 2059748 and cilacap["Luas (km²)"] == 2325.173
    assert NIK not in response.get_data(as_text=True) and "NIK" not in response.get_data(as_text=True)
    versions = {v["number"]: v for v in data["versions"]}
    assert set(versions) == {1, 2, 3}
    assert versions[2]["correction_note"].startswith("Luas Kabupaten Purbalingga")
    assert versions[2]["corrects_version"] == 1
    assert versions[1]["csv_url"] == f"http://pressroom.test/data/{slug}/v1.csv"

    old = client.get(f"/api/v1/datasets/{slug}?version=1").json["data"]
    assert old["version"]["number"] == 1 and old["current_version"] == 3
    brebes = next(r for r in old["rows"] if r["Kode"] == "3329")
    assert brebes["Jumlah"] == 2066426


def test_the_api_revalidates_with_an_etag_that_follows_the_content(client, session, centre):
    path = f"/api/v1/datasets/{centre['penduduk'].slug}"
    first = client.get(path)
    tag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"]
    cached = client.get(path, headers={"If-None-Match": tag})
    assert cached.status_code == 304 and cached.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(path + "?version=1").headers["ETag"] != tag
    datasets.update_dataset(session, centre["editor"], centre["penduduk"], unit="orang")
    session.commit()
    changed = client.get(path, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.json["data"]["unit"] == "orang"


# The catalogue ----------------------------------------------------------------------------------------------
def test_the_catalogue_searches_and_filters(client, centre):
    def titles(query: str) -> set[str]:
        page = _text(client.get("/data" + query))
        return set(re.findall(r'<h2><a href="/data/[^"]+">([^<]+)</a></h2>', page))

    both = {"Penduduk Jawa Tengah 2025", "Produksi Padi Jawa Tengah"}
    assert titles("") == both
    assert titles("?q=padi") == {"Produksi Padi Jawa Tengah"}
    assert titles("?q=LUAS+wilayah") == {"Penduduk Jawa Tengah 2025"}  # the description counts, any case
    assert titles("?opd=DISTANPANGAN") == {"Produksi Padi Jawa Tengah"}
    assert titles("?topik=Kependudukan") == {"Penduduk Jawa Tengah 2025"}
    assert titles("?q=padi&topik=Kependudukan") == set()
    assert titles("?q=rahasia") == set()
    api = client.get("/api/v1/datasets?topic=Pertanian").json
    assert [d["slug"] for d in api["data"]] == [centre["padi"].slug]
    assert client.get("/api/v1/datasets?opd=DISDUKCAPIL&q=penduduk").json["meta"]["total"] == 1


def test_catalogue_cards_show_the_latest_chart_as_a_jpeg_thumbnail(client, centre):
    page = _text(client.get("/data"))
    thumb = re.search(r'<img src="(/media/charts/test/v\d+-portrait-0-thumb\.jpg)" alt="" '
                      r'width="(\d+)" height="(\d+)"', page)
    assert thumb and (thumb.group(2), thumb.group(3)) == ("432", "540")
    with client.get(thumb.group(1)) as image:
        assert image.mimetype == "image/jpeg"
    # Only the filter choices that have public data.
    assert '<option value="DISDUKCAPIL"' in page and '<option value="BAPPEDA"' not in page
    assert '<option value="Pertanian"' in page
