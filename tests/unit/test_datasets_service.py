"""The data centre's rules: a messy BPS-style file becomes version 1; the same content makes
nothing new; a changed figure makes version 2 with a readable diff; a bad update changes
nothing; new columns are held for approval; a NIK-like column blocks publication; a walidata
may publish; a correction keeps its note."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from pressroom.datasets import tables
from pressroom.models import Dataset, DatasetVersion
from pressroom.services import ValidationError, datasets

FIXTURE = Path(__file__).parents[1] / "datasets" / "fixtures" / "bps_penduduk_luas_2025.csv"


def _records(data: bytes, name: str = "penduduk.csv"):
    preview = tables.preview(tables.read_table(data, name))
    return preview.records(), preview.row_numbers, preview.number_formats


def _ingest(session, dataset, data: bytes, user, **kwargs):
    records, numbers, formats = _records(data)
    return datasets.ingest(session, dataset, records, origin="upload:penduduk.csv", author=user,
                           row_numbers=numbers, number_formats=formats, **kwargs)


@pytest.fixture
def desk(factory, session):
    opd = factory.opd("DISDUKCAPIL", short_name="Disdukcapil")
    editor = factory.user("editor", opd)
    dataset = datasets.create_dataset(session, editor, opd_id=opd.id, title="Penduduk Jawa Tengah 2025",
                                      key_column="Kode",
                                      source_line="Sumber: Kepmendagri No. 300.2.2-2138/2025")
    session.commit()
    return opd, editor, dataset


def test_a_messy_bps_file_becomes_version_one_and_the_same_content_makes_nothing_new(session, desk):
    _, editor, dataset = desk
    result = _ingest(session, dataset, FIXTURE.read_bytes(), editor)
    session.commit()
    assert result.status == "created" and result.version.number == 1 and result.version.row_count == 35
    cilacap = next(r for r in result.version.rows if r["Kode"] == "3301")
    assert cilacap["Jumlah"] == 2059748 and cilacap["Luas (km²)"] == "2325.173"
    assert dataset.current_version_id == result.version.id and result.version.render_status == "due"
    assert [c["name"] for c in dataset.schema][:2] == ["Kode", "Kabupaten/Kota"]

    again = _ingest(session, dataset, FIXTURE.read_bytes(), editor)
    assert again.status == "unchanged"
    assert session.scalar(select(func.count()).select_from(DatasetVersion)) == 1


def test_a_changed_figure_makes_version_two_with_a_readable_diff(session, desk):
    _, editor, dataset = desk
    _ingest(session, dataset, FIXTURE.read_bytes(), editor)
    changed = FIXTURE.read_bytes().replace(b"2.059.748", b"2.060.001")
    result = _ingest(session, dataset, changed, editor)
    session.commit()
    assert result.status == "created" and result.version.number == 2
    diff = result.version.diff
    assert diff["changed"][0]["key"] == "3301"
    assert {"column": "Jumlah", "old": 2059748, "new": 2060001} in diff["changed"][0]["changes"]
    first = session.scalar(select(DatasetVersion).where(DatasetVersion.number == 1))
    assert first.state == "superseded"


def test_a_bad_update_is_refused_whole_and_the_current_version_stays(session, desk):
    _, editor, dataset = desk
    good = _ingest(session, dataset, FIXTURE.read_bytes(), editor).version
    session.commit()
    bad = FIXTURE.read_bytes().replace(b"3302;", b"3399;").replace(b"1.057.750", b"banyak")
    with pytest.raises(datasets.UpdateRefused) as refused:
        _ingest(session, dataset, bad, editor)
    codes = {(e.code, e.column) for e in refused.value.errors}
    assert ("unknown_region_code", "Kode") in codes and ("not_a_number", "Jumlah") in codes
    assert all(e.row for e in refused.value.errors)  # by row, as the person sees the file
    session.rollback()
    assert session.get(Dataset, dataset.id).current_version_id == good.id


def test_new_columns_are_held_until_approved(session, factory, desk):
    opd, editor, dataset = desk
    _ingest(session, dataset, FIXTURE.read_bytes(), editor)
    session.commit()
    records, numbers, formats = _records(FIXTURE.read_bytes())
    for row in records:
        row["Kepadatan"] = "100"
    held = datasets.ingest(session, dataset, records, origin="api:sipd", author=None, row_numbers=numbers,
                           number_formats=formats)
    session.commit()
    assert held.status == "held" and held.version.state == "held" and held.changes
    assert dataset.current_version_id != held.version.id

    datasets.submit_schema_change(session, editor, held.version)
    head = factory.user("approver", opd, level="kepala")
    assert datasets.decide_schema_change(session, head, held.version, approve=True) is True
    session.commit()
    assert dataset.current_version_id == held.version.id
    assert "Kepadatan" in [c["name"] for c in dataset.schema]


def test_a_nik_column_blocks_publication_until_resolved_and_a_walidata_may_publish(session, factory, desk):
    _, editor, dataset = desk
    records, numbers, formats = _records(FIXTURE.read_bytes())
    for i, row in enumerate(records):
        row["NIK"] = f"3374{i:02d}1201900001"[:16]
    datasets.ingest(session, dataset, records, origin="upload:x.csv", author=editor, row_numbers=numbers,
                    number_formats=formats)
    session.commit()
    assert "NIK" in datasets.unresolved_flags(dataset)
    with pytest.raises(ValidationError) as blocked:
        datasets.request_publication(session, editor, dataset)
    assert "NIK" in str(blocked.value.errors[""])

    datasets.resolve_flag(session, editor, dataset, "NIK", "hidden")
    datasets.request_publication(session, editor, dataset)
    walidata = factory.user("walidata", factory.opd("BAPPEDA"))
    assert datasets.decide_publication(session, walidata, dataset, approve=True) is True
    session.commit()
    assert datasets.is_public(dataset) and datasets.hidden_columns(dataset) == {"NIK"}


def test_a_correction_supersedes_with_its_public_note(session, desk):
    _, editor, dataset = desk
    _ingest(session, dataset, FIXTURE.read_bytes(), editor)
    records, numbers, formats = _records(FIXTURE.read_bytes().replace(b"805,757", b"805,760"))
    result = datasets.correct(session, editor, dataset, records, note="Luas Purbalingga salah ketik.",
                              origin="upload:ralat.csv", row_numbers=numbers, number_formats=formats)
    session.commit()
    assert result.version.correction_note == "Luas Purbalingga salah ketik."
    assert result.version.corrects_version_id is not None
