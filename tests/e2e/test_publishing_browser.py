"""In a real browser: an editor uploads an image and submits a post; an acting head approves
it on a 390×844 phone; the worker publishes it to the sandbox; the post page says so."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from PIL import Image

from jobs import dispatch
from pressroom import clock
from pressroom.services import sending
from tests.conftest import TEST_PASSWORD
from tests.e2e.test_browser import _shot

pytestmark = pytest.mark.browser


def _log_in(page, base, user, factory=None):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    if factory is not None:
        page.wait_for_url(re.compile(r"/login/2fa$"))
        page.get_by_label(re.compile("Kode")).fill(factory.totp_code(user))
        page.get_by_role("button", name="Lanjutkan").click()
    page.wait_for_url(re.compile(r"/app/"))


def test_editor_submits_acting_head_approves_on_a_phone_worker_publishes(
        app, live_server, browser, factory, session, tmp_path):
    opd = factory.opd("DINKES", short_name="Dinkes", name="Dinas Kesehatan")
    sending.create_account(session, None, app.extensions["crypto"], opd_id=opd.id, platform="telegram",
                           name="Kanal Dinkes", credentials="")
    session.commit()
    editor = factory.user("editor", opd, name="Editor Dinkes")
    acting = factory.user("editor", factory.opd("SETDA"), name="Plh Kepala", totp=True)
    factory.acting(acting, opd, title="Kepala Dinas Kesehatan", sk="800/9/2026")
    photo = tmp_path / "canva.png"
    Image.new("RGB", (1080, 1080), (20, 90, 160)).save(photo)

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = desk.new_page()
    _log_in(page, live_server, editor)
    page.goto(f"{live_server}/app/posts/baru")
    page.get_by_label("Keterangan").fill("Posyandu serentak minggu ini #JatengSehat")
    when = clock.to_wib(clock.now() + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label(re.compile("Terbitkan pada")).fill(when)
    page.get_by_role("button", name="Simpan draf").click()
    page.wait_for_url(re.compile(r"/app/posts/\d+$"))
    post_url = page.url
    page.get_by_label(re.compile("^Gambar")).set_input_files(str(photo))
    page.get_by_label(re.compile("Teks alternatif")).fill("Kader posyandu menimbang balita")
    page.get_by_role("button", name="Unggah").click()
    page.get_by_role("button", name="Ajukan untuk persetujuan").click()
    page.wait_for_load_state()
    assert "menunggu persetujuan" in page.content()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID").new_page()
    _log_in(phone, live_server, acting, factory)
    phone.goto(f"{live_server}/app/posts/persetujuan")
    assert "Posyandu serentak" in phone.content()
    _shot(phone, "approval-queue")
    phone.get_by_role("button", name="Setujui").first.click()
    phone.wait_for_load_state()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    with clock.frozen(clock.now() + timedelta(minutes=11)):
        assert dispatch.dispatch_due(app, owner="e2e-worker") >= 1
    page.goto(post_url)
    content = page.content()
    assert "terbit" in content.lower() and "Plh. Kepala Dinas Kesehatan (SK 800/9/2026)" in content
    _shot(page, "post-published")
    page.goto(f"{live_server}/app/posts/sandbox")
    assert "Posyandu serentak" in page.content()
    desk.close()
