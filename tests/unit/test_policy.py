"""The permission function: memberships, province-wide roles and acting appointments."""

from datetime import timedelta

from pressroom import clock
from pressroom.services import policy, users
from pressroom.services.policy import can


def test_editor_works_only_inside_their_opd(factory):
    a, b = factory.opd("DINA"), factory.opd("DINB")
    editor = factory.user("editor", a)
    assert can(editor, "opd.view", a) and can(editor, "opd.edit", a)
    assert not can(editor, "opd.view", b)
    assert not can(editor, "opd.approve", a)
    assert not can(editor, "admin.manage")


def test_province_wide_roles_read_everywhere_but_do_not_edit(factory):
    a = factory.opd("DINA")
    for role in ("walidata", "viewer"):
        user = factory.user(role, factory.opd(f"HOME{role.upper()}"))
        assert can(user, "opd.view", a)
        assert not can(user, "opd.edit", a)
        assert not can(user, "opd.approve", a)
        assert not can(user, "admin.manage")


def test_admin_manages_but_does_not_approve_for_an_opd(factory):
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    a = factory.opd("DINA")
    assert can(admin, "admin.manage") and can(admin, "audit.view") and can(admin, "opd.view", a)
    assert not can(admin, "opd.approve", a)


def test_acting_official_approves_only_during_the_appointment(factory, session):
    a, b = factory.opd("DINA"), factory.opd("DINB")
    official = factory.user("editor", b)
    appointment = factory.acting(official, a, title="Kepala Dinas A", days=7)
    assert can(official, "opd.approve", a)
    assert policy.acting_as(official, a) == "Plh. Kepala Dinas A"
    assert not can(official, "opd.approve", a, at=appointment.ends_at + timedelta(seconds=1))
    assert not can(official, "opd.approve", a, at=appointment.starts_at - timedelta(seconds=1))
    users.revoke_acting(session, official, appointment)
    session.commit()
    assert not can(official, "opd.approve", a)


def test_deactivated_user_can_do_nothing(factory, session):
    a = factory.opd("DINA")
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    editor = factory.user("editor", a)
    users.deactivate_user(session, admin, editor, reason="mutasi")
    session.commit()
    assert policy.capacities(editor) == []
    assert not can(editor, "app.enter")


def test_unknown_actions_fail_loudly(factory):
    import pytest

    with pytest.raises(KeyError, match="unknown action"):
        can(None, "post.frobnicate")


def test_two_factor_required_for_admins_approvers_and_acting_officials(factory):
    a = factory.opd("DINA")
    assert policy.requires_two_factor(factory.user("admin", a))
    assert policy.requires_two_factor(factory.user("approver", a, level="kepala"))
    editor = factory.user("editor", a)
    assert not policy.requires_two_factor(editor)
    factory.acting(editor, a, starts_in=timedelta(days=2))
    assert policy.requires_two_factor(editor)
    assert not policy.requires_two_factor(factory.user("viewer", a), at=clock.now())
