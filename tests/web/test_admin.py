"""Admin screens: OPDs, users, memberships, acting appointments and the audit log."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from pressroom import clock
from pressroom.models import ActingAppointment, AuditEntry, Membership, Opd, User
from tests.conftest import csrf_token, login, reload

SCRIPT = '<script>alert("x")</script>'


def _admin_client(app, factory):
    admin = factory.user("admin", factory.opd("DISKOMINFO"), title="Pranata Humas")
    client = app.test_client()
    login(client, admin, factory)
    return client, admin


def test_admin_creates_an_opd_with_a_generated_logo(app, factory, session, storage):
    client, _admin = _admin_client(app, factory)
    token = csrf_token(client, "/app/admin/opd/new")
    response = client.post("/app/admin/opd/new", data={
        "csrf_token": token, "code": "dinsos", "name": "Dinas Sosial Provinsi Jawa Tengah",
        "short_name": "Dinsos", "kind": "dinas", "primary_color": "#AA3300", "accent_color": "#00aa33",
        "approval_steps": "2",
        "is_active": "y"})
    assert response.status_code == 302
    opd = session.scalar(select(Opd).where(Opd.code == "DINSOS"))
    assert opd.primary_color == "#aa3300" and opd.approval_steps == 2
    png = storage.get(opd.logo_key, public=True)
    assert png.startswith(b"\x89PNG")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "opd.created",
                                                    AuditEntry.object_id == str(opd.id)))
    assert entry.opd_id == opd.id and "short_name" in entry.fields and entry.acting_as == "admin"


def test_bad_opd_input_is_explained_and_saves_nothing(app, factory, session):
    client, _admin = _admin_client(app, factory)
    count = session.scalar(select(func.count()).select_from(Opd))
    response = client.post("/app/admin/opd/new", data={
        "csrf_token": csrf_token(client, "/app/admin/opd/new"), "code": "x", "name": "",
        "short_name": "S", "kind": "dinas", "primary_color": "red", "accent_color": "#00aa33"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Opd)) == count


def test_names_with_html_are_escaped_everywhere(app, factory, session):
    client, _admin = _admin_client(app, factory)
    opd = factory.opd("XSS", short_name=SCRIPT, name=SCRIPT)
    user = factory.user("editor", opd, name=SCRIPT, title=SCRIPT)
    for path in ("/app/admin/opd", "/app/admin/users", f"/app/admin/users/{user.id}",
                 f"/app/opd/{opd.id}", "/app/", "/app/admin/audit"):
        body = client.get(path).get_data(as_text=True)
        assert SCRIPT not in body, path


def test_admin_creates_a_user_and_adds_a_membership(app, factory, session):
    client, admin = _admin_client(app, factory)
    opd = factory.opd("DINKES")
    response = client.post("/app/admin/users/new", data={
        "csrf_token": csrf_token(client, "/app/admin/users/new"), "email": "Baru@Pressroom.Example.com",
        "full_name": "  Pegawai   Baru ", "nip": ""})
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "baru@pressroom.example.com"))
    assert user.full_name == "Pegawai Baru" and user.must_change_password
    response = client.post(f"/app/admin/users/{user.id}/memberships", data={
        "csrf_token": csrf_token(client, f"/app/admin/users/{user.id}"), "opd_id": opd.id,
        "role": "approver", "position_title": "Kepala Dinas Kesehatan", "level": "kepala"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Keanggotaan ditambahkan" in page, page
    reload(session)
    assert session.scalar(select(Membership).where(Membership.user_id == user.id)).role == "approver"
    duplicate = client.post("/app/admin/users/new", data={
        "csrf_token": csrf_token(client, "/app/admin/users/new"), "email": "baru@pressroom.example.com",
        "full_name": "Lagi"})
    assert duplicate.status_code == 400 and "sudah" in duplicate.get_data(as_text=True)


def test_admin_appoints_a_plh_for_a_week_and_it_is_audited(app, factory, session):
    client, admin = _admin_client(app, factory)
    opd = factory.opd("DINKES", short_name="Dinkes")
    head = factory.user("approver", opd, level="kepala", title="Kepala Dinas Kesehatan")
    kabid = factory.user("approver", opd, level="kabid", title="Kepala Bidang P2P")
    with clock.frozen(datetime(2026, 3, 2, 1, 0, tzinfo=UTC)):
        response = client.post("/app/admin/acting/new", data={
            "csrf_token": csrf_token(client, "/app/admin/acting/new"), "user_id": kabid.id,
            "opd_id": opd.id, "kind": "plh", "position_title": "Kepala Dinas Kesehatan",
            "level": "kepala", "sk_number": "800/45/2026", "starts_at": "2026-03-02T08:00",
            "ends_at": "2026-03-09T08:00"})
        assert response.status_code == 302, response.get_data(as_text=True)
        appointment = session.scalar(select(ActingAppointment))
        assert appointment.starts_at == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08.00 WIB
        listing = client.get("/app/admin/acting").get_data(as_text=True)
        assert "Plh. Kepala Dinas Kesehatan" in listing and "2 Maret 2026 08.00 WIB" in listing
        audit = client.get("/app/admin/audit?action=acting.").get_data(as_text=True)
        assert "acting.appointed" in audit
        # Overlapping appointment for the same position is refused with a message.
        again = client.post("/app/admin/acting/new", data={
            "csrf_token": csrf_token(client, "/app/admin/acting/new"), "user_id": head.id,
            "opd_id": opd.id, "kind": "plh", "position_title": "Kepala Dinas Kesehatan",
            "level": "kepala", "sk_number": "800/46/2026", "starts_at": "2026-03-05T08:00",
            "ends_at": "2026-03-06T08:00"})
        assert again.status_code == 400
        assert session.scalar(select(func.count()).select_from(ActingAppointment)) == 1
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "acting.appointed"))
    assert entry.actor_id == admin.id and entry.acting_as == "admin"
    assert entry.details == {"user_id": kabid.id, "kind": "plh"}


def test_mutasi_deactivates_and_ends_memberships(app, factory, session):
    client, _admin = _admin_client(app, factory)
    opd = factory.opd()
    editor = factory.user("editor", opd)
    response = client.post(f"/app/admin/users/{editor.id}/deactivate", data={
        "csrf_token": csrf_token(client, f"/app/admin/users/{editor.id}/deactivate"),
        "reason": "Mutasi ke Dinas Sosial"})
    assert response.status_code == 302
    session.expire_all()
    user = session.get(User, editor.id)
    assert not user.is_active and all(m.ended_at for m in user.memberships)


def test_audit_rows_hold_no_personal_values(app, factory, session):
    client, _admin = _admin_client(app, factory)
    client.post("/app/admin/users/new", data={
        "csrf_token": csrf_token(client, "/app/admin/users/new"), "email": "rahasia@pressroom.example.com",
        "full_name": "Nama Sangat Pribadi", "nip": "198001012005011001"})
    for entry in session.scalars(select(AuditEntry)):
        blob = f"{entry.acting_as} {entry.fields} {entry.details}"
        assert "rahasia" not in blob and "Pribadi" not in blob and "198001012005011001" not in blob


def test_oversized_upload_gets_a_clear_message(app_factory, factory):
    app = app_factory(MAX_UPLOAD_MB=0.001)
    client = app.test_client()
    response = client.post("/login", data={"email": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "batas" in response.get_data(as_text=True).lower()
