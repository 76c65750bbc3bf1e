"""Lapor Gub's core rules: receiving, the workflow, what the citizen sees, rollups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pressroom import clock
from pressroom.models import ComplaintCategory, ComplaintRollup, Delivery
from pressroom.services import ValidationError, complaints

MONDAY_10_WIB = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def setup(app, session, factory):
    with clock.frozen(MONDAY_10_WIB):
        opd = factory.opd("DPUBMCK")
        verifier = factory.user("verifier", factory.opd("DISKOMINFO"))
        officer = factory.user("officer", opd)
        category = ComplaintCategory(code="jalan", name="Jalan rusak", default_opd_id=opd.id)
        session.add(category)
        session.commit()
        yield opd, verifier, officer, category


def report(session, app, category, **values):
    data = complaints.ReportInput(
        category_id=category.id,
        description="Jalan berlubang di depan pasar.",
        region_code="3374",
        kecamatan="Semarang Tengah",
        reporter_name="Siti",
        contact="0812-3456-7890",
        **values,
    )
    return complaints.submit(session, data, config=app.config)


def test_a_report_goes_from_received_to_tuntas(app, session, setup):
    opd, verifier, officer, category = setup
    complaint, pin = report(session, app, category)
    assert complaint.tracking_id.startswith("LG-") and len(pin) == 6
    assert complaints.check_pin(app.config["SECRET_KEY"], complaint, pin)
    assert not complaints.check_pin(app.config["SECRET_KEY"], complaint, "000000" if pin != "000000" else "1")
    assert (
        complaints.citizen_status(complaint) == "Menunggu" and complaints.open311_status(complaint) == "open"
    )
    complaints.verify(session, verifier, complaint, config=app.config)
    complaints.dispose(session, verifier, complaint, opd, config=app.config)
    complaints.assign(session, verifier, complaint, officer)
    assert complaints.citizen_status(complaint) == "Dalam Tindakan"
    complaints.answer(session, officer, complaint, "Sudah ditambal.", config=app.config, resolved=True)
    complaints.confirm(session, complaint, resolved=True, rating=5, config=app.config)
    session.commit()
    assert (
        complaints.citizen_status(complaint) == "Tuntas" and complaints.open311_status(complaint) == "closed"
    )
    updates = session.scalars(select(Delivery).where(Delivery.subject_type == "complaint")).all()
    assert len(updates) == 4 and {d.channel for d in updates} == {"whatsapp"}
    everything = session.scalar(select(ComplaintRollup).where(ComplaintRollup.dimension == "all"))
    assert (everything.received, everything.resolved, everything.responded, everything.responded_24h) == (
        1,
        1,
        1,
        1,
    )
    by_opd = session.scalar(
        select(ComplaintRollup).where(ComplaintRollup.dimension == "opd", ComplaintRollup.key == str(opd.id))
    )
    assert by_opd.received == 1
    unassigned = session.scalar(
        select(ComplaintRollup).where(ComplaintRollup.dimension == "opd", ComplaintRollup.key == "")
    )
    assert unassigned.received == 0


def test_not_resolved_reopens(app, session, setup):
    opd, verifier, officer, category = setup
    complaint, _pin = report(session, app, category)
    complaints.verify(session, verifier, complaint, config=app.config)
    complaints.dispose(session, verifier, complaint, opd, config=app.config)
    complaints.answer(session, officer, complaint, "Selesai.", config=app.config, resolved=True)
    complaints.confirm(session, complaint, resolved=False, rating=2, config=app.config)
    assert complaint.state == "in_progress" and complaint.reopened_count == 1
    assert complaints.citizen_status(complaint) == "Dalam Tindakan"


def test_bad_input(app, session, setup):
    *_, category = setup
    with pytest.raises(ValidationError) as caught:
        complaints.submit(
            session,
            complaints.ReportInput(
                category_id=category.id, description="x" * 4001, region_code="9999", contact="12"
            ),
            config=app.config,
        )
    assert {"description", "region_code", "contact"} <= set(caught.value.errors)


def test_first_response_after_24_hours_is_late(app, session, setup):
    opd, verifier, officer, category = setup
    complaint, _pin = report(session, app, category)
    with clock.frozen(MONDAY_10_WIB + timedelta(hours=25)):
        complaints.verify(session, verifier, complaint, config=app.config)
    session.commit()
    everything = session.scalar(select(ComplaintRollup).where(ComplaintRollup.dimension == "all"))
    assert (everything.responded, everything.responded_24h, everything.response_hours) == (1, 0, {"25": 1})
