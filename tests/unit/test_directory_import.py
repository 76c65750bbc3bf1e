"""Journalist import: reading files, mapping columns, row checks, duplicates across the
province, shared desk contacts, consent, and the all-or-nothing commit (services only)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from pressroom.models import AuditEntry, ImportBatch, Journalist, JournalistEmail, JournalistPhone, Outlet
from pressroom.services import ValidationError, journalists
from pressroom.services import directory_import as di
from pressroom.services.contact_points import normalise_phone

MAX = 1000


@pytest.fixture
def en(app):
    """Messages rendered in English (the source language) while a test reads them."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def people(factory):
    opd_a, opd_b = factory.opd("DINA"), factory.opd("DINB")
    return {"opd_a": opd_a, "opd_b": opd_b, "editor": factory.user("editor", opd_a),
            "editor_b": factory.user("editor", opd_b)}


def csv_bytes(*lines: str | tuple[str, ...], sep: str = ",", bom: bool = False,
              encoding: str = "utf-8") -> bytes:
    """A CSV file: tuples are written with quoting as a spreadsheet would; strings as they are."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    for line in lines:
        if isinstance(line, tuple):
            writer.writerow(line)
        else:
            out.write(line + "\r\n")
    return ("\ufeff" if bom else "").encode(encoding) + out.getvalue().encode(encoding)


def start(session, storage, user, opd, data: bytes, filename: str = "wartawan.csv", **options):
    batch = di.start_import(session, storage, user, opd, filename=filename, data=data,
                            max_rows=options.pop("max_rows", MAX), **options)
    session.commit()
    return batch


def check(session, storage, batch, **changes):
    settings = di.load_settings(storage, batch)
    for name, value in changes.items():
        setattr(settings, name, value)
    return di.check_file(session, storage, batch, settings, max_rows=MAX)


def commit(session, storage, user, batch, **changes):
    settings = di.load_settings(storage, batch)
    for name, value in changes.items():
        setattr(settings, name, value)
    try:
        result = di.commit_import(session, storage, user, batch, settings, max_rows=MAX)
    except ValidationError:
        session.rollback()
        raise
    session.commit()
    return result


def rows_by_number(result) -> dict[int, di.RowCheck]:
    return {row.number: row for row in result.rows}


def person(session, email: str) -> Journalist:
    return session.scalar(select(Journalist).join(JournalistEmail).where(JournalistEmail.address == email))


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def existing(session, user, opd, name, *, emails=(), phones=(), outlet_id=None, consent=None) -> Journalist:
    data = journalists.clean_input(session, full_name=name, emails=list(emails), phones=list(phones),
                                   outlet_id=outlet_id)
    journalist = journalists.create_journalist(session, user, opd, data, consent)
    session.commit()
    return journalist


# Reading files ----------------------------------------------------------------------------------
def test_messy_phone_formats_are_one_number_and_landlines_get_no_whatsapp(session, storage, people):
    forms = ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "081234567890", "0812 3456 7890",
             "(0812) 3456-7890"]
    assert {normalise_phone(f).e164 for f in forms} == {"+6281234567890"}
    phones, problems = di.split_phones("0812 3456 7890 / 0857-1234-5678; (024) 3546789")
    assert [p.e164 for p in phones] == ["+6281234567890", "+6285712345678", "+62243546789"]
    assert [p.kind for p in phones] == ["mobile", "mobile", "landline"] and not problems
    phones, _ = di.split_phones("081234567890 085712345678")
    assert [p.e164 for p in phones] == ["+6281234567890", "+6285712345678"]
    _, problems = di.split_phones("6.28123E+12")
    assert problems  # digits lost in a spreadsheet: explained, not guessed

    data = csv_bytes("Nama,No HP,Telp kantor", *[f"Budi Santoso,{f}," for f in forms],
                     "Ani Wijaya,,(024) 3546789")
    batch = start(session, storage, people["editor"], people["opd_a"], data,
                  consent_method="formulir", consent_basis="formulir persetujuan Hari Pers 2026")
    result = check(session, storage, batch)
    rows = rows_by_number(result)
    assert rows[2].decision == "create" and all(rows[n].decision == "row:2" for n in range(3, 8))
    outcome = commit(session, storage, people["editor"], batch)
    assert (outcome.created, outcome.merged) == (2, 5)
    budi = session.scalar(select(Journalist).where(Journalist.full_name == "Budi Santoso"))
    assert [(p.e164, p.kind) for p in budi.phones] == [("+6281234567890", "mobile")]
    ani = session.scalar(select(Journalist).where(Journalist.full_name == "Ani Wijaya"))
    assert [(p.e164, p.kind, p.whatsapp_capable) for p in ani.phones] == [("+62243546789", "landline", False)]
    # The attested basis covers the channels a row has: Ani has no WhatsApp, so none is given.
    assert {c.channel: c.state for c in ani.consents} == {"email": "awaiting", "whatsapp": "awaiting"}
    assert budi.consent_for("whatsapp").state == "given"


@pytest.mark.parametrize("sep", [";", "\t", "|", ","])
def test_delimiters_bom_and_legacy_encodings_are_read(sep):
    data = csv_bytes(("Nama", "Media", "Email"),
                     ("José Ramírez", "Suara Merdeka; Semarang", "jose@example.com"), sep=sep, bom=True)
    table = di.read_table(data, "wartawan.csv", max_rows=MAX)
    assert table.headers == ["Nama", "Media", "Email"]
    assert table.rows == [(2, ["José Ramírez", "Suara Merdeka; Semarang", "jose@example.com"])]
    legacy = csv_bytes(("Nama", "Email"), ("José Ramírez", "jose@example.com"), sep=sep, encoding="cp1252")
    assert di.read_table(legacy, "lama.csv", max_rows=MAX).rows[0][1][0] == "José Ramírez"


def test_semicolon_csv_with_bom_maps_indonesian_headers(session, storage, people):
    data = csv_bytes(("Nama Lengkap", "Nama Media", "Jenis Media", "Jabatan", "E-mail", "Email 2",
                      "No. HP/WA", "Pos Liputan", "Wilayah Liputan", "UKW", "Penerbit Kartu Pers"),
                     ("Budi Santoso", "Suara Merdeka", "cetak", "Redaktur", "budi@example.com",
                      "budi.s@example.com; b.santoso@example.com", "0812-3456-7890",
                      "Politik, Ekonomi dan Bisnis", "Kab. Semarang; 3374", "Wartawan Madya",
                      "PWI Jawa Tengah"),
                     sep=";", bom=True)
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    result = check(session, storage, batch)
    assert result.mapping == ["full_name", "outlet", "outlet_type", "position", "email", "email", "phone",
                              "beats", "regions", "ukw_level", "press_card_issuer"]
    row = result.rows[0]
    assert not row.errors and row.number == 2
    assert [a for a, _s in row.emails] == ["budi@example.com", "budi.s@example.com", "b.santoso@example.com"]
    assert row.region_names == ["Kabupaten Semarang", "Kota Semarang"] and row.ukw_level == "madya"
    commit(session, storage, people["editor"], batch)
    budi = person(session, "budi@example.com")
    assert budi.outlet.name == "Suara Merdeka" and budi.outlet.type == "cetak"
    assert budi.outlet.dewan_pers == "belum" and budi.position == "Redaktur"
    assert [b.name for b in budi.beats] == ["Ekonomi dan Bisnis", "Politik"]
    assert [r.code for r in budi.regions] == ["3322", "3374"] and budi.press_card_issuer == "PWI Jawa Tengah"
    assert budi.link_for(people["opd_a"].id).following


def test_column_guesses_in_indonesian_and_english():
    headers = ["Name", "Outlet", "Outlet type", "Position", "Surel", "WhatsApp", "Telepon", "Beat",
               "Kabupaten/Kota", "Tingkat UKW", "Press card issuer", "Persetujuan", "Persetujuan email",
               "Persetujuan WA", "Dasar persetujuan", "Catatan", "Nama"]
    assert di.guess_mapping(headers) == [
        "full_name", "outlet", "outlet_type", "position", "email", "phone", "phone", "beats", "regions",
        "ukw_level", "press_card_issuer", "consent", "consent_email", "consent_whatsapp", "consent_basis",
        "ignore", "ignore"]  # a second name column is left for the person to decide


def test_xlsx_first_readable_sheet_numbers_and_sheet_choice(session, storage, people):
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Catatan"
    notes["A1"] = "Daftar wartawan peserta Hari Pers 2026"
    sheet = workbook.create_sheet("Wartawan")
    sheet.append(["Nama", "No HP", "Email", "Wilayah"])
    sheet.append(["Budi Santoso", 6281234567890, "budi@example.com", 3374])  # numbers, as Excel keeps them
    sheet.append([None, None, None, None])  # a blank row keeps the numbering of the rows below
    sheet.append(["Siti Aminah", 85712345678, None, "Jawa Tengah"])
    other = workbook.create_sheet("Lain")
    other.append(["Nama", "Email"])
    other.append(["Rina", "rina@example.com"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = start(session, storage, people["editor"], people["opd_a"], buffer.getvalue(),
                  filename="data.xlsx")
    result = check(session, storage, batch)
    assert result.sheets == ["Catatan", "Wartawan", "Lain"] and result.table.sheet == "Wartawan"
    rows = rows_by_number(result)
    assert set(rows) == {2, 4}
    assert rows[2].phones == [("+6281234567890", "mobile")] and rows[2].region_names == ["Kota Semarang"]
    assert rows[4].phones == [("+6285712345678", "mobile")] and rows[4].province_wide
    assert [r.name for r in check(session, storage, batch, sheet="Lain").rows] == ["Rina"]
    assert batch.file_key.endswith(".xlsx")


@pytest.mark.parametrize("data, filename, expected", [
    (bytes(range(256)) * 40, "wartawan.csv", "binary data"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "foto.csv", "binary data"),
    (b"", "kosong.csv", "empty"),
    (b"\r\n \r\n", "kosong.csv", "empty"),
    (b"Nama,Email\r\n", "header.csv", "no rows of data"),
    (b"Budi,budi@example.com\r\nAni,ani@example.com\r\n", "tanpa-header.csv", "name the columns"),
    (b"PK\x03\x04not really a zip", "data.xlsx", "not a readable .xlsx"),
    (b"Nama,Email\r\nBudi,b@example.com\r\n", "data.xlsx", "not a readable .xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "lama.xls", "Upload a CSV"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "lama.csv", "old Excel"),
    (b"Nama,Email\r\nBudi,x\r\n", "data.pdf", "Upload a CSV"),
])
def test_bad_files_are_refused_and_nothing_is_stored(session, storage, people, en, data, filename, expected):
    with pytest.raises(ValidationError) as caught:
        start(session, storage, people["editor"], people["opd_a"], data, filename=filename)
    session.rollback()
    assert expected in str(caught.value.errors["file"])
    assert count(session, ImportBatch) == 0
    assert not (storage.root / "private" / "imports").exists()


def test_a_file_over_the_row_limit_is_refused_naming_the_limit(session, storage, people, en):
    data = csv_bytes("Nama,Email", *[f"Orang {i},orang{i}@example.com" for i in range(6)])
    with pytest.raises(ValidationError) as caught:
        start(session, storage, people["editor"], people["opd_a"], data, max_rows=5)
    message = str(caught.value.errors["file"])
    assert "5" in message and "IMPORT_MAX_ROWS" in message
    assert start(session, storage, people["editor"], people["opd_a"], data, max_rows=6).row_count == 6


# Row checks -------------------------------------------------------------------------------------
def test_row_errors_name_the_row_and_column_as_the_spreadsheet_shows_them(session, storage, people, en):
    data = csv_bytes("Nama,Email,HP,Wilayah,Pos liputan,UKW,Persetujuan",
                     "Budi,budi@,0812,Semarang,Sepak bola,ahli,mungkin",
                     "",  # a blank line is not a row but still counts in the numbering
                     "<script>alert(1)</script>,ok@example.com,,Kota Solo,,,")
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    rows = rows_by_number(check(session, storage, batch))
    assert set(rows) == {2, 4}
    problems = {issue.column: str(issue.message) for issue in rows[2].errors}
    assert set(problems) == {"Email", "HP", "Wilayah", "Pos liputan", "UKW", "Persetujuan"}
    assert "Kab. Semarang" in problems["Wilayah"] and "Kota Semarang" in problems["Wilayah"]
    assert "Known beats" in problems["Pos liputan"] and "Politik" in problems["Pos liputan"]
    assert [str(i.message) for i in rows[4].errors] == ["A name cannot contain < or >."]
    assert rows[4].region_names == ["Kota Surakarta"]


def test_regions_by_name_code_and_province(session, storage, people):
    data = csv_bytes("Nama,Wilayah,Wilayah 2",
                     'Budi,"Kab. Semarang, Kota Semarang",3322',
                     "Ani,Jawa Tengah,",
                     "Sari,Kabupaten Tegal; Kota Tegal; Cilacap,",
                     "Rudi,9999,Atlantis")
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    rows = rows_by_number(check(session, storage, batch))
    assert rows[2].data.region_codes == ["3322", "3374"] and not rows[2].province_wide
    assert rows[3].province_wide and rows[3].data.province_wide and rows[3].data.region_codes == []
    assert rows[4].data.region_codes == ["3301", "3328", "3376"]
    assert len(rows[5].errors) == 2


def test_outlets_match_case_insensitively_and_unknown_ones_are_created_once(session, storage, people, en):
    session.add(Outlet(name="Suara Merdeka", type="cetak", dewan_pers="faktual"))
    session.commit()
    data = csv_bytes("Nama,Media,Jenis media",
                     "Budi,suara merdeka,tv",
                     "Ani,Radio Baru FM,radio",
                     "Sari,RADIO BARU FM,",
                     "Rudi,Portal Warga,blog")
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    rows = rows_by_number(check(session, storage, batch))
    assert not rows[2].outlet_is_new and rows[3].outlet_is_new
    assert "online" in str(rows[5].notes[0].message)
    outcome = commit(session, storage, people["editor"], batch)
    assert outcome.outlets_created == 2
    outlets = {o.name: (o.type, o.dewan_pers) for o in session.scalars(select(Outlet))}
    assert outlets == {"Suara Merdeka": ("cetak", "faktual"), "Radio Baru FM": ("radio", "belum"),
                       "Portal Warga": ("online", "belum")}
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "outlet.created")).all()
    assert len(entries) == 2


# Duplicates -------------------------------------------------------------------------------------
def test_duplicates_within_the_file_and_against_another_opds_journalist(session, storage, people):
    known = existing(session, people["editor_b"], people["opd_b"], "Dewi Lestari",
                     emails=["dewi@example.com"], phones=["0811-2222-3333"])
    journalists.set_notes(session, people["editor_b"], known, people["opd_b"], "catatan rahasia OPD B")
    session.commit()
    data = csv_bytes("Nama,Email,HP,Jabatan",
                     "Dewi Lestari,DEWI@Example.com,,Kontributor",       # same email, other case
                     "Dewi Lestari,,+62 811 2222 3333,",                  # same number, other format
                     "Eko Prasetyo,eko@example.com,0813-1111-2222,",
                     "Eko Prasetyo,eko.p@example.com,6281311112222,")   # earlier in the file
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    rows = rows_by_number(check(session, storage, batch))
    assert rows[2].decision == rows[3].decision == f"merge:{known.id}"
    assert rows[4].decision == "create" and rows[5].decision == "row:4"
    labels = " ".join(str(label) for _v, label in rows[2].options)
    assert "Dewi Lestari" in labels and "rahasia" not in labels
    outcome = commit(session, storage, people["editor"], batch)
    assert (outcome.created, outcome.merged, outcome.skipped) == (1, 3, 0)
    session.expire_all()
    dewi = session.get(Journalist, known.id)
    assert dewi.position == "Kontributor" and dewi.link_for(people["opd_a"].id).following
    assert dewi.link_for(people["opd_b"].id).notes == "catatan rahasia OPD B"
    eko = person(session, "eko@example.com")
    assert sorted(e.address for e in eko.emails) == ["eko.p@example.com", "eko@example.com"]
    assert count(session, Journalist) == 2
    merged = session.scalars(select(AuditEntry).where(AuditEntry.action == "journalist.merged")).all()
    assert {e.object_id for e in merged} == {str(known.id), str(eko.id)}


def test_several_matches_wait_for_a_person_and_the_choice_is_kept(session, storage, people):
    first = existing(session, people["editor"], people["opd_a"], "Fajar", emails=["fajar@example.com"])
    second = existing(session, people["editor"], people["opd_a"], "Fajar", phones=["0815-1234-5678"])
    data = csv_bytes("Nama,Email,HP", "Fajar,fajar@example.com,0815-1234-5678")
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    row = check(session, storage, batch).rows[0]
    assert row.decision == "" and {f"merge:{first.id}", f"merge:{second.id}"} <= {v for v, _l in row.options}
    with pytest.raises(ValidationError):
        commit(session, storage, people["editor"], batch)
    outcome = commit(session, storage, people["editor"], batch, decisions={2: f"merge:{second.id}"})
    assert outcome.merged == 1
    session.expire_all()
    assert [e.address for e in session.get(Journalist, second.id).emails] == ["fajar@example.com"]


def test_shared_desk_numbers_and_redaksi_addresses_are_flagged_never_merged(session, storage, people):
    desk = existing(session, people["editor_b"], people["opd_b"], "Redaksi Kabar Jateng",
                    emails=["redaksi@kabarjateng.example.com"])
    andi = existing(session, people["editor_b"], people["opd_b"], "Andi Wijaya", phones=["0812-9999-0000"])
    data = csv_bytes("Nama,Email,HP",
                     "Budi Santoso,budi@example.com,(024) 8311111",         # one desk line …
                     "Siti Aminah,siti@example.com,024-8311111",           # … for two people
                     "Rina Kusuma,redaksi@kabarjateng.example.com,",       # a desk address
                     "Rina Kusumawati,,0812-9999-0000",                    # Andi's number, other name
                     "Budi Santoso,budi@example.com,")                     # the same Budi again
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    rows = rows_by_number(check(session, storage, batch))
    assert rows[2].shared == {("phone", "+62248311111")} and rows[3].shared == rows[2].shared
    assert rows[2].decision == rows[3].decision == "create"
    assert rows[4].shared == {("email", "redaksi@kabarjateng.example.com")} and rows[4].decision == "create"
    assert f"merge:{desk.id}" in {v for v, _l in rows[4].options}  # offered, not chosen
    assert rows[5].decision == "create" and f"merge:{andi.id}" in {v for v, _l in rows[5].options}
    assert rows[6].decision == "row:2"  # the personal address still finds the earlier row
    outcome = commit(session, storage, people["editor"], batch)
    assert (outcome.created, outcome.merged) == (4, 1)
    shared_phones = session.execute(select(JournalistPhone.e164, JournalistPhone.is_shared)).all()
    assert all(shared for _e164, shared in shared_phones) and len(shared_phones) == 4
    session.expire_all()
    assert session.get(Journalist, andi.id).full_name == "Andi Wijaya"
    assert session.get(Journalist, desk.id).full_name == "Redaksi Kabar Jateng"
    flagged = session.scalar(select(AuditEntry).where(AuditEntry.action == "journalist.updated",
                                                      AuditEntry.object_id == str(andi.id)))
    assert flagged.fields == ["phones"] and flagged.details["marked_shared"] is True


def test_a_merge_into_a_shared_contact_holder_only_when_a_person_chooses_it(session, storage, people):
    andi = existing(session, people["editor"], people["opd_a"], "Andi Wijaya", phones=["0812-9999-0000"])
    data = csv_bytes("Nama,HP,Jabatan", "A. Wijaya,0812-9999-0000,Fotografer")
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    row = check(session, storage, batch).rows[0]
    assert row.shared and row.decision == "create"
    commit(session, storage, people["editor"], batch, decisions={2: f"merge:{andi.id}"})
    session.expire_all()
    merged = session.get(Journalist, andi.id)
    assert merged.position == "Fotografer" and not merged.phones[0].is_shared
    assert count(session, Journalist) == 1


# Consent ----------------------------------------------------------------------------------------
def test_imported_contacts_await_consent_by_default(session, storage, people):
    data = csv_bytes("Nama,Email,HP", "Budi,budi@example.com,0812-3456-7890")
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    commit(session, storage, people["editor"], batch)
    budi = person(session, "budi@example.com")
    assert {(c.channel, c.state, c.given_at) for c in budi.consents} == {("email", "awaiting", None),
                                                                         ("whatsapp", "awaiting", None)}


def test_consent_column_with_a_basis_per_channel(session, storage, people, en):
    data = csv_bytes("Nama,Email,HP,Persetujuan,Persetujuan WA,Dasar persetujuan",
                     "Ana,ana@example.com,0812-1000-0001,ya,,Formulir 12/2026",
                     "Beni,beni@example.com,0812-1000-0002,Ya,tidak,Formulir 13/2026",
                     "Cici,cici@example.com,0812-1000-0003,setuju,,",
                     "Dodi,dodi@example.com,0812-1000-0004,tidak,,Formulir 14/2026",
                     "Euis,euis@example.com,(024) 3546789,bersedia,,Formulir 15/2026")
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    rows = rows_by_number(check(session, storage, batch))
    assert "no basis" in str(rows[4].notes[0].message)
    commit(session, storage, people["editor"], batch)

    def states(email):
        return {c.channel: (c.state, c.method, c.basis) for c in person(session, email).consents}

    assert states("ana@example.com") == {"email": ("given", "impor", "Formulir 12/2026"),
                                         "whatsapp": ("given", "impor", "Formulir 12/2026")}
    assert states("beni@example.com") == {"email": ("given", "impor", "Formulir 13/2026"),
                                          "whatsapp": ("awaiting", None, None)}
    assert states("cici@example.com")["email"][0] == "awaiting"
    assert states("dodi@example.com")["email"][0] == "awaiting"
    assert states("euis@example.com") == {"email": ("given", "impor", "Formulir 15/2026"),
                                          "whatsapp": ("awaiting", None, None)}  # a landline only


def test_batch_attestation_covers_rows_except_an_explicit_no(session, storage, people):
    data = csv_bytes("Nama,Email,Persetujuan", "Ana,ana@example.com,", "Beni,beni@example.com,tidak")
    with pytest.raises(ValidationError):
        start(session, storage, people["editor"], people["opd_a"], data, consent_method="formulir")
    session.rollback()
    batch = start(session, storage, people["editor"], people["opd_a"], data, consent_method="formulir",
                  consent_basis="formulir persetujuan acara Hari Pers 2026")
    commit(session, storage, people["editor"], batch)
    ana = person(session, "ana@example.com").consent_for("email")
    assert (ana.state, ana.method, ana.basis) == ("given", "formulir",
                                                  "formulir persetujuan acara Hari Pers 2026")
    assert person(session, "beni@example.com").consent_for("email").state == "awaiting"
    ana_id = str(person(session, "ana@example.com").id)
    created = session.scalar(select(AuditEntry).where(AuditEntry.action == "journalist.created",
                                                      AuditEntry.object_id == ana_id))
    assert created.details["consent"] == ["email"] and created.details["source"] == "import"


def test_a_merge_never_overwrites_a_withdrawn_consent_or_a_name(session, storage, people):
    known = existing(session, people["editor_b"], people["opd_b"], "Gita Savitri",
                     emails=["gita@example.com"], phones=["0812-7777-8888"])
    journalists.withdraw_consent(session, None, known, "email", how="balasan email")
    session.commit()
    data = csv_bytes("Nama,Email,HP,Jabatan", "Gita S.,gita@example.com,0812-7777-8888,Redaktur")
    batch = start(session, storage, people["editor"], people["opd_a"], data, consent_method="formulir",
                  consent_basis="formulir persetujuan 2026")
    rows = check(session, storage, batch).rows
    # "Gita S." is not plainly the same name, so the number counts as shared; the email still matches.
    assert rows[0].decision == "" and f"merge:{known.id}" in {v for v, _l in rows[0].options}
    commit(session, storage, people["editor"], batch, decisions={2: f"merge:{known.id}"})
    session.expire_all()
    gita = session.get(Journalist, known.id)
    assert gita.full_name == "Gita Savitri" and gita.position == "Redaktur"
    assert gita.consent_for("email").state == "withdrawn"
    assert (gita.consent_for("whatsapp").state, gita.consent_for("whatsapp").basis) == (
        "given", "formulir persetujuan 2026")


# The commit -------------------------------------------------------------------------------------
def test_one_bad_row_imports_nothing_until_it_is_skipped(session, storage, people, en):
    data = csv_bytes("Nama,Email,Media", "Ana,ana@example.com,Media Baru", "Beni,beni@@example,Media Baru",
                     "Cici,cici@example.com,")
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    with pytest.raises(ValidationError) as caught:
        commit(session, storage, people["editor"], batch)
    assert "row 3" in str(caught.value.errors[""])
    session.expire_all()
    assert count(session, Journalist) == 0 and count(session, Outlet) == 0
    assert session.get(ImportBatch, batch.id).status == "preview"
    outcome = commit(session, storage, people["editor"], batch, decisions={3: "skip"})
    assert (outcome.created, outcome.skipped, outcome.outlets_created) == (2, 1, 1)
    assert count(session, Journalist) == 2
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "journalist.import_committed"))
    assert entry.object_id == str(batch.id) and entry.opd_id == people["opd_a"].id
    assert entry.details == {"rows": 3, "created": 2, "merged": 0, "skipped": 1, "outlets_created": 1,
                             "marked_shared": 0}
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "journalist.created")) == 2


def test_skip_every_row_with_an_error_and_settle_undecided_rows_for_all(session, storage, people):
    existing(session, people["editor"], people["opd_a"], "Hana", emails=["hana@example.com"])
    existing(session, people["editor"], people["opd_a"], "Hana", phones=["0812-5555-6666"])
    data = csv_bytes("Nama,Email,HP", "Hana,hana@example.com,0812-5555-6666", "Ika,salah,",
                     "Joko,joko@example.com,")
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    outcome = commit(session, storage, people["editor"], batch, skip_error_rows=True, undecided="skip")
    assert (outcome.created, outcome.merged, outcome.skipped) == (1, 0, 2)


def test_a_batch_is_committed_once(session, storage, people, en):
    data = csv_bytes("Nama,Email", "Ana,ana@example.com")
    batch = start(session, storage, people["editor"], people["opd_a"], data)
    commit(session, storage, people["editor"], batch)
    with pytest.raises(ValidationError) as caught:
        commit(session, storage, people["editor"], batch)
    assert "already imported" in str(caught.value.errors[""])
    assert count(session, Journalist) == 1
    cancelled = start(session, storage, people["editor"], people["opd_a"], csv_bytes("Nama", "Beni"))
    assert di.cancel_import(session, people["editor"], cancelled)
    session.commit()
    with pytest.raises(ValidationError):
        commit(session, storage, people["editor"], cancelled)
    assert not di.cancel_import(session, people["editor"], cancelled)


def test_a_stale_batch_object_cannot_commit_twice(session, storage, people, app):
    """Two requests that loaded the batch before either committed: the compare-and-set wins."""
    batch = start(session, storage, people["editor"], people["opd_a"],
                  csv_bytes("Nama,Email", "Ana,a@example.com"))
    other = app.extensions["db"].session_factory()
    try:
        stale = other.get(ImportBatch, batch.id)
        other.rollback()  # a loaded object, with its transaction ended
        commit(session, storage, people["editor"], batch)
        with pytest.raises(ValidationError):
            di.commit_import(other, storage, other.get(type(people["editor"]), people["editor"].id), stale,
                             di.load_settings(storage, stale), max_rows=MAX)
        other.rollback()
    finally:
        other.close()
    assert count(session, Journalist) == 1


def test_only_the_uploader_or_an_admin_may_open_a_batch(session, storage, people, factory):
    batch = start(session, storage, people["editor"], people["opd_a"], csv_bytes("Nama", "Ana"))
    colleague = factory.user("approver", people["opd_a"])
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    assert di.may_open(people["editor"], batch) and di.may_open(admin, batch)
    assert not di.may_open(colleague, batch) and not di.may_open(people["editor_b"], batch)
    assert [o.code for o in di.importable_opds(session, people["editor"])] == ["DINA"]
    assert len(di.importable_opds(session, admin)) == 3


def test_the_import_merge_gives_what_merge_into_gives(session, storage, people):
    """The import merges in bulk with its own copy of merge_into's rules: keep them equal."""
    from pressroom.models import Beat
    from pressroom.services.journalists import ConsentInput, JournalistData

    outlet = Outlet(name="Kabar Uji", type="online", dewan_pers="belum")
    session.add(outlet)
    session.commit()
    beats = {b.name: b.id for b in session.scalars(select(Beat))}
    twins = []
    for n in (1, 2):
        start_data = journalists.clean_input(
            session, full_name="Kartika Sari", emails=[f"kartika{n}@example.com"], region_codes=["3374"],
            beat_ids=[beats["Politik"]], press_card_issuer="PWI")
        twin = journalists.create_journalist(session, people["editor_b"], people["opd_b"], start_data)
        journalists.withdraw_consent(session, None, twin, "email", how="balasan")
        twins.append(twin)
    session.commit()
    data = JournalistData(full_name="Kartika S.", outlet_id=outlet.id, position="Reporter", ukw_level="muda",
                          press_card_issuer="AJI", province_wide=True, region_codes=["3322", "3374"],
                          beat_ids=sorted([beats["Politik"], beats["Kesehatan"]]),
                          emails=[("kartika.baru@example.com", False)], phones=[("+6281298765432", "mobile")])
    consent = {"email": ConsentInput("impor", "Formulir 1"), "whatsapp": ConsentInput("impor", "Formulir 1")}
    first = journalists.merge_into(session, people["editor"], twins[0], data, people["opd_a"], consent,
                                   source="import")
    row = di.RowCheck(number=2, data=data, consent=consent)
    second = di._merge(session, people["editor"], twins[1], row, people["opd_a"], di.Vocabulary.load(session),
                       now=twins[1].updated_at, who="x")
    session.commit()
    assert first == second

    def state(j: Journalist) -> dict:
        session.refresh(j)
        names = ("full_name", "sort_name", "outlet_id", "position", "ukw_level", "press_card_issuer",
                 "province_wide", "preferred_channels")
        return {"fields": [getattr(j, f) for f in names],
                "emails": sorted(e.address for e in j.emails if not e.address.startswith("kartika1")
                                 and not e.address.startswith("kartika2")),
                "phones": [(p.e164, p.kind, p.is_shared) for p in j.phones],
                "beats": sorted(b.name for b in j.beats), "regions": sorted(r.code for r in j.regions),
                "consents": sorted((c.channel, c.state, c.method, c.basis) for c in j.consents),
                "links": sorted((link.opd_id, link.following, link.subscribed) for link in j.links)}

    assert state(twins[0]) == state(twins[1])
    audits = [session.scalar(select(AuditEntry).where(AuditEntry.action == "journalist.merged",
                                                      AuditEntry.object_id == str(t.id))) for t in twins]
    assert audits[0].fields == audits[1].fields and audits[0].details == audits[1].details
