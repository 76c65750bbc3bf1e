"""An OPD's press set-up through the web: its settings (numbering pattern with a live
example, the public contact card, which channels alerts go out on) and its saved audience
lists (members from the directory, archived and erased journalists never counted)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pressroom.models import (
    AudienceList,
    AudienceListMember,
    AuditEntry,
    Journalist,
    PressProfile,
    PressRelease,
)
from pressroom.services import audience_lists, journalists, press_profiles
from tests.conftest import csrf_token, login, reload


def _english(client):
    client.get("/bahasa/en?next=/")


def _journalist(factory, opd, actor, name, phone, status="active"):
    data = journalists.clean_input(factory.session, full_name=name, phones=[phone])
    person = journalists.create_journalist(factory.session, actor, opd, data)
    person.status = status
    factory.session.commit()
    return person


# Settings ------------------------------------------------------------------------------------
SETTINGS = {
    "number_pattern": "{class}/{seq:3}/{opd}/{month_roman}/{year}",
    "classification": "000.2.3",
    "contact_name": "  Dra.  Sri   Wahyuni ",
    "contact_position": "Kepala Bidang IKP",
    "contact_phone": "0812-3456-7890",
    "contact_email": "Humas@Diskominfo.Example.go.id",
    "address": "Jl. Menteri Supeno I/2, Semarang",
    "website": "diskominfo.jatengprov.go.id",
}


@pytest.fixture
def desk(factory):
    opd = factory.opd("DISKOMINFO")
    return opd, factory.user("approver", opd, level="kepala")


def _settings_url(opd) -> str:
    return f"/app/pers/pengaturan/{opd.id}"


def test_defaults_and_todays_example_are_shown_before_anything_is_saved(client, factory, session, desk,
                                                                         frozen_clock):
    opd, approver = desk
    login(client, approver, factory)
    _english(client)

    page = client.get(_settings_url(opd)).get_data(as_text=True)

    # Release no. 7 today (2 March 2026 in WIB), with the default pattern and classification.
    assert "480/7/DISKOMINFO/III/2026" in page
    assert "Not saved yet" in page
    assert session.get(PressProfile, opd.id) is None
    profile = press_profiles.get_profile(session, opd.id)
    assert profile.number_pattern == "{class}/{seq}/{opd}/{month_roman}/{year}"
    assert profile.classification == "480"
    assert profile not in session  # a default, not a row


def test_approver_saves_the_settings_normalised_and_audited_by_field_name(client, factory, session, desk,
                                                                          frozen_clock):
    opd, approver = desk
    login(client, approver, factory)

    response = client.post(_settings_url(opd), data={
        "csrf_token": csrf_token(client, _settings_url(opd)), "action": "save", **SETTINGS})

    assert response.status_code == 302, response.get_data(as_text=True)
    reload(session)
    profile = session.get(PressProfile, opd.id)
    assert profile.number_pattern == SETTINGS["number_pattern"]
    assert profile.classification == "000.2.3"
    assert profile.contact_name == "Dra. Sri Wahyuni"
    assert profile.contact_phone == "+6281234567890"
    assert profile.contact_email == "humas@diskominfo.example.go.id"
    assert profile.website == "https://diskominfo.jatengprov.go.id"
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "press_profile.created"))
    assert entry.object_id == str(opd.id) and entry.opd_id == opd.id
    assert "contact_phone" in entry.fields and "number_pattern" in entry.fields
    logged = json.dumps([entry.fields, entry.details])
    assert "6281234567890" not in logged and "Wahyuni" not in logged
    page = client.get(_settings_url(opd)).get_data(as_text=True)
    assert "000.2.3/007/DISKOMINFO/III/2026" in page
    assert "0812-3456-7890" in page  # shown as Indonesians write it

    # The lead developer's numbering reads the saved profile.
    assert press_profiles.get_profile(session, opd.id).number_pattern == SETTINGS["number_pattern"]

    response = client.post(_settings_url(opd), data={
        "csrf_token": csrf_token(client, _settings_url(opd)), "action": "save",
        **{**SETTINGS, "contact_name": "Budi Raharjo", "website": "https://jatengprov.go.id/diskominfo"}})
    assert response.status_code == 302
    reload(session)
    [update] = session.scalars(select(AuditEntry).where(AuditEntry.action == "press_profile.updated"))
    assert sorted(update.fields) == ["contact_name", "website"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("number_pattern", "{class}/{opd}/{year}", "must contain {seq}"),
    ("number_pattern", "{seq}/{opd}/{tahun}", "Unknown token {tahun}"),
    ("number_pattern", "{seq}/{opd}", "must contain {year}"),
    ("classification", "", "enter the classification code"),
    ("classification", "480; DROP", "letters, digits, dots"),
    ("contact_phone", "12345", "not a valid phone number"),
    ("contact_email", "humas@", "not a valid email address"),
    ("website", "javascript:alert(1)", "web address"),
])
def test_bad_settings_are_explained_and_nothing_is_saved(client, factory, session, desk, field, value,
                                                         message):
    opd, approver = desk
    login(client, approver, factory)
    _english(client)

    response = client.post(_settings_url(opd), data={
        "csrf_token": csrf_token(client, _settings_url(opd)), "action": "save", **{**SETTINGS, field: value}})

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    reload(session)
    assert session.get(PressProfile, opd.id) is None
    assert not session.scalars(select(AuditEntry).where(AuditEntry.action.like("press_profile.%"))).all()


def test_show_example_computes_the_typed_pattern_without_saving(client, factory, session, desk, frozen_clock):
    opd, approver = desk
    login(client, approver, factory)

    response = client.post(_settings_url(opd), data={
        "csrf_token": csrf_token(client, _settings_url(opd)), "action": "preview",
        **{**SETTINGS, "number_pattern": "PR-{seq:4}/{opd}/{year}"}})

    assert response.status_code == 200
    assert "PR-0007/DISKOMINFO/2026" in response.get_data(as_text=True)
    reload(session)
    assert session.get(PressProfile, opd.id) is None


def test_settings_are_for_the_opds_approvers_and_admins(client, factory, desk):
    opd, _approver = desk
    editor = factory.user("editor", opd)
    other_opd = factory.opd("DINKES")
    other_approver = factory.user("approver", other_opd, level="kepala")
    admin = factory.user("admin", factory.opd("SETDA"))
    for user, status in ((editor, 403), (other_approver, 403), (admin, 200)):
        client = factory.app.test_client()
        login(client, user, factory)
        assert client.get(_settings_url(opd)).status_code == status
        assert client.post(_settings_url(opd), data={
            "csrf_token": csrf_token(client, "/app/account/password"), "action": "save",
            **SETTINGS}).status_code == (302 if status == 200 else status)


@pytest.mark.parametrize(("provider", "shown", "warned"), [
    ("", "Sandbox", False),
    ("cloud", "WhatsApp Cloud API", False),
    ("fonnte", "Fonnte (unofficial gateway)", True),
    ("wablas", "Wablas (unofficial gateway)", True),
])
def test_the_configured_whatsapp_provider_is_shown_with_the_gateway_warning(app_factory, provider, shown,
                                                                            warned):
    from tests.conftest import Factory, open_test_session

    app = app_factory(WHATSAPP_PROVIDER=provider, WABLAS_API_BASE="https://solo.wablas.example",
                      SMTP_HOST="mail.jatengprov.example",
                      MAIL_SENDER="Pressroom <noreply@jatengprov.example>", WHATSAPP_GATEWAY_DELAY_SECONDS=8)
    session = open_test_session(app)
    try:
        factory = Factory(app, session)
        opd = factory.opd("DISKOMINFO")
        approver = factory.user("approver", opd, level="kepala")
        client = app.test_client()
        login(client, approver, factory)
        _english(client)
        page = client.get(_settings_url(opd)).get_data(as_text=True)
    finally:
        session.close()

    assert shown in page
    assert "mail.jatengprov.example" in page
    assert ("unofficial" in page and "perjanjian pemrosesan data" in page and "UU No. 27 Tahun 2022" in page
            and "8 seconds apart" in page) is warned


def test_sandbox_channels_override_what_is_configured():
    setup = press_profiles.delivery_setup({"WHATSAPP_PROVIDER": "fonnte", "SMTP_HOST": "mail.example",
                                           "SANDBOX_CHANNELS": "*"})
    assert (setup.whatsapp, setup.email, setup.whatsapp_is_gateway) == ("sandbox", "sandbox", False)
    setup = press_profiles.delivery_setup({"WHATSAPP_PROVIDER": "Wablas", "SMTP_HOST": "mail.example"})
    assert (setup.whatsapp, setup.email, setup.smtp_host) == ("wablas", "smtp", "mail.example")


# Audience lists ------------------------------------------------------------------------------------
@pytest.fixture
def office(factory):
    opd = factory.opd("DISTANBUN")
    editor = factory.user("editor", opd)
    people = {
        "ani": _journalist(factory, opd, editor, "Ani Wulandari", "0812-1111-0001"),
        "budi": _journalist(factory, opd, editor, "Budi Santoso", "0812-1111-0002"),
        "citra": _journalist(factory, opd, editor, "Citra Lestari", "0812-1111-0003"),
    }
    return opd, editor, people


def _create(client, opd, name):
    return client.post("/app/pers/daftar", data={"csrf_token": csrf_token(client, "/app/pers/daftar"),
                                                 "opd_id": str(opd.id), "name": name})


def _change(client, audience_id, action, **fields):
    url = f"/app/pers/daftar/{audience_id}"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "action": action, **fields})


def test_editor_creates_a_list_and_adds_journalists_found_in_the_directory(client, factory, session, office):
    opd, editor, people = office
    login(client, editor)
    _english(client)

    response = _create(client, opd, "  Media   peliput pertanian ")
    assert response.status_code == 302, response.get_data(as_text=True)
    reload(session)
    audience = session.scalar(select(AudienceList))
    assert (audience.name, audience.opd_id, audience.created_by_id) == ("Media peliput pertanian", opd.id,
                                                                        editor.id)
    assert response.headers["Location"].endswith(f"/app/pers/daftar/{audience.id}")

    found = client.get(f"/app/pers/daftar/{audience.id}?q=budi").get_data(as_text=True)
    assert "Budi Santoso" in found and "Ani Wulandari" not in found

    chosen = [str(people["budi"].id), str(people["ani"].id)]
    response = _change(client, audience.id, "add", journalist_id=chosen)
    assert response.status_code == 302
    reload(session)
    assert set(session.scalars(select(AudienceListMember.journalist_id))) == {people["budi"].id,
                                                                              people["ani"].id}
    added = session.scalar(select(AuditEntry).where(AuditEntry.action == "audience_list.members_added"))
    assert sorted(added.details["journalist_ids"]) == sorted([people["budi"].id, people["ani"].id])

    again = _change(client, audience.id, "add", journalist_id=[str(people["budi"].id)])
    assert again.status_code == 302
    reload(session)
    assert len(session.scalars(select(AudienceListMember)).all()) == 2

    listing = client.get("/app/pers/daftar").get_data(as_text=True)
    assert "Media peliput pertanian" in listing
    assert "/app/pers/pengaturan/" not in listing  # the settings are the approvers'
    assert audience_lists.list_choices(session, opd.id) == [(audience.id, "Media peliput pertanian", 2)]


def test_list_names_are_unique_per_opd_whatever_the_case(client, factory, session, office):
    opd, editor, _people = office
    other = factory.opd("DINKES")
    audience_lists.create_list(session, factory.user("editor", other), other, "Media pertanian")
    session.commit()
    login(client, editor)
    _english(client)

    assert _create(client, opd, "Media pertanian").status_code == 302  # another OPD's name is free
    response = _create(client, opd, "MEDIA  PERTANIAN")

    assert response.status_code == 400
    assert "already has a list called" in response.get_data(as_text=True)
    reload(session)
    assert len(session.scalars(select(AudienceList).where(AudienceList.opd_id == opd.id)).all()) == 1


def test_a_list_of_another_opd_cannot_be_opened_or_created(client, factory, session, office):
    opd, editor, people = office
    audience = audience_lists.create_list(session, editor, opd, "Media pertanian")
    session.commit()
    other = factory.opd("DINKES")
    outsider = factory.user("editor", other)
    login(client, outsider)

    assert client.get(f"/app/pers/daftar/{audience.id}").status_code == 403
    assert _change(client, audience.id, "add", journalist_id=[str(people["ani"].id)]).status_code == 403
    assert _create(client, opd, "Disusupkan").status_code == 400  # not one of the OPDs they work in
    reload(session)
    assert session.scalars(select(AudienceListMember)).all() == []
    assert [a.name for a in session.scalars(select(AudienceList))] == ["Media pertanian"]
    assert client.get("/app/pers/daftar/999999").status_code == 404


def test_archived_and_erased_journalists_are_shown_as_such_and_never_count(client, factory, session, office):
    opd, editor, people = office
    audience = audience_lists.create_list(session, editor, opd, "Media pertanian")
    audience_lists.add_members(session, editor, audience, [p.id for p in people.values()])
    session.commit()
    budi = session.get(Journalist, people["budi"].id)
    budi.status = "archived"
    citra = session.get(Journalist, people["citra"].id)
    citra.status, citra.full_name = "erased", None
    session.commit()
    login(client, editor)
    _english(client)

    page = client.get(f"/app/pers/daftar/{audience.id}").get_data(as_text=True)

    assert "archived: does not receive" in page and "Budi Santoso" in page
    assert "erased: never receives" in page
    assert "1 journalists receive alerts sent to this list" in page
    assert audience_lists.list_choices(session, opd.id) == [(audience.id, "Media pertanian", 1)]
    assert list(session.scalars(audience_lists.member_ids_query(audience.id))) == [people["ani"].id]
    # Usable as the lead's audience sub-query.
    chosen = session.scalars(select(Journalist.id).where(
        Journalist.id.in_(audience_lists.member_ids_query(audience.id)))).all()
    assert chosen == [people["ani"].id]
    # An archived journalist cannot be added again.
    reload(session)
    other = audience_lists.create_list(session, editor, opd, "Lain")
    assert audience_lists.add_members(session, editor, other, [people["budi"].id, people["ani"].id]) == 1


def test_remove_rename_and_delete(client, factory, session, office):
    opd, editor, people = office
    audience = audience_lists.create_list(session, editor, opd, "Media pertanian")
    audience_lists.add_members(session, editor, audience, [people["ani"].id, people["budi"].id])
    session.commit()
    audience_id = audience.id
    login(client, editor)

    assert _change(client, audience_id, "remove", journalist_id=str(people["ani"].id)).status_code == 302
    reload(session)
    assert list(session.scalars(select(AudienceListMember.journalist_id))) == [people["budi"].id]

    url = f"/app/pers/daftar/{audience_id}"
    renamed = client.post(url, data={"rename-csrf_token": csrf_token(client, url), "action": "rename",
                                     "rename-name": "Wartawan pertanian"})
    assert renamed.status_code == 302
    reload(session)
    assert session.get(AudienceList, audience_id).name == "Wartawan pertanian"

    assert _change(client, audience_id, "delete").status_code == 302
    reload(session)
    assert session.get(AudienceList, audience_id) is None
    assert session.scalars(select(AudienceListMember)).all() == []
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "audience_list")))
    assert actions >= {"audience_list.created", "audience_list.members_removed", "audience_list.renamed",
                       "audience_list.deleted"}
    # The journalists stay in the directory.
    assert session.get(Journalist, people["ani"].id).status == "active"


def test_a_list_an_unsent_release_depends_on_is_not_deleted(client, factory, session, office):
    opd, editor, people = office
    audience = audience_lists.create_list(session, editor, opd, "Media pertanian")
    session.add(PressRelease(opd_id=opd.id, author_id=editor.id, headline="Panen raya", state="submitted",
                             audience={"list_id": audience.id, "channels": ["email", "whatsapp"]}))
    session.commit()
    login(client, editor)
    _english(client)

    response = _change(client, audience.id, "delete")

    assert response.status_code == 400
    assert "not yet sent use this list" in response.get_data(as_text=True)
    reload(session)
    assert session.get(AudienceList, audience.id) is not None


def test_forms_without_a_csrf_token_change_nothing(client, factory, session, office):
    opd, editor, people = office
    audience = audience_lists.create_list(session, editor, opd, "Media pertanian")
    session.commit()
    login(client, editor)

    response = client.post(f"/app/pers/daftar/{audience.id}", data={"action": "delete"})

    assert response.status_code == 400
    reload(session)
    assert session.get(AudienceList, audience.id) is not None
