"""The post editor's live preview per platform, on a 390×844 phone: it follows the caption, the
variants and the chosen accounts, counts as the server counts (code points, X links as 23, CR LF
line breaks, Instagram hashtags), and marks the part that would be refused."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from pressroom import formatting
from pressroom.models import Post, PostImage, PostTarget, SocialAccount
from pressroom.services import posts, sending
from pressroom.web.posts import PREVIEWS
from tests.conftest import reload
from tests.e2e.test_browser import _shot
from tests.e2e.test_publishing_browser import _log_in

PLATFORMS = (("x", "@dinkesjateng"), ("facebook", "Dinkes Jateng"), ("instagram", "@dinkes.jateng"),
             ("telegram", "Kanal Dinkes"))


def _count(page, platform: str) -> str:
    return page.locator(f"[data-pane='{platform}'] [data-count]").inner_text()


def _shown(n: int) -> str:
    return formatting.number(n, "id")


@pytest.fixture
def desk(app, factory, session):
    opd = factory.opd("DINKES", short_name="Dinkes", name="Dinas Kesehatan")
    accounts = {platform: sending.create_account(session, None, app.extensions["crypto"], opd_id=opd.id,
                                                 platform=platform, name=name, credentials="")
                for platform, name in PLATFORMS}
    session.commit()
    return opd, accounts, factory.user("editor", opd, name="Editor Dinkes")


@pytest.mark.browser
def test_preview_follows_what_is_typed_on_a_phone(app, live_server, phone, desk, session):
    opd, accounts, editor = desk
    page = phone
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _log_in(page, live_server, editor)
    page.goto(f"{live_server}/app/posts/baru")
    preview = page.locator("[data-preview]")
    assert preview.is_visible()
    # Every account is chosen for a new post, so every platform has a pane.
    for platform, name in PLATFORMS:
        pane = page.locator(f"[data-pane='{platform}']")
        assert pane.is_visible() and pane.locator("[data-accounts]").inner_text() == name
    assert page.get_by_text("Instagram memerlukan setidaknya satu gambar").is_visible()

    caption = page.get_by_label("Keterangan")
    caption.press_sequentially("Jadwal vaksin 🩺 ")
    caption.press_sequentially("https://dinkes.jatengprov.go.id/jadwal/vaksinasi-anak-sekolah-2026")
    text = caption.input_value()
    # 14 letters and spaces, the emoji as 2, a space, the link as 23.
    assert _count(page, "x") == f"{_shown(posts.x_length(text))}/280" == "40/280"
    assert _count(page, "instagram") == f"{_shown(len(text))}/{_shown(2200)} · # 0/30"
    assert _count(page, "facebook") == f"{len(text)}/{_shown(63206)}"
    assert _count(page, "telegram") == f"{len(text)}/{_shown(4096)}"  # no image yet: a text message
    assert page.locator("[data-pane='x'] [data-text]").inner_text() == text
    summary = page.locator("[data-counter-for='caption']").inner_text()
    assert "X 40/280" in summary and "Instagram" in summary

    # Past X's limit the overflow is marked and flagged; Instagram still has room.
    long = "Posyandu serentak di 35 kabupaten/kota. " * 8
    caption.fill(long)
    expected_over = long.strip()[280:]
    x_pane = page.locator("[data-pane='x']")
    assert x_pane.locator("mark.overflow").inner_text() == expected_over
    assert x_pane.get_by_text("Terlalu panjang untuk X").is_visible()
    assert "is-over" in (x_pane.get_attribute("class") or "")
    assert page.locator("[data-pane='instagram'] mark.overflow").count() == 0
    _shot(page, "editor-preview-over")

    # A variant for X replaces the caption there only.
    page.get_by_text("Varian per platform").click()
    page.get_by_label("Varian untuk X (opsional)").fill("Posyandu serentak minggu ini #JatengSehat")
    assert x_pane.locator("[data-text]").inner_text() == "Posyandu serentak minggu ini #JatengSehat"
    assert _count(page, "x") == "41/280" and x_pane.locator("mark.overflow").count() == 0
    assert page.locator("[data-pane='facebook'] [data-text]").inner_text() == long.strip()

    # Instagram: 31 hashtags are flagged.
    page.get_by_label("Varian untuk Instagram (opsional)").fill(" ".join(f"#tag{n}" for n in range(31)))
    instagram = page.locator("[data-pane='instagram']")
    assert instagram.get_by_text("Lebih dari 30 tagar").is_visible()
    assert _count(page, "instagram").endswith("· # 31/30")

    # Dropping an account drops its pane.
    page.get_by_label("Akun").select_option([str(accounts["x"].id), str(accounts["telegram"].id)])
    assert not instagram.is_visible() and not page.locator("[data-pane='facebook']").is_visible()
    assert x_pane.is_visible() and page.locator("[data-pane='telegram']").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A line break is sent as CR LF and counted as two characters, as the server stores it.
    caption.fill("Baris satu\nBaris dua")
    assert _count(page, "telegram") == "21/4.096"
    page.get_by_label("Varian untuk X (opsional)").fill("")
    page.get_by_label("Varian untuk Instagram (opsional)").fill("")
    page.get_by_role("button", name="Simpan draf").click()
    page.wait_for_url(re.compile(r"/app/posts/\d+$"))
    reload(session)
    saved = session.scalar(select(Post).where(Post.opd_id == opd.id))
    assert saved.caption == "Baris satu\r\nBaris dua" and len(saved.caption_for("telegram")) == 21
    assert not errors, errors


@pytest.mark.browser
def test_preview_shows_the_first_image_and_the_photo_caption_limit(app, live_server, phone, desk, session):
    opd, accounts, editor = desk
    post = posts.create_post(session, editor, opd.id, caption="Kader posyandu menimbang balita", variants={},
                             scheduled_at=None,
                             account_ids=[accounts["telegram"].id, accounts["instagram"].id])
    for colour in ((20, 90, 160), (200, 30, 30)):
        out = io.BytesIO()
        Image.new("RGB", (1080, 1350), colour).save(out, format="JPEG")
        posts.add_image(session, editor, app.extensions["storage"], post, out.getvalue(),
                        alt_text="Balita ditimbang")
    session.commit()
    first = post.images[0].thumb_key
    page = phone
    _log_in(page, live_server, editor)
    page.goto(f"{live_server}/app/posts/{post.id}/ubah")
    for platform in ("telegram", "instagram"):
        pane = page.locator(f"[data-pane='{platform}']")
        image = pane.locator("img.preview-image")
        assert image.is_visible() and first in (image.get_attribute("src") or "")
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
        assert pane.get_by_text("+1 gambar lainnya").is_visible()
    assert not page.locator("[data-pane='x']").is_visible()
    assert _count(page, "telegram") == f"31/{_shown(1024)}"  # with a photo, Telegram's caption limit
    page.get_by_label("Keterangan").fill("a" * 1025)
    telegram = page.locator("[data-pane='telegram']")
    assert telegram.locator("mark.overflow").inner_text() == "a"
    assert telegram.get_by_text("Terlalu panjang untuk Telegram").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "editor-preview-images")


@pytest.mark.parametrize("pane", PREVIEWS, ids=lambda pane: pane["platform"])
def test_preview_limits_are_the_ones_checked_at_approval(app, pane):
    """The panes' numbers come from web/posts.PREVIEWS; approval checks services/posts.py."""

    def problems(text: str, images: int = 1) -> int:
        post = Post(caption=text, caption_variants={}, opd_id=1)
        post.targets = [PostTarget(account=SocialAccount(platform=pane["platform"], name="a"))]
        post.images = [PostImage(alt_text="a", width=1080, height=1080, size_bytes=1, position=n,
                                 storage_key="k", thumb_key="t", sha256="0") for n in range(images)]
        with app.test_request_context():
            return len([str(p) for p in posts.platform_problems(post, public_url="https://pressroom.example")])

    limit = pane["limit"]
    assert problems("a" * limit) + 1 == problems("a" * (limit + 1))
    if pane.get("url_length"):
        link = "https://example.com/" + "x" * 200
        filler = "a" * (limit - pane["url_length"] - 1)
        assert problems(f"{filler} {link}") + 1 == problems(f"{filler}a {link}")
    if pane.get("light"):  # an emoji weighs 2 at X
        assert problems("a" * (limit - 2) + "🩺") + 1 == problems("a" * (limit - 1) + "🩺")
    if pane.get("hashtags"):
        tags = pane["hashtags"]
        assert problems(" ".join(["#a"] * tags)) + 1 == problems(" ".join(["#a"] * (tags + 1)))
    if pane.get("max_images"):
        assert problems("a", pane["max_images"]) + 1 == problems("a", pane["max_images"] + 1)
    if pane.get("text_limit"):  # the photo caption limit applies only with a photo
        assert problems("a" * (limit + 1), images=0) == problems("a", images=0)
