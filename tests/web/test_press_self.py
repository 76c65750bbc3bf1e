"""A journalist's own signed links: one-click unsubscribe (no cookie, no CSRF token, only for
the signed recipient), the personal page behind a one-time code, erasure requests that reach
the admins with their 72-hour deadline, consent requests and "hadir" replies."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pressroom import clock
from pressroom.models import (
    AuditEntry,
    Beat,
    ConsentRequest,
    Delivery,
    ErasureRequest,
    InvitationReply,
    Journalist,
    JournalistCode,
    Notification,
    PressRelease,
)
from pressroom.services import ValidationError, journalist_self, journalists, press_links
from pressroom.services.press_links import LinkClaims
from tests.conftest import csrf_token, login, reload

CODE_RE = re.compile(r"\b(\d{6})\b")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08.00 WIB


def _english(client):
    client.get("/bahasa/en?next=/")


def _person(factory, opd, actor=None, name="Budi Santoso", emails=("budi@warta.example.com",),
            phones=("0812-3456-7890",), consent=("email", "whatsapp")):
    actor = actor or factory.user("editor", opd)
    data = journalists.clean_input(factory.session, full_name=name, emails=list(emails), phones=list(phones))
    person = journalists.create_journalist(factory.session, actor, opd, data)
    for channel in consent:
        journalists.record_consent(factory.session, actor, person, channel, method="formulir",
                                   basis="formulir persetujuan 1/3/2026")
    factory.session.commit()
    return person


def _token(app, purpose, journalist, **claims) -> str:
    return press_links.make_token(app.config["SECRET_KEY"], purpose,
                                  LinkClaims(journalist_id=journalist.id, **claims))


def _deliveries(session, journalist, purpose=None) -> list[Delivery]:
    rows = session.scalars(select(Delivery).where(Delivery.subject_type == "journalist",
                                                  Delivery.subject_id == journalist.id)
                           .order_by(Delivery.id)).all()
    return [d for d in rows if purpose is None or d.payload.get("purpose") == purpose]


def _one_click(client, token):
    return client.post(f"/pers/berhenti/{token}", data="List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded")


# One-click unsubscribe --------------------------------------------------------------------------
def test_one_click_unsubscribe_works_without_cookie_or_csrf_and_confirms_once(app, factory, session):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # CSRF is on: only the token lets this through
    opd = factory.opd("DINKES")
    person = _person(factory, opd)
    token = _token(app, "unsubscribe", person, opd_id=opd.id, channel="email")
    client = app.test_client()  # a mail client: no session, no cookie, no CSRF token

    response = _one_click(client, token)

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers or "pressroom_session" not in response.headers["Set-Cookie"]
    reload(session)
    person = session.get(Journalist, person.id)
    link = person.link_for(opd.id)
    assert link.subscribed is False
    assert {c.channel: c.state for c in person.consents} == {"email": "given", "whatsapp": "given"}
    confirmations = _deliveries(session, person, "unsubscribe")
    assert [(d.kind, d.channel, d.recipient) for d in confirmations] == [
        ("transactional", "email", "budi@warta.example.com")]
    assert opd.name in confirmations[0].payload["text"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "journalist.unsubscribed"))
    assert entry.actor_id is None and entry.acting_as == journalist_self.ACTING_AS
    assert entry.object_id == str(person.id) and entry.opd_id == opd.id

    # A second click (or the mail client retrying) changes nothing and confirms nothing more.
    assert _one_click(app.test_client(), token).status_code == 200
    reload(session)
    assert len(_deliveries(session, person, "unsubscribe")) == 1
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "journalist.unsubscribed")) == 1


def test_unsubscribe_from_all_withdraws_consent_on_every_channel(app, factory, session):
    opd = factory.opd("DINKES")
    person = _person(factory, opd)
    token = _token(app, "unsubscribe", person, opd_id=opd.id, channel="whatsapp")
    client = app.test_client()
    page = client.get(f"/pers/berhenti/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Budi" in html and "Santoso" not in html and "budi@warta" not in html
    assert 'name="csrf_token"' not in html  # the token authenticates the form
    reload(session)
    assert session.get(Journalist, person.id).link_for(opd.id).subscribed  # GET changed nothing

    response = client.post(f"/pers/berhenti/{token}", data={"scope": "all"})

    assert response.status_code == 200
    reload(session)
    person = session.get(Journalist, person.id)
    assert {c.channel: c.state for c in person.consents} == {"email": "withdrawn", "whatsapp": "withdrawn"}
    assert all(c.withdrawn_how == "tautan berhenti berlangganan" and c.withdrawn_at for c in person.consents)
    [confirmation] = _deliveries(session, person, "unsubscribe")
    assert confirmation.channel == "whatsapp" and confirmation.recipient == "+6281234567890"
    assert confirmation.kind == "transactional"
    headers = confirmation.payload["headers"]
    assert headers["whatsapp-template"] == "pressroom_pemberitahuan"
    assert headers["whatsapp-language"] == "id"
    assert "\n" not in headers["whatsapp-body-params"]
    assert client.post(f"/pers/berhenti/{token}", data={"scope": "all"}).status_code == 200
    reload(session)
    assert len(_deliveries(session, person, "unsubscribe")) == 1


def test_unsubscribe_only_for_the_signed_recipient(app, factory, session):
    opd = factory.opd("DINKES")
    editor = factory.user("editor", opd)
    a = _person(factory, opd, editor)
    b = _person(factory, opd, editor, name="Citra Lestari", emails=("citra@warta.example.com",),
                phones=("0813-1111-2222",))
    good = _token(app, "unsubscribe", a, opd_id=opd.id, channel="email")
    mangled = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    foreign_secret = press_links.make_token("another-secret", "unsubscribe",
                                            LinkClaims(journalist_id=b.id, opd_id=opd.id))
    other_purpose = _token(app, "self", b, opd_id=opd.id)
    client = app.test_client()
    for token in (mangled, foreign_secret, other_purpose, "nonsense"):
        assert _one_click(client, token).status_code == 404
        assert client.post(f"/pers/berhenti/{token}", data={"scope": "all"}).status_code == 404
        assert client.get(f"/pers/berhenti/{token}").status_code == 404
    reload(session)
    for person in (a, b):
        fresh = session.get(Journalist, person.id)
        assert fresh.link_for(opd.id).subscribed
        assert {c.state for c in fresh.consents} == {"given"}
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0

    # A's genuine link changes A, never B.
    assert client.post(f"/pers/berhenti/{good}", data={"scope": "all"}).status_code == 200
    reload(session)
    assert {c.state for c in session.get(Journalist, a.id).consents} == {"withdrawn"}
    assert {c.state for c in session.get(Journalist, b.id).consents} == {"given"}
    assert session.get(Journalist, b.id).link_for(opd.id).subscribed


def test_unsubscribe_from_an_opd_not_followed_records_the_refusal(app, factory, session):
    home, other = factory.opd("DINKES"), factory.opd("DISHUB")
    person = _person(factory, home)
    token = _token(app, "unsubscribe", person, opd_id=other.id, channel="email")
    assert _one_click(app.test_client(), token).status_code == 200
    reload(session)
    link = session.get(Journalist, person.id).link_for(other.id)
    assert link is not None and not link.following and not link.subscribed


def test_erased_journalist_gets_a_neutral_page_and_nothing_changes(app, factory, session):
    opd = factory.opd("DINKES")
    person = _person(factory, opd)
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    journalists.erase(factory.session, admin, person, reason="subject_request")
    factory.session.commit()
    audit_rows = session.scalar(select(func.count()).select_from(AuditEntry))
    client = app.test_client()
    for token, path in ((_token(app, "unsubscribe", person, opd_id=opd.id), "/pers/berhenti/{}"),
                        (_token(app, "self", person), "/pers/saya/{}")):
        assert client.get(path.format(token)).status_code == 200
    response = _one_click(client, _token(app, "unsubscribe", person, opd_id=opd.id, channel="email"))
    assert response.status_code == 200
    reload(session)
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_rows
    with pytest.raises(ValidationError):
        journalist_self.request_code(session, session.get(Journalist, person.id), "email", config=app.config)


# The personal page and its one-time code -----------------------------------------------------------
def _personal(app, factory, session, **extra):
    opd = factory.opd("DINKES")
    editor = factory.user("editor", opd)
    person = _person(factory, opd, editor, **extra)
    journalists.set_notes(factory.session, editor, person, opd, "Catatan rahasia Dinkes")
    factory.session.commit()
    return opd, person, _token(app, "self", person, opd_id=opd.id, channel="email")


def _ask_code(client, token, channel="email"):
    return client.post(f"/pers/saya/{token}/kode",
                       data={"csrf_token": csrf_token(client, f"/pers/saya/{token}"), "channel": channel})


def _latest_code(session, person) -> str:
    reload(session)
    delivery = _deliveries(session, person, "code")[-1]
    return CODE_RE.search(delivery.payload["text"]).group(1)


def _verify(client, token, code):
    return client.post(f"/pers/saya/{token}/verifikasi",
                       data={"csrf_token": csrf_token(client, f"/pers/saya/{token}"), "code": code})


PERSONAL = ("Santoso", "budi@warta.example.com", "6281234567890", "812-3456", "Catatan rahasia")


def _shows_nothing_personal(response):
    html = response.get_data(as_text=True)
    for value in PERSONAL:
        assert value not in html, value


def test_without_the_code_the_page_shows_the_first_name_only_and_refuses_the_rest(app, factory, session):
    opd, person, token = _personal(app, factory, session)
    client = app.test_client()
    home = client.get(f"/pers/saya/{token}")
    assert home.status_code == 200
    assert "Budi" in home.get_data(as_text=True)
    _shows_nothing_personal(home)
    csrf = csrf_token(client, f"/pers/saya/{token}")
    beat = session.scalar(select(Beat).where(Beat.is_active.is_(True)))
    attempts = [
        client.get(f"/pers/saya/{token}/preferensi"),
        client.post(f"/pers/saya/{token}/preferensi", data={"csrf_token": csrf, "first_channel": "whatsapp",
                                                             "beat_ids": [str(beat.id)]}),
        client.get(f"/pers/saya/{token}/data"),
        client.get(f"/pers/saya/{token}/data.json"),
        client.get(f"/pers/saya/{token}/hapus"),
        client.post(f"/pers/saya/{token}/hapus", data={"csrf_token": csrf, "confirm": "yes"}),
    ]
    for response in attempts:
        assert response.status_code == 302 and f"/pers/saya/{token}" in response.headers["Location"]
        _shows_nothing_personal(response)
    _shows_nothing_personal(client.get(f"/pers/saya/{token}"))  # nor the page it leads to
    reload(session)
    fresh = session.get(Journalist, person.id)
    assert fresh.preferred_channels == [] and fresh.beats == []
    assert session.scalar(select(func.count()).select_from(ErasureRequest)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "journalist.access_viewed")) == 0


def test_code_goes_to_the_own_address_as_a_transactional_delivery_and_opens_the_page(app, factory, session):
    opd, person, token = _personal(app, factory, session, emails=("redaksi@warta.example.com",
                                                                  "budi@warta.example.com"))
    # The desk address is shared: a code must go to the journalist's own inbox.
    desk = next(e for e in person.emails if e.address.startswith("redaksi"))
    desk.is_shared = True
    factory.session.commit()
    client = app.test_client()
    assert _ask_code(client, token).status_code == 302
    reload(session)
    [delivery] = _deliveries(session, person, "code")
    assert (delivery.kind, delivery.channel, delivery.recipient) == ("transactional", "email",
                                                                     "budi@warta.example.com")
    code = CODE_RE.search(delivery.payload["text"]).group(1)
    [stored] = session.scalars(select(JournalistCode)).all()
    assert stored.code_hash != code and code not in stored.code_hash and len(stored.code_hash) == 64
    assert stored.expires_at == stored.created_at + timedelta(minutes=10)

    assert _verify(client, token, code).status_code == 302
    page = client.get(f"/pers/saya/{token}/data")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Budi Santoso" in html and "budi@warta.example.com" in html
    assert "Catatan rahasia Dinkes" in html  # every OPD's notes, as the access export holds them
    export = client.get(f"/pers/saya/{token}/data.json")
    assert export.status_code == 200 and export.json["journalist"]["full_name"] == "Budi Santoso"
    assert client.get(f"/pers/saya/{token}/preferensi").status_code == 200
    # One use: the same code does not verify a second browser.
    other = app.test_client()
    _verify(other, token, code)
    assert other.get(f"/pers/saya/{token}/data").status_code == 302


def test_code_by_whatsapp_names_the_notice_template(app, factory, session):
    opd, person, token = _personal(app, factory, session)
    client = app.test_client()
    _ask_code(client, token, channel="whatsapp")
    reload(session)
    [delivery] = _deliveries(session, person, "code")
    assert delivery.channel == "whatsapp" and delivery.recipient == "+6281234567890"
    code = CODE_RE.search(delivery.payload["text"]).group(1)
    assert delivery.payload["headers"]["whatsapp-template"] == app.config["WHATSAPP_NOTICE_TEMPLATE"]
    assert code in delivery.payload["headers"]["whatsapp-body-params"]


def test_five_wrong_codes_lock_the_code(app, factory, session):
    opd, person, token = _personal(app, factory, session)
    client = app.test_client()
    _ask_code(client, token)
    code = _latest_code(session, person)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        _verify(client, token, wrong)
    _verify(client, token, code)  # the right one, too late
    assert client.get(f"/pers/saya/{token}/data").status_code == 302
    reload(session)
    assert session.scalar(select(JournalistCode)).attempts == 5
    # A new code works again.
    _ask_code(client, token)
    _verify(client, token, _latest_code(session, person))
    assert client.get(f"/pers/saya/{token}/data").status_code == 200


def test_expired_code_is_refused_and_codes_are_throttled(app, factory, session, frozen_clock):
    opd, person, token = _personal(app, factory, session)
    client = app.test_client()
    _english(client)
    _ask_code(client, token)
    code = _latest_code(session, person)
    clock.advance(timedelta(minutes=10, seconds=1))
    _verify(client, token, code)
    assert "expired" in client.get(f"/pers/saya/{token}").get_data(as_text=True)
    assert client.get(f"/pers/saya/{token}/data").status_code == 302
    reload(session)
    assert session.scalar(select(JournalistCode)).used_at is None

    # At most three codes in 15 minutes (the expired one counts).
    _ask_code(client, token)
    _ask_code(client, token)
    _ask_code(client, token)
    assert "Three codes" in client.get(f"/pers/saya/{token}").get_data(as_text=True)
    reload(session)
    assert len(_deliveries(session, person, "code")) == 3  # the fourth was refused
    clock.advance(timedelta(minutes=15))
    _ask_code(client, token)
    reload(session)
    assert len(_deliveries(session, person, "code")) == 4  # the window moved on


def test_verification_lasts_30_minutes_and_opens_only_that_journalist(app, factory, session, frozen_clock):
    opd, person, token = _personal(app, factory, session)
    other = _person(factory, opd, name="Citra Lestari", emails=("citra@warta.example.com",),
                    phones=("0813-1111-2222",))
    other_token = _token(app, "self", other)
    client = app.test_client()
    _ask_code(client, token)
    _verify(client, token, _latest_code(session, person))
    assert client.get(f"/pers/saya/{token}/data").status_code == 200
    refused = client.get(f"/pers/saya/{other_token}/data")
    assert refused.status_code == 302
    assert "Lestari" not in client.get(f"/pers/saya/{other_token}").get_data(as_text=True)
    clock.advance(timedelta(minutes=30, seconds=1))
    assert client.get(f"/pers/saya/{token}/data").status_code == 302


def test_verified_journalist_changes_channels_beats_opds_and_consent(app, factory, session):
    opd, person, token = _personal(app, factory, session, consent=("email",))
    second = factory.opd("DISHUB")
    beats = session.scalars(select(Beat).where(Beat.is_active.is_(True)).order_by(Beat.id)).all()[:2]
    client = app.test_client()
    _ask_code(client, token, channel="whatsapp")
    _verify(client, token, _latest_code(session, person))
    response = client.post(f"/pers/saya/{token}/preferensi", data={
        "csrf_token": csrf_token(client, f"/pers/saya/{token}/preferensi"),
        "first_channel": "whatsapp", "second_channel": "email",
        "beat_ids": [str(b.id) for b in beats],
        "opd_ids": [str(second.id)],  # DINKES unticked, DISHUB ticked
        "consent": ["whatsapp"],  # email unticked: withdrawn; WhatsApp ticked: given
    })
    assert response.status_code == 302
    reload(session)
    fresh = session.get(Journalist, person.id)
    assert fresh.preferred_channels == ["whatsapp", "email"]
    assert {b.id for b in fresh.beats} == {b.id for b in beats}
    assert journalist_self.receiving_opd_ids(fresh) == {second.id}
    assert fresh.link_for(opd.id).notes == "Catatan rahasia Dinkes"  # the OPD's notes stay
    consent = {c.channel: c for c in fresh.consents}
    assert consent["email"].state == "withdrawn"
    assert consent["whatsapp"].state == "given" and consent["whatsapp"].method == "halaman pribadi"
    assert consent["whatsapp"].basis.endswith("via whatsapp")
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.object_id == str(person.id), AuditEntry.acting_as == journalist_self.ACTING_AS)).all()
    assert {"journalist.updated", "consent.given", "consent.withdrawn"} <= {e.action for e in entries}
    for entry in entries:  # ids and field names only
        assert "Budi" not in str(entry.details) and "@" not in str(entry.details)


# Erasure requests ------------------------------------------------------------------------------------
def test_erasure_request_reaches_the_admins_with_its_72_hour_deadline(app, factory, session, frozen_clock):
    opd, person, token = _personal(app, factory, session)
    admin = factory.user("admin", factory.opd("DISKOMINFO"), email="admin@pressroom.example.com")
    client = app.test_client()
    _ask_code(client, token)
    _verify(client, token, _latest_code(session, person))
    form = {"csrf_token": csrf_token(client, f"/pers/saya/{token}/hapus"), "confirm": "yes"}
    assert client.post(f"/pers/saya/{token}/hapus", data=form).status_code == 302
    assert client.post(f"/pers/saya/{token}/hapus", data=form).status_code == 302
    reload(session)
    [request] = session.scalars(select(ErasureRequest)).all()  # asking twice keeps one request
    assert request.journalist_id == person.id
    assert request.requested_at == T0 and request.due_at == T0 + timedelta(hours=72)
    [note] = session.scalars(select(Notification).where(Notification.user_id == admin.id)).all()
    assert "5 Maret 2026 08.00 WIB" in note.text and note.link == journalist_self.ERASURE_REQUESTS_LINK
    assert "Budi" not in note.text
    [mail] = session.scalars(select(Delivery).where(
        Delivery.kind == "notice", Delivery.recipient == "admin@pressroom.example.com")).all()
    assert "5 Maret 2026 08.00 WIB" in mail.payload["text"]
    page = client.get(f"/pers/saya/{token}/hapus").get_data(as_text=True)
    assert "5 Maret 2026 08.00 WIB" in page

    staff = app.test_client()
    login(staff, admin, factory)
    listing = staff.get("/app/wartawan/permintaan-penghapusan")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "5 Maret 2026 08.00 WIB" in html and f"/app/wartawan/{person.id}" in html
    assert "status-failed" not in html
    clock.advance(timedelta(hours=73))
    staff = app.test_client()  # the staff session ran out meanwhile
    login(staff, admin, factory)
    assert "status-failed" in staff.get("/app/wartawan/permintaan-penghapusan").get_data(as_text=True)

    erase = staff.post(f"/app/wartawan/{person.id}/hapus", data={
        "csrf_token": csrf_token(staff, f"/app/wartawan/{person.id}/hapus"), "reason": "subject_request",
        "confirm": "y"})
    assert erase.status_code == 302
    reload(session)
    request = session.get(ErasureRequest, request.id)
    assert request.done_at == T0 + timedelta(hours=73) and request.done_by_id == admin.id
    assert journalist_self.open_erasure_requests(session) == []
    assert client.get(f"/pers/saya/{token}/data").status_code == 200  # the neutral page now
    assert "Budi" not in client.get(f"/pers/saya/{token}").get_data(as_text=True)


def test_only_admins_see_erasure_requests(app, factory):
    opd = factory.opd("DINKES")
    client = app.test_client()
    login(client, factory.user("editor", opd))
    assert client.get("/app/wartawan/permintaan-penghapusan").status_code == 403


# Consent requests ------------------------------------------------------------------------------------
def test_consent_request_confirm_link_records_consent_with_basis_and_time(app, factory, session,
                                                                          frozen_clock):
    opd = factory.opd("DINKES")
    editor = factory.user("editor", opd)
    person = _person(factory, opd, editor, consent=())
    staff = app.test_client()
    login(staff, editor)
    response = staff.post(f"/app/wartawan/{person.id}/permintaan-persetujuan", data={
        "csrf_token": csrf_token(staff, f"/app/wartawan/{person.id}"), "channel": "email",
        "opd_id": str(opd.id)})
    assert response.status_code == 302
    reload(session)
    [request] = session.scalars(select(ConsentRequest)).all()
    assert (request.channel, request.opd_id, request.requested_by_id, request.answer) == (
        "email", opd.id, editor.id, None)
    [delivery] = _deliveries(session, person, "consent_request")
    assert (delivery.kind, delivery.recipient) == ("transactional", "budi@warta.example.com")
    link = delivery.payload["link"]
    assert link.startswith(app.config["PUBLIC_URL"] + "/pers/persetujuan/")
    assert link in delivery.payload["text"]
    path = link[len(app.config["PUBLIC_URL"]):]

    journalist = app.test_client()
    page = journalist.get(path)
    assert page.status_code == 200
    assert "Budi" in page.get_data(as_text=True) and "budi@warta" not in page.get_data(as_text=True)
    clock.advance(timedelta(hours=5))
    answered = journalist.post(path, data={"csrf_token": csrf_token(journalist, path), "answer": "yes"})
    assert answered.status_code == 200
    reload(session)
    consent = session.get(Journalist, person.id).consent_for("email")
    assert consent.state == "given" and consent.given_at == T0 + timedelta(hours=5)
    assert consent.method == "tautan konfirmasi"
    assert consent.basis == f"konfirmasi atas permintaan persetujuan #{request.id} via email"
    request = session.get(ConsentRequest, request.id)
    assert request.answer == "given" and request.answered_at == T0 + timedelta(hours=5)
    assert session.get(Journalist, person.id).consent_for("whatsapp").state == "awaiting"

    # A second answer changes nothing.
    clock.advance(timedelta(hours=1))
    assert 'name="answer"' not in journalist.get(path).get_data(as_text=True)  # no buttons any more
    journalist.post(path, data={"csrf_token": csrf_token(journalist, "/login"), "answer": "no"})
    reload(session)
    assert session.get(Journalist, person.id).consent_for("email").state == "given"
    assert session.get(ConsentRequest, request.id).answer == "given"
    # Without the CSRF token the answer is refused.
    assert app.test_client().post(path, data={"answer": "no"}).status_code == 400


def test_declining_a_consent_request_withdraws_and_is_never_asked_again(app, factory, session):
    opd = factory.opd("DINKES")
    editor = factory.user("editor", opd)
    person = _person(factory, opd, editor, consent=())
    request = journalist_self.send_consent_request(factory.session, editor, person, "whatsapp", opd,
                                                   app.config)
    factory.session.commit()
    path = f"/pers/persetujuan/{_token(app, 'consent', person, channel='whatsapp', request_id=request.id)}"
    client = app.test_client()
    client.post(path, data={"csrf_token": csrf_token(client, path), "answer": "no"})
    reload(session)
    fresh = session.get(Journalist, person.id)
    assert fresh.consent_for("whatsapp").state == "withdrawn"
    assert session.get(ConsentRequest, request.id).answer == "declined"
    with pytest.raises(ValidationError):
        journalist_self.send_consent_request(session, editor, fresh, "whatsapp", opd, app.config)
    # A link naming another request (or another channel) is not this journalist's.
    wrong = _token(app, "consent", person, channel="email", request_id=request.id)
    assert client.get(f"/pers/persetujuan/{wrong}").status_code == 404


def test_consent_request_refused_when_consent_is_given_or_withdrawn(app, factory, session):
    opd = factory.opd("DINKES")
    editor = factory.user("editor", opd)
    person = _person(factory, opd, editor, consent=("email",))
    journalists.withdraw_consent(factory.session, editor, person, "whatsapp", how="lisan")
    factory.session.commit()
    staff = app.test_client()
    login(staff, editor)
    _english(staff)
    for channel, says in (("email", "already given"), ("whatsapp", "does not ask again")):
        response = staff.post(f"/app/wartawan/{person.id}/permintaan-persetujuan", data={
            "csrf_token": csrf_token(staff, f"/app/wartawan/{person.id}"), "channel": channel,
            "opd_id": str(opd.id)})
        assert says in staff.get(response.headers["Location"]).get_data(as_text=True)
    reload(session)
    assert session.scalar(select(func.count()).select_from(ConsentRequest)) == 0
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0


# "Hadir" replies -----------------------------------------------------------------------------------
def _invitation(factory, opd, author, **values):
    release = PressRelease(opd_id=opd.id, author_id=author.id, kind="undangan", state="approved",
                           headline="Peluncuran Aplikasi Sehat Jateng", agenda="Peluncuran dan tanya jawab",
                           venue="Gedung Gradhika, Semarang",
                           event_starts_at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC),
                           event_ends_at=datetime(2026, 3, 10, 4, 0, tzinfo=UTC), **values)
    factory.session.add(release)
    factory.session.commit()
    return release


def test_rsvp_records_and_changes_one_reply(app, factory, session, frozen_clock):
    opd = factory.opd("DINKES")
    editor = factory.user("editor", opd)
    person = _person(factory, opd, editor)
    release = _invitation(factory, opd, editor)
    path = f"/pers/hadir/{_token(app, 'rsvp', person, release_id=release.id)}"
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Gedung Gradhika" in html and "Peluncuran dan tanya jawab" in html
    assert "10 Maret 2026 09.00 WIB" in html and "11.00 WIB" in html
    answer = client.post(path, data={"csrf_token": csrf_token(client, path), "attending": "yes"})
    assert answer.status_code == 302
    reload(session)
    [reply] = session.scalars(select(InvitationReply)).all()
    assert reply.attending and reply.journalist_id == person.id and reply.replied_at == T0
    client.post(path, data={"csrf_token": csrf_token(client, path), "attending": "no"})
    reload(session)
    [reply] = session.scalars(select(InvitationReply)).all()
    assert reply.attending is False
    counts = journalist_self.invitation_reply_counts(session, release.id)
    assert counts == {"attending": 0, "not_attending": 1}
    # After the event started, replies are closed.
    clock.advance(timedelta(days=9))
    client.post(path, data={"csrf_token": csrf_token(client, "/login"), "attending": "yes"})
    reload(session)
    assert session.scalars(select(InvitationReply)).one().attending is False


def test_rsvp_link_only_for_invitations_and_real_tokens(app, factory, session):
    opd = factory.opd("DINKES")
    editor = factory.user("editor", opd)
    person = _person(factory, opd, editor)
    release = _invitation(factory, opd, editor)
    siaran = PressRelease(opd_id=opd.id, author_id=editor.id, kind="siaran_pers", state="approved",
                          headline="X")
    factory.session.add(siaran)
    factory.session.commit()
    client = app.test_client()
    assert client.get(f"/pers/hadir/{_token(app, 'rsvp', person, release_id=siaran.id)}").status_code == 404
    assert client.get(f"/pers/hadir/{_token(app, 'self', person, release_id=release.id)}").status_code == 404
    no_release = client.post(f"/pers/hadir/{_token(app, 'rsvp', person)}", data={"attending": "yes"})
    assert no_release.status_code in (400, 404)
    reload(session)
    assert session.scalar(select(func.count()).select_from(InvitationReply)) == 0


# Sending to a journalist -----------------------------------------------------------------------------
def test_notify_journalist_picks_the_stored_address_and_never_writes_to_the_erased(app, factory, session):
    opd = factory.opd("DINKES")
    person = _person(factory, opd, emails=("redaksi@warta.example.com", "budi@warta.example.com",
                                           "lama@warta.example.com"),
                     phones=("(024) 8311234", "0812-3456-7890"))
    for email in person.emails:
        email.is_shared = email.address.startswith("redaksi")
        if email.address.startswith("budi"):
            email.bouncing_at = clock.now()
    factory.session.commit()
    with app.app_context():
        mail = journalist_self.notify_journalist(factory.session, person, "email", subject="S", text="T",
                                                 config=app.config)
        whatsapp = journalist_self.notify_journalist(factory.session, person, "whatsapp", subject="S",
                                                     text="a\nb", config=app.config)
    assert mail.recipient == "lama@warta.example.com"  # not bouncing, personal before the desk
    assert whatsapp.recipient == "+6281234567890"  # the landline cannot take WhatsApp
    assert whatsapp.payload["headers"]["whatsapp-body-params"] == '["a b"]'
    assert mail.kind == whatsapp.kind == "transactional" and mail.subject_type == "journalist"
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    journalists.erase(factory.session, admin, person, reason="subject_request")
    assert journalist_self.notify_journalist(factory.session, person, "email", subject="S", text="T",
                                             config=app.config) is None
