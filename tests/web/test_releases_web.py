"""The staff pages of press alerts: compose, see the audience count, approve, follow each
recipient's status, the number register; bad input answered in words, nothing saved."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from pressroom import clock
from pressroom.models import PressRelease
from tests.conftest import csrf_token, login
from tests.jobs.publishing import run_until_idle
from tests.press.helpers import journalist


def _form(**values):
    data = {
        "kind": "siaran_pers",
        "headline": "Vaksinasi HPV untuk 200.000 siswi",
        "lead": "Dinas Kesehatan memulai vaksinasi.",
        "body": "Isi **lengkap**.",
        "place": "Semarang",
        "sources-0-name": "dr. Yunita Dyah Suminar",
        "sources-0-position": "Kepala Dinas Kesehatan",
        "contact_name": "Humas Dinkes",
        "contact_phone": "0812-2500-1000",
        "contact_email": "humas.dinkes@jatengprov.go.id",
        "audience_base": "followers",
        "channels": ["email", "whatsapp"],
        "list_id": "0",
        "post_id": "0",
    }
    data.update(values)
    return data


def test_compose_count_approve_and_follow_the_alert(app, session, factory):
    opd = factory.opd("DINKES")
    editor, head = factory.user("editor", opd), factory.user("approver", opd, level="kepala")
    journalist(session, editor, opd, name="Ani")
    journalist(session, editor, opd, name="Budi", consent=("email",))
    session.commit()

    client = app.test_client()
    login(client, editor, factory)
    response = client.post(
        "/app/pers/baru",
        data={"csrf_token": csrf_token(client, "/app/pers/baru"), "opd_id": opd.id, **_form()},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    release = session.scalar(select(PressRelease))
    page = client.get(f"/app/pers/{release.id}").get_data(as_text=True)
    # 2 people: 2 by email, 1 by WhatsApp.
    counts = re.search(
        r"<strong>(\d+)</strong> wartawan: <strong>(\d+)</strong> [^,]*, <strong>(\d+)</strong>", page
    )
    assert counts and counts.groups() == ("2", "2", "1"), page[
        page.find("<strong>") - 200 : page.find("<strong>") + 300
    ]
    response = client.post(
        f"/app/pers/{release.id}/ajukan", data={"csrf_token": csrf_token(client, f"/app/pers/{release.id}")}
    )
    assert response.status_code == 302

    approver = app.test_client()
    login(approver, head, factory)
    response = approver.post(
        f"/app/pers/{release.id}/setujui",
        data={"csrf_token": csrf_token(approver, f"/app/pers/{release.id}"), "comment": ""},
    )
    assert response.status_code == 302
    session.refresh(release)
    assert release.state == "approved" and release.number
    run_until_idle(app, clock.now())
    page = approver.get(f"/app/pers/{release.id}").get_data(as_text=True)
    assert "Ani" in page and "Budi" in page
    assert page.count("recipient-sent") == 3
    register = approver.get("/app/pers/register").get_data(as_text=True)
    assert release.number in register


def test_bad_input_is_answered_in_words_and_saves_nothing(app, session, factory):
    opd = factory.opd("DINKES")
    editor = factory.user("editor", opd)
    client = app.test_client()
    login(client, editor, factory)
    response = client.post(
        "/app/pers/baru",
        data={
            "csrf_token": csrf_token(client, "/app/pers/baru"),
            "opd_id": opd.id,
            **_form(contact_phone="12", channels=[], kind="undangan"),
        },
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "12" in text and ("telepon" in text or "phone" in text)
    assert "agenda" in text.lower()
    assert session.scalar(select(func.count()).select_from(PressRelease)) == 0


def test_withdrawn_release_keeps_its_number_as_cancelled_in_the_register(app, session, factory):
    from tests.press.helpers import approved_release

    opd = factory.opd("DINKES")
    editor = factory.user("editor", opd)
    head = factory.user("approver", opd, level="kepala")
    journalist(session, editor, opd)
    session.commit()
    release, *_ = approved_release(session, factory, opd, editor=editor, head=head)
    client = app.test_client()
    login(client, editor, factory)
    client.post(
        f"/app/pers/{release.id}/tarik", data={"csrf_token": csrf_token(client, f"/app/pers/{release.id}")}
    )
    session.refresh(release)
    assert release.state == "withdrawn" and release.number
    register = client.get("/app/pers/register").get_data(as_text=True)
    assert release.number in register and "dibatalkan" in register
