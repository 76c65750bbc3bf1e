"""What the outbox's end-to-end tests share: an approved post with real images on one
account of a platform, and ticks under a frozen clock until nothing is due."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from jobs import dispatch
from pressroom import clock
from pressroom.models import Delivery
from pressroom.services import posts, sending

COLORS = ((200, 40, 40), (40, 160, 60), (30, 60, 200), (20, 100, 150))


def png(color=(10, 120, 200), size=(1080, 1080)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def approved_post(app, session, factory, *, platform, credentials, images=1,
                  caption="Panen raya padi di Grobogan", alt="Foto panen {n}", opd_code="DISTANBUN",
                  allow_hosts=frozenset()):
    """Create an account, a post with ``images`` images, submit and approve it; return (post, head)."""
    opd = factory.opd(opd_code)
    account = sending.create_account(session, None, app.extensions["crypto"], opd_id=opd.id,
                                     platform=platform, name=f"Akun {platform}",
                                     credentials=json.dumps(credentials))
    editor = factory.user("editor", opd)
    head = factory.user("approver", opd, level="kepala")
    post = posts.create_post(session, editor, opd.id, caption=caption, variants={},
                             scheduled_at=clock.now() + timedelta(minutes=5), account_ids=[account.id])
    for i in range(images):
        posts.add_image(session, editor, app.extensions["storage"], post, png(COLORS[i % len(COLORS)]),
                        alt_text=alt.format(n=i + 1))
    posts.submit_post(session, editor, post)
    posts.approve_post(session, head, post, comment="", public_url=app.config["PUBLIC_URL"],
                       allow_hosts=allow_hosts)
    session.commit()
    return post, head


def run_until_idle(app, at) -> None:
    with clock.frozen(at):
        while dispatch.dispatch_due(app, owner="test-worker"):
            pass


def publish_delivery(session) -> Delivery:
    return session.scalar(select(Delivery).where(Delivery.kind == "publish"))
