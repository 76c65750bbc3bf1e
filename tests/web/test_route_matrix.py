"""Route × role matrix generated from the app's URL map.

Every endpoint must have an expectation below; a new route without one fails this test,
so no later feature can escape the permission review.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import login

ROLES = ("anonymous", "editor", "approver", "other_approver", "acting_approver", "walidata",
         "viewer", "admin")
STAFF = frozenset(ROLES) - {"anonymous"}
ADMIN = frozenset({"admin"})
DIRECTORY = frozenset({"editor", "approver", "other_approver", "acting_approver", "admin"})
APPROVERS = frozenset({"approver", "other_approver", "acting_approver", "admin"})
OPD_STAFF = frozenset({"editor", "approver", "other_approver", "acting_approver"})
OPD_A_WRITERS = frozenset({"editor", "approver", "acting_approver"})
OPD_READERS = frozenset({"editor", "approver", "acting_approver", "walidata", "viewer", "admin"})
DATA_KEEPERS = frozenset({"editor", "approver", "acting_approver", "walidata", "admin"})
DATA_DECIDERS = frozenset({"approver", "acting_approver", "walidata"})
PUBLIC = "public"      # anyone, no login needed
SIGNED = "signed"      # authenticated by a signature in the URL, never by the session
TOKEN = "token"        # authenticated by a token in a header, never by the session: 401 without one
AUTH_FLOW = "auth"     # the login flow itself: reachable by anyone, redirects as needed

#: endpoint -> who may use it (a set of roles, or one of the kinds above).
EXPECTATIONS: dict[str, object] = {
    "static": PUBLIC,
    "public.home": PUBLIC,
    "public.privacy": PUBLIC,
    "public.set_language": PUBLIC,
    "public.healthz": PUBLIC,
    "public.media": PUBLIC,
    "public.signed_file": SIGNED,
    "auth.login": AUTH_FLOW,
    "auth.second_factor": AUTH_FLOW,
    "auth.enrol": AUTH_FLOW,
    "auth.recovery_codes": AUTH_FLOW,
    "auth.logout": AUTH_FLOW,
    "main.dashboard": STAFF,
    "main.account": STAFF,
    "main.change_password": STAFF,
    # OPD A's workspace: its own people, acting officials, and province-wide roles.
    "main.opd_page": frozenset({"editor", "approver", "acting_approver", "walidata", "viewer", "admin"}),
    "admin.index": ADMIN,
    "admin.opd_list": ADMIN,
    "admin.opd_new": ADMIN,
    "admin.opd_edit": ADMIN,
    "admin.user_list": ADMIN,
    "admin.user_new": ADMIN,
    "admin.user_detail": ADMIN,
    "admin.membership_add": ADMIN,
    "admin.membership_end": ADMIN,
    "admin.user_reset_password": ADMIN,
    "admin.user_reset_two_factor": ADMIN,
    "admin.user_deactivate": ADMIN,
    "admin.user_reactivate": ADMIN,
    "admin.acting_list": ADMIN,
    "admin.acting_new": ADMIN,
    "admin.acting_revoke": ADMIN,
    "admin.audit_log": ADMIN,
    # The journalist directory: OPD staff who contact the press (incl. acting officials), and admins.
    "journalists.index": DIRECTORY,
    "journalists.new": DIRECTORY,
    "journalists.detail": DIRECTORY,
    "journalists.edit": DIRECTORY,
    "journalists.follow": DIRECTORY,
    "journalists.unfollow": DIRECTORY,
    "journalists.notes": DIRECTORY,
    "journalists.consent": DIRECTORY,
    "journalists.outlets": DIRECTORY,
    "journalists.outlet_new": DIRECTORY,
    "journalists.outlet_edit": DIRECTORY,
    "journalists.archive": APPROVERS,
    "journalists.restore": APPROVERS,
    "journalists.export": APPROVERS,
    "journalists.access_export": ADMIN,
    "journalists.erase": ADMIN,
    "journalists.beats": ADMIN,
    "journalists.beat_edit": ADMIN,
    # Posts: the list, editor and queue are for staff; OPD A's post for its people and readers.
    "posts.index": STAFF,
    "posts.queue": STAFF,
    # The calendar shows each reader only the OPDs they may see (services.calendar, policy).
    "posts.calendar": STAFF,
    "posts.new": OPD_STAFF,
    "posts.sandbox": STAFF,
    "posts.detail": OPD_READERS,
    "posts.comment": OPD_READERS,
    "posts.edit": OPD_A_WRITERS,
    "posts.add_image": OPD_A_WRITERS,
    "posts.remove_image": OPD_A_WRITERS,
    "posts.submit": OPD_A_WRITERS,
    "posts.withdraw": OPD_A_WRITERS,
    "posts.resolve": OPD_A_WRITERS,
    # Deciding: OPD A's approvers (the service then checks level, authorship and the step).
    "posts.approve": frozenset({"approver", "acting_approver"}),
    "posts.retract": frozenset({"approver", "acting_approver"}),
    "posts.correct": OPD_A_WRITERS,
    "posts.reject": frozenset({"approver", "acting_approver"}),
    # Importing journalists into an OPD: its editors and approvers (acting ones too), and admins.
    "directory_import.upload": DIRECTORY,
    # A batch belongs to whoever uploaded it (`target`, never logged in): only admins open another's.
    "directory_import.preview": ADMIN,
    "directory_import.commit": ADMIN,
    "directory_import.cancel": ADMIN,
    "admin.accounts": ADMIN,
    "admin.account_deactivate": ADMIN,
    "admin.account_reconnect": ADMIN,
    "admin.account_check": ADMIN,
    "admin.stops": ADMIN,
    "admin.stop_lift": ADMIN,
    # The public data centre and its read API: anyone (internal datasets are 404 for everyone).
    "data.catalogue": PUBLIC,
    "data.dataset": PUBLIC,
    "data.download_csv": PUBLIC,
    "data.download_xlsx": PUBLIC,
    "data.api_datasets": PUBLIC,
    "data.api_dataset": PUBLIC,
    # The staff data centre. Any staff member sees the catalogue (their OPDs' datasets); OPD A's
    # dataset is for its people, acting officials and province-wide readers; keeping it for its
    # editors and approvers, walidata and admins; deciding for its approvers and walidata (the
    # approval service then checks step, level and authorship). An upload is its uploader's.
    "datasets.index": STAFF,
    "datasets.new": STAFF - {"viewer"},
    "datasets.tokens": STAFF - {"viewer"},
    "datasets.detail": OPD_READERS,
    "datasets.version": OPD_READERS,
    "datasets.preview_render": OPD_READERS,
    "datasets.edit": DATA_KEEPERS,
    "datasets.resolve_flag": DATA_KEEPERS,
    "datasets.image_alt_text": DATA_KEEPERS,
    "datasets.request_publication": DATA_KEEPERS,
    "datasets.make_internal": DATA_KEEPERS,
    "datasets.submit_schema": DATA_KEEPERS,
    "datasets.upload": DATA_KEEPERS,
    "datasets.revoke_token": DATA_KEEPERS,
    "datasets.approve_publication": DATA_DECIDERS,
    "datasets.reject_publication": DATA_DECIDERS,
    "datasets.approve_schema": DATA_DECIDERS,
    "datasets.reject_schema": DATA_DECIDERS,
    "datasets.preview": frozenset({"editor"}),
    "datasets.confirm": frozenset({"editor"}),
    "datasets.cancel": frozenset({"editor"}),
    # The public newsroom: anyone (a release not yet public is 404 for everyone).
    "newsroom.index": PUBLIC,
    "newsroom.release_short": PUBLIC,
    "newsroom.release": PUBLIC,
    "newsroom.release_pdf": PUBLIC,
    "newsroom.feed": PUBLIC,
    "newsroom.opd": PUBLIC,
    "newsroom.opd_feed": PUBLIC,
    "newsroom.opd_vcard": PUBLIC,
    # The push API takes a per-OPD token, never the session; its description is public.
    "api.push_version": TOKEN,
    "api.openapi": PUBLIC,
    # WhatsApp provider webhooks: a signature (Cloud API) or shared secret (gateways), never the
    # session; without one, refused (403) for everyone.
    "webhooks.whatsapp_subscribe": SIGNED,
    "webhooks.whatsapp_events": SIGNED,
    "webhooks.fonnte_status": SIGNED,
    "webhooks.wablas_status": SIGNED,
    # Lapor Gub's inbound WhatsApp on the gateways (the Cloud API's comes on whatsapp_events).
    "webhooks.fonnte_inbound": SIGNED,
    "webhooks.wablas_inbound": SIGNED,
    # Press settings of OPD A: its approvers (acting ones too) and admins.
    "press_admin.settings": frozenset({"approver", "acting_approver", "admin"}),
    # Saved audience lists: the page lists those of the OPDs one works in; OPD A's list is kept
    # by OPD A's editors and approvers.
    "press_admin.lists": DIRECTORY,
    "press_admin.list_detail": OPD_A_WRITERS,
    # A journalist's own signed links (no login): the token in the URL decides; a bad token is a
    # 404 for everyone, whatever the cookie. What goes beyond unsubscribing asks for a one-time
    # code first (tests/web/test_press_self.py).
    "releases.index": STAFF,
    "releases.new": OPD_STAFF,
    "releases.register": STAFF,
    "releases.detail": OPD_READERS,
    "releases.edit": OPD_A_WRITERS,
    "releases.add_photo": OPD_A_WRITERS,
    "releases.remove_photo": OPD_A_WRITERS,
    "releases.add_attachment": OPD_A_WRITERS,
    "releases.remove_attachment": OPD_A_WRITERS,
    "releases.add_infographic": OPD_A_WRITERS,
    "releases.remove_infographic": OPD_A_WRITERS,
    "releases.submit": OPD_A_WRITERS,
    "releases.withdraw": OPD_A_WRITERS,
    "releases.correct": OPD_A_WRITERS,
    "releases.approve": frozenset({"approver", "acting_approver"}),
    "releases.reject": frozenset({"approver", "acting_approver"}),
    "press_self.unsubscribe_page": PUBLIC,
    "press_self.unsubscribe": PUBLIC,
    "press_self.home": PUBLIC,
    "press_self.send_code": PUBLIC,
    "press_self.verify": PUBLIC,
    "press_self.sign_out": PUBLIC,
    "press_self.preferences": PUBLIC,
    "press_self.access": PUBLIC,
    "press_self.access_json": PUBLIC,
    "press_self.erasure": PUBLIC,
    "press_self.consent": PUBLIC,
    "press_self.consent_answer": PUBLIC,
    "press_self.rsvp": PUBLIC,
    "press_self.rsvp_answer": PUBLIC,
    # Lapor Gub for citizens: anyone, no login (a report not public is a 404 for everyone).
    "lapor.form": PUBLIC,
    "lapor.sent": PUBLIC,
    "lapor.status": PUBLIC,
    "lapor.status_with_pin": PUBLIC,
    "lapor.confirm": PUBLIC,
    "lapor.reports": PUBLIC,
    "lapor.report": PUBLIC,
    # Lapor Gub settings and the CSV import of existing reports: admins.
    "complaints_admin.index": ADMIN,
    "complaints_admin.categories": ADMIN,
    "complaints_admin.category_edit": ADMIN,
    "complaints_admin.templates": ADMIN,
    "complaints_admin.template_edit": ADMIN,
    "complaints_admin.template_delete": ADMIN,
    "complaints_admin.holidays": ADMIN,
    "complaints_admin.holidays_paste": ADMIN,
    "complaints_admin.holiday_delete": ADMIN,
    "complaints_admin.periods": ADMIN,
    "complaints_admin.period_edit": ADMIN,
    "complaints_admin.period_delete": ADMIN,
    "complaints_admin.import_upload": ADMIN,
    "complaints_admin.import_commit": ADMIN,
    "complaints_admin.import_cancel": ADMIN,
    # Lapor Gub for officers. The queues: complaint staff (verifiers, officers, OPD approvers,
    # admins); the world's report is disposed to OPD A, so its page and follow-up (PIC, notes,
    # answers) are for OPD A's approvers (acting ones too), verifiers and admins; the verifier's
    # work and the private photo originals for verifiers and admins; counter intake for
    # verifiers, officers and admins; the leadership board for complaint staff and viewers.
    "complaints.index": APPROVERS,
    "complaints.detail": frozenset({"approver", "acting_approver", "admin"}),
    "complaints.photo": ADMIN,
    "complaints.review": ADMIN,
    "complaints.verify": ADMIN,
    "complaints.reject": ADMIN,
    "complaints.duplicate": ADMIN,
    "complaints.hand_off": ADMIN,
    "complaints.dispose": ADMIN,
    "complaints.urgent": ADMIN,
    "complaints.assign": frozenset({"approver", "acting_approver", "admin"}),
    "complaints.note": frozenset({"approver", "acting_approver", "admin"}),
    "complaints.answer": frozenset({"approver", "acting_approver", "admin"}),
    "complaints.new": ADMIN,
    "complaints.board": APPROVERS | {"viewer"},
    # Asking a contact for consent: directory staff; open erasure requests: admins (PDP).
    "journalists.consent_request": DIRECTORY,
    "journalists.erasure_requests": ADMIN,
    # Lapor Gub in the open: the statistics page and Open311 reading, anyone; posting an Open311
    # request takes its api_key, never the session: without one, refused (403) for everyone.
    "lapor_stats.statistics": PUBLIC,
    "open311.discovery": PUBLIC,
    "open311.services": PUBLIC,
    "open311.service_definition": PUBLIC,
    "open311.requests": PUBLIC,
    "open311.service_request": PUBLIC,
    "open311.post_request": SIGNED,
}


@pytest.fixture
def world(app, factory, storage):
    """OPD A and B, one user per role, and objects for every URL parameter."""
    opd_a, opd_b = factory.opd("DINA"), factory.opd("DINB")
    home = factory.opd("DISKOMINFO")
    people = {
        "editor": factory.user("editor", opd_a),
        "approver": factory.user("approver", opd_a, level="kepala"),
        "other_approver": factory.user("approver", opd_b, level="kepala"),
        "acting_approver": factory.user("editor", opd_b, totp=True),
        "walidata": factory.user("walidata", factory.opd("BAPPEDA")),
        "viewer": factory.user("viewer", factory.opd("SETDA")),
        "admin": factory.user("admin", home),
    }
    factory.acting(people["acting_approver"], opd_a, title="Kepala Dinas A")
    target = factory.user("editor", opd_a)  # the object of admin actions, never a logged-in role
    from pressroom.models import Beat
    from pressroom.services import journalists, outlets

    outlet = outlets.create_outlet(factory.session, None, name="Warta Uji", type="online",
                                   dewan_pers="belum", region_code=None)
    journalist = journalists.create_journalist(
        factory.session, people["editor"], opd_a,
        journalists.clean_input(factory.session, full_name="Wartawan Uji", outlet_id=outlet.id,
                                phones=["0899-0000-0001"]))
    beat = factory.session.scalar(select(Beat))
    from pressroom.services import outbox, posts, sending

    account = sending.create_account(factory.session, None, factory.app.extensions["crypto"], opd_id=opd_a.id,
                                     platform="telegram", name="Akun A", credentials="")
    post = posts.create_post(factory.session, people["editor"], opd_a.id, caption="Uji", variants={},
                             scheduled_at=None, account_ids=[account.id])
    image = posts.add_image(factory.session, people["editor"], storage, post, _png(), alt_text="gambar")
    delivery = outbox.enqueue(factory.session, kind="publish", channel="telegram", subject_type="post",
                              subject_id=post.id, opd_id=opd_a.id, account_id=account.id)
    stop = sending.add_stop(factory.session, people["admin"], kind="pause", opd_id=opd_b.id, reason="uji",
                            starts_at=None, ends_at=None)
    from pressroom.services import audience_lists

    audience = audience_lists.create_list(factory.session, people["editor"], opd_a, "Daftar Uji")
    audience_lists.add_members(factory.session, people["editor"], audience, [journalist.id])
    factory.session.commit()
    storage.put("probe/file.txt", b"hello", public=True)
    storage.put("probe/private.txt", b"secret")
    from pressroom.services import directory_import

    batch = directory_import.start_import(factory.session, storage, target, opd_a, filename="probe.csv",
                                          data=b"Nama,Email\r\nBudi,budi@example.com\r\n", max_rows=10)
    factory.session.commit()
    appointment = factory.acting(target, opd_b, title="Kepala Dinas B", starts_in=timedelta(days=30))
    public_dataset = _public_dataset(factory, opd_a, people["editor"], people["walidata"])
    staff_data = _staff_dataset(factory, storage, opd_a, people["editor"])
    release = _public_release(factory, opd_a, people["editor"])
    release_files = _release_files(factory, storage, release, staff_data["dataset_image_id"])
    lapor_settings = _lapor_settings(factory)
    complaint = _public_complaint(factory, storage, opd_a, home)
    args = {
        "opd_id": opd_a.id,
        "user_id": target.id,
        "membership_id": target.memberships[0].id,
        "appointment_id": appointment.id,
        "key": "probe/file.txt",
        "lang": "en",
        "filename": "css/app.css",
        "journalist_id": journalist.id,
        "outlet_id": outlet.id,
        "beat_id": beat.id,
        "fmt": "csv",
        "post_id": post.id,
        "image_id": image.id,
        "delivery_id": delivery.id,
        "account_id": account.id,
        "stop_id": stop.id,
        "batch_id": batch.id,
        "dataset_slug": public_dataset.slug,
        "version_number": 1,
        "release_id": release.id,
        "release_slug": release.slug,
        "opd_code": opd_a.code,
        "list_id": audience.id,
        # The world journalist's personal-page link (the other link purposes read it as forged).
        "token": _self_token(app, journalist.id),
        **staff_data,
        **release_files,
        **lapor_settings,
        # A Lapor Gub report of OPD A, reviewed (public), verified and disposed, with one photo.
        "tracking_id": complaint.tracking_id,
        "complaint_id": complaint.id,
        "complaint_photo_id": complaint.photos[0].id,
        # Open311: the same report and its category, in JSON.
        "ext": "json",
        "service_code": "uji",
        "service_request_id": complaint.tracking_id,
    }
    return people, args


def _self_token(app, journalist_id: int) -> str:
    from pressroom.services import press_links

    return press_links.make_token(app.config["SECRET_KEY"], "self", press_links.LinkClaims(journalist_id))


def _public_dataset(factory, opd, editor, walidata):
    """A public dataset with one version, for the data centre's URLs."""
    from pressroom.services import datasets

    dataset = datasets.create_dataset(factory.session, editor, opd_id=opd.id, title="Data Uji",
                                      key_column="kode")
    datasets.ingest(factory.session, dataset, [{"kode": "A", "nilai": "1"}, {"kode": "B", "nilai": "2"}],
                    origin="upload:uji.csv", author=editor)
    datasets.request_publication(factory.session, editor, dataset)
    assert datasets.decide_publication(factory.session, walidata, dataset, approve=True)
    factory.session.commit()
    return dataset


def _public_complaint(factory, storage, opd, home):
    """A Lapor Gub report disposed to ``opd``: reviewed by a verifier (so public), with a photo."""
    from pressroom.models import ComplaintCategory
    from pressroom.services import complaints

    verifier = factory.user("verifier", home)
    category = ComplaintCategory(code="uji", name="Kategori Uji", default_opd_id=opd.id)
    factory.session.add(category)
    factory.session.flush()
    complaint, _pin = complaints.submit(
        factory.session, complaints.ReportInput(category_id=category.id, description="Jalan rusak.",
                                                region_code="3374", contact="0812-3456-7890"),
        config=factory.app.config)
    complaints.add_photo(factory.session, storage, complaint, _png())
    complaints.review(factory.session, verifier, complaint, public_description="Jalan rusak.",
                      storage=storage)
    complaints.verify(factory.session, verifier, complaint, config=factory.app.config)
    complaints.dispose(factory.session, verifier, complaint, opd, config=factory.app.config)
    factory.session.commit()
    return complaint


def _lapor_settings(factory) -> dict:
    """A Lapor Gub category with an answer template, a (test-only) day off and a working-hours
    period: URL arguments of the settings pages."""
    from datetime import date, time

    from pressroom.models import AnswerTemplate, ComplaintCategory, Holiday, WorkingHoursPeriod

    category = ComplaintCategory(code="atur-uji", name="Kategori Pengaturan Uji")
    factory.session.add(category)
    factory.session.flush()
    template = AnswerTemplate(category_id=category.id, title="Templat Uji", text="Terima kasih.")
    holiday = Holiday(day=date(2031, 1, 2), name="Libur Uji", kind="libur")
    period = WorkingHoursPeriod(name="Jam Uji", starts_on=date(2031, 2, 1), ends_on=date(2031, 2, 28),
                                day_start=time(8), day_end=time(14))
    factory.session.add_all([template, holiday, period])
    factory.session.commit()
    return {"category_id": category.id, "template_id": template.id, "holiday_day": "2031-01-02",
            "period_id": period.id}


def _public_release(factory, opd, editor):
    """A release on the public newsroom, for its URLs."""
    from pressroom import clock
    from pressroom.models import PressRelease

    release = PressRelease(opd_id=opd.id, author_id=editor.id, state="approved", headline="Rilis Uji",
                           slug="rilis-uji", number="480/1/DINA/III/2026", approved_at=clock.now(),
                           public_from=clock.now() - timedelta(minutes=1))
    factory.session.add(release)
    factory.session.commit()
    return release


def _release_files(factory, storage, release, dataset_image_id: int) -> dict:
    """A photo, a PDF attachment and an infographic on the world's release (staff URLs)."""
    from pressroom.models import ReleaseAttachment, ReleaseInfographic, ReleasePhoto

    storage.put("press/probe.jpg", _png(), public=True)
    photo = ReleasePhoto(release_id=release.id, storage_key="press/probe.jpg", thumb_key="press/probe.jpg",
                         width=40, height=40, size_bytes=10, sha256="0" * 64, caption="Foto", alt_text="Foto")
    attachment = ReleaseAttachment(release_id=release.id, storage_key="press/probe.pdf", filename="probe.pdf",
                                   size_bytes=10, sha256="1" * 64)
    item = ReleaseInfographic(release_id=release.id, dataset_image_id=dataset_image_id)
    factory.session.add_all([photo, attachment, item])
    factory.session.commit()
    return {"photo_id": photo.id, "attachment_id": attachment.id, "item_id": item.id}


def _staff_dataset(factory, storage, opd, editor) -> dict:
    """An internal dataset of OPD A with a current and a held version, the editor's pending
    upload and an API token: URL arguments of the staff data centre and the push API."""
    from pressroom.models import Dataset
    from pressroom.services import datasets
    from pressroom.web.datasets import PendingUpload

    dataset = datasets.create_dataset(factory.session, editor, opd_id=opd.id, title="Data Staf",
                                      key_column="kode")
    datasets.ingest(factory.session, dataset, [{"kode": "A", "nilai": "1"}], origin="upload:a.csv",
                    author=editor)
    held = datasets.ingest(factory.session, dataset, [{"kode": "A", "nilai": "1", "baru": "x"}],
                           origin="upload:b.csv", author=editor).version
    token, _secret = datasets.create_token(factory.session, editor, opd, "Uji")
    from pressroom.models import DatasetImage

    image = DatasetImage(version_id=dataset.current_version_id, preset="portrait", page=0, cache_key="0" * 64,
                         storage_key="charts/probe.png", width=1080, height=1350, alt_text="Grafik uji")
    factory.session.add(image)
    factory.session.commit()
    upload = PendingUpload.start(storage, factory.session.get(Dataset, dataset.id), editor, "c.csv",
                                 b"kode;nilai\r\nA;2\r\n")
    return {"dataset_id": dataset.id, "version_id": held.id, "upload_id": upload.id, "token_id": token.id,
            "dataset_image_id": image.id,
            "slug": dataset.slug}


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 0, 0)).save(out, format="PNG")
    return out.getvalue()


def _routes(app):
    rules = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            rules.append((rule, method))
    # Logging out last keeps the session for every other route.
    return sorted(rules, key=lambda rm: (rm[0].endpoint == "auth.logout", rm[0].rule, rm[1]))


def test_every_route_has_an_expectation(app):
    missing = sorted({rule.endpoint for rule, _m in _routes(app)} - set(EXPECTATIONS))
    assert not missing, f"add these endpoints to EXPECTATIONS in {__file__}: {missing}"
    stale = sorted(set(EXPECTATIONS) - {rule.endpoint for rule, _m in _routes(app)})
    assert not stale, f"EXPECTATIONS names endpoints that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(app, factory, world, role):
    people, args = world
    client = app.test_client()
    if role != "anonymous":
        login(client, people[role], factory)
    app.config["WTF_CSRF_ENABLED"] = False  # permission, not CSRF, is under test here
    failures = []
    for rule, method in _routes(app):
        expected = EXPECTATIONS[rule.endpoint]
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{a: args[a] for a in rule.arguments})
        with client.open(url, method=method) as response:
            status, location = response.status_code, response.headers.get("Location", "")
        if status >= 500:
            failures.append(f"{method} {url}: server error {status}")
            continue
        if expected in (PUBLIC, AUTH_FLOW):
            ok = status not in (401, 403)
        elif expected == SIGNED:
            ok = status == 403  # no signature: refused for everyone, logged in or not
        elif expected == TOKEN:
            ok = status == 401  # no token: refused for everyone, whatever the cookie says
        elif role in expected:
            ok = status not in (401, 403, 404) and "/login" not in location
        elif role == "anonymous":
            ok = status == 302 and "/login" in location
        else:
            ok = status == 403
        if not ok:
            failures.append(f"{method} {url}: {status} {location} (expected {expected!r})")
    assert not failures, f"role {role}:\n" + "\n".join(failures)
