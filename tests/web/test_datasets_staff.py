"""The staff data centre through the web: the messy BPS file uploaded, previewed and confirmed
becomes version 1; the same file is nothing new; a bad file is refused by row and column and
the current version stays; several sheets ask for a sheet; merged header cells, an empty file
and an oversized upload get clear answers; a NIK column blocks publication until resolved;
publication by the head or a walidata (never by its own author); new columns held, submitted,
approved and current; separators decided per column; a correction with its public note."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from pressroom.models import Dataset, DatasetVersion
from pressroom.services import datasets
from tests.conftest import csrf_token, login, reload

FIXTURE = Path(__file__).parents[1] / "datasets" / "fixtures" / "bps_penduduk_luas_2025.csv"


@pytest.fixture
def desk(factory, session):
    opd = factory.opd("DISDUKCAPIL", short_name="Disdukcapil")
    editor = factory.user("editor", opd)
    dataset = datasets.create_dataset(session, editor, opd_id=opd.id, title="Penduduk Jawa Tengah 2025",
                                      key_column="Kode", source_line="Sumber: Kepmendagri 2025")
    session.commit()
    return {"opd": opd, "editor": editor, "dataset": dataset,
            "head": factory.user("approver", opd, level="kepala"),
            "walidata": factory.user("walidata", factory.opd("BAPPEDA"))}


def client_for(app, user, factory):
    client = app.test_client()
    login(client, user, factory)
    client.get("/bahasa/en?next=/")  # assertions read the English texts
    return client


def path_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    return re.sub(r"^https?://[^/]+", "", response.headers["Location"])


def upload(client, dataset, data: bytes, filename: str = "penduduk.csv", **fields):
    url = f"/app/data/{dataset.id}/unggah"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(data), filename),
                                  **fields}, content_type="multipart/form-data")


def form_of(page: str) -> dict[str, str]:
    """The preview form's values as a browser would send them."""
    form = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)}
    form.update(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = (re.search(r'<option value="([^"]*)" selected', body)
                  or re.search(r'<option value="([^"]*)"', body))
        form[name.replace("&#34;", '"')] = chosen.group(1)
    return form


def confirm(client, preview_path: str, **choices):
    page = client.get(preview_path).get_data(as_text=True)
    return client.post(preview_path + "/simpan", data={**form_of(page), **choices})


def choose(client, preview_path: str, **choices) -> str:
    """Post choices to the preview and return the preview page that follows."""
    page = client.get(preview_path).get_data(as_text=True)
    response = client.post(preview_path, data={**form_of(page), **choices})
    assert response.status_code == 303
    return client.get(preview_path).get_data(as_text=True)


def versions(session, dataset) -> list[DatasetVersion]:
    reload(session)
    return list(session.scalars(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)
                                .order_by(DatasetVersion.number)))


def workbook(*sheets: tuple[str, list[list]], merge: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if merge:
            sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_messy_bps_file_becomes_version_one_and_the_same_file_is_nothing_new(app, factory, session,
                                                                                   desk):
    client = client_for(app, desk["editor"], factory)
    dataset = desk["dataset"]
    preview_path = path_of(upload(client, dataset, FIXTURE.read_bytes()))
    page = client.get(preview_path).get_data(as_text=True)
    assert "Kabupaten Cilacap" in page and "Rows left out of the table" in page
    assert "Jumlah Penduduk dan Luas Wilayah" in page  # the title row, shown as dropped
    assert "Header row (the column names)" in page
    assert 'name="csrf_token"' in page and "<script>" not in page

    result = confirm(client, preview_path)
    text = result.get_data(as_text=True)
    assert result.status_code == 200, text[:2000]
    assert "Version 1 saved" in text and "First version: 35 rows" in text
    found = versions(session, dataset)
    assert [(v.number, v.row_count, v.state) for v in found] == [(1, 35, "current")]
    assert session.get(Dataset, dataset.id).current_version_id == found[0].id

    # The same file again: nothing new, no version, and the upload is gone either way.
    again = path_of(upload(client, dataset, FIXTURE.read_bytes()))
    text = confirm(client, again).get_data(as_text=True)
    assert "Nothing new" in text and "same data as the current version 1" in text
    assert len(versions(session, dataset)) == 1
    gone = client.get(again)
    assert gone.status_code == 303 and "/unggah" in gone.headers["Location"]

    # The dataset page shows the version, its rows and its diff.
    detail = client.get(f"/app/data/{dataset.id}").get_data(as_text=True)
    assert "Version 1" in detail and "Kabupaten Cilacap" in detail and "2,059,748" in detail


def test_a_changed_figure_shows_a_readable_diff(app, factory, session, desk):
    client = client_for(app, desk["editor"], factory)
    dataset = desk["dataset"]
    confirm(client, path_of(upload(client, dataset, FIXTURE.read_bytes())))
    changed = FIXTURE.read_bytes().replace(b"2.059.748", b"2.160.001")
    text = confirm(client, path_of(upload(client, dataset, changed))).get_data(as_text=True)
    assert "Version 2 saved" in text
    assert "Largest changes in “Jumlah”" in text
    assert "Kabupaten Cilacap" in text and "+100,253" in text and "2,059,748" in text and "2,160,001" in text


def test_a_bad_file_is_refused_by_row_and_column_and_the_version_stays(app, factory, session, desk):
    client = client_for(app, desk["editor"], factory)
    dataset = desk["dataset"]
    confirm(client, path_of(upload(client, dataset, FIXTURE.read_bytes())))
    before = versions(session, dataset)
    bad = FIXTURE.read_bytes().replace(b"3302;", b"3399;").replace(b"1.057.750", b"banyak")
    preview_path = path_of(upload(client, dataset, bad))
    response = confirm(client, preview_path)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The update was refused" in text and "the current version stays as it was" in text
    # Row numbers are the file's (the header is row 4; Banyumas is row 7, Purbalingga row 8).
    assert re.search(r'data-label="Row">7</td>\s*<td data-label="Column">Kode</td>', text)
    assert "“3399” is not the BPS code of one of the 35 kabupaten/kota of Jawa Tengah" in text
    assert re.search(r'data-label="Row">8</td>\s*<td data-label="Column">Jumlah</td>', text)
    assert "“banyak” is not a number" in text
    assert [v.id for v in versions(session, dataset)] == [v.id for v in before]
    assert session.get(Dataset, dataset.id).current_version_id == before[0].id
    # The upload is kept: the preview is still there to change a choice.
    assert client.get(preview_path).status_code == 200


def test_a_workbook_with_several_sheets_asks_for_the_sheet(app, factory, session, desk):
    client = client_for(app, desk["editor"], factory)
    data = workbook(("Catatan", [["Dibuat oleh", "Dinas"], ["Tahun", 2025]]),
                    ("Data", [["Kode", "Kabupaten/Kota", "Jumlah"], [3301, "Kabupaten Cilacap", 2059748],
                              [3302, "Kabupaten Banyumas", 1868446]]))
    preview_path = path_of(upload(client, desk["dataset"], data, "penduduk.xlsx"))
    page = client.get(preview_path).get_data(as_text=True)
    assert "several sheets with data (Catatan, Data)" in page
    assert re.search(r'<select id="sheet" name="sheet">.*Choose a sheet.*Catatan.*Data', page, re.S)
    # Confirming without a sheet changes nothing and says why.
    response = confirm(client, preview_path)
    assert response.status_code == 303 and versions(session, desk["dataset"]) == []
    page = choose(client, preview_path, sheet="Data")
    assert "Kabupaten Banyumas" in page and "several sheets with data (" not in page
    assert "Version 1 saved" in confirm(client, preview_path).get_data(as_text=True)
    assert versions(session, desk["dataset"])[0].row_count == 2


def test_merged_header_cells_get_a_clear_message(app, factory, session, desk):
    client = client_for(app, desk["editor"], factory)
    data = workbook(("Data", [["Kode", "Penduduk", None], ["", "Laki-laki", "Perempuan"],
                              [3301, 1043157, 1016591], [3302, 942169, 926277]]), merge="B1:C1")
    preview_path = path_of(upload(client, desk["dataset"], data, "penduduk.xlsx"))
    page = client.get(preview_path).get_data(as_text=True)
    assert "has merged cells (B1:C1)" in page and "Unmerge them" in page
    assert 'id="header_row"' in page  # another header row can be chosen
    response = confirm(client, preview_path)
    assert response.status_code == 303
    assert "merged cells" in client.get(path_of(response)).get_data(as_text=True)
    assert versions(session, desk["dataset"]) == []


@pytest.mark.parametrize("data, name, message", [
    (b"", "kosong.csv", "The file is empty."),
    (b"   \r\n  \r\n", "kosong.csv", "The file is empty."),
    (b"%PDF-1.7\n...", "laporan.pdf", "This file is not a table (it is a PDF file)"),
    (b"nama\nBudi\nSiti\n", "satu.csv", "the file has a single column"),
])
def test_files_that_are_no_table_are_refused_on_the_upload_page(app, factory, session, storage, desk, data,
                                                                name, message):
    client = client_for(app, desk["editor"], factory)
    response = upload(client, desk["dataset"], data, name)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and message in text
    assert "The file was not accepted; nothing changed." in text
    assert not (Path(app.config["STORAGE_PATH"]) / "private" / "dataset-uploads").exists()


def test_an_oversized_upload_gets_a_clear_message(app, factory, session, desk):
    client = client_for(app, desk["editor"], factory)
    url = f"/app/data/{desk['dataset'].id}/unggah"
    app.config["MAX_UPLOAD_MB"] = 1
    # The body is built here, so the test client keeps it in memory rather than in a temporary
    # file it would leave open when the app refuses to read it.
    boundary, body = encode_multipart({"csrf_token": csrf_token(client, url),
                                       "file": FileStorage(io.BytesIO(b"a;b\n" * 600_000), "besar.csv")})
    # A body over the server's limit: refused before the form is read, on the upload page.
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    text = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "larger than the limit of 1 MB. Nothing was saved." in text and 'type="file"' in text
    # A body the server takes with a file over the data limit: checked by size before reading.
    app.config["MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024
    response = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    text = response.get_data(as_text=True)
    assert response.status_code == 413 and "The file is 3 MB; the most Pressroom takes is 1 MB" in text
    assert versions(session, desk["dataset"]) == []


def test_an_ambiguous_number_column_is_decided_per_column(app, factory, session, desk):
    client = client_for(app, desk["editor"], factory)
    confirm(client, path_of(upload(client, desk["dataset"], b"Kode;Luas\r\n3301;2325,5\r\n3302;1391,25\r\n")))
    # Only values like 1.234: thousands in Indonesian, decimals in English. The person decides,
    # for the whole column.
    data = b"Kode;Luas\r\n3301;2.325\r\n3302;1.391\r\n"
    preview_path = path_of(upload(client, desk["dataset"], data))
    page = client.get(preview_path).get_data(as_text=True)
    assert 'name="fmt:Luas"' in page and "Only values like 1.234 were seen" in page
    page = choose(client, preview_path, **{"fmt:Luas": "en"})
    assert "Only values like 1.234 were seen" not in page
    assert "Version 2 saved" in confirm(client, preview_path).get_data(as_text=True)
    rows = {r["Kode"]: r["Luas"] for r in versions(session, desk["dataset"])[-1].rows}
    assert rows == {"3301": "2.325", "3302": "1.391"}


def test_a_mixed_number_column_needs_a_choice(app, factory, session, desk):
    client = client_for(app, desk["editor"], factory)
    data = b"Kode;Nilai\r\n3301;1.234,5\r\n3302;1,234.5\r\n"
    preview_path = path_of(upload(client, desk["dataset"], data))
    page = client.get(preview_path).get_data(as_text=True)
    assert "writes numbers in two ways" in page and "Choose…" in page
    response = confirm(client, preview_path)
    assert response.status_code == 422 and "writes numbers in two ways" in response.get_data(as_text=True)
    # Choosing a style decides the whole column; the cell written the other way is then named.
    response = confirm(client, preview_path, **{"fmt:Nilai": "id"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'data-label="Row">3</td>\s*<td data-label="Column">Nilai</td>', text)
    assert versions(session, desk["dataset"]) == []


def test_a_nik_column_blocks_publication_until_resolved(app, factory, session, desk):
    client = client_for(app, desk["editor"], factory)
    dataset = desk["dataset"]
    data = b"Kode;NIK;Jumlah\r\n3301;3374001201900001;10\r\n3302;3374011201900002;20\r\n"
    preview_path = path_of(upload(client, dataset, data))
    assert "Personal data?" in client.get(preview_path).get_data(as_text=True)
    text = confirm(client, preview_path).get_data(as_text=True)
    assert "Version 1 saved" in text and "Personal data?" in text

    url = f"/app/data/{dataset.id}"
    client.post(url + "/ajukan", data={"csrf_token": csrf_token(client, url)})
    page = client.get(url).get_data(as_text=True)
    assert "These columns look like personal data: NIK" in page
    reload(session)
    assert session.get(Dataset, dataset.id).state == "draft"

    client.post(url + "/privasi", data={"csrf_token": csrf_token(client, url), "column": "NIK",
                                        "resolution": "hidden"})
    client.post(url + "/ajukan", data={"csrf_token": csrf_token(client, url)})
    reload(session)
    fresh = session.get(Dataset, dataset.id)
    assert fresh.state == "submitted" and datasets.hidden_columns(fresh) == {"NIK"}
    assert "hidden from the public" in client.get(url).get_data(as_text=True)


def _with_data(session, dataset, user):
    records = [{"Kode": "3301", "Jumlah": "10"}, {"Kode": "3302", "Jumlah": "20"}]
    datasets.ingest(session, dataset, records, origin="upload:a.csv", author=user)
    session.commit()


def test_publication_by_the_head_or_a_walidata_never_by_its_author(app, factory, session, desk):
    dataset = desk["dataset"]
    _with_data(session, dataset, desk["editor"])
    editor = client_for(app, desk["editor"], factory)
    url = f"/app/data/{dataset.id}"
    editor.post(url + "/ajukan", data={"csrf_token": csrf_token(editor, url)})
    # An editor does not decide: the buttons are not there, and the route refuses.
    assert "Your decision" not in editor.get(url).get_data(as_text=True)
    assert editor.post(url + "/setujui", data={"csrf_token": csrf_token(editor, url)}).status_code == 403

    head = client_for(app, desk["head"], factory)
    page = head.get(url).get_data(as_text=True)
    assert "Your decision" in page
    queue = head.get("/app/data/").get_data(as_text=True)
    assert "Waiting for your approval" in queue and dataset.title in queue
    head.post(url + "/setujui", data={"csrf_token": csrf_token(head, url), "comment": "Ok"})
    reload(session)
    assert datasets.is_public(session.get(Dataset, dataset.id))

    # The head's own dataset: they cannot approve it; a walidata can.
    own = datasets.create_dataset(session, desk["head"], opd_id=desk["opd"].id, title="Luas wilayah",
                                  key_column="Kode")
    _with_data(session, own, desk["head"])
    own_url = f"/app/data/{own.id}"
    head.post(own_url + "/ajukan", data={"csrf_token": csrf_token(head, own_url)})
    head.post(own_url + "/setujui", data={"csrf_token": csrf_token(head, own_url)})
    assert "Nobody approves their own work" in head.get(own_url).get_data(as_text=True)
    reload(session)
    assert session.get(Dataset, own.id).state == "submitted"
    walidata = client_for(app, desk["walidata"], factory)
    walidata.post(own_url + "/setujui", data={"csrf_token": csrf_token(walidata, own_url)})
    reload(session)
    assert datasets.is_public(session.get(Dataset, own.id))

    # Taking it off the public pages, and a return with a comment.
    head.post(url + "/internal", data={"csrf_token": csrf_token(head, url), "comment": "Revisi"})
    editor.post(url + "/ajukan", data={"csrf_token": csrf_token(editor, url)})
    walidata.post(url + "/tolak", data={"csrf_token": csrf_token(walidata, url), "comment": "Sumber kurang"})
    reload(session)
    returned = session.get(Dataset, dataset.id)
    assert returned.state == "rejected" and returned.state_reason == "Sumber kurang"


def test_new_columns_are_held_submitted_approved_and_current(app, factory, session, desk):
    dataset = desk["dataset"]
    editor = client_for(app, desk["editor"], factory)
    confirm(editor, path_of(upload(editor, dataset, FIXTURE.read_bytes())))
    # A seventh column, as a real export would write it (title rows padded to the same width).
    wider = (FIXTURE.read_bytes().replace(b";;;;;\r\n", b";;;;;;\r\n").replace(b"(6)\r\n", b"(6);(7)\r\n")
             .replace(b"Luas (km\xc2\xb2)\r\n", b"Luas (km\xc2\xb2);Kepadatan\r\n"))
    wider = re.sub(rb"(\r\n33\d\d;[^\r]*)", rb"\1;100", wider)
    preview_path = path_of(upload(editor, dataset, wider))
    assert "new column" in editor.get(preview_path).get_data(as_text=True)
    text = confirm(editor, preview_path).get_data(as_text=True)
    assert "Version 2 is held" in text and "New column “Kepadatan”" in text
    held = versions(session, dataset)[-1]
    assert held.state == "held" and session.get(Dataset, dataset.id).current_version_id != held.id

    url = f"/app/data/{dataset.id}"
    editor.post(f"{url}/versi/{held.id}/ajukan", data={"csrf_token": csrf_token(editor, url)})
    reload(session)
    assert session.get(DatasetVersion, held.id).state == "submitted"
    head = client_for(app, desk["head"], factory)
    assert "Versions waiting" in head.get(url).get_data(as_text=True)
    head.post(f"{url}/versi/{held.id}/setujui", data={"csrf_token": csrf_token(head, url)})
    reload(session)
    fresh = session.get(Dataset, dataset.id)
    assert fresh.current_version_id == held.id and "Kepadatan" in [c["name"] for c in fresh.schema]


def test_a_correction_keeps_its_public_note(app, factory, session, desk):
    dataset = desk["dataset"]
    client = client_for(app, desk["editor"], factory)
    confirm(client, path_of(upload(client, dataset, FIXTURE.read_bytes())))
    fixed = FIXTURE.read_bytes().replace(b"805,757", b"805,760")
    preview_path = path_of(upload(client, dataset, fixed, ralat="1"))
    page = client.get(preview_path).get_data(as_text=True)
    assert 'name="correction" value="y" checked' in page
    # A correction without its note is refused and nothing changes.
    response = confirm(client, preview_path, correction="y", note="")
    assert response.status_code == 303 and len(versions(session, dataset)) == 1
    text = confirm(client, preview_path, correction="y", note="Luas Purbalingga salah ketik.").get_data(
        as_text=True)
    assert "The correction is now the current version" in text
    latest = versions(session, dataset)[-1]
    assert latest.correction_note == "Luas Purbalingga salah ketik." and latest.corrects_version_id


def test_someone_elses_upload_is_forbidden_and_a_cancel_deletes_it(app, factory, session, storage, desk):
    client = client_for(app, desk["editor"], factory)
    preview_path = path_of(upload(client, desk["dataset"], FIXTURE.read_bytes()))
    head = client_for(app, desk["head"], factory)
    assert head.get(preview_path).status_code == 403
    assert head.post(preview_path + "/simpan", data={"csrf_token": csrf_token(head, "/app/data/")}
                     ).status_code == 403
    client.post(preview_path + "/batal", data={"csrf_token": csrf_token(client, preview_path)})
    assert client.get(preview_path).status_code == 303
    assert not any((Path(app.config["STORAGE_PATH"]) / "private" / "dataset-uploads").rglob("*.upload"))


def test_the_edit_form_keeps_metadata_source_and_series(app, factory, session, desk):
    dataset = desk["dataset"]
    client = client_for(app, desk["editor"], factory)
    url = f"/app/data/{dataset.id}/ubah"
    form = {"csrf_token": csrf_token(client, url), "title": "Penduduk 2025", "licence": "CC BY 4.0",
            "template": "ranked_bar", "source_kind": "csv_url", "source_url": "http://10.0.0.5/data.csv",
            "poll_minutes": "1440", "series_every": "week", "series_weekday": "0", "series_day": "1",
            "series_time": "09:00"}
    response = client.post(url, data=form)
    assert response.status_code == 400
    assert "private or local network address" in response.get_data(as_text=True)
    app.config["DATASET_SOURCE_ALLOW"] = "10.0.0.5"
    response = client.post(url, data={**form, "series_time": "9 pagi"})
    assert response.status_code == 400 and "Enter a time like 09:00." in response.get_data(as_text=True)
    assert client.post(url, data=form).status_code == 303
    reload(session)
    fresh = session.get(Dataset, dataset.id)
    assert fresh.title == "Penduduk 2025" and fresh.source_kind == "csv_url"
    assert fresh.series == {"every": "week", "weekday": 0, "hour": 9, "minute": 0}
    assert fresh.series_next_at is not None and fresh.next_poll_at is not None
    assert "every Monday, 09:00 WIB" in client.get(f"/app/data/{dataset.id}").get_data(as_text=True)


def test_new_dataset_form_and_the_catalogue(app, factory, session, desk):
    client = client_for(app, desk["editor"], factory)
    response = client.post("/app/data/baru", data={
        "csrf_token": csrf_token(client, "/app/data/baru"), "opd_id": str(desk["opd"].id), "kind": "table",
        "title": "Produksi Padi", "key_column": "Tahun", "template": "line", "licence": "CC BY 4.0"})
    assert "/unggah" in path_of(response)
    reload(session)
    created = session.scalar(select(Dataset).where(Dataset.title == "Produksi Padi"))
    assert created.chart["template"] == "line" and created.state == "draft"
    page = client.get("/app/data/").get_data(as_text=True)
    assert "Produksi Padi" in page and "Penduduk Jawa Tengah 2025" in page
    # Another OPD's editor sees neither.
    stranger = client_for(app, factory.user("editor", factory.opd("DINKES")), factory)
    assert "Produksi Padi" not in stranger.get("/app/data/").get_data(as_text=True)
    assert stranger.get(f"/app/data/{created.id}").status_code == 403
    assert session.scalar(select(func.count()).select_from(Dataset)) == 2


def test_the_preview_render_answers_with_an_image(app, factory, session, desk):
    dataset = desk["dataset"]
    client = client_for(app, desk["editor"], factory)
    assert "There is no data to draw yet." in client.get(f"/app/data/{dataset.id}/pratinjau").get_data(
        as_text=True)
    confirm(client, path_of(upload(client, dataset, FIXTURE.read_bytes())))
    page = client.get(f"/app/data/{dataset.id}/pratinjau").get_data(as_text=True)
    assert '<img src="data:image/png;base64,' in page


def test_a_person_edits_the_generated_alt_text_and_a_re_render_keeps_it(app, session, factory):
    """Alt text is generated in Indonesian, editable, and stays with the unchanged image."""
    from jobs import ticks
    from pressroom.datasets import tables
    from pressroom.models import DatasetImage

    opd = factory.opd("DISDUKCAPIL")
    editor = factory.user("editor", opd)
    chart = {"template": "ranked_bar", "label": "Kabupaten/Kota", "value": "Jumlah", "mode": "top"}
    dataset = datasets.create_dataset(session, editor, opd_id=opd.id, title="Penduduk 2025",
                                      key_column="Kode", chart=chart)
    fixture = (Path(__file__).parents[1] / "datasets" / "fixtures" / "bps_penduduk_luas_2025.csv")
    fixture = fixture.read_bytes()
    preview = tables.preview(tables.read_table(fixture, "p.csv"))
    datasets.ingest(session, dataset, preview.records(), origin="upload:p.csv", author=editor,
                    row_numbers=preview.row_numbers, number_formats=preview.number_formats)
    session.commit()
    ticks.render_versions(app, owner="t", limit=1)
    reload(session)
    image = session.scalar(select(DatasetImage).where(DatasetImage.preset == "portrait"))
    client = app.test_client()
    login(client, editor, factory)
    page = f"/app/data/{dataset.id}"
    url = f"{page}/gambar/{image.id}/alt"
    refused = client.post(url, data={"csrf_token": csrf_token(client, page), "alt_text": "  "})
    assert refused.status_code == 302
    reload(session)
    assert session.get(DatasetImage, image.id).alt_text.startswith("Diagram batang")  # empty refused
    text = "Grafik batang: sepuluh kabupaten/kota dengan penduduk terbanyak, Brebes teratas."
    client.post(url, data={"csrf_token": csrf_token(client, page), "alt_text": text})
    reload(session)
    assert session.get(DatasetImage, image.id).alt_text == text

    version = session.get(DatasetVersion, dataset.current_version_id)
    version.render_status = "due"
    session.commit()
    ticks.render_versions(app, owner="t", limit=1)
    reload(session)
    again = session.scalar(select(DatasetImage).where(DatasetImage.preset == "portrait",
                                                      DatasetImage.page == 0))
    assert again.alt_text == text
