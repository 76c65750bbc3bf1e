"""The journalist directory through the web: one record for the province, each OPD's
notes private to it, consent per channel, exports and PDP rights."""

import json

from sqlalchemy import func, select, text

from pressroom.models import AuditEntry, Beat, Consent, Journalist, JournalistOpd, JournalistPhone, Region
from pressroom.services import journalists
from tests.conftest import csrf_token, login, reload

SCRIPT = '<script>alert("x")</script>'


def _english(client):
    client.get("/bahasa/en?next=/")


def _add(
    factory,
    opd,
    actor,
    name="Budi Santoso",
    phones=("0812-3456-7890",),
    emails=("budi@warta.example.com",),
    **extra,
):
    data = journalists.clean_input(
        factory.session, full_name=name, phones=list(phones), emails=list(emails), **extra
    )
    person = journalists.create_journalist(factory.session, actor, opd, data)
    factory.session.commit()
    return person


def test_editor_adds_a_journalist_with_messy_numbers(client, factory, session):
    opd = factory.opd("DINKES")
    editor = factory.user("editor", opd)
    login(client, editor)
    beat = session.scalar(select(Beat).where(Beat.name == "Kesehatan"))
    response = client.post(
        "/app/wartawan/baru",
        data={
            "csrf_token": csrf_token(client, "/app/wartawan/baru"),
            "full_name": "  Siti   Aminah ",
            "outlet_id": "0",
            "emails": "Siti@Warta.Example.com",
            "phones": "+62 812 3456 7890\n(024) 8311234",
            "first_channel": "whatsapp",
            "second_channel": "email",
            "beat_ids": [str(beat.id)],
            "region_codes": ["3374", "3322"],
            "ukw_level": "madya",
            "opd_id": str(opd.id),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    reload(session)
    person = session.scalar(select(Journalist))
    assert person.full_name == "Siti Aminah"
    assert {(p.e164, p.kind) for p in person.phones} == {
        ("+6281234567890", "mobile"),
        ("+62248311234", "landline"),
    }
    assert [e.address for e in person.emails] == ["siti@warta.example.com"]
    assert person.preferred_channels == ["whatsapp", "email"]
    assert {c.channel: c.state for c in person.consents} == {"email": "awaiting", "whatsapp": "awaiting"}
    assert person.link_for(opd.id).following
    page = client.get(f"/app/wartawan/{person.id}").get_data(as_text=True)
    assert "0812-3456-7890" in page and "Kota Semarang" in page


def test_same_person_from_another_opd_is_caught_as_duplicate(client, factory, session):
    a, b = factory.opd("DINA"), factory.opd("DINB")
    existing = _add(factory, a, factory.user("editor", a), phones=("081234567890",))
    other = factory.user("editor", b)
    login(client, other)
    _english(client)
    form = {
        "csrf_token": csrf_token(client, "/app/wartawan/baru"),
        "full_name": "Budi S.",
        "outlet_id": "0",
        "phones": "62812-3456-7890",
        "opd_id": str(b.id),
        "first_channel": "",
        "second_channel": "",
        "ukw_level": "",
    }
    response = client.post("/app/wartawan/baru", data=form)
    assert response.status_code == 400 and "already in the province" in response.get_data(as_text=True)
    assert f"/app/wartawan/{existing.id}" in response.get_data(as_text=True)
    reload(session)
    assert session.scalar(select(func.count()).select_from(Journalist)) == 1
    # Following the existing record is the way to share it.
    client.post(
        f"/app/wartawan/{existing.id}/ikuti",
        data={"csrf_token": csrf_token(client, "/app/wartawan/"), "opd_id": str(b.id)},
    )
    reload(session)
    assert {link.opd_id for link in session.get(Journalist, existing.id).links if link.following} == {
        a.id,
        b.id,
    }


def test_notes_are_private_to_their_opd(app, factory, session):
    a, b = factory.opd("DINA"), factory.opd("DINB")
    editor_a, editor_b = factory.user("editor", a), factory.user("editor", b)
    person = _add(factory, a, editor_a)
    journalists.set_notes(session, editor_a, person, a, "Suka liputan vaksinasi; hubungi pagi")
    session.commit()
    client_a, client_b = app.test_client(), app.test_client()
    login(client_a, editor_a)
    login(client_b, editor_b)
    page_a = client_a.get(f"/app/wartawan/{person.id}").get_data(as_text=True)
    assert "Suka liputan vaksinasi" in page_a and "UU 27/2022" in page_a
    page_b = client_b.get(f"/app/wartawan/{person.id}").get_data(as_text=True)
    assert person.full_name in page_b and "Suka liputan vaksinasi" not in page_b
    # Writing another OPD's notes by crafting the form is refused.
    forged = client_b.post(
        f"/app/wartawan/{person.id}/catatan",
        data={
            "csrf_token": csrf_token(client_b, "/app/wartawan/"),
            "opd_id": str(a.id),
            "notes": "overwritten",
        },
    )
    assert forged.status_code == 403
    reload(session)
    assert session.get(Journalist, person.id).link_for(a.id).notes.startswith("Suka")


def test_search_filters_sort_and_paginate(client, factory, session):
    opd = factory.opd("DINA")
    editor = factory.user("editor", opd)
    health = session.scalar(select(Beat).where(Beat.name == "Kesehatan")).id
    for i in range(60):
        _add(
            factory,
            opd,
            editor,
            name=f"Wartawan {i:02d}",
            phones=(f"0899-0000-{i:04d}",),
            emails=(),
            beat_ids=[health] if i % 2 else [],
            region_codes=["3374"] if i % 3 == 0 else [],
            province_wide=(i == 1),
        )
    login(client, editor)
    first = client.get("/app/wartawan/").get_data(as_text=True)
    assert "Wartawan 00" in first and "Wartawan 59" not in first  # 50 per page, sorted by name
    second = client.get("/app/wartawan/?page=2").get_data(as_text=True)
    assert "Wartawan 59" in second
    by_beat_region = client.get(f"/app/wartawan/?beat={health}&region=3374").get_data(as_text=True)
    # Odd numbers divisible by 3 cover Semarang; number 1 covers the whole province.
    expected = {f"Wartawan {i:02d}" for i in range(60) if i % 2 and (i % 3 == 0 or i == 1)}
    shown = {f"Wartawan {i:02d}" for i in range(60) if f"Wartawan {i:02d}<" in by_beat_region}
    assert shown == expected
    assert "Wartawan 07" in client.get("/app/wartawan/?q=wartawan+07").get_data(as_text=True)
    assert "Wartawan 07" not in client.get("/app/wartawan/?consent=given").get_data(as_text=True)


def test_consent_is_recorded_and_withdrawn_per_channel(client, factory, session):
    opd = factory.opd("DINA")
    editor = factory.user("editor", opd)
    person = _add(factory, opd, editor)
    login(client, editor)
    _english(client)
    token = csrf_token(client, f"/app/wartawan/{person.id}")
    client.post(
        f"/app/wartawan/{person.id}/persetujuan",
        data={
            "csrf_token": token,
            "channel": "whatsapp",
            "action": "give",
            "method": "formulir",
            "basis": "Formulir persetujuan 3 Maret 2026",
        },
    )
    missing_basis = client.post(
        f"/app/wartawan/{person.id}/persetujuan",
        data={"csrf_token": token, "channel": "email", "action": "give", "method": "lisan", "basis": ""},
        follow_redirects=True,
    )
    assert "on what basis" in missing_basis.get_data(as_text=True)
    reload(session)
    states = {c.channel: c.state for c in session.get(Journalist, person.id).consents}
    assert states == {"whatsapp": "given", "email": "awaiting"}
    client.post(
        f"/app/wartawan/{person.id}/persetujuan",
        data={"csrf_token": token, "channel": "whatsapp", "action": "withdraw", "method": "pesan WA"},
    )
    reload(session)
    row = session.scalar(select(Consent).where(Consent.channel == "whatsapp"))
    assert row.state == "withdrawn" and row.withdrawn_at is not None and row.basis


def test_merge_fills_blanks_unions_sets_and_never_overwrites_consent(factory, session):
    opd_a, opd_b = factory.opd("DINA"), factory.opd("DINB")
    editor = factory.user("editor", opd_a)
    person = _add(factory, opd_a, editor, name="Ani", emails=())
    journalists.withdraw_consent(session, editor, person, "whatsapp", how="telepon")
    session.commit()
    incoming = journalists.clean_input(
        session,
        full_name="Ani Lestari",
        position="Redaktur",
        phones=["0812 3456 7890", "0899-0000-0002"],
        emails=["ani@warta.example.com"],
        region_codes=["3301"],
    )
    given = journalists.ConsentInput(method="impor", basis="formulir 2026")
    journalists.merge_into(
        session, editor, person, incoming, opd_b, consent={"whatsapp": given, "email": given}
    )
    session.commit()
    assert person.full_name == "Ani"  # not blank: kept
    assert person.position == "Redaktur"  # blank: filled
    assert {p.e164 for p in person.phones} == {"+6281234567890", "+6289900000002"}
    assert [e.address for e in person.emails] == ["ani@warta.example.com"]
    assert person.consent_for("whatsapp").state == "withdrawn"  # never overwritten
    assert person.consent_for("email").state == "given"  # awaiting filled from a basis
    assert person.link_for(opd_b.id).following


def test_export_is_for_approvers_and_audited(app, factory, session):
    opd = factory.opd("DINA")
    editor = factory.user("editor", opd)
    approver = factory.user("approver", opd, level="kepala")
    _add(factory, opd, editor)
    editor_client, approver_client = app.test_client(), app.test_client()
    login(editor_client, editor)
    login(approver_client, approver, factory)
    assert editor_client.get("/app/wartawan/ekspor.csv").status_code == 403
    response = approver_client.get("/app/wartawan/ekspor.vcf?q=budi")
    assert response.status_code == 200 and b"BEGIN:VCARD" in response.data
    assert "attachment" in response.headers["Content-Disposition"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "journalist.exported"))
    assert entry.details["format"] == "vcf" and entry.details["count"] == 1
    assert "budi" not in json.dumps(entry.details).lower()


def test_access_export_and_erasure_leave_no_personal_value(app, factory, session):
    a, b = factory.opd("DINA"), factory.opd("DINB")
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    editor = factory.user("editor", a)
    person = _add(
        factory,
        a,
        editor,
        name="Rahmat Hidayat Unik",
        phones=("0899-0000-0777",),
        emails=("rahmat.unik@warta.example.com",),
        region_codes=["3374"],
    )
    journalists.set_notes(session, editor, person, a, "Catatan pribadi tentang Rahmat")
    journalists.follow(session, factory.user("editor", b), person, b)
    journalists.record_consent(session, editor, person, "email", method="formulir", basis="bukti 123")
    session.commit()
    client = app.test_client()
    login(client, admin, factory)
    data = client.get(f"/app/wartawan/{person.id}/data.json").get_json()
    assert data["journalist"]["full_name"] == "Rahmat Hidayat Unik"
    assert {r["notes"] for r in data["opd_relations"]} >= {"Catatan pribadi tentang Rahmat"}
    assert data["consent"][0]["basis"] == "bukti 123"
    response = client.post(
        f"/app/wartawan/{person.id}/hapus",
        data={
            "csrf_token": csrf_token(client, f"/app/wartawan/{person.id}/hapus"),
            "reason": "subject_request",
            "reference": "Surat 045/2026",
            "confirm": "y",
        },
    )
    assert response.status_code == 302
    # No personal value left anywhere in the database.
    needles = ["Rahmat", "rahmat.unik", "8990000777", "Catatan pribadi", "bukti 123"]
    engine = app.extensions["db"].engine
    with engine.connect() as conn:
        tables = [t for t in engine.dialect.get_table_names(conn) if t != "alembic_version"]
        for table in tables:
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                blob = " ".join(str(v) for v in row)
                for needle in needles:
                    assert needle not in blob, f"{needle!r} left in {table}"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "journalist.erased"))
    assert entry.details["reason"] == "subject_request" and entry.object_id == str(person.id)
    assert client.get(f"/app/wartawan/{person.id}").status_code == 404


def test_names_with_html_are_escaped(client, factory, session):
    opd = factory.opd("DINA")
    editor = factory.user("editor", opd)
    person = _add(factory, opd, editor, name=SCRIPT)
    login(client, editor)
    for path in ("/app/wartawan/", f"/app/wartawan/{person.id}", f"/app/wartawan/{person.id}/ubah"):
        assert SCRIPT not in client.get(path).get_data(as_text=True), path


def test_archive_hides_from_the_list(app, factory, session):
    opd = factory.opd("DINA")
    approver = factory.user("approver", opd, level="kepala")
    person = _add(factory, opd, approver)
    client = app.test_client()
    login(client, approver, factory)
    client.post(f"/app/wartawan/{person.id}/arsip", data={"csrf_token": csrf_token(client, "/app/wartawan/")})
    assert person.full_name not in client.get("/app/wartawan/").get_data(as_text=True)
    assert person.full_name in client.get("/app/wartawan/?status=archived").get_data(as_text=True)


def test_reference_regions_are_the_35_of_central_java(session):
    codes = session.scalars(select(Region.code)).all()
    assert len(codes) == 35 and "3301" in codes and "3376" in codes


def test_whatsapp_capability_follows_the_number_type(factory, session):
    opd = factory.opd("DINA")
    person = _add(factory, opd, factory.user("editor", opd), phones=("024-8311234", "0812 3456 7890"))
    kinds = {p.e164: p.whatsapp_capable for p in session.scalars(select(JournalistPhone))}
    assert kinds == {"+62248311234": False, "+6281234567890": True}
    assert session.scalar(select(func.count()).select_from(JournalistOpd)) == 1
    assert person.status == "active"


def test_messages_that_quote_input_escape_it(client, factory):
    opd = factory.opd("DINA")
    login(client, factory.user("editor", opd))
    response = client.post("/app/wartawan/baru", data={
        "csrf_token": csrf_token(client, "/app/wartawan/baru"), "full_name": "Uji", "outlet_id": "0",
        "emails": '<img src=x onerror=alert(1)>', "opd_id": str(opd.id), "first_channel": "",
        "second_channel": "", "ukw_level": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<img src=x onerror" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
