"""The import screens: upload, preview with mapping and decisions, commit, cancel; who may
open which batch; bad uploads explained with nothing saved; HTML in the file stays text."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from pressroom.models import AuditEntry, ImportBatch, Journalist, Outlet
from tests.conftest import Factory, csrf_token, login

UPLOAD = "/app/wartawan/impor/"
SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def world(factory):
    opd_a, opd_b = factory.opd("DINA"), factory.opd("DINB")
    return {"opd_a": opd_a, "opd_b": opd_b, "editor": factory.user("editor", opd_a),
            "colleague": factory.user("editor", opd_a), "editor_b": factory.user("editor", opd_b),
            "viewer": factory.user("viewer", factory.opd("SETDA")),
            "admin": factory.user("admin", factory.opd("DISKOMINFO"))}


def client_for(app, user, factory, english: bool = True):
    client = app.test_client()
    login(client, user, factory)
    if english:
        client.get("/bahasa/en?next=/")
    return client


def upload(client, data: bytes, opd, filename: str = "wartawan.csv", **fields):
    return client.post(UPLOAD, data={"csrf_token": csrf_token(client, UPLOAD), "opd_id": str(opd.id),
                                     "file": (io.BytesIO(data), filename), **fields},
                       content_type="multipart/form-data")


def batch_path(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return re.sub(r"^https?://[^/]+", "", response.headers["Location"])


def preview_form(client, path: str) -> dict[str, str]:
    """The preview form's fields as the browser would send them (first option where none is selected)."""
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form: dict[str, object] = {"csrf_token": token}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page):
        if name == "mapped_header":
            form.setdefault(name, []).append(value)  # type: ignore[union-attr]
        else:
            form[name] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = (re.search(r'<option value="([^"]*)" selected', body)
                  or re.search(r'<option value="([^"]*)"', body))
        form[name] = chosen.group(1)
    for name in ("consent_method", "consent_basis"):
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
        form[name] = found.group(1) if found else ""
    return form  # type: ignore[return-value]


def count(session, model) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def test_upload_preview_and_commit(app, factory, session, world):
    client = client_for(app, world["editor"], factory)
    page = client.get(UPLOAD)
    assert page.status_code == 200 and "Import journalists" in page.get_data(as_text=True)
    data = ("\ufeffNama;Media;Email;No HP;Wilayah\r\n"
            "Budi Santoso;Suara Merdeka;budi@example.com;0812-3456-7890;Kab. Semarang\r\n"
            "Siti Aminah;Suara Merdeka;siti@example.com;+62 857 1234 5678;Jawa Tengah\r\n").encode()
    path = batch_path(upload(client, data, world["opd_a"]))
    text = client.get(path).get_data(as_text=True)
    assert "Budi Santoso" in text and "0812-3456-7890" in text and "Kabupaten Semarang" in text
    assert "2 new records" in text and "awaiting consent" in text
    assert count(session, Journalist) == 0  # the preview writes nothing
    response = client.post(path + "/commit", data=preview_form(client, path))
    assert response.status_code == 303
    done = client.get(batch_path(response)).get_data(as_text=True)
    assert "Import finished: 2 new, 0 merged, 0 skipped." in done
    assert count(session, Journalist) == 2 and count(session, Outlet) == 1
    batch = session.scalar(select(ImportBatch))
    assert batch.status == "committed" and batch.committed_at is not None
    storage = app.extensions["storage"]
    assert not storage.exists(batch.file_key)  # personal data is not kept twice
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "journalist.import_committed"))
    assert entry.details["created"] == 2 and entry.actor_id == world["editor"].id


def test_changing_a_columns_meaning_in_the_preview(app, factory, session, world):
    client = client_for(app, world["editor"], factory)
    data = b"Nama,Catatan,Email\r\nBudi,Redaktur pelaksana,budi@example.com\r\n"
    path = batch_path(upload(client, data, world["opd_a"]))
    form = preview_form(client, path)
    assert form["map-1"] == "ignore"
    form["map-1"] = "position"
    assert client.post(path, data=form).status_code == 303
    assert client.get(path).get_data(as_text=True).count('value="position" selected') == 1
    form = preview_form(client, path)
    form["map-0"] = "ignore"  # no name column: explained, and nothing can be imported
    client.post(path, data=form)
    assert "Choose the column that holds the names." in client.get(path).get_data(as_text=True)
    form = preview_form(client, path)
    form["map-0"] = "full_name"
    response = client.post(path + "/commit", data=form)
    assert response.status_code == 303
    session.rollback()
    assert session.scalar(select(Journalist)).position == "Redaktur pelaksana"


def test_html_in_the_file_and_the_directory_is_shown_as_text(app, factory, session, world):
    from pressroom.services import journalists

    known = journalists.create_journalist(session, world["editor_b"], world["opd_b"], journalists.clean_input(
        session, full_name=SCRIPT, emails=["known@example.com"]))
    session.commit()
    client = client_for(app, world["editor"], factory)
    quoted = SCRIPT.replace('"', '""')
    data = (f'Nama,Media,Email,"<u>Wilayah</u>"\r\n'
            f'"{quoted}",<b>Media</b>,x<svg/onload=alert(1)>@example.com,<i>Kota</i>\r\n'
            f'Ani,Kabar,known@example.com,\r\n')
    path = batch_path(upload(client, data.encode(), world["opd_a"], filename="<b>nama.csv"))
    text = client.get(path).get_data(as_text=True)
    for raw in (SCRIPT, "<b>Media</b>", "<b>nama", "<svg/onload", "<i>Kota</i>", "<u>Wilayah</u>"):
        assert raw not in text, raw
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
    assert "A name cannot contain &lt; or &gt;." in text
    assert "“x&lt;svg/onload=alert(1)&gt;@example.com” is not a valid email address." in text
    assert "column “&lt;u&gt;Wilayah&lt;/u&gt;”" in text
    assert f"merge:{known.id}" in text  # the match is offered, its name shown as text
    upload_page = client.get(UPLOAD).get_data(as_text=True)
    assert "<b>nama" not in upload_page and "&lt;b&gt;nama.csv" in upload_page


def test_one_bad_row_imports_nothing_until_it_is_skipped(app, factory, session, world):
    client = client_for(app, world["editor"], factory)
    data = b"Nama,Email\r\nAna,ana@example.com\r\nBeni,beni@@example\r\nCici,cici@example.com\r\n"
    path = batch_path(upload(client, data, world["opd_a"]))
    text = client.get(path).get_data(as_text=True)
    assert "Row 3, column “Email”:" in text
    form = preview_form(client, path)
    response = client.post(path + "/commit", data=form)
    assert response.status_code == 303
    refused = client.get(batch_path(response)).get_data(as_text=True)
    assert "Nothing was imported: 1 row still has an error" in refused and "(row 3)" in refused
    assert count(session, Journalist) == 0
    form["decision-3"] = "skip"
    response = client.post(path + "/commit", data=form)
    done = client.get(batch_path(response)).get_data(as_text=True)
    assert "Import finished: 2 new, 0 merged, 1 skipped." in done
    assert count(session, Journalist) == 2


def test_a_double_click_imports_once(app, factory, session, world):
    client = client_for(app, world["editor"], factory)
    path = batch_path(upload(client, b"Nama,Email\r\nAna,ana@example.com\r\n", world["opd_a"]))
    form = preview_form(client, path)
    assert client.post(path + "/commit", data=form).status_code == 303
    second = client.post(path + "/commit", data=form)
    assert second.status_code == 303
    assert "already imported" in client.get(batch_path(second)).get_data(as_text=True)
    assert count(session, Journalist) == 1
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "journalist.import_committed")) == 1


def test_cancel_deletes_the_file_and_nothing_can_be_imported_after(app, factory, session, world):
    client = client_for(app, world["editor"], factory)
    path = batch_path(upload(client, b"Nama,Email\r\nAna,ana@example.com\r\n", world["opd_a"]))
    form = preview_form(client, path)
    response = client.post(path + "/cancel", data={"csrf_token": form["csrf_token"]})
    assert response.status_code == 303 and response.headers["Location"].endswith(UPLOAD)
    batch = session.scalar(select(ImportBatch))
    assert batch.status == "cancelled" and not app.extensions["storage"].exists(batch.file_key)
    client.post(path + "/commit", data=form)
    assert count(session, Journalist) == 0
    assert "Cancelled; nothing was imported." in client.get(path).get_data(as_text=True)


def test_another_users_batch_is_forbidden(app, factory, session, world):
    owner = client_for(app, world["editor"], factory)
    path = batch_path(upload(owner, b"Nama,Email\r\nAna,ana@example.com\r\n", world["opd_a"]))
    form = preview_form(owner, path)
    for user in ("colleague", "editor_b", "viewer"):
        other = client_for(app, world[user], factory)
        form["csrf_token"] = csrf_token(other, "/app/account/password")
        assert other.get(path).status_code == 403, user
        assert other.post(path, data=form).status_code == 403, user
        assert other.post(path + "/commit", data=form).status_code == 403, user
        assert other.post(path + "/cancel", data=form).status_code == 403, user
    assert count(session, Journalist) == 0
    anonymous = app.test_client().get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    admin = client_for(app, world["admin"], factory)
    assert admin.get(path).status_code == 200
    assert app.test_client().get(UPLOAD + "999999").status_code == 302
    assert admin.get(UPLOAD + "999999").status_code == 404


def test_who_may_upload_and_into_which_opd(app, factory, session, world):
    assert client_for(app, world["viewer"], factory).get(UPLOAD).status_code == 403
    editor = client_for(app, world["editor"], factory)
    page = editor.get(UPLOAD).get_data(as_text=True)
    assert f'value="{world["opd_a"].id}"' in page and f'value="{world["opd_b"].id}"' not in page
    response = upload(editor, b"Nama\r\nAna\r\n", world["opd_b"])
    assert response.status_code == 400 and count(session, ImportBatch) == 0
    admin = client_for(app, world["admin"], factory)
    assert batch_path(upload(admin, b"Nama\r\nAna\r\n", world["opd_b"]))
    session.rollback()
    assert session.scalar(select(ImportBatch)).opd_id == world["opd_b"].id


@pytest.mark.parametrize("data, filename, message", [
    (bytes(range(256)) * 20, "wartawan.csv", "This is not a CSV text file"),
    (b"", "kosong.csv", "The file is empty."),
    (b"Nama,Email\r\n", "header.csv", "no rows of data"),
    (b"%PDF-1.4", "surat.pdf", "Upload a CSV (.csv) or Excel (.xlsx) file."),
])
def test_bad_uploads_are_explained_and_nothing_is_saved(app, factory, session, world, data, filename,
                                                        message):
    client = client_for(app, world["editor"], factory)
    response = upload(client, data, world["opd_a"], filename=filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(session, ImportBatch) == 0
    assert not (app.extensions["storage"].root / "private" / "imports").exists()


def test_a_missing_file_and_a_half_given_attestation_are_explained(app, factory, session, world):
    client = client_for(app, world["editor"], factory)
    response = client.post(UPLOAD, content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client, UPLOAD), "opd_id": world["opd_a"].id})
    assert response.status_code == 400 and "Choose the file to import." in response.get_data(as_text=True)
    response = upload(client, b"Nama\r\nAna\r\n", world["opd_a"], consent_method="formulir")
    assert response.status_code == 400 and "say both how it was given" in response.get_data(as_text=True)
    assert count(session, ImportBatch) == 0


def test_a_file_over_the_row_limit_is_refused(app_factory):
    app = app_factory(IMPORT_MAX_ROWS=5)
    database = app.extensions["db"]
    session = database.session_factory(bind=database.engine.execution_options(sqlite_begin="DEFERRED"))
    try:
        factory = Factory(app, session)
        opd = factory.opd("DINA")
        editor = factory.user("editor", opd)
        client = client_for(app, editor, factory)
        rows = "".join(f"Orang {i},orang{i}@example.com\r\n" for i in range(6))
        response = upload(client, ("Nama,Email\r\n" + rows).encode(), opd)
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        assert "more than 5 rows" in text and "IMPORT_MAX_ROWS" in text
        assert count(session, ImportBatch) == 0
        five = "".join(f"Orang {i},orang{i}@example.com\r\n" for i in range(5))
        assert batch_path(upload(client, ("Nama,Email\r\n" + five).encode(), opd))
    finally:
        session.close()


def test_an_upload_over_the_size_limit_gets_the_413_page(app_factory):
    app = app_factory(MAX_UPLOAD_MB=1)
    database = app.extensions["db"]
    session = database.session_factory(bind=database.engine.execution_options(sqlite_begin="DEFERRED"))
    try:
        factory = Factory(app, session)
        opd = factory.opd("DINA")
        client = client_for(app, factory.user("editor", opd), factory)
        big = b"Nama,Email\r\n" + b"Orang,orang@example.com\r\n" * 50_000
        # The body is built here, so the test client keeps it in memory rather than in a
        # temporary file it would leave open when the app refuses to read it.
        boundary, body = encode_multipart({"csrf_token": csrf_token(client, UPLOAD), "opd_id": str(opd.id),
                                           "file": FileStorage(io.BytesIO(big), "besar.csv")})
        response = client.post(UPLOAD, data=body, content_type=f"multipart/form-data; boundary={boundary}")
        assert response.status_code == 413
        assert "larger than the limit of 1 MB" in response.get_data(as_text=True)
        assert count(session, ImportBatch) == 0
    finally:
        session.close()


def test_an_xlsx_workbook_with_a_sheet_to_choose(app, factory, session, world):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Wartawan"
    workbook.active.append(["Nama", "No HP"])
    workbook.active.append(["Budi", 6281234567890])
    other = workbook.create_sheet("Arsip 2025")
    other.append(["Nama", "Email"])
    other.append(["Rina", "rina@example.com"])
    other.append(["Sari", "sari@example.com"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = client_for(app, world["editor"], factory)
    path = batch_path(upload(client, buffer.getvalue(), world["opd_a"], filename="daftar.xlsx"))
    text = client.get(path).get_data(as_text=True)
    assert "Budi" in text and "0812-3456-7890" in text and 'name="sheet"' in text
    form = preview_form(client, path)
    form["sheet"] = "Arsip 2025"
    client.post(path, data=form)
    text = client.get(path).get_data(as_text=True)
    assert "Rina" in text and "Budi" not in text and "2 new records" in text
    response = client.post(path + "/commit", data=preview_form(client, path))
    assert response.status_code == 303
    session.rollback()
    assert sorted(session.scalars(select(Journalist.full_name))) == ["Rina", "Sari"]


def test_duplicates_are_offered_and_a_choice_is_respected(app, factory, session, world):
    from pressroom.services import journalists

    data = journalists.clean_input(session, full_name="Dewi Lestari", emails=["dewi@example.com"])
    known = journalists.create_journalist(session, world["editor_b"], world["opd_b"], data)
    session.commit()
    client = client_for(app, world["editor"], factory)
    path = batch_path(upload(client, b"Nama,Email\r\nDewi Lestari,DEWI@example.com\r\n", world["opd_a"]))
    form = preview_form(client, path)
    assert form["decision-2"] == f"merge:{known.id}"
    form["decision-2"] = "create"
    client.post(path + "/commit", data=form)
    assert count(session, Journalist) == 2
