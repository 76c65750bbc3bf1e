"""The demo journalists: plainly fictional, in the fake number blocks, seeded once."""

from __future__ import annotations

import re
from collections import Counter

import phonenumbers
import pytest
from sqlalchemy import func, select

from pressroom.demo import seed_demo
from pressroom.demo_journalists import FOLLOWED_BEATS, OUTLETS, seed_journalists
from pressroom.models import (
    AuditEntry,
    Consent,
    Journalist,
    JournalistEmail,
    JournalistOpd,
    JournalistPhone,
    Opd,
    Outlet,
    User,
)
from pressroom.models.journalist import OUTLET_TYPES

FAKE_MOBILE = re.compile(r"^\+628990000\d{4}$")
FAKE_LANDLINE = re.compile(r"^\+622400000\d{3}$")


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def seeded(session, factory):
    """A smaller demo directory (120 people) followed by OPDs with the demo codes."""
    opds = {code: factory.opd(code) for code in FOLLOWED_BEATS}
    admin = factory.user("admin", opds["DISKOMINFO"])
    added = seed_journalists(session, opds, admin, count=120)
    session.commit()
    return added


def test_seed_demo_adds_journalists_once(app, session):
    first = seed_demo(app)
    journalists = _count(session, Journalist)
    assert journalists == 300
    assert first >= 300 + len(OUTLETS)
    assert seed_demo(app) == 0
    assert _count(session, Journalist) == journalists
    opds = {o.code: o for o in session.scalars(select(Opd))}
    admin = session.scalar(select(User).where(User.email == "admin@demo.example"))
    assert seed_journalists(session, opds, admin) == 0


def test_demo_journalists_are_plainly_fictional(session, seeded):
    assert seeded == 120 + len(OUTLETS)
    for outlet in session.scalars(select(Outlet)):
        assert outlet.name.endswith("(demo)")
    assert {o.type for o in session.scalars(select(Outlet))} == set(OUTLET_TYPES)
    assert {o.dewan_pers for o in session.scalars(select(Outlet))} == {"faktual", "administratif", "belum"}
    names = [j.full_name for j in session.scalars(select(Journalist))]
    assert all(name.endswith(" (demo)") for name in names)
    assert len(set(names)) == len(names)
    for address in session.scalars(select(JournalistEmail.address)):
        assert address.endswith(".demo.example"), address
    assert session.scalar(select(func.count()).select_from(JournalistEmail).where(
        JournalistEmail.is_shared.is_(True), JournalistEmail.address.like("redaksi@%")))


def test_demo_numbers_are_in_the_fake_blocks(session, seeded):
    phones = list(session.scalars(select(JournalistPhone)))
    assert len({p.e164 for p in phones}) == len(phones)  # nobody shares a number
    for phone in phones:
        block = FAKE_MOBILE if phone.kind == "mobile" else FAKE_LANDLINE
        assert block.match(phone.e164), phone.e164
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone.e164))
    assert {p.kind for p in phones} == {"mobile", "landline"}


def test_demo_consent_links_and_audit(session, seeded):
    states = Counter(session.scalars(select(Consent.state)))
    assert states["awaiting"] > states["given"] > states["withdrawn"] > 0
    assert set(session.scalars(select(Consent.basis).where(Consent.state != "awaiting"))) == {
        "formulir persetujuan (demo)"}
    distanbun = session.scalar(select(Opd).where(Opd.code == "DISTANBUN"))
    followed = session.scalars(select(Journalist).join(JournalistOpd).where(
        JournalistOpd.opd_id == distanbun.id, JournalistOpd.following.is_(True))).unique().all()
    assert followed and all("Pertanian dan Pangan" in {b.name for b in j.beats} for j in followed)
    notes = list(session.scalars(select(JournalistOpd.notes).where(JournalistOpd.notes.is_not(None))))
    assert notes and all(note.startswith("Catatan demo:") for note in notes)
    created = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "journalist.created"))
    assert created == 120
