"""What the press alert tests share: journalists with consent, and a release taken through
the approval chain."""

from __future__ import annotations

from datetime import timedelta

from pressroom import clock
from pressroom.services import journalists, releases
from pressroom.services.journalists import ConsentInput, JournalistData

_counter = iter(range(1, 10**9))


def journalist(
    session,
    actor,
    opd,
    *,
    name=None,
    email="auto",
    phone="auto",
    consent=("email", "whatsapp"),
    preferred=(),
    beats=(),
    regions=(),
    outlet_id=None,
    follow=True,
):
    n = next(_counter)
    emails = (
        [(f"wartawan{n}@media{n}.example", False)] if email == "auto" else ([(email, False)] if email else [])
    )
    phones = (
        [(f"+62812{n:08d}"[:14], "mobile")] if phone == "auto" else ([(phone, "mobile")] if phone else [])
    )
    data = JournalistData(
        full_name=name or f"Wartawan Uji {n}",
        emails=emails,
        phones=phones,
        beat_ids=list(beats),
        region_codes=list(regions),
        outlet_id=outlet_id,
    )
    person = journalists.create_journalist(
        session,
        actor,
        opd,
        data,
        consent={c: ConsentInput(method="formulir", basis="formulir persetujuan uji") for c in consent},
    )
    person.preferred_channels = list(preferred)
    if not follow:
        person.links[0].following = False
    session.flush()
    return person


def release_input(**values) -> releases.ReleaseInput:
    defaults = dict(
        headline="Produksi padi Jawa Tengah naik",
        lead="Semarang — Produksi padi naik.",
        body="Isi **siaran pers** lengkap.\n\nParagraf kedua.",
        contact_name="Humas Uji",
        contact_phone="081234567890",
        contact_email="humas@jatengprov.go.id",
        sources=[{"name": "Ir. Budi Santoso", "position": "Plh. Kepala Dinas"}],
        audience={"base": "followers", "channels": ["email", "whatsapp"]},
    )
    defaults.update(values)
    return releases.ReleaseInput(**defaults)


def approved_release(session, factory, opd=None, *, editor=None, head=None, **values):
    """Compose, submit and approve a release; return (release, editor, head)."""
    opd = opd or factory.opd("DISTANBUN")
    editor = editor or factory.user("editor", opd)
    head = head or factory.user("approver", opd, level="kepala")
    release = releases.create_release(session, editor, opd.id, release_input(**values))
    releases.submit_release(session, editor, release)
    releases.approve_release(session, head, release)
    session.commit()
    return release, editor, head


def soon(minutes=5):
    return clock.now() + timedelta(minutes=minutes)
