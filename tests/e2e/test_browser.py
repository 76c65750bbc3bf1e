"""In a real browser on a phone-sized screen: TOTP login, appointing a Plh., the audit log,
and accessibility of the public pages (axe-core)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_admin_logs_in_with_totp_and_appoints_a_plh(live_server, phone, factory, session):
    diskominfo = factory.opd("DISKOMINFO", short_name="Diskominfo")
    admin = factory.user("admin", diskominfo, name="Admin Uji", title="Pranata Humas")
    dinkes = factory.opd("DINKES", short_name="Dinkes", name="Dinas Kesehatan")
    kabid = factory.user("approver", dinkes, level="kabid", name="Kabid Uji", title="Kepala Bidang P2P")
    page = phone
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(re.compile(r"/login/2fa$"))
    _shot(page, "login-2fa")
    page.get_by_label(re.compile("Kode")).fill(factory.totp_code(admin))
    page.get_by_role("button", name="Lanjutkan").click()
    page.wait_for_url(re.compile(r"/app/$"))
    assert "Admin Uji" in page.locator("h1").inner_text()
    _shot(page, "dashboard")

    page.goto(f"{live_server}/app/admin/acting/new?user_id={kabid.id}&opd_id={dinkes.id}")
    page.get_by_label("Jabatan yang dilaksanakan").fill("Kepala Dinas Kesehatan")
    page.get_by_label(re.compile("Nomor SK")).fill("800/77/2026")
    start = page.get_by_label(re.compile("Mulai")).input_value()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", start)
    page.get_by_label(re.compile("Sampai")).fill("2099-01-08T08:00")
    page.get_by_role("button", name="Tunjuk").click()
    page.wait_for_url(re.compile(r"/app/admin/acting$"))
    assert "Plh. Kepala Dinas Kesehatan" in page.content()
    _shot(page, "acting-list")
    page.goto(f"{live_server}/app/admin/audit")
    assert "acting.appointed" in page.content()
    _shot(page, "audit")
    # Nothing overflows sideways on a 390 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("path", ["/login", "/privasi", "/"])
def test_public_pages_have_no_serious_accessibility_violations(live_server, phone, path):
    phone.goto(f"{live_server}{path}")
    results = Axe().run(phone)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()
