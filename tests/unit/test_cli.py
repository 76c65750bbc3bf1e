"""The `pressroom` command: create-user and the idempotent demo seed."""

from sqlalchemy import func, select

from pressroom.models import ActingAppointment, AuditEntry, Membership, Opd, User
from tests.conftest import reload


def test_seed_demo_is_idempotent_and_fictional(app, session):
    app.config["DEMO_JOURNALISTS"] = 30  # the full 300 are seeded in test_demo_journalists
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.example" in first.output
    counts = [session.scalar(select(func.count()).select_from(t)) for t in (Opd, User, Membership,
                                                                          ActingAppointment)]
    assert counts[0] >= 7 and counts[1] >= 15
    second = runner.invoke(args=["seed-demo"])
    assert "(0 new records)" in second.output
    reload(session)
    assert counts == [session.scalar(select(func.count()).select_from(t)) for t in (
        Opd, User, Membership, ActingAppointment)]
    # Every demo person is marked as invented.
    assert all(u.full_name.endswith("(demo)") for u in session.scalars(select(User)))
    assert all(u.email.endswith("@demo.example") for u in session.scalars(select(User)))
    # Every OPD has its generated logo.
    storage = app.extensions["storage"]
    assert all(storage.exists(o.logo_key, public=True) for o in session.scalars(select(Opd)))


def test_create_user_command(app, session, factory):
    factory.opd("DISKOMINFO")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "--email", "kepala@pressroom.example.com", "--name",
                                 "Kepala Uji", "--opd", "diskominfo", "--role", "admin",
                                 "--password", "a strong passphrase"])
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "kepala@pressroom.example.com"))
    assert user.memberships[0].role == "admin"
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "user.created", AuditEntry.object_id == str(user.id))) == 1
    bad = runner.invoke(args=["create-user", "--email", "not-an-email", "--name", "X", "--opd",
                              "DISKOMINFO", "--role", "editor", "--password", "a strong passphrase"])
    assert bad.exit_code != 0 and "email" in bad.output.lower()
    unknown = runner.invoke(args=["create-user", "--email", "x@pressroom.example.com", "--name", "X",
                                  "--opd", "NOPE", "--role", "editor", "--password", "a strong passphrase"])
    assert unknown.exit_code != 0 and "NOPE" in unknown.output


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"
