"""The demo's press desk: profiles, a public release, an embargoed one, an invitation and a
draft, all through the real chain; their deliveries are queued for the sandbox."""

from __future__ import annotations

from sqlalchemy import select

from pressroom.demo import seed_demo
from pressroom.models import Delivery, PressProfile, PressRelease
from pressroom.services import newsroom


def test_demo_seeds_press_alerts_once(app, session):
    app.config["DEMO_JOURNALISTS"] = 40
    seed_demo(app)
    seed_demo(app)
    rows = session.scalars(select(PressRelease).order_by(PressRelease.id)).all()
    assert [r.kind for r in rows] == ["siaran_pers", "siaran_pers", "undangan", "siaran_pers"]
    assert [r.state for r in rows] == ["approved", "approved", "approved", "draft"]
    assert all(r.number for r in rows[:3]) and rows[3].number is None
    assert session.scalars(select(PressProfile)).all()
    public = {r.id for r in rows if newsroom.is_public(r)}
    assert rows[0].id in public and rows[1].id not in public  # the second waits for its embargo
    assert session.scalars(select(Delivery).where(Delivery.kind == "press")).first() is not None
