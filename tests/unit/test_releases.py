"""Press releases: the audience and its freezing, numbering, embargo, the approval chain's
rules, withdrawal and corrections (services/releases.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pressroom import clock
from pressroom.models import Delivery, PressRelease, ReleaseRecipient
from pressroom.services import ValidationError, approvals, journalists, releases
from tests.press.helpers import approved_release, journalist, release_input

NOON_WIB = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)


@pytest.fixture
def world(session, factory):
    with clock.frozen(NOON_WIB):
        opd = factory.opd("DISTANBUN")
        editor = factory.user("editor", opd)
        head = factory.user("approver", opd, level="kepala")
        yield opd, editor, head


def recipients(session, release):
    return sorted(
        session.execute(
            select(ReleaseRecipient.journalist_id, ReleaseRecipient.channel).where(
                ReleaseRecipient.release_id == release.id
            )
        )
    )


def test_audience_takes_consent_preferences_and_status_into_account(session, world):
    opd, editor, head = world
    both = journalist(session, editor, opd, name="Ani Both")
    email_only = journalist(session, editor, opd, name="Budi Email", consent=("email",))
    prefers_wa = journalist(session, editor, opd, name="Citra WA", preferred=("whatsapp",))
    no_consent = journalist(session, editor, opd, name="Dedi None", consent=())
    archived = journalist(session, editor, opd, name="Eko Archived")
    erased = journalist(session, editor, opd, name="Fajar Erased")
    not_following = journalist(session, editor, opd, name="Gita Other", follow=False)
    journalists.archive(session, head, archived)
    erased.status = "erased"
    session.commit()

    release = releases.create_release(session, editor, opd.id, release_input())
    counts = releases.count_audience(session, release)
    assert (counts.people, counts.email, counts.whatsapp) == (3, 2, 2)
    releases.submit_release(session, editor, release)
    releases.approve_release(session, head, release)
    session.commit()

    assert recipients(session, release) == sorted(
        [(both.id, "email"), (both.id, "whatsapp"), (email_only.id, "email"), (prefers_wa.id, "whatsapp")]
    )
    for person in (no_consent, archived, erased, not_following):
        assert person.id not in {j for j, _ in recipients(session, release)}
    deliveries = session.scalars(select(Delivery).where(Delivery.kind == "press")).all()
    assert len(deliveries) == 4 and {d.status for d in deliveries} == {"due"}
    assert {d.recipient for d in deliveries if d.channel == "email"} == {
        both.emails[0].address,
        email_only.emails[0].address,
    }


def test_recipients_are_frozen_at_approval(session, world):
    opd, editor, head = world
    first = journalist(session, editor, opd)
    release, *_ = approved_release(session, None, opd, editor=editor, head=head)
    journalist(session, editor, opd)  # joins after approval: not a recipient
    session.commit()
    assert {j for j, _ in recipients(session, release)} == {first.id}
    # A re-approval after withdrawal keeps the frozen list.
    releases.withdraw_release(session, head, release)
    releases.submit_release(session, editor, release)
    releases.approve_release(session, head, release)
    session.commit()
    assert {j for j, _ in recipients(session, release)} == {first.id}


def test_audience_filters_by_beat_region_outlet_and_saved_list(session, world, factory):
    from pressroom.models import AudienceList, AudienceListMember, Beat, Outlet, Region

    opd, editor, head = world
    beat = Beat(name="Pertanian")
    region = session.get(Region, "3315") or Region(code="3315", name="Grobogan", kind="Kabupaten")
    outlet = Outlet(name="Suara Uji", type="cetak", dewan_pers="faktual")
    session.add_all([beat, outlet])
    session.merge(region)
    session.flush()
    farmer = journalist(session, editor, opd, beats=[beat.id])
    local = journalist(session, editor, opd, regions=["3315"])
    verified = journalist(session, editor, opd, outlet_id=outlet.id)
    listed = journalist(session, editor, opd, follow=False)
    saved = AudienceList(opd_id=opd.id, name="Daftar uji", created_by_id=editor.id)
    session.add(saved)
    session.flush()
    session.add(AudienceListMember(list_id=saved.id, journalist_id=listed.id))
    session.commit()

    def people(audience):
        release = releases.create_release(session, editor, opd.id, release_input(audience=audience))
        ids = releases._audience_ids(opd.id, releases.normalised_audience(release.audience))
        return set(session.scalars(ids))

    assert people({"beats": [beat.id]}) == {farmer.id}
    assert people({"regions": ["3315"]}) == {local.id}
    assert people({"dewan_pers": ["faktual"]}) == {verified.id}
    assert people({"outlet_types": ["cetak"]}) == {verified.id}
    assert people({"base": "list", "list_id": saved.id}) == {listed.id}
    assert people({}) == {farmer.id, local.id, verified.id}


def test_approval_hash_covers_the_audience(session, world):
    opd, editor, head = world
    journalist(session, editor, opd)
    release, *_ = approved_release(session, None, opd, editor=editor, head=head)
    assert approvals.still_approved(release)
    releases.update_release(
        session, editor, release, release_input(audience={"base": "followers", "channels": ["email"]})
    )
    session.commit()
    assert release.state == "draft" and not approvals.still_approved(release)
    assert {d.status for d in session.scalars(select(Delivery).where(Delivery.kind == "press"))} == {
        "cancelled"
    }


def test_nobody_approves_their_own_release(session, world, factory):
    opd, editor, head = world
    journalist(session, editor, opd)
    release = releases.create_release(session, head, opd.id, release_input())
    releases.submit_release(session, head, release)
    with pytest.raises(ValidationError):
        releases.approve_release(session, head, release)


def test_numbers_follow_the_pattern_restart_each_year_and_are_kept(session, world, factory):
    from pressroom.models import PressProfile

    opd, editor, head = world
    journalist(session, editor, opd)
    session.add(
        PressProfile(
            opd_id=opd.id, number_pattern="{class}/{seq:3}/{opd}/{month_roman}/{year}", classification="480"
        )
    )
    session.commit()
    first, *_ = approved_release(session, None, opd, editor=editor, head=head)
    second, *_ = approved_release(session, None, opd, editor=editor, head=head)
    assert (first.number, second.number) == ("480/001/DISTANBUN/III/2026", "480/002/DISTANBUN/III/2026")
    # Withdrawn: the number stays, marked cancelled; the next release does not reuse it.
    releases.withdraw_release(session, head, second)
    session.commit()
    assert second.number == "480/002/DISTANBUN/III/2026" and second.is_cancelled
    third, *_ = approved_release(session, None, opd, editor=editor, head=head)
    assert third.number.startswith("480/003/")
    # Re-approval keeps the number.
    releases.submit_release(session, editor, second)
    releases.approve_release(session, head, second)
    session.commit()
    assert second.number == "480/002/DISTANBUN/III/2026" and not second.is_cancelled
    # A manual number from the letter register is used as typed and takes no sequence.
    manual, *_ = approved_release(session, None, opd, editor=editor, head=head, manual_number="555/12/2026")
    assert manual.number == "555/12/2026" and manual.number_seq is None
    # New year in WIB (00.30 WIB on 1 January is 17.30 UTC on 31 December): the sequence restarts.
    with clock.frozen(datetime(2026, 12, 31, 17, 30, tzinfo=UTC)):
        new_year, *_ = approved_release(session, None, opd, editor=editor, head=head)
    assert new_year.number == "480/001/DISTANBUN/I/2027"


def test_embargo_sets_when_it_goes_out_and_when_it_is_public(session, world):
    opd, editor, head = world
    journalist(session, editor, opd)
    embargo = NOON_WIB + timedelta(hours=3)
    held_back, *_ = approved_release(session, None, opd, editor=editor, head=head, embargo_until=embargo)
    assert held_back.public_from == embargo
    assert {d.due_at for d in session.scalars(select(Delivery).where(Delivery.kind == "press"))} == {embargo}
    early, *_ = approved_release(
        session, None, opd, editor=editor, head=head, embargo_until=embargo, send_before_embargo=True
    )
    rows = session.scalars(releases.deliveries_query(early.id)).all()
    assert early.public_from == embargo and {d.due_at for d in rows} == {clock.now()}
    # Embargoed items go by email only unless WhatsApp was chosen too.
    assert {d.channel for d in rows} == {"email"}


def test_correction_goes_to_the_originals_recipients(session, world):
    opd, editor, head = world
    first = journalist(session, editor, opd)
    original, *_ = approved_release(session, None, opd, editor=editor, head=head)
    journalist(session, editor, opd)  # followed later: not told about the correction
    session.commit()
    ralat = releases.start_correction(session, editor, original)
    releases.update_release(
        session,
        editor,
        ralat,
        release_input(
            headline="Ralat: produksi padi", correction_note="Angka produksi di paragraf 2 diperbaiki."
        ),
    )
    releases.submit_release(session, editor, ralat)
    releases.approve_release(session, head, ralat)
    session.commit()
    assert ralat.kind == "ralat" and ralat.corrects_id == original.id
    assert recipients(session, ralat) == recipients(session, original)
    assert {j for j, _ in recipients(session, ralat)} == {first.id}


def test_bad_input_changes_nothing(session, world):
    opd, editor, _ = world
    before = session.scalar(select(func.count()).select_from(PressRelease))
    with pytest.raises(ValidationError) as caught:
        releases.create_release(
            session, editor, opd.id, release_input(headline="", contact_phone="12", audience={"channels": []})
        )
    assert {"headline", "contact_phone", "channels"} <= set(caught.value.errors)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(PressRelease)) == before


def test_changing_a_saved_lists_members_after_approval_clears_it(session, world):
    from pressroom.models import AudienceList, AudienceListMember

    opd, editor, head = world
    first = journalist(session, editor, opd, follow=False)
    later = journalist(session, editor, opd, follow=False)
    saved = AudienceList(opd_id=opd.id, name="Daftar", created_by_id=editor.id)
    session.add(saved)
    session.flush()
    session.add(AudienceListMember(list_id=saved.id, journalist_id=first.id))
    session.commit()
    release, *_ = approved_release(
        session, None, opd, editor=editor, head=head, audience={"base": "list", "list_id": saved.id}
    )
    assert approvals.still_approved(release)
    session.add(AudienceListMember(list_id=saved.id, journalist_id=later.id))
    session.commit()
    assert not approvals.still_approved(release)  # the dispatcher's gate will cancel its sends
