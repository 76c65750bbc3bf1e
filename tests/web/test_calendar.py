"""The post calendar pages: month and week views, the OPD filter, crowded hours, and query
parameters that are wrong (a message and a sane default, never a server error)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from pressroom import clock
from pressroom.services import posts, sending
from tests.conftest import login

NOW = datetime(2026, 11, 15, 3, 0, tzinfo=UTC)  # 10.00 WIB, Sunday 15 November 2026


@pytest.fixture
def desk(app, factory, session):
    with clock.frozen(NOW):
        made = {}
        for code, short in (("DINKES", "Dinkes"), ("DISHUB", "Dishub")):
            opd = factory.opd(code, short_name=short)
            account = sending.create_account(session, None, app.extensions["crypto"], opd_id=opd.id,
                                             platform="telegram", name=f"Kanal {short}", credentials="")
            session.commit()
            made[code] = {"opd": opd, "account": account, "editor": factory.user("editor", opd),
                          "head": factory.user("approver", opd, level="kepala")}

        def post(who, at_wib: datetime, caption: str, *, submit: bool = True):
            p = posts.create_post(session, who["editor"], who["opd"].id, caption=caption, variants={},
                                  scheduled_at=clock.from_wib(at_wib), account_ids=[who["account"].id])
            if submit:
                posts.submit_post(session, who["editor"], p)
            session.commit()
            return p

        made["vaccine"] = post(made["DINKES"], datetime(2026, 11, 24, 9, 10), "Vaksinasi gratis")
        made["traffic"] = post(made["DISHUB"], datetime(2026, 11, 24, 9, 40), "Rekayasa lalu lintas")
        made["late"] = post(made["DINKES"], datetime(2026, 11, 30, 23, 30), "Malam terakhir November")
        made["draft"] = post(made["DINKES"], datetime(2026, 11, 25, 8, 0), "Draf rahasia", submit=False)
        made["viewer"] = factory.user("viewer", factory.opd("SETDA"))
    with clock.frozen(NOW):
        yield made


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_month_view_shows_posts_by_wib_day_with_crowded_hours(app, desk):
    client = app.test_client()
    login(client, desk["viewer"])
    page = _page(client, "/app/posts/kalender")
    assert "November 2026" in page
    for key in ("vaccine", "traffic", "late"):
        assert f'href="/app/posts/{desk[key].id}"' in page
    assert "Draf rahasia" not in page  # drafts are not on the calendar
    assert "09.10 WIB" in page and "23.30 WIB" in page
    assert "2 OPD pada jam yang sama" in page and "Jam padat" in page
    assert "menunggu persetujuan" in page
    assert 'href="/app/posts/kalender?bulan=2026-10"' in page
    assert 'href="/app/posts/kalender?bulan=2026-12"' in page
    # The day number opens that day's week.
    assert 'href="/app/posts/kalender?minggu=2026-W48"' in page
    # The late post is on the 30th (23.30 WIB), not on 1 December.
    december = _page(client, "/app/posts/kalender?bulan=2026-12")
    assert "Malam terakhir November" not in december and "Tidak ada unggahan" in december


def test_week_view_groups_by_hour_and_marks_the_crowded_one(app, desk):
    client = app.test_client()
    login(client, desk["viewer"])
    page = _page(client, "/app/posts/kalender?minggu=2026-W48")
    assert "minggu 48" in page and "23 Nov" in page
    assert re.search(r'class="cal-slot is-crowded">\s*<p class="crowd-note">.*09\.00 WIB: 2 OPD', page)
    assert "Vaksinasi gratis" in page and "Rekayasa lalu lintas" in page
    assert 'href="/app/posts/kalender?minggu=2026-W47"' in page
    assert 'href="/app/posts/kalender?minggu=2026-W49"' in page
    assert 'href="/app/posts/kalender?bulan=2026-11"' in page  # back to the month
    # The calendar is in the main menu and on the post list.
    assert 'href="/app/posts/kalender"' in page
    assert 'href="/app/posts/kalender"' in _page(client, "/app/posts/")


def test_opd_filter_keeps_the_crowding_hint_and_the_period(app, desk):
    client = app.test_client()
    login(client, desk["viewer"])
    dinkes = desk["DINKES"]["opd"].id
    page = _page(client, f"/app/posts/kalender?minggu=2026-W48&opd={dinkes}")
    assert "Vaksinasi gratis" in page and "Rekayasa lalu lintas" not in page
    assert "2 OPD pada jam yang sama" in page  # Dinkes shares 09.00 with Dishub
    assert f'href="/app/posts/kalender?minggu=2026-W49&amp;opd={dinkes}"' in page
    assert f'<option value="{dinkes}" selected>' in page


def test_an_opd_member_sees_only_their_own_opd(app, desk):
    client = app.test_client()
    login(client, desk["DINKES"]["editor"])
    page = _page(client, "/app/posts/kalender?bulan=2026-11")
    assert "Vaksinasi gratis" in page and "Rekayasa lalu lintas" not in page
    assert "pada jam yang sama" not in page
    assert 'id="cal-opd"' not in page  # one OPD: no filter to choose from
    # Asking for another OPD's calendar shows their own, with a message.
    other = _page(client, f"/app/posts/kalender?opd={desk['DISHUB']['opd'].id}")
    assert "Rekayasa lalu lintas" not in other and "bukan OPD yang dapat Anda lihat" in other


@pytest.mark.parametrize("query,message", [
    ("bulan=2026-13", "bukan bulan"), ("bulan=abc", "bukan bulan"), ("bulan=", "bukan bulan"),
    ("bulan=99999-01", "bukan bulan"), ("bulan=1899-01", "bukan bulan"), ("minggu=2026-W60", "bukan minggu"),
    ("minggu=2025-W53", "bukan minggu"), ("minggu=<script>", "bukan minggu"), ("opd=abc", "bukan OPD"),
    ("opd=99999", "bukan OPD"), ("opd=-1", "bukan OPD"),
])
def test_wrong_parameters_get_a_message_and_a_sane_default(app, desk, query, message):
    client = app.test_client()
    login(client, desk["viewer"])
    page = _page(client, f"/app/posts/kalender?{query}")
    assert message in page
    assert "<script>" not in page.split("<main", 1)[1]  # the value is shown escaped
    assert "November 2026" in page or "minggu 46" in page  # the period holding today (15 November)


def test_calendar_speaks_english_on_request(app, desk):
    client = app.test_client()
    login(client, desk["viewer"])
    client.get("/bahasa/en?next=/app/")
    page = _page(client, "/app/posts/kalender?minggu=2026-W48")
    assert "Post calendar" in page and "2 OPDs in the same hour" in page and "Mon, 23 Nov" in page
    assert "09:00 WIB" in page
