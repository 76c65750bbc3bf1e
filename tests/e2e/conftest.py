"""Browser fixtures: the app on a live loopback server, driven by Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("PRESSROOM_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("PRESSROOM_REQUIRE_BROWSER") == "1"


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if REQUIRED:
            pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; CI installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--no-first-run",
                  "--disable-sync", "--disable-quic"],
        )
        yield instance
        instance.close()


@pytest.fixture
def phone(browser):
    """A page the size of a cheap Android phone (390×844)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1,
                                  locale="id-ID", timezone_id="Asia/Jakarta")
    page = context.new_page()
    yield page
    context.close()
