"""The demo's Lapor Gub: the category list (which is the Open311 service list), answer
templates, the fixed-date national holidays, and fictional reports in different states —
once, however often the seed runs."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from pressroom.demo import seed_demo
from pressroom.demo_complaints import CATEGORIES, FIXED_HOLIDAYS, REPORTS, seed_complaints
from pressroom.models import AnswerTemplate, Complaint, ComplaintCategory, Holiday, Opd, User
from pressroom.services import complaints

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas" / "open311"


def _counts(session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (ComplaintCategory, AnswerTemplate, Holiday, Complaint))


def test_the_demo_seeds_lapor_gub_once(app, session):
    app.config["DEMO_JOURNALISTS"] = 20
    seed_demo(app)
    first = _counts(session)
    seed_demo(app)
    session.expire_all()
    assert _counts(session) == first
    by_code = {o.code: o for o in session.scalars(select(Opd))}
    by_local = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
    storage = app.extensions["storage"]
    assert seed_complaints(session, by_code, by_local, storage=storage, config=app.config) == 0
    session.rollback()

    categories = {c.code: c for c in session.scalars(select(ComplaintCategory))}
    assert set(categories) == {c[0] for c in CATEGORIES}
    for code, _name, _en, _description, opd_code in CATEGORIES:
        assert categories[code].default_opd_id == by_code[opd_code].id
    assert session.scalar(select(func.count()).select_from(AnswerTemplate)) >= 4
    fixed = {(month, day) for month, day, _name in FIXED_HOLIDAYS}
    days = session.scalars(select(Holiday.day)).all()
    assert days and {(d.month, d.day) for d in days} == fixed  # nothing moveable invented

    reports = session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert len(reports) == len(REPORTS)
    assert all(r.reporter_name.endswith("(demo)") and r.reporter_email.endswith("@demo.example")
               for r in reports)
    statuses = [complaints.citizen_status(r) for r in reports]
    assert "Tuntas" in statuses and "Dalam Tindakan" in statuses and "Menunggu" in statuses
    assert any(r.confidential for r in reports) and any(r.anonymous and r.is_public for r in reports)
    assert any(r.state == "closed" and r.rating == 5 for r in reports)


def test_the_seeded_demos_service_list_is_the_category_list(app, client):
    app.config["DEMO_JOURNALISTS"] = 20
    seed_demo(app)
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 200
    body = response.get_json()
    Draft202012Validator(json.loads((SCHEMAS / "services.json").read_text())).validate(body)
    assert body, "the demo's Open311 service list is empty"
    assert sorted(s["service_code"] for s in body) == sorted(c[0] for c in CATEGORIES)
    assert {s["service_name"] for s in body} == {c[1] for c in CATEGORIES}
    # Its public requests: the reviewed, non-confidential demo reports only, none identified.
    requests = client.get("/open311/v2/requests.json").get_json()
    public = [r for r in REPORTS if r.stage != "received" and not r.confidential]
    assert len(requests) == len(public)
    text = json.dumps(requests)
    assert not [r.reporter_name for r in REPORTS if r.reporter_name.split(" (")[0] in text]
    assert any("media_url" in r for r in requests)
