"""Posts: the approval chain, acting officials, self-approval, edits clearing approval,
platform rules at approval time, missed posts, holds, and publishing through the outbox."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from jobs import dispatch
from pressroom import clock
from pressroom.models import ApprovalDecision, Delivery, Notification, Post
from pressroom.services import ValidationError, outbox, posts, sending
from tests.conftest import csrf_token, login, reload

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08.00 WIB


def _jpeg(width=1080, height=1080, exif_rotate=False) -> bytes:
    image = Image.new("RGB", (width, height), (30, 120, 60))
    out = io.BytesIO()
    if exif_rotate:
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90° clockwise on display
        exif[0x010F] = "Secret Camera Maker"
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def desk(app, factory, session):
    """An OPD with a sandbox Telegram account, an editor, a head, a Kabid and an acting head."""
    opd = factory.opd("DINKES", short_name="Dinkes")
    account = sending.create_account(session, None, app.extensions["crypto"], opd_id=opd.id,
                                     platform="telegram", name="Dinkes Jateng", credentials="")
    session.commit()
    people = {
        "editor": factory.user("editor", opd, name="Editor Dinkes"),
        "head": factory.user("approver", opd, level="kepala", title="Kepala Dinas Kesehatan"),
        "kabid": factory.user("approver", opd, level="kabid", title="Kepala Bidang P2P"),
        "acting": factory.user("editor", factory.opd("DINB"), name="Pejabat Plh"),
    }
    factory.acting(people["acting"], opd, title="Kepala Dinas Kesehatan", sk="800/45/2026")
    return opd, account, people


def _draft(app, session, desk, *, at=None, caption="Vaksinasi gratis di Semarang", image=True):
    opd, account, people = desk
    post = posts.create_post(session, people["editor"], opd.id, caption=caption, variants={},
                             scheduled_at=at or clock.now() + timedelta(hours=3), account_ids=[account.id])
    if image:
        posts.add_image(session, people["editor"], app.extensions["storage"], post, _jpeg(),
                        alt_text="Petugas menyuntik warga")
    session.commit()
    return post


def _approve(session, app, user, post, comment=""):
    return posts.approve_post(session, user, post, comment=comment, public_url=app.config["PUBLIC_URL"])


def test_one_step_chain_queues_one_delivery_per_account(app, session, desk):
    opd, account, people = desk
    post = _draft(app, session, desk)
    posts.submit_post(session, people["editor"], post)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == people["head"].id)) == 1
    notice = session.scalar(select(Delivery).where(Delivery.kind == "notice",
                                                   Delivery.recipient == people["head"].email))
    assert notice is not None and "/app/posts/" in notice.payload["text"]
    assert _approve(session, app, people["head"], post, "Siap tayang") is True
    session.commit()
    deliveries = posts.deliveries_of(session, post)
    assert [(d.channel, d.account_id, d.status, d.due_at) for d in deliveries] == [
        ("telegram", account.id, "due", post.scheduled_at)]
    assert post.approval_hash == posts.approvals.content_hash(post)


def test_nobody_approves_their_own_post(app, session, desk):
    opd, account, people = desk
    post = posts.create_post(session, people["head"], opd.id, caption="Dari kepala", variants={},
                             scheduled_at=clock.now() + timedelta(hours=3), account_ids=[account.id])
    session.commit()
    posts.submit_post(session, people["head"], post)
    with pytest.raises(ValidationError, match="own"):
        _approve(session, app, people["head"], post)


def test_acting_official_approves_and_is_shown_with_sk(app, session, desk, factory):
    opd, account, people = desk
    post = _draft(app, session, desk)
    posts.submit_post(session, people["editor"], post)
    assert _approve(session, app, people["acting"], post) is True
    session.commit()
    decision = session.scalar(select(ApprovalDecision))
    assert decision.acting_as == "Plh. Kepala Dinas Kesehatan (SK 800/45/2026)"
    client = app.test_client()
    login(client, people["editor"])
    page = client.get(f"/app/posts/{post.id}").get_data(as_text=True)
    assert "Plh. Kepala Dinas Kesehatan (SK 800/45/2026)" in page


def test_two_step_chain_needs_a_kabid_then_the_head(app, session, desk):
    opd, account, people = desk
    opd.approval_steps = 2
    session.commit()
    post = _draft(app, session, desk)
    posts.submit_post(session, people["editor"], post)
    assert _approve(session, app, people["kabid"], post) is False
    assert post.state == "submitted" and post.approval_step == 2
    with pytest.raises(ValidationError):
        _approve(session, app, people["kabid"], post)  # the same person cannot take both steps
    assert _approve(session, app, people["head"], post) is True
    assert post.state == "approved"


def test_an_edit_clears_the_approval_and_cancels_the_queued_send(app, session, desk):
    opd, account, people = desk
    post = _draft(app, session, desk)
    posts.submit_post(session, people["editor"], post)
    _approve(session, app, people["head"], post)
    session.commit()
    posts.update_post(session, people["editor"], post, caption="Vaksinasi gratis — jam diperpanjang",
                      variants={}, scheduled_at=post.scheduled_at, account_ids=[account.id])
    session.commit()
    assert post.state == "draft" and post.approval_hash is None
    assert {d.status for d in posts.deliveries_of(session, post)} == {"cancelled"}
    assert session.scalar(select(ApprovalDecision)).cleared_at is not None
    # An approval hash that no longer matches never goes out, even if a row slipped through.
    post.state, post.approval_hash = "approved", "0" * 64
    assert not posts.approvals.still_approved(post)


def test_platform_rules_block_approval_with_reasons(app, session, desk):
    opd, account, people = desk
    post = _draft(app, session, desk, caption="x" * 1100)
    posts.submit_post(session, people["editor"], post)
    with pytest.raises(ValidationError) as info:
        _approve(session, app, people["head"], post)
    assert "1,024" in str(info.value.errors[""]) or "1.024" in str(info.value.errors[""])
    assert post.state == "submitted"
    assert posts.x_length("Lihat https://example.com/a/very/long/path/indeed now") == len("Lihat ") + 23 + 4
    # Emoji and CJK weigh 2 at X (twitter-text v3); Indonesian text weighs 1 per character.
    assert posts.x_length("Selamat Hari Guru 🎉") == len("Selamat Hari Guru ") + 2
    assert posts.x_length("中文") == 4 and posts.x_length("é–") == 2


def test_a_post_whose_time_passed_before_approval_is_missed(app, session, desk):
    opd, account, people = desk
    with clock.frozen(T0):
        post = _draft(app, session, desk, at=T0 + timedelta(hours=1))
        posts.submit_post(session, people["editor"], post)
        session.commit()
        clock.advance(timedelta(hours=2))
        with pytest.raises(ValidationError, match="missed"):
            _approve(session, app, people["head"], post)
        assert post.state == "missed"


def test_images_are_reencoded_oriented_and_stripped(app, session, desk, storage):
    post = _draft(app, session, desk, image=False)
    image = posts.add_image(session, desk[2]["editor"], storage, post, _jpeg(1200, 600, exif_rotate=True),
                            alt_text="Foto")
    stored = Image.open(io.BytesIO(storage.get(image.storage_key, public=True)))
    assert stored.size == (600, 1200)  # orientation applied
    assert not stored.getexif()  # metadata stripped
    with pytest.raises(ValidationError):
        posts.add_image(session, desk[2]["editor"], storage, post, b"%PDF-1.4 not an image", alt_text="x")


def test_worker_publishes_to_the_sandbox_and_the_post_page_says_published(app, session, desk):
    opd, account, people = desk
    post = _draft(app, session, desk)
    posts.submit_post(session, people["editor"], post)
    _approve(session, app, people["head"], post)
    session.commit()
    with clock.frozen(post.scheduled_at + timedelta(seconds=5)):
        assert dispatch.dispatch_due(app, owner="test-worker") >= 1
    reload(session)
    delivery = session.scalar(select(Delivery).where(Delivery.kind == "publish"))
    assert delivery.status == "sent" and delivery.external_id.startswith("sandbox")
    assert outbox.outcome(posts.deliveries_of(session, post)) == "published"
    client = app.test_client()
    login(client, people["editor"])
    assert "Vaksinasi gratis" in client.get("/app/posts/sandbox").get_data(as_text=True)


def test_a_pause_holds_due_posts_and_a_blackout_holds_them_ahead(app, session, desk, factory):
    opd, account, people = desk
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    post = _draft(app, session, desk)
    posts.submit_post(session, people["editor"], post)
    _approve(session, app, people["head"], post)
    session.commit()
    stop = sending.add_stop(session, admin, kind="pause", opd_id=opd.id, reason="Hari berkabung",
                            starts_at=None, ends_at=None)
    session.commit()
    with clock.frozen(post.scheduled_at + timedelta(seconds=5)):
        dispatch.dispatch_due(app, owner="test-worker")
    reload(session)
    post = session.get(Post, post.id)
    assert post.state == "held" and post.state_reason == "Hari berkabung"
    assert {d.status for d in posts.deliveries_of(session, post)} == {"cancelled"}
    sending.lift_stop(session, admin, stop)
    # A blackout window set ahead holds an approved post scheduled inside it at once.
    later = _draft(app, session, desk, at=clock.now() + timedelta(days=3))
    posts.submit_post(session, people["editor"], later)
    _approve(session, app, people["head"], later)
    session.commit()
    sending.add_stop(session, admin, kind="blackout", opd_id=None, reason="Masa tenang",
                     starts_at=clock.now() + timedelta(days=2), ends_at=clock.now() + timedelta(days=4))
    session.commit()
    assert later.state == "held"


def test_reaper_tells_never_sent_from_maybe_sent(app, session):
    now = clock.now()
    never = outbox.enqueue(session, kind="notice", channel="email", subject_type="user", subject_id=1)
    maybe = outbox.enqueue(session, kind="notice", channel="email", subject_type="user", subject_id=1)
    session.flush()
    for row in (never, maybe):
        row.status, row.lease_owner, row.lease_expires_at = "claimed", "dead", now - timedelta(seconds=1)
    maybe.attempt_started_at = now - timedelta(minutes=3)
    session.commit()
    assert outbox.reap_expired_leases(session) == (1, 1)
    session.commit()
    assert (never.status, maybe.status) == ("due", "unknown")


def test_outcome_is_derived_from_deliveries():
    def rows(*states):
        return [Delivery(status=s) for s in states]

    assert outbox.outcome(rows("due", "due")) == "scheduled"
    assert outbox.outcome(rows("sent", "sent")) == "published"
    assert outbox.outcome(rows("sent", "failed")) == "partially_published"
    assert outbox.outcome(rows("failed")) == "failed"
    assert outbox.outcome(rows("sent", "unknown")) == "needs_check"
    assert outbox.outcome(rows("claimed", "due")) == "sending"


def test_approval_queue_on_a_phone_approves_in_two_taps(app, session, desk):
    opd, account, people = desk
    post = _draft(app, session, desk)
    posts.submit_post(session, people["editor"], post)
    session.commit()
    client = app.test_client()
    from tests.conftest import Factory

    login(client, people["head"], Factory(app, session))
    page = client.get("/app/posts/persetujuan").get_data(as_text=True)
    assert "Vaksinasi gratis" in page
    response = client.post(f"/app/posts/{post.id}/setujui", data={
        "csrf_token": csrf_token(client, "/app/posts/persetujuan"), "comment": "", "back": "queue"})
    assert response.status_code == 302
    reload(session)
    assert session.get(Post, post.id).state == "approved"


def test_returning_needs_a_comment_and_the_author_can_withdraw(app, session, desk):
    from tests.conftest import Factory

    opd, account, people = desk
    post = _draft(app, session, desk)
    posts.submit_post(session, people["editor"], post)
    session.commit()
    head = app.test_client()
    login(head, people["head"], Factory(app, session))
    token = csrf_token(head, "/app/posts/persetujuan")
    head.post(f"/app/posts/{post.id}/tolak", data={"csrf_token": token, "comment": ""})
    reload(session)
    assert session.get(Post, post.id).state == "submitted"  # no comment, no return
    head.post(f"/app/posts/{post.id}/tolak", data={"csrf_token": token, "comment": "Foto kurang jelas"})
    reload(session)
    returned = session.get(Post, post.id)
    assert returned.state == "rejected" and returned.state_reason == "Foto kurang jelas"
    author = app.test_client()
    login(author, people["editor"])
    token = csrf_token(author, f"/app/posts/{post.id}")
    author.post(f"/app/posts/{post.id}/komentar", data={"csrf_token": token, "comment": "Sudah saya ganti"})
    author.post(f"/app/posts/{post.id}/ajukan", data={"csrf_token": token})
    reload(session)
    assert session.get(Post, post.id).state == "submitted"
    author.post(f"/app/posts/{post.id}/tarik", data={"csrf_token": token})
    reload(session)
    assert session.get(Post, post.id).state == "withdrawn"
    assert "Sudah saya ganti" in author.get(f"/app/posts/{post.id}").get_data(as_text=True)
