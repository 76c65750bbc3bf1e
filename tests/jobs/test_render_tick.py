"""A new version is rendered by the worker's tick in every preset (through the cache: nothing
drawn twice), and a draft post is made from it when the dataset asks for one."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from jobs import ticks
from pressroom.datasets import tables
from pressroom.models import DatasetImage, DatasetVersion, Post
from pressroom.services import datasets, renders, sending
from tests.conftest import reload

FIXTURE = Path(__file__).parents[1] / "datasets" / "fixtures" / "bps_penduduk_luas_2025.csv"


def _dataset(app, session, factory, **options):
    opd = factory.opd("DISDUKCAPIL", name="Dinas Kependudukan dan Pencatatan Sipil",
                      short_name="Disdukcapil")
    sending.create_account(session, None, app.extensions["crypto"], opd_id=opd.id, platform="instagram",
                           name="@disdukcapiljateng", credentials="")
    editor = factory.user("editor", opd)
    dataset = datasets.create_dataset(
        session, editor, opd_id=opd.id, title="Jumlah penduduk menurut kabupaten/kota", key_column="Kode",
        unit="jiwa", source_line="Sumber: Kepmendagri No. 300.2.2-2138/2025",
        processed_by="Diskominfo Jateng", chart={"template": "ranked_bar", "label": "Kabupaten/Kota",
                                                 "value": "Jumlah", "mode": "top", "top_n": 10}, **options)
    preview = tables.preview(tables.read_table(FIXTURE.read_bytes(), "penduduk.csv"))
    result = datasets.ingest(session, dataset, preview.records(), origin="upload:penduduk.csv", author=editor,
                             row_numbers=preview.row_numbers, number_formats=preview.number_formats)
    session.commit()
    return dataset, result.version


def test_the_tick_renders_every_preset_and_drafts_a_post(app, session, factory):
    dataset, version = _dataset(app, session, factory, draft_post_on_update=True)
    assert ticks.render_versions(app, owner="test") == 1
    reload(session)
    version = session.get(DatasetVersion, version.id)
    assert version.render_status == "done"
    images = session.scalars(select(DatasetImage).where(DatasetImage.version_id == version.id)).all()
    assert {i.preset for i in images} == set(renders.RENDER_PRESETS)
    portrait = next(i for i in images if i.preset == "portrait")
    png = app.extensions["storage"].get(portrait.storage_key, public=True)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1080, 1350)
    # The largest region and its figure, formatted for Indonesian readers.
    assert "Nilai terbesar: Kabupaten Brebes, 2,07 juta jiwa" in portrait.alt_text, portrait.alt_text
    post = session.get(Post, version.post_id)
    assert post.state == "draft" and post.origin == f"dataset:{dataset.id}" and post.images
    assert post.images[0].alt_text == portrait.alt_text and "jiwa" in post.caption
    assert [t.account.name for t in post.targets] == ["@disdukcapiljateng"]
    # Nothing is due any more: a second tick does nothing.
    assert ticks.render_versions(app, owner="test") == 0


def test_rendering_again_uses_the_cache(app, session, factory, monkeypatch):
    _, version = _dataset(app, session, factory)
    ticks.render_versions(app, owner="test")
    reload(session)
    again = session.get(DatasetVersion, version.id)
    again.render_status = "due"
    session.commit()
    import pressroom.charts.drawing as renderer

    def refuse(*_args, **_kwargs):
        raise AssertionError("rendered again although the cache holds the same key")

    monkeypatch.setattr(renderer, "render", refuse)
    assert ticks.render_versions(app, owner="test") == 1
