"""The post calendar: WIB months and ISO weeks, which posts appear with which status, crowded
hours, who sees what, and one query for all deliveries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from pressroom import clock
from pressroom.services import posts, sending
from pressroom.services.calendar import Period, build_calendar
from pressroom.services.policy import visible_opd_ids

NOW = datetime(2026, 11, 15, 3, 0, tzinfo=UTC)  # 10.00 WIB, Sunday 15 November 2026


@pytest.fixture
def now():
    with clock.frozen(NOW):
        yield NOW


@pytest.fixture
def desk(app, factory, session, now):
    """Two OPDs with a sandbox Telegram account, an editor and a head each."""
    made = {}
    for code in ("DINKES", "DISHUB"):
        opd = factory.opd(code, short_name=code.title())
        account = sending.create_account(session, None, app.extensions["crypto"], opd_id=opd.id,
                                         platform="telegram", name=f"Kanal {code}", credentials="")
        session.commit()
        made[code] = {"opd": opd, "account": account, "editor": factory.user("editor", opd),
                      "head": factory.user("approver", opd, level="kepala")}
    return made


def _post(app, session, who, at: datetime, state: str = "approved", *, caption: str = "Kabar"):
    """A post of ``who``'s OPD scheduled at ``at`` (UTC), brought to ``state`` through the services."""
    post = posts.create_post(session, who["editor"], who["opd"].id, caption=caption, variants={},
                             scheduled_at=at, account_ids=[who["account"].id])
    if state != "draft":
        posts.submit_post(session, who["editor"], post)
    if state in ("approved", "published", "failed", "held", "withdrawn"):
        posts.approve_post(session, who["head"], post, comment="", public_url=app.config["PUBLIC_URL"])
    if state == "rejected":
        posts.reject_post(session, who["head"], post, comment="Perbaiki")
    elif state == "withdrawn":
        posts.withdraw_post(session, who["editor"], post)
    elif state == "held":
        posts.hold(session, post, "Masa tenang")
    elif state == "missed":
        posts.mark_missed(session, post, "Terlewat")
    elif state in ("published", "failed"):
        for delivery in posts.deliveries_of(session, post):
            delivery.status = "sent" if state == "published" else "failed"
    session.commit()
    return post


def _wib(*args) -> datetime:
    return clock.from_wib(datetime(*args))


def test_months_and_weeks_are_wib_periods():
    november = Period.month(2026, 11)
    assert november.bounds() == (datetime(2026, 10, 31, 17, 0, tzinfo=UTC),
                                 datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    assert (november.key, len(november.days)) == ("2026-11", 30)
    assert november.previous().key == "2026-10" and november.following().key == "2026-12"
    assert Period.month(2026, 12).following().key == "2027-01"
    # The grid starts on the Monday before the 1st (a Sunday) and ends on the Sunday after the 30th.
    grid = november.weeks()
    assert grid[0][0] == date(2026, 10, 26) and grid[-1][-1] == date(2026, 12, 6) and len(grid) == 6

    week = Period.parse("week", "2026-W48")
    assert (week.start, week.end, week.key) == (date(2026, 11, 23), date(2026, 11, 30), "2026-W48")
    assert week.bounds()[0] == datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    # 2026 has 53 ISO weeks; its last week runs into 2027, and the next is 2027-W01.
    assert Period.parse("week", "2026-w53").following().key == "2027-W01"
    assert Period.parse("week", "2027-W01").previous().key == "2026-W53"
    assert Period.containing("week", date(2027, 1, 1)).key == "2026-W53"
    assert Period.parse("month", " 2026-1 ").key == "2026-01"


@pytest.mark.parametrize("kind,text", [
    ("month", "2026-13"), ("month", "2026-00"), ("month", "november"), ("month", ""), ("month", "1999-12"),
    ("month", "9999-12"), ("week", "2026-W54"), ("week", "2025-W53"), ("week", "2026-W00"),
    ("week", "2026-11"), ("week", "10000-W01"),
])
def test_periods_refuse_what_they_cannot_show(kind, text):
    with pytest.raises(ValueError):
        Period.parse(kind, text)


def test_edges_of_the_range_have_no_neighbour():
    assert Period.month(2099, 12).following() is None
    assert Period.month(2000, 1).previous() is None
    assert Period.parse("week", "2000-W01").previous() is None


def test_a_post_belongs_to_its_wib_day_not_its_utc_day(app, session, desk):
    dinkes = desk["DINKES"]
    late = _post(app, session, dinkes, _wib(2026, 11, 30, 23, 30))   # 16.30 UTC on the 30th
    early = _post(app, session, dinkes, _wib(2026, 12, 1, 0, 30))    # 17.30 UTC on the 30th
    assert late.scheduled_at == datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    assert early.scheduled_at == datetime(2026, 11, 30, 17, 30, tzinfo=UTC)

    november = build_calendar(session, Period.month(2026, 11), None)
    december = build_calendar(session, Period.month(2026, 12), None)
    assert [e.post.id for e in november.days[date(2026, 11, 30)]] == [late.id]
    assert november.count == 1
    assert [e.post.id for e in december.days[date(2026, 12, 1)]] == [early.id]
    assert december.count == 1
    assert november.days[date(2026, 11, 30)][0].at.hour == 23
    # Week 49 of 2026 starts on Monday 30 November: both are in it, on their WIB days.
    week = build_calendar(session, Period.parse("week", "2026-W49"), None)
    assert [[e.post.id for e in week.days[d]] for d in (date(2026, 11, 30), date(2026, 12, 1))] == [
        [late.id], [early.id]]
    assert [slot.start.hour for slot in week.slots(date(2026, 12, 1))] == [0]


def test_drafts_returned_and_withdrawn_posts_stay_off_the_calendar(app, session, desk):
    dinkes = desk["DINKES"]
    at = _wib(2026, 11, 20, 9, 0)
    shown = {state: _post(app, session, dinkes, at + timedelta(minutes=n), state)
             for n, state in enumerate(("submitted", "approved", "published", "failed", "held", "missed"))}
    for n, state in enumerate(("draft", "rejected", "withdrawn")):
        _post(app, session, dinkes, at + timedelta(minutes=10 + n), state)

    cal = build_calendar(session, Period.month(2026, 11), None)
    statuses = {e.post.id: e.status for e in cal.days[date(2026, 11, 20)]}
    assert statuses == {
        shown["submitted"].id: "submitted", shown["approved"].id: "scheduled",
        shown["published"].id: "published", shown["failed"].id: "failed",
        shown["held"].id: "held", shown["missed"].id: "missed",
    }
    entry = cal.days[date(2026, 11, 20)][0]
    assert entry.platforms == ("telegram",) and entry.at.tzinfo is not None


def test_crowded_hours_are_wib_hours_where_two_opds_post(app, session, desk):
    dinkes, dishub = desk["DINKES"], desk["DISHUB"]
    a = _post(app, session, dinkes, _wib(2026, 11, 20, 9, 5))
    b = _post(app, session, dishub, _wib(2026, 11, 20, 9, 55), "submitted")
    _post(app, session, dinkes, _wib(2026, 11, 20, 10, 0))         # one OPD twice: not crowded
    _post(app, session, dinkes, _wib(2026, 11, 20, 10, 30))
    _post(app, session, dinkes, _wib(2026, 11, 20, 11, 0))
    _post(app, session, dishub, _wib(2026, 11, 20, 11, 15), "missed")  # will not go out: not crowded
    _post(app, session, dishub, _wib(2026, 11, 20, 12, 0))          # 12.00 and 13.00: different hours
    _post(app, session, dinkes, _wib(2026, 11, 20, 13, 0))

    cal = build_calendar(session, Period.month(2026, 11), None)
    day = date(2026, 11, 20)
    assert cal.crowded == {(day, 9): frozenset({dinkes["opd"].id, dishub["opd"].id})}
    assert [(s.start.hour, s.crowded, s.opd_count) for s in cal.slots(day)] == [
        (9, True, 2), (10, False, 1), (11, False, 1), (12, False, 1), (13, False, 1)]
    assert [s.start.hour for s in cal.crowded_slots(day)] == [9]
    assert {e.post.id for e in cal.days[day] if cal.is_crowded(e)} == {a.id, b.id}

    # One OPD's own view still shows that it shares 09.00 with another OPD the reader can see.
    only_dinkes = build_calendar(session, Period.month(2026, 11), None, opd_id=dinkes["opd"].id)
    assert {e.post.opd_id for e in only_dinkes.days[day]} == {dinkes["opd"].id}
    assert list(only_dinkes.crowded) == [(day, 9)]
    assert only_dinkes.slots(day)[0].opd_count == 2


def test_an_opd_member_sees_only_their_opd_and_no_crowding_with_others(app, session, desk, factory):
    dinkes, dishub = desk["DINKES"], desk["DISHUB"]
    _post(app, session, dinkes, _wib(2026, 11, 20, 9, 0))
    _post(app, session, dishub, _wib(2026, 11, 20, 9, 30))
    viewer = factory.user("viewer", factory.opd("SETDA"))
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    member = dinkes["editor"]

    mine = build_calendar(session, Period.month(2026, 11), visible_opd_ids(member))
    assert {e.post.opd_id for e in mine.days[date(2026, 11, 20)]} == {dinkes["opd"].id}
    assert mine.crowded == {}  # the other OPD's post is neither shown nor hinted at
    for wide in (viewer, admin):
        seen = build_calendar(session, Period.month(2026, 11), visible_opd_ids(wide))
        assert {e.post.opd_id for e in seen.days[date(2026, 11, 20)]} == {dinkes["opd"].id, dishub["opd"].id}
        assert list(seen.crowded) == [(date(2026, 11, 20), 9)]
    # A member of no OPD sees nothing (an empty set is not "everything").
    assert build_calendar(session, Period.month(2026, 11), set()).count == 0


def test_deliveries_are_loaded_in_one_query_whatever_the_number_of_posts(app, session, desk):
    dinkes = desk["DINKES"]
    engine = app.extensions["db"].engine

    def statements(n_posts: int) -> int:
        for n in range(n_posts):
            _post(app, session, dinkes, _wib(2026, 11, 21, 8, 0) + timedelta(hours=n), "published")
        session.expunge_all()
        seen: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            cal = build_calendar(session, Period.month(2026, 11), None)
            assert all(e.status == "published" for entries in cal.days.values() for e in entries)
            for entries in cal.days.values():
                for e in entries:
                    _ = (e.post.opd.short_name, e.platforms)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    few = statements(2)
    many = statements(6)
    assert few == many
