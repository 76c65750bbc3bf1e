"""Lapor Gub's public statistics: the page's figures (province-wide and all-time by default;
one OPD, category or region at a time; a month range) equal what the reports say, come from
the rollups, are formatted for Indonesian readers and carry Open Graph tags; bad filters get
a notice, never an error. Each month, last month's figures become a version of the data
centre dataset "Statistik Lapor Gub" of Diskominfo — once — which the render tick draws and
drafts a post from, for the usual approval."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from jobs import ticks
from pressroom import clock
from pressroom.models import ComplaintCategory, ComplaintRollup, Dataset, DatasetVersion, Post
from pressroom.services import complaint_stats, complaints
from pressroom.services.complaint_stats import Figures
from tests.conftest import reload

#: Monday 2 March 2026, 10.00 WIB.
MARCH = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


class Reports:
    """Seven reports: five in March 2026 (three of DPU BMCK, one of Dinkes, one not yet passed
    on), one in February, one in April."""

    def __init__(self, app, session, factory):
        self.app, self.session = app, session
        with clock.frozen(MARCH):
            self.kominfo = factory.opd("DISKOMINFO", short_name="Diskominfo")
            self.pu = factory.opd("DPUBMCK", short_name="DPU BMCK")
            self.dinkes = factory.opd("DINKES", short_name="Dinkes")
            self.editor = factory.user("editor", self.kominfo)
            self.verifier = factory.user("verifier", self.kominfo)
            self.officer = factory.user("officer", self.pu)
            self.roads = ComplaintCategory(code="jalan", name="Jalan dan Jembatan", default_opd_id=self.pu.id)
            self.health = ComplaintCategory(code="kesehatan", name="Kesehatan", default_opd_id=self.dinkes.id)
            session.add_all([self.roads, self.health])
            session.commit()
            config = app.config
            # DPU BMCK: resolved, first answered after 2 hours; verified after 30 hours; passed on at
            # once (a disposition is a first response too).
            fast = self.report(self.roads, "3374")
            clock.advance(timedelta(hours=2, minutes=10))
            complaints.verify(session, self.verifier, fast, config=config)
            complaints.dispose(session, self.verifier, fast, self.pu, config=config)
            complaints.answer(session, self.officer, fast, "Sudah ditambal.", config=config, resolved=True)
            slow = self.report(self.roads, "3322")
            clock.advance(timedelta(hours=30, minutes=5))
            complaints.verify(session, self.verifier, slow, config=config)
            complaints.dispose(session, self.verifier, slow, self.pu, config=config)
            quick = self.report(self.roads, "3322")
            complaints.dispose(session, self.verifier, quick, self.pu, config=config)
            # Dinkes: passed on within the hour.
            health = self.report(self.health, "3374")
            clock.advance(timedelta(minutes=40))
            complaints.dispose(session, self.verifier, health, self.dinkes, config=config)
            # Not yet passed on (waiting for the verifier).
            self.report(self.health, "3302")
            session.commit()
        with clock.frozen(datetime(2026, 2, 10, 3, 0, tzinfo=UTC)):
            self.report(self.roads, "3374")
            session.commit()
        with clock.frozen(datetime(2026, 4, 6, 3, 0, tzinfo=UTC)):
            self.report(self.health, "3374")
            session.commit()
        self.quick = quick

    def report(self, category, region):
        data = complaints.ReportInput(category_id=category.id, description="Laporan uji statistik.",
                                      region_code=region, reporter_name="Warga Uji", contact="0812-3456-7890")
        complaint, _pin = complaints.submit(self.session, data, config=self.app.config)
        return complaint


@pytest.fixture
def reports(app, session, factory):
    return Reports(app, session, factory)


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'<data id="stat-([a-z0-9-]+)" value="([^"]*)"', html))


def page(client, query: str = "") -> str:
    response = client.get(f"/lapor/statistik{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_median_from_the_histogram():
    assert Figures().median_hours is None
    one = Figures()
    one.add(5, 1, 4, 1, json.dumps({"0": 1, "5": 2, "30": 1}))
    assert one.median_hours == 5 and one.resolved_share == 0.2 and one.within_24h_share == 0.2
    one.add(2, 0, 2, 0, json.dumps({"720": 2}))
    assert one.median_hours == 5  # six answered: the third and fourth are in hour 5
    assert one.hours == {0: 1, 5: 2, 30: 1, 720: 2}
    late = Figures()
    late.add(3, 0, 3, 0, json.dumps({"2": 1, "720": 2}))
    assert late.median_hours == 720


def test_the_page_shows_what_the_reports_say(client, session, reports):
    everything = figures(page(client))
    # Seven received, one resolved; first responses after 2 h, 30 h, 0 h and 0 h.
    expected = session.scalars(select(ComplaintRollup).where(ComplaintRollup.dimension == "all")).all()
    assert int(everything["received"]) == 7 == sum(r.received for r in expected)
    assert everything["resolved"] == "1"
    responded = [c for c in reload_all(session) if c.first_response_at]
    within = [c for c in responded if c.first_response_at - c.received_at <= timedelta(hours=24)]
    assert everything["responded"] == str(len(responded)) and everything["within-24h"] == str(len(within))
    hours = sorted(int((c.first_response_at - c.received_at).total_seconds() // 3600) for c in responded)
    assert everything["median-hours"] == str(hours[(len(hours) + 1) // 2 - 1])
    html = page(client)
    assert "14,3%" in html  # 1 of 7 resolved, Indonesian style
    assert '<meta property="og:title"' in html
    assert '<meta property="og:url" content="http://pressroom.test/lapor/statistik">' in html


def reload_all(session):
    from pressroom.models import Complaint

    reload(session)
    return session.scalars(select(Complaint)).all()


def test_filters_one_dimension_and_months(client, session, reports):
    pu = figures(page(client, "?opd=DPUBMCK"))
    assert pu["received"] == "3" and pu["resolved"] == "1"
    roads = figures(page(client, "?kategori=jalan"))
    assert roads["received"] == "4"  # three in March, one in February
    semarang = figures(page(client, "?wilayah=3374"))
    assert semarang["received"] == "4"
    march = figures(page(client, "?dari=2026-03&sampai=2026-03"))
    assert march["received"] == "5"
    assert figures(page(client, "?dari=2026-03"))["received"] == "6"
    assert figures(page(client, "?sampai=2026-02"))["received"] == "1"
    assert figures(page(client, "?opd=DPUBMCK&dari=2026-02&sampai=2026-02"))["received"] == "0"
    # Months the wrong way round are swapped; the per-OPD table covers the same months.
    html = page(client, "?dari=2026-04&sampai=2026-03")
    assert figures(html)["received"] == "6"
    assert "Dinas Uji DPUBMCK" in html


BAD_FILTERS = ["?opd=TIDAKADA", "?kategori=%3Cscript%3E", "?wilayah=9999", "?dari=2026-13", "?sampai=kemarin",
               "?opd=DPUBMCK&kategori=jalan", "?dari=" + "9" * 500]


def test_bad_filters_get_a_notice_not_an_error(client, reports):
    for query in BAD_FILTERS:
        html = page(client, query)
        assert 'class="flash flash-warning"' in html, query
        assert "<script>" not in html
        # Dropped filters leave everything; of two dimensions, the first is kept.
        assert figures(html)["received"] == ("3" if "opd=DPUBMCK" in query else "7")


def test_the_page_reads_the_rollups(client, session, reports):
    """The figures come from ComplaintRollup (a few rows), not from counting the reports."""
    row = session.scalar(select(ComplaintRollup).where(ComplaintRollup.dimension == "all",
                                                       ComplaintRollup.month == date(2026, 3, 1)))
    row.received += 100
    session.commit()
    assert figures(page(client))["received"] == "107"


def test_the_page_follows_every_change(client, session, app, reports):
    before = figures(page(client, "?opd=DPUBMCK"))
    quick = session.get(type(reports.quick), reports.quick.id)
    verifier = session.get(type(reports.verifier), reports.verifier.id)
    complaints.answer(session, verifier, quick, "Selesai.", config=app.config, resolved=True)
    session.commit()
    after = figures(page(client, "?opd=DPUBMCK"))
    assert int(after["resolved"]) == int(before["resolved"]) + 1


def test_an_empty_province_has_a_page(client):
    html = page(client)
    assert figures(html)["received"] == "0" and "Tidak ada laporan pada periode ini" in html


# The monthly dataset ---------------------------------------------------------------------------
def test_last_months_statistics_become_a_data_centre_version_once(app, session, reports):
    with clock.frozen(datetime(2026, 4, 1, 0, 30, tzinfo=UTC)):  # 1 April, 07.30 WIB
        number = ticks.publish_complaint_statistics(app)
        assert number == 1
        assert ticks.publish_complaint_statistics(app) is None  # March is there already
        reload(session)
        assert complaint_stats.publish_month(session, app.config) is None
    dataset = session.scalar(select(Dataset).where(Dataset.title == "Statistik Lapor Gub"))
    assert dataset.opd_id == reports.kominfo.id and dataset.key_column == "kode_opd"
    assert dataset.draft_post_on_update and dataset.author_id == reports.editor.id
    versions = session.scalars(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)).all()
    assert len(versions) == 1
    version = versions[0]
    assert version.origin == "lapor-statistik:2026-03" and version.state == "current"
    assert clock.to_wib(version.data_date).date() == date(2026, 3, 31)
    rows = {r["kode_opd"]: r for r in version.rows}
    assert set(rows) == {"DPUBMCK", "DINKES", complaint_stats.UNASSIGNED_CODE}
    pu = rows["DPUBMCK"]
    assert (pu["opd"], pu["bulan"], int(pu["diterima"]), int(pu["tuntas"])) == ("DPU BMCK", "2026-03", 3, 1)
    assert Decimal(str(pu["persen_tuntas"])) == Decimal("33.3")
    assert Decimal(str(pu["persen_dijawab_24_jam"])) == Decimal("66.7")
    assert int(pu["median_jam_respons_pertama"]) == 2
    assert int(rows["DINKES"]["diterima"]) == 1
    # April's report is not in it; February's is not either.
    assert sum(int(r["diterima"]) for r in rows.values()) == 5
    # The usual path: the render tick draws the chart and drafts Diskominfo's post for approval.
    assert ticks.render_versions(app, owner="test") == 1
    reload(session)
    version = session.get(DatasetVersion, version.id)
    post = session.get(Post, version.post_id)
    assert version.render_status == "done" and post.state == "draft"
    assert post.origin == f"dataset:{dataset.id}" and post.opd_id == reports.kominfo.id


def test_the_next_month_is_a_new_version_and_an_empty_month_none(app, session, reports):
    with clock.frozen(datetime(2026, 4, 1, 0, 30, tzinfo=UTC)):
        assert ticks.publish_complaint_statistics(app) == 1
    with clock.frozen(datetime(2026, 5, 1, 0, 30, tzinfo=UTC)):
        assert ticks.publish_complaint_statistics(app) == 2  # April: one report
    with clock.frozen(datetime(2026, 6, 1, 0, 30, tzinfo=UTC)):
        assert ticks.publish_complaint_statistics(app) is None  # nothing was received in May
    reload(session)
    origins = session.scalars(select(DatasetVersion.origin).order_by(DatasetVersion.number)).all()
    assert origins == ["lapor-statistik:2026-03", "lapor-statistik:2026-04"]
