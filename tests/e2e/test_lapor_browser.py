"""Lapor Gub's whole path in a real browser. A citizen on a 390×844 phone files two reports at
/lapor — one with a photo and an email address, one with a WhatsApp number — and notes each
tracking ID and PIN; a verifier reviews the first (its text redacted, a box blacked out on the
photo), verifies and disposes both to the OPD of the category; the OPD's officer answers and
marks them resolved; the status page with the PIN shows the answer. Between the steps the
dispatcher runs, and the reporter's mailbox (aiosmtpd over STARTTLS) and WhatsApp (the fake
Cloud API) receive every update; when the WhatsApp reporter writes back, the answer is
free-form. axe-core finds no serious or critical violation on the public pages.

Selectors are by form action and field name, never by label, so the test does not depend on
the catalogues."""

from __future__ import annotations

import io
import re
from email import policy
from email.parser import BytesParser

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image, ImageStat
from playwright.sync_api import expect
from sqlalchemy import select

from pressroom import clock
from pressroom.models import Complaint, ComplaintCategory, Region
from tests.conftest import TEST_PASSWORD, Factory, open_test_session, reload
from tests.e2e.test_browser import _shot
from tests.fakes.smtp_server import FakeSMTPServer, make_certificate
from tests.fakes.whatsapp_server import FakeWhatsAppCloud
from tests.jobs.publishing import run_until_idle

pytestmark = pytest.mark.browser

REPORTER_EMAIL = "warga.lapor@contoh.example"
WA_TYPED, WA = "0812-3456-7891", "6281234567891"
ADDRESS = "Jl. Pandanaran No. 17, depan toko roti"
NAME = "Rahmat Hidayat"
PLATE = "H 1234 AB"
ANSWER = "Lubang sudah ditambal tim UPT Semarang pada Kamis pagi; terima kasih atas laporannya."
TIMEOUT = 20_000


@pytest.fixture
def smtp(tmp_path):
    make_certificate(tmp_path)
    with FakeSMTPServer(tmp_path) as server:
        yield server


@pytest.fixture
def cloud():
    with FakeWhatsAppCloud() as fake:
        yield fake


@pytest.fixture
def app(app_factory, smtp, cloud):
    return app_factory(
        SMTP_HOST=smtp.host, SMTP_PORT=smtp.port, SMTP_SECURITY="starttls", SMTP_CA_FILE=str(smtp.cert_file),
        MAIL_SENDER="Lapor Gub <lapor@jatengprov.go.id>",
        WHATSAPP_PROVIDER="cloud", WHATSAPP_API_BASE=cloud.base_url, WHATSAPP_API_VERSION=cloud.version,
        WHATSAPP_PHONE_NUMBER_ID=cloud.phone_number_id, WHATSAPP_ACCESS_TOKEN=cloud.access_token,
        WHATSAPP_RATE_PER_SECOND=1000, WHATSAPP_APP_SECRET=cloud.app_secret,
    )


# Helpers -------------------------------------------------------------------------------------------
def _serious(page) -> list[dict]:
    results = Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _accessible(page, name: str, problems: list[str]) -> None:
    """axe-core's serious and critical violations, and sideways scrolling on the phone, noted in
    ``problems`` (asserted at the end, so one run shows every page's)."""
    for v in _serious(page):
        nodes = ", ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                          for n in v["nodes"][:3])
        problems.append(f"{name}: {v['impact']} {v['id']} ({v['help']}) at {nodes}")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > page.viewport_size["width"]:
        problems.append(f"{name}: the page is {width} px wide on a {page.viewport_size['width']} px phone")


def _photo(path) -> None:
    """A 2400×1800 phone photo (noise, so the JPEG is big); the browser should shrink it."""
    image = Image.effect_noise((2400, 1800), 90).convert("RGB")
    image.save(path, format="JPEG", quality=92)


def _mails(smtp, address: str) -> list:
    parse = BytesParser(policy=policy.default).parsebytes
    return [parse(m.raw) for m in smtp.messages if address in m.rcpt_tos]


def _template_statuses(cloud, wa: str) -> list[str]:
    found = []
    for body in cloud.sent_to(wa):
        if body.get("type") == "template":
            found += [p["text"] for c in body["template"]["components"] if c["type"] == "body"
                      for p in c["parameters"]][1:]
    return found


def _submit(form):
    """Click a form's submit button and wait for the page it leads to."""
    page = form.page
    with page.expect_navigation(timeout=TIMEOUT):
        form.locator("button[type=submit]").first.click()


def _log_in(page, base: str, user) -> None:
    page.goto(f"{base}/login")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=email]").fill(user.email)
    form.locator("input[name=password]").fill(TEST_PASSWORD)
    _submit(form)
    page.wait_for_url(re.compile(r"/app/"), timeout=TIMEOUT)


def _file_report(page, base: str, *, category: ComplaintCategory, region: str, text: str, contact: str,
                 photo=None) -> tuple[str, str]:
    """Fill /lapor as a citizen would; return the tracking ID and PIN shown once."""
    page.goto(f"{base}/lapor")
    form = page.locator("form[data-lapor-form]")
    form.locator("input[name=type][value=pengaduan]").check()
    form.locator("select[name=category_id]").select_option(str(category.id))
    form.locator("textarea[name=description]").fill(text)
    form.locator("select[name=region_code]").select_option(region)
    form.locator("input[name=kecamatan]").fill("Semarang Tengah")
    form.locator("input[name=address]").fill(ADDRESS)
    form.locator("input[name=reporter_name]").fill(NAME)
    form.locator("input[name=contact]").fill(contact)
    if photo is not None:
        form.locator("input[name=photos]").set_input_files(str(photo))
    submit = form.locator("button[data-submit]")
    submit.wait_for(state="visible")
    expect(submit).to_be_enabled(timeout=TIMEOUT)  # lapor.js shrinks the photo first
    with page.expect_navigation(timeout=TIMEOUT):
        submit.click()
    page.wait_for_url(re.compile(r"/lapor/terkirim$"), timeout=TIMEOUT)
    codes = page.locator(".lapor-code")
    tracking = "-".join(codes.nth(0).locator("span").all_inner_texts())
    pin = "".join(codes.nth(1).locator("span").all_inner_texts())
    assert re.fullmatch(r"LG-[2-9A-Z]{4}-[2-9A-Z]{4}", tracking) and re.fullmatch(r"\d{6}", pin)
    return tracking, pin


def _verify_and_dispose(page, base: str, complaint_id: int, opd_id: int) -> None:
    page.goto(f"{base}/app/lapor/{complaint_id}")
    _submit(page.locator("form[action$='/verifikasi']"))
    dispose = page.locator("form[action$='/disposisi']")
    dispose.locator("select[name=opd_id]").select_option(str(opd_id))
    dispose.locator("textarea[name=note]").fill("Mohon ditindaklanjuti minggu ini.")
    _submit(dispose)


def _answer_resolved(page, base: str, complaint_id: int) -> None:
    page.goto(f"{base}/app/lapor/{complaint_id}")
    form = page.locator("form[action$='/jawab']")
    form.locator("textarea[name=answer_text]").fill(ANSWER)
    with page.expect_navigation(timeout=TIMEOUT):
        form.locator("button[name=resolved][value='1']").click()


# The path ----------------------------------------------------------------------------------------------
def test_lapor_gub_from_a_phone_to_tuntas_with_email_and_whatsapp_updates(
        app, live_server, browser, phone, smtp, cloud, tmp_path):
    base = live_server
    session = open_test_session(app)
    factory = Factory(app, session)
    diskominfo = factory.opd("DISKOMINFO", name="Dinas Komunikasi dan Informatika", short_name="Diskominfo")
    dpu = factory.opd("DPUBMCK", name="Dinas Pekerjaan Umum Bina Marga dan Cipta Karya", short_name="DPUBMCK")
    verifier = factory.user("verifier", diskominfo, name="Verifikator Lapor")
    officer = factory.user("officer", dpu, name="Petugas Jalan")
    category = ComplaintCategory(code="jalan", name="Jalan dan Jembatan", name_en="Roads and bridges",
                                 default_opd_id=dpu.id)
    session.add(category)
    session.commit()
    region = session.scalar(select(Region.code).where(Region.code == "3374")) or session.scalar(
        select(Region.code).order_by(Region.code))

    problems: list[str] = []

    def dispatch() -> None:
        run_until_idle(app, clock.now())

    # 1. The citizen, on a phone: the form is accessible; a report with a photo and an email.
    page = phone
    page.goto(f"{base}/lapor")
    _accessible(page, "/lapor", problems)
    picture = tmp_path / "IMG_20260302_081512.jpg"
    _photo(picture)
    text_a = f"Jalan berlubang besar di depan toko roti, mobil {PLATE} sampai terperosok kemarin sore."
    tracking_a, pin_a = _file_report(page, base, category=category, region=region, text=text_a,
                                     contact=REPORTER_EMAIL, photo=picture)
    _accessible(page, "/lapor/terkirim", problems)
    _shot(page, "lapor-terkirim")
    reload(session)
    report_a = session.scalar(select(Complaint).where(Complaint.tracking_id == tracking_a))
    assert report_a.reporter_email == REPORTER_EMAIL and len(report_a.photos) == 1
    stored = report_a.photos[0]
    # Shrunk in the browser before the upload (at most 1,600 px on the long side).
    assert max(stored.width, stored.height) <= 1600
    dispatch()
    [received] = _mails(smtp, REPORTER_EMAIL)
    assert tracking_a in received["Subject"] and pin_a in received.get_content()

    # ... and a second report with a WhatsApp number, without a photo.
    tracking_b, _pin_b = _file_report(page, base, category=category, region=region,
                                      text="Jembatan kecil di Kali Semarang retak di sisi timur.",
                                      contact=WA_TYPED)
    reload(session)
    report_b = session.scalar(select(Complaint).where(Complaint.tracking_id == tracking_b))
    assert report_b.reporter_phone == "+" + WA
    dispatch()
    # They never wrote to us on WhatsApp: no 24-hour window, so the approved template.
    assert _template_statuses(cloud, WA) == ["Menunggu"]

    # 2. The verifier reviews report A: the number plate redacted, a box over the photo.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID",
                               timezone_id="Asia/Jakarta")
    staff = desk.new_page()
    _log_in(staff, base, verifier)
    staff.goto(f"{base}/app/lapor/{report_a.id}")
    review = staff.locator("form[action$='/tinjau']")
    public_text = text_a.replace(PLATE, "[disamarkan]")
    review.locator("textarea[name=public_description]").fill(public_text)
    box = {"x": 0, "y": 0, "w": stored.width // 2, "h": stored.height // 2}
    for key, value in box.items():
        review.locator(f"input[name='box-{stored.id}-{key}']").first.fill(str(value))
    _shot(staff, "lapor-review")
    _submit(review)
    reload(session)
    report_a = session.get(Complaint, report_a.id)
    assert report_a.reviewed_at is not None and report_a.public_description == public_text
    photo = report_a.photos[0]
    assert photo.redactions == [box] and photo.public_key
    with Image.open(io.BytesIO(app.extensions["storage"].get(photo.public_key, public=True))) as public:
        covered = ImageStat.Stat(public.crop((0, 0, box["w"], box["h"])).convert("L")).mean[0]
        open_part = ImageStat.Stat(public.crop((box["w"], box["h"], photo.width, photo.height))
                                   .convert("L")).mean[0]
    assert covered < 8 and open_part > 40

    # ... verifies and disposes both to the OPD of the category.
    _verify_and_dispose(staff, base, report_a.id, dpu.id)
    _verify_and_dispose(staff, base, report_b.id, dpu.id)
    reload(session)
    assert [session.get(Complaint, c.id).state for c in (report_a, report_b)] == ["dispositioned"] * 2
    dispatch()
    statuses_a = [m["Subject"].rsplit(": ", 1)[-1] for m in _mails(smtp, REPORTER_EMAIL)]
    assert statuses_a == ["Menunggu", "Diverifikasi", "Diverifikasi"]
    assert _template_statuses(cloud, WA) == ["Menunggu", "Diverifikasi", "Diverifikasi"]
    desk.close()

    # 3. The OPD's officer answers both and marks them resolved.
    opd_desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID",
                                   timezone_id="Asia/Jakarta")
    staff = opd_desk.new_page()
    _log_in(staff, base, officer)
    staff.goto(f"{base}/app/lapor/{report_a.id}")
    content = staff.content()
    assert NAME not in content and ADDRESS not in content  # anonymous: the OPD does not see who
    _answer_resolved(staff, base, report_a.id)
    _answer_resolved(staff, base, report_b.id)
    _shot(staff, "lapor-answered")
    opd_desk.close()
    reload(session)
    assert [session.get(Complaint, c.id).state for c in (report_a, report_b)] == ["resolved"] * 2
    dispatch()
    mails = _mails(smtp, REPORTER_EMAIL)
    assert [m["Subject"].rsplit(": ", 1)[-1] for m in mails][-1] == "Tuntas"
    assert all(tracking_a in m["Subject"] for m in mails) and len(mails) == 4
    assert "/lapor/status?id=" + tracking_a in mails[-1].get_content()
    assert _template_statuses(cloud, WA) == ["Menunggu", "Diverifikasi", "Diverifikasi", "Tuntas"]

    # 4. The citizen: the ID alone shows the status; with the PIN, the answer.
    page.goto(f"{base}/lapor/status?id={tracking_a}")
    assert ANSWER not in page.content()
    form = page.locator("form[action='/lapor/status']")
    form.locator("input[name=pin]").fill(pin_a)
    _submit(form)
    page.wait_for_url(re.compile(r"/lapor/status\?id="), timeout=TIMEOUT)
    page.get_by_text(ANSWER).wait_for(timeout=TIMEOUT)
    _accessible(page, "/lapor/status (answers)", problems)
    _shot(page, "lapor-status-answers")

    # ... and the public pages: the reviewed report, its redacted photo, no name, no address.
    page.goto(f"{base}/lapor/laporan")
    page.locator(f"a[href*='{tracking_a}']").first.wait_for(timeout=TIMEOUT)
    assert tracking_b not in page.content()  # not reviewed: nothing of it is public
    _accessible(page, "/lapor/laporan", problems)
    page.goto(f"{base}/lapor/laporan/{tracking_a}")
    content = page.content()
    assert "[disamarkan]" in content and PLATE not in content
    assert NAME not in content and ADDRESS not in content
    assert REPORTER_EMAIL not in content and photo.public_key in content
    _accessible(page, "/lapor/laporan/<id>", problems)

    # 5. The WhatsApp reporter writes back: a follow-up on their report, answered free-form.
    answer = cloud.post_webhook(f"{base}/webhooks/whatsapp",
                                cloud.inbound_webhook(WA, f"{tracking_b} sudah diperbaiki, terima kasih."))
    assert answer.status_code == 200
    dispatch()
    last = cloud.sent_to(WA)[-1]
    assert last["type"] == "text" and tracking_b in last["text"]["body"]
    reload(session)
    assert len(session.scalars(select(Complaint)).all()) == 2  # a follow-up, not a new report
    session.close()
    assert not problems, "\n".join(problems)
